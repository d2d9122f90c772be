"""The interview walks the spec model: added fields are asked, special cases are data."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import pytest
import yaml
from pydantic import Field

from generator.interview._draft import Draft, Progress
from generator.spec import Budget, Doc, Owners, ProjectSpec, dump_spec
from generator.spec.model import Line
from tests.conftest import SPECS
from tests.unit.interview_keys import DOWN, ENTER, OWNERS, drive, happy_keys, line


class OwnersPlus(Owners):
    """Owners with one more optional field, known only to the model."""

    deputy: Line | None = Field(
        default=None,
        description="who stands in for the business owner",
        json_schema_extra=Doc("Deputy", ask="Who stands in for the business owner?"),
    )


class BudgetPlus(Budget):
    """A budget with an optional choice among fixed values."""

    period: Literal["month", "quarter"] | None = Field(
        default=None,
        description="the period the ceiling covers",
        json_schema_extra=Doc("Period", ask="Which period does the ceiling cover?"),
    )


class SpecPlus(ProjectSpec):
    """The spec with the added fields."""

    owners: OwnersPlus
    budget: BudgetPlus | None = None


@pytest.fixture
def target(tmp_path: Path) -> Path:
    """Return where the interview writes the spec."""
    return tmp_path / "spec.yaml"


def _written(target: Path) -> SpecPlus:
    return SpecPlus.model_validate(yaml.safe_load(target.read_text(encoding="utf-8")))


def _example_source(tmp_path: Path, change: dict[str, Any]) -> Path:
    data = yaml.safe_load((SPECS / "claims-triage.yaml").read_text(encoding="utf-8"))
    for path, value in change.items():
        *parents, key = path.split(".")
        box = data
        for part in parents:
            box = box[int(part)] if part.isdigit() else box[part]
        box[key] = value
    source = tmp_path / "source.yaml"
    source.write_text(dump_spec(data), encoding="utf-8")
    return source


def test_a_field_added_to_the_model_is_asked_with_its_question(target: Path) -> None:
    """A new optional field is asked with the question its Doc gives, and written."""
    run = drive(happy_keys(owners=[*OWNERS, line("Deputy Head of Claims")]), target, model=SpecPlus)
    assert run.error is None
    assert "Who stands in for the business owner?" in run.output
    assert _written(target).owners.deputy == "Deputy Head of Claims"


def test_an_added_optional_field_left_empty_is_left_out(target: Path) -> None:
    """Leaving the new optional field empty writes no key for it."""
    drive(happy_keys(owners=[*OWNERS, ENTER]), target, model=SpecPlus)
    assert "deputy" not in target.read_text(encoding="utf-8")


def test_an_added_field_is_checked_by_its_model_rules(target: Path) -> None:
    """An answer the added field's type refuses is shown with the reason and asked again."""
    owners = [*OWNERS, line("x" * 301), line("Deputy")]
    run = drive(happy_keys(owners=owners), target, model=SpecPlus)
    assert "  ✗ " in run.output
    assert _written(target).owners.deputy == "Deputy"


def test_an_added_choice_is_asked_as_a_select(target: Path) -> None:
    """A field of fixed values is asked as a choice among them."""
    optional = ["n", "n", "n", "n", "y", line("2000"), DOWN + ENTER]
    drive(happy_keys(owners=[*OWNERS, ENTER], optional=optional), target, model=SpecPlus)
    budget = _written(target).budget
    assert budget is not None
    assert budget.period == "quarter"


def test_from_spec_tells_and_reasks_a_criterion_naming_no_metric(
    tmp_path: Path, target: Path
) -> None:
    """--from a spec whose criterion names an undefined metric says so and asks again."""
    source = _example_source(tmp_path, {"acceptance_criteria.0.metric": "M-9"})
    run = drive([ENTER, DOWN + ENTER, "n"], target, source)
    assert "AC-1 named the metric M-9, which is not defined" in run.output
    assert _written(target).acceptance_criteria[0].metric == "M-1"


def test_from_spec_reasks_a_refused_optional_answer(tmp_path: Path, target: Path) -> None:
    """A refused optional answer in an otherwise complete section is asked again."""
    source = _example_source(tmp_path, {"operating_boundary.escalation": "on\acall"})
    run = drive([ENTER, line("oncall@example.com")], target, source)
    assert "control character U+0007" in run.output
    boundary = _written(target).operating_boundary
    assert boundary is not None
    assert boundary.escalation == "oncall@example.com"


def test_draft_keeps_the_progress_record(tmp_path: Path) -> None:
    """The progress record is read back from the draft as it was saved."""
    progress = Progress(
        finished={("users",), ("users", 0), ("users", 0, "needs")},
        change={"owners"},
        based_on=tmp_path / "claims.yaml",
        empty_confirmed={("regulatory", "regimes")},
    )
    draft = Draft(tmp_path / "spec.draft.yaml")
    draft.save({"schema_version": 1, "title": "T"}, progress)
    assert draft.load() == ({"schema_version": 1, "title": "T"}, progress)


def test_draft_shows_locations_as_error_messages_do(tmp_path: Path) -> None:
    """The draft writes a location as ``users.0.needs``, readable by people."""
    draft = Draft(tmp_path / "spec.draft.yaml")
    draft.save({"schema_version": 1}, Progress(finished={("users", 0, "needs")}))
    assert "- users.0.needs" in draft.path.read_text(encoding="utf-8")


def test_removing_an_entry_renumbers_the_finished_parts_after_it() -> None:
    """Forgetting entry 1 drops its parts and moves entry 2's up, leaving others alone."""
    progress = Progress(
        finished={("users",), ("users", 0), ("users", 1), ("users", 2), ("users", 2, "needs")}
    )
    progress.forget(("users",), 1)
    assert progress.finished == {("users",), ("users", 0), ("users", 1), ("users", 1, "needs")}
