"""``python -m benchmarks [--quick] [--json OUT] [--only KEY ...]``: every figure in one run.

Prints a Markdown table (figure, A median, B median, A/B, budget, pass/fail) with the
machine it ran on, and writes the measurements as JSON (default
``benchmarks/results/latest.json``). Exit status 0 even when a budget is missed: the table
says which, and the notes say what bounds it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks._core import REPO_ROOT, BenchError, Figure, markdown_table, phase_table

DEFAULT_JSON = REPO_ROOT / "benchmarks" / "results" / "latest.json"


@dataclass(frozen=True)
class Plan:
    """How much to measure: repetitions per figure and the size of the loads."""

    startup_reps: int
    render_reps: int
    fleet_reps: int
    fleet_repos: int
    service_reps: int
    service_requests: int
    database_reps: int
    database_requests: int
    green_reps: int
    pipeline_reps: int
    pipeline_rows: int
    assistant_reps: int
    assistant_requests: int
    retrieval_reps: int
    retrieval_passages: int
    retrieval_questions: int
    agent_reps: int
    agent_runs: int


FULL = Plan(
    startup_reps=15,
    render_reps=7,
    fleet_reps=2,
    fleet_repos=20,
    service_reps=5,
    service_requests=2000,
    database_reps=3,
    database_requests=2000,
    green_reps=3,
    pipeline_reps=3,
    pipeline_rows=1_000_000,
    assistant_reps=3,
    assistant_requests=1000,
    retrieval_reps=3,
    retrieval_passages=100_000,
    retrieval_questions=2000,
    agent_reps=3,
    agent_runs=300,
)
QUICK = Plan(
    startup_reps=5,
    render_reps=2,
    fleet_reps=1,
    fleet_repos=4,
    service_reps=2,
    service_requests=300,
    database_reps=1,
    database_requests=300,
    green_reps=1,
    pipeline_reps=1,
    pipeline_rows=100_000,
    assistant_reps=1,
    assistant_requests=200,
    retrieval_reps=1,
    retrieval_passages=20_000,
    retrieval_questions=300,
    agent_reps=1,
    agent_runs=50,
)
FIGURE_KEYS = (
    "startup",
    "new",
    "fleet",
    "service",
    "database",
    "green",
    "pipeline",
    "assistant",
    "retrieval",
    "agent",
)


def build_parser() -> argparse.ArgumentParser:
    """The runner's arguments."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Measure every performance figure against its baseline in one run; "
        "print a Markdown table and write JSON.",
    )
    parser.add_argument(
        "--quick", action="store_true", help="fewer repetitions, repos and requests"
    )
    parser.add_argument(
        "--json",
        type=Path,
        default=DEFAULT_JSON,
        metavar="OUT",
        help=f"write the results here (default: {DEFAULT_JSON.relative_to(REPO_ROOT)})",
    )
    parser.add_argument(
        "--only",
        nargs="+",
        choices=FIGURE_KEYS,
        metavar="KEY",
        help=f"measure only these groups ({', '.join(FIGURE_KEYS)})",
    )
    return parser


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu_model": cpu,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def measurements(plan: Plan) -> dict[str, Callable[[], list[Figure]]]:
    """Each group of figures, measured lazily (each import stays out of the others)."""
    from benchmarks import (
        agent,
        assistant,
        database,
        fleet,
        green,
        pipeline,
        render,
        retrieval,
        service,
        startup,
    )

    return {
        "startup": lambda: startup.measure(plan.startup_reps),
        "new": lambda: render.measure(plan.render_reps),
        "fleet": lambda: fleet.measure(plan.fleet_reps, count=plan.fleet_repos),
        "service": lambda: service.measure(plan.service_reps, requests=plan.service_requests),
        "database": lambda: database.measure(plan.database_reps, requests=plan.database_requests),
        "green": lambda: green.measure(plan.green_reps),
        "pipeline": lambda: pipeline.measure(plan.pipeline_reps, rows=plan.pipeline_rows),
        "assistant": lambda: assistant.measure(
            plan.assistant_reps, requests=plan.assistant_requests
        ),
        "retrieval": lambda: retrieval.measure(
            plan.retrieval_reps,
            passages=plan.retrieval_passages,
            questions=plan.retrieval_questions,
        ),
        "agent": lambda: agent.measure(plan.agent_reps, runs=plan.agent_runs),
    }


def _load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def run_all(plan: Plan, only: Sequence[str] | None) -> tuple[list[Figure], list[str]]:
    """Measure the chosen groups; a group that fails is reported, the others still run."""
    figures: list[Figure] = []
    failures: list[str] = []
    for key, measure in measurements(plan).items():
        if only and key not in only:
            continue
        _say(f"measuring {key} (load average {_load()}) ...")
        started = time.perf_counter()
        before = _load()
        try:
            got = measure()
        except BenchError as err:
            failures.append(f"{key}: {err}")
            _say(f"  {key} failed: {err}")
            continue
        for figure in got:
            figure.notes.append(f"load average (1, 5, 15 min) before: {before}, after: {_load()}")
        figures.extend(got)
        _say(f"  done in {time.perf_counter() - started:.0f} s")
    return figures, failures


def report(figures: Sequence[Figure], failures: Sequence[str], info: dict[str, Any]) -> str:
    """The Markdown report: machine, table, phases and notes."""
    lines = [
        f"Machine: {info['cpus']} CPUs, {info['cpu_model']}, Python {info['python']}, "
        f"{info['date']}",
        "",
        markdown_table(figures),
    ]
    for figure in figures:
        if figure.phases:
            lines += ["", f"{figure.title}, by phase:", "", phase_table(figure)]
    notes = [(f.title, n) for f in figures for n in f.notes]
    if notes:
        lines += ["", "Notes:"]
        lines += [f"- {title}: {note}" for title, note in notes]
    if failures:
        lines += ["", "Failed:"] + [f"- {failure}" for failure in failures]
    return "\n".join(lines)


def _say(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; return 0, or 1 when a group could not be measured."""
    args = build_parser().parse_args(argv)
    plan = QUICK if args.quick else FULL
    info = machine()
    figures, failures = run_all(plan, args.only)
    sys.stdout.write(report(figures, failures, info) + "\n")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "machine": info,
        "quick": args.quick,
        "plan": plan.__dict__,
        "figures": [f.to_json() for f in figures],
        "failures": list(failures),
    }
    args.json.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    _say(f"wrote {args.json}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
