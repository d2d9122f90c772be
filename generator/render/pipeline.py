"""The pipeline part of the render context: data contract, model task, gate and sample data.

Everything here is decided in Python so the pipeline template only places values. The
contract's fields come from :mod:`generator.render.contract` (typed ``inputs``, or the
contract text), the sample extract from :mod:`generator.render.samples`, and the task and
evaluation gate from :mod:`generator.spec.gate` (the review judges the same gate).
"""

from __future__ import annotations

import zlib
from typing import Any

from generator.render.contract import contract_fields
from generator.render.samples import sample_csv
from generator.spec import ProjectSpec, gate_of

HOLDOUT_EVERY = 4
"""Every n-th labelled row is held out for evaluation."""


def pipeline_context(spec: ProjectSpec) -> dict[str, Any]:
    """Compute the pipeline-specific context (plain JSON-able data)."""
    task, gate, criteria = gate_of(spec)
    fields = contract_fields(spec, task)
    source = spec.data_dependencies[0] if spec.data_dependencies else None
    personal = bool(
        {"personal", "health", "payment"} & {str(c) for c in spec.regulatory.data_classes}
    )
    latency = spec.monitoring.latency_p95_ms if spec.monitoring else None
    return {
        "task": task,
        "gate": gate,
        "source_index": 0 if source else None,
        "sample_file": "sample.csv",
        "fields": [f.as_dict() for f in fields],
        "key": next(f.name for f in fields if f.role == "key"),
        "label": next(f.name for f in fields if f.role == "label"),
        "personal_data": personal,
        "approval_required": bool(
            spec.operating_boundary and spec.operating_boundary.requires_approval
        ),
        "criteria_metrics": criteria,
        "holdout_every": HOLDOUT_EVERY,
        "run_objective_seconds": latency / 1000 if latency is not None else None,
        "sample_csv": sample_csv(
            fields,
            task,
            seed=zlib.crc32(spec.name.encode()),
            labels=label_scale(gate, {m.id: m.target for m in spec.success_metrics}),
        ),
    }


def label_scale(gate: list[dict[str, Any]], targets: dict[str, float]) -> tuple[float, float]:
    """The sample labels' scale and relative noise, so the baseline meets every error target.

    Labels are ``scale * (100 + 10 z + noise * N(0, 1))``: the baseline's MAE is about
    ``0.8 * scale * noise`` and its MAPE about ``0.008 * noise``, so the strictest MAE or
    RMSE target sets the scale and the strictest MAPE target the noise, each with room.
    """
    scaled = [(e["measure"], targets[e["metric"]] * e["scale"]) for e in gate]
    errors = [target for measure, target in scaled if measure in {"mae", "rmse"}]
    mapes = [target for measure, target in scaled if measure == "mape"]
    scale = min(errors) / 4.0 if errors else 1.0
    noise = min(1.0, min(mapes) / 0.04) if mapes else 1.0
    return scale, noise
