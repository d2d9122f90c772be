"""The kill switch, kept in the database: it stops new runs, running ones, and approvals.

Engaging or releasing it commits with its audit record (state before and after, who, why)
in one transaction, under a lock so concurrent changes take turns on every replica. Runs
check it before each model call and each tool call; approvals refuse decisions while it is
engaged; new runs are refused. The API route (``operate`` permission) calls :meth:`set`.
"""

from __future__ import annotations

from dataclasses import dataclass

from .audit import AuditStore, Connection, Database

LOCK = "kill-switch"


class KillSwitchEngaged(Exception):
    """The kill switch is engaged: nothing may start, continue or be approved (HTTP 423)."""

    status_code = 423

    def __init__(self) -> None:
        """Say what happened and what releases it."""
        super().__init__("the kill switch is engaged; an operator must release it")


@dataclass(frozen=True)
class SwitchState:
    """Whether the switch is engaged, since when, by whom and why."""

    engaged: bool
    changed_at: str | None = None
    changed_by: str | None = None
    reason: str | None = None


class KillSwitch:
    """The switch's state in table ``kill_switch``."""

    def __init__(self, db: Database, audit: AuditStore) -> None:
        """Keep the state in ``db``; changes are audited in ``audit``."""
        self.db, self.audit = db, audit

    def state(self, conn: Connection | None = None) -> SwitchState:
        """The current state (released when never set)."""
        if conn is None:
            with self.db.connect() as fresh:
                return self.state(fresh)
        row = conn.execute("SELECT * FROM kill_switch WHERE id = 1").fetchone()
        if row is None:
            return SwitchState(False)
        return SwitchState(
            bool(row["engaged"]), row["changed_at"], row["changed_by"], row["reason"]
        )

    def engaged(self) -> bool:
        """Whether the switch is engaged."""
        return self.state().engaged

    def check(self) -> None:
        """Raise when engaged.

        Raises:
            KillSwitchEngaged: the switch is engaged.
        """
        if self.engaged():
            raise KillSwitchEngaged

    def set(
        self, engaged: bool, *, actor: str, role: str, reason: str, request_id: str = ""
    ) -> SwitchState:
        """Engage or release the switch with its audit record, atomically; return the new state."""
        with self.db.transaction() as conn:
            self.db.lock(conn, LOCK)
            before = self.state(conn)
            conn.execute(
                "INSERT INTO kill_switch (id, engaged, changed_at, changed_by, reason) "
                "VALUES (1, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET engaged = excluded.engaged, "
                "changed_at = excluded.changed_at, changed_by = excluded.changed_by, "
                "reason = excluded.reason",
                (int(engaged), self.db.now(), actor, reason),
            )
            after = self.state(conn)
            self.audit.append(
                conn,
                actor=actor,
                role=role,
                action="kill-switch",
                resource="agent",
                outcome="engaged" if engaged else "released",
                request_id=request_id,
                before={"engaged": before.engaged},
                after={"engaged": after.engaged},
                reason=reason,
            )
        return after
