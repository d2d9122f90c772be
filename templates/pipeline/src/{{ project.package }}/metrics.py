"""Run metrics in the Prometheus text format, for a node-exporter textfile collector.

Point the collector's ``--collector.textfile.directory`` at ``output/metrics`` (or push the
file to a Pushgateway). The alert rules in ops/alerts.yml use these names.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from . import project

PREFIX = project.package()
"""Metric names start with the package name, as the alert rules in ops/alerts.yml expect."""


@dataclass(frozen=True)
class RunMetrics:
    """The numbers one run reports."""

    duration_seconds: float
    rows_in: int
    rows_quarantined: int
    gate_passed: bool
    finished_at: float
    psi: Mapping[str, float] = field(default_factory=dict)
    measures: Mapping[str, float] = field(default_factory=dict)


def render(m: RunMetrics) -> str:
    """Return the metrics as Prometheus text exposition format."""
    lines: list[str] = []

    def gauge(name: str, help_text: str, samples: list[tuple[str, float]]) -> None:
        # bools and ints are written as floats: Prometheus samples are floats
        lines.append(f"# HELP {PREFIX}_{name} {help_text}")
        lines.append(f"# TYPE {PREFIX}_{name} gauge")
        lines.extend(f"{PREFIX}_{name}{labels} {float(value)!r}" for labels, value in samples)

    gauge("run_duration_seconds", "Duration of the last run.", [("", m.duration_seconds)])
    gauge("rows_in", "Rows read by the last run.", [("", float(m.rows_in))])
    gauge("rows_quarantined", "Rows quarantined by the last run.", [("", m.rows_quarantined)])
    gauge("gate_passed", "1 if the last run passed the evaluation gate.", [("", m.gate_passed)])
    gauge("last_run_timestamp_seconds", "Unix time the last run finished.", [("", m.finished_at)])
    if m.gate_passed:
        gauge(
            "last_success_timestamp_seconds",
            "Unix time of the last published run.",
            [("", m.finished_at)],
        )
    if m.psi:
        gauge(
            "drift_psi",
            "Population stability index per drift feature.",
            [('{feature="' + _label(k) + '"}', v) for k, v in sorted(m.psi.items())],
        )
    if m.measures:
        gauge(
            "evaluation_value",
            "Measured value per gated success metric.",
            [('{metric="' + _label(k) + '"}', v) for k, v in sorted(m.measures.items())],
        )
    return "\n".join(lines) + "\n"


def write_textfile(path: Path, text: str) -> Path:
    """Write the metrics file atomically (collectors must never read half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".metrics-", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    Path(tmp).replace(path)
    return path


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
