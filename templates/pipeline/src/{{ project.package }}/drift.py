"""Population stability index (PSI) of the drift features against a reference, by type.

The reference is profiled when a model is trained and stored with the model; each run
compares its input with it. Numbers (and dates, as days) are binned by the reference's
deciles; categories and booleans are compared by their shares, and the share of values the
reference never had is reported separately (an upstream system sending a new value). The
formulas are the service's, so both kinds export the same metrics; a PSI above the threshold
in spec.yaml raises the drift alert (ops/alerts.yml). Missing values are left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

EPSILON = 1e-4
BINS = 10
Values = pl.Series | Sequence[Any]


def _series(values: Values) -> pl.Series:
    series = values if isinstance(values, pl.Series) else pl.Series("values", list(values))
    return series.drop_nulls()


def _numbers(series: pl.Series) -> npt.NDArray[np.float64] | None:
    """The values as floats when the feature is numeric (dates count days), else None."""
    if series.dtype == pl.Date:
        series = series.cast(pl.Int32)
    if series.dtype.is_numeric():
        return series.cast(pl.Float64).to_numpy()
    return None


def profile(values: Values) -> dict[str, Any]:
    """Describe a reference sample: decile edges and shares (numbers) or level shares."""
    series = _series(values)
    numbers = _numbers(series)
    if numbers is not None:
        ordered = np.sort(numbers)
        n = len(ordered)
        edges = sorted({float(ordered[(n * k) // BINS]) for k in range(1, BINS)}) if n else []
        return {"kind": "numeric", "edges": edges, "shares": _numeric_shares(ordered, edges)}
    counts = _level_counts(series)
    total = sum(counts.values()) or 1
    return {"kind": "category", "shares": {k: c / total for k, c in sorted(counts.items())}}


def psi(reference: dict[str, Any], values: Values) -> float:
    """Return the PSI of ``values`` against a reference profile (0 means no shift).

    Raises:
        ValueError: there are no values, or numbers were expected and none are.
    """
    series = _series(values)
    if series.is_empty():
        raise ValueError("PSI needs a non-empty sample")
    if reference["kind"] == "numeric":
        numbers = _numbers(series)
        if numbers is None:
            raise ValueError("the sample holds no numbers for a numeric feature")
        expected = [float(s) for s in reference["shares"]]
        actual = _numeric_shares(numbers, reference["edges"])
    else:
        shares: dict[str, float] = reference["shares"]
        counts = _level_counts(series)
        total = sum(counts.values())
        levels = sorted(set(shares) | set(counts))
        expected = [float(shares.get(level, 0.0)) for level in levels]
        actual = [counts.get(level, 0) / total for level in levels]
    e = np.maximum(np.asarray(expected, dtype=np.float64), EPSILON)
    a = np.maximum(np.asarray(actual, dtype=np.float64), EPSILON)
    return float(np.sum((a - e) * np.log(a / e)))


def unseen_share(reference: dict[str, Any], values: Values) -> float | None:
    """Return the share of values a category's reference never had (None for numbers)."""
    if reference["kind"] != "category":
        return None
    series = _series(values)
    if series.is_empty():
        return 0.0
    known = pl.Series("known", list(reference["shares"]), dtype=pl.String)
    return float(np.mean(~_text(series).is_in(known.implode()).to_numpy()))


def _text(series: pl.Series) -> pl.Series:
    """Levels as text (booleans as ``true`` and ``false``)."""
    return series.cast(pl.String).rename("level")


def _level_counts(series: pl.Series) -> dict[str, int]:
    counted = _text(series).value_counts(name="n")
    levels = counted.get_column("level").to_list()
    return dict(zip(levels, counted.get_column("n").to_list(), strict=True))


def _numeric_shares(values: npt.NDArray[np.float64], edges: Sequence[float]) -> list[float]:
    """Shares per bin; a value equal to an edge falls in the bin above it (as the service)."""
    counts = np.bincount(
        np.searchsorted(np.asarray(edges, dtype=np.float64), values, side="right"),
        minlength=len(edges) + 1,
    )
    total = len(values) or 1
    return [float(c) / total for c in counts]
