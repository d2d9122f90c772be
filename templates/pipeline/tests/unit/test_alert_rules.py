"""Unit tests for ops/alerts.yml: valid YAML, and every rule uses metrics the pipeline writes."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from ..package import METRICS_PREFIX as PREFIX

ALERTS = Path(__file__).parents[2] / "ops" / "alerts.yml"
WRITTEN = {
    "run_duration_seconds",
    "rows_in",
    "rows_quarantined",
    "gate_passed",
    "awaiting_approval",
    "last_run_timestamp_seconds",
    "last_success_timestamp_seconds",
    "drift_psi",
    "drift_psi_threshold",
    "drift_unseen_share",
    "evaluation_value",
    "run_duration_objective_seconds",
}


def _rules() -> list[dict[str, Any]]:
    data = yaml.safe_load(ALERTS.read_text(encoding="utf-8"))
    return [rule for group in data["groups"] for rule in group["rules"]]


def test_every_rule_has_a_name_an_expression_and_a_severity() -> None:
    """Each rule is complete enough for Prometheus and the pager."""
    for rule in _rules():
        assert rule["alert"] and rule["expr"] and rule["labels"]["severity"]


def test_rules_use_only_metrics_the_pipeline_writes() -> None:
    """A rule on a metric nobody writes would never fire."""
    for rule in _rules():
        names = set(re.findall(PREFIX + r"_([a-z_]+)", str(rule["expr"])))
        assert names and names <= WRITTEN, rule["alert"]


def test_the_gate_alert_exists() -> None:
    """A failed evaluation gate raises an alert."""
    assert any("gate_passed" in str(rule["expr"]) for rule in _rules())
