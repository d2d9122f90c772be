"""Spec diff of the genai section: its lists by id, and the changes that need review."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from generator.review.diff import compare, render_diff
from tests.conftest import SPECS

AGENT: dict[str, Any] = yaml.safe_load(
    (SPECS / "outage-response-agent.yaml").read_text(encoding="utf-8")
)
Change = Callable[[dict[str, Any]], object]


def _callouts(change: Change) -> list[tuple[str, str]]:
    """The needs-review call-outs after applying ``change`` to the agent example."""
    new = copy.deepcopy(AGENT)
    change(new["genai"])
    return [(c.path, c.what) for c in compare(AGENT, new).needs_review]


def _tool(index: int, **values: Any) -> Change:
    return lambda g: g["tools"][index].update(values)


def _reaches(index: int, **values: Any) -> Change:
    return lambda g: g["tools"][index].setdefault("reaches", {}).update(values)


def _approval(index: int, **values: Any) -> Change:
    return lambda g: g["tools"][index]["approval"].update(values)


@pytest.mark.parametrize(
    ("change", "path", "words"),
    [
        pytest.param(
            lambda g: g["tools"][3].pop("approval"),
            "genai.tools.3.approval",
            "dispatch_crew: its approval is removed",
            id="removed-approval",
        ),
        pytest.param(
            lambda g: g["tools"].append(
                {
                    "name": "open_breaker",
                    "description": "Open a breaker.",
                    "effect": "write",
                    "blast_radius": "cluster",
                    "approval": {"role": "duty-manager"},
                }
            ),
            "genai.tools.5",
            "open_breaker: a new write tool, blast radius cluster, approved by duty-manager",
            id="new-write-tool",
        ),
        pytest.param(
            _tool(0, effect="write", blast_radius="resource", approval={"role": "duty-manager"}),
            "genai.tools.0",
            "get_outage: now writes (it only read)",
            id="read-tool-now-writes",
        ),
        pytest.param(
            lambda g: g["models"][0].update(model="anthropic.claude-opus-4-1"),
            "genai.models.0",
            "the primary model changes from bedrock anthropic.claude-sonnet-4-5-v1:0 to "
            "bedrock anthropic.claude-opus-4-1",
            id="changed-primary-model",
        ),
        pytest.param(
            lambda g: g["models"].reverse(),
            "genai.models.0",
            "the primary model changes",
            id="fallback-promoted-to-primary",
        ),
        pytest.param(
            _approval(4, four_eyes=False),
            "genai.tools.4.approval.four_eyes",
            "send_customer_notice: four eyes is turned off",
            id="four-eyes-off",
        ),
        pytest.param(
            _approval(4, role="control-room-operator"),
            "genai.tools.4.approval.role",
            "approvals move from role duty-manager to control-room-operator",
            id="approver-changed",
        ),
        pytest.param(
            _tool(3, blast_radius="cluster"),
            "genai.tools.3.blast_radius",
            "dispatch_crew: blast radius widens from resource to cluster",
            id="blast-radius-widened",
        ),
        pytest.param(
            _reaches(
                0,
                kubernetes=[
                    {"api_group": "", "resources": ["configmaps", "secrets"], "verbs": ["get"]}
                ],
            ),
            "genai.tools.0.reaches.kubernetes",
            "get_outage: gains Kubernetes permissions its Role grants: get configmaps (core); "
            "get secrets (core)",
            id="read-tool-gains-kubernetes-permissions",
        ),
        pytest.param(
            _reaches(3, hosts=["workorders.field-services.internal:8443", "api.crews.example.com"]),
            "genai.tools.3.reaches.hosts",
            "dispatch_crew: now connects to api.crews.example.com:443",
            id="tool-reaches-a-new-host",
        ),
    ],
)
def test_risky_genai_changes_are_called_out(change: Change, path: str, words: str) -> None:
    """Each risky change of the genai section is one call-out naming its field."""
    found = _callouts(change)
    assert len(found) == 1, found
    assert found[0][0] == path and words in found[0][1], found


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda g: g["models"][1].update(model="gpt-4.1-mini"), id="fallback-model"),
        pytest.param(lambda g: g["limits"].update(max_tool_calls=30), id="limit"),
        pytest.param(_approval(4, expires_minutes=10), id="shorter-expiry"),
        pytest.param(_tool(3, blast_radius="resource"), id="same-radius"),
        pytest.param(
            _reaches(3, hosts=["WorkOrders.field-services.internal:8443"]),
            id="same-host-other-case",
        ),
        pytest.param(lambda g: g["tools"][4].pop("reaches"), id="reaches-less"),
        pytest.param(lambda g: g["tools"].pop(3), id="write-tool-removed"),
        pytest.param(
            lambda g: g["tools"].append(
                {
                    "name": "get_crews",
                    "description": "Read.",
                    "effect": "read",
                    "blast_radius": "none",
                }
            ),
            id="new-read-tool",
        ),
    ],
)
def test_safe_genai_changes_need_no_review(change: Change) -> None:
    """Changes that widen nothing are listed, not called out."""
    assert _callouts(change) == []


def test_genai_lists_are_matched_by_id() -> None:
    """Tools and evals are compared by name and id, each change under its entry."""
    new = copy.deepcopy(AGENT)
    new["genai"]["tools"][4]["approval"]["expires_minutes"] = 10
    new["genai"]["evals"].pop()
    diff = compare(AGENT, new)
    assert [k for k, _ in diff.genai["tools"].changed] == ["send_customer_notice"]
    assert [k for k, _ in diff.genai["evals"].removed] == ["E-5"]
    assert not diff.other  # nothing of genai falls into "other changes"


def test_text_diff_shows_the_genai_section_with_review_first() -> None:
    """The text diff has a GenAI part; the call-outs come first, marked with '!'."""
    new = copy.deepcopy(AGENT)
    del new["genai"]["tools"][3]["approval"]
    new["genai"]["limits"]["max_tool_calls"] = 30
    text = render_diff(compare(AGENT, new, "a.yaml", "b.yaml"), "text")
    part = text[text.index("\nGenAI\n") :].splitlines()
    assert part[2] == "  ! needs review:"
    assert part[3].startswith("      ! dispatch_crew: its approval is removed")
    assert "  ~ limits.max_tool_calls: 25 → 30" in part


def test_json_diff_lists_needs_review() -> None:
    """The JSON diff carries the call-outs with their paths."""
    new = copy.deepcopy(AGENT)
    new["genai"]["models"][0]["provider"] = "anthropic"
    document = json.loads(render_diff(compare(AGENT, new), "json"))
    assert [c["path"] for c in document["genai"]["needs_review"]] == ["genai.models.0"]
    assert document["genai"]["models"]["changed"][0]["id"] == "primary"


def test_identical_genai_specs_are_identical() -> None:
    """Comparing the agent with itself finds nothing."""
    assert compare(AGENT, copy.deepcopy(AGENT)).identical


def test_a_genai_only_change_is_not_identical() -> None:
    """A change only inside genai still counts as a change."""
    new = copy.deepcopy(AGENT)
    new["genai"]["prompts"][0]["purpose"] = "Changed."
    assert not compare(AGENT, new).identical


def test_broken_genai_sections_are_compared_without_error() -> None:
    """A genai section of the wrong shape is compared as written, never raising."""
    shapes: list[Any] = [[], "x", {"tools": "x", "models": [None, 3]}]
    for broken in shapes:
        new = copy.deepcopy(AGENT)
        new["genai"] = broken
        render_diff(compare(AGENT, new), "text")
        render_diff(compare(new, AGENT), "json")
