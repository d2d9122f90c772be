"""Decisions and their idempotency keys, in the service database (see database.py).

One database holds every table, so a state change and its audit record commit in one
transaction or not at all (:meth:`~.audit.Database.transaction`); a failed audit write
leaves no unaudited change behind. Every transition is a compare-and-set: a decision
resolved by one reviewer is no longer open to the next, whichever replica serves them.
The tables come from the versioned migrations (``migrations/``).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from .audit import Connection, Database

REVIEW_STATUSES = ("pending_review", "contested")
"""Decisions waiting for a human."""
RESOLVED_STATUSES = ("approved", "overridden")
"""Decisions a human has decided; they are not decided again."""


class DecisionStore:
    """Decisions and their idempotency keys, in the service database."""

    def __init__(self, database: Database) -> None:
        """Keep decisions in ``database`` (migrated: see :func:`~.database.open_database`)."""
        self.db = database

    def now(self) -> str:
        """Return the current time as an ISO 8601 UTC string."""
        return self.db.now()

    def ping(self) -> None:
        """Raise when the database cannot be read (one indexed lookup, never a scan)."""
        with self.db.connect() as conn:
            conn.execute("SELECT 1 FROM decisions LIMIT 1").fetchall()

    def add(
        self,
        conn: Connection,
        *,
        subject: str,
        inputs_sha256: str,
        label: str,
        confidence: float,
        model_version: str,
        status: str,
        requested_by: str,
        contract_version: str,
    ) -> dict[str, Any]:
        """Store a new decision inside the caller's transaction and return it."""
        row: dict[str, Any] = {
            "decision_id": str(uuid.uuid4()),
            "created_at": self.now(),
            "subject": subject,
            "inputs_sha256": inputs_sha256,
            "label": label,
            "confidence": confidence,
            "model_version": model_version,
            "status": status,
            "final_label": label if status == "applied" else None,
            "requested_by": requested_by,
            "contract_version": contract_version,
        }
        conn.execute(
            "INSERT INTO decisions (decision_id, created_at, subject, inputs_sha256, label, "
            "confidence, model_version, status, final_label, requested_by, contract_version) "
            "VALUES (:decision_id, :created_at, :subject, :inputs_sha256, :label, :confidence, "
            ":model_version, :status, :final_label, :requested_by, :contract_version)",
            row,
        )
        return self.get(row["decision_id"], conn) or row

    def get(
        self, decision_id: str, conn: Connection | None = None, *, for_update: bool = False
    ) -> dict[str, Any] | None:
        """Return a decision by id, or None.

        With ``for_update`` (inside a transaction) the row stays locked until it ends, so
        what the caller read is what it changes (PostgreSQL; SQLite has one writer anyway).
        """
        sql = "SELECT * FROM decisions WHERE decision_id = ?"
        if for_update and self.db.dialect == "postgresql":
            sql += " FOR UPDATE"
        if conn is not None:
            row = conn.execute(sql, (decision_id,)).fetchone()
        else:
            with self.db.connect() as fresh:
                row = fresh.execute(sql, (decision_id,)).fetchone()
        return None if row is None else dict(row)

    def pending(self, limit: int = 100) -> list[dict[str, Any]]:
        """Return decisions waiting for a human, oldest first."""
        with self.db.connect() as conn:
            rows = conn.execute(
                "SELECT * FROM decisions WHERE status IN (?, ?) ORDER BY created_at LIMIT ?",
                (*REVIEW_STATUSES, limit),
            ).fetchall()
        return [dict(row) for row in rows]

    def count_pending(self) -> int:
        """Return how many decisions wait for a human."""
        with self.db.connect() as conn:
            row = conn.execute(
                "SELECT COUNT(*) AS n FROM decisions WHERE status IN (?, ?)", REVIEW_STATUSES
            ).fetchone()
        return int(row["n"])

    def transition(
        self,
        conn: Connection,
        decision_id: str,
        *,
        allowed_from: Sequence[str],
        status: str,
        final_label: str | None,
        reviewer: str | None,
        reason: str | None,
    ) -> dict[str, Any] | None:
        """Move a decision to ``status`` only if it is in one of ``allowed_from``.

        A compare-and-set inside the caller's transaction: of two reviewers resolving the
        same decision, exactly one succeeds. ``reviewer`` becomes the one who decided it;
        None (a contest) keeps whoever decided it before. Returns the updated decision, or
        None when the decision was not in an allowed status (any more).
        """
        marks = ", ".join("?" for _ in allowed_from)
        decided = "reviewed_by = ?, reviewed_at = ?, " if reviewer is not None else ""
        changed = conn.execute(
            f"UPDATE decisions SET status = ?, final_label = ?, {decided}"  # noqa: S608 - only placeholders are interpolated
            f"reason = ? WHERE decision_id = ? AND status IN ({marks})",
            (
                status,
                final_label,
                *((reviewer, self.now()) if reviewer is not None else ()),
                reason,
                decision_id,
                *allowed_from,
            ),
        ).rowcount
        return self.get(decision_id, conn) if changed == 1 else None

    def remembered(self, conn: Connection, actor: str, key: str) -> tuple[str, str] | None:
        """Return (request hash, decision id) of an earlier request with this idempotency key."""
        row = conn.execute(
            "SELECT request_sha256, decision_id FROM idempotency WHERE actor = ? AND key = ?",
            (actor, key),
        ).fetchone()
        return None if row is None else (str(row["request_sha256"]), str(row["decision_id"]))

    def remember(
        self, conn: Connection, actor: str, key: str, request_sha256: str, decision_id: str
    ) -> None:
        """Keep an idempotency key with the decision it made (same transaction)."""
        conn.execute(
            "INSERT INTO idempotency (actor, key, request_sha256, decision_id, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (actor, key, request_sha256, decision_id, self.now()),
        )
