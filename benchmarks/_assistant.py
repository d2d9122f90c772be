"""Serve a generated assistant, or load it with questions (run by the assistant figure).

``python -m benchmarks._assistant serve PACKAGE MODE PORT CORPUS`` ingests the folder
CORPUS through the generated ``ingest`` (what ``<name> ingest`` does), then serves the app
that ``PACKAGE.app:create_app`` builds with uvicorn on 127.0.0.1. MODE ``on`` is the app as
generated; ``off`` is the same app and endpoint with these features taken out, without
changing the generated code (a comma-separated MODE such as ``guardrails,audit`` keeps only
the features it names, to see what each costs):

- guardrails: the runtime's guard is a pass-through: no prompt-injection patterns on the
  question or on the retrieved passages, no PII redaction (Presidio's recognisers) of the
  question or of the answer, no grounded-citation, canary or verbatim-leak check of the
  answer; every verdict is "pass" (and none is recorded);
- budget: the gateway has no budgets: no reservation of the worst case before the model
  call (a durable commit of its own, or a share of a concurrent group commit) and no
  settlement after it (which rides the audit record's commit when audit is on);
- audit: ``runtime.audit`` records nothing (no hash-chained, MAC'd record per answer);
- metrics: the request middleware (request id, body-size limit, request counts and latency)
  is removed and every metric (tokens, cost, calls, verdicts, answers) is a no-op.

Kept in both: API-key authentication and roles, the kill-switch check, locked prompts,
retrieval over the ingested corpus and the abstention rule, the fake model through
pydantic-ai with its OpenTelemetry instrumentation (no tracer provider is configured, so
spans go nowhere), citations and the response model.

``python -m benchmarks._assistant load PORT KEYS REQUESTS CONNECTIONS SECONDS QUESTION``
posts QUESTION to ``/v1/chat`` over keep-alive connections (one thread each), each request
with the next API key of the comma-separated KEYS, until REQUESTS are answered or SECONDS
have passed, and prints one JSON line: requests, answered, errors (any answer other than
200 with status "answered"), the statuses seen, seconds, answers per second.
"""

from __future__ import annotations

import http.client
import importlib
import itertools
import json
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from benchmarks._service import _NoAudit, _Null

CHAT = "/v1/chat"
FEATURES = frozenset({"guardrails", "budget", "audit", "metrics"})


class _PassGuard:
    """A guard that checks nothing: every text passes unchanged, no verdict is recorded."""

    def __init__(self, real: Any, guardrails: Any) -> None:
        self._real, self._g = real, guardrails
        self.config, self.metrics = real.config, real.metrics

    @property
    def refuses(self) -> bool:
        """As configured (only consulted after a violation, which never happens here)."""
        return bool(self._real.refuses)

    def check_input(self, text: str) -> Any:
        """The text as given."""
        return self._g.Checked(text)

    def check_untrusted(self, text: str, stage: str, source: str) -> Any:
        """A pass verdict, without looking."""
        del text
        return self._g.Verdict("prompt-injection", stage, "pass", (source,))

    def check_output(self, answer: str, **_checks: Any) -> Any:
        """The answer as given."""
        return self._g.Checked(answer)


def kept_features(mode: str) -> frozenset[str]:
    """The features a MODE keeps: all for ``on``, none for ``off``, else the named ones.

    Raises:
        ValueError: a named feature is not one of :data:`FEATURES`.
    """
    if mode == "on":
        return FEATURES
    named = frozenset(mode.split(",")) - {"off", ""}
    if named - FEATURES:
        raise ValueError(f"unknown features {sorted(named - FEATURES)}; known: {sorted(FEATURES)}")
    return named


def build_app(package: str, mode: str, corpus: Path) -> Any:
    """The app of the generated ``package`` with ``corpus`` ingested, features per ``mode``."""
    app_module = importlib.import_module(f"{package}.app")
    ingest = importlib.import_module(f"{package}.ingest")
    guardrails = importlib.import_module(f"{package}.guardrails")
    app = app_module.create_app()
    services = app.state.services
    rt = services.runtime
    ingest.ingest(rt, corpus, actor="benchmark", role="operator")
    kept = kept_features(mode)
    if "guardrails" not in kept:
        rt.guard = _PassGuard(rt.guard, guardrails)
    if "budget" not in kept:
        rt.gateway.budgets = None
    if "audit" not in kept:
        rt.audit = services.audit = _NoAudit(rt.audit)
    if "metrics" not in kept:
        null = _Null()
        rt.metrics = services.metrics = rt.gateway.metrics = null
        rt.guard.metrics = null
        observe = getattr(app_module, "ObserveMiddleware", None)
        app.user_middleware = [m for m in app.user_middleware if m.cls is not observe]
    return app


def serve(package: str, mode: str, port: int, corpus: Path) -> None:
    """Serve the app on 127.0.0.1:port until killed."""
    import uvicorn

    uvicorn.run(
        build_app(package, mode, corpus),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
    )


def load(
    port: int, keys: list[str], requests: int, connections: int, seconds: float, question: str
) -> dict[str, Any]:
    """Post ``question`` until ``requests`` are answered or ``seconds`` pass; the counts."""
    body = json.dumps({"message": question, "conversation_id": None}).encode()
    lock = threading.Lock()
    state = {"sent": 0, "answered": 0, "errors": 0}
    statuses: Counter[str] = Counter()
    next_key = itertools.cycle(keys)
    deadline = time.perf_counter() + seconds

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            while time.perf_counter() < deadline:
                with lock:
                    if state["sent"] >= requests:
                        return
                    state["sent"] += 1
                    key = next(next_key)
                headers = {"Content-Type": "application/json", "X-API-Key": key}
                conn.request("POST", CHAT, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
                seen = str(response.status)
                if response.status == 200:
                    seen = str(json.loads(data).get("status"))
                with lock:
                    statuses[seen] += 1
                    state["answered" if seen == "answered" else "errors"] += 1
        finally:
            conn.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return {
        "requests": state["answered"] + state["errors"],
        "answered": state["answered"],
        "errors": state["errors"],
        "statuses": dict(statuses),
        "seconds": elapsed,
        "rps": state["answered"] / elapsed if elapsed else 0.0,
    }


def main(argv: list[str]) -> int:
    """Dispatch ``serve`` or ``load``."""
    if argv[0] == "serve":
        serve(argv[1], argv[2], int(argv[3]), Path(argv[4]))
        return 0
    port, keys, requests, connections, seconds, question = argv[1:7]
    result = load(
        int(port), keys.split(","), int(requests), int(connections), float(seconds), question
    )
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
