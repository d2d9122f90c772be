"""The benchmark runner's pieces: medians, ratios, budgets, the table and the command line.

No timing is asserted here, and no benchmark is run: ``python -m benchmarks`` does that.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import __main__ as runner
from benchmarks._core import (
    BenchError,
    Figure,
    interleaved,
    markdown_table,
    median,
    pair_ratios,
    phase_table,
    ratio,
    run,
    within_budget,
)


def _figure(**changes: object) -> Figure:
    """A figure with fixed measurements."""
    values: dict[str, object] = {
        "key": "new",
        "title": "`new`",
        "a_label": "new",
        "b_label": "copier",
        "unit": "s",
        "a": [1.0, 3.0, 2.0],
        "b": [2.0, 2.0, 1.0],
        "budget": 1.25,
        "budget_op": "<=",
    }
    values.update(changes)
    return Figure(**values)  # type: ignore[arg-type]


def test_median_of_odd_and_even_counts() -> None:
    """median() is the middle value, or the mean of the two middle values."""
    assert (median([3.0, 1.0, 2.0]), median([4.0, 1.0, 2.0, 3.0])) == (2.0, 2.5)


def test_median_of_nothing_is_none() -> None:
    """median() of no measurements is None, not an error."""
    assert median([]) is None


def test_ratio_needs_both_sides_and_a_nonzero_baseline() -> None:
    """ratio() is a / b, and None when a side is missing or b is zero."""
    assert (ratio(3.0, 2.0), ratio(None, 2.0), ratio(1.0, 0.0)) == (1.5, None, None)


def test_pair_ratios_are_per_repetition() -> None:
    """pair_ratios() divides each A by the B of the same repetition."""
    assert pair_ratios([2.0, 3.0], [1.0, 2.0]) == [2.0, 1.5]


@pytest.mark.parametrize(
    ("value", "budget", "op", "expected"),
    [
        (1.25, 1.25, "<=", True),
        (1.26, 1.25, "<=", False),
        (1.7, 1.7, ">=", True),
        (0.84, 0.85, ">=", False),
        (None, 1.0, "<=", None),
        (1.0, None, "<=", None),
    ],
)
def test_within_budget(
    value: float | None, budget: float | None, op: str, expected: object
) -> None:
    """A ratio passes an upper budget at or below it, a lower budget at or above it."""
    assert within_budget(value, budget, op) is expected  # type: ignore[arg-type]


def test_figure_ratio_is_the_ratio_of_medians() -> None:
    """A figure's ratio is median(A) / median(B), and the budget judges it."""
    figure = _figure()
    assert (figure.a_median, figure.b_median, figure.ratio, figure.passed) == (
        2.0,
        2.0,
        1.0,
        True,
    )


def test_table_row_shows_medians_ratio_budget_and_result() -> None:
    """The Markdown row of a figure over budget shows both medians, the ratio and FAIL."""
    table = markdown_table([_figure(a=[3.0])])
    assert table.splitlines()[2] == (
        "| `new` | new: 3.000 s | copier: 2.000 s | 1.50x | ≤ 1.25x | FAIL |"
    )


def test_table_escapes_pipes_in_cells() -> None:
    """A pipe in a title cannot break the table's columns."""
    table = markdown_table([_figure(title="a | b")])
    assert "| a \\| b |" in table.splitlines()[2]


def test_figure_without_budget_is_reported_only() -> None:
    """A figure without baseline or budget shows dashes and no verdict."""
    row = markdown_table([_figure(b=[], budget=None, unit="req/s", a=[1234.0])]).splitlines()[2]
    assert row == "| `new` | new: 1,234 req/s | — | — | none (reported) | — |"


def test_phase_table_lists_each_phase_with_its_share() -> None:
    """The phase table gives each phase's seconds and share of the total."""
    table = phase_table(_figure(phases={"render": 1.0, "install": 3.0}))
    assert table.splitlines()[2:] == ["| render | 1.0 s | 25% |", "| install | 3.0 s | 75% |"]


def test_interleaved_rotates_the_order_and_drops_warmups() -> None:
    """interleaved() starts each repetition with the next measurement and drops warm-ups."""
    calls: list[str] = []

    def recorder(name: str) -> float:
        calls.append(name)
        return float(len(calls))

    results = interleaved({"a": lambda: recorder("a"), "b": lambda: recorder("b")}, 2, warmup=1)
    assert (calls, results) == (["a", "b", "b", "a", "a", "b"], {"a": [4.0, 5.0], "b": [3.0, 6.0]})


def test_run_reports_a_failing_command() -> None:
    """run() raises BenchError naming the exit status of a failing command."""
    with pytest.raises(BenchError, match="exited 3"):
        run([sys.executable, "-c", "raise SystemExit(3)"])


def test_figure_json_holds_runs_medians_and_verdict() -> None:
    """A figure's JSON has the runs, medians, ratio, budget and verdict."""
    data = _figure().to_json()
    assert (data["a"]["runs"], data["ratio"], data["budget"], data["passed"]) == (
        [1.0, 3.0, 2.0],
        1.0,
        "<= 1.25",
        True,
    )


def test_report_names_the_machine() -> None:
    """The printed report starts with the machine the figures were measured on."""
    info = {"cpus": 2, "cpu_model": "Test CPU", "python": "3.11.7", "date": "2026-01-01"}
    text = runner.report([_figure()], [], info)
    assert text.splitlines()[0] == "Machine: 2 CPUs, Test CPU, Python 3.11.7, 2026-01-01"


def test_quick_plan_is_smaller_than_the_full_plan() -> None:
    """--quick measures fewer repetitions, repos and requests than a full run."""
    quick, full = runner.QUICK.__dict__, runner.FULL.__dict__
    assert all(quick[name] <= full[name] for name in full) and quick != full


def test_help_runs_without_measuring(tmp_path: Path) -> None:
    """`python -m benchmarks --help` prints the options and writes no results."""
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--help", "--json", str(tmp_path / "out.json")],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert (done.returncode, "--quick" in done.stdout, (tmp_path / "out.json").exists()) == (
        0,
        True,
        False,
    )


def test_results_json_is_written_with_the_machine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The runner writes JSON with the machine and the figures even when nothing is chosen."""
    out = tmp_path / "results.json"
    monkeypatch.setattr(runner, "measurements", lambda _plan: {})
    code = runner.main(["--quick", "--json", str(out)])
    data = json.loads(out.read_text())
    assert (code, data["quick"], data["figures"], "cpus" in data["machine"]) == (
        0,
        True,
        [],
        True,
    )
