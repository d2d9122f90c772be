"""Unit tests for the deployment part of the render context: replicas, schedule, reach."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from generator.render import build_context
from generator.render.deploy import DEFAULT_SCHEDULE, deploy_context, reach_context
from generator.spec import GenAI, ProjectSpec, load_spec
from tests.conftest import FIXTURES, SPECS


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


def _genai(tools: list[dict[str, Any]]) -> GenAI:
    """A genai section with these tools (every other part the normative example's)."""
    data = yaml.safe_load((FIXTURES / "genai-normative.yaml").read_text(encoding="utf-8"))
    data["genai"]["tools"] = tools
    genai = ProjectSpec.model_validate(data).genai
    assert genai is not None
    return genai


def _reader(name: str, **reaches: Any) -> dict[str, Any]:
    return {
        "name": name,
        "description": "Reads.",
        "effect": "read",
        "blast_radius": "none",
        "reaches": reaches,
    }


def test_each_port_other_than_443_is_listed_once_with_the_hosts_behind_it() -> None:
    """Ports are sorted, hosts lowercased, 443 (written or not) left to the HTTPS rule."""
    reach = reach_context(
        _genai(
            [
                _reader("a", hosts=["Vault.internal:8200", "api.example.com:443"]),
                _reader("b", hosts=["smtp.example.com:587", "vault.internal:8200", "x.io"]),
            ]
        )
    )
    assert reach["ports"] == [
        {"port": 587, "hosts": ["smtp.example.com (b)"]},
        {"port": 8200, "hosts": ["vault.internal (a)", "vault.internal (b)"]},
    ]
    assert [t["hosts"] for t in reach["tools"]] == [
        ["vault.internal:8200", "api.example.com"],
        ["smtp.example.com:587", "vault.internal:8200", "x.io"],
    ]
    assert reach["kubernetes"] is False and reach["rules"] == []


def test_the_same_rule_of_two_tools_is_one_rule_naming_both() -> None:
    """Rules are keyed by group, sorted resources and verbs in order; each names its tools."""
    pods = {"api_group": "", "resources": ["pods", "events"], "verbs": ["list", "get"]}
    same = {"api_group": "", "resources": ["events", "pods"], "verbs": ["get", "list"]}
    apps = {"api_group": "apps", "resources": ["deployments"], "verbs": ["watch", "get"]}
    reach = reach_context(
        _genai(
            [_reader("b", kubernetes=[apps, pods]), _reader("a", kubernetes=[same]), _reader("c")]
        )
    )
    assert reach["rules"] == [
        {
            "api_group": "",
            "resources": ["events", "pods"],
            "verbs": ["get", "list"],
            "tools": ["b", "a"],
        },
        {
            "api_group": "apps",
            "resources": ["deployments"],
            "verbs": ["get", "watch"],
            "tools": ["b"],
        },
    ]
    assert reach["kubernetes"] is True
    assert [t["kubernetes"] for t in reach["tools"]] == [True, True, False]


def test_no_tools_reach_nothing() -> None:
    """Without tools: no port, no rule, no Kubernetes API."""
    reach = reach_context(_genai([]))
    assert (reach["tools"], reach["ports"], reach["rules"], reach["kubernetes"]) == (
        [],
        [],
        [],
        False,
    )
