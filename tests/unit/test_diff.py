"""Spec diff: criteria and metrics added, removed and changed; scope and owner changes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from generator.catalog import load_catalog
from generator.errors import SpecError
from generator.review.diff import diff_specs, read_version, render_diff

ROOT = Path(__file__).resolve().parents[2]
CLAIMS = ROOT / "specs" / "claims-triage.yaml"

AC_2 = """  - id: AC-2
    given: a decision with confidence below the review threshold
    when: it is produced
    then: it is queued for an adjuster instead of being applied
    layer: integration
"""
AC_4 = """  - id: AC-4
    given: a claim with a missing policy id
    when: it is submitted
    then: the response is 422 and names the missing field
    layer: integration

operating_boundary:"""


def new_version() -> str:
    """The claims spec with AC-2 removed, AC-4 added, M-1's target changed and HIPAA added."""
    text = CLAIMS.read_text(encoding="utf-8")
    for old, new in (
        (AC_2, ""),
        ("\noperating_boundary:", "\n" + AC_4),
        ("target: 4                      # required", "target: 2"),
        ("regimes: [eu-ai-act, gdpr]", "regimes: [eu-ai-act, gdpr, hipaa]"),
        ("data_classes: [personal]", "data_classes: [personal, health]"),
        ("retention_days: 730", "retention_days: 2555"),
        ("business: Head of Claims Operations", "business: VP Claims"),
    ):
        assert old in text
        text = text.replace(old, new, 1)
    return text


@pytest.fixture
def versions(tmp_path: Path) -> tuple[str, str]:
    """Paths of the old and new versions."""
    new = tmp_path / "new.yaml"
    new.write_text(new_version(), encoding="utf-8")
    return str(CLAIMS), str(new)


def test_added_criterion_is_named(versions: tuple[str, str]) -> None:
    """AC-4, new in the later version, is listed as added."""
    diff = diff_specs(*versions)
    assert [k for k, _ in diff.sections["acceptance_criteria"].added] == ["AC-4"]


def test_removed_criterion_is_named(versions: tuple[str, str]) -> None:
    """AC-2, gone from the later version, is listed as removed."""
    diff = diff_specs(*versions)
    assert [k for k, _ in diff.sections["acceptance_criteria"].removed] == ["AC-2"]


def test_changed_metric_is_shown_field_by_field(versions: tuple[str, str]) -> None:
    """M-1's target change is shown with the old and new value."""
    changed = diff_specs(*versions).sections["success_metrics"].changed
    assert [(k, [(c.field, c.old, c.new) for c in fields]) for k, fields in changed] == [
        ("M-1", [("target", 4, 2)])
    ]


def test_new_regime_is_named_with_its_controls(versions: tuple[str, str]) -> None:
    """HIPAA is listed as added, with the controls it brings from the catalogue."""
    diff = diff_specs(*versions)
    hipaa = [c.id for c in load_catalog().regimes["hipaa"].controls]
    assert (diff.regimes_added, [c.control for c in diff.controls_added]) == (["hipaa"], hipaa)


def test_owner_change_is_shown(versions: tuple[str, str]) -> None:
    """A changed business owner appears among owner changes."""
    owners = diff_specs(*versions).owners
    assert [(c.field, c.old, c.new) for c in owners] == [
        ("business", "Head of Claims Operations", "VP Claims")
    ]


def test_text_output_names_every_change(versions: tuple[str, str]) -> None:
    """The text output names the added and removed criteria, the metric and the regime."""
    text = render_diff(diff_specs(*versions), "text")
    for expected in (
        "added AC-4",
        "removed AC-2",
        "changed M-1",
        "target: 4 → 2",
        "added regime hipaa",
    ):
        assert expected in text


def test_markdown_output_names_every_change(versions: tuple[str, str]) -> None:
    """The Markdown output has the same content under headings."""
    text = render_diff(diff_specs(*versions), "md")
    for expected in ("### Acceptance criteria", "added AC-4", "removed AC-2", "added regime hipaa"):
        assert expected in text


def test_json_output_lists_changes(versions: tuple[str, str]) -> None:
    """The JSON output has the added criterion, the changed metric and the new regime."""
    document = json.loads(render_diff(diff_specs(*versions), "json"))
    summary = (
        [c["id"] for c in document["acceptance_criteria"]["added"]],
        [c["id"] for c in document["success_metrics"]["changed"]],
        document["regulatory"]["regimes_added"],
    )
    assert summary == (["AC-4"], ["M-1"], ["hipaa"])


def test_identical_versions_say_no_changes() -> None:
    """Comparing a spec with itself reports no changes."""
    diff = diff_specs(str(CLAIMS), str(CLAIMS))
    assert (diff.identical, render_diff(diff).rstrip().endswith("No changes.")) == (True, True)


def test_invalid_version_is_compared_as_written(tmp_path: Path) -> None:
    """A version that fails validation is still compared, with a note."""
    broken = tmp_path / "broken.yaml"
    broken.write_text(CLAIMS.read_text(encoding="utf-8").replace("kind: service", "kind: robot"))
    diff = diff_specs(str(CLAIMS), str(broken))
    assert (diff.invalid, [c.field for c in diff.other]) == ({"new": 1}, ["kind"])


def test_version_that_is_not_yaml_is_a_one_line_error(tmp_path: Path) -> None:
    """Text that is not YAML fails with a single error line naming the file."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("a: [1\n  b: }\n", encoding="utf-8")
    with pytest.raises(SpecError) as caught:
        diff_specs(str(CLAIMS), str(bad))
    assert (len(caught.value.lines), caught.value.lines[0].startswith(str(bad))) == (1, True)


def test_missing_file_is_an_error(tmp_path: Path) -> None:
    """A path that is neither a file nor REV:PATH is refused."""
    with pytest.raises(SpecError, match="no such file"):
        read_version(str(tmp_path / "missing.yaml"))


def test_git_revision_that_looks_like_an_option_is_refused() -> None:
    """A revision starting with '-' is never handed to git."""
    with pytest.raises(SpecError, match="cannot start with '-'"):
        read_version("--output=/tmp/x:spec.yaml")


def test_diff_text_escapes_control_characters(tmp_path: Path) -> None:
    """Terminal escapes in a spec's text do not reach the terminal through diff."""
    new = tmp_path / "new.yaml"
    text = CLAIMS.read_text(encoding="utf-8")
    new.write_text(text.replace("title: Claims triage assistant", 'title: "x\\e[31m"'))
    assert "\x1b" not in render_diff(diff_specs(str(CLAIMS), str(new)))
