"""Prometheus metrics: requests, latency, errors, model usage and cost, budget, drift.

Each app instance has its own registry, so tests can create many apps. Metric names start
with the package name and ``_``; ops/alerts.yml refers to them.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from . import project

PREFIX = project.package()
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """The service's metrics in one registry."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        """Create the metrics in ``registry`` (a new one by default)."""
        self.registry = registry or CollectorRegistry()
        r = self.registry
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
        self.predictions = Counter(
            f"{PREFIX}_model_predictions",
            "Model predictions by model version and outcome",
            ["model_version", "outcome"],
            registry=r,
        )
        self.cost = Counter(f"{PREFIX}_model_cost_usd", "Model usage cost in USD", registry=r)
        self.budget = Gauge(
            f"{PREFIX}_budget_monthly_usd",
            "Monthly compute and model-usage budget (spec.yaml)",
            registry=r,
        )
        self.review_queue = Gauge(
            f"{PREFIX}_review_queue_depth", "Decisions waiting for a human", registry=r
        )
        self.drift = Gauge(
            f"{PREFIX}_drift_psi", "Population stability index per feature", ["feature"], registry=r
        )
        self.drift_unseen = Gauge(
            f"{PREFIX}_drift_unseen_share",
            "Share of recent values of a category the reference sample never had",
            ["feature"],
            registry=r,
        )
        self.drift_threshold = Gauge(
            f"{PREFIX}_drift_psi_threshold",
            "PSI above which drift is alerted (spec.yaml)",
            registry=r,
        )
        self.auth_failures = Counter(
            f"{PREFIX}_auth_failures",
            "Requests refused for missing or invalid credentials (401)",
            registry=r,
        )
        self.kill_switch = Gauge(
            f"{PREFIX}_kill_switch_engaged", "1 while the model path is disabled", registry=r
        )
        budget = project.budget_monthly_usd()
        self.budget.set(budget if budget is not None else 0)
        self.drift_threshold.set(project.drift_threshold())

    def render(self) -> bytes:
        """Return the metrics in the Prometheus text format."""
        return generate_latest(self.registry)
