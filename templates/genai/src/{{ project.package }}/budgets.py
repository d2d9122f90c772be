"""Budgets before spending: reserve a call's worst case atomically, then settle its real cost.

Three budgets apply to every model call: the request's (``limits.max_usd_per_request``), the
user's for the day (``limits.max_usd_per_user_per_day``, UTC days) and the month's
(``budget.monthly_usd``). :meth:`Budgets.reserve` takes the chain's lock (SQLite: the
``BEGIN IMMEDIATE`` writer; PostgreSQL: a transaction-scoped advisory lock, so replicas take
turns), checks that what is committed in each scope plus the call's worst case stays within
its cap, and adds the worst case to all three, in one transaction. Committed money is settled
spend plus open reservations, so concurrent calls can never together pass a cap. A refusal
raises :class:`BudgetExceeded` (HTTP 429) after an audit record. :meth:`Budgets.settle`
replaces the reservation by the real cost; :meth:`Budgets.sweep` settles reservations that a
crashed process left open at their worst case (money may have been spent).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from .audit import AuditStore, Connection, Database, utc_now
from .config import Limits
from .privacy import pseudonymise

LOCK = "genai-budgets"
EPSILON = 1e-9
"""Float slack when comparing USD sums (a cap reached exactly is still within it)."""
PSEUDONYMS_KEPT = 10_000
"""Requesters whose budget pseudonyms are kept in memory (the cache starts over beyond)."""
SCOPES = ("request", "user-day", "month")


class BudgetExceeded(Exception):
    """A budget would be exceeded by this call's worst case: the call is not made (HTTP 429)."""

    status_code = 429

    def __init__(self, scope: str, limit: float, committed: float, needed: float) -> None:
        """Say which budget, its cap, what is committed and what the call needed."""
        self.scope, self.limit, self.committed, self.needed = scope, limit, committed, needed
        super().__init__(
            f"the {scope} budget of {limit:.4f} USD would be exceeded: {committed:.4f} USD "
            f"committed, this call may cost up to {needed:.4f} USD"
        )


@dataclass(frozen=True)
class Reservation:
    """Money set aside for one model call until it is settled."""

    reservation_id: str
    request_id: str
    model_id: str
    reserved_usd: float
    keys: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Caller:
    """Who a call is for: the request, and the person behind it (pseudonymised when stored)."""

    request_id: str
    actor: str
    role: str


class Budgets:
    """The budget ledger in the project's database."""

    def __init__(
        self,
        db: Database,
        audit: AuditStore,
        limits: Limits,
        monthly_usd: float | None,
        *,
        salt: str,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        """Keep the ledger in ``db``; refusals go to ``audit``, the audit store of ``db``.

        Raises:
            ValueError: ``audit`` keeps its records in another database (a reservation
                commits with them).
        """
        if audit.db is not db:
            raise ValueError("the budgets and their audit store must share one database")
        self.db, self.audit, self._clock = db, audit, clock
        self._salt = salt.encode("utf-8")
        self._pseudonyms: dict[str, str] = {}
        """Each requester's pseudonym (a keyed HMAC): made once, not at every reservation."""
        self.caps: dict[str, float | None] = {
            "request": limits.max_usd_per_request,
            "user-day": limits.max_usd_per_user_per_day,
            "month": monthly_usd,
        }

    def keys(self, caller: Caller) -> tuple[tuple[str, str], ...]:
        """The (scope, key) rows a caller's calls count against, now."""
        now = self._clock().astimezone(UTC)
        user = self._pseudonyms.get(caller.actor)
        if user is None:
            if len(self._pseudonyms) >= PSEUDONYMS_KEPT:
                self._pseudonyms.clear()
            user = self._pseudonyms[caller.actor] = pseudonymise(caller.actor, self._salt)
        return (
            ("request", caller.request_id),
            ("user-day", f"{user}:{now:%Y-%m-%d}"),
            ("month", f"{now:%Y-%m}"),
        )

    def reserve(
        self,
        caller: Caller,
        model_id: str,
        worst_usd: float,
        *,
        settle: Sequence[tuple[Reservation, float]] = (),
        also: Sequence[Callable[[Connection], object]] = (),
        check: Callable[[Connection], BaseException | None] | None = None,
    ) -> Reservation:
        """Set ``worst_usd`` aside in every scope, or refuse without spending.

        ``settle`` holds earlier calls' reservations with their real cost: they are settled
        first, in the same transaction (one commit for the two), and stay settled when the
        new reservation is refused. ``also`` holds the caller's own writes waiting for its
        next commit (a run's read tool calls with their audit records): they run in this
        transaction, after the settlements, and commit even when the reservation is refused.
        ``check`` runs after them, in the transaction and under the budgets' lock (a run's
        lease claim and kill switch): an exception it returns is raised once the transaction
        has committed, and nothing is reserved. The transaction is the audit store's group
        commit (:meth:`AuditStore.commit`): it returns once the reservation is on disk, and
        concurrent callers' reservations and records share its sync.

        Raises:
            BudgetExceeded: a scope's committed money plus ``worst_usd`` passes its cap.
        """
        keys = self.keys(caller)
        reservation_id = str(uuid.uuid4())
        capped = [(scope, key) for scope, key in keys if self.caps[scope] is not None]

        def reserve_in(conn: Connection) -> BaseException | None:
            self.db.lock(conn, LOCK)
            deltas = self._settled(conn, settle)
            for write in also:
                write(conn)
            if check is not None:
                stop = check(conn)
                if stop is not None:
                    self._add_all(conn, deltas)
                    return stop
            committed = self._committed_all(conn, capped)
            for scope, key in capped:
                cap = self.caps[scope]
                total = committed.get((scope, key), 0.0) + deltas.get((scope, key), 0.0)
                if cap is not None and total + worst_usd > cap + EPSILON:
                    self._add_all(conn, deltas)
                    return BudgetExceeded(scope, cap, total, worst_usd)
            for scope_key in keys:
                deltas[scope_key] = deltas.get(scope_key, 0.0) + worst_usd
            self._add_all(conn, deltas)
            conn.execute(
                "INSERT INTO budget_reservations (reservation_id, request_id, user_key, day, "
                "month, model_id, reserved_usd, status, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, 'reserved', ?)",
                (
                    reservation_id,
                    caller.request_id,
                    keys[1][1].rsplit(":", 1)[0],
                    keys[1][1].rsplit(":", 1)[1],
                    keys[2][1],
                    model_id,
                    worst_usd,
                    self.db.now(),
                ),
            )
            return None

        # durable before the call, in the group commit that concurrent answers' reservations
        # and audit records share (one sync for all of them)
        refusal = self.audit.commit(reserve_in)
        if isinstance(refusal, BudgetExceeded):
            self.audit.record(
                actor=caller.actor,
                role=caller.role,
                action="budget-refused",
                resource=f"budget/{refusal.scope}",
                outcome="refused",
                request_id=caller.request_id,
                model_version=model_id,
                subject=caller.actor,
                details={
                    "scope": refusal.scope,
                    "limit_usd": refusal.limit,
                    "committed_usd": round(refusal.committed, 8),
                    "needed_usd": round(worst_usd, 8),
                },
            )
        if refusal is not None:
            raise refusal
        return Reservation(reservation_id, caller.request_id, model_id, worst_usd, keys)

    def settle(self, reservation: Reservation, actual_usd: float) -> bool:
        """Replace the reservation by the real cost; False when it was already settled."""
        return self._close(reservation.reservation_id, actual_usd, "settled")

    def settle_in(self, conn: Connection, settled: Sequence[tuple[Reservation, float]]) -> None:
        """Settle reservations at their real cost inside the caller's transaction ``conn``.

        The run's own write (its end, with its audit record) then commits them: one commit
        instead of one more per call.
        """
        if settled:
            self.db.lock(conn, LOCK)
            self._add_all(conn, self._settled(conn, settled))

    def release(self, reservation: Reservation) -> bool:
        """Give the whole reservation back (the call was never sent)."""
        return self._close(reservation.reservation_id, 0.0, "released")

    def sweep(self, older_than: timedelta) -> int:
        """Settle reservations left open longer than ``older_than`` at their worst case."""
        cutoff = (self._clock() - older_than).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        with self.db.connect() as conn:
            rows = conn.execute(
                "SELECT reservation_id, reserved_usd FROM budget_reservations "
                "WHERE status = 'reserved' AND created_at < ?",
                (cutoff,),
            ).fetchall()
        return sum(
            self._close(str(r["reservation_id"]), float(r["reserved_usd"]), "expired") for r in rows
        )

    def committed(self, scope: str, key: str) -> float:
        """USD committed (spent plus reserved) in one scope's row."""
        with self.db.connect() as conn:
            return self._committed(conn, scope, key)

    def _close(self, reservation_id: str, actual_usd: float, status: str) -> bool:
        with self.db.transaction() as conn:
            self.db.lock(conn, LOCK)
            return self._close_in(conn, reservation_id, actual_usd, status)

    def _close_in(
        self, conn: Connection, reservation_id: str, actual_usd: float, status: str
    ) -> bool:
        """Close a reservation in ``conn`` (the budget lock held); False when already closed."""
        row = conn.execute(
            "SELECT * FROM budget_reservations WHERE reservation_id = ? AND status = 'reserved'",
            (reservation_id,),
        ).fetchone()
        if row is None:
            return False
        delta = actual_usd - float(row["reserved_usd"])
        for scope, key in (
            ("request", str(row["request_id"])),
            ("user-day", f"{row['user_key']}:{row['day']}"),
            ("month", str(row["month"])),
        ):
            self._add(conn, scope, key, delta)
        conn.execute(
            "UPDATE budget_reservations SET status = ?, actual_usd = ?, settled_at = ? "
            "WHERE reservation_id = ?",
            (status, actual_usd, self.db.now(), reservation_id),
        )
        return True

    @staticmethod
    def _committed(conn: Connection, scope: str, key: str) -> float:
        row = conn.execute(
            "SELECT committed_usd FROM budget_totals WHERE scope = ? AND key = ?", (scope, key)
        ).fetchone()
        return 0.0 if row is None else float(row["committed_usd"])

    @staticmethod
    def _add(conn: Connection, scope: str, key: str, amount: float) -> None:
        conn.execute(
            "INSERT INTO budget_totals (scope, key, committed_usd) VALUES (?, ?, ?) "
            "ON CONFLICT (scope, key) DO UPDATE "
            "SET committed_usd = budget_totals.committed_usd + excluded.committed_usd",
            (scope, key, amount),
        )

    def _settled(
        self, conn: Connection, settled: Sequence[tuple[Reservation, float]]
    ) -> dict[tuple[str, str], float]:
        """Close reservations still open at their real cost; return what each scope's row changes by.

        A reservation already closed (the sweeper expired it) is left as it is. The totals
        change by the returned amounts (:meth:`_add_all`), in the same transaction.
        """
        deltas: dict[tuple[str, str], float] = {}
        now = self.db.now() if settled else ""
        for reservation, actual_usd in settled:
            closed = conn.execute(
                "UPDATE budget_reservations SET status = 'settled', actual_usd = ?, settled_at = ? "
                "WHERE reservation_id = ? AND status = 'reserved'",
                (actual_usd, now, reservation.reservation_id),
            ).rowcount
            if closed == 1:
                for scope_key in reservation.keys:
                    deltas[scope_key] = (
                        deltas.get(scope_key, 0.0) + actual_usd - reservation.reserved_usd
                    )
        return deltas

    @staticmethod
    def _committed_all(
        conn: Connection, keys: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], float]:
        """USD committed in each of ``keys``' rows (absent: none), in one statement."""
        if not keys:
            return {}
        where = " OR ".join(["(scope = ? AND key = ?)"] * len(keys))
        rows = conn.execute(
            f"SELECT scope, key, committed_usd FROM budget_totals WHERE {where}",  # noqa: S608 - placeholders only
            [part for scope_key in keys for part in scope_key],
        ).fetchall()
        return {(str(r["scope"]), str(r["key"])): float(r["committed_usd"]) for r in rows}

    @staticmethod
    def _add_all(conn: Connection, amounts: dict[tuple[str, str], float]) -> None:
        """Add each amount to its scope's row, in one statement (rows in a fixed order)."""
        if not amounts:
            return
        ordered = sorted(amounts.items())
        marks = ", ".join(["(?, ?, ?)"] * len(ordered))
        conn.execute(
            f"INSERT INTO budget_totals (scope, key, committed_usd) VALUES {marks} "  # noqa: S608 - placeholders only
            "ON CONFLICT (scope, key) DO UPDATE "
            "SET committed_usd = budget_totals.committed_usd + excluded.committed_usd",
            [value for (scope, key), amount in ordered for value in (scope, key, amount)],
        )
