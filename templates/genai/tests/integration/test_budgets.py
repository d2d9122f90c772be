"""Budgets are reserved before spending, atomically, on SQLite and PostgreSQL, across processes."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from ..package import (
    AuditStore,
    BudgetExceeded,
    Budgets,
    Caller,
    Database,
    Limits,
    Settings,
    connect,
    open_runtime,
)
from tests.processes import fresh_processes
from tests.support import count, details, records, where

CAP = 1.0
"""The per-user daily cap of these tests, in USD."""


def ledger(database: Database, audit: AuditStore, **caps: float | None) -> Budgets:
    """A ledger with the given caps (request, user-day) and no monthly budget by default."""
    limits = Limits(
        max_usd_per_request=caps.get("request"), max_usd_per_user_per_day=caps.get("day", CAP)
    )
    return Budgets(database, audit, limits, caps.get("month"), salt="test-salt")


def test_the_runtime_holds_the_caps_of_spec_yaml(settings: Settings) -> None:
    """The runtime reserves against spec.yaml's request, user-day and month caps."""
    opened = open_runtime(settings)
    try:
        limits, month = opened.config.limits, opened.config.monthly_budget_usd
        assert opened.budgets.caps == {
            "request": limits.max_usd_per_request,
            "user-day": limits.max_usd_per_user_per_day,
            "month": month,
        }
    finally:
        opened.close()


def test_reservation_within_caps_commits_the_worst_case(
    database: Database, audit: AuditStore
) -> None:
    """A reservation adds its worst case to the request, user-day and month rows."""
    budgets = ledger(database, audit)
    caller = Caller("req-1", "alice", "user")
    budgets.reserve(caller, "primary", 0.25)
    for scope, key in budgets.keys(caller):
        assert budgets.committed(scope, key) == pytest.approx(0.25)


def test_reservation_past_the_daily_cap_is_refused_and_audited(
    database: Database, audit: AuditStore
) -> None:
    """The call that would pass the daily cap raises BudgetExceeded (429) and leaves a record."""
    budgets = ledger(database, audit)
    caller = Caller("req-1", "alice", "user")
    budgets.reserve(caller, "primary", 0.75)
    with pytest.raises(BudgetExceeded) as refused:
        budgets.reserve(Caller("req-2", "alice", "user"), "primary", 0.5)
    assert refused.value.status_code == 429
    assert refused.value.scope == "user-day"
    (record,) = records(audit, "budget-refused")
    assert details(record)["needed_usd"] == pytest.approx(0.5)
    assert "alice" not in (record.subject or "")
    assert count(database, "SELECT COUNT(*) AS n FROM budget_reservations") == 1


def test_request_cap_applies_per_request(database: Database, audit: AuditStore) -> None:
    """The request cap refuses a second call of one request, not a call of another request."""
    budgets = ledger(database, audit, request=0.3, day=None)
    budgets.reserve(Caller("req-1", "alice", "user"), "primary", 0.2)
    with pytest.raises(BudgetExceeded, match="request budget"):
        budgets.reserve(Caller("req-1", "alice", "user"), "primary", 0.2)
    budgets.reserve(Caller("req-2", "alice", "user"), "primary", 0.2)


def test_monthly_budget_counts_every_user(database: Database, audit: AuditStore) -> None:
    """The month's budget is shared: two users together cannot pass it."""
    budgets = ledger(database, audit, day=None, month=0.5)
    budgets.reserve(Caller("r1", "alice", "user"), "primary", 0.3)
    with pytest.raises(BudgetExceeded, match="month budget"):
        budgets.reserve(Caller("r2", "bob", "user"), "primary", 0.3)


def test_settle_replaces_the_reservation_by_the_real_cost(
    database: Database, audit: AuditStore
) -> None:
    """After settling, the committed money is the real cost, and the cap has room again."""
    budgets = ledger(database, audit)
    caller = Caller("req-1", "alice", "user")
    reservation = budgets.reserve(caller, "primary", 0.9)
    assert budgets.settle(reservation, 0.1)
    assert budgets.committed("user-day", budgets.keys(caller)[1][1]) == pytest.approx(0.1)
    budgets.reserve(Caller("req-2", "alice", "user"), "primary", 0.9)


def test_settling_twice_changes_nothing(database: Database, audit: AuditStore) -> None:
    """A reservation settles once: a replayed settle neither refunds nor charges."""
    budgets = ledger(database, audit)
    caller = Caller("req-1", "alice", "user")
    reservation = budgets.reserve(caller, "primary", 0.5)
    assert budgets.settle(reservation, 0.2)
    assert not budgets.settle(reservation, 0.0)
    assert budgets.committed("month", budgets.keys(caller)[2][1]) == pytest.approx(0.2)


def test_sweep_settles_abandoned_reservations_at_their_worst_case(
    database: Database, audit: AuditStore
) -> None:
    """A reservation left open (a crashed process) is settled at its worst case, not refunded."""
    budgets = ledger(database, audit)
    caller = Caller("req-1", "alice", "user")
    budgets.reserve(caller, "primary", 0.4)
    assert budgets.sweep(timedelta(seconds=-1)) == 1
    assert budgets.committed("user-day", budgets.keys(caller)[1][1]) == pytest.approx(0.4)
    assert (
        count(database, "SELECT COUNT(*) AS n FROM budget_reservations WHERE status = 'expired'")
        == 1
    )


def test_concurrent_threads_never_pass_the_cap(database: Database, audit: AuditStore) -> None:
    """Twenty threads racing for a cap that fits four calls: exactly four reservations pass."""
    budgets = ledger(database, audit)
    passed: list[int] = []
    barrier = threading.Barrier(20)

    def attempt(n: int) -> None:
        barrier.wait()
        try:
            budgets.reserve(Caller(f"req-{n}", "alice", "user"), "primary", 0.25)
            passed.append(n)
        except BudgetExceeded:
            pass

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(passed) == 4
    assert count(database, "SELECT COUNT(*) AS n FROM budget_reservations") == 4


def test_a_returned_reservation_is_already_stored(
    database: Database, audit: AuditStore, settings: Settings
) -> None:
    """When reserve() returns, a connection of its own reads the reservation (it is durable)."""
    reservation = ledger(database, audit).reserve(Caller("req-1", "alice", "user"), "primary", 0.2)
    elsewhere = connect(settings.database_location())
    try:
        with elsewhere.connect() as conn:
            found = conn.execute(
                "SELECT status FROM budget_reservations WHERE reservation_id = ?",
                (reservation.reservation_id,),
            ).fetchone()
    finally:
        elsewhere.close()
    assert found["status"] == "reserved"


def test_reservations_and_records_racing_share_commits_and_stay_within_the_cap(
    database: Database, audit: AuditStore
) -> None:
    """Reservations and audit records of concurrent answers commit together: all stored, cap kept."""
    budgets = ledger(database, audit)
    passed: list[int] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(12)

    def answer(n: int) -> None:
        barrier.wait()
        try:
            for turn in range(3):
                try:
                    budgets.reserve(Caller(f"req-{n}-{turn}", "alice", "user"), "primary", 0.1)
                    passed.append(n)
                except BudgetExceeded:
                    pass
                audit.record(actor="alice", role="user", action="answer", resource=f"{n}/{turn}",
                             outcome="answered")  # fmt: skip
        except BaseException as err:  # reported by the assertion below
            errors.append(err)

    threads = [threading.Thread(target=answer, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(passed) == 10  # the cap of 1.0 USD holds ten calls of 0.1
    assert count(database, "SELECT COUNT(*) AS n FROM budget_reservations") == 10
    assert len(records(audit, "answer")) == 36
    assert audit.verify().ok


def test_work_failing_in_the_shared_commit_raises_and_commits_nothing(
    database: Database, audit: AuditStore
) -> None:
    """Work handed to the group commit that raises rolls its transaction back and re-raises."""

    def broken(conn: Any) -> None:
        conn.execute(
            "INSERT INTO budget_reservations (reservation_id, request_id, user_key, day, month, "
            "model_id, reserved_usd, status, created_at) "
            "VALUES ('r', 'q', 'u', '2026-01-01', '2026-01', 'primary', 0.1, 'reserved', 'now')"
        )
        raise RuntimeError("broken after writing")

    with pytest.raises(RuntimeError, match="broken after writing"):
        audit.commit(broken)
    assert count(database, "SELECT COUNT(*) AS n FROM budget_reservations") == 0


def test_budgets_refuse_an_audit_store_of_another_database(
    database: Database, tmp_path: Path
) -> None:
    """A reservation commits with the audit records: both must live in one database."""
    elsewhere = AuditStore(tmp_path / "other.sqlite3", salt="test-salt")
    with pytest.raises(ValueError, match="one database"):
        ledger(database, elsewhere)


def _process(location: str, start: Any, attempts: int, out: Any) -> None:
    """Reserve ``attempts`` times in a fresh process (a replica) and report how many passed."""
    database = connect(location)
    audit = AuditStore(database, salt="test-salt")
    budgets = Budgets(database, audit, Limits(max_usd_per_user_per_day=CAP), None, salt="test-salt")
    start.wait()
    passed = 0
    for n in range(attempts):
        try:
            budgets.reserve(Caller(f"req-{n}", "alice", "user"), "primary", 0.1)
            passed += 1
        except BudgetExceeded:
            pass
    database.close()
    out.put(passed)


def test_two_processes_never_pass_the_cap(database: Database, tmp_path: Path) -> None:
    """Two processes (replicas) reserving at once: exactly the cap is committed, never more."""
    location = where(database)
    context = fresh_processes(__name__)  # replicas: fresh processes, no connection or state
    start, out = context.Event(), context.Queue()
    workers = [context.Process(target=_process, args=(location, start, 8, out)) for _ in range(2)]
    for worker in workers:
        worker.start()
    start.set()
    for worker in workers:
        worker.join(120)
    assert sum(out.get(timeout=5) for _ in workers) == 10
    assert count(database, "SELECT COUNT(*) AS n FROM budget_reservations") == 10
