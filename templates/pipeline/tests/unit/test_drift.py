"""Unit tests for drift by type: PSI for numbers and categories, unseen category shares."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from ..package import BY_NAME, profile, project, psi, steps, unseen_share


def test_psi_is_zero_for_the_reference_itself() -> None:
    """A sample compared with itself has no drift."""
    values = [float(i % 50) for i in range(500)]
    assert psi(profile(values), values) < 0.01


def test_psi_exceeds_the_threshold_for_a_shifted_sample() -> None:
    """A sample shifted past the reference's range crosses any threshold spec.yaml allows."""
    values = [float(i % 50) for i in range(500)]
    shifted = [v + 1000 for v in values]
    assert psi(profile(values), shifted) > project.drift_threshold()


def test_numbers_are_binned_by_the_reference_deciles() -> None:
    """Ten equal bins from the reference; a value on an edge falls in the bin above it."""
    reference = profile(list(range(100)))
    assert reference["kind"] == "numeric"
    assert reference["edges"] == [float(e) for e in range(10, 100, 10)]
    assert reference["shares"] == [0.1] * 10
    assert psi(reference, [10.0] * 100) == pytest.approx(psi(reference, [15.0] * 100))


def test_categories_compare_shares_and_report_unseen_values() -> None:
    """Categorical features compare level shares; new levels are also counted apart."""
    reference = profile(["a", "b"] * 50)
    assert reference["kind"] == "category"
    assert psi(reference, ["a", "b"] * 50) < 0.01
    assert psi(reference, ["c"] * 100) > 1.0
    assert unseen_share(reference, ["a", "c", "c", "b"]) == 0.5
    assert unseen_share(profile([1.0, 2.0]), [3.0]) is None


def test_booleans_are_categories_and_dates_are_numbers() -> None:
    """A flag is compared by its shares; a date by days, against deciles."""
    assert profile(pl.Series([True, False, True]))["shares"] == {"false": 1 / 3, "true": 2 / 3}
    days = profile(pl.Series([date(2024, 1, d) for d in range(1, 31)]))
    assert days["kind"] == "numeric" and len(days["edges"]) == 9


def test_missing_values_are_left_out() -> None:
    """Nulls neither count as a level nor move a bin."""
    reference = profile(pl.Series([1.0, 2.0, None, 3.0]))
    assert sum(reference["shares"]) == pytest.approx(1.0)
    assert psi(reference, pl.Series([1.0, 2.0, 3.0, None])) < 0.01


def test_the_run_reports_drift_for_each_drift_feature(records: pl.DataFrame) -> None:
    """Each drift feature of spec.yaml gets a PSI, categories an unseen share too."""
    model = steps.train(records)
    report = steps.drift_report(model, records)
    assert set(report.psi) == set(steps.drift_features())
    assert all(value < 0.01 for value in report.psi.values())  # the training sample itself
    categories = {n for n in report.psi if BY_NAME[n].type in {"str", "bool"}}
    assert set(report.unseen) == categories
