"""The interview walks the spec model: added fields are asked, special cases are data."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import pytest
import yaml
from pydantic import Field

from generator.interview import run_interview
from generator.interview._draft import Draft, Progress
from generator.spec import Budget, Doc, Owners, ProjectSpec, dump_spec
from generator.spec.model import Line
from tests.conftest import SPECS
from tests.fake_prompt import Each, ScriptedPrompt
from tests.interview_answers import claims


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


def _interview(target: Path, script: dict[str, Any], source: Path | None = None) -> ScriptedPrompt:
    """Run the interview of ``SpecPlus`` with ``script``; return the prompt that answered."""
    prompt = ScriptedPrompt(script)
    run_interview(target, source, model=SpecPlus, prompt=prompt)
    return prompt


def test_a_field_added_to_the_model_is_asked_with_its_question(target: Path) -> None:
    """A new optional field is asked with the question its Doc gives, and written."""
    prompt = _interview(target, {**claims(), "owners.deputy": "Deputy Head of Claims"})
    assert prompt.questions("owners.deputy") == ["Who stands in for the business owner?"]
    assert _written(target).owners.deputy == "Deputy Head of Claims"


def test_an_added_optional_field_left_empty_is_left_out(target: Path) -> None:
    """Leaving the new optional field empty writes no key for it."""
    _interview(target, claims())
    assert "deputy" not in target.read_text(encoding="utf-8")


def test_an_added_field_is_checked_by_its_model_rules(target: Path) -> None:
    """An answer the added field's type refuses is refused with the reason, then asked again."""
    prompt = _interview(target, {**claims(), "owners.deputy": Each(["x" * 301, "Deputy"])})
    assert len(prompt.refused) == 1 and prompt.refused[0].startswith("owners.deputy: ")
    assert _written(target).owners.deputy == "Deputy"


def test_an_added_choice_is_asked_as_a_select(target: Path) -> None:
    """A field of fixed values is asked as a choice among them."""
    script = {
        **claims(),
        "budget.offer": True,
        "budget.monthly_usd": 2000,
        "budget.period": "quarter",
    }
    prompt = _interview(target, script)
    (period,) = [r for r in prompt.asked if r.key == "budget.period"]
    assert (period.question.kind, [o.value for o in period.question.options]) == (
        "select",
        ["month", "quarter"],
    )
    budget = _written(target).budget
    assert budget is not None and budget.period == "quarter"


def test_from_spec_tells_and_reasks_a_criterion_naming_no_metric(
    tmp_path: Path, target: Path
) -> None:
    """--from a spec whose criterion names an undefined metric says so and asks again."""
    source = _example_source(tmp_path, {"acceptance_criteria.0.metric": "M-9"})
    prompt = _interview(target, {"acceptance_criteria.*.metric": "M-1"}, source)
    assert any("AC-1 named the metric M-9, which is not defined" in line for line in prompt.said)
    assert _written(target).acceptance_criteria[0].metric == "M-1"


def test_from_spec_reasks_a_refused_optional_answer(tmp_path: Path, target: Path) -> None:
    """A refused optional answer in an otherwise complete section is asked again."""
    source = _example_source(tmp_path, {"operating_boundary.escalation": "on\acall"})
    prompt = _interview(target, {"operating_boundary.escalation": "oncall@example.com"}, source)
    assert any("control character U+0007" in line for line in prompt.said)
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
