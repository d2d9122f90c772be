"""docs/spec.md of generated repositories walks the spec model: every section, every field.

The template reads the field guide the render context carries (labels, placements,
defaults) and the spec's values; it is rendered here in process with undefined names as
errors, for the example specs, the hostile fixtures and random valid specs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, seed, settings
from pydantic import BaseModel

from generator.spec import ProjectSpec, fields_of, load_spec, parse_spec, sections
from tests.conftest import EXAMPLE_SPECS, FIXTURES, PROPERTY_SEED
from tests.documents import spec_document
from tests.strategies import valid_specs

SPECS = [*EXAMPLE_SPECS, *sorted(FIXTURES.glob("hostile-*.yaml"))]


def _labels(model: type[BaseModel], data: dict[str, Any], prefix: str = "") -> set[str]:
    """The labels of the fields a spec gives a value, as documents should show them."""
    found: set[str] = set()
    for spot in fields_of(model, prefix):
        value = data.get(spot.key)
        if value in (None, [], {}, "") or spot.show in ("header", "hidden", "custom"):
            continue
        if spot.doc.when is not None and spot.doc.when.root:
            continue  # shown for the kinds it applies to, checked below by kind
        if spot.doc.group is not None:
            continue  # the identity fields make the document's head, without labels
        if spot.form == "group" and spot.model is not None:
            found |= _labels(spot.model, value, spot.path)
            continue
        found.add(spot.doc.label)
        if spot.form == "entries" and spot.model is not None:
            for entry in value:
                found |= _labels(spot.model, entry, spot.path + ".*")
    return found


@pytest.mark.parametrize("path", SPECS, ids=[p.stem for p in SPECS])
def test_every_section_has_its_heading(path: Path) -> None:
    """Each section of the spec is a heading of the document, in the spec's order."""
    document = spec_document(load_spec(path))
    titles = [s.title for s in sections() if s.asked and not s.grouped]
    positions = [document.index(f"\n## {title}\n") for title in titles]
    assert positions == sorted(positions)


@pytest.mark.parametrize("path", SPECS, ids=[p.stem for p in SPECS])
def test_every_field_given_a_value_is_shown_under_its_label(path: Path) -> None:
    """No field of the spec is left out of the document."""
    spec = load_spec(path)
    document = spec_document(spec).replace("\\", "")
    data = spec.model_dump(mode="json")
    missing = [n for n in _labels(ProjectSpec, data) if n.lower() not in document.lower()]
    assert missing == []


def test_a_default_the_repository_assumes_is_shown() -> None:
    """A value the spec leaves out is shown with the value the repository assumes instead."""
    document = spec_document(load_spec(EXAMPLE_SPECS[-1]))  # weekly-demand-forecast: minimal
    assert "not set in spec.yaml (0.7 assumed)" in document


def test_service_levels_are_shown_for_services_only() -> None:
    """Latency and availability objectives apply to a service, not to a pipeline."""
    service = spec_document(load_spec(Path(__file__).parents[2] / "specs" / "claims-triage.yaml"))
    pipeline = spec_document(
        load_spec(Path(__file__).parents[2] / "specs" / "trial-safety-signals.yaml")
    )
    assert ("p95 latency (ms)" in service, "p95 latency (ms)" in pipeline) == (True, False)


@seed(PROPERTY_SEED)
@settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(valid_specs())
def test_any_valid_spec_gives_a_document_with_every_field(data: dict[str, Any]) -> None:
    """Random valid specs render, with every field they set under its label, text escaped."""
    spec = parse_spec(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "drawn.yaml")
    document = spec_document(spec)
    shown = document.replace("\\", "")
    dumped = spec.model_dump(mode="json")
    assert [n for n in _labels(ProjectSpec, dumped) if n.lower() not in shown.lower()] == []
    assert "<script" not in document
