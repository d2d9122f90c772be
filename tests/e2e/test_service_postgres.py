"""Two replicas of a generated service on one real PostgreSQL keep one complete audit chain.

The service (claims triage) is rendered, installed from its constraints, migrated with its
own ``migrate`` command and served by two uvicorn processes on one database, as two pods
behind a load balancer are. A few hundred decisions go to both at once; then every decision
is stored once with exactly one audit record, and ``<name>-audit verify`` finds the chain
intact. The server is a throwaway cluster started by the generated repo's own test helper
(``tests/postgres.py``; as root, it runs as the ``postgres`` user).
"""

from __future__ import annotations

import hashlib
import http.client
import json
import socket
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SPECS
from tests.e2e.environments import RepoEnv, repo_group
from tests.tools import require_postgres

SPEC = SPECS / "claims-triage.yaml"
pytestmark = [pytest.mark.e2e, repo_group(SPEC)]
DECISIONS = 300
CONNECTIONS = 12
_DATABASE = """
import sys
from tests import postgres
with postgres.server() as server, postgres.schema(server, migrated=False) as url:
    print(url, flush=True)
    sys.stdin.read()
"""
"""Run in the generated repo: a throwaway cluster and an empty schema, until stdin closes."""
_STORED = """
import json, sys
from {package}.database import connect
database = connect(sys.argv[1])
with database.connect() as conn:
    decisions = conn.execute("SELECT decision_id FROM decisions").fetchall()
    records = conn.execute("SELECT resource FROM audit_log WHERE action = 'decide'").fetchall()
database.close()
print(json.dumps({{"decisions": [r["decision_id"] for r in decisions],
                  "records": [r["resource"] for r in records]}}))
"""
"""Run in the generated repo: the stored decisions, and the resources of decide records."""
_BODY = "import json; from tests.support import sample_inputs; print(json.dumps(sample_inputs()))"


@pytest.fixture(scope="module")
def service(installed_repo: Callable[[Path], RepoEnv]) -> RepoEnv:
    """The claims-triage service, rendered and installed from its constraints."""
    return installed_repo(SPEC)


@pytest.fixture(scope="module")
def database_url(service: RepoEnv) -> Iterator[str]:
    """An empty schema on a throwaway PostgreSQL cluster, for this module."""
    require_postgres()
    with subprocess.Popen(
        [service.python, "-c", _DATABASE],
        cwd=service.repo,
        env=service.env(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as helper:
        assert helper.stdout is not None and helper.stdin is not None
        url = helper.stdout.readline().strip()
        assert url.startswith("postgresql://"), "the generated repo's tests/postgres.py failed"
        try:
            yield url
        finally:
            helper.stdin.close()
            helper.wait(timeout=120)


def _package(repo: Path) -> str:
    (package,) = [p.name for p in (repo / "src").iterdir() if (p / "app.py").is_file()]
    return package


def _key(role: str, who: str) -> str:
    return f"e2e-{role}-{who}"


def _environment(service: RepoEnv, url: str) -> dict[str, str]:
    """The replicas' settings: one database URL, API keys for every role and two people."""
    package = _package(service.repo)
    prefix = package.upper() + "_"
    permissions = json.loads((service.repo / "src" / package / "project.json").read_text())
    keys = [
        {"sha256": hashlib.sha256(_key(role, who).encode()).hexdigest(), "actor": f"{role}-{who}",
         "role": role}
        for role in permissions["permissions"]
        for who in ("a", "b")
    ]  # fmt: skip
    return {
        **service.env(),
        f"{prefix}ENVIRONMENT": "test",
        f"{prefix}PRIVACY_SALT": "e2e-replicas-salt",
        f"{prefix}API_KEYS": json.dumps(keys),
        f"{prefix}DATABASE_URL": url,
    }


def _role(service: RepoEnv, permission: str) -> str:
    package = _package(service.repo)
    permissions = json.loads((service.repo / "src" / package / "project.json").read_text())
    return next(str(r) for r, can in permissions["permissions"].items() if permission in can)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def _replica(service: RepoEnv, env: dict[str, str], folder: Path) -> Iterator[int]:
    """Serve the app with uvicorn on a free port until the block ends; yield the port."""
    folder.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    command = [
        service.python, "-m", "uvicorn", "--factory", f"{_package(service.repo)}.app:create_app",
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
    ]  # fmt: skip
    log = folder / "stderr.log"
    with (
        log.open("w") as stderr,
        subprocess.Popen(command, cwd=folder, env=env, stderr=stderr) as process,
    ):
        try:
            deadline = time.monotonic() + 60
            while _status(port, "GET", "/healthz")[0] != 200:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"a replica did not start: {log.read_text()[-2000:]}")
                time.sleep(0.1)
            yield port
        finally:
            process.terminate()
            process.wait(timeout=30)


def _status(
    port: int, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, Any]]:
    """Send one request; return the status and the JSON body (0 when nothing answers)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(
            method,
            path,
            body=None if body is None else json.dumps(body),
            headers={"Content-Type": "application/json", **(headers or {})},
        )
        response = conn.getresponse()
        data = response.read()
        return response.status, (json.loads(data) if data.startswith(b"{") else {})
    except OSError:
        return 0, {}
    finally:
        conn.close()


def test_two_replicas_on_one_postgresql_keep_one_complete_verifiable_chain(
    service: RepoEnv, database_url: str, tmp_path: Path
) -> None:
    """Concurrent decisions across two replicas: each stored once, audited once, chain intact."""
    env = _environment(service, database_url)
    name = service.repo.name
    migrated = subprocess.run(
        [str(service.bin / name), "migrate"], env=env, capture_output=True, text=True, check=False
    )
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    inputs = json.loads(service.ok([service.python, "-c", _BODY]))
    requester, reviewer = _role(service, "request"), _role(service, "review")
    lock = threading.Lock()
    answers: list[tuple[int, int, dict[str, Any]]] = []

    with ExitStack() as stack:
        ports = [stack.enter_context(_replica(service, env, tmp_path / f"r{n}")) for n in (1, 2)]

        def decide(n: int, extra: dict[str, str] | None = None) -> None:
            port = ports[n % 2]
            status, body = _status(
                port,
                "POST",
                "/v1/decisions",
                {"subject_id": f"subject-{n}", "inputs": inputs},
                {"X-API-Key": _key(requester, "a"), **(extra or {})},
            )
            with lock:
                answers.append((port, status, body))

        with ThreadPoolExecutor(CONNECTIONS) as pool:
            list(pool.map(decide, range(DECISIONS)))
            # one retried request reaching both replicas at once is still one decision
            retried = {"Idempotency-Key": "e2e-retry-1"}
            list(pool.map(lambda _: decide(0, retried), range(6)))
        assert [status for _, status, _ in answers] == [201] * (DECISIONS + 6)
        assert {port for port, _, _ in answers} == set(ports)
        retries = {body["decision_id"] for _, _, body in answers[DECISIONS:]}
        assert len(retries) == 1

        pending = next(b["decision_id"] for _, _, b in answers if b["status"] == "pending_review")
        with ThreadPoolExecutor(6) as pool:
            approvals = list(
                pool.map(
                    lambda n: _status(
                        ports[n % 2],
                        "POST",
                        f"/v1/reviews/{pending}/approve",
                        {},
                        {"X-API-Key": _key(reviewer, "b")},
                    )[0],
                    range(6),
                )
            )
        assert sorted(approvals) == [200] + [409] * 5  # exactly one replica resolves it

    sent = {body["decision_id"] for _, _, body in answers}
    assert len(sent) == DECISIONS + 1
    stored = json.loads(
        service.ok([service.python, "-c", _STORED.format(package=_package(service.repo)),
                    database_url])
    )  # fmt: skip
    assert set(stored["decisions"]) == sent
    assert len(stored["decisions"]) == len(sent)
    assert Counter(stored["records"]) == Counter(f"decision/{d}" for d in sent)

    verify = subprocess.run(
        [str(service.bin / f"{name}-audit"), "verify"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr
    # the decisions, the approval, and the five losing approvals (audited as conflicts)
    assert verify.stdout.startswith(f"ok: {len(sent) + 1 + 5} records")
