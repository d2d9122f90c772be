"""Unit tests for the deployment part of the render context: replicas and schedule."""

from __future__ import annotations

import pytest

from generator.render import build_context
from generator.render.deploy import DEFAULT_SCHEDULE, deploy_context
from generator.spec import load_spec
from tests.conftest import SPECS


@pytest.mark.parametrize(
    ("availability_pct", "production_min"),
    [(99.0, 2), (99.89, 2), (99.9, 3), (99.99, 3)],
)
def test_production_keeps_three_replicas_from_an_availability_of_999(
    availability_pct: float, production_min: int
) -> None:
    """Below 99.9% production keeps two replicas at least, from 99.9% on three."""
    replicas = deploy_context(availability_pct)["replicas"]
    assert replicas["production"]["min"] == production_min
    assert replicas["production"]["max"] >= 3 * production_min
    assert replicas["staging"]["min"] >= 2  # staging runs several replicas too


def test_context_takes_replicas_from_the_spec_and_the_documented_schedule() -> None:
    """The context's deploy section follows the spec's availability objective."""
    spec = load_spec(SPECS / "claims-triage.yaml")
    context = build_context(spec)
    assert context["deploy"] == deploy_context(context["slo"]["availability_pct"])
    assert context["deploy"]["schedule"] == DEFAULT_SCHEDULE
