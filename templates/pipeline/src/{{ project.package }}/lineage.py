"""Lineage: one record per run, appended to the hash-chained audit log.

A run record holds the run id, UTC start and end, the OS account that ran it (and the
Airflow DAG run, when Airflow ran it), the SHA-256 of every input file, the code and
data-contract versions, the candidate model trained on the run's data with its gate, the
production model that scored (if one was approved) with its gate on the run's data, the
parameters, row counts, quarantined rows (line and reason only; the first
:data:`QUARANTINE_LISTED`, with a count per reason), drift, the outputs with their hashes
and how long each stage took. :mod:`.run_events` sends the same run to OpenLineage.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .audit import AuditRecord, AuditStore

RUN_ACTION = "pipeline.run"
QUARANTINE_LISTED = 1000
"""Quarantined rows listed by line and reason in a run record; quarantine.csv holds them all."""


@dataclass
class RunRecord:
    """What one pipeline run read, did and wrote."""

    run_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    started_at: str = field(default_factory=lambda: utc_iso())
    finished_at: str | None = None
    source: str = ""
    inputs: dict[str, str] = field(default_factory=dict)
    code_version: str = "unknown"
    contract_version: str = ""
    runner: str = "unknown"
    orchestrator: dict[str, str] = field(default_factory=dict)
    candidate: dict[str, Any] = field(default_factory=dict)
    """The model trained on this run's data: version, SHA-256 and its gate."""
    model_version: str | None = None
    """The production model that scored this run (None: nothing was scored)."""
    parameters: dict[str, Any] = field(default_factory=dict)
    rows_in: int = 0
    rows_valid: int = 0
    rows_quarantined: int = 0
    quarantined: list[dict[str, Any]] = field(default_factory=list)
    quarantine_reasons: dict[str, int] = field(default_factory=dict)
    gate: dict[str, Any] = field(default_factory=dict)
    """The production model's gate on this run's held-out records."""
    drift: dict[str, float] = field(default_factory=dict)
    drift_unseen: dict[str, float] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)
    stage_seconds: dict[str, float] = field(default_factory=dict)
    outcome: str = "running"
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return the record as JSON-able data."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunRecord:
        """Read a record written by :meth:`as_dict` (unknown keys are refused)."""
        return cls(**data)


def utc_iso() -> str:
    """Return the current UTC time in ISO 8601 with a Z suffix."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def file_sha256(path: Path) -> str:
    """Return the SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


def append_run(store: AuditStore, record: RunRecord, *, actor: str, role: str) -> AuditRecord:
    """Append the run record to the audit log (durably) and return the stored entry."""
    return store.record(
        actor=actor,
        role=role,
        action=RUN_ACTION,
        resource="pipeline",
        outcome=record.outcome,
        request_id=record.run_id,
        model_version=record.model_version or "",
        details=record.as_dict(),
    )


def write_run_file(out_dir: Path, record: RunRecord) -> Path:
    """Write the run record next to the run's outputs as ``lineage.json``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "lineage.json"
    path.write_text(json.dumps(record.as_dict(), indent=2, sort_keys=True), encoding="utf-8")
    return path


def runs(store: AuditStore) -> list[dict[str, Any]]:
    """Return every run record in the audit log, oldest first."""
    return [r.value("details") for r in store.records(action=RUN_ACTION)]
