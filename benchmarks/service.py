"""Throughput of the generated service's decision endpoint: features on against off.

A service project is rendered from claims-triage; each repetition starts a fresh uvicorn
server on 127.0.0.1 (fresh databases), warms it up, then a load process posts decisions
over keep-alive connections: a fixed number of requests within a time limit. "On" is
the app as generated (API-key auth, durable audit log, Prometheus metrics); "off" is the
same endpoint with them taken out (see ``benchmarks/_service.py``).
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

from benchmarks._core import REPO_ROOT, SPEC, BenchError, Figure, interleaved, run, tool_command
from benchmarks._service import API_KEY

DURABILITY = (
    "audit durability: each decision's audit record is committed (SQLite WAL, "
    "synchronous=FULL: the WAL is fsynced at every commit) before the response is sent; "
    "an acknowledged decision survives a process crash and a power loss"
)


def measure(
    repetitions: int, requests: int = 2000, connections: int = 8, seconds: float = 30.0
) -> list[Figure]:
    """Requests per second with the features on and off, alternated, medians."""
    with tempfile.TemporaryDirectory(prefix="bench-service-") as tmp:
        work = Path(tmp)
        project = work / "service"
        run([*tool_command(), "new", project, "--spec", SPEC, "--no-git"])
        package = _package(project)
        audit_counts: dict[str, list[int]] = {"on": [], "off": []}
        errors: list[int] = []

        def measure_once(mode: str) -> float:
            data = work / f"data-{mode}-{time.monotonic_ns()}"
            with _server(project, package, mode, data) as port:
                _load(project, package, port, 50, connections, seconds)  # warm-up
                result = _load(project, package, port, requests, connections, seconds)
            errors.append(int(result["errors"]))
            audit_counts[mode].append(_audit_rows(data / "audit.sqlite3"))
            return float(result["rps"])

        rates = interleaved(
            {"on": partial(measure_once, "on"), "off": partial(measure_once, "off")},
            repetitions,
            warmup=0,
        )
    return [
        Figure(
            key="service",
            title="service decisions/s, auth + audit + metrics",
            a_label="on",
            b_label="off",
            unit="req/s",
            a=rates["on"],
            b=rates["off"],
            budget=0.85,
            budget_op=">=",
            notes=[
                DURABILITY,
                f"{requests} POST {package}/v1/decisions per run ({connections} keep-alive "
                f"connections, limit {seconds:g} s), after 50 warm-up requests; "
                f"non-201 answers: {sum(errors)}",
                f"audit rows per run (warm-up included) on: {audit_counts['on']}, "
                f"off: {audit_counts['off']}",
            ],
        )
    ]


def _package(project: Path) -> str:
    packages = [p.name for p in (project / "src").iterdir() if (p / "app.py").is_file()]
    if len(packages) != 1:
        raise BenchError(f"no single service package in {project / 'src'}: {packages}")
    return packages[0]


def _env(project: Path, package: str, data: Path) -> dict[str, str]:
    prefix = package.upper() + "_"
    permissions = json.loads((project / "src" / package / "project.json").read_text())[
        "permissions"
    ]
    role = next(role for role, can in permissions.items() if "request" in can)
    key = {"sha256": hashlib.sha256(API_KEY.encode()).hexdigest(), "actor": "bench", "role": role}
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(project / "src"), str(REPO_ROOT)]),
        f"{prefix}ENVIRONMENT": "test",
        f"{prefix}DATABASE": str(data / "service.sqlite3"),
        f"{prefix}API_KEYS": json.dumps([key]),
    }


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def _server(project: Path, package: str, mode: str, data: Path) -> Iterator[int]:
    """Run the server in a child process; yield its port once it answers; stop it."""
    data.mkdir(parents=True)
    port = _free_port()
    cmd = [sys.executable, "-m", "benchmarks._service", "serve", package, mode, str(port)]
    proc = subprocess.Popen(
        cmd, cwd=data, env=_env(project, package, data), stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise BenchError(
                    f"the {mode} server exited: {proc.stderr.read()[-2000:] if proc.stderr else ''}"
                )
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise BenchError(f"the {mode} server did not start within 60 s") from None
                time.sleep(0.1)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _load(
    project: Path, package: str, port: int, requests: int, connections: int, seconds: float
) -> dict[str, float]:
    cmd = [sys.executable, "-m", "benchmarks._service", "load", package, str(port)]
    done = run(
        [*cmd, str(requests), str(connections), str(seconds)],
        env=_env(project, package, project),
    )
    return dict(json.loads(done.stdout))


def _audit_rows(path: Path) -> int:
    if not path.is_file():
        return 0
    with sqlite3.connect(path) as conn:
        return int(conn.execute("SELECT count(*) FROM audit_log").fetchone()[0])
