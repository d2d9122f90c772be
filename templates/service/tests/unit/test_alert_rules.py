"""Alert rules: valid Prometheus rule YAML with thresholds from spec.yaml."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from ..package import METRICS_PREFIX as PREFIX
from ..package import Metrics, project

ROOT = Path(__file__).resolve().parents[2]


def _rules() -> dict[str, dict[str, Any]]:
    data = yaml.safe_load((ROOT / "ops" / "alerts.yml").read_text(encoding="utf-8"))
    return {rule["alert"]: rule for group in data["groups"] for rule in group["rules"]}


def test_every_rule_has_expression_severity_and_summary() -> None:
    """Each alert has an expression, a severity label and a summary."""
    for rule in _rules().values():
        assert rule["expr"]
        assert rule["labels"]["severity"] in {"page", "ticket"}
        assert rule["annotations"]["summary"]


def test_latency_alert_uses_the_spec_slo() -> None:
    """The latency alert fires above the spec's p95 objective."""
    seconds = project.project()["slo"]["latency_p95_ms"] / 1000
    assert f"> {seconds:g}" in _rules()["LatencyP95AboveSLO"]["expr"]


def test_availability_alert_uses_the_spec_slo() -> None:
    """The error-ratio alert fires at the error budget the availability objective leaves."""
    budget = 1 - project.project()["slo"]["availability_pct"] / 100
    assert f"> {budget:.6g}" in _rules()["ErrorRatioAboveSLO"]["expr"]


def test_drift_alert_uses_the_spec_threshold() -> None:
    """The drift alert fires above the spec's PSI threshold."""
    assert f"> {project.drift_threshold():g}" in _rules()["InputDrift"]["expr"]


def test_budget_alert_uses_the_spec_budget() -> None:
    """The budget alert fires when month-to-date cost passes the spec's monthly budget."""
    budget = project.budget_monthly_usd()
    if budget is None:
        pytest.skip("spec.yaml sets no budget")
    assert f"> {budget:g}" in _rules()["MonthlyBudgetExceeded"]["expr"]


def test_rules_only_use_metrics_the_service_exports() -> None:
    """Every metric an alert names is one the service exports."""
    exported = {metric.name for metric in Metrics().registry.collect()}
    for rule in _rules().values():
        for name in re.findall(rf"\b{PREFIX}_[a-z0-9_]+", rule["expr"]):
            base = name.removesuffix("_bucket").removesuffix("_total").removesuffix("_count")
            assert base in exported, name
