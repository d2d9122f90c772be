"""A real PostgreSQL server for the tests: the one a URL names, or a throwaway cluster.

``<PACKAGE>_TEST_DATABASE_URL`` (``URL_VARIABLES``; or ``TEST_DATABASE_URL``, which CI sets
for its ``postgres`` service container) names a server to use. Without one, a cluster is
made for the test run with the server's own programs, ``initdb`` and ``pg_ctl`` (found
through ``pg_config --bindir``, ``/usr/lib/postgresql/*/bin`` or PATH): it listens only on
a Unix socket in its own temporary folder, trusts local connections, skips fsync, and is
removed at the end. PostgreSQL refuses to run as root, so as root the cluster runs as the
``postgres`` system user (or ``nobody``). Without a URL or the programs, the PostgreSQL
tests skip, saying so; under CI (``CI`` set, as GitHub Actions sets it) they fail instead,
so CI cannot pass by skipping them. Each test gets a freshly migrated schema of its own
(:class:`SchemaPool`, below).

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

Making that schema and role for every test (create, migrate, create the role, grant; then
drop owned, drop the role, drop the schema) costs a dozen round trips and five connections,
some 90 ms a test, most of a suite's PostgreSQL time. So the integration tests take theirs
from a :class:`SchemaPool`: schemas migrated and granted to a role of their own as above,
handed to one test at a time and reset before the next one takes it. The reset puts back
the state of a schema just migrated, which no earlier test can have changed: the role's
sessions are ended; a fingerprint of the catalog (tables, columns, defaults, constraints,
indexes, triggers and their enabled state, functions, sequences' definitions, types,
policies, rules, grants, the role's attributes, memberships, settings and everything it
holds anywhere in the database) must equal the one taken when the schema was made, else
the schema and its role are dropped and a fresh pair made; then, in one transaction, every
table is emptied with the append-only triggers bypassed (``session_replication_role =
replica``, which needs a superuser: without one every test makes its own schema as before),
the rows the migrations insert are copied back from a schema migrated once for the run and
never handed out, and every sequence is set to where that schema's is. Tests that need an
empty schema (the migration tests) still call :func:`schema` with ``migrated=False``.
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn
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


_FINGERPRINT = """
WITH ns AS (SELECT oid FROM pg_namespace WHERE nspname = %(schema)s),
role AS (SELECT oid FROM pg_roles WHERE rolname = %(role)s),
rel AS (SELECT oid FROM pg_class WHERE relnamespace = (SELECT oid FROM ns))
SELECT md5(concat_ws(E'\\n',
  (SELECT ROW(n.nspowner, n.nspacl)::text FROM pg_namespace n WHERE n.oid = (SELECT oid FROM ns)),
  (SELECT string_agg(ROW(c.relname, c.relkind, c.relowner, c.relacl, c.reloptions,
      c.relrowsecurity, c.relforcerowsecurity, c.relpersistence, c.relreplident)::text,
      ';' ORDER BY c.relname)
   FROM pg_class c WHERE c.oid IN (SELECT oid FROM rel)),
  (SELECT string_agg(ROW(a.attname, a.atttypid, a.atttypmod, a.attnotnull, a.attisdropped,
      a.attidentity, a.attgenerated, a.attcollation, a.attacl,
      pg_get_expr(d.adbin, d.adrelid))::text, ';' ORDER BY a.attrelid, a.attnum)
   FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
   WHERE a.attrelid IN (SELECT oid FROM rel) AND a.attnum > 0),
  (SELECT string_agg(ROW(c.conrelid, c.conname, pg_get_constraintdef(c.oid),
      c.convalidated)::text, ';' ORDER BY c.conrelid, c.conname)
   FROM pg_constraint c WHERE c.connamespace = (SELECT oid FROM ns)),
  (SELECT string_agg(ROW(i.indexrelid, pg_get_indexdef(i.indexrelid), i.indisvalid)::text,
      ';' ORDER BY i.indexrelid)
   FROM pg_index i WHERE i.indrelid IN (SELECT oid FROM rel)),
  (SELECT string_agg(ROW(pg_get_triggerdef(t.oid), t.tgenabled)::text, ';' ORDER BY t.oid)
   FROM pg_trigger t WHERE t.tgrelid IN (SELECT oid FROM rel)),
  (SELECT string_agg(ROW(p.oid::regprocedure, p.proowner, md5(p.prosrc), p.proacl,
      p.prosecdef, p.proconfig, p.provolatile)::text, ';' ORDER BY p.oid)
   FROM pg_proc p WHERE p.pronamespace = (SELECT oid FROM ns)),
  (SELECT string_agg(ROW(s.seqrelid, s.seqtypid, s.seqstart, s.seqincrement, s.seqmax,
      s.seqmin, s.seqcache, s.seqcycle)::text, ';' ORDER BY s.seqrelid)
   FROM pg_sequence s WHERE s.seqrelid IN (SELECT oid FROM rel)),
  (SELECT string_agg(ROW(t.typname, t.typtype, t.typowner, t.typacl)::text,
      ';' ORDER BY t.typname)
   FROM pg_type t WHERE t.typnamespace = (SELECT oid FROM ns)),
  (SELECT string_agg(ROW(p.polrelid, p.polname, p.polcmd, p.polpermissive, p.polroles,
      pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid))::text,
      ';' ORDER BY p.oid)
   FROM pg_policy p WHERE p.polrelid IN (SELECT oid FROM rel)),
  (SELECT string_agg(ROW(r.ev_class, r.rulename, r.ev_enabled, pg_get_ruledef(r.oid))::text,
      ';' ORDER BY r.oid)
   FROM pg_rewrite r WHERE r.ev_class IN (SELECT oid FROM rel)),
  (SELECT string_agg(ROW(d.defaclrole, d.defaclnamespace, d.defaclobjtype, d.defaclacl)::text,
      ';' ORDER BY d.oid)
   FROM pg_default_acl d
   WHERE d.defaclnamespace = (SELECT oid FROM ns) OR d.defaclrole = (SELECT oid FROM role)),
  (SELECT ROW(a.rolname, a.rolsuper, a.rolinherit, a.rolcreaterole, a.rolcreatedb,
      a.rolcanlogin, a.rolreplication, a.rolbypassrls, a.rolconnlimit, a.rolpassword,
      a.rolvaliduntil)::text
   FROM pg_authid a WHERE a.oid = (SELECT oid FROM role)),
  (SELECT string_agg(ROW(m.roleid, m.member, m.admin_option)::text, ';' ORDER BY m.roleid, m.member)
   FROM pg_auth_members m
   WHERE m.member = (SELECT oid FROM role) OR m.roleid = (SELECT oid FROM role)),
  (SELECT string_agg(ROW(s.setdatabase, s.setconfig)::text, ';' ORDER BY s.setdatabase)
   FROM pg_db_role_setting s WHERE s.setrole = (SELECT oid FROM role)),
  (SELECT string_agg(ROW(d.dbid, d.classid, d.objid, d.objsubid, d.deptype)::text,
      ';' ORDER BY d.dbid, d.classid, d.objid, d.objsubid, d.deptype)
   FROM pg_shdepend d
   WHERE d.refclassid = 'pg_authid'::regclass AND d.refobjid = (SELECT oid FROM role))
)) AS fingerprint, (SELECT oid FROM role) IS NOT NULL AS role_exists
"""
"""One digest of everything in a schema's catalog, and of its role, that a test could change
and a reset of the data would not put back (see the module's docstring)."""


_TARGET = "__schema_to_reset__"
"""Where the name of the schema to reset goes in the reset statements."""


def _ident(name: str) -> str:
    """Quote an SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


@dataclass
class _Lent:
    """A migrated schema and the application role granted on it."""

    schema: str
    role: str
    password: str
    fingerprint: str = ""


@dataclass
class SchemaPool:
    """Migrated schemas, each with its application role, lent to one test at a time.

    ``lend()`` gives a schema as fresh as one just migrated and granted, and takes it back;
    see the module's docstring for how it is reset and when it is dropped instead. Made
    once per test run (a session fixture), on the owner's ``server_url``; ``close()`` drops
    everything it made.
    """

    server_url: str
    _free: list[_Lent] = field(default_factory=list)
    _made: list[_Lent] = field(default_factory=list)
    _template: str | None = None
    _reset: str | None = None
    _superuser: bool | None = None
    _conn: psycopg.Connection[Any] | None = None

    @contextmanager
    def lend(self) -> Iterator[tuple[str, str]]:
        """(application URL, owner URL) of a freshly migrated schema, for the block."""
        if not self._can_reset():
            with schema(self.server_url) as owner, app_role(owner) as app:
                yield app, owner
            return
        lent = self._take()
        owner = in_schema(self.server_url, lent.schema)
        try:
            yield as_user(owner, lent.role, lent.password), owner
        finally:
            self._free.append(lent)

    def close(self) -> None:
        """Drop every schema and role the pool made, and its template."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        with psycopg.connect(self.server_url, autocommit=True) as conn:
            conn.execute("SET lock_timeout = '30s'")
            for lent in self._made:
                self._drop(conn, lent)
            if self._template is not None:
                conn.execute(f"DROP SCHEMA {_ident(self._template)} CASCADE")
        self._made.clear()
        self._free.clear()

    def _can_reset(self) -> bool:
        """Whether the server lets the pool reset schemas (it takes a superuser)."""
        if self._superuser is None:
            with psycopg.connect(self.server_url, autocommit=True) as conn:
                row = conn.execute(
                    "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"
                ).fetchone()
            self._superuser = bool(row and row[0])
        return self._superuser

    def _take(self) -> _Lent:
        """A free schema reset to its migrated state, or a new one."""
        while self._free:
            lent = self._free.pop()
            conn = self._connection()
            try:
                # no session of an earlier test may act on the schema after this
                conn.execute(
                    "SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity "
                    "WHERE usename = %s",
                    (lent.role,),
                )
                row = conn.execute(
                    _FINGERPRINT, {"schema": lent.schema, "role": lent.role}
                ).fetchone()
                if row is not None and row[0] == lent.fingerprint:
                    conn.execute(self._reset_sql(lent.schema))
                    conn.commit()
                    return lent
            except BaseException:
                conn.rollback()
                raise
            conn.rollback()
            conn.autocommit = True
            try:
                self._drop(conn, lent)  # an earlier test changed it: not reused
            finally:
                conn.autocommit = False
            self._made.remove(lent)
        return self._make()

    def _connection(self) -> psycopg.Connection[Any]:
        """The pool's connection as the owner, one for the run: connecting costs more than a reset."""
        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(self.server_url)
            self._conn.execute("SET lock_timeout = '30s'")
            self._conn.commit()
        return self._conn

    def _make(self) -> _Lent:
        """A new schema, migrated, and a new role granted on it; fingerprinted."""
        lent = _Lent(
            schema=f"test_{uuid.uuid4().hex[:16]}",
            role=f"test_app_{uuid.uuid4().hex[:12]}",
            password=secrets.token_urlsafe(24),
        )
        with psycopg.connect(self.server_url, autocommit=True) as conn:
            conn.execute(
                f"CREATE SCHEMA {_ident(lent.schema)}; "
                f"CREATE ROLE {_ident(lent.role)} LOGIN PASSWORD '{lent.password}'"
            )
        self._made.append(lent)
        database = connect(in_schema(self.server_url, lent.schema))
        try:
            migrate(database)
            grant_app_role(database, lent.role)
        finally:
            database.close()
        conn = self._connection()
        row = conn.execute(_FINGERPRINT, {"schema": lent.schema, "role": lent.role}).fetchone()
        assert row is not None and row[1], f"the pool's role {lent.role} is missing"
        lent.fingerprint = row[0]
        # the template's rows, as after every reset: each test sees the same migration rows
        conn.execute(self._reset_sql(lent.schema))
        conn.commit()
        return lent

    def _reset_sql(self, name: str) -> str:
        """The statements that put schema ``name`` back as the template schema is."""
        if self._reset is None:
            self._reset = self._reset_template()
        return self._reset.replace(_TARGET, _ident(name))

    def _reset_template(self) -> str:
        """Migrate the template schema once; return its reset statements for :data:`_TARGET`.

        Every table is emptied (DELETE: on tables this small cheaper than TRUNCATE's new
        files), the triggers that refuse deletions bypassed; the template's rows are copied
        back (identity columns' values too); each sequence is set where the template's is.
        """
        self._template = f"test_template_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.server_url, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {_ident(self._template)}")
        database = connect(in_schema(self.server_url, self._template))
        try:
            migrate(database)
        finally:
            database.close()
        template = _ident(self._template)
        statements = ["SET LOCAL session_replication_role = replica"]
        with psycopg.connect(self.server_url, autocommit=True) as conn:
            tables = conn.execute(
                "SELECT c.relname, array_agg(a.attname ORDER BY a.attnum) "
                "FILTER (WHERE a.attgenerated = '') "
                "FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid "
                "AND a.attnum > 0 AND NOT a.attisdropped "
                "WHERE c.relnamespace = %s::regnamespace AND c.relkind IN ('r', 'p') "
                "GROUP BY c.relname ORDER BY c.relname",
                (self._template,),
            ).fetchall()
            for table, columns in tables:
                statements.append(f"DELETE FROM {_TARGET}.{_ident(table)}")  # noqa: S608 - catalog names
                has_rows = conn.execute(
                    f"SELECT EXISTS (SELECT FROM {template}.{_ident(table)})"  # noqa: S608 - catalog names
                ).fetchone()
                if has_rows and has_rows[0]:
                    listed = ", ".join(_ident(column) for column in columns)
                    statements.append(
                        f"INSERT INTO {_TARGET}.{_ident(table)} ({listed}) "  # noqa: S608 - catalog names
                        f"OVERRIDING SYSTEM VALUE SELECT {listed} FROM {template}.{_ident(table)}"
                    )
            for sequence, value, called in conn.execute(
                "SELECT sequencename, COALESCE(last_value, start_value), last_value IS NOT NULL "
                "FROM pg_sequences WHERE schemaname = %s ORDER BY sequencename",
                (self._template,),
            ).fetchall():
                qualified = f"{_TARGET}.{_ident(sequence)}"
                statements.append(
                    f"SELECT setval('{qualified}', {int(value)}, {'true' if called else 'false'})"
                )
        return ";\n".join(statements)

    @staticmethod
    def _drop(conn: psycopg.Connection[Any], lent: _Lent) -> None:
        """Drop a lent schema and its role, if a test has not (``conn`` in autocommit)."""
        conn.execute(f"DROP SCHEMA IF EXISTS {_ident(lent.schema)} CASCADE")
        found = conn.execute(
            "SELECT count(pg_terminate_backend(a.pid, 10000)), bool_or(r.rolname IS NOT NULL) "
            "FROM (SELECT %s AS name) n LEFT JOIN pg_roles r ON r.rolname = n.name "
            "LEFT JOIN pg_stat_activity a ON a.usename = n.name",
            (lent.role,),
        ).fetchone()
        if found is not None and found[1]:
            conn.execute(f"DROP OWNED BY {_ident(lent.role)}; DROP ROLE {_ident(lent.role)}")
