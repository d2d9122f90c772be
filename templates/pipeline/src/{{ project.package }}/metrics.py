"""Run metrics written with prometheus_client's textfile writer, for a textfile collector.

Point node-exporter's ``--collector.textfile.directory`` at ``output/metrics`` (or push the
registry to a Pushgateway). The file is replaced atomically by ``write_to_textfile``. Drift
metrics have the service's names, so one dashboard serves both kinds; the alert rules in
ops/alerts.yml use these names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from prometheus_client import CollectorRegistry, Gauge, generate_latest, write_to_textfile

from . import project

PREFIX = project.package()
"""Metric names start with the package name, as the alert rules in ops/alerts.yml expect."""


@dataclass(frozen=True)
class RunMetrics:
    """The numbers one run reports."""

    duration_seconds: float
    rows_in: int
    rows_quarantined: int
    gate_passed: bool
    finished_at: float
    awaiting_approval: bool = False
    """Nothing was scored: no model is approved for production yet."""
    psi: Mapping[str, float] = field(default_factory=dict)
    unseen: Mapping[str, float] = field(default_factory=dict)
    measures: Mapping[str, float] = field(default_factory=dict)


def registry(m: RunMetrics) -> CollectorRegistry:
    """Return a registry holding one run's metrics."""
    r = CollectorRegistry()

    def gauge(name: str, help_text: str, value: float) -> None:
        Gauge(f"{PREFIX}_{name}", help_text, registry=r).set(value)

    gauge("run_duration_seconds", "Duration of the last run.", m.duration_seconds)
    gauge("rows_in", "Rows read by the last run.", m.rows_in)
    gauge("rows_quarantined", "Rows quarantined by the last run.", m.rows_quarantined)
    gauge("gate_passed", "1 unless the last run's model missed a target.", float(m.gate_passed))
    gauge(
        "awaiting_approval",
        "1 if the last run scored nothing: no model is approved for production.",
        float(m.awaiting_approval),
    )
    gauge("last_run_timestamp_seconds", "Unix time the last run finished.", m.finished_at)
    if m.gate_passed and not m.awaiting_approval:
        gauge(
            "last_success_timestamp_seconds", "Unix time of the last published run.", m.finished_at
        )
    objective = project.pipeline().get("run_objective_seconds")
    if objective is not None:
        gauge(
            "run_duration_objective_seconds",
            "The longest a run should take (spec.yaml monitoring.latency_p95_ms).",
            float(objective),
        )
    gauge(
        "drift_psi_threshold",
        "PSI above which drift is alerted (spec.yaml).",
        project.drift_threshold(),
    )
    labelled = (
        ("drift_psi", "Population stability index per feature", "feature", m.psi),
        (
            "drift_unseen_share",
            "Share of values of a category the reference sample never had",
            "feature",
            m.unseen,
        ),
        ("evaluation_value", "Measured value per gated success metric", "metric", m.measures),
    )
    for name, help_text, label, values in labelled:
        if values:
            metric = Gauge(f"{PREFIX}_{name}", help_text, [label], registry=r)
            for key, value in sorted(values.items()):
                metric.labels(key).set(value)
    return r


def render(m: RunMetrics) -> str:
    """Return the metrics in the Prometheus text exposition format."""
    return generate_latest(registry(m)).decode("utf-8")


def write_textfile(path: Path, m: RunMetrics) -> Path:
    """Write the metrics file atomically (collectors must never read half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_to_textfile(str(path), registry(m))
    return path
