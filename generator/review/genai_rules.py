"""Readiness rules of assistants and agents: what the validation of the ``genai`` section cannot.

Like ``rules``, each rule reads plain, possibly broken spec data and says nothing about what
it cannot read. They look at what a planning meeting must settle before a GenAI system is
built: personal data that would reach a provider unredacted, people not told they deal with
an AI, writes with a wide blast radius approved by one person, evals nothing relies on, no
red-team eval, spending caps that add up to more than the budget, judge-graded evals without
a judge, and answers that need not cite their sources in a regulated setting.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from generator.catalog import Scope, load_catalog, talks_to_people
from generator.review._data import mapping, mappings, strings
from generator.review._finding import Finding, Rule

GENAI_KINDS = ("assistant", "agent")
PERSONAL_CLASSES = ("personal", "health")
JUDGE_SCORERS = ("faithfulness", "answer-relevance", "helpfulness")
WIDE_BLAST = ("cluster", "external")
DAYS_PER_MONTH = 30


def _genai(data: dict[str, Any]) -> dict[str, Any] | None:
    """The ``genai`` section of an assistant or agent, or None for other kinds."""
    if data.get("kind") not in GENAI_KINDS:
        return None
    return mapping(data.get("genai"))


def _number(value: Any) -> float | None:
    """A number from the data (booleans are not numbers), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _name(item: dict[str, Any], key: str, index: int) -> str:
    value = item.get(key)
    return value if isinstance(value, str) and value else f"#{index + 1}"


def _money(value: float) -> str:
    return f"${value:,.0f}" if value >= 100 else f"${value:,.2f}"


def _can(user: dict[str, Any]) -> list[str]:
    return strings(user["can"]) if "can" in user else ["request", "read"]


# --- rules -------------------------------------------------------------------------------


def personal_data_redaction(data: dict[str, Any]) -> Iterator[Finding]:
    """Personal or health data without ``pii-redaction`` reaches the provider and the logs."""
    genai = _genai(data)
    if genai is None:
        return
    classes = set(strings(mapping(data.get("regulatory")).get("data_classes")))
    handled = sorted(classes & set(PERSONAL_CLASSES))
    if not handled:
        return
    guardrails = mapping(genai.get("guardrails"))
    what = " and ".join(handled)
    if "pii-redaction" not in strings(guardrails.get("input")):
        yield Finding(
            rule="personal-data-unredacted",
            severity="blocker",
            path="genai.guardrails.input",
            message=f"{what} data is handled, but guardrails.input has no pii-redaction: it "
            "would reach the model provider, the logs and the audit records as typed; add "
            "pii-redaction to guardrails.input",
            question=f"Which {what} data may people type, and may any of it leave for the "
            "model provider?",
        )
    if "pii-redaction" not in strings(guardrails.get("output")):
        yield Finding(
            rule="personal-data-in-answers",
            severity="warning",
            path="genai.guardrails.output",
            message=f"{what} data is handled, but guardrails.output has no pii-redaction: "
            "an answer could repeat personal data from documents or tool results; add "
            "pii-redaction to guardrails.output",
            question="May an answer ever show personal data, and to whom?",
        )


def ai_disclosure(data: dict[str, Any]) -> Iterator[Finding]:
    """An EU AI Act system that talks to people tells them it is an AI (Art. 50)."""
    genai = _genai(data)
    regulatory = mapping(data.get("regulatory"))
    if genai is None or "eu-ai-act" not in strings(regulatory.get("regimes")):
        return
    kind = str(data.get("kind"))
    tier = regulatory.get("eu_ai_act_risk")
    transparency = mapping(genai.get("transparency"))
    people = talks_to_people(kind, data.get("users"))
    if people and tier == "minimal":
        yield Finding(
            rule="minimal-tier-talks-to-people",
            severity="warning",
            path="regulatory.eu_ai_act_risk",
            message=f"the {kind} talks to people, so the Article 50 transparency duties apply "
            "whatever the tier: set eu_ai_act_risk to limited (or high, if Annex III applies)",
            question="Do people interact with the system directly, and is it an Annex III use?",
        )
        return
    if tier not in ("limited", "high"):
        return
    if people and transparency.get("disclose_ai") is not True:
        yield Finding(
            rule="no-ai-disclosure",
            severity="blocker",
            path="genai.transparency.disclose_ai",
            message=f"the {kind} talks to people under the EU AI Act, which requires telling "
            "them they interact with an AI at the latest at the first interaction (Art. 50(1)): "
            "set transparency.disclose_ai: true",
            question="How and when are people told they are dealing with an AI?",
        )
    if transparency.get("mark_output") is not True:
        yield Finding(
            rule="no-output-marking",
            severity="warning",
            path="genai.transparency.mark_output",
            message="generated text must be marked machine-readably as AI-generated (EU AI "
            "Act Art. 50(2), from 2 Aug 2026): set transparency.mark_output: true",
            question="Where does generated text go, and how will readers know it is generated?",
        )


def wide_writes_four_eyes(data: dict[str, Any]) -> Iterator[Finding]:
    """A write that reaches a cluster or beyond is approved by someone other than its requester."""
    genai = _genai(data)
    if genai is None:
        return
    for index, tool in enumerate(mappings(genai.get("tools"))):
        if tool.get("effect") != "write" or tool.get("blast_radius") not in WIDE_BLAST:
            continue
        approval = mapping(tool.get("approval"))
        if approval and approval.get("four_eyes") is False:
            name = _name(tool, "name", index)
            yield Finding(
                rule="wide-write-without-four-eyes",
                severity="blocker",
                path=f"genai.tools.{index}.approval.four_eyes",
                message=f"{name} writes with blast radius {tool.get('blast_radius')}, yet its "
                "requester may approve it: set four_eyes: true so another person approves",
                question=f"Who, other than the person who asked, approves {name}?",
            )


def approver_is_the_only_requester(data: dict[str, Any]) -> Iterator[Finding]:
    """With four eyes, an approving role that alone requests needs two people on duty."""
    genai = _genai(data)
    if genai is None:
        return
    requesters = [
        _name(user, "role", i)
        for i, user in enumerate(mappings(data.get("users")))
        if "request" in _can(user)
    ]
    if len(requesters) != 1:
        return
    (requester,) = requesters
    for index, tool in enumerate(mappings(genai.get("tools"))):
        approval = mapping(tool.get("approval"))
        if approval.get("role") == requester and approval.get("four_eyes") is not False:
            name = _name(tool, "name", index)
            yield Finding(
                rule="approver-is-the-only-requester",
                severity="warning",
                path=f"genai.tools.{index}.approval.role",
                message=f"every run is requested by {requester}, which also approves {name}; "
                f"the requester never approves their own run, so a second {requester} must "
                "be on duty or the calls wait until they expire",
                question=f"Is a second {requester} always on duty to approve {name}?",
            )


def evals_relied_on(data: dict[str, Any]) -> Iterator[Finding]:
    """A golden eval stands for a success metric or is named by an acceptance criterion."""
    genai = _genai(data)
    if genai is None:
        return
    criteria = " ".join(
        str(c.get(part) or "")
        for c in mappings(data.get("acceptance_criteria"))
        for part in ("given", "when", "then")
    )
    for index, item in enumerate(mappings(genai.get("evals"))):
        if item.get("dataset") != "golden" or item.get("metric"):
            continue
        eval_id = _name(item, "id", index)
        if eval_id in criteria:
            continue
        yield Finding(
            rule="eval-relied-on-by-nothing",
            severity="warning",
            path=f"genai.evals.{index}",
            message=f"{eval_id} stands for no success metric and no acceptance criterion "
            f"names it, so nobody will act on its score: set metric to the metric it measures, "
            "or drop it",
            question=f"Which success metric does {eval_id} measure?",
        )


def red_team_eval(data: dict[str, Any]) -> Iterator[Finding]:
    """Attacks are part of the gate: at least one red-team eval."""
    genai = _genai(data)
    if genai is None:
        return
    evals = mappings(genai.get("evals"))
    if any(item.get("dataset") == "redteam" for item in evals):
        return
    writes = any(t.get("effect") == "write" for t in mappings(genai.get("tools")))
    scorer = "unapproved-writes (threshold 0)" if writes else "injection-resistance"
    yield Finding(
        rule="no-red-team-eval",
        severity="blocker" if writes else "warning",
        path="genai.evals",
        message="no eval runs on the red-team set, so nothing shows that injected instructions "
        f"{'cannot make a write run' if writes else 'are resisted'}: add an eval with dataset "
        f"redteam and scorer {scorer}",
        question="Which attacks must the system resist before it ships?",
    )


def spending_caps(data: dict[str, Any]) -> Iterator[Finding]:
    """Per-request and per-user caps, at the volume expected, fit the monthly budget."""
    genai = _genai(data)
    if genai is None:
        return
    limits = mapping(genai.get("limits"))
    per_request = _number(limits.get("max_usd_per_request"))
    per_user_day = _number(limits.get("max_usd_per_user_per_day"))
    if per_request is None and per_user_day is None:
        yield Finding(
            rule="no-spending-cap",
            severity="warning",
            path="genai.limits",
            message="no spending cap is set (unbounded consumption, OWASP LLM10): set "
            "limits.max_usd_per_request and max_usd_per_user_per_day",
            question="What may one request, and one user in a day, cost at most?",
        )
        return
    budget = _number(mapping(data.get("budget")).get("monthly_usd"))
    if budget is None:
        return  # the budget rule asks for one
    volume = _number(limits.get("expected_requests_per_day"))
    if per_request is not None and volume is not None:
        worst = per_request * volume * DAYS_PER_MONTH
        if worst > budget:
            yield Finding(
                rule="request-caps-exceed-budget",
                severity="warning",
                path="genai.limits.max_usd_per_request",
                message=f"at the request cap, {volume:g} requests a day cost up to "
                f"{_money(worst)} a month, above the {_money(budget)} budget; the runtime "
                "refuses requests once the month's budget is spent: lower the cap or raise "
                "the budget",
                question="Should requests stop mid-month when the budget runs out?",
            )
    requesters = sum(1 for user in mappings(data.get("users")) if "request" in _can(user))
    if per_user_day is not None and requesters:
        worst = per_user_day * requesters * DAYS_PER_MONTH
        if worst > budget:
            who = "one user" if requesters == 1 else f"one user in each of {requesters} roles"
            yield Finding(
                rule="user-caps-exceed-budget",
                severity="warning",
                path="genai.limits.max_usd_per_user_per_day",
                message=f"{who} that may request, at the daily cap every day, spend "
                f"{_money(worst)} a month, above the {_money(budget)} budget: lower "
                "max_usd_per_user_per_day or raise the budget",
                question="How many people will use it daily, and what may each cost?",
            )
    if per_request is None:
        yield Finding(
            rule="no-request-cap",
            severity="info",
            path="genai.limits.max_usd_per_request",
            message="no cap per request: one runaway request may spend a user's whole day; set "
            "max_usd_per_request",
        )


def judge_for_judged_evals(data: dict[str, Any]) -> Iterator[Finding]:
    """Judge-graded evals need a judge model to gate a release on the live models."""
    genai = _genai(data)
    if genai is None or isinstance(genai.get("judge"), dict):
        return
    judged = [
        _name(item, "id", index)
        for index, item in enumerate(mappings(genai.get("evals")))
        if item.get("scorer") in JUDGE_SCORERS
    ]
    if judged:
        yield Finding(
            rule="no-judge",
            severity="blocker",
            path="genai.judge",
            message=f"{', '.join(judged)} {'is' if len(judged) == 1 else 'are'} graded by a "
            "judge, but no judge model is set: releases cannot be gated on the live models "
            "(the fake judge runs only offline); add genai.judge with a model outside the chain",
            question="Which model, of another family than the chain, grades the evals?",
        )


def cited_answers(data: dict[str, Any]) -> Iterator[Finding]:
    """An assistant answers from sources; in a regulated setting it must cite them."""
    genai = _genai(data)
    if genai is None or data.get("kind") != "assistant":
        return
    retrieval = genai.get("retrieval")
    if not isinstance(retrieval, dict):
        yield Finding(
            rule="assistant-without-retrieval",
            severity="warning",
            path="genai.retrieval",
            message="the assistant has no knowledge source, so its answers come from the "
            "model alone and cannot be checked against a source (confabulation): add retrieval "
            "over the documents it should answer from",
            question="Which documents should the answers come from?",
        )
        return
    catalog = load_catalog()
    binding = [
        catalog.regimes[r].short
        for r in Scope.of(data).regimes
        if r in catalog.regimes and catalog.regimes[r].binding
    ]
    if retrieval.get("citations") == "optional" and binding:
        yield Finding(
            rule="uncited-answers",
            severity="warning",
            path="genai.retrieval.citations",
            message=f"answers need not cite their sources although {', '.join(binding)} "
            "applies: an auditor cannot trace an answer to a document; set citations: required",
            question="How will an auditor trace an answer to the document it came from?",
        )


def injection_defence(data: dict[str, Any]) -> Iterator[Finding]:
    """Documents and tool results can carry instructions: check input for prompt injection."""
    genai = _genai(data)
    if genai is None:
        return
    inputs = strings(mapping(genai.get("guardrails")).get("input"))
    exposed = isinstance(genai.get("retrieval"), dict) or bool(mappings(genai.get("tools")))
    if exposed and "prompt-injection" not in inputs:
        yield Finding(
            rule="no-injection-check",
            severity="warning",
            path="genai.guardrails.input",
            message="retrieved passages and tool results can carry instructions (OWASP LLM01), "
            "but guardrails.input has no prompt-injection: add it",
            question="What stops an instruction hidden in a document or tool result?",
        )


GENAI_RULES: tuple[Rule, ...] = (
    personal_data_redaction,
    ai_disclosure,
    wide_writes_four_eyes,
    approver_is_the_only_requester,
    evals_relied_on,
    red_team_eval,
    spending_caps,
    judge_for_judged_evals,
    cited_answers,
    injection_defence,
)
"""The readiness rules of assistants and agents, in the order their findings are reported."""
