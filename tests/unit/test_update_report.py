"""How update results show the changes a reviewer must see: text lines and JSON."""

from __future__ import annotations

import json
from pathlib import Path

from generator.update import UpdateResult, report
from generator.update.changes import ReviewNote
from generator.update.project import Status

NOTE = ReviewNote("permission-lost", "adjuster", "role `adjuster` loses review (may now read)")


def result(status: Status) -> UpdateResult:
    """A result for a repository outside the current folder, with one review note."""
    return UpdateResult(Path("/repos/claims"), status, "0.3.0", "0.4.0", review=(NOTE,))


def test_check_text_lists_review_notes_under_the_repository() -> None:
    """--check prints the repository's line, then one indented review line per note."""
    lines = report.check_line(result("behind")).splitlines()
    assert lines[0].startswith("/repos/claims: behind")
    assert lines[1:] == ["  review: role `adjuster` loses review (may now read)"]


def test_update_details_list_review_notes() -> None:
    """The details above the summary table carry the review lines of an updated repository."""
    assert "  review: role `adjuster` loses review (may now read)" in report.details(
        [result("updated")]
    )


def test_json_lists_review_notes_with_kind_and_subject() -> None:
    """--format json gives each note's kind, subject and message."""
    data = json.loads(report.to_json([result("behind")]))
    assert data["repositories"][0]["review"] == [
        {
            "kind": "permission-lost",
            "subject": "adjuster",
            "message": "role `adjuster` loses review (may now read)",
        }
    ]


def test_summary_tells_an_edited_spec_from_derived_answers() -> None:
    """The SPEC column says changed for an edit, derived when only the generator differs."""
    edited = UpdateResult(
        Path("/r/edited"), "behind", "1.0.0", "1.0.0", spec_changed=True, spec_edited=True
    )
    derived = UpdateResult(Path("/r/derived"), "behind", "1.0.0", "1.0.0", spec_changed=True)
    current = UpdateResult(Path("/r/current"), "current", "1.0.0", "1.0.0")
    rows = report.summary_table([edited, derived, current]).splitlines()[1:4]
    assert [row.split()[3] for row in rows] == ["changed", "derived", "current"]
