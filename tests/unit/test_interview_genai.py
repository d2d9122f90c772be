"""The interview asks the genai section of assistants and agents, answered by key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from generator.interview import Request, run_interview
from generator.spec import load_spec
from tests.fake_prompt import OFFERED, Each, ScriptedPrompt
from tests.interview_answers import FRAUD as FRESH

AGENT: dict[str, Any] = {
    **FRESH,
    "title": "Pod restarter",
    "kind": "agent",
    "regulatory.regimes": ["owasp-llm-top10", "soc2"],
    "users.*.role": Each(["engineer", "reviewer", "lead"]),
    "users.*.description": Each(["Asks.", "Reviews.", "Signs."]),
    "users.*.can": Each([["request", "read"], ["read", "review"], ["read", "sign"]]),
    "users.more": Each([True, True, False]),
    "genai.models.*.provider": "openai",
    "genai.models.*.model": "gpt-4.1",
    "genai.judge.offer": True,
    "genai.judge.model": "claude-sonnet-4-5",
    "genai.prompts.*.purpose": "The role and the evidence rules.",
    "genai.tools.offer": True,
    "genai.tools.*.name": Each(["read_logs", "drain_node"]),
    "genai.tools.*.description": Each(["Read a pod's logs.", "Drain a node."]),
    "genai.tools.*.effect": Each(["read", "write"]),
    "genai.tools.*.blast_radius": Each(["none", "cluster"]),
    "genai.tools.more": Each([True, False]),
    "genai.evals.*.name": Each(["Notes cite the logs", OFFERED]),
    "genai.evals.more": Each([True, False]),
    "genai.transparency.offer": True,
}
"""An agent answered by key; unscripted questions take the interview's suggestions."""


@pytest.fixture
def target(tmp_path: Path) -> Path:
    """Return where the interview writes the spec."""
    return tmp_path / "spec.yaml"


def _asked(prompt: ScriptedPrompt, key: str) -> list[Request]:
    return [r for r in prompt.asked if r.key == key]


def test_an_agent_interview_writes_a_valid_genai_section(target: Path) -> None:
    """Answered by key, an agent's interview writes models, tools, approval and evals."""
    prompt = ScriptedPrompt(AGENT)
    run_interview(target, prompt=prompt)
    genai = load_spec(target).genai
    assert genai is not None and genai.tools is not None
    assert [(m.id, m.provider, m.model) for m in genai.models] == [("primary", "openai", "gpt-4.1")]
    assert [(t.name, t.effect) for t in genai.tools] == [
        ("read_logs", "read"),
        ("drain_node", "write"),
    ]
    assert genai.tools[0].approval is None
    assert prompt.refused == []


def test_a_write_tool_is_asked_for_its_approval_not_offered_it(target: Path) -> None:
    """Only the write tool is asked who approves it; no yes/no offer comes first."""
    prompt = ScriptedPrompt(AGENT)
    run_interview(target, prompt=prompt)
    assert len(_asked(prompt, "genai.tools.*.approval.role")) == 1
    assert _asked(prompt, "genai.tools.*.approval.offer") == []


def test_the_approver_is_chosen_among_roles_that_review_or_sign(target: Path) -> None:
    """The approver is chosen among roles that may review or sign; a signer is suggested."""
    prompt = ScriptedPrompt(AGENT)
    run_interview(target, prompt=prompt)
    (request,) = _asked(prompt, "genai.tools.*.approval.role")
    values = [o.value for o in request.question.options if o.value]
    assert set(values) == {"reviewer", "lead"}
    assert request.default == "lead"
    tools = load_spec(target).genai.tools  # type: ignore[union-attr]  # an agent's genai
    assert tools is not None and tools[1].approval is not None
    assert (tools[1].approval.role, tools[1].approval.four_eyes) == ("lead", True)


def test_the_judge_is_suggested_from_another_provider(target: Path) -> None:
    """The judge's provider suggestion is one no model of the chain uses."""
    prompt = ScriptedPrompt(AGENT)
    run_interview(target, prompt=prompt)
    (request,) = _asked(prompt, "genai.judge.provider")
    assert request.default not in (None, "openai")


def test_the_second_eval_suggested_is_a_red_team_one(target: Path) -> None:
    """After a golden eval the agent's red-team eval is suggested: no unapproved write."""
    prompt = ScriptedPrompt(AGENT)
    run_interview(target, prompt=prompt)
    genai = load_spec(target).genai
    assert genai is not None
    first, second = genai.evals
    assert (first.scorer, first.dataset, first.threshold) == ("citation-precision", "golden", 0.9)
    assert (second.scorer, second.dataset, second.threshold) == ("unapproved-writes", "redteam", 0)
    assert second.name == "No write tool runs without an approval"


def test_a_service_interview_asks_nothing_of_genai(target: Path) -> None:
    """A service has no genai section: none of its questions is asked."""
    prompt = ScriptedPrompt(FRESH)
    run_interview(target, prompt=prompt)
    assert not [r.key for r in prompt.asked if r.key.startswith("genai")]
    assert load_spec(target).genai is None


def test_an_agent_interview_asks_no_predictive_fields(target: Path) -> None:
    """Confidence thresholds, typed inputs and drift features are not asked of an agent."""
    prompt = ScriptedPrompt({**AGENT, "operating_boundary.offer": True, "monitoring.offer": True})
    run_interview(target, prompt=prompt)
    keys = {r.key for r in prompt.asked}
    assert "operating_boundary.review_below_confidence" not in keys
    assert "inputs.offer" not in keys
    assert "monitoring.drift_features.*" not in keys


def test_a_tool_is_asked_what_its_live_body_reaches(target: Path) -> None:
    """Hosts and Kubernetes permissions are asked per tool, offered, and written to the spec."""
    prompt = ScriptedPrompt(
        {
            **AGENT,
            "genai.tools.*.reaches.offer": Each([True, False]),
            "genai.tools.*.reaches.hosts.*": Each(["logs.internal:9200"]),
            "genai.tools.*.reaches.kubernetes.offer": True,
            "genai.tools.*.reaches.kubernetes.*.resources.*": Each(["pods", "pods/log"]),
            "genai.tools.*.reaches.kubernetes.more": False,
        }
    )
    run_interview(target, prompt=prompt)
    genai = load_spec(target).genai
    assert genai is not None and genai.tools is not None
    read_logs, drain_node = genai.tools
    assert read_logs.reaches is not None and read_logs.reaches.hosts == ["logs.internal:9200"]
    (rule,) = read_logs.reaches.kubernetes or []
    assert (rule.api_group, rule.resources, rule.verbs) == (
        "",
        ["pods", "pods/log"],
        ["get", "list"],
    )
    assert drain_node.reaches is None
    (request,) = _asked(prompt, "genai.tools.*.reaches.kubernetes.*.api_group")
    assert request.question.empty == 'for the default, "" (the core group)'


def test_a_wildcard_resource_is_refused_at_its_question(target: Path) -> None:
    """A '*' answered for a resource is refused with the reason, and the next answer taken."""
    prompt = ScriptedPrompt(
        {
            **AGENT,
            "genai.tools.*.reaches.offer": Each([True, False]),
            "genai.tools.*.reaches.kubernetes.offer": True,
            "genai.tools.*.reaches.kubernetes.*.resources.*": Each(["*", "pods"]),
            "genai.tools.*.reaches.kubernetes.more": False,
        }
    )
    run_interview(target, prompt=prompt)
    assert any("never a wildcard" in reason for reason in prompt.refused), prompt.refused
    genai = load_spec(target).genai
    assert genai is not None and genai.tools is not None
    assert genai.tools[0].reaches is not None
    assert [r.resources for r in genai.tools[0].reaches.kubernetes or []] == [["pods"]]
