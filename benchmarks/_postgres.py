"""A throwaway PostgreSQL cluster for the benchmark, as durable as production.

Unlike the generated repos' test cluster (fsync off, for speed), this one keeps the server's
defaults: ``fsync`` and ``synchronous_commit`` on, so a commit waits for its WAL flush, as
SQLite's ``synchronous=FULL`` waits for its own. It listens only on a Unix socket in its own
temporary folder. PostgreSQL refuses to run as root: as root it runs as ``postgres``.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from benchmarks._core import BenchError


def find_bindir() -> Path | None:
    """The folder of ``initdb`` and ``pg_ctl`` (Debian keeps them off PATH), or None."""
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    pg_config = shutil.which("pg_config")
    if pg_config:
        done = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        if done.returncode == 0:
            candidates.insert(0, Path(done.stdout.strip()))
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)
    return next(
        (d for d in candidates if (d / "initdb").is_file() and (d / "pg_ctl").is_file()), None
    )


@contextmanager
def cluster(max_connections: int = 100) -> Iterator[str]:
    """Run a cluster for the block; yield a URL of its ``postgres`` database.

    Raises:
        BenchError: PostgreSQL is not installed or does not start.
    """
    bindir = find_bindir()
    if bindir is None:
        raise BenchError("PostgreSQL is not installed (Debian: apt-get install postgresql)")
    home = Path(tempfile.mkdtemp(prefix="bench-pg-"))
    user = pwd.getpwnam("postgres") if os.geteuid() == 0 else None
    if user is not None:
        os.chown(home, user.pw_uid, user.pw_gid)
    data, log = home / "data", home / "server.log"

    def run(*args: str) -> None:
        done = subprocess.run(
            args,
            cwd=home,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
            user=None if user is None else user.pw_uid,
            group=None if user is None else user.pw_gid,
            extra_groups=None if user is None else [],
        )
        if done.returncode != 0:
            raise BenchError(f"{args[0]} failed: {done.stderr[-1000:]}")

    try:
        run(str(bindir / "initdb"), "--pgdata", str(data), "--username", "postgres",
            "--auth", "trust", "--encoding", "UTF8", "--locale", "C")  # fmt: skip
        options = f"-h '' -k {home} -c max_connections={max_connections}"
        run(str(bindir / "pg_ctl"), "--pgdata", str(data), "--log", str(log), "--wait",
            "--options", options, "start")  # fmt: skip
        try:
            yield f"postgresql://postgres@/postgres?host={quote(str(home), safe='')}"
        finally:
            run(str(bindir / "pg_ctl"), "--pgdata", str(data), "--mode", "fast", "stop")
    finally:
        shutil.rmtree(home, ignore_errors=True)
