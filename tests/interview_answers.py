"""Whole interviews answered by question key, for ``tests.fake_prompt.ScriptedPrompt``.

Questions not named here take what the interview offers (a suggestion, a default, the first
choice); optional sections are declined, as their offers default to no.
"""

from __future__ import annotations

from typing import Any

from tests.fake_prompt import Each

FRAUD: dict[str, Any] = {
    "title": "Fraud screening",
    "summary": "Scores card payments for fraud before they are authorised.",
    "business_goal.problem": "Analysts review every flagged payment by hand.",
    "business_goal.outcome": "Only doubtful payments reach an analyst.",
    "business_goal.value": "Manual reviews fall by half.",
    "owners.business": "Head of Payments",
    "owners.technical": "Payments Platform team",
    "owners.operations": "payments-oncall@example.com",
    "users.*.role": "analyst",
    "users.*.description": "Reviews doubtful payments.",
    "success_metrics.*.name": "Manual reviews per day",
    "success_metrics.*.unit": "reviews",
    "success_metrics.*.baseline": 400,
    "success_metrics.*.target": 200,
    "success_metrics.*.measurement": "Case tool counts, weekly.",
    "regulatory.regimes": ["pci-dss"],
    "acceptance_criteria.*.given": "a payment with a known fraud pattern",
    "acceptance_criteria.*.when": "it is scored",
    "acceptance_criteria.*.then": "it is held for review within 200 ms",
    "control.verdict": "write",
}
"""A card-fraud service in one regime; not ready (no e2e criterion, no reviewer...)."""


def claims() -> dict[str, Any]:
    """A claims-triage service under the EU AI Act (high risk) and GDPR; not ready.

    Its blocker: a high-risk system with no operating boundary (and nobody who may review).
    A new dict each time, as ``Each`` answers are used up by one interview.
    """
    return {
        "title": "Claims triage assistant",
        "summary": "Routes claims to adjusters.",
        "business_goal.problem": "Adjusters route claims by hand.",
        "business_goal.outcome": "Routine claims route themselves.",
        "business_goal.value": "Frees 12 adjuster FTEs.",
        "business_goal.non_goals.*": Each(["Deciding payouts."]),
        "owners.business": "Head of Claims",
        "owners.technical": "Claims Platform team",
        "owners.operations": "oncall@example.com",
        "users.*.role": "adjuster",
        "users.*.description": "Reviews routing suggestions.",
        "users.*.needs.*": Each(["See why."]),
        "success_metrics.*.name": "Routing time",
        "success_metrics.*.unit": "hours",
        "success_metrics.*.baseline": 48,
        "success_metrics.*.target": 4,
        "success_metrics.*.measurement": "Weekly.",
        "regulatory.regimes": ["eu-ai-act", "gdpr"],
        "regulatory.eu_ai_act_risk": "high",
        "regulatory.data_classes": ["personal"],
        "acceptance_criteria.*.given": "a routine claim",
        "acceptance_criteria.*.when": "it is submitted",
        "acceptance_criteria.*.then": "a decision is returned within 2 seconds",
        "acceptance_criteria.*.layer": "e2e",
        "acceptance_criteria.*.metric": "M-1",
        "control.verdict": "write",
    }
