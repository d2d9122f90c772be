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
    [(False, ["other", "write", "stop"]), (True, ["other", "render", "write-only", "stop"])],
)
def test_a_not_ready_spec_offers_revisits_first_then_the_endings(
    renders: bool, ending: list[str]
) -> None:
    """Sections blockers point at come first, then those only warnings or notes point at."""
    report = review_file(PLANTED)
    values = [option.value for option in choices(report, renders=renders)]
    revisits = values[: -len(ending)]
    order = [s.key for s in SECTIONS if s.asked]
    blocked = {
        s.key
        for f in report.findings
        if f.severity == "blocker"
        for s in SECTIONS
        if f.path.split(".")[0] in s.keys
    }
    assert values[-len(ending) :] == ending
    assert len(revisits) == len(set(revisits)) and set(revisits) <= set(order)
    first = [v for v in revisits if v in blocked]
    assert revisits[: len(first)] == sorted(first, key=order.index) and len(first) >= 2


@pytest.mark.parametrize(
    ("renders", "first"), [(False, ["write"]), (True, ["render", "write-only"])]
)
def test_a_ready_spec_offers_to_write_first(renders: bool, first: list[str]) -> None:
    """A ready spec's first choice writes (and renders) it; revisits and stopping follow."""
    values = [o.value for o in choices(review_file(SPECS / "claims-triage.yaml"), renders=renders)]
    assert values[: len(first)] == first
    assert values[len(first) :] == ["success_metrics", "other", "stop"]


def test_warnings_and_notes_are_shown_with_their_sections() -> None:
    """Warnings and notes are listed under the verdict, after the blockers, marked ! and i."""
    report = review_file(SPECS / "claims-triage.yaml")
    kinds = [kind for kind, _ in verdict_lines(report, "spec.yaml")]
    texts = [text for _, text in verdict_lines(report, "spec.yaml")]
    assert (kinds.count("warning"), kinds.count("info")) == (1, 1)
    assert any(t.startswith("  ! Success metrics (success_metrics.1.baseline): ") for t in texts)


def test_a_revisit_says_how_many_findings_of_each_kind() -> None:
    """The revisit of a section names its findings: ``(1 blocker, 2 warnings)``."""
    options = choices(review_file(PLANTED), renders=False)
    assert all(o.title.startswith("Revisit ") and o.title.endswith(")") for o in options[:-3]), [
        o.title for o in options
    ]
