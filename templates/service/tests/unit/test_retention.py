"""Retention: the purge command deletes audit records past the spec's retention, no sooner."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ..package import RETENTION_DAYS, AuditStore, project
from ..package import audit_main as main

NOW = datetime(2030, 1, 1, tzinfo=UTC)


class Clock:
    """A settable clock."""

    def __init__(self, now: datetime) -> None:
        """Start at ``now``."""
        self.now = now

    def __call__(self) -> datetime:
        """Return the current time."""
        return self.now


def _store_with_old_and_new(path: Path) -> AuditStore:
    clock = Clock(NOW - timedelta(days=RETENTION_DAYS + 10))
    store = AuditStore(path, clock=clock)
    store.record(actor="a", role="r", action="old", resource="x", outcome="success")
    clock.now = NOW - timedelta(days=RETENTION_DAYS - 10)
    store.record(actor="a", role="r", action="recent", resource="x", outcome="success")
    clock.now = NOW
    return store


def test_retention_comes_from_the_spec() -> None:
    """The audit module keeps records for the retention the generator derived from spec.yaml."""
    assert project.retention_days() == RETENTION_DAYS


def test_purge_deletes_only_records_past_retention(tmp_path: Path) -> None:
    """Records older than the retention period go; younger ones stay."""
    store = _store_with_old_and_new(tmp_path / "audit.sqlite3")
    assert store.purge(actor="ops", role="operator") == 1
    assert [r.action for r in store.records()] == ["recent", "purge"]


def test_chain_still_verifies_after_purge(tmp_path: Path) -> None:
    """Purging keeps the hash chain verifiable from its new anchor."""
    store = _store_with_old_and_new(tmp_path / "audit.sqlite3")
    store.purge(actor="ops", role="operator")
    assert store.verify().ok


def test_purge_refuses_a_shorter_retention(tmp_path: Path) -> None:
    """Nobody can purge with fewer days than spec.yaml requires."""
    store = AuditStore(tmp_path / "audit.sqlite3")
    with pytest.raises(ValueError, match="below the required"):
        store.purge(actor="ops", role="operator", retention_days=RETENTION_DAYS - 1)


def test_purge_command_refuses_a_shorter_retention(tmp_path: Path) -> None:
    """The purge command exits 2 when asked to keep fewer days than required."""
    AuditStore(tmp_path / "audit.sqlite3")
    database = str(tmp_path / "audit.sqlite3")
    code = main(["--db", database, "purge", "--actor", "ops", "--days", str(RETENTION_DAYS - 1)])
    assert code == 2
