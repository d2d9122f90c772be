"""Runs per second of the generated agent: policy, audit and metrics on against the bare loop.

An agent project is rendered from outage-response-agent and installed, from its
constraints, into an environment of its own. Each repetition is a fresh process (and, for
"on", a fresh SQLite database) that runs a 5-step scripted run over and over after a
warm-up: the fake script model calls four read tools (no approval is needed) and then
writes its report. "On" drives every run through the generated Runs API in-process
(``Runs.start`` and ``Runs.process``, as the worker does); "bare" runs the same
pydantic-ai agent, built once as the generated runs build theirs, with the same model,
prompt and sandbox tool bodies and nothing else (see ``benchmarks/_agent.py``). Every run
must complete with its four tool calls as evidence, or the figure fails.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Any

from benchmarks._core import REPO_ROOT, BenchError, Figure, interleaved, run
from benchmarks.service import Service, prepare, sqlite_audit_rows

SPEC = REPO_ROOT / "specs" / "outage-response-agent.yaml"
STEPS = 5


def measure(repetitions: int, runs: int = 300) -> list[Figure]:
    """Runs per second on and bare, alternated fresh processes, medians."""
    with tempfile.TemporaryDirectory(prefix="bench-agent-") as tmp:
        work = Path(tmp)
        service = prepare(work, SPEC, "agent")
        script = work / "script.json"
        done = run([str(service.python), "-m", "benchmarks._agent", "script", service.package],
                   env=environment(service, work, script))  # fmt: skip
        script.write_text(done.stdout, encoding="utf-8")
        steps = json.loads(done.stdout)
        audit_counts: list[int] = []

        def measure_once(mode: str) -> float:
            data = work / f"data-{mode}-{time.monotonic_ns()}"
            data.mkdir()
            cmd = [str(service.python), "-m", "benchmarks._agent", mode, service.package, str(runs)]
            result: dict[str, Any] = json.loads(
                run(cmd, cwd=data, env=environment(service, data, script)).stdout
            )
            if result["statuses"] != {"completed": runs}:
                raise BenchError(
                    f"agent {mode}: expected {runs} completed runs, got {result['statuses']}"
                )
            if mode == "on":
                audit_counts.append(sqlite_audit_rows(data / "genai.sqlite3"))
            return float(result["rps"])

        rates = interleaved(
            {"on": partial(measure_once, "on"), "bare": partial(measure_once, "bare")},
            repetitions,
            warmup=0,
        )
    tools = ", ".join(step["tool"] for step in steps if "tool" in step)
    return [
        Figure(
            key="agent",
            title=f"agent runs/s, {STEPS}-step scripted run, policy + audit + metrics",
            a_label="on",
            b_label="bare loop",
            unit="runs/s",
            a=rates["on"],
            b=rates["bare"],
            budget=0.7,
            budget_op=">=",
            notes=[
                f"{runs} runs per repetition, one after another in one process after warm-up "
                f"runs, on the fake script model ({tools}, then the report); every run "
                "completed with its four tool calls as evidence",
                "on: Runs.start + Runs.process per run (guardrails on the goal and on each tool "
                "result, kill switch and deadline before each step, budgets reserved and "
                "settled around each model call, tool calls counted before they run, recorded "
                "and audited, the report with its evidence); 7 commits per run (start, a "
                "reservation per model call that also commits the read calls before it and "
                "reads the kill switch, the first with the run's lease claim, the end), each "
                "with SQLite WAL synchronous=FULL (an fsync per commit); no tracer provider is "
                "set, so no spans are made; bare: the pydantic-ai agent alone, built once, "
                "nothing stored",
                f"audit rows per 'on' repetition (warm-up included): {audit_counts}",
            ],
        )
    ]


def environment(service: Service, data: Path, script: Path) -> dict[str, str]:
    """The runs' settings: a SQLite file in ``data``, the script, sandbox tools, the prompts."""
    prefix = service.package.upper() + "_"
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(prefix)},
        "PYTHONPATH": os.pathsep.join([str(service.project / "src"), str(REPO_ROOT)]),
        f"{prefix}ENVIRONMENT": "test",
        f"{prefix}DATABASE": str(data / "genai.sqlite3"),
        f"{prefix}PROMPTS_DIR": str(service.project / "prompts"),
        f"{prefix}TOOLS_MODE": "sandbox",
        f"{prefix}FAKE_MODEL_SCRIPT": str(script),
    }
