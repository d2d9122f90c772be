"""Drift check: population stability index against the shipped reference sample."""

from __future__ import annotations

import pytest

from ..package import DriftMonitor, load_reference, project, psi

REFERENCE = [float(i % 100) for i in range(1000)]


def test_same_distribution_has_low_psi() -> None:
    """A sample from the reference distribution scores below 0.1."""
    assert psi(REFERENCE, [float((i * 7) % 100) for i in range(500)]) < 0.1


def test_shifted_distribution_exceeds_the_spec_threshold() -> None:
    """A sample shifted far from the reference scores above the spec's drift threshold."""
    assert psi(REFERENCE, [90.0 + (i % 10) for i in range(500)]) > project.drift_threshold()


def test_categorical_features_compare_frequencies() -> None:
    """Non-numeric features are compared by category frequency."""
    reference = ["a", "b"] * 100
    assert psi(reference, ["a", "b"] * 50) < 0.01
    assert psi(reference, ["c"] * 100) > 1.0


def test_empty_sample_is_refused() -> None:
    """PSI needs values on both sides."""
    with pytest.raises(ValueError, match="non-empty"):
        psi([], [1.0])


def test_monitor_waits_for_enough_values() -> None:
    """No score is reported before the window holds the minimum number of values."""
    monitor = DriftMonitor({"x": REFERENCE}, min_samples=50)
    for _ in range(49):
        monitor.observe({"x": 1.0})
    assert monitor.scores() == {"x": None}


def test_monitor_scores_drifted_window() -> None:
    """A window of drifted values is scored above the threshold."""
    monitor = DriftMonitor({"x": REFERENCE}, min_samples=50)
    for i in range(100):
        monitor.observe({"x": 95.0 + i % 5})
    score = monitor.scores()["x"]
    assert score is not None
    assert score > project.drift_threshold()


def test_reference_sample_covers_every_drift_feature() -> None:
    """The shipped reference sample has values for each drift feature of spec.yaml."""
    reference = load_reference()
    assert set(reference) == set(project.drift_features())
    assert all(len(values) >= 100 for values in reference.values())
