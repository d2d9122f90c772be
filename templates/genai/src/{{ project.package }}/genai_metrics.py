"""Prometheus metrics of the GenAI runtime: tokens, cost, fallbacks, verdicts, abstentions.

One registry per instance (tests make many). Names start with the package name; the alert
rules in ``ops/alerts.yml`` refer to them. Labels carry ids from spec.yaml (model ids, check
names, tool names), never user text.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from . import project

PREFIX = project.package()
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


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
        # the API's own, as a service has them
        self.requests = Counter(
            f"{PREFIX}_http_requests", "HTTP requests", ["method", "route", "status"], registry=r
        )
        self.latency = Histogram(
            f"{PREFIX}_http_request_duration_seconds",
            "HTTP request latency",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.errors = Counter(
            f"{PREFIX}_http_errors",
            "Responses with status 5xx or unhandled errors",
            ["route"],
            registry=r,
        )
        self.auth_failures = Counter(
            f"{PREFIX}_auth_failures",
            "Requests refused for missing or invalid credentials (401)",
            registry=r,
        )
        self.review_queue = Gauge(
            f"{PREFIX}_review_queue_depth", "Questions handed to a person, waiting", registry=r
        )
        self.budget = Gauge(
            f"{PREFIX}_budget_monthly_usd",
            "Monthly compute and model-usage budget (spec.yaml)",
            registry=r,
        )
        budget = project.budget_monthly_usd()
        self.budget.set(budget if budget is not None else 0)

    def render(self) -> bytes:
        """Return the metrics in the Prometheus text format."""
        return generate_latest(self.registry)
