"""Unit tests for the acceptance traceability report."""

from __future__ import annotations

from tests.acceptance.traceability import (
    FAILING,
    MISSING,
    PASSING,
    PENDING,
    UNKNOWN,
    build_report,
    untraced,
)


def test_a_criterion_without_a_test_is_untraced() -> None:
    """A criterion in spec.yaml with no test fails the report."""
    rows = build_report(["AC-1"], {}, {})
    assert [(r.criterion, r.status) for r in rows] == [("AC-1", MISSING)]
    assert untraced(rows)


def test_a_test_for_an_unknown_criterion_is_untraced() -> None:
    """A test naming a criterion that is not in spec.yaml fails the report."""
    rows = build_report([], {"AC-9": ["t"]}, {"t": PASSING})
    assert rows[0].status == UNKNOWN and untraced(rows)


def test_statuses_combine_per_criterion() -> None:
    """Passing, pending and failing tests give the criterion's status."""
    rows = build_report(
        ["A", "B", "C"],
        {"A": ["a"], "B": ["b"], "C": ["c1", "c2"]},
        {"a": PASSING, "b": PENDING, "c1": PASSING, "c2": FAILING},
    )
    assert [r.status for r in rows] == [PASSING, PENDING, FAILING]
    assert not untraced(rows)
