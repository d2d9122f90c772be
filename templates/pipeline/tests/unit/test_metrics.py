"""Unit tests for the Prometheus textfile metrics (written by prometheus_client)."""

from __future__ import annotations

from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from ..package import METRICS_PREFIX as PREFIX
from ..package import RunMetrics, project, render, write_textfile


def _metrics(passed: bool = True) -> RunMetrics:
    return RunMetrics(
        1.5,
        100,
        3,
        passed,
        1700000000.0,
        psi={"f": 0.1},
        unseen={"c": 0.25},
        measures={"M-1": 0.9},
    )


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_render_writes_each_run_metric() -> None:
    """Duration, rows in, rows quarantined, the gate, drift and measures are all exposed."""
    samples = _samples(render(_metrics()))
    assert samples[(f"{PREFIX}_run_duration_seconds", ())] == 1.5
    assert samples[(f"{PREFIX}_rows_in", ())] == 100
    assert samples[(f"{PREFIX}_rows_quarantined", ())] == 3
    assert samples[(f"{PREFIX}_gate_passed", ())] == 1
    assert samples[(f"{PREFIX}_evaluation_value", (("metric", "M-1"),))] == 0.9


def test_drift_metrics_have_the_service_names() -> None:
    """PSI, the unseen share and the threshold are named as a generated service names them."""
    samples = _samples(render(_metrics()))
    assert samples[(f"{PREFIX}_drift_psi", (("feature", "f"),))] == 0.1
    assert samples[(f"{PREFIX}_drift_unseen_share", (("feature", "c"),))] == 0.25
    assert samples[(f"{PREFIX}_drift_psi_threshold", ())] == project.drift_threshold()


def test_render_has_no_success_timestamp_for_a_failed_gate() -> None:
    """A failed run does not advance the last-success timestamp the staleness alert uses."""
    assert "last_success_timestamp_seconds" not in render(_metrics(passed=False))


def test_the_run_objective_is_exported_when_spec_yaml_sets_one() -> None:
    """monitoring.latency_p95_ms becomes the run-duration objective the alert compares with."""
    objective = project.pipeline()["run_objective_seconds"]
    samples = _samples(render(_metrics()))
    key = (f"{PREFIX}_run_duration_objective_seconds", ())
    assert samples.get(key) == objective


def test_write_textfile_replaces_the_file(tmp_path: Path) -> None:
    """The file holds exactly the last metrics written and no temporary files remain."""
    target = tmp_path / "m.prom"
    write_textfile(target, _metrics(passed=True))
    write_textfile(target, _metrics(passed=False))
    assert target.read_text(encoding="utf-8") == render(_metrics(passed=False))
    assert [p.name for p in tmp_path.iterdir()] == ["m.prom"]
