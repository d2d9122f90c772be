"""Plausible synthetic values for typed inputs: drift reference samples and sample data.

Numbers fall in a bell around the middle of their bounds (clipped to them), integers are
whole, categories favour their first values, booleans are mostly false, text looks like an
identifier. Deterministic for a given seed, so a render is reproducible.
"""

from __future__ import annotations

import random
from typing import Any

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
        return round(value, 4) if abs(value) < 1e12 else value
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
