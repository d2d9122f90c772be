"""Population stability index (PSI) of the drift features against a reference sample.

The reference is profiled when a model is trained (bin edges for numbers, levels for
categories) and stored with the model; each run compares its input with it. A PSI above
the threshold in spec.yaml raises the drift alert (ops/alerts.yml).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import Any

EPSILON = 1e-4
BINS = 10


def profile(values: Sequence[Any]) -> dict[str, Any]:
    """Describe a reference sample: decile edges and shares (numbers) or level shares."""
    if values and all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        ordered = sorted(float(v) for v in values)
        edges = sorted({ordered[int(len(ordered) * k / BINS)] for k in range(1, BINS)})
        return {"kind": "numeric", "edges": edges, "shares": _numeric_shares(ordered, edges)}
    counts = Counter(str(v) for v in values)
    total = sum(counts.values()) or 1
    return {"kind": "category", "shares": {k: c / total for k, c in sorted(counts.items())}}


def psi(reference: dict[str, Any], values: Sequence[Any]) -> float:
    """Return the PSI of ``values`` against a reference profile (0 means no shift)."""
    if reference["kind"] == "numeric":
        expected = [float(s) for s in reference["shares"]]
        actual = _numeric_shares([float(v) for v in values], reference["edges"])
    else:
        levels = sorted(set(reference["shares"]) | {str(v) for v in values})
        counts = Counter(str(v) for v in values)
        total = sum(counts.values()) or 1
        expected = [float(reference["shares"].get(level, 0.0)) for level in levels]
        actual = [counts[level] / total for level in levels]
    return math.fsum(
        (max(a, EPSILON) - max(e, EPSILON)) * math.log(max(a, EPSILON) / max(e, EPSILON))
        for a, e in zip(actual, expected, strict=True)
    )


def _numeric_shares(values: Sequence[float], edges: Sequence[float]) -> list[float]:
    counts = [0] * (len(edges) + 1)
    for value in values:
        counts[sum(1 for edge in edges if value > edge)] += 1
    total = len(values) or 1
    return [c / total for c in counts]
