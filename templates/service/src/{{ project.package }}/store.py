"""The service database: decisions, what humans did with them, and the audit chain (SQLite).

One database holds every table, so a state change and its audit record commit in one
transaction or not at all (:meth:`Database.transaction`); a failed audit write leaves no
unaudited change behind. Transactions start with ``BEGIN IMMEDIATE``: writers, across
threads and processes, take turns, which keeps the audit chain one chain and makes every
transition a compare-and-set (a decision resolved by one reviewer is no longer open to the
next). Each thread keeps one connection open; commits are synced to disk
(``synchronous=FULL``) before a response is sent.
"""

from __future__ import annotations

import sqlite3
import threading
import uuid
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
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
    reason TEXT,
    requested_by TEXT NOT NULL DEFAULT '',
    contract_version TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS decisions_status ON decisions (status);
CREATE TABLE IF NOT EXISTS idempotency (
    actor TEXT NOT NULL,
    key TEXT NOT NULL,
    request_sha256 TEXT NOT NULL,
    decision_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (actor, key)
);
"""
REVIEW_STATUSES = ("pending_review", "contested")
"""Decisions waiting for a human."""
RESOLVED_STATUSES = ("approved", "overridden")
"""Decisions a human has decided; they are not decided again."""


class Database:
    """One SQLite file; each thread keeps its own connection to it."""

    def __init__(self, path: Path, *, clock: Callable[[], datetime] = utc_now) -> None:
        """Open (and create if needed) the database at ``path``."""
        self.path = Path(path)
        self._clock = clock
        self._local = threading.local()
        self._opened: list[sqlite3.Connection] = []
        self._opened_lock = threading.Lock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        weakref.finalize(self, _close_all, self._opened)
        self.connection().execute("PRAGMA journal_mode=WAL")

    def connection(self) -> sqlite3.Connection:
        """Return this thread's connection (opened on first use)."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            # used by this thread only (thread-local); closable by the finaliser from any thread
            conn = sqlite3.connect(
                self.path, timeout=30, isolation_level=None, check_same_thread=False
            )
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA busy_timeout=30000")
            self._local.conn = conn
            with self._opened_lock:
                self._opened.append(conn)
        return conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Run a write transaction: committed durably on success, rolled back on any error."""
        conn = self.connection()
        if conn.in_transaction:  # nested: the outer transaction commits
            yield conn
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def now(self) -> str:
        """Return the current time as an ISO 8601 UTC string."""
        return self._clock().astimezone(UTC).strftime(TS_FORMAT)


def _close_all(connections: Sequence[sqlite3.Connection]) -> None:
    for conn in connections:
        conn.close()


class DecisionStore:
    """Decisions and their idempotency keys, in the service database."""

    def __init__(self, database: Database) -> None:
        """Create the tables in ``database`` if needed."""
        self.db = database
        with database.transaction() as conn:
            for statement in _statements(_SCHEMA):
                conn.execute(statement)
            columns = {row["name"] for row in conn.execute("PRAGMA table_info(decisions)")}
            for column in ("requested_by", "contract_version"):
                if column not in columns:  # a database made by an older template version
                    conn.execute(
                        f"ALTER TABLE decisions ADD COLUMN {column} TEXT NOT NULL DEFAULT ''"
                    )

    def now(self) -> str:
        """Return the current time as an ISO 8601 UTC string."""
        return self.db.now()

    def ping(self) -> None:
        """Raise when the database cannot be read (one indexed lookup, never a scan)."""
        self.db.connection().execute("SELECT 1 FROM decisions LIMIT 1").fetchall()

    def add(
        self,
        conn: sqlite3.Connection,
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
        self, decision_id: str, conn: sqlite3.Connection | None = None
    ) -> dict[str, Any] | None:
        """Return a decision by id, or None."""
        row = (
            (conn or self.db.connection())
            .execute("SELECT * FROM decisions WHERE decision_id = ?", (decision_id,))
            .fetchone()
        )
        return None if row is None else dict(row)

    def pending(self, limit: int = 100) -> list[dict[str, Any]]:
        """Return decisions waiting for a human, oldest first."""
        rows = (
            self.db.connection()
            .execute(
                "SELECT * FROM decisions WHERE status IN (?, ?) ORDER BY created_at LIMIT ?",
                (*REVIEW_STATUSES, limit),
            )
            .fetchall()
        )
        return [dict(row) for row in rows]

    def count_pending(self) -> int:
        """Return how many decisions wait for a human."""
        row = (
            self.db.connection()
            .execute("SELECT COUNT(*) FROM decisions WHERE status IN (?, ?)", REVIEW_STATUSES)
            .fetchone()
        )
        return int(row[0])

    def transition(
        self,
        conn: sqlite3.Connection,
        decision_id: str,
        *,
        allowed_from: Sequence[str],
        status: str,
        final_label: str | None,
        actor: str,
        reason: str | None,
    ) -> dict[str, Any] | None:
        """Move a decision to ``status`` only if it is in one of ``allowed_from``.

        A compare-and-set inside the caller's transaction: of two reviewers resolving the
        same decision, exactly one succeeds. Returns the updated decision, or None when
        the decision was not in an allowed status (any more).
        """
        marks = ", ".join("?" for _ in allowed_from)
        changed = conn.execute(
            "UPDATE decisions SET status = ?, final_label = ?, reviewed_by = ?, reviewed_at = ?, "  # noqa: S608 - only placeholders are interpolated
            f"reason = ? WHERE decision_id = ? AND status IN ({marks})",
            (status, final_label, actor, self.now(), reason, decision_id, *allowed_from),
        ).rowcount
        return self.get(decision_id, conn) if changed == 1 else None

    def remembered(self, conn: sqlite3.Connection, actor: str, key: str) -> tuple[str, str] | None:
        """Return (request hash, decision id) of an earlier request with this idempotency key."""
        row = conn.execute(
            "SELECT request_sha256, decision_id FROM idempotency WHERE actor = ? AND key = ?",
            (actor, key),
        ).fetchone()
        return None if row is None else (str(row["request_sha256"]), str(row["decision_id"]))

    def remember(
        self, conn: sqlite3.Connection, actor: str, key: str, request_sha256: str, decision_id: str
    ) -> None:
        """Keep an idempotency key with the decision it made (same transaction)."""
        conn.execute(
            "INSERT INTO idempotency (actor, key, request_sha256, decision_id, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (actor, key, request_sha256, decision_id, self.now()),
        )


def _statements(script: str) -> list[str]:
    """Split a schema script into statements (``executescript`` would commit the transaction)."""
    return [part.strip() for part in script.split(";") if part.strip()]
