"""Shared pieces of the benchmark: figures, medians and ratios, paired timing, the table."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

REPO_ROOT = Path(__file__).resolve().parent.parent
SPEC = REPO_ROOT / "specs" / "claims-triage.yaml"

BudgetOp = Literal["<=", ">="]


class BenchError(RuntimeError):
    """A benchmark step failed (a command exited non-zero or produced the wrong result)."""


@dataclass
class Figure:
    """One measured figure: A against its baseline B, taken in the same run.

    ``ratio`` is ``median(A) / median(B)``; the budget says which side of it passes.
    A figure without a budget (``budget is None``) is reported only.
    """

    key: str
    title: str
    a_label: str
    b_label: str
    unit: str
    a: list[float] = field(default_factory=list)
    b: list[float] = field(default_factory=list)
    budget: float | None = None
    budget_op: BudgetOp = "<="
    notes: list[str] = field(default_factory=list)
    phases: dict[str, float] = field(default_factory=dict)

    @property
    def a_median(self) -> float | None:
        """The median of the A measurements."""
        return median(self.a)

    @property
    def b_median(self) -> float | None:
        """The median of the B (baseline) measurements."""
        return median(self.b)

    @property
    def ratio(self) -> float | None:
        """``median(A) / median(B)``, or None without both sides."""
        return ratio(self.a_median, self.b_median)

    @property
    def passed(self) -> bool | None:
        """Whether the ratio is within budget (None when there is no budget or ratio)."""
        return within_budget(self.ratio, self.budget, self.budget_op)

    def to_json(self) -> dict[str, Any]:
        """The figure as plain JSON data."""
        return {
            "key": self.key,
            "title": self.title,
            "unit": self.unit,
            "a": {"label": self.a_label, "runs": self.a, "median": self.a_median},
            "b": {"label": self.b_label, "runs": self.b, "median": self.b_median},
            "ratio": self.ratio,
            "pair_ratios": pair_ratios(self.a, self.b),
            "budget": None if self.budget is None else f"{self.budget_op} {self.budget}",
            "passed": self.passed,
            "phases": self.phases,
            "notes": self.notes,
        }


def median(values: Sequence[float]) -> float | None:
    """The median of ``values`` (None when empty)."""
    return statistics.median(values) if values else None


def ratio(a: float | None, b: float | None) -> float | None:
    """``a / b``, or None when either is missing or ``b`` is zero."""
    if a is None or b is None or b == 0:
        return None
    return a / b


def pair_ratios(a: Sequence[float], b: Sequence[float]) -> list[float]:
    """The ratio of each repetition's A to its B (shows the spread of the noise)."""
    return [x / y for x, y in zip(a, b, strict=False) if y]


def within_budget(value: float | None, budget: float | None, op: BudgetOp) -> bool | None:
    """Whether ``value`` satisfies ``op budget``; None when either is missing."""
    if value is None or budget is None:
        return None
    return value <= budget if op == "<=" else value >= budget


def interleaved(
    runs: Mapping[str, Callable[[], float]], repetitions: int, *, warmup: int = 1
) -> dict[str, list[float]]:
    """Run each measurement ``repetitions`` times, rotating their order every repetition.

    Rotating (A B C, B C A, C A B, ...) spreads slow phases of a shared machine over all
    sides instead of one. Warm-up rounds (caches, bytecode) are run and dropped.
    """
    names = list(runs)
    results: dict[str, list[float]] = {name: [] for name in names}
    for rep in range(warmup + repetitions):
        shift = rep % len(names)
        for name in names[shift:] + names[:shift]:
            value = runs[name]()
            if rep >= warmup:
                results[name].append(value)
    return results


def run(
    cmd: Sequence[str | os.PathLike[str]],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 900,
) -> subprocess.CompletedProcess[str]:
    """Run a command, capturing its output; raise BenchError when it fails."""
    try:
        done = subprocess.run(
            [str(c) for c in cmd],
            cwd=cwd,
            env=None if env is None else dict(env),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        raise BenchError(f"{' '.join(map(str, cmd))}: {err}") from err
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-15:]
        raise BenchError(f"{' '.join(map(str, cmd))} exited {done.returncode}:\n" + "\n".join(tail))
    return done


def timed(
    cmd: Sequence[str | os.PathLike[str]],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> float:
    """Wall time in seconds of a whole process, from start to exit (it must succeed)."""
    started = time.perf_counter()
    run(cmd, cwd=cwd, env=env)
    return time.perf_counter() - started


def tool_command() -> list[str]:
    """The ``new-ai-project`` command of this interpreter's environment."""
    script = Path(sys.executable).with_name("new-ai-project")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "generator"]


def format_value(value: float | None, unit: str) -> str:
    """A measurement for the table: ``0.123 s``, ``4.6 ms``, rates as ``812 req/s``."""
    if value is None:
        return "—"
    if unit == "s":
        return f"{value:.3f} s"
    if unit == "ms":
        return f"{value:.1f} ms"
    return f"{value:,.0f} {unit}"


def format_ratio(figure: Figure) -> str:
    """The ratio for the table (two decimals and x)."""
    return "—" if figure.ratio is None else f"{figure.ratio:.2f}x"


def format_budget(figure: Figure) -> str:
    """The budget for the table: ``≤ 1.25x``, ``≥ 0.85x`` or ``none``."""
    if figure.budget is None:
        return "none (reported)"
    sign = "≤" if figure.budget_op == "<=" else "≥"
    return f"{sign} {figure.budget:g}x"


def format_result(figure: Figure) -> str:
    """``pass``, ``FAIL`` or ``—`` for a figure without budget."""
    return {True: "pass", False: "FAIL", None: "—"}[figure.passed]


def markdown_table(figures: Sequence[Figure]) -> str:
    """The figures as a Markdown table: figure, A median, B median, ratio, budget, result."""
    lines = [
        "| Figure | A (median) | B, baseline (median) | A/B | Budget | Result |",
        "|---|---|---|---|---|---|",
    ]
    for fig in figures:
        a = f"{fig.a_label}: {format_value(fig.a_median, fig.unit)}"
        b = f"{fig.b_label}: {format_value(fig.b_median, fig.unit)}" if fig.b else "—"
        cells = [fig.title, a, b, format_ratio(fig), format_budget(fig), format_result(fig)]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(lines)


def phase_table(figure: Figure) -> str:
    """A figure's phases (seconds each) as a Markdown table."""
    total = sum(figure.phases.values()) or 1.0
    lines = ["| Phase | Time | Share |", "|---|---|---|"]
    for name, seconds in figure.phases.items():
        lines.append(f"| {_cell(name)} | {seconds:.1f} s | {seconds / total:.0%} |")
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
