"""The traceability plugin: every criterion in spec.yaml is traced to a test, by id."""

from __future__ import annotations

from pathlib import Path

from tests.acceptance.traceability import (
    FAILING,
    MISSING,
    NOT_RUN,
    PASSING,
    PENDING,
    UNKNOWN,
    build_report,
    combine,
    criteria_ids,
    untraced,
)

ROOT = Path(__file__).resolve().parents[2]


def test_all_passing_tests_make_a_passing_criterion() -> None:
    """A criterion whose tests all pass is passing."""
    assert combine([PASSING, PASSING]) == PASSING


def test_an_xfail_test_makes_the_criterion_pending() -> None:
    """A criterion with a not-yet-implemented test is pending."""
    assert combine([PASSING, PENDING]) == PENDING


def test_a_failing_test_makes_the_criterion_failing() -> None:
    """Any failing test makes its criterion failing."""
    assert combine([PENDING, FAILING]) == FAILING


def test_criterion_without_test_is_missing_and_untraced() -> None:
    """A criterion no test names is reported missing and fails the session."""
    rows = build_report(["AC-1", "AC-2"], {"AC-1": ["t::a"]}, {"t::a": PASSING})
    assert [(r.criterion, r.status) for r in rows] == [("AC-1", PASSING), ("AC-2", MISSING)]
    assert [r.criterion for r in untraced(rows)] == ["AC-2"]


def test_test_naming_an_unknown_criterion_is_untraced() -> None:
    """A test that names a criterion missing from spec.yaml fails the session."""
    rows = build_report(["AC-1"], {"AC-1": ["t::a"], "AC-9": ["t::b"]}, {})
    assert [(r.criterion, r.status) for r in rows] == [("AC-1", NOT_RUN), ("AC-9", UNKNOWN)]


def test_every_criterion_of_the_spec_has_an_acceptance_test() -> None:
    """Each criterion id in spec.yaml appears as a marker in tests/acceptance."""
    source = "".join(
        p.read_text(encoding="utf-8") for p in (ROOT / "tests" / "acceptance").glob("test_*.py")
    )
    for criterion in criteria_ids(ROOT / "spec.yaml"):
        assert f'@pytest.mark.acceptance("{criterion}")' in source
