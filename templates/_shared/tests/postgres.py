"""A real PostgreSQL server for the tests: the one a URL names, or a throwaway cluster.

``<PACKAGE>_TEST_DATABASE_URL`` (``URL_VARIABLES``; or ``TEST_DATABASE_URL``, which CI sets
for its ``postgres`` service container) names a server to use. Without one, a cluster is
made for the test run with the server's own programs, ``initdb`` and ``pg_ctl`` (found
through ``pg_config --bindir``, ``/usr/lib/postgresql/*/bin`` or PATH): it listens only on
a Unix socket in its own temporary folder, trusts local connections, skips fsync, and is
removed at the end. PostgreSQL refuses to run as root, so as root the cluster runs as the
``postgres`` system user (or ``nobody``). Without a URL or the programs, the PostgreSQL
tests skip, saying so; under CI (``CI`` set, as GitHub Actions sets it) they fail instead,
so CI cannot pass by skipping them. Each test gets a schema of its own, dropped after it.

Tests of vector retrieval need a server with pgvector (:func:`vector_server`): the one
``<PACKAGE>_TEST_PGVECTOR_URL`` (or ``TEST_PGVECTOR_URL``) names, else a throwaway cluster of
the PostgreSQL that the ``pgserver`` package bundles with pgvector (a development dependency
of assistants and agents, so CI and every developer machine have it, offline), else of the
installed server when it has the extension. The extension is enabled in ``public`` once, as
an operator would, before any test's schema.

The tables' owner migrates a schema; the code under test connects as an application role
of its own (:func:`app_role`), granted exactly what ``migrate --app-role`` grants. So every
PostgreSQL test also shows that the project needs no more, and insider attacks are tried
with the application's own credentials.
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import psycopg
import pytest

from .package import connect, grant_app_role, migrate, project

URL_VARIABLES = (f"{project.env_prefix()}TEST_DATABASE_URL", "TEST_DATABASE_URL")
"""Where a server to test against is named, the project's own variable first."""
VECTOR_URL_VARIABLES = (f"{project.env_prefix()}TEST_PGVECTOR_URL", "TEST_PGVECTOR_URL")
"""Where a server with pgvector to test against is named."""
UNPRIVILEGED_USERS = ("postgres", "nobody")
"""Who runs a throwaway cluster when the tests run as root."""


def unavailable(reason: str) -> NoReturn:
    """Skip the test for want of a server, saying why; under CI fail instead."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set: the PostgreSQL tests may not skip)")
    pytest.skip(reason)


def given_url() -> str | None:
    """The URL of a server named by the environment, or None."""
    return next((os.environ[name] for name in URL_VARIABLES if os.environ.get(name)), None)


def find_bindir() -> Path | None:
    """The folder of ``initdb`` and ``pg_ctl``, or None when PostgreSQL is not installed."""
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        done = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        if done.returncode == 0:
            candidates.append(Path(done.stdout.strip()))
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)
    return next(
        (d for d in candidates if (d / "initdb").is_file() and (d / "pg_ctl").is_file()), None
    )


def pgserver_bindir() -> Path | None:
    """The programs of the PostgreSQL (with pgvector) the ``pgserver`` package bundles, or None."""
    found = importlib.util.find_spec("pgserver")  # finds without importing it
    if found is None or not found.submodule_search_locations:
        return None
    for location in found.submodule_search_locations:
        bindir = Path(location) / "pginstall" / "bin"
        if (bindir / "initdb").is_file() and (bindir / "pg_ctl").is_file():
            return bindir
    return None


def has_vector(bindir: Path) -> bool:
    """Whether the server of ``bindir`` can load pgvector (its control file is installed)."""
    config = bindir / "pg_config"
    if config.is_file():
        done = subprocess.run(
            [str(config), "--sharedir"], capture_output=True, text=True, check=False
        )
        if done.returncode == 0:
            return (Path(done.stdout.strip()) / "extension" / "vector.control").is_file()
    return any(bindir.parent.glob("share/**/extension/vector.control"))


def _user() -> tuple[int, int] | None:
    """The (uid, gid) to run the server as: None for the current user, who is not root."""
    if os.geteuid() != 0:
        return None
    for name in UNPRIVILEGED_USERS:
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        return entry.pw_uid, entry.pw_gid
    unavailable(f"running as root, and no user of {UNPRIVILEGED_USERS} to run PostgreSQL as")


def _copy_pgserver(bindir: Path, home: Path) -> Path:
    """Copy pgserver's programs where the server's user may enter (a venv may be closed to it).

    The layout is kept: its programs find their libraries at ``$ORIGIN/../../../pgserver.libs``.
    """
    package = bindir.parent.parent
    for folder in (package, package.parent / "pgserver.libs"):
        if folder.is_dir():
            shutil.copytree(
                folder,
                home / "pgserver" / folder.name,
                symlinks=True,
                ignore=shutil.ignore_patterns("include", "__pycache__", "*.py"),
            )
    return home / "pgserver" / package.name / "pginstall" / "bin"


@contextmanager
def throwaway_cluster(bindir: Path | None = None) -> Iterator[str]:
    """Run a cluster for the block (of ``bindir``'s programs, or the installed server's).

    Yields the URL of its ``postgres`` database.
    """
    bindir = bindir or find_bindir()
    if bindir is None:
        unavailable(
            f"no PostgreSQL server: set {URL_VARIABLES[0]}, or install PostgreSQL's server "
            "programs (initdb, pg_ctl; Debian: apt-get install postgresql)"
        )
    user = _user()
    # a short path of its own: Unix socket paths are limited to about 100 characters,
    # and the server's user must be able to enter it
    home = Path(tempfile.mkdtemp(prefix="pgtest-"))
    if user is not None:
        os.chown(home, *user)
        if bindir == pgserver_bindir():
            bindir = _copy_pgserver(bindir, home)
    data, log = home / "data", home / "server.log"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            args,
            cwd=home,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
            user=None if user is None else user[0],
            group=None if user is None else user[1],
            extra_groups=None if user is None else [],
        )

    def start(*args: str) -> None:
        done = run(*args)
        if done.returncode != 0:
            tail = (log.read_text(errors="replace") if log.exists() else "")[-1500:]
            unavailable(f"PostgreSQL did not start: {args[0]}: {done.stderr[-1500:]}{tail}")

    try:
        start(
            str(bindir / "initdb"),
            "--pgdata", str(data), "--username", "postgres", "--auth", "trust",
            "--encoding", "UTF8", "--locale", "C", "--no-sync",
        )  # fmt: skip
        options = f"-h '' -k {home} -F -c max_connections=200 -c full_page_writes=off"
        start(
            str(bindir / "pg_ctl"), "--pgdata", str(data), "--log", str(log), "--wait",
            "--timeout", "60", "--options", options, "start",
        )  # fmt: skip
        try:
            yield f"postgresql://postgres@/postgres?host={quote(str(home), safe='')}"
        finally:
            run(str(bindir / "pg_ctl"), "--pgdata", str(data), "--mode", "immediate", "stop")
    finally:
        shutil.rmtree(home, ignore_errors=True)


@contextmanager
def server() -> Iterator[str]:
    """The URL of the server to test against: the one named, or a throwaway cluster."""
    url = given_url()
    if url is not None:
        yield url
        return
    with throwaway_cluster() as started:
        yield started


@contextmanager
def vector_server() -> Iterator[str]:
    """The URL of a server with pgvector enabled in ``public`` (see the module's docstring)."""
    url = next((os.environ[n] for n in VECTOR_URL_VARIABLES if os.environ.get(n)), None)
    if url is not None:
        _enable_vector(url)
        yield url
        return
    bindir = pgserver_bindir()
    if bindir is None:
        installed = find_bindir()
        bindir = installed if installed is not None and has_vector(installed) else None
    if bindir is None:
        unavailable(
            f"no PostgreSQL with pgvector: install the dev extra (pgserver bundles one), "
            f"or set {VECTOR_URL_VARIABLES[0]}"
        )
    with throwaway_cluster(bindir) as started:
        _enable_vector(started)
        yield started


def _enable_vector(url: str) -> None:
    """Enable pgvector in the ``public`` schema of the server's database."""
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS vector SCHEMA public")
    except psycopg.Error as err:
        unavailable(f"pgvector cannot be enabled on the test server: {err}".strip())


def in_schema(url: str, schema: str) -> str:
    """``url`` with ``schema`` first on the search path of every connection."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query)
    options = [value for key, value in query if key == "options"]
    rest = [(key, value) for key, value in query if key != "options"]
    merged = " ".join([*options, f"-csearch_path={schema}"])
    return urlunsplit(
        parts._replace(query=urlencode([*rest, ("options", merged)], quote_via=quote))
    )


@contextmanager
def schema(server_url: str, *, migrated: bool = True) -> Iterator[str]:
    """A new, empty schema on the server for the block (migrated unless told otherwise).

    Yields the URL whose connections work in it; the schema is dropped afterwards.
    """
    name = f"test_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{name}"')
    url = in_schema(server_url, name)
    try:
        if migrated:
            database = connect(url)
            try:
                migrate(database)
            finally:
                database.close()
        yield url
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute("SET lock_timeout = '30s'")
            conn.execute(f'DROP SCHEMA "{name}" CASCADE')


def as_user(url: str, user: str, password: str) -> str:
    """``url`` with another user and password (host, database and options kept)."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    credentials = f"{quote(user, safe='')}:{quote(password, safe='')}"
    return urlunsplit(parts._replace(netloc=f"{credentials}@{host}"))


@contextmanager
def app_role(owner_url: str) -> Iterator[str]:
    """A login role granted what ``migrate --app-role`` grants on the schema of ``owner_url``.

    Yields the URL that connects as that role (with a random password, for servers that ask
    for one); the role is dropped afterwards.
    """
    role = f"test_app_{uuid.uuid4().hex[:12]}"
    password = secrets.token_urlsafe(24)
    with psycopg.connect(owner_url, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
    try:
        database = connect(owner_url)
        try:
            grant_app_role(database, role)
        finally:
            database.close()
        yield as_user(owner_url, role, password)
    finally:
        with psycopg.connect(owner_url, autocommit=True) as conn:
            conn.execute("SET lock_timeout = '30s'")
            conn.execute(f"DROP OWNED BY {role}")
            conn.execute(f"DROP ROLE {role}")
