"""Prometheus metrics of the GenAI runtime: tokens, cost, fallbacks, verdicts, abstentions.

One registry per instance (tests make many). Names start with the package name; the alert
rules in ``ops/alerts.yml`` refer to them. Labels carry ids from spec.yaml (model ids, check
names, tool names), never user text.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge

from . import project

PREFIX = project.package()


class GenAIMetrics:
    """The GenAI runtime's metrics in one registry."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        """Create the metrics in ``registry`` (a new one by default)."""
        self.registry = r = registry or CollectorRegistry()
        self.tokens = Counter(
            f"{PREFIX}_genai_tokens",
            "Tokens used by model calls, by model id and direction (input or output)",
            ["model", "direction"],
            registry=r,
        )
        self.cost = Counter(
            f"{PREFIX}_genai_cost_usd", "Settled cost of model calls in USD", ["model"], registry=r
        )
        self.calls = Counter(
            f"{PREFIX}_genai_model_calls",
            "Model calls by model id and outcome (ok, error, timeout)",
            ["model", "outcome"],
            registry=r,
        )
        self.fallbacks = Counter(
            f"{PREFIX}_genai_fallbacks",
            "Answers served by a model other than the chain's first",
            ["model"],
            registry=r,
        )
        self.budget_refusals = Counter(
            f"{PREFIX}_genai_budget_refusals",
            "Model calls refused before spending, by budget scope",
            ["scope"],
            registry=r,
        )
        self.verdicts = Counter(
            f"{PREFIX}_genai_guardrail_verdicts",
            "Guardrail verdicts by check, stage and outcome (pass, redacted, violation)",
            ["check", "stage", "outcome"],
            registry=r,
        )
        self.answers = Counter(
            f"{PREFIX}_genai_answers",
            "Assistant answers by status (answered, abstained, refused)",
            ["status"],
            registry=r,
        )
        self.abstentions = Counter(
            f"{PREFIX}_genai_abstentions",
            "Questions handed to a person, by reason",
            ["reason"],
            registry=r,
        )
        self.tool_calls = Counter(
            f"{PREFIX}_genai_tool_calls",
            "Tool calls by tool and outcome",
            ["tool", "outcome"],
            registry=r,
        )
        self.runs = Counter(
            f"{PREFIX}_genai_runs", "Agent runs ended, by final status", ["status"], registry=r
        )
        self.limit_hits = Counter(
            f"{PREFIX}_genai_limit_hits",
            "Runs stopped by a limit (tool calls, deadline, budget, kill switch)",
            ["limit"],
            registry=r,
        )
        self.approvals_pending = Gauge(
            f"{PREFIX}_genai_approvals_pending", "Approvals waiting for a decision", registry=r
        )
        self.kill_switch = Gauge(
            f"{PREFIX}_genai_kill_switch_engaged", "1 while the kill switch is engaged", registry=r
        )
