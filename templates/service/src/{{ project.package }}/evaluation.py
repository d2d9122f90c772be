"""Evaluation gate: measured values checked against the success-metric targets of spec.yaml.

Run it on an evaluation report before a model version is released
(the ``evaluate results.json`` command, where results.json maps metric ids to measured
values); it fails when a target is missed or a metric was not measured.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from . import project


@dataclass(frozen=True)
class MetricResult:
    """One success metric: its target, what was measured and whether the target is met."""

    metric_id: str
    target: float
    direction: str
    measured: float | None
    met: bool


def evaluate(measured: Mapping[str, float]) -> list[MetricResult]:
    """Compare measured values with every success metric's target and direction."""
    results = []
    for metric in project.spec()["success_metrics"]:
        metric_id = str(metric["id"])
        target = float(metric["target"])
        direction = str(metric["direction"])
        value = measured.get(metric_id)
        if value is None:
            met = False
        elif direction == "increase":
            met = value >= target
        else:
            met = value <= target
        results.append(MetricResult(metric_id, target, direction, value, met))
    return results


def gate(measured: Mapping[str, float]) -> bool:
    """Tell whether every success metric meets its target."""
    return all(result.met for result in evaluate(measured))
