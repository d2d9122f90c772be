"""What the interview shows and offers at the end: the review's verdict, as data."""

from __future__ import annotations

import pytest

from generator.interview._verdict import MAX_QUESTIONS, choices, verdict_lines
from generator.review import review_file
from generator.spec import SECTIONS
from tests.conftest import FIXTURES, SPECS

PLANTED = FIXTURES / "review" / "planted-problems.yaml"


def test_each_blocker_is_shown_with_its_section() -> None:
    """Every blocker has a line naming the section to revisit and what to change."""
    report = review_file(PLANTED)
    lines = [text for kind, text in verdict_lines(report, "spec.yaml") if kind == "blocker"]
    assert len(lines) == report.count("blocker")
    assert "  ✗ Owners (owners): 'Alex Kim' holds every owner role" in "\n".join(lines)


def test_questions_beyond_the_limit_point_at_the_full_review() -> None:
    """At most MAX_QUESTIONS questions, then where the others are."""
    report = review_file(PLANTED)
    assert len(report.questions) > MAX_QUESTIONS
    texts = [text for _, text in verdict_lines(report, "spec.yaml")]
    assert texts[-1] == (
        f"  … {len(report.questions) - MAX_QUESTIONS} more: `new-ai-project review spec.yaml`"
    )


def test_the_verdict_line_carries_score_and_counts() -> None:
    """The verdict line reads as the review's: verdict, score, counts."""
    report = review_file(SPECS / "claims-triage.yaml")
    assert ("ready", "Verdict: ready · score 95/100 · 0 blocker(s), 1 warning(s), 1 note(s)") in (
        verdict_lines(report, "spec.yaml")
    )


@pytest.mark.parametrize(
    ("renders", "ending"),
    [(False, ["write", "stop"]), (True, ["render", "write-only", "stop"])],
)
def test_revisits_come_first_in_section_order_then_the_endings(
    renders: bool, ending: list[str]
) -> None:
    """One revisit per section a blocker points at, in the interview's order, then the rest."""
    values = [option.value for option in choices(review_file(PLANTED), renders=renders)]
    revisits = values[: -len(ending)]
    order = [s.key for s in SECTIONS if s.asked]
    assert revisits == sorted(set(revisits), key=order.index) and len(revisits) >= 2
    assert values[-len(ending) :] == ending
