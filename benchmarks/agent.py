"""Runs per second of the generated agent: policy, audit and metrics on against the bare loop.

An agent project is rendered from outage-response-agent and installed, from its
constraints, into an environment of its own. Each repetition is a fresh process (and, for
"on", a fresh SQLite database) that runs a 5-step scripted run N times after a warm-up: the
fake script model calls four read tools (no approval is needed) and then writes its report.
"On" drives every run through the generated Runs API (``Runs.start`` and ``Runs.process``);
"bare" runs the same pydantic-ai agent, built once as the generated runs build theirs, with
the same model, prompt and sandbox tool bodies and nothing else (see
``benchmarks/_agent.py``). Every run must complete with its four tool calls as evidence, or
the figure fails.

Two figures, both from the same run, repetitions alternated:

* ``agent`` (the goal, >= 0.7x): the agent as deployed. The generated ``Worker`` at its
  default ``worker_threads`` (2) processes the runs while the main thread starts and submits
  each one, as ``POST /v1/runs`` does; its clock stops when ``Worker.stop`` has finished
  every queued run. The bare loop runs both one by one and on as many threads (a pool of 2
  taking runs from one queue); the faster of the two is the baseline. While one worker
  thread waits for a commit's fsync (the GIL released) the other works, and commits arriving
  during a sync share the next one (the audit store's group commit): every run's 7 commits
  are still synced before it is reported.
* ``agent-sequential`` (reported, no goal): one run after another in the main thread, on and
  bare, as before; what a single run costs with nothing to overlap its syncs.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from functools import partial
from pathlib import Path
from statistics import median
from typing import Any

from benchmarks._core import REPO_ROOT, BenchError, Figure, interleaved, run
from benchmarks.service import Service, prepare, sqlite_audit_rows

SPEC = REPO_ROOT / "specs" / "outage-response-agent.yaml"
STEPS = 5


MODES = ("on-worker", "bare-threads", "on", "bare")
"""The processes one repetition runs (see ``benchmarks/_agent.py``)."""


def measure(repetitions: int, runs: int = 300) -> list[Figure]:
    """Runs per second: on (worker) and bare (threads), on and bare one by one; medians."""
    with tempfile.TemporaryDirectory(prefix="bench-agent-") as tmp:
        work = Path(tmp)
        service = prepare(work, SPEC, "agent")
        script = work / "script.json"
        done = run([str(service.python), "-m", "benchmarks._agent", "script", service.package],
                   env=environment(service, work, script))  # fmt: skip
        script.write_text(done.stdout, encoding="utf-8")
        steps = json.loads(done.stdout)
        audit_counts: dict[str, list[int]] = {"on-worker": [], "on": []}
        threads: set[int] = set()

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
            if mode in audit_counts:
                audit_counts[mode].append(sqlite_audit_rows(data / "genai.sqlite3"))
            if mode in ("on-worker", "bare-threads"):
                threads.add(int(result["threads"]))
            return float(result["rps"])

        rates = interleaved(
            {mode: partial(measure_once, mode) for mode in MODES}, repetitions, warmup=0
        )
    tools = ", ".join(step["tool"] for step in steps if "tool" in step)
    (pool,) = threads  # the worker's default, and the bare pool's size
    # the baseline is the bare loop at its best: on two threads under the GIL it may run
    # slower than one by one, and a slower baseline would flatter "on"
    faster_bare = max(rates["bare"], rates["bare-threads"], key=median)
    bare_label = (
        "bare loop (one by one, its faster)"
        if faster_bare is rates["bare"]
        else f"bare loop ({pool} threads, its faster)"
    )
    per_run = (
        "on: Runs.start + Runs.process per run (guardrails on the goal and on each tool "
        "result, kill switch and deadline before each step, budgets reserved and settled "
        "around each model call, tool calls counted before they run, recorded and audited, "
        "the report with its evidence); 7 commits per run (start, a reservation per model "
        "call that also commits the read calls before it and reads the kill switch, the first "
        "with the run's lease claim, the end), each with SQLite WAL synchronous=FULL (an "
        "fsync per commit, shared by the commits that wait for it); no tracer provider is "
        "set, so no spans are made; bare: the pydantic-ai agent alone, built once, nothing "
        "stored"
    )
    checked = (
        f"{runs} runs per repetition after warm-up runs, on the fake script model ({tools}, "
        "then the report); every run checked completed with its four tool calls as evidence "
        "after the clock stopped"
    )
    return [
        Figure(
            key="agent",
            title=f"agent runs/s, {STEPS}-step scripted run, policy + audit + metrics, "
            f"worker ({pool} threads)",
            a_label=f"on (Worker, {pool} threads)",
            b_label=bare_label,
            unit="runs/s",
            a=rates["on-worker"],
            b=faster_bare,
            budget=0.7,
            budget_op=">=",
            notes=[
                checked,
                f"on: the generated Worker at its default worker_threads ({pool}) processes "
                "the runs while the main thread starts and submits each (as POST /v1/runs "
                "does); the clock stops when Worker.stop has finished every queued run; bare: "
                f"a pool of {pool} threads runs the bare loop, taking runs from one queue",
                per_run,
                f"audit rows per 'on' repetition (warm-up included): {audit_counts['on-worker']}",
                "one run after another (no overlap): see agent-sequential, same run: on "
                f"{_fmt(rates['on'])} against bare {_fmt(rates['bare'])} runs/s",
                f"the bare loop one by one against on {pool} threads: {_fmt(rates['bare'])} "
                f"against {_fmt(rates['bare-threads'])} runs/s (the faster is the baseline); "
                f"on (Worker) against the bare loop on {pool} threads: "
                f"{_ratio(rates['on-worker'], rates['bare-threads'])}",
            ],
        ),
        Figure(
            key="agent-sequential",
            title=f"agent runs/s, {STEPS}-step scripted run, policy + audit + metrics, "
            "one run after another",
            a_label="on (one by one)",
            b_label="bare loop (one by one)",
            unit="runs/s",
            a=rates["on"],
            b=rates["bare"],
            notes=[
                checked,
                "reported only (the goal is the agent figure's): each run's 7 synced commits "
                "lie on its own critical path, nothing overlaps them",
                per_run,
                f"audit rows per 'on' repetition (warm-up included): {audit_counts['on']}",
            ],
        ),
    ]


def _fmt(values: list[float]) -> str:
    return ", ".join(f"{value:.0f}" for value in values)


def _ratio(a: list[float], b: list[float]) -> str:
    return f"{median(a) / median(b):.2f}x" if a and b and median(b) else "n/a"


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
