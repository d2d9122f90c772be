"""The hand-off queue: questions the assistant did not answer, answered or dismissed by a person.

A question lands here when retrieval is below ``abstain_below``, when an answer's citations
do not check out, or when a guardrail escalates (``on_violation: escalate``). A person with
the ``review`` permission answers or dismisses it, with four eyes: the person who asked can
never decide their own question. A decision is final (a second one is refused with 409) and
is audited with the state change, in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .audit import AuditStore, Database
from .privacy import fingerprint


class ReviewError(Exception):
    """A decision on a hand-off was refused."""

    status_code = 400


class ReviewForbidden(ReviewError):
    """The decider asked the question themselves (four eyes: HTTP 403)."""

    status_code = 403


class ReviewConflict(ReviewError):
    """The hand-off was already answered or dismissed (HTTP 409)."""

    status_code = 409


class ReviewNotFound(ReviewError):
    """No hand-off with this id (HTTP 404)."""

    status_code = 404


@dataclass(frozen=True)
class Handoff:
    """A question waiting for (or decided by) a person."""

    id: str
    conversation_id: str
    question: str
    reason: str
    status: str
    created_at: str
    reply: str | None
    decided_by: str | None
    decided_at: str | None


def _view(row: Any) -> Handoff:
    return Handoff(
        id=str(row["handoff_id"]),
        conversation_id=str(row["conversation_id"]),
        question=str(row["question"]),
        reason=str(row["reason"]),
        status=str(row["status"]),
        created_at=str(row["created_at"]),
        reply=row["reply"],
        decided_by=row["decided_by"],
        decided_at=row["decided_at"],
    )


class Reviews:
    """The ``handoffs`` table, its four-eyes rule and its audit records."""

    def __init__(self, db: Database, audit: AuditStore) -> None:
        """Keep hand-offs in ``db``."""
        self.db, self.audit = db, audit

    def list(self, status: str = "pending", limit: int = 100) -> list[Handoff]:
        """Hand-offs with a status, oldest first."""
        with self.db.connect() as conn:
            rows = conn.execute(
                "SELECT * FROM handoffs WHERE status = ? ORDER BY created_at, handoff_id LIMIT ?",
                (status, limit),
            ).fetchall()
        return [_view(r) for r in rows]

    def count_pending(self) -> int:
        """How many questions wait for a person."""
        with self.db.connect() as conn:
            row = conn.execute(
                "SELECT COUNT(*) AS n FROM handoffs WHERE status = 'pending'"
            ).fetchone()
        return int(row["n"])

    def decide(
        self,
        handoff_id: str,
        *,
        actor: str,
        role: str,
        reply: str | None,
        reason: str,
        request_id: str = "",
    ) -> Handoff:
        """Answer (``reply`` given) or dismiss (``reply`` None) a pending hand-off.

        Raises:
            ReviewNotFound: no such hand-off.
            ReviewForbidden: the decider asked the question.
            ReviewConflict: already answered or dismissed.
        """
        decided = "answered" if reply is not None else "dismissed"
        refusal: ReviewError | None = None
        with self.db.transaction() as conn:
            self.db.lock(conn, f"handoff:{handoff_id}")
            row = conn.execute(
                "SELECT * FROM handoffs WHERE handoff_id = ?", (handoff_id,)
            ).fetchone()
            if row is None:
                raise ReviewNotFound(f"no hand-off {handoff_id}")
            if row["status"] != "pending":
                refusal = ReviewConflict(f"hand-off {handoff_id} is already {row['status']}")
            elif actor == row["requester"]:
                refusal = ReviewForbidden(
                    "the person who asked cannot decide the question (four eyes)"
                )
            self.audit.append(
                conn,
                actor=actor,
                role=role,
                action="handoff-decided",
                resource=f"handoff/{handoff_id}",
                outcome="refused" if refusal is not None else decided,
                request_id=request_id or handoff_id,
                reason=str(refusal) if refusal is not None else reason,
                details={
                    "asked": decided,
                    "reply_sha256": fingerprint(reply) if reply is not None else None,
                },
            )
            if refusal is None:
                conn.execute(
                    "UPDATE handoffs SET status = ?, reply = ?, decided_by = ?, decided_role = ?, "
                    "decided_at = ?, decision_reason = ? WHERE handoff_id = ?",
                    (decided, reply, actor, role, self.db.now(), reason, handoff_id),
                )
        if refusal is not None:
            raise refusal
        with self.db.connect() as conn:
            row = conn.execute(
                "SELECT * FROM handoffs WHERE handoff_id = ?", (handoff_id,)
            ).fetchone()
        return _view(row)
