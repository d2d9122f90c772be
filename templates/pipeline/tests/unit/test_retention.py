"""Unit tests for retention: purge removes only records past retention, by a proven operator."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ..package import PREFIX, RETENTION_DAYS, AuditStore, project
from ..package import audit_main as main
from tests.support import (
    person,
    role_with,
    secret,
    use_credentials,
)


def test_purge_refuses_a_shorter_retention(tmp_path: Path) -> None:
    """Purging with fewer days than spec.yaml requires is refused."""
    store = AuditStore(tmp_path / "a.sqlite3")
    with pytest.raises(ValueError, match="below the required"):
        store.purge(actor="ops", role="operator", retention_days=RETENTION_DAYS - 1)


def test_purge_deletes_old_records_and_keeps_the_chain_valid(tmp_path: Path) -> None:
    """Old records go, recent ones stay, and the chain still verifies."""
    now = datetime(2030, 1, 1, tzinfo=UTC)
    clock = iter([now - timedelta(days=RETENTION_DAYS + 5), now, now, now, now])
    store = AuditStore(tmp_path / "a.sqlite3", clock=lambda: next(clock))
    store.record(actor="a", role="operator", action="old", resource="r", outcome="ok")
    store.record(actor="a", role="operator", action="new", resource="r", outcome="ok")
    assert store.purge(actor="ops", role="operator") == 1
    assert [r.action for r in store.records()] == ["new", "purge"]
    assert store.verify().ok


def _old_and_new(path: Path) -> AuditStore:
    now = datetime.now(UTC)
    clock = iter([now - timedelta(days=RETENTION_DAYS + 5), now])
    store = AuditStore(path, clock=lambda: next(clock, now))
    store.record(actor="a", role="operator", action="old", resource="r", outcome="ok")
    store.record(actor="a", role="operator", action="new", resource="r", outcome="ok")
    return store


def test_the_purge_command_refuses_without_a_credential(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`<name>-audit purge` with ACTOR and ROLE naming an administrator deletes nothing."""
    store = _old_and_new(tmp_path / "a.sqlite3")
    monkeypatch.setenv(PREFIX + "ACTOR", "admin")
    monkeypatch.setenv(PREFIX + "ROLE", project.admin_role())
    monkeypatch.setattr("sys.stdin", io.StringIO("guessed-secret-123\n"))
    assert main(["--db", str(store.path), "purge", "--actor", "admin"]) == 1
    assert [(r.action, r.outcome) for r in store.records()] == [
        ("old", "ok"),
        ("new", "ok"),
        ("purge", "denied"),  # the failed login is audited; nothing was deleted
    ]


def test_the_purge_command_refuses_a_wrong_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real operator's name with a wrong secret deletes nothing."""
    use_credentials(tmp_path, monkeypatch)
    store = _old_and_new(tmp_path / "a.sqlite3")
    actor = person(role_with("operate"))
    monkeypatch.setattr("sys.stdin", io.StringIO("not-the-secret-at-all\n"))
    assert main(["--db", str(store.path), "purge", "--actor", actor]) == 1
    assert [(r.action, r.actor, r.outcome) for r in store.records()][-1] == (
        "purge",
        actor,
        "denied",
    )
    assert [r.action for r in store.records()][:2] == ["old", "new"]


def test_a_proven_operator_purges(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the operator's secret the purge runs and records who did it."""
    use_credentials(tmp_path, monkeypatch)
    store = _old_and_new(tmp_path / "a.sqlite3")
    actor = person(role_with("operate"))
    monkeypatch.setattr("sys.stdin", io.StringIO(secret(actor) + "\n"))
    assert main(["--db", str(store.path), "purge", "--actor", actor]) == 0
    assert [(r.action, r.actor, r.role) for r in store.records()] == [
        ("new", "a", "operator"),
        ("purge", actor, role_with("operate")),  # the operator's own role, never "system"
    ]
