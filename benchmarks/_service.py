"""Serve a generated service, or load it with requests (run by the throughput figure).

``python -m benchmarks._service serve PACKAGE MODE PORT`` serves the app that
``PACKAGE.app:create_app`` builds, with uvicorn on 127.0.0.1. MODE ``on`` is the app as
generated; ``off`` is the same app and endpoint with its production features taken out,
without changing the generated code (a comma-separated MODE such as ``auth,metrics``
keeps only the features it names, to see what each costs):

- auth: the permission dependency of every route is overridden (FastAPI's
  ``dependency_overrides``) by one returning a fixed caller, and the guard that
  authenticates (and bounds the body) before a body is read is removed;
- audit log: ``services.audit.record`` writes nothing (pseudonyms are still computed);
- metrics: the request-metrics middleware is removed and every metric is a no-op.

The decision store, model, drift monitor and request validation stay as they are.

``python -m benchmarks._service load PACKAGE PORTS REQUESTS CONNECTIONS SECONDS`` posts
decisions over keep-alive connections (one thread each, spread over the comma-separated
PORTS: one server, or several replicas) until REQUESTS are answered or SECONDS have
passed, and prints one JSON line: requests, errors, seconds, rps.
"""

from __future__ import annotations

import http.client
import importlib
import json
import math
import sys
import threading
import time
from typing import Any

API_KEY = "benchmark-api-key"
DECISIONS = "/v1/decisions"


class _Null:
    """A stand-in that accepts any metric call and does nothing."""

    def __getattr__(self, _name: str) -> _Null:
        return self

    def __call__(self, *_args: Any, **_kwargs: Any) -> _Null:
        return self


class _NoAudit:
    """An audit store that records nothing."""

    def __init__(self, real: Any) -> None:
        self._real = real

    def record(self, *, also: Any = None, **_fields: Any) -> None:
        """Write no record; work meant to commit with it (``also``) commits on its own."""
        if also is not None:
            with self._real.db.transaction() as conn:
                also(conn)

    def append(self, _conn: Any, **_fields: Any) -> None:
        """Write nothing inside the caller's transaction either."""

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def build_app(package: str, mode: str) -> Any:
    """The app of the generated ``package``; with ``mode == "off"`` without its features."""
    app_module = importlib.import_module(f"{package}.app")
    auth = importlib.import_module(f"{package}.auth")
    app = app_module.create_app()
    kept = {"auth", "audit", "metrics"} if mode == "on" else set(mode.split(",")) - {"off"}
    if "auth" not in kept:
        principal = auth.Principal(actor="benchmark", role=_role(package), method="api-key")
        for route in app.routes:
            for dependency in getattr(getattr(route, "dependant", None), "dependencies", []):
                if getattr(dependency.call, "__qualname__", "") == "require.<locals>.dependency":
                    app.dependency_overrides[dependency.call] = lambda: principal
        guard = getattr(importlib.import_module(f"{package}.guard"), "GuardMiddleware", None)
        app.user_middleware = [m for m in app.user_middleware if m.cls is not guard]
    services = app.state.services
    if "audit" not in kept:
        services.audit = _NoAudit(services.audit)
    if "metrics" not in kept:
        services.metrics = _Null()
        observe = {getattr(app_module, n, None) for n in ("ObserveMiddleware", "_observe")}
        app.user_middleware = [
            m
            for m in app.user_middleware
            if m.cls not in observe and m.kwargs.get("dispatch") not in observe
        ]
    return app


def _role(package: str) -> str:
    """A role that may request decisions (from the spec's users[].can)."""
    return str(importlib.import_module(f"{package}.project").roles_with("request")[0])


def request_body(package: str) -> bytes:
    """A valid decision request: every input of the spec's data contract, or its drift features."""
    project = importlib.import_module(f"{package}.project")
    contract = project.contract()
    if contract["typed"]:
        inputs = {item["name"]: _valid(item) for item in contract["inputs"]}
    else:
        inputs = dict.fromkeys(project.drift_features(), 50.0)
        inputs["example_field"] = 1.0
    return json.dumps({"subject_id": "case-42", "inputs": inputs}).encode()


def _valid(item: dict[str, Any]) -> Any:
    """A value the data contract accepts for one input: near 50 where its bounds allow."""
    kind = item["type"]
    if kind in ("number", "integer"):
        low = -1e12 if item.get("min") is None else float(item["min"])
        high = 1e12 if item.get("max") is None else float(item["max"])
        number = min(max(50.0, low), high)
        if kind == "integer":
            return int(min(max(round(number), math.ceil(low)), math.floor(high)))
        return number
    if kind == "category":
        return item["values"][0]
    if kind == "boolean":
        return True
    return f"{item['name']}-1"


def serve(package: str, mode: str, port: int) -> None:
    """Serve the app on 127.0.0.1:port until killed."""
    import uvicorn

    uvicorn.run(
        build_app(package, mode),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
    )


def load(
    package: str, ports: list[int], requests: int, connections: int, seconds: float
) -> dict[str, Any]:
    """Post decisions until ``requests`` are answered or ``seconds`` pass; return the counts.

    Connection ``n`` goes to ``ports[n % len(ports)]``: replicas share the load evenly.
    """
    body = request_body(package)
    headers = {"Content-Type": "application/json", "X-API-Key": API_KEY}
    lock = threading.Lock()
    state = {"sent": 0, "ok": 0, "errors": 0}
    deadline = time.perf_counter() + seconds

    def worker(port: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            while time.perf_counter() < deadline:
                with lock:
                    if state["sent"] >= requests:
                        return
                    state["sent"] += 1
                conn.request("POST", DECISIONS, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                with lock:
                    state["ok" if response.status == 201 else "errors"] += 1
        finally:
            conn.close()

    started = time.perf_counter()
    threads = [
        threading.Thread(target=worker, args=(ports[n % len(ports)],)) for n in range(connections)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    done = state["ok"] + state["errors"]
    return {
        "requests": done,
        "ok": state["ok"],
        "errors": state["errors"],
        "seconds": elapsed,
        "rps": state["ok"] / elapsed if elapsed else 0.0,
    }


def main(argv: list[str]) -> int:
    """Dispatch ``serve`` or ``load``."""
    if argv[0] == "serve":
        serve(argv[1], argv[2], int(argv[3]))
        return 0
    package, ports, requests, connections, seconds = argv[1:6]
    result = load(
        package,
        [int(port) for port in ports.split(",")],
        int(requests),
        int(connections),
        float(seconds),
    )
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
