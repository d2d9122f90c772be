"""Durable approvals: a write tool's call waits for a decision bound to its exact arguments.

An approval is created (inside the run's transaction) with the SHA-256 of the call's
canonical arguments, the run's requester, the role that may approve and an expiry, and it
survives restarts and serves every replica (it is a row, not memory). A decision is refused

* with :class:`ApprovalForbidden` (HTTP 403) when the decider is the run's requester (unless
  the tool's approval says ``four_eyes: false`` in spec.yaml: the rule in force when the
  approval was asked is stored with it and decides), or holds a role other than the tool's
  approval role, or that role may neither ``review`` nor ``sign`` in spec.yaml;
* with :class:`ApprovalConflict` (HTTP 409) when the approval has expired or was already
  decided, and with :class:`~.killswitch.KillSwitchEngaged` (423) while the kill switch is on.

Every decision and refusal is audited. After approval, :meth:`Approvals.claim` lets the call
run once: it moves the approval from ``approved`` to ``executing`` only for arguments with
the approved digest, atomically, so a second worker, a replay or changed arguments get
nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from . import project
from .audit import TS_FORMAT, AuditStore, Connection, Database, utc_now
from .config import ToolSpec
from .killswitch import KillSwitch, KillSwitchEngaged
from .toolbox import args_digest, canonical_args

DECIDING_PERMISSIONS = ("review", "sign")


class ApprovalError(Exception):
    """A decision on an approval was refused."""

    status_code = 400


class ApprovalForbidden(ApprovalError):
    """The decider may not decide this approval (HTTP 403)."""

    status_code = 403


class ApprovalConflict(ApprovalError):
    """The approval is no longer pending (expired or decided: HTTP 409)."""

    status_code = 409


class ApprovalNotFound(ApprovalError):
    """No approval with this id (HTTP 404)."""

    status_code = 404


@dataclass(frozen=True)
class ApprovalView:
    """An approval as stored."""

    approval_id: str
    run_id: str
    call_id: str
    tool: str
    args: dict[str, Any]
    args_sha256: str
    approver_role: str
    status: str
    created_at: str
    expires_at: str
    decided_by: str | None
    decided_at: str | None


def _view(row: Any) -> ApprovalView:
    import json

    r = dict(row)
    return ApprovalView(
        r["approval_id"], r["run_id"], r["call_id"], r["tool"], json.loads(r["args"]),
        r["args_sha256"], r["approver_role"], r["status"], r["created_at"], r["expires_at"],
        r["decided_by"], r["decided_at"],
    )  # fmt: skip


class Approvals:
    """The approvals table, its rules and its audit records."""

    def __init__(
        self,
        db: Database,
        audit: AuditStore,
        kill_switch: KillSwitch,
        *,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        """Keep approvals in ``db``."""
        self.db, self.audit, self.kill_switch, self._clock = db, audit, kill_switch, clock

    def _now(self) -> datetime:
        return self._clock().astimezone(UTC)

    def request(
        self,
        conn: Connection,
        *,
        run_id: str,
        call_id: str,
        tool: ToolSpec,
        args: dict[str, Any],
        requester: str,
        requester_role: str,
    ) -> str:
        """Create a pending approval inside the caller's transaction; return its id."""
        if tool.approval is None:
            raise ValueError(f"tool {tool.name!r} has no approval rule in spec.yaml")
        approval_id = str(uuid.uuid4())
        now = self._now()
        expires = now + timedelta(minutes=tool.approval.expires_minutes)
        digest = args_digest(args)
        conn.execute(
            "INSERT INTO approvals (approval_id, run_id, call_id, tool, args, args_sha256, "
            "requester, approver_role, four_eyes, status, created_at, expires_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)",
            (
                approval_id, run_id, call_id, tool.name, canonical_args(args), digest, requester,
                tool.approval.role, int(tool.approval.four_eyes),
                now.strftime(TS_FORMAT), expires.strftime(TS_FORMAT),
            ),
        )  # fmt: skip
        self.audit.append(
            conn,
            actor=requester,
            role=requester_role,
            action="approval-requested",
            resource=f"approval/{approval_id}",
            outcome="pending",
            request_id=run_id,
            details={
                "tool": tool.name,
                "effect": tool.effect,
                "blast_radius": tool.blast_radius,
                "args_sha256": digest,
                "approver_role": tool.approval.role,
                "expires_at": expires.strftime(TS_FORMAT),
            },
        )
        return approval_id

    def get(self, approval_id: str) -> ApprovalView:
        """One approval.

        Raises:
            ApprovalNotFound: no such approval.
        """
        with self.db.connect() as conn:
            row = conn.execute(
                "SELECT * FROM approvals WHERE approval_id = ?", (approval_id,)
            ).fetchone()
        if row is None:
            raise ApprovalNotFound(f"no approval {approval_id}")
        return _view(row)

    def list(self, status: str | None = "pending") -> list[ApprovalView]:
        """Approvals with a status (all when None), oldest first."""
        sql = "SELECT * FROM approvals"
        params: tuple[str, ...] = ()
        if status is not None:
            sql, params = sql + " WHERE status = ?", (status,)
        with self.db.connect() as conn:
            rows = conn.execute(sql + " ORDER BY created_at", params).fetchall()
        return [_view(r) for r in rows]

    def decide(
        self,
        approval_id: str,
        *,
        actor: str,
        role: str,
        approve: bool,
        reason: str,
        request_id: str = "",
    ) -> ApprovalView:
        """Approve or reject; the run it belongs to is queued again once nothing is pending.

        Raises:
            ApprovalNotFound: no such approval.
            ApprovalForbidden: the requester, or a role that may not approve this tool.
            ApprovalConflict: expired or already decided.
            KillSwitchEngaged: the kill switch is engaged.
        """
        refusal: ApprovalError | KillSwitchEngaged | None = None
        with self.db.transaction() as conn:
            self.db.lock(conn, f"approval:{approval_id}")
            row = conn.execute(
                "SELECT * FROM approvals WHERE approval_id = ?", (approval_id,)
            ).fetchone()
            if row is None:
                raise ApprovalNotFound(f"no approval {approval_id}")
            now = self._now().strftime(TS_FORMAT)
            if self.kill_switch.state(conn).engaged:
                refusal = KillSwitchEngaged()
            elif row["status"] != "pending":
                refusal = ApprovalConflict(f"approval {approval_id} is already {row['status']}")
            elif now >= row["expires_at"]:
                conn.execute(
                    "UPDATE approvals SET status = 'expired' WHERE approval_id = ?", (approval_id,)
                )
                self._requeue(conn, str(row["run_id"]))
                refusal = ApprovalConflict(f"approval {approval_id} expired at {row['expires_at']}")
            elif row["four_eyes"] and actor == row["requester"]:
                refusal = ApprovalForbidden(
                    "the run's requester cannot decide its approvals (four eyes)"
                )
            elif role != row["approver_role"]:
                refusal = ApprovalForbidden(
                    f"only the role {row['approver_role']!r} may decide this approval"
                )
            elif not any(project.allowed(role, p) for p in DECIDING_PERMISSIONS):
                refusal = ApprovalForbidden(f"the role {role!r} may neither review nor sign")
            decided = "approved" if approve else "rejected"
            self.audit.append(
                conn,
                actor=actor,
                role=role,
                action="approval-decided",
                resource=f"approval/{approval_id}",
                outcome="refused" if refusal is not None else decided,
                request_id=request_id or str(row["run_id"]),
                reason=str(refusal) if refusal is not None else reason,
                details={"tool": row["tool"], "args_sha256": row["args_sha256"], "asked": decided},
            )
            if refusal is None:
                conn.execute(
                    "UPDATE approvals SET status = ?, decided_by = ?, decided_role = ?, decided_at = ?,"
                    " reason = ? WHERE approval_id = ?",
                    (decided, actor, role, now, reason, approval_id),
                )
                self._requeue(conn, str(row["run_id"]))
        if refusal is not None:
            raise refusal
        return self.get(approval_id)

    def expire_due(self) -> int:
        """Mark pending approvals past their expiry as expired; requeue their runs."""
        now = self._now().strftime(TS_FORMAT)
        with self.db.transaction() as conn:
            rows = conn.execute(
                "SELECT approval_id, run_id FROM approvals WHERE status = 'pending' AND expires_at <= ?",
                (now,),
            ).fetchall()
            for row in rows:
                conn.execute(
                    "UPDATE approvals SET status = 'expired' WHERE approval_id = ?",
                    (row["approval_id"],),
                )
                self._requeue(conn, str(row["run_id"]))
        return len(rows)

    def claim(self, run_id: str, call_id: str, args: dict[str, Any]) -> str | None:
        """Take the approved call for execution, once; return the approval id, or None."""
        digest = args_digest(args)
        with self.db.transaction() as conn:
            row = conn.execute(
                "SELECT approval_id FROM approvals WHERE run_id = ? AND call_id = ? "
                "AND status = 'approved' AND args_sha256 = ?",
                (run_id, call_id, digest),
            ).fetchone()
            if row is None:
                return None
            changed = conn.execute(
                "UPDATE approvals SET status = 'executing' WHERE approval_id = ? AND status = 'approved'",
                (row["approval_id"],),
            ).rowcount
        return str(row["approval_id"]) if changed == 1 else None

    @staticmethod
    def finish(conn: Connection, approval_id: str, *, ok: bool) -> None:
        """Record, in the caller's transaction, that the approved call ran or failed."""
        conn.execute(
            "UPDATE approvals SET status = ? WHERE approval_id = ? AND status = 'executing'",
            ("executed" if ok else "failed", approval_id),
        )

    def decisions(self, run_id: str) -> dict[str, str]:
        """Each decided call of a run and its status (approved, rejected, expired, ...)."""
        with self.db.connect() as conn:
            rows = conn.execute(
                "SELECT call_id, status FROM approvals WHERE run_id = ?", (run_id,)
            ).fetchall()
        return {str(r["call_id"]): str(r["status"]) for r in rows}

    @staticmethod
    def _requeue(conn: Connection, run_id: str) -> None:
        pending = conn.execute(
            "SELECT COUNT(*) AS n FROM approvals WHERE run_id = ? AND status = 'pending'", (run_id,)
        ).fetchone()
        if int(pending["n"]) == 0:
            conn.execute(
                "UPDATE runs SET status = 'queued' WHERE run_id = ? AND status = 'waiting_approval'",
                (run_id,),
            )
