"""Integration tests: a run's records form a verifiable hash chain; tampering is detected."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ..package import CHECKPOINT_KEY_ENV, RETENTION_DAYS, AuditStore, Database, Settings, run
from tests.support import DATABASE_ERRORS, Cli, as_insider


def test_the_chain_verifies_after_two_runs(settings: Settings, store: AuditStore) -> None:
    """Records from consecutive runs chain together and verify."""
    run(settings)
    run(settings)
    result = store.verify()
    assert result.ok and result.checked == len(store.records()) > 2


def test_an_edited_record_is_detected(
    settings: Settings, owner: Database, store: AuditStore
) -> None:
    """Changing a stored record (bypassing the triggers) breaks the chain at that record."""
    run(settings)
    first = store.records()[0].seq
    with owner.transaction() as conn:
        as_insider(owner, conn)
        conn.execute("UPDATE audit_log SET outcome = 'forged' WHERE seq = ?", (first,))
    result = store.verify()
    assert not result.ok and result.first_bad_seq == first


@pytest.mark.parametrize("statement", ["UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log"])
def test_records_cannot_be_updated_or_deleted_even_by_the_owner(
    settings: Settings, owner: Database, store: AuditStore, statement: str
) -> None:
    """The database's triggers refuse UPDATE and DELETE on audit records, whoever asks."""
    run(settings)
    before = len(store.records())
    with pytest.raises(DATABASE_ERRORS, match="append-only"), owner.transaction() as conn:
        conn.execute(statement)
    assert len(store.records()) == before


def test_purge_past_retention_keeps_the_chain_verifiable(
    settings: Settings, database: Database, owner: Database, store: AuditStore
) -> None:
    """Records older than the retention go; the anchor keeps what is left verifiable."""
    then = datetime.now(UTC) - timedelta(days=RETENTION_DAYS + 1)
    older = AuditStore(
        database, salt=settings.privacy_salt, key=settings.audit_key, clock=lambda: then
    )
    for n in range(2):
        older.record(actor="a", role="r", action=f"old-{n}", resource="y", outcome="success")
    store.record(actor="a", role="r", action="new", resource="y", outcome="success")
    assert AuditStore(owner, key=settings.audit_key).purge(actor="ops", role="operator") == 2
    assert [r.action for r in store.records()] == ["new", "purge"]
    assert store.verify().ok


def test_a_checkpoint_of_the_chain_verifies_through_the_command_line(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`audit checkpoint` signs the head; `audit verify --checkpoint` then matches it."""
    monkeypatch.setenv(CHECKPOINT_KEY_ENV, "test-checkpoint-key-" + "k" * 32)
    assert cli(["run"]).code == 3  # a candidate, nothing approved to score with
    head = tmp_path / "head.json"
    assert cli(["audit", "checkpoint", "--out", str(head)]).code == 0
    done = cli(["audit", "verify", "--checkpoint", str(head)])
    assert done.code == 0 and "matching" in done.out, done.out + done.err
