"""The generated service on PostgreSQL: against SQLite, and two replicas against one.

The same project and environment as the throughput figure (``benchmarks/service.py``), the
app as generated (auth, audit, metrics on). A throwaway PostgreSQL cluster with production
durability (``benchmarks/_postgres.py``: a commit waits for its WAL flush, as SQLite's
``synchronous=FULL`` waits for its own) serves a fresh database to each repetition, migrated
by the service's own ``migrate`` command. Three runs alternate: one server on SQLite, one
server on PostgreSQL, and two servers (replicas) on one PostgreSQL database with the load
spread over both. After each PostgreSQL run, every decision must have its audit record.

On a 2-core machine the load generator, the servers and PostgreSQL share the two cores, so
two replicas cannot be expected to double the throughput: the figure records what one
machine shows, not what a cluster of hosts would.
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from benchmarks._core import BenchError, Figure, interleaved, run
from benchmarks._postgres import cluster
from benchmarks.service import Service, environment, load, prepare, server

_COUNT = """
import sys
from {package}.database import connect
database = connect(sys.argv[1])
with database.connect() as conn:
    n = conn.execute("SELECT COUNT(*) AS n FROM decisions").fetchone()["n"]
    a = conn.execute("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'decide'").fetchone()["n"]
database.close()
print(n, a)
"""
"""Run in the service's environment: decisions stored, and their audit records."""


def measure(
    repetitions: int, requests: int = 2000, connections: int = 8, seconds: float = 30.0
) -> list[Figure]:
    """Decisions per second: SQLite, PostgreSQL, two replicas on PostgreSQL; alternated."""
    with (
        tempfile.TemporaryDirectory(prefix="bench-database-") as tmp,
        cluster(max_connections=100) as server_url,
    ):
        work = Path(tmp)
        service = prepare(work)
        counts: dict[str, list[str]] = {"sqlite": [], "postgresql": [], "replicas": []}
        errors: list[int] = []

        def once(backend: str, replicas: int = 1) -> float:
            data = work / f"data-{backend}-{time.monotonic_ns()}"
            url = None if backend == "sqlite" else _fresh_database(service, server_url, data)
            with ExitStack() as stack:
                ports = [
                    stack.enter_context(server(service, "on", data / f"replica-{n}", url))
                    for n in range(replicas)
                ]
                load(service, ports, 50, connections, seconds)  # warm-up
                result = load(service, ports, requests, connections, seconds)
            errors.append(int(result["errors"]))
            key = "sqlite" if url is None else ("replicas" if replicas > 1 else "postgresql")
            counts[key].append(_stored(service, url, data / "replica-0"))
            return float(result["rps"])

        runs: dict[str, Callable[[], float]] = {
            "sqlite": lambda: once("sqlite"),
            "postgresql": lambda: once("postgresql"),
            "replicas": lambda: once("postgresql", replicas=2),
        }
        rates = interleaved(runs, repetitions, warmup=0)
    load_note = (
        f"{requests} POST {service.package}/v1/decisions per run ({connections} keep-alive "
        f"connections, spread over the replicas; limit {seconds:g} s), after 50 warm-up "
        f"requests; non-201 answers: {sum(errors)}"
    )
    return [
        Figure(
            key="service_postgresql",
            title="service decisions/s, PostgreSQL vs SQLite (one server)",
            a_label="PostgreSQL",
            b_label="SQLite",
            unit="req/s",
            a=rates["postgresql"],
            b=rates["sqlite"],
            notes=[
                "both durable: a decision is acknowledged once its audit record's commit is "
                "on disk (PostgreSQL: fsync and synchronous_commit on, a local Unix socket)",
                load_note,
                f"decisions / audit records stored per run (warm-up included): SQLite "
                f"{counts['sqlite']}, PostgreSQL {counts['postgresql']}",
            ],
        ),
        Figure(
            key="service_replicas",
            title="service decisions/s on PostgreSQL, two replicas vs one",
            a_label="two replicas",
            b_label="one",
            unit="req/s",
            a=rates["replicas"],
            b=rates["postgresql"],
            notes=[
                "recorded, not promised: on 2 cores the load generator, both servers and "
                "PostgreSQL share the CPUs, and appends to the one audit chain take turns",
                f"decisions / audit records stored per run: {counts['replicas']}",
            ],
        ),
    ]


def _fresh_database(service: Service, server_url: str, data: Path) -> str:
    """Create an empty database on the cluster and migrate it with the service's command."""
    name = f"bench_{time.monotonic_ns()}"
    run(
        [
            service.python,
            "-c",
            "import sys, psycopg\n"
            "with psycopg.connect(sys.argv[1], autocommit=True) as conn:\n"
            "    conn.execute(f'CREATE DATABASE {sys.argv[2]}')",
            server_url,
            name,
        ]
    )
    parts = urlsplit(server_url)
    url = urlunsplit(parts._replace(path=f"/{name}"))
    command = service.python.with_name(service.name)
    run([command, "migrate"], env=environment(service, data, url))
    return url


def _stored(service: Service, url: str | None, data: Path) -> str:
    """``decisions/records``; raises when a decision lacks its audit record.

    Raises:
        BenchError: the counts differ.
    """
    if url is None:
        with sqlite3.connect(data / "service.sqlite3") as conn:
            decisions, records = (
                str(conn.execute(sql).fetchone()[0])
                for sql in (
                    "SELECT COUNT(*) FROM decisions",
                    "SELECT COUNT(*) FROM audit_log WHERE action = 'decide'",
                )
            )
        conn.close()
    else:
        done = run([service.python, "-c", _COUNT.format(package=service.package), url])
        decisions, records = done.stdout.split()
    if decisions != records:
        raise BenchError(f"{decisions} decisions but {records} decide records in the audit log")
    return f"{decisions}/{records}"
