"""The pipeline's task and evaluation gate, as a spec's success metrics and criteria imply them.

The measures a generated pipeline computes on held-out records, the words that name each in
a metric, and which targets its gate can enforce. Both the render (the pipeline's context)
and the review (a criterion naming a target the gate cannot enforce is a blocker) read it.
"""

from __future__ import annotations

import re
from typing import Any

from generator.spec.project import ProjectSpec

_CLASSIFICATION_MEASURES = {
    "recall": ("recall", "sensitivity", "true positive rate", "tpr", "detection rate"),
    "precision": ("precision", "ppv", "positive predictive value"),
    "specificity": ("specificity", "true negative rate", "tnr"),
    "npv": ("npv", "negative predictive value"),
    "auroc": ("auroc", "auc", "roc auc", "area under the roc curve", "area under the curve"),
    "f1": ("f1", "f-score", "f score"),
    "accuracy": ("accuracy",),
}
_REGRESSION_MEASURES = {
    "mape": ("mape", "percentage error"),
    "rmse": ("rmse", "root mean squared"),
    "mae": ("mae", "mean absolute error"),
}
"""What the pipeline measures on held-out records, and the words that name each in a metric
(whole words: "roc" in "process" names nothing)."""
_PERCENT_UNIT = re.compile(r"%|percent|pct", re.IGNORECASE)
_RATIO_MEASURES = frozenset(_CLASSIFICATION_MEASURES)
ERROR_TARGET_RANGE = (1e-6, 1e9)
"""MAE and RMSE targets the pipeline gates: the sample labels are scaled to the strictest
one, and outside this range the numbers would underflow or overflow a float's precision."""
MAPE_TARGET_FLOOR = 0.001
"""The smallest MAPE (0.1%) the baseline model resolves; a stricter target is not gated."""


def _task_and_gate(spec: ProjectSpec) -> tuple[str, list[dict[str, Any]]]:
    """Classification or regression, and the success metrics the pipeline can gate.

    A metric is gated when its name names a measure the pipeline computes and its target
    can mean that measure: a recall of "95 %" is gated as 0.95, but a recall whose target
    is 7 (ratio) or whose direction is "decrease" is left to be measured in production,
    rather than blocking every run on a target no model can meet.
    """
    regression: list[dict[str, Any]] = []
    classification: list[dict[str, Any]] = []
    for metric in spec.success_metrics:
        text = f"{metric.id} {metric.name} {metric.unit}".lower()
        for measures, out in (
            (_REGRESSION_MEASURES, regression),
            (_CLASSIFICATION_MEASURES, classification),
        ):
            measure = next((m for m, words in measures.items() if _names(text, words)), None)
            if measure:
                direction = str(metric.direction)
                entry = gate_entry(metric.id, measure, metric.target, direction, metric.unit)
                if entry is not None:
                    out.append(entry)
                break
    if regression:
        return "regression", regression
    return "classification", classification


def _names(text: str, words: tuple[str, ...]) -> bool:
    """Tell whether ``text`` holds one of ``words`` as whole words (a plural ``s`` allowed)."""
    return any(re.search(rf"(?<![\w-]){re.escape(w)}s?(?![\w-])", text) for w in words)


def measure_of(name: str, unit: str, metric_id: str = "") -> str | None:
    """The measure the pipeline computes that a metric names, or None."""
    text = f"{metric_id} {name} {unit}".lower()
    for measures in (_REGRESSION_MEASURES, _CLASSIFICATION_MEASURES):
        found = next((m for m, words in measures.items() if _names(text, words)), None)
        if found:
            return found
    return None


def gate_of(spec: ProjectSpec) -> tuple[str, list[dict[str, Any]], list[dict[str, Any]]]:
    """The pipeline's task, its gate, and the metrics acceptance criteria name (see below)."""
    task, gate = _task_and_gate(spec)
    return task, gate, criteria_metrics(spec, task, gate)


def criteria_metrics(
    spec: ProjectSpec, task: str, gate: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Each success metric an acceptance criterion names: its criteria, and whether it is gated.

    The gate enforces every target a criterion names. One it cannot (the pipeline does not
    compute the measure, or the target cannot mean it) carries the reason; the review makes
    it a blocker, so only a ``--draft`` render holds one.
    """
    gated = {entry["metric"] for entry in gate}
    named: dict[str, list[str]] = {}
    for criterion in spec.acceptance_criteria:
        if criterion.metric:
            named.setdefault(criterion.metric, []).append(criterion.id)
    metrics = {m.id: m for m in spec.success_metrics}
    out = []
    for metric_id, criteria in named.items():
        metric = metrics[metric_id]
        reason = None
        if metric_id not in gated:
            reason = ungated_reason(task, measure_of(metric.name, metric.unit, metric.id))
        out.append(
            {"metric": metric_id, "criteria": criteria, "gated": reason is None, "reason": reason}
        )
    return out


def ungated_reason(task: str, measure: str | None) -> str:
    """Why the pipeline's gate cannot enforce a metric's target (one clause)."""
    if measure is None:
        return (
            "it names no measure the pipeline computes on held-out records (recall or "
            "sensitivity, precision, specificity, NPV, AUROC, F1, accuracy, MAE, RMSE, MAPE)"
        )
    family = "regression" if measure in _REGRESSION_MEASURES else "classification"
    if family != task:
        return f"the pipeline is a {task}, and {measure} measures a {family}"
    direction = "increase" if family == "classification" else "decrease"
    return (
        f"a {measure} target must {direction} towards a value the measure can take "
        "(check the target, unit and direction)"
    )


def gate_entry(
    metric_id: str, measure: str, target: float, direction: str, unit: str
) -> dict[str, Any] | None:
    """How the gate checks one metric (``target * scale`` against the measure), or None.

    None when the target cannot mean the measure: a ratio (recall, precision, F1,
    accuracy) must increase towards a target within 0..1 (or 0..100 in percent); an
    error (MAE, RMSE, MAPE) must decrease towards a positive target the model can resolve.
    """
    percent = bool(_PERCENT_UNIT.search(unit))
    scale = 0.01 if percent and (measure in _RATIO_MEASURES or measure == "mape") else 1.0
    value = target * scale
    if measure in _RATIO_MEASURES:
        fits = direction == "increase" and 0.0 <= value <= 1.0
    elif measure == "mape":
        fits = direction == "decrease" and value >= MAPE_TARGET_FLOOR
    else:
        low, high = ERROR_TARGET_RANGE
        fits = direction == "decrease" and low <= value <= high
    if not fits:
        return None
    return {"metric": metric_id, "measure": measure, "scale": scale}
