"""The pipeline part of the render context: data contract, model task, gate and sample data.

Everything here is decided in Python so the pipeline template only places values. Field
names reach generated code, so only names matching ``[a-z_][a-z0-9_]*`` survive parsing;
every other piece of spec text stays data.
"""

from __future__ import annotations

import csv
import io
import keyword
import random
import re
import zlib
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from generator.spec import ProjectSpec

SAMPLE_ROWS = 200
"""Rows of synthetic sample data shipped with a pipeline repository (plus a few bad ones)."""

DEFAULT_SOURCE = "sample-extract"
HOLDOUT_EVERY = 4
"""Every n-th labelled row is held out for evaluation."""

_GROUP = re.compile(r"\(([^()]*)\)")
_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,59}$")
_TYPES = {"int", "float", "str", "bool", "date"}

_CLASSIFICATION_MEASURES = {
    "recall": ("recall", "sensitivity"),
    "precision": ("precision",),
    "f1": ("f1", "f-score", "f score"),
    "accuracy": ("accuracy",),
}
_REGRESSION_MEASURES = {
    "mape": ("mape", "percentage error"),
    "rmse": ("rmse", "root mean squared"),
    "mae": ("mae", "mean absolute error"),
}
_PERCENT_UNIT = re.compile(r"%|percent|pct", re.IGNORECASE)
_RATIO_MEASURES = frozenset(_CLASSIFICATION_MEASURES)
ERROR_TARGET_RANGE = (1e-6, 1e9)
"""MAE and RMSE targets the pipeline gates: the sample labels are scaled to the strictest
one, and outside this range the numbers would underflow or overflow a float's precision."""
MAPE_TARGET_FLOOR = 0.001
"""The smallest MAPE (0.1%) the baseline model resolves; a stricter target is not gated."""


@dataclass(frozen=True)
class Field:
    """One field of the data contract: a validated identifier, a type and its role."""

    name: str
    type: str  # int | float | str | bool | date
    role: str  # key | identifier | feature | category | date | label


def pipeline_context(spec: ProjectSpec) -> dict[str, Any]:
    """Compute the pipeline-specific context (plain JSON-able data)."""
    task, gate = _task_and_gate(spec)
    fields = contract_fields(spec, task)
    source = spec.data_dependencies[0] if spec.data_dependencies else None
    personal = bool(
        {"personal", "health", "payment"} & {str(c) for c in spec.regulatory.data_classes}
    )
    return {
        "task": task,
        "gate": gate,
        "source_index": 0 if source else None,
        "sample_file": "sample.csv",
        "fields": [{"name": f.name, "type": f.type, "role": f.role} for f in fields],
        "key": next(f.name for f in fields if f.role == "key"),
        "label": next(f.name for f in fields if f.role == "label"),
        "personal_data": personal,
        "approval_required": bool(
            spec.operating_boundary and spec.operating_boundary.requires_approval
        ),
        "holdout_every": HOLDOUT_EVERY,
        "sample_csv": sample_csv(
            fields,
            task,
            seed=zlib.crc32(spec.name.encode()),
            labels=label_scale(gate, {m.id: m.target for m in spec.success_metrics}),
        ),
    }


def parse_contract_names(text: str) -> list[tuple[str, str | None]]:
    """Field names (and declared types) from contract text such as ``"CSV (a, b: int)"``.

    The first parenthesised group holding at least one valid lower-case identifier (alone or
    followed by a type) wins; other tokens are dropped, so hostile text yields no code.
    """
    for group in _GROUP.findall(text):
        found: list[tuple[str, str | None]] = []
        for token in group.split(","):
            words = [w for w in re.split(r"[\s:]+", token.strip().lower()) if w]
            if not words or len(words) > 2 or (len(words) == 2 and words[1] not in _TYPES):
                continue
            name = words[0]
            declared = words[1] if len(words) == 2 else None
            if _NAME.match(name) and name not in {n for n, _ in found}:
                found.append((name, declared))
        if found:
            return found
    return []


def infer_type(name: str) -> str:
    """A sensible type for a field from its name alone."""
    parts = name.split("_")
    if name in {"id", "key"} or parts[-1] in {"id", "key", "code", "uuid"}:
        return "str"
    if parts[0] in {"is", "has"} or parts[-1] == "flag":
        return "bool"
    if name in {"date", "day", "week"} or parts[-1] in {"date", "at", "on"}:
        return "date"
    if parts[-1] in {"age", "days", "count", "quantity", "qty", "units", "year", "years", "hours"}:
        return "int"
    if parts[0] in {"n", "num"}:
        return "int"
    floats = {
        "amount",
        "price",
        "cost",
        "usd",
        "eur",
        "rate",
        "score",
        "ratio",
        "weight",
        "pct",
        "value",
        "sales",
        "revenue",
        "temperature",
        "distance",
        "duration",
        "latency",
        "income",
    }
    if parts[-1] in floats or parts[0] in floats:
        return "float"
    return "str"


def contract_fields(spec: ProjectSpec, task: str) -> list[Field]:
    """The contract's fields: parsed from the first data dependency, else a safe default."""
    parsed: list[tuple[str, str | None]] = []
    if spec.data_dependencies:
        parsed = parse_contract_names(spec.data_dependencies[0].contract)
    if not parsed:
        parsed = [
            ("record_id", "str"),
            ("segment", "str"),
            ("feature_a", "float"),
            ("feature_b", "float"),
        ]
    drift = list(spec.monitoring.drift_features) if spec.monitoring else []
    for feature in drift:
        if feature not in {n for n, _ in parsed}:
            parsed.append((feature, "float"))
    fields: list[Field] = []
    key_taken = False
    for name, declared in parsed:
        kind = declared or infer_type(name)
        is_id = name in {"id", "key"} or name.split("_")[-1] in {"id", "key", "uuid"}
        if is_id and not key_taken:
            role, key_taken = "key", True
        elif is_id:
            role = "identifier"
        elif kind == "date":
            role = "date"
        elif kind == "str":
            role = "category"
        else:
            role = "feature"
        fields.append(Field(name, kind, role))
    if not key_taken:
        name = _free_name("record_id", fields)
        fields.insert(0, Field(name, "str", "key"))
    if not any(f.role == "feature" for f in fields):
        fields.append(Field(_free_name("feature_a", fields), "float", "feature"))
    label = "target" if task == "regression" else "label"
    fields.append(
        Field(_free_name(label, fields), "float" if task == "regression" else "int", "label")
    )
    return fields


def _free_name(name: str, fields: list[Field]) -> str:
    taken = {f.name for f in fields}
    while name in taken or keyword.iskeyword(name):
        name += "_"
    return name


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
            measure = next(
                (m for m, words in measures.items() if any(w in text for w in words)), None
            )
            if measure:
                direction = str(metric.direction)
                entry = gate_entry(metric.id, measure, metric.target, direction, metric.unit)
                if entry is not None:
                    out.append(entry)
                break
    if regression:
        return "regression", regression
    return "classification", classification


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


def sample_csv(
    fields: list[Field], task: str, *, seed: int, labels: tuple[float, float] = (1.0, 1.0)
) -> str:
    """Synthetic rows matching the contract, with a learnable label and three bad rows.

    ``labels`` is the regression labels' (scale, relative noise), from :func:`label_scale`.
    """
    rng = random.Random(seed)
    weights = {f.name: rng.choice([-1.0, 1.0]) * rng.uniform(0.5, 1.5) for f in fields}
    start = date(2024, 1, 1)
    drawn: list[tuple[dict[str, str], float]] = []
    for i in range(SAMPLE_ROWS * 2):
        row: dict[str, str] = {}
        z = 0.0
        for f in fields:
            if f.role != "label":
                value, contribution = _sample_value(f, i, rng, start)
                row[f.name] = value
                z += weights[f.name] * contribution
        drawn.append((row, z))
    ordered = sorted(z for _, z in drawn)
    cut = ordered[int(len(ordered) * 0.6)]
    margin = (ordered[-1] - ordered[0]) * 0.04  # keep the classes learnably apart
    if task == "classification":
        drawn = [(row, z) for row, z in drawn if abs(z - cut) > margin]
    drawn = drawn[:SAMPLE_ROWS]
    label = next(f.name for f in fields if f.role == "label")
    key = next(f.name for f in fields if f.role == "key")
    rows: list[dict[str, str]] = []
    for i, (row, z) in enumerate(drawn):
        row[key] = f"R{i + 1:05d}"
        if task == "regression":
            scale, noise = labels
            row[label] = f"{scale * (100 + 10 * z + noise * rng.gauss(0, 1)):.8g}"
        else:
            row[label] = "1" if z > cut else "0"
        rows.append(row)
    rows.extend(_bad_rows(fields, rows[:3]))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=[f.name for f in fields], lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _sample_value(f: Field, i: int, rng: random.Random, start: date) -> tuple[str, float]:
    """One synthetic value and its standardised contribution to the label."""
    if f.role == "key":
        return f"R{i + 1:05d}", 0.0
    if f.role == "identifier":
        return f"{f.name[:1].upper()}{rng.randint(1, 80):04d}", 0.0
    if f.type == "date":
        return (start + timedelta(days=i % 365)).isoformat(), 0.0
    if f.type == "bool":
        flag = rng.random() < 0.4
        return ("true" if flag else "false"), (1.2 if flag else -0.8)
    if f.type == "int":
        low, high = (18, 90) if f.name.endswith("age") else (0, 60)
        count = rng.randint(low, high)
        return str(count), (count - (low + high) / 2) / ((high - low) / 3.46)
    if f.type == "float":
        value = rng.uniform(10.0, 1000.0)
        return f"{value:.2f}", (value - 505.0) / 286.0
    level = rng.randrange(3)
    return f"{f.name[:12]}_{'abc'[level]}", (level - 1) * 0.8


def _bad_rows(fields: list[Field], good: list[dict[str, str]]) -> list[dict[str, str]]:
    """Rows the contract refuses: a missing identifier, a non-number, a missing label."""
    ident = next((f for f in fields if f.role == "identifier"), fields[0])
    number = next((f for f in fields if f.type in {"int", "float"} and f.role != "label"), None)
    label = next(f for f in fields if f.role == "label")
    key = next(f for f in fields if f.role == "key")
    bad = [dict(row) for row in good]
    for n, row in enumerate(bad):
        row[key.name] = f"Q{n + 1:05d}"
    bad[0][ident.name] = ""
    if number is not None:
        bad[1][number.name] = "not-a-number"
    else:
        bad[1][label.name] = "?"
    bad[2][label.name] = ""
    return bad
