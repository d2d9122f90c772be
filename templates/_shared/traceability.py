"""Pytest plugin: trace every acceptance criterion in spec.yaml to its test.

A test is traced by ``@pytest.mark.acceptance("<criterion id>")``. At the end of a run that
includes ``tests/acceptance`` the plugin prints, for each criterion in ``spec.yaml``, whether
its tests are passing, pending (strict xfail: not implemented yet) or failing, and fails the
session when a criterion has no test or a test names a criterion the spec does not have.
``--traceability-report=FILE`` also writes the report as JSON (CI keeps it as an artifact).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import pytest
import yaml

MARKER = "acceptance"
PASSING = "passing"
PENDING = "pending"
FAILING = "failing"
MISSING = "missing"
NOT_RUN = "not run"
UNKNOWN = "unknown criterion"


@dataclass(frozen=True)
class Row:
    """One line of the report: a criterion, its status and the tests that trace it."""

    criterion: str
    status: str
    tests: tuple[str, ...]


def criteria_ids(spec_path: Path) -> list[str]:
    """Return the acceptance criterion ids of a spec file, in order."""
    data = yaml.safe_load(spec_path.read_text(encoding="utf-8")) or {}
    return [str(item["id"]) for item in data.get("acceptance_criteria") or []]


def combine(outcomes: Iterable[str]) -> str:
    """Combine the outcomes of a criterion's tests into one status."""
    seen = list(outcomes)
    if not seen:
        return NOT_RUN
    if FAILING in seen:
        return FAILING
    if all(outcome == PASSING for outcome in seen):
        return PASSING
    return PENDING


def build_report(
    criteria: Sequence[str],
    tests: Mapping[str, Sequence[str]],
    outcomes: Mapping[str, str],
) -> list[Row]:
    """Build the report from criterion ids, their tests (node ids) and test outcomes."""
    rows = []
    for criterion in criteria:
        nodeids = tuple(tests.get(criterion, ()))
        if not nodeids:
            rows.append(Row(criterion, MISSING, ()))
            continue
        status = combine(outcomes[n] for n in nodeids if n in outcomes)
        rows.append(Row(criterion, status, nodeids))
    rows.extend(Row(c, UNKNOWN, tuple(t)) for c, t in tests.items() if c not in criteria)
    return rows


def untraced(rows: Iterable[Row]) -> list[Row]:
    """Return the rows that fail the session: criteria without tests, tests without criteria."""
    return [row for row in rows if row.status in {MISSING, UNKNOWN}]


def outcome_of(report: pytest.TestReport) -> str | None:
    """Map a test report to passing / pending / failing (None when nothing is decided yet)."""
    if report.when == "call" or report.outcome != "passed":
        if report.skipped:
            return PENDING
        return PASSING if report.passed else FAILING
    return None


class TraceabilityPlugin:
    """Collects the acceptance tests and their outcomes during a session."""

    def __init__(self, config: pytest.Config) -> None:
        """Prepare an empty report for ``config``'s session."""
        self.config = config
        self.spec_path = config.rootpath / "spec.yaml"
        self.acceptance_dir = config.rootpath / "tests" / "acceptance"
        self.tests: dict[str, list[str]] = {}
        self.outcomes: dict[str, str] = {}
        self.in_scope = False
        self.rows: list[Row] = []

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        """Record which tests trace which criterion (before -k/-m deselect any)."""
        for item in items:
            if item.path.is_relative_to(self.acceptance_dir):
                self.in_scope = True
            for mark in item.iter_markers(MARKER):
                for criterion in mark.args:
                    self.tests.setdefault(str(criterion), []).append(item.nodeid)
        base = self.config.invocation_params.dir
        for arg in self.config.args:
            target = (base / str(arg).split("::")[0]).resolve()
            if target == self.acceptance_dir or self.acceptance_dir.is_relative_to(target):
                self.in_scope = True

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Record the outcome of each acceptance test."""
        if not any(report.nodeid in nodeids for nodeids in self.tests.values()):
            return
        outcome = outcome_of(report)
        if outcome is not None and self.outcomes.get(report.nodeid) != FAILING:
            self.outcomes[report.nodeid] = outcome

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """Build the report; fail the session when a criterion is untraced."""
        if not self.in_scope or not self.spec_path.is_file():
            return
        self.rows = build_report(criteria_ids(self.spec_path), self.tests, self.outcomes)
        target = self.config.getoption("traceability_report")
        if target:
            Path(target).write_text(
                json.dumps([asdict(row) for row in self.rows], indent=2) + "\n", encoding="utf-8"
            )
        if untraced(self.rows):
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        """Print the traceability report."""
        if not self.rows:
            return
        terminalreporter.write_sep("=", "acceptance traceability (spec.yaml)")
        width = max(len(row.criterion) for row in self.rows)
        for row in self.rows:
            tests = ", ".join(row.tests) or "no test traces this criterion"
            terminalreporter.write_line(f"{row.criterion:<{width}}  {row.status:<17}  {tests}")
        for row in untraced(self.rows):
            terminalreporter.write_line(
                f"untraced: {row.criterion}: {row.status}; add a test marked "
                f'@pytest.mark.acceptance("{row.criterion}") or fix spec.yaml',
                red=True,
            )


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add ``--traceability-report=FILE``."""
    parser.addoption(
        "--traceability-report",
        dest="traceability_report",
        default=None,
        metavar="FILE",
        help="write the acceptance traceability report as JSON to FILE",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``acceptance`` marker and the report."""
    config.addinivalue_line(
        "markers",
        "acceptance(criterion_id): the acceptance criterion of spec.yaml this test proves",
    )
    config.pluginmanager.register(TraceabilityPlugin(config), "acceptance-traceability")
