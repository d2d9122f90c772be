"""Readiness rules of assistants and agents: each finds its problem, silent on the examples."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from generator.review import (
    genai_rules,
    render_portfolio,
    render_report,
    review_file,
    review_files,
    rules,
)
from generator.spec import read_spec_data
from tests.conftest import SPECS

ASSISTANT = SPECS / "benefits-enquiry-assistant.yaml"
AGENT = SPECS / "outage-response-agent.yaml"


def _data(path: Path) -> dict[str, Any]:
    data = read_spec_data(path.read_bytes(), str(path)).data
    assert isinstance(data, dict)
    return copy.deepcopy(data)


def _found(rule: rules.Rule, data: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(f.rule, f.severity, f.path) for f in rule(data)]


@pytest.mark.parametrize("path", [ASSISTANT, AGENT], ids=lambda p: p.stem)
@pytest.mark.parametrize("rule", genai_rules.GENAI_RULES, ids=lambda r: r.__name__)
def test_genai_rules_are_silent_on_the_examples(path: Path, rule: rules.Rule) -> None:
    """The assistant and agent examples raise no GenAI finding."""
    assert _found(rule, _data(path)) == []


@pytest.mark.parametrize("path", [ASSISTANT, AGENT], ids=lambda p: p.stem)
def test_genai_examples_review_ready(path: Path) -> None:
    """The examples are ready: no blocker from any rule."""
    report = review_file(path)
    assert report.verdict == "ready", [f for f in report.findings if f.severity == "blocker"]


def test_genai_rules_ignore_a_service() -> None:
    """A service carries no genai section, so no GenAI rule speaks about it."""
    data = _data(SPECS / "claims-triage.yaml")
    assert [f for rule in genai_rules.GENAI_RULES for f in rule(data)] == []


def test_personal_data_without_input_redaction_blocks() -> None:
    """Personal data and no pii-redaction on input: it would reach the provider as typed."""
    data = _data(ASSISTANT)
    data["genai"]["guardrails"]["input"] = ["prompt-injection"]
    assert _found(genai_rules.personal_data_redaction, data) == [
        ("personal-data-unredacted", "blocker", "genai.guardrails.input")
    ]


def test_personal_data_without_output_redaction_warns() -> None:
    """Personal data and no pii-redaction on output: an answer could repeat it."""
    data = _data(ASSISTANT)
    data["genai"]["guardrails"]["output"] = ["grounded-citations"]
    assert _found(genai_rules.personal_data_redaction, data) == [
        ("personal-data-in-answers", "warning", "genai.guardrails.output")
    ]


def test_personal_data_without_any_guardrails_is_found() -> None:
    """No guardrails section at all counts as no redaction."""
    data = _data(ASSISTANT)
    del data["genai"]["guardrails"]
    assert ("personal-data-unredacted", "blocker", "genai.guardrails.input") in _found(
        genai_rules.personal_data_redaction, data
    )


def test_no_personal_data_needs_no_redaction() -> None:
    """Without personal or health data the redaction rule stays silent."""
    data = _data(AGENT)
    data["genai"]["guardrails"]["input"] = []
    assert _found(genai_rules.personal_data_redaction, data) == []


@pytest.mark.parametrize("tier", ["limited", "high"])
def test_eu_ai_act_assistant_without_disclosure_blocks(tier: str) -> None:
    """An EU AI Act assistant talks to people: no disclosure blocks (Art. 50(1))."""
    data = _data(ASSISTANT)
    data["regulatory"]["eu_ai_act_risk"] = tier
    data["genai"]["transparency"]["disclose_ai"] = False
    assert ("no-ai-disclosure", "blocker", "genai.transparency.disclose_ai") in _found(
        genai_rules.ai_disclosure, data
    )


def test_missing_transparency_section_counts_as_no_disclosure() -> None:
    """Leaving transparency out is no disclosure, and no marking."""
    data = _data(ASSISTANT)
    del data["genai"]["transparency"]
    assert _found(genai_rules.ai_disclosure, data) == [
        ("no-ai-disclosure", "blocker", "genai.transparency.disclose_ai"),
        ("no-output-marking", "warning", "genai.transparency.mark_output"),
    ]


def test_disclosure_is_not_asked_outside_the_eu_ai_act() -> None:
    """Without the EU AI Act the disclosure rule stays silent (the agent is not under it)."""
    data = _data(AGENT)
    data["genai"]["transparency"] = {"disclose_ai": False, "mark_output": False}
    assert _found(genai_rules.ai_disclosure, data) == []


def test_agent_started_by_events_only_needs_no_disclosure() -> None:
    """An agent no person both asks and reads (an event source) does not talk to people."""
    data = _data(AGENT)
    data["regulatory"]["regimes"].append("eu-ai-act")
    data["regulatory"]["eu_ai_act_risk"] = "limited"
    data["genai"]["transparency"] = {"disclose_ai": False, "mark_output": True}
    data["users"] = [
        {**u, "can": [p for p in u.get("can", ["request", "read"]) if p != "request"]}
        for u in data["users"]
    ]
    data["users"][0]["can"] = ["request"]
    assert _found(genai_rules.ai_disclosure, data) == []


def test_minimal_tier_for_an_assistant_is_questioned() -> None:
    """An assistant talks to people, so Art. 50 binds it: the minimal tier is questioned."""
    data = _data(ASSISTANT)
    data["regulatory"]["eu_ai_act_risk"] = "minimal"
    assert _found(genai_rules.ai_disclosure, data) == [
        ("minimal-tier-talks-to-people", "warning", "regulatory.eu_ai_act_risk")
    ]


@pytest.mark.parametrize("radius", ["cluster", "external"])
def test_wide_write_without_four_eyes_blocks(radius: str) -> None:
    """A write reaching a cluster or beyond that its requester may approve blocks."""
    data = _data(AGENT)
    tool = data["genai"]["tools"][3]
    tool["blast_radius"] = radius
    tool["approval"]["four_eyes"] = False
    assert _found(genai_rules.wide_writes_four_eyes, data) == [
        ("wide-write-without-four-eyes", "blocker", "genai.tools.3.approval.four_eyes")
    ]


@pytest.mark.parametrize("radius", ["resource", "namespace"])
def test_narrow_write_without_four_eyes_is_allowed(radius: str) -> None:
    """Four eyes is the spec's choice for a write of narrow blast radius."""
    data = _data(AGENT)
    tool = data["genai"]["tools"][3]
    tool["blast_radius"] = radius
    tool["approval"]["four_eyes"] = False
    assert _found(genai_rules.wide_writes_four_eyes, data) == []


def test_golden_eval_nothing_relies_on_warns() -> None:
    """A golden eval with no metric and named by no criterion warns."""
    data = _data(ASSISTANT)
    del data["genai"]["evals"][2]["metric"]
    assert _found(genai_rules.evals_relied_on, data) == [
        ("eval-relied-on-by-nothing", "warning", "genai.evals.2")
    ]


def test_golden_eval_named_by_a_criterion_is_relied_on() -> None:
    """A criterion that names the eval's id counts as relying on it."""
    data = _data(ASSISTANT)
    del data["genai"]["evals"][2]["metric"]
    data["acceptance_criteria"][1]["then"] += " (eval E-3 at or above 0.95)"
    assert _found(genai_rules.evals_relied_on, data) == []


def test_no_red_team_eval_warns_for_an_assistant() -> None:
    """An assistant without a red-team eval is warned."""
    data = _data(ASSISTANT)
    data["genai"]["evals"] = [e for e in data["genai"]["evals"] if e["dataset"] != "redteam"]
    assert _found(genai_rules.red_team_eval, data) == [
        ("no-red-team-eval", "warning", "genai.evals")
    ]


def test_no_red_team_eval_blocks_for_an_agent_that_writes() -> None:
    """With write tools, nothing shows injections cannot make a write run: it blocks."""
    data = _data(AGENT)
    data["genai"]["evals"] = [e for e in data["genai"]["evals"] if e["dataset"] != "redteam"]
    found = list(genai_rules.red_team_eval(data))
    assert [(f.rule, f.severity) for f in found] == [("no-red-team-eval", "blocker")]
    assert "unapproved-writes" in found[0].message


def test_request_caps_above_the_budget_warn() -> None:
    """The request cap at the expected daily volume, over a month, above the budget warns."""
    data = _data(ASSISTANT)
    data["genai"]["limits"]["max_usd_per_request"] = 0.1  # 0.1 x 2500 x 30 = 7500 > 1500
    found = list(genai_rules.spending_caps(data))
    assert [(f.rule, f.path) for f in found] == [
        ("request-caps-exceed-budget", "genai.limits.max_usd_per_request")
    ]
    assert "$7,500" in found[0].message and "$1,500" in found[0].message


def test_user_daily_caps_above_the_budget_warn() -> None:
    """Each requesting role's daily cap, every day of a month, above the budget warns."""
    data = _data(AGENT)
    data["genai"]["limits"]["max_usd_per_user_per_day"] = 200  # 200 x 1 role x 30 > 4000
    assert ("user-caps-exceed-budget", "warning", "genai.limits.max_usd_per_user_per_day") in (
        _found(genai_rules.spending_caps, data)
    )


def test_no_spending_cap_warns() -> None:
    """Without any spending cap consumption is unbounded (OWASP LLM10)."""
    data = _data(ASSISTANT)
    del data["genai"]["limits"]
    assert _found(genai_rules.spending_caps, data) == [
        ("no-spending-cap", "warning", "genai.limits")
    ]


def test_judge_graded_eval_without_a_judge_blocks() -> None:
    """A faithfulness eval with no judge cannot gate a release on live models."""
    data = _data(ASSISTANT)
    del data["genai"]["judge"]
    found = list(genai_rules.judge_for_judged_evals(data))
    assert [(f.rule, f.severity, f.path) for f in found] == [("no-judge", "blocker", "genai.judge")]
    assert found[0].message.startswith("E-2 is graded by a judge")


def test_assistant_without_retrieval_warns() -> None:
    """An assistant with no knowledge source answers from the model alone."""
    data = _data(ASSISTANT)
    del data["genai"]["retrieval"]
    assert _found(genai_rules.cited_answers, data) == [
        ("assistant-without-retrieval", "warning", "genai.retrieval")
    ]


def test_optional_citations_under_a_binding_regime_warn() -> None:
    """Under binding law an auditor must trace an answer to its source."""
    data = _data(ASSISTANT)
    data["genai"]["retrieval"]["citations"] = "optional"
    assert _found(genai_rules.cited_answers, data) == [
        ("uncited-answers", "warning", "genai.retrieval.citations")
    ]


def test_tools_without_injection_check_warn() -> None:
    """Tool results can carry instructions: no prompt-injection check warns."""
    data = _data(AGENT)
    data["genai"]["guardrails"]["input"] = []
    assert _found(genai_rules.injection_defence, data) == [
        ("no-injection-check", "warning", "genai.guardrails.input")
    ]


def test_high_risk_assistant_without_hand_off_blocks() -> None:
    """A high-risk assistant that never hands off to a person lacks oversight (Art. 14)."""
    data = _data(ASSISTANT)
    data["regulatory"]["eu_ai_act_risk"] = "high"
    data["genai"]["retrieval"]["abstain_below"] = 0
    assert ("high-risk-no-handoff", "blocker", "genai.retrieval.abstain_below") in _found(
        rules.high_risk_oversight, data
    )


def test_generative_kinds_need_no_drift_features() -> None:
    """Free text has no feature distribution: no drift-feature finding for an assistant."""
    data = _data(ASSISTANT)
    assert "no-drift-features" not in [f.rule for f in rules.monitoring(data)]


def test_findings_survive_a_broken_genai_section() -> None:
    """A genai section of the wrong shape yields findings, never an exception."""
    shapes: list[Any] = [[], "text", {"tools": "x", "evals": [1, None], "limits": []}]
    for broken in shapes:
        data = _data(AGENT)
        data["genai"] = broken
        for rule in genai_rules.GENAI_RULES:
            list(rule(data))


def test_review_page_shows_the_genai_section_with_headings() -> None:
    """The Markdown review shows the genai section, each part under its own heading."""
    text = render_report(review_file(AGENT), "md")
    section = text[text.index("### GenAI") :]
    for heading in ("Models", "Judge", "Prompts", "Tools", "Limits", "Guardrails", "Evals"):
        assert f"#### {heading}\n" in section, heading
    assert "| send\\_customer\\_notice |" in section
    assert "Approved by: duty-manager; Four eyes: yes" in section


def test_review_html_shows_the_genai_section() -> None:
    """The HTML review shows the tools and evals of the genai section."""
    page = render_report(review_file(AGENT), "html")
    assert "<h2>GenAI</h2>" in page and "<h3>Tools</h3>" in page
    assert "dispatch_crew" in page and "unapproved-writes" in page


def test_portfolio_shows_each_genai_section() -> None:
    """A portfolio of both examples shows each one's kind and genai section."""
    text = render_portfolio(review_files([ASSISTANT, AGENT]), "md")
    assert "| assistant |" in text and "| agent |" in text
    assert text.count("### GenAI") == 2
    assert "benefits-guidance" in text and "send\\_customer\\_notice" in text


def test_a_service_review_has_no_genai_section() -> None:
    """A service has no genai section, so its review shows none, not an empty one."""
    assert "GenAI" not in render_report(review_file(SPECS / "claims-triage.yaml"), "md")


def test_limited_tier_assistant_review_lists_article_50_and_not_9_to_15() -> None:
    """The review's controls for a limited-tier assistant: Art. 4 and 50, none of Arts. 9-15."""
    eu = {c.control for c in review_file(ASSISTANT).controls if c.regime == "eu-ai-act"}
    assert eu == {"art-4", "art-50-1", "art-50-2"}


@pytest.mark.parametrize(
    ("path", "regime"),
    [(ASSISTANT, "owasp-llm-top10"), (AGENT, "owasp-llm-top10"), (AGENT, "nist-ai-600-1")],
)
def test_genai_catalogues_appear_among_the_review_controls(path: Path, regime: str) -> None:
    """OWASP LLM Top 10 and NIST AI 600-1 controls are listed, each with its evidence."""
    rows = [c for c in review_file(path).controls if c.regime == regime]
    assert rows and all(c.artifact_title for c in rows)
    assert regime.split("-")[0].upper() in render_report(review_file(path), "md")
