"""An optional field added to a spec model, with its Doc, reaches every view by itself.

``SpecPlus`` adds two fields the way a contributor would: one to a section that is a group
(``owners.deputy``) and one to the entries of a list (``data_dependencies.*.sla_hours``),
each with a description and a ``Doc`` and nothing else. Without touching any view, both
are asked by the interview (answered here by key through the ``Prompt`` protocol),
written to the spec file, shown in the review's Markdown and HTML, documented in a
generated repository's ``docs/spec.md``, given titles in the JSON Schema and drawn by the
property strategies.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, Phase, find, settings
from pydantic import Field

from generator.interview import run_interview
from generator.render import build_context
from generator.review import render_report, review_text
from generator.spec import DataDependency, Doc, Owners, ProjectSpec, dump_spec
from generator.spec.model import Line, PositiveNumber
from tests.conftest import SPECS
from tests.documents import spec_document
from tests.fake_prompt import ScriptedPrompt
from tests.strategies import drawn_paths, valid_specs

DEPUTY = "Deputy Head of Claims"


class OwnersPlus(Owners):
    """Owners with a deputy, known only to this model."""

    deputy: Line | None = Field(
        default=None,
        description="who stands in for the business owner",
        json_schema_extra=Doc(
            "Deputy business owner",
            ask="Who stands in for the business owner when they are away?",
            example="Deputy Head of Claims",
        ),
    )


class DataDependencyPlus(DataDependency):
    """A data dependency with the hours its owner has agreed to fix a broken feed in."""

    sla_hours: PositiveNumber | None = Field(
        default=None,
        description="hours within which the owner fixes a broken feed",
        json_schema_extra=Doc(
            "Agreed fix time (hours)",
            ask="Within how many hours does {owner} fix a broken feed?",
            hint="a plain number",
        ),
    )


class SpecPlus(ProjectSpec):
    """The spec with both added fields."""

    owners: OwnersPlus
    data_dependencies: list[DataDependencyPlus] | None = None  # type: ignore[assignment]  # narrower entries on purpose: pydantic validates with them


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, ScriptedPrompt]:
    """Revisit owners and the data dependency of claims-triage, answering the new fields."""
    folder = tmp_path_factory.mktemp("interview")
    target = folder / "spec.yaml"
    prompt = ScriptedPrompt(
        {
            "control.change": ["owners", "data_dependencies"],
            "control.item_action": "edit",
            "owners.deputy": DEPUTY,
            "data_dependencies.*.sla_hours": 4,
        }
    )
    run_interview(target, SPECS / "claims-triage.yaml", model=SpecPlus, prompt=prompt)
    return target.read_text(encoding="utf-8"), prompt


def _data(text: str) -> dict[str, Any]:
    data = yaml.safe_load(text)
    assert isinstance(data, dict)
    return data


def test_the_interview_asks_both_fields_with_their_questions(
    written: tuple[str, ScriptedPrompt],
) -> None:
    """Each new field is asked with its Doc's question, answers of its entry filled in."""
    _, prompt = written
    assert prompt.questions("owners.deputy") == [
        "Who stands in for the business owner when they are away?"
    ]
    assert prompt.questions("data_dependencies.*.sla_hours") == [
        "Within how many hours does Claims Data team fix a broken feed?"
    ]


def test_the_written_spec_holds_both_answers_in_model_order(
    written: tuple[str, ScriptedPrompt],
) -> None:
    """The spec file has the answers, each after the fields its model puts before it."""
    text, _ = written
    spec = SpecPlus.model_validate(_data(text))
    assert spec.owners.deputy == DEPUTY
    assert spec.data_dependencies is not None
    assert spec.data_dependencies[0].sla_hours == 4
    assert text.index("operations:") < text.index("deputy:") < text.index("users:")
    assert text.index("contract:") < text.index("sla_hours:")
    assert dump_spec(_data(text), model=SpecPlus) == text


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_the_review_shows_both_fields_in_both_formats(
    fmt: str, written: tuple[str, ScriptedPrompt]
) -> None:
    """The review, Markdown and HTML alike, shows each field under its label."""
    text, _ = written
    report = review_text(text, "spec.yaml", SpecPlus)
    page = render_report(report, fmt)  # type: ignore[arg-type]  # one of the three formats
    assert report.schema_valid
    for shown in ("Deputy business owner", DEPUTY, "Agreed fix time (hours)"):
        assert shown in page, shown


def test_the_generated_spec_document_shows_both_fields(
    written: tuple[str, ScriptedPrompt],
) -> None:
    """docs/spec.md of a repository rendered from the spec shows each field and its value."""
    text, _ = written
    document = spec_document(SpecPlus.model_validate(_data(text)))
    assert f"**Deputy business owner:** {DEPUTY}" in document
    assert "| Agreed fix time (hours) |" in document
    assert "| 4 |" in document


def test_the_render_context_describes_both_fields(written: tuple[str, ScriptedPrompt]) -> None:
    """Templates receive the fields' labels with the spec, so documents can walk them."""
    text, _ = written
    guide = build_context(SpecPlus.model_validate(_data(text)))["fields"]
    labels = {
        f["label"]
        for section in guide
        for top in section["fields"]
        for f in [top, *top.get("fields", [])]
    }
    assert {"Deputy business owner", "Agreed fix time (hours)"} <= labels


def test_the_json_schema_titles_both_fields() -> None:
    """Editors see each field's label and example."""
    schema = SpecPlus.model_json_schema()["$defs"]
    assert schema["OwnersPlus"]["properties"]["deputy"]["title"] == "Deputy business owner"
    assert schema["DataDependencyPlus"]["properties"]["sla_hours"]["title"] == (
        "Agreed fix time (hours)"
    )


@pytest.mark.filterwarnings("ignore:Generating overly large repr")  # find() shows what it found
@pytest.mark.parametrize("path", ["owners.deputy", "data_dependencies.*.sla_hours"])
def test_the_property_strategies_draw_both_fields(path: str) -> None:
    """Walking the model, the strategies draw each new field, in specs the model accepts."""
    found = find(
        valid_specs(model=SpecPlus),
        lambda spec: path in set(drawn_paths(spec)),
        settings=settings(
            max_examples=300,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        ),
    )
    SpecPlus.model_validate(found)


def test_the_shipped_model_is_untouched(tmp_path: Path) -> None:
    """The added fields live in this test's model only: the real spec refuses them."""
    data = _data((SPECS / "claims-triage.yaml").read_text(encoding="utf-8"))
    data["owners"]["deputy"] = DEPUTY
    assert "deputy" not in ProjectSpec.model_fields["owners"].annotation.model_fields  # type: ignore[union-attr]  # a model class
    assert not review_text(yaml.safe_dump(data), str(tmp_path / "spec.yaml")).schema_valid
