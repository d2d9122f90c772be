"""Every spec field carries what each view needs: a label, a question, consistent metadata.

The views (interview, writer, review, docs/spec.md, property strategies) walk the model and
read each field's ``Doc``; these tests walk it too and fail for a field that lacks what a
view needs, or whose metadata names something that does not exist.
"""

from __future__ import annotations

import string

import pytest
from pydantic import BaseModel, Field

from generator.spec import (
    SECTIONS,
    Doc,
    MissingDoc,
    ProjectSpec,
    Spot,
    asking_order,
    fields_of,
    find,
    sections,
    walk,
)

SPOTS = list(walk(ProjectSpec))
IDS = [s.path for s in SPOTS]
ASKED = [s for s in SPOTS if s.doc.asked and not s.doc.auto and s.model is None]


@pytest.mark.parametrize("spot", SPOTS, ids=IDS)
def test_every_field_has_a_label(spot: Spot) -> None:
    """Reports and documents name each field by a label of its own, not by its key."""
    assert spot.doc.label.strip() and spot.doc.label != spot.key, spot.path


@pytest.mark.parametrize("spot", ASKED, ids=[s.path for s in ASKED])
def test_every_asked_field_has_a_question(spot: Spot) -> None:
    """The interview asks each field with a real question, never a bare field name."""
    assert spot.doc.ask.rstrip()[-1:] in ("?", ")"), spot.path


@pytest.mark.parametrize("spot", SPOTS, ids=IDS)
def test_questions_name_only_answers_of_the_same_entry(spot: Spot) -> None:
    """A ``{name}`` in a question is a field asked before it, in the same entry."""
    owner_fields = fields_of(spot.owner, spot.path.rpartition(".")[0])
    siblings = asking_order(spot.owner, spot.path.rpartition(".")[0])
    for name in spot.doc.placeholders():
        assert name in {s.key for s in owner_fields}, (spot.path, name)
        assert siblings.index(name) < siblings.index(spot.key), (spot.path, name)


@pytest.mark.parametrize("spot", [s for s in SPOTS if s.doc.when], ids=lambda s: s.path)
def test_conditions_read_fields_that_exist(spot: Spot) -> None:
    """A field asked only when another answer holds names a field the spec has."""
    when = spot.doc.when
    assert when is not None
    if when.root:
        assert find(when.key, ProjectSpec) is not None, spot.path
    else:
        assert when.key in spot.owner.model_fields, spot.path
        values = find(f"{spot.path.rpartition('.')[0]}.{when.key}".lstrip("."), ProjectSpec)
        assert values is not None
        assert set(when.values) <= set(values.values) or not values.values, spot.path


@pytest.mark.parametrize("spot", [s for s in SPOTS if s.doc.refers], ids=lambda s: s.path)
def test_references_name_a_list_and_its_field(spot: Spot) -> None:
    """A field that refers to another list's entries names a list and a field of them."""
    ref = spot.doc.refers
    assert ref is not None
    listed = find(ref.section, ProjectSpec)
    assert listed is not None and listed.form == "entries", spot.path
    assert listed.model is not None and ref.key in listed.model.model_fields, spot.path


@pytest.mark.parametrize("spot", [s for s in SPOTS if s.doc.choices], ids=lambda s: s.path)
def test_choices_describe_exactly_the_fields_values(spot: Spot) -> None:
    """What each value means is given for every value the field allows, and no other."""
    assert [c.value for c in spot.doc.choices] == list(spot.values), spot.path


@pytest.mark.parametrize("spot", [s for s in SPOTS if s.form == "entries"], ids=lambda s: s.path)
def test_lists_of_entries_say_how_an_entry_is_named_and_offer_another(spot: Spot) -> None:
    """An entry's name uses its own fields; another entry is offered with a question."""
    assert spot.model is not None
    names = {n for _, n, _, _ in string.Formatter().parse(spot.doc.entry) if n}
    assert names and names <= set(spot.model.model_fields), spot.path
    assert spot.doc.more.endswith("?"), spot.path
    if spot.doc.group_by:
        assert spot.doc.group_by in spot.model.model_fields, spot.path


@pytest.mark.parametrize("section", [s for s in SECTIONS if s.asked], ids=lambda s: s.key)
def test_every_section_has_a_title_an_intro_and_a_comment(section: object) -> None:
    """The interview opens each section with a line, and spec files explain each one."""
    assert section.title and section.intro and section.comment  # type: ignore[attr-defined]  # a Section


OFFERED = [
    s for s in SPOTS if not s.required and s.model and not (s.doc.when and s.doc.when.required)
]


@pytest.mark.parametrize("spot", OFFERED, ids=lambda s: s.path)
def test_optional_groups_and_lists_are_offered_with_a_question(spot: Spot) -> None:
    """An optional group or list is opened by a yes/no question of its own."""
    assert spot.doc.offer.endswith("?"), spot.path


@pytest.mark.parametrize(
    "spot", [s for s in SPOTS if s.doc.when and s.doc.when.required], ids=lambda s: s.path
)
def test_a_part_required_by_a_condition_is_asked_not_offered(spot: Spot) -> None:
    """A part another answer makes required (genai for agents) has no yes/no offer."""
    assert not spot.required and not spot.doc.offer, spot.path


def test_top_level_lists_have_an_identifying_field() -> None:
    """Each list section identifies its entries by a unique field (roles, ids, names)."""
    listed = [s for s in sections() if s.spot is not None and s.spot.form == "entries"]
    assert [(s.key, s.id_key) for s in listed] == [
        ("users", "role"),
        ("success_metrics", "id"),
        ("acceptance_criteria", "id"),
        ("data_dependencies", "name"),
        ("inputs", "name"),
    ]


def test_a_field_without_a_doc_is_refused_by_the_walk() -> None:
    """A model field added without its description fails every view at once, by name."""

    class Bare(BaseModel):
        described: int = Field(description="d", json_schema_extra=Doc("Described"))
        undescribed: int = Field(description="no Doc")

    with pytest.raises(MissingDoc, match="undescribed"):
        fields_of(Bare, "bare")


def test_labels_and_examples_reach_the_json_schema() -> None:
    """Editors show each field's label as its title, and its example."""
    owners = ProjectSpec.model_json_schema()["$defs"]["Owners"]["properties"]
    assert owners["operations"]["title"] == "Operations (paged when it breaks)"
    assert owners["operations"]["examples"] == ["claims-oncall@example.com"]
