"""Throughput of the generated service's decision endpoint: features on against off.

A service project is rendered from claims-triage and installed, from its constraints, into
an environment of its own; each repetition starts a fresh uvicorn server on 127.0.0.1
(fresh databases), warms it up, then a load process posts valid decisions over keep-alive
connections: a fixed number of requests within a time limit. "On" is the app as generated
(API-key auth, durable audit log, Prometheus metrics); "off" is the same endpoint with them
taken out (see ``benchmarks/_service.py``). The pieces are shared with
``benchmarks/database.py``.
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
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from benchmarks._core import REPO_ROOT, SPEC, BenchError, Figure, interleaved, run, tool_command
from benchmarks._service import API_KEY

UV = Path(sys.executable).with_name("uv")

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
        service = prepare(work)
        package = service.package
        audit_counts: dict[str, list[int]] = {"on": [], "off": []}
        errors: list[int] = []

        def measure_once(mode: str) -> float:
            data = work / f"data-{mode}-{time.monotonic_ns()}"
            with server(service, mode, data) as port:
                load(service, [port], 50, connections, seconds)  # warm-up
                result = load(service, [port], requests, connections, seconds)
            errors.append(int(result["errors"]))
            audit_counts[mode].append(sqlite_audit_rows(data / "service.sqlite3"))
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


@dataclass(frozen=True)
class Service:
    """A rendered service project and the environment it is installed in."""

    project: Path
    package: str
    python: Path
    name: str
    """The project's name: its console scripts are ``name`` and ``name-audit``."""


def prepare(work: Path, spec: Path = SPEC, folder: str = "service") -> Service:
    """Render ``spec`` (claims-triage) under ``work`` and install it from its constraints (uv).

    Raises:
        BenchError: the render or the install failed.
    """
    project = work / folder
    run([*tool_command(), "new", project, "--spec", spec, "--no-git"])
    venv = work / f"venv-{folder}"
    python = venv / "bin" / "python"
    constraints = project / "constraints.txt"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UV_", "PIP_"))}
    run([UV, "venv", "--quiet", "--python", sys.executable, venv], env=env)
    run(
        [UV, "pip", "install", "--quiet", "--python", python, "--constraint", constraints,
         "--build-constraint", constraints, f"{project}[dev]"],
        env=env,
    )  # fmt: skip
    package = _package(project)
    name = json.loads((project / "src" / package / "project.json").read_text())["name"]
    return Service(project=project, package=package, python=python, name=str(name))


def _package(project: Path) -> str:
    packages = [p.name for p in (project / "src").iterdir() if (p / "app.py").is_file()]
    if len(packages) != 1:
        raise BenchError(f"no single service package in {project / 'src'}: {packages}")
    return packages[0]


def environment(service: Service, data: Path, database_url: str | None = None) -> dict[str, str]:
    """The server's settings: one API key, and a SQLite file in ``data`` or the URL."""
    prefix = service.package.upper() + "_"
    project_json = service.project / "src" / service.package / "project.json"
    permissions = json.loads(project_json.read_text())["permissions"]
    role = next(role for role, can in permissions.items() if "request" in can)
    key = {"sha256": hashlib.sha256(API_KEY.encode()).hexdigest(), "actor": "bench", "role": role}
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(prefix)},
        "PYTHONPATH": os.pathsep.join([str(service.project / "src"), str(REPO_ROOT)]),
        f"{prefix}ENVIRONMENT": "test",
        f"{prefix}DATABASE": str(data / "service.sqlite3"),
        f"{prefix}API_KEYS": json.dumps([key]),
    }
    if database_url is not None:
        env[f"{prefix}DATABASE_URL"] = database_url
    return env


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def server(
    service: Service, mode: str, data: Path, database_url: str | None = None
) -> Iterator[int]:
    """Run the server in a child process; yield its port once it answers; stop it."""
    data.mkdir(parents=True, exist_ok=True)
    port = free_port()
    cmd = [
        str(service.python),
        "-m",
        "benchmarks._service",
        "serve",
        service.package,
        mode,
        str(port),
    ]
    with child_server(cmd, environment(service, data, database_url), data, port, mode):
        yield port


@contextmanager
def child_server(
    cmd: list[str], env: dict[str, str], cwd: Path, port: int, label: str
) -> Iterator[None]:
    """Run ``cmd`` (a server on 127.0.0.1:``port``) until it answers ``/healthz``; stop it after.

    Raises:
        BenchError: the server exited, or did not answer within 60 s.
    """
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                said = proc.stderr.read()[-2000:] if proc.stderr else ""
                raise BenchError(f"the {label} server exited: {said}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise BenchError(f"the {label} server did not start within 60 s") from None
                time.sleep(0.1)
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def load(
    service: Service, ports: list[int], requests: int, connections: int, seconds: float
) -> dict[str, float]:
    """Post ``requests`` decisions over ``connections``, spread over ``ports``; the counts."""
    targets = ",".join(str(port) for port in ports)
    cmd = [sys.executable, "-m", "benchmarks._service", "load", service.package, targets]
    done = run(
        [*cmd, str(requests), str(connections), str(seconds)],
        env=environment(service, service.project),
    )
    return dict(json.loads(done.stdout))


def sqlite_audit_rows(path: Path) -> int:
    """How many audit records a SQLite service database holds."""
    if not path.is_file():
        return 0
    with sqlite3.connect(path) as conn:
        return int(conn.execute("SELECT count(*) FROM audit_log").fetchone()[0])
