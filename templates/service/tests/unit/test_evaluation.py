"""The evaluation gate compares measured values with the success metrics of spec.yaml."""

from __future__ import annotations

from ..package import evaluate, gate, project


def _targets() -> dict[str, float]:
    return {str(m["id"]): float(m["target"]) for m in project.spec()["success_metrics"]}


def _missing_all() -> dict[str, float]:
    worse = {}
    for metric in project.spec()["success_metrics"]:
        step = abs(float(metric["target"])) + 1.0
        sign = -1.0 if metric["direction"] == "increase" else 1.0
        worse[str(metric["id"])] = float(metric["target"]) + sign * step
    return worse


def test_every_target_met_passes_the_gate() -> None:
    """Measured values exactly on target pass."""
    assert gate(_targets())


def test_missed_targets_fail_the_gate() -> None:
    """Values on the wrong side of the target, by the metric's direction, fail."""
    results = evaluate(_missing_all())
    assert not any(result.met for result in results)


def test_unmeasured_metric_fails_the_gate() -> None:
    """A metric without a measured value is not met."""
    measured = _targets()
    measured.pop(next(iter(measured)))
    assert not gate(measured)


def test_every_success_metric_is_evaluated() -> None:
    """The gate reports each success metric of spec.yaml."""
    assert [r.metric_id for r in evaluate(_targets())] == list(_targets())
