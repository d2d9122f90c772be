"""The decision store: every decision the service made and what humans did with it (SQLite)."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .audit import TS_FORMAT, utc_now

_SCHEMA = """
CREATE TABLE IF NOT EXISTS decisions (
    decision_id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    subject TEXT NOT NULL,
    inputs_sha256 TEXT NOT NULL,
    label TEXT NOT NULL,
    confidence REAL NOT NULL,
    model_version TEXT NOT NULL,
    status TEXT NOT NULL,
    final_label TEXT,
    reviewed_by TEXT,
    reviewed_at TEXT,
    reason TEXT
);
CREATE INDEX IF NOT EXISTS decisions_status ON decisions (status);
"""
REVIEW_STATUSES = ("pending_review", "contested")


class DecisionStore:
    """Decisions in one SQLite file; other modules may add their tables to it."""

    def __init__(self, path: Path, *, clock: Callable[[], datetime] = utc_now) -> None:
        """Open (and create if needed) the store at ``path``."""
        self.path = Path(path)
        self._clock = clock
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.connect() as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(_SCHEMA)

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        """Open a connection; ``with conn:`` blocks commit durably."""
        with closing(sqlite3.connect(self.path, timeout=30)) as conn:
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA synchronous=FULL")
            yield conn

    def now(self) -> str:
        """Return the store's current time as an ISO 8601 UTC string."""
        return self._clock().astimezone(UTC).strftime(TS_FORMAT)

    def ping(self) -> None:
        """Raise when the database cannot be read."""
        with self.connect() as conn:
            conn.execute("SELECT 1 FROM decisions LIMIT 1").fetchall()

    def add(
        self,
        *,
        subject: str,
        inputs_sha256: str,
        label: str,
        confidence: float,
        model_version: str,
        status: str,
    ) -> dict[str, Any]:
        """Store a new decision and return it."""
        decision_id = str(uuid.uuid4())
        row: dict[str, Any] = {
            "decision_id": decision_id,
            "created_at": self.now(),
            "subject": subject,
            "inputs_sha256": inputs_sha256,
            "label": label,
            "confidence": confidence,
            "model_version": model_version,
            "status": status,
            "final_label": label if status == "applied" else None,
        }
        with self.connect() as conn, conn:
            conn.execute(
                "INSERT INTO decisions (decision_id, created_at, subject, inputs_sha256, label, "
                "confidence, model_version, status, final_label) VALUES (:decision_id, "
                ":created_at, :subject, :inputs_sha256, :label, :confidence, :model_version, "
                ":status, :final_label)",
                row,
            )
        return self.get(decision_id) or row

    def get(self, decision_id: str) -> dict[str, Any] | None:
        """Return a decision by id, or None."""
        with self.connect() as conn:
            row = conn.execute(
                "SELECT * FROM decisions WHERE decision_id = ?", (decision_id,)
            ).fetchone()
        return None if row is None else dict(row)

    def pending(self, limit: int = 100) -> list[dict[str, Any]]:
        """Return decisions waiting for a human, oldest first."""
        with self.connect() as conn:
            rows = conn.execute(
                "SELECT * FROM decisions WHERE status IN (?, ?) ORDER BY created_at LIMIT ?",
                (*REVIEW_STATUSES, limit),
            ).fetchall()
        return [dict(row) for row in rows]

    def count_pending(self) -> int:
        """Return how many decisions wait for a human."""
        with self.connect() as conn:
            row = conn.execute(
                "SELECT COUNT(*) FROM decisions WHERE status IN (?, ?)", REVIEW_STATUSES
            ).fetchone()
        return int(row[0])

    def resolve(
        self,
        decision_id: str,
        *,
        status: str,
        final_label: str | None,
        actor: str | None,
        reason: str | None,
    ) -> dict[str, Any]:
        """Record what a human (or the data subject) did with a decision; return it."""
        with self.connect() as conn, conn:
            conn.execute(
                "UPDATE decisions SET status = ?, final_label = ?, reviewed_by = ?, "
                "reviewed_at = ?, reason = ? WHERE decision_id = ?",
                (status, final_label, actor, self.now(), reason, decision_id),
            )
        updated = self.get(decision_id)
        if updated is None:
            raise KeyError(decision_id)
        return updated
