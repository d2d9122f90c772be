"""Throughput of the generated assistant's ``POST /v1/chat``: its safeguards on against off.

An assistant project is rendered from benefits-enquiry-assistant and installed, from its
constraints, into an environment of its own; each repetition starts a fresh uvicorn server
on 127.0.0.1 (a fresh SQLite database, the sample corpus ingested), warms it up, then a
load process asks one answerable question over keep-alive connections: a fixed number of
requests within a time limit. "On" is the app as generated (guardrails, budgets reserved
and settled in the database, the audit chain, Prometheus metrics); "off" is the same
endpoint with those four taken out (see ``benchmarks/_assistant.py``). Both run on the
deterministic fake model (no provider is configured), which composes its answer from the
retrieved passages and cites them.

Every request must be a real answer (200, status "answered"): a refusal, hand-off, 429 or
error fails the figure. The requests are spread over enough API keys (residents) that no
one's daily budget can be reached by the benchmark's questions, so the budget checks run
in full and never refuse.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Any

import yaml

from benchmarks._core import REPO_ROOT, BenchError, Figure, interleaved, run
from benchmarks._genai import api_keys, keys_needed
from benchmarks.service import Service, child_server, free_port, prepare, sqlite_audit_rows

SPEC = REPO_ROOT / "specs" / "benefits-enquiry-assistant.yaml"
QUESTION = "Who holds the pager for the week, and when should I page the SRE lead?"
"""Answered from the sample corpus that ships with every assistant (corpus/escalation.md)."""
WORST_PROMPT_TOKENS = 8000
"""A generous bound on one question's prompt (question, instructions, framed passages)."""
WARMUP = 50


def measure(
    repetitions: int, requests: int = 2000, connections: int = 8, seconds: float = 60.0
) -> list[Figure]:
    """Answers per second with the safeguards on and off, alternated, medians."""
    with tempfile.TemporaryDirectory(prefix="bench-assistant-") as tmp:
        work = Path(tmp)
        service = prepare(work, SPEC, "assistant")
        pool = api_keys(keys_needed(requests + WARMUP, worst_usd(service), daily_cap(service)),
                        request_role(service))  # fmt: skip
        audit_counts: dict[str, list[int]] = {"on": [], "off": []}
        statuses: dict[str, dict[str, int]] = {}

        def measure_once(mode: str) -> float:
            data = work / f"data-{mode}-{time.monotonic_ns()}"
            data.mkdir()
            port = free_port()
            cmd = [str(service.python), "-m", "benchmarks._assistant", "serve", service.package,
                   mode, str(port), str(service.project / "corpus")]  # fmt: skip
            with child_server(cmd, environment(service, data, pool), data, port, mode):
                for count in (WARMUP, requests):
                    result = load(port, pool, count, connections, seconds)
                    for status, seen in result["statuses"].items():
                        statuses.setdefault(mode, {})
                        statuses[mode][status] = statuses[mode].get(status, 0) + int(seen)
                    if result["errors"] or result["answered"] < count:
                        raise BenchError(
                            f"assistant {mode}: {result['answered']} of {count} requests answered "
                            f"within {seconds:g} s; statuses {result['statuses']}"
                        )
            audit_counts[mode].append(sqlite_audit_rows(data / "genai.sqlite3"))
            return float(result["rps"])

        rates = interleaved(
            {"on": partial(measure_once, "on"), "off": partial(measure_once, "off")},
            repetitions,
            warmup=0,
        )
    return [
        Figure(
            key="assistant",
            title="assistant answers/s, guardrails + budget + audit + metrics",
            a_label="on",
            b_label="off",
            unit="answers/s",
            a=rates["on"],
            b=rates["off"],
            budget=0.8,
            budget_op=">=",
            notes=[
                f"{requests} POST {service.package}/v1/chat per run ({connections} keep-alive "
                f"connections, limit {seconds:g} s, {len(pool)} API keys in turn), after "
                f"{WARMUP} warm-up requests, on the fake model; every one answered with "
                "citations (statuses seen: "
                + "; ".join(f"{mode} {seen}" for mode, seen in statuses.items())
                + ")",
                "audit: each answer's record is committed (SQLite WAL, synchronous=FULL) "
                "before the response; budgets: the worst case is reserved in a commit before "
                "the model call and settled in the audit record's commit (concurrent answers' "
                "reservations and records share group commits)",
                f"audit rows per run (ingest and warm-up included) on: {audit_counts['on']}, "
                f"off: {audit_counts['off']}",
            ],
        )
    ]


def _spec(service: Service) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((service.project / "spec.yaml").read_text())
    return data


def worst_usd(service: Service) -> float:
    """A generous worst case of one answer's model call, at the primary model's prices."""
    genai = _spec(service)["genai"]
    price = genai["models"][0].get("price_per_mtok") or {"input": 0.0, "output": 0.0}
    out = int(genai["limits"]["max_output_tokens"])
    return (WORST_PROMPT_TOKENS * float(price["input"]) + out * float(price["output"])) / 1e6


def daily_cap(service: Service) -> float | None:
    """The spec's per-person daily budget in USD (None: no cap)."""
    cap = _spec(service)["genai"]["limits"].get("max_usd_per_user_per_day")
    return None if cap is None else float(cap)


def request_role(service: Service) -> str:
    """A role that may ask questions (``request`` in spec.yaml's ``users[].can``)."""
    project_json = service.project / "src" / service.package / "project.json"
    permissions = json.loads(project_json.read_text())["permissions"]
    return str(next(role for role, can in permissions.items() if "request" in can))


def environment(service: Service, data: Path, pool: list[tuple[str, str, str]]) -> dict[str, str]:
    """The server's settings: the key pool, a SQLite file in ``data``, the project's prompts."""
    prefix = service.package.upper() + "_"
    role = request_role(service)
    keys = [{"sha256": digest, "actor": actor, "role": role} for _key, digest, actor in pool]
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(prefix)},
        "PYTHONPATH": os.pathsep.join([str(service.project / "src"), str(REPO_ROOT)]),
        f"{prefix}ENVIRONMENT": "test",
        f"{prefix}DATABASE": str(data / "genai.sqlite3"),
        f"{prefix}PROMPTS_DIR": str(service.project / "prompts"),
        f"{prefix}CORPUS_DIR": str(service.project / "corpus"),
        f"{prefix}API_KEYS": json.dumps(keys),
    }


def load(
    port: int,
    pool: list[tuple[str, str, str]],
    requests: int,
    connections: int,
    seconds: float,
) -> dict[str, Any]:
    """Ask :data:`QUESTION` ``requests`` times over ``connections``; the counts."""
    keys = ",".join(key for key, _digest, _actor in pool)
    cmd = [sys.executable, "-m", "benchmarks._assistant", "load", str(port), keys,
           str(requests), str(connections), str(seconds), QUESTION]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    done = run(cmd, env=env, timeout=seconds + 120)
    return dict(json.loads(done.stdout))
