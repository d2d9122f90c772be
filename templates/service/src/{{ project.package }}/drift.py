"""Drift check: population stability index (PSI) of live inputs against a reference sample.

The reference sample ships in the package (``data/reference_sample.json``); replace it with
a sample of the training data. PSI per drift feature of spec.yaml is exported as a metric;
ops/alerts.yml alerts when it passes the spec's threshold. Numeric features are binned by
the reference's deciles, categories compared by their shares; the share of values a
category's reference never had is exported too (an upstream system sending a new value).
"""

from __future__ import annotations

import json
import math
from bisect import bisect_right
from collections import Counter, deque
from collections.abc import Mapping, Sequence
from importlib import resources
from typing import Any

Value = float | int | str | bool
EPSILON = 1e-4
MIN_SAMPLES = 50


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _proportions(counts: Sequence[int]) -> list[float]:
    total = sum(counts) or 1
    return [max(count / total, EPSILON) for count in counts]


def _index(proportions_expected: Sequence[float], proportions_actual: Sequence[float]) -> float:
    return sum(
        (actual - expected) * math.log(actual / expected)
        for expected, actual in zip(proportions_expected, proportions_actual, strict=True)
    )


def psi(reference: Sequence[Value], actual: Sequence[Value], bins: int = 10) -> float:
    """Return the population stability index of ``actual`` against ``reference``.

    Raises:
        ValueError: either sample is empty.
    """
    if not reference or not actual:
        raise ValueError("PSI needs a non-empty reference and actual sample")
    if all(_is_number(v) for v in reference):
        ordered = sorted(float(v) for v in reference)
        edges = sorted({ordered[(len(ordered) * i) // bins] for i in range(1, bins)})
        numbers = [float(v) for v in actual if _is_number(v)]
        if not numbers:
            raise ValueError("the actual sample holds no numbers for a numeric feature")
        expected: Counter[Any] = Counter(bisect_right(edges, v) for v in ordered)
        seen: Counter[Any] = Counter(bisect_right(edges, v) for v in numbers)
        slots: list[Any] = list(range(len(edges) + 1))
    else:
        expected = Counter(str(v) for v in reference)
        seen = Counter(str(v) for v in actual)
        slots = sorted(set(expected) | set(seen))
    return _index(
        _proportions([expected[s] for s in slots]), _proportions([seen[s] for s in slots])
    )


def load_reference() -> dict[str, list[Value]]:
    """Return the reference sample shipped with the package."""
    path = resources.files(__package__).joinpath("data", "reference_sample.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    return {str(name): list(values) for name, values in data["features"].items()}


class DriftMonitor:
    """Keeps a window of recent inputs per feature and scores it against the reference."""

    def __init__(
        self,
        reference: Mapping[str, Sequence[Value]],
        *,
        window: int = 500,
        min_samples: int = MIN_SAMPLES,
    ) -> None:
        """Watch the features of ``reference`` over the last ``window`` observations."""
        self.reference = {name: list(values) for name, values in reference.items()}
        self.min_samples = min_samples
        self._recent: dict[str, deque[Value]] = {
            name: deque(maxlen=window) for name in self.reference
        }

    def observe(self, inputs: Mapping[str, Any]) -> None:
        """Add the watched features of one request's inputs to the window."""
        for name, recent in self._recent.items():
            if name in inputs:
                recent.append(inputs[name])

    def unseen(self) -> dict[str, float]:
        """Return, per category feature, the share of recent values the reference never had."""
        shares: dict[str, float] = {}
        for name, recent in self._recent.items():
            reference = self.reference[name]
            if not recent or not reference or all(_is_number(v) for v in reference):
                continue
            known = {str(v) for v in reference}
            shares[name] = sum(1 for v in recent if str(v) not in known) / len(recent)
        return shares

    def scores(self) -> dict[str, float | None]:
        """Return PSI per feature (None until the window holds enough values)."""
        result: dict[str, float | None] = {}
        for name, recent in self._recent.items():
            if len(recent) < self.min_samples or not self.reference[name]:
                result[name] = None
                continue
            try:
                result[name] = psi(self.reference[name], list(recent))
            except ValueError:
                result[name] = None
        return result
