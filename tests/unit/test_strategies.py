"""The property-based spec strategy draws only valid specs, and every field of the model."""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, Phase, find, given, seed, settings

from generator.errors import SpecError
from generator.spec import parse_spec
from tests.conftest import PROPERTY_SEED
from tests.strategies import drawn_paths, model_paths, valid_specs

SEARCH = settings(
    max_examples=400,
    database=None,
    deadline=None,
    phases=[Phase.generate],  # found is enough: no need to shrink what was found
    suppress_health_check=list(HealthCheck),
)


@seed(PROPERTY_SEED)
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_specs())
def test_every_drawn_spec_passes_validation(data: dict[str, Any]) -> None:
    """Whatever the strategy draws is a valid spec (else the render properties test less)."""
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    try:
        parse_spec(text, "drawn.yaml")
    except SpecError as err:  # pragma: no cover - the failure message is the point
        raise AssertionError("\n".join(err.lines)) from err


POOL = 100
"""Specs drawn once per test process (of any kind, and agents for ``genai.*``): a field one
of them gives a value needs no search of its own."""


@cache
def _pooled_paths(agent: bool) -> frozenset[str]:
    """The field paths a seeded batch of :data:`POOL` drawn specs gives values."""
    paths: set[str] = set()

    @seed(PROPERTY_SEED)
    @settings(SEARCH, max_examples=POOL)
    @given(valid_specs(kind="agent") if agent else valid_specs())
    def collect(spec: dict[str, Any]) -> None:
        paths.update(drawn_paths(spec))

    collect()
    return frozenset(paths)


@pytest.mark.filterwarnings("ignore:Generating overly large repr")  # find() shows what it found
@pytest.mark.parametrize("path", model_paths())
def test_every_field_of_the_model_is_drawn(path: str) -> None:
    """Walking the model, each field (nested ones too) is given a value by some drawn spec."""
    agent = path.startswith("genai.")
    if path in _pooled_paths(agent):
        return  # a spec of the shared batch gives it a value
    specs = valid_specs(kind="agent") if agent else valid_specs()
    found = find(specs, lambda spec: path in set(drawn_paths(spec)), settings=SEARCH)
    assert path in set(drawn_paths(found))
