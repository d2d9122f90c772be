"""The property-based spec strategy draws only valid specs, across the whole space."""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import HealthCheck, given, seed, settings

from generator.errors import SpecError
from generator.spec import parse_spec
from tests.conftest import PROPERTY_SEED
from tests.strategies import valid_specs


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
