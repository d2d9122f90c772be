"""The ``genai`` section of assistants and agents: each rule, refused in one line naming the field."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from generator.errors import SpecError
from generator.spec import GenAI, ProjectSpec, parse_spec, within
from tests.conftest import FIXTURES, SPECS

NORMATIVE: dict[str, Any] = yaml.safe_load(
    (FIXTURES / "genai-normative.yaml").read_text(encoding="utf-8")
)
"""DESIGN's spec-example-genai.yaml, normative for the section's names and shapes."""

Change = Callable[[dict[str, Any]], object]


def _dump(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def _errors(change: Change, base: dict[str, Any] = NORMATIVE) -> tuple[str, list[str]]:
    """Apply ``change`` to a copy of ``base``; return its YAML text and its error lines."""
    data = copy.deepcopy(base)
    change(data)
    text = _dump(data)
    try:
        parse_spec(text, "spec.yaml")
    except SpecError as err:
        return text, err.lines
    return text, []


def _line(text: str, path: str) -> int:
    """The 1-based line of the value at a dotted path of YAML text."""
    node = yaml.compose(text)
    assert node is not None
    for part in path.split("."):
        if isinstance(node, yaml.SequenceNode):
            node = node.value[int(part)]
        else:
            assert isinstance(node, yaml.MappingNode)
            node = next(v for k, v in node.value if k.value == part)
    return node.start_mark.line + 1


def _genai(data: dict[str, Any]) -> dict[str, Any]:
    section = data["genai"]
    assert isinstance(section, dict)
    return section


def _tool(index: int, **values: Any) -> Change:
    return lambda d: _genai(d)["tools"][index].update(values)


def _rule(tool: int, index: int, **values: Any) -> Change:
    """Change one rule of a tool's Kubernetes permissions."""
    return lambda d: _genai(d)["tools"][tool]["reaches"]["kubernetes"][index].update(values)


def _hosts(tool: int, hosts: list[str]) -> Change:
    return lambda d: _genai(d)["tools"][tool]["reaches"].update(hosts=hosts)


def test_the_normative_example_is_valid() -> None:
    """spec-example-genai.yaml (DESIGN's contract for the section) validates as it is."""
    spec = ProjectSpec.model_validate(NORMATIVE)
    assert spec.genai is not None and spec.genai.models[0].id == "primary"


@pytest.mark.parametrize("name", ["benefits-enquiry-assistant", "outage-response-agent"])
def test_the_genai_examples_are_valid(name: str) -> None:
    """The assistant and agent examples in specs/ validate."""
    data = yaml.safe_load((SPECS / f"{name}.yaml").read_text(encoding="utf-8"))
    assert ProjectSpec.model_validate(data).genai is not None


# each case: the change, the field the error names (its line is that field's value, or for
# a missing field the answer that requires it), and words of the message
CASES: list[tuple[str, Change, str, str, str]] = [
    (
        "write-tool-without-approval",
        lambda d: _genai(d)["tools"][1].pop("approval"),
        "genai.tools.1.approval",
        "genai.tools.1.effect",
        "required when effect is write",
    ),
    (
        "approval-role-unknown",
        _tool(1, approval={"role": "ghost"}),
        "genai.tools.1.approval.role",
        "genai.tools.1.approval.role",
        "'ghost' is no user role; use one that may review or sign: oncall-engineer, sre-lead",
    ),
    (
        "approval-role-may-not-review",
        _tool(1, approval={"role": "alert-webhook"}),
        "genai.tools.1.approval.role",
        "genai.tools.1.approval.role",
        "role alert-webhook may not review or sign, so it cannot approve",
    ),
    (
        "approval-on-a-read-tool",
        _tool(0, approval={"role": "sre-lead"}),
        "genai.tools.0.approval",
        "genai.tools.0.approval",
        "applies only when effect is write, and effect is read",
    ),
    (
        "write-with-no-blast-radius",
        _tool(1, blast_radius="none"),
        "genai.tools.1.blast_radius",
        "genai.tools.1.blast_radius",
        "blast radius is at least resource",
    ),
    (
        "judge-is-a-chain-model",
        lambda d: _genai(d)["judge"].update(
            provider="openai-compatible", model="llama-3.3-70b-instruct"
        ),
        "genai.judge",
        "genai.judge",
        "is also model 'fallback' of the chain (models.1); a model must not grade its own answers",
    ),
    (
        "model-region-outside-residency",
        lambda d: _genai(d)["models"][1].update(region="us"),
        "genai.models.1.region",
        "genai.models.1.region",
        "'us' lies outside data_residency (eu)",
    ),
    (
        "judge-region-outside-residency",
        lambda d: _genai(d)["judge"].update(region="us-east-1"),
        "genai.judge.region",
        "genai.judge.region",
        "'us-east-1' lies outside data_residency (eu)",
    ),
    (
        "retrieval-source-not-a-dependency",
        lambda d: _genai(d)["retrieval"].update(source="wiki"),
        "genai.retrieval.source",
        "genai.retrieval.source",
        "'wiki' names no data dependency; use one of: cluster-api, runbooks",
    ),
    (
        "tool-names-repeat",
        lambda d: _genai(d)["tools"].append(dict(_genai(d)["tools"][0])),
        "genai.tools",
        "genai.tools",
        "tool name 'describe_deployment' appears twice",
    ),
    (
        "prompt-ids-repeat",
        lambda d: _genai(d)["prompts"].append({"id": "system", "purpose": "Again."}),
        "genai.prompts",
        "genai.prompts",
        "prompt id 'system' appears twice",
    ),
    (
        "eval-ids-repeat",
        lambda d: _genai(d)["evals"][1].update(id="E-1"),
        "genai.evals",
        "genai.evals",
        "eval id 'E-1' appears twice",
    ),
    (
        "model-ids-repeat",
        lambda d: _genai(d)["models"][1].update(id="primary"),
        "genai.models",
        "genai.models",
        "model id 'primary' appears twice",
    ),
    (
        "eval-metric-unknown",
        lambda d: _genai(d)["evals"][0].update(metric="M-9"),
        "genai.evals.0.metric",
        "genai.evals.0.metric",
        "'M-9' names no success metric; use one of: M-1, M-2",
    ),
    (
        "tool-calls-limit-zero",
        lambda d: _genai(d)["limits"].update(max_tool_calls=0),
        "genai.limits.max_tool_calls",
        "genai.limits.max_tool_calls",
        "0 is not allowed; it must be greater than 0",
    ),
    (
        "output-tokens-limit-negative",
        lambda d: _genai(d)["limits"].update(max_output_tokens=-5),
        "genai.limits.max_output_tokens",
        "genai.limits.max_output_tokens",
        "-5 is not allowed; it must be greater than 0",
    ),
    (
        "request-cap-zero",
        lambda d: _genai(d)["limits"].update(max_usd_per_request=0),
        "genai.limits.max_usd_per_request",
        "genai.limits.max_usd_per_request",
        "0 is not allowed; it must be greater than 0",
    ),
    (
        "daily-cap-negative",
        lambda d: _genai(d)["limits"].update(max_usd_per_user_per_day=-1),
        "genai.limits.max_usd_per_user_per_day",
        "genai.limits.max_usd_per_user_per_day",
        "-1 is not allowed; it must be greater than 0",
    ),
    (
        "request-cap-above-daily-cap",
        lambda d: _genai(d)["limits"].update(max_usd_per_request=20),
        "genai.limits.max_usd_per_request",
        "genai.limits.max_usd_per_request",
        "20 is above max_usd_per_user_per_day 10",
    ),
    (
        "unknown-scorer",
        lambda d: _genai(d)["evals"][0].update(scorer="bleu"),
        "genai.evals.0.scorer",
        "genai.evals.0.scorer",
        "\"bleu\" is not allowed; it must be 'exact-match'",
    ),
    (
        "unknown-effect",
        _tool(0, effect="execute"),
        "genai.tools.0.effect",
        "genai.tools.0.effect",
        "\"execute\" is not allowed; it must be 'read' or 'write'",
    ),
    (
        "unknown-blast-radius",
        _tool(0, blast_radius="planet"),
        "genai.tools.0.blast_radius",
        "genai.tools.0.blast_radius",
        "it must be 'none', 'resource', 'namespace', 'cluster' or 'external'",
    ),
    (
        "unknown-provider",
        lambda d: _genai(d)["models"][0].update(provider="acme"),
        "genai.models.0.provider",
        "genai.models.0.provider",
        "'mistral' or 'openai-compatible'",
    ),
    (
        "ratio-threshold-above-one",
        lambda d: _genai(d)["evals"][0].update(threshold=90),
        "genai.evals.0.threshold",
        "genai.evals.0.threshold",
        "90 is outside 0..1",
    ),
    (
        "harm-threshold-negative",
        lambda d: _genai(d)["evals"][1].update(threshold=-1),
        "genai.evals.1.threshold",
        "genai.evals.1.threshold",
        "-1 is below 0: unapproved-writes counts harms",
    ),
    (
        "unknown-guardrail",
        lambda d: _genai(d)["guardrails"].update(input=["jailbreak"]),
        "genai.guardrails.input.0",
        "genai.guardrails.input.0",
        "\"jailbreak\" is not allowed; it must be 'prompt-injection' or 'pii-redaction'",
    ),
    (
        "misspelt-key",
        lambda d: _genai(d).update(judges={}),
        "genai.judges",
        "genai.judges",
        "unknown key 'judges' — did you mean 'judge'?",
    ),
    (
        "genai-missing-for-an-agent",
        lambda d: d.pop("genai"),
        "genai",
        "kind",
        "required when kind is assistant or agent",
    ),
    (
        "genai-on-a-service",
        lambda d: d.update(kind="service", regulatory={**d["regulatory"], "regimes": ["soc2"]}),
        "genai",
        "genai",
        "applies only when kind is assistant or agent, and kind is service",
    ),
    (
        "write-tool-in-an-assistant",
        lambda d: d.update(kind="assistant"),
        "genai.tools.1.effect",
        "genai.tools.1.effect",
        "an assistant only reads; make rollout_undo a read tool",
    ),
    (
        "price-beyond-any-list-price",
        lambda d: _genai(d)["models"][0]["price_per_mtok"].update(input=1.4540780307925977e308),
        "genai.models.0.price_per_mtok.input",
        "genai.models.0.price_per_mtok.input",
        "10000",
    ),
    (
        "genai-regime-on-a-pipeline",
        lambda d: (d.update(kind="pipeline"), d.pop("genai")),
        "regulatory.regimes.2",
        "regulatory.regimes.2",
        "owasp-llm-top10 covers generative AI, and a pipeline is none",
    ),
    (
        "read-tool-granted-a-write-verb",
        _rule(0, 1, verbs=["get", "patch", "delete"]),
        "genai.tools.0.reaches.kubernetes.1.verbs",
        "genai.tools.0.reaches.kubernetes.1.verbs",
        "describe_deployment is a read tool, so it may only get, list or watch; patch, delete "
        "would change the cluster",
    ),
    (
        "wildcard-verb",
        _rule(1, 0, verbs=["*"]),
        "genai.tools.1.reaches.kubernetes.0.verbs.0",
        "genai.tools.1.reaches.kubernetes.0.verbs.0",
        "'*' is a wildcard; the Role grants exactly what the tool needs, never a wildcard",
    ),
    (
        "wildcard-resource",
        _rule(1, 0, resources=["deployments", "*"]),
        "genai.tools.1.reaches.kubernetes.0.resources.1",
        "genai.tools.1.reaches.kubernetes.0.resources.1",
        "'*' is a wildcard; the Role grants exactly what the tool needs",
    ),
    (
        "wildcard-api-group",
        _rule(1, 0, api_group="*"),
        "genai.tools.1.reaches.kubernetes.0.api_group",
        "genai.tools.1.reaches.kubernetes.0.api_group",
        "'*' is a wildcard",
    ),
    (
        "resource-not-a-plural-lowercase-name",
        _rule(0, 0, resources=["Pods"]),
        "genai.tools.0.reaches.kubernetes.0.resources.0",
        "genai.tools.0.reaches.kubernetes.0.resources.0",
        "a plural resource name in lowercase, a subresource after '/'",
    ),
    (
        "verb-unknown",
        _rule(0, 0, verbs=["get", "escalate"]),
        "genai.tools.0.reaches.kubernetes.0.verbs.1",
        "genai.tools.0.reaches.kubernetes.0.verbs.1",
        "\"escalate\" is not allowed; it must be 'get', 'list'",
    ),
    (
        "verb-repeated",
        _rule(0, 0, verbs=["get", "get"]),
        "genai.tools.0.reaches.kubernetes.0.verbs",
        "genai.tools.0.reaches.kubernetes.0.verbs",
        "verb 'get' appears twice",
    ),
    (
        "rule-without-verbs",
        _rule(0, 0, verbs=[]),
        "genai.tools.0.reaches.kubernetes.0.verbs",
        "genai.tools.0.reaches.kubernetes.0.verbs",
        "must list at least one entry",
    ),
    (
        "host-given-as-a-url",
        _hosts(1, ["https://api.pagerduty.com/v2"]),
        "genai.tools.1.reaches.hosts.0",
        "genai.tools.1.reaches.hosts.0",
        "is a URL; write the host name only, without the scheme (api.pagerduty.com)",
    ),
    (
        "host-with-a-path",
        _hosts(1, ["api.pagerduty.com/v2"]),
        "genai.tools.1.reaches.hosts.0",
        "genai.tools.1.reaches.hosts.0",
        "has a path; write the host name only (api.pagerduty.com)",
    ),
    (
        "host-wildcard",
        _hosts(1, ["*.pagerduty.com"]),
        "genai.tools.1.reaches.hosts.0",
        "genai.tools.1.reaches.hosts.0",
        "the NetworkPolicy opens exactly the hosts named",
    ),
    (
        "host-port-out-of-range",
        _hosts(1, ["vault.internal:65536"]),
        "genai.tools.1.reaches.hosts.0",
        "genai.tools.1.reaches.hosts.0",
        "port 65536 of 'vault.internal:65536' is outside 1-65535",
    ),
    (
        "host-not-rfc-1123",
        _hosts(1, ["vault_internal"]),
        "genai.tools.1.reaches.hosts.0",
        "genai.tools.1.reaches.hosts.0",
        "use a host name (RFC 1123",
    ),
    (
        "host-named-twice",
        _hosts(1, ["api.pagerduty.com", "API.pagerduty.com:443"]),
        "genai.tools.1.reaches.hosts",
        "genai.tools.1.reaches.hosts",
        "'API.pagerduty.com:443' appears twice (as 'api.pagerduty.com'); name each host once",
    ),
    (
        "reaches-unknown-key",
        lambda d: _genai(d)["tools"][1]["reaches"].update(kubernetes_rules=[]),
        "genai.tools.1.reaches.kubernetes_rules",
        "genai.tools.1.reaches.kubernetes_rules",
        "did you mean 'kubernetes'?",
    ),
]


@pytest.mark.parametrize(
    ("change", "field", "at", "words"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_each_genai_mistake_is_one_line_naming_file_line_and_field(
    change: Change, field: str, at: str, words: str
) -> None:
    """The mistake is refused with exactly one line: spec.yaml:LINE: FIELD: message."""
    text, lines = _errors(change)
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"spec.yaml:{_line(text, at)}: {field}: "), lines[0]
    assert words in lines[0]


@pytest.mark.parametrize("kind", ["service", "pipeline"])
def test_a_genai_regime_is_refused_for_other_kinds(kind: str) -> None:
    """nist-ai-600-1 covers generative AI only: a service or pipeline listing it is refused."""
    base = yaml.safe_load((SPECS / "claims-triage.yaml").read_text(encoding="utf-8"))

    def change(data: dict[str, Any]) -> None:
        data["kind"] = kind
        data["regulatory"]["regimes"].append("nist-ai-600-1")

    _, lines = _errors(change, base)
    assert [line for line in lines if "nist-ai-600-1 covers generative AI" in line], lines


@pytest.mark.parametrize("provider", ["openai-compatible", "bedrock", "google"])
def test_any_known_provider_is_accepted(provider: str) -> None:
    """Every provider of the vocabulary is accepted, openai-compatible for any other endpoint."""
    _, lines = _errors(lambda d: _genai(d)["models"][1].update(provider=provider))
    assert lines == []


def test_a_harm_count_threshold_may_exceed_one() -> None:
    """A count of harms (pii-leak) passes at or below its threshold, which may be above 1."""
    _, lines = _errors(lambda d: _genai(d)["evals"][1].update(scorer="pii-leak", threshold=3))
    assert lines == []


def test_a_write_tool_may_be_approved_by_a_role_that_signs() -> None:
    """An approver may review or sign: sre-lead (sign) approves the rollback."""
    _, lines = _errors(_tool(1, approval={"role": "oncall-engineer"}))
    assert lines == []


def test_approval_defaults_are_four_eyes_and_an_hour() -> None:
    """An approval given only its role needs four eyes and expires after 60 minutes."""
    data = copy.deepcopy(NORMATIVE)
    _genai(data)["tools"][1]["approval"] = {"role": "sre-lead"}
    spec = ProjectSpec.model_validate(data)
    assert spec.genai is not None and spec.genai.tools is not None
    approval = spec.genai.tools[1].approval
    assert approval is not None and approval.four_eyes and approval.expires_minutes == 60


def test_without_data_residency_any_region_is_accepted() -> None:
    """Regions are checked against data_residency only when the spec pins one."""
    data = copy.deepcopy(NORMATIVE)
    del _genai(data)["data_residency"]
    _genai(data)["models"][1]["region"] = "us-east-1"
    assert ProjectSpec.model_validate(data).genai is not None


@pytest.mark.parametrize(
    ("region", "residency", "inside"),
    [
        ("eu", ["eu"], True),
        ("eu-west-1", ["eu"], True),
        ("eu-west-1", ["us", "eu-west"], True),
        ("europe", ["eu"], False),
        ("us-east-1", ["eu"], False),
    ],
)
def test_within_reads_sub_regions_by_prefix(
    region: str, residency: list[str], inside: bool
) -> None:
    """A region lies inside a residency entry when equal to it or a dash-separated sub-region."""
    assert within(region, residency) is inside


def test_genai_section_has_the_normative_keys() -> None:
    """The section's keys are exactly those of spec-example-genai.yaml (none renamed)."""
    assert set(_genai(NORMATIVE)) <= set(GenAI.model_fields)
    assert set(GenAI.model_fields) == {
        "models",
        "judge",
        "data_residency",
        "prompts",
        "retrieval",
        "tools",
        "limits",
        "guardrails",
        "evals",
        "transparency",
    }
