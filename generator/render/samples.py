"""Plausible synthetic values for typed inputs: drift reference samples and sample data.

Numbers fall in a bell around the middle of their bounds (clipped to them), integers are
whole, categories favour their first values, booleans are mostly false, text looks like an
identifier. Deterministic for a given seed, so a render is reproducible. The service's
reference sample and the pipeline's sample extract both draw their values here, so the two
kinds agree on what a plausible value of an input is.
"""

from __future__ import annotations

import csv
import io
import random
from datetime import date, timedelta
from typing import Any

from generator.render.contract import Field
from generator.spec import Input

REFERENCE_SIZE = 200
"""Values per drift feature in a service's reference sample."""
_SPAN = 1000.0
"""The spread assumed on a side without a bound."""


def _range(item: Input) -> tuple[float, float]:
    low = item.min if item.min is not None else None
    high = item.max if item.max is not None else None
    if low is None and high is None:
        return 0.0, _SPAN
    if low is None:
        assert high is not None
        return high - _SPAN, high
    if high is None:
        return low, low + _SPAN
    return low, high


def sample_value(item: Input, rng: random.Random, index: int = 0) -> Any:
    """One plausible value of ``item`` that its contract accepts."""
    if item.type in ("number", "integer"):
        low, high = _range(item)
        value = min(high, max(low, rng.gauss((low + high) / 2, (high - low) / 6 or 1.0)))
        if item.type == "integer":
            return int(min(high, max(low, round(value))))
        rounded = round(value, 4)  # short, readable samples, unless that leaves the bounds
        return rounded if abs(value) < 1e12 and low <= rounded <= high else value
    if item.type == "category":
        values = list(item.values or [])
        weights = [1.0 / (rank + 1) for rank in range(len(values))]
        return rng.choices(values, weights)[0]
    if item.type == "boolean":
        return rng.random() < 0.3
    return f"{item.name[:20]}-{index:05d}"


def reference_sample(inputs: list[Input], features: list[str], seed: int) -> dict[str, list[Any]]:
    """A reference sample per drift feature, typed by the contract (numbers 0-100 untyped)."""
    rng = random.Random(seed)
    by_name = {item.name: item for item in inputs}
    sample: dict[str, list[Any]] = {}
    for feature in features:
        item = by_name.get(feature)
        if item is None:  # no contract: the placeholder the untyped service always had
            sample[feature] = [((i * 37) % 200) / 2 for i in range(REFERENCE_SIZE)]
        else:
            sample[feature] = [sample_value(item, rng, i) for i in range(REFERENCE_SIZE)]
    return sample


SAMPLE_ROWS = 200
"""Rows of synthetic sample data shipped with a pipeline repository (plus three bad ones)."""
MISSING_EVERY = 10
"""Optional inputs are left empty in one row out of this many."""


def sample_csv(
    fields: list[Field], task: str, *, seed: int, labels: tuple[float, float] = (1.0, 1.0)
) -> str:
    """Synthetic rows matching the contract, with a learnable label and three bad rows.

    Typed inputs take their values from :func:`sample_value` (their types, bounds and
    categories); other fields are plausible placeholders. ``labels`` is the regression
    labels' (scale, relative noise).
    """
    rng = random.Random(seed)
    weights = {f.name: rng.choice([-1.0, 1.0]) * rng.uniform(0.5, 1.5) for f in fields}
    drawn: list[tuple[dict[str, str], float]] = []
    for i in range(SAMPLE_ROWS * 2):
        row: dict[str, str] = {}
        z = 0.0
        for f in fields:
            if f.role == "label":
                continue
            value, contribution = _field_value(f, i, rng)
            if not f.required and i % MISSING_EVERY == MISSING_EVERY // 3:
                value, contribution = "", 0.0
            row[f.name] = value
            z += weights[f.name] * contribution
        drawn.append((row, z))
    ordered = sorted(z for _, z in drawn)
    cut = _cut(ordered)
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


def _cut(ordered: list[float]) -> float:
    """A class boundary near the 60th percentile that no drawn value sits on."""
    at = ordered[int(len(ordered) * 0.6)]
    above = [v for v in ordered if v > at]
    if above:
        return (at + above[0]) / 2
    below = [v for v in ordered if v < at]
    return (below[-1] + at) / 2 if below else at


def _field_value(f: Field, i: int, rng: random.Random) -> tuple[str, float]:
    """One synthetic value as CSV text, and its standardised contribution to the label."""
    if f.role == "key":
        return f"R{i + 1:05d}", 0.0
    if f.input is not None:
        return _typed_value(f.input, i, rng)
    if f.role == "identifier":
        return f"{f.name[:1].upper()}{rng.randint(1, 80):04d}", 0.0
    if f.type == "date":
        return (date(2024, 1, 1) + timedelta(days=i % 365)).isoformat(), 0.0
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


def _typed_value(item: Input, i: int, rng: random.Random) -> tuple[str, float]:
    """A value of a typed input as CSV text, and its standardised contribution."""
    value = sample_value(item, rng, i)
    if isinstance(value, bool):
        return ("true" if value else "false"), (1.2 if value else -0.8)
    if isinstance(value, int | float):
        low, high = _range(item)
        spread = (high - low) / 6 or 1.0
        return (str(value) if isinstance(value, int) else repr(value)), (
            (value - (low + high) / 2) / spread
        )
    if item.values:
        rank, half = item.values.index(value), (len(item.values) - 1) / 2
        return str(value), (rank - half) / max(half, 1.0)
    return str(value), 0.0


def _bad_rows(fields: list[Field], good: list[dict[str, str]]) -> list[dict[str, str]]:
    """Rows the contract refuses: a missing identifier, a value it refuses, a missing label."""
    key = next(f for f in fields if f.role == "key")
    ident = next((f for f in fields if f.role == "identifier" and f.required), key)
    label = next(f for f in fields if f.role == "label")
    bad = [dict(row) for row in good]
    for n, row in enumerate(bad):
        row[key.name] = f"Q{n + 1:05d}"
    bad[0][ident.name] = ""
    name, value = _refused_value(fields)
    bad[1][name] = value
    bad[2][label.name] = ""
    return bad


def _refused_value(fields: list[Field]) -> tuple[str, str]:
    """A field and a value the contract refuses: out of bounds, an unknown category, or text."""
    for f in fields:
        if f.role == "feature" and f.type in {"int", "float"} and f.maximum is not None:
            if f.type == "int":
                return f.name, str(int(f.maximum) + 1)
            return f.name, repr(float(f.maximum) + max(1.0, abs(f.maximum) / 2))
        if f.role == "feature" and f.type in {"int", "float"} and f.minimum is not None:
            if f.type == "int":
                return f.name, str(int(f.minimum) - 1)
            return f.name, repr(float(f.minimum) - max(1.0, abs(f.minimum) / 2))
    for f in fields:
        if f.values:
            unknown = "not-a-listed-value"
            while unknown in f.values:
                unknown += "-x"
            return f.name, unknown
    number = next(
        (f for f in fields if f.type in {"int", "float"} and f.role not in {"label", "key"}), None
    )
    if number is not None:
        return number.name, "not-a-number"
    return next(f.name for f in fields if f.role == "label"), "?"
