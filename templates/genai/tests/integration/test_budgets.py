"""Budgets are reserved before spending, atomically, on SQLite and PostgreSQL, across processes."""

from __future__ import annotations

import multiprocessing
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
    context = multiprocessing.get_context("spawn")
    start, out = context.Event(), context.Queue()
    workers = [context.Process(target=_process, args=(location, start, 8, out)) for _ in range(2)]
    for worker in workers:
        worker.start()
    start.set()
    for worker in workers:
        worker.join(120)
    assert sum(out.get(timeout=5) for _ in workers) == 10
    assert count(database, "SELECT COUNT(*) AS n FROM budget_reservations") == 10
