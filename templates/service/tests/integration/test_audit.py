"""The audit log: durable, hash-chained, tamper-evident, without secrets or raw personal data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ..package import (
    AUDIT_KEY_ENV,
    CHECKPOINT_KEY_ENV,
    RETENTION_DAYS,
    AuditStore,
    Database,
    Settings,
    connect,
)
from ..package import audit as audit_command
from tests.support import (
    AUDIT_KEY,
    DATABASE_ERRORS,
    actor,
    as_insider,
    count,
    decide,
    dump,
    role_with,
)


def test_decision_record_holds_who_what_when_and_model(
    client: TestClient, audit: AuditStore
) -> None:
    """A decision's record names actor, role, action, resource, outcome, request and model."""
    body = decide(client, subject="claim-0001")
    (record,) = audit.records(action="decide")
    requester = role_with("request")
    assert (record.actor, record.role) == (actor(requester), requester)
    assert record.resource == f"decision/{body['decision_id']}"
    assert record.outcome == body["status"]
    assert record.model_version == body["model_version"]
    assert record.request_id
    assert datetime.fromisoformat(record.ts).utcoffset() is not None


def test_record_is_committed_before_the_response(client: TestClient, settings: Settings) -> None:
    """Once the response is back, a connection of its own sees the record in the database."""
    decide(client)
    elsewhere = connect(settings.database_location())
    try:
        found = count(elsewhere, "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'decide'")
    finally:
        elsewhere.close()
    assert found == 1


def test_subject_is_stored_pseudonymised(
    client: TestClient, database: Database, audit: AuditStore
) -> None:
    """The raw subject identifier is in no table of the database."""
    decide(client, subject="person-9f8e7d")
    assert "person-9f8e7d" not in dump(database)
    (record,) = audit.records(action="decide")
    assert record.subject is not None
    assert record.subject.startswith("ps_")


def test_secrets_are_never_written(database: Database, audit: AuditStore) -> None:
    """Values under secret-looking keys are redacted before the record is written."""
    audit.record(
        actor="a",
        role="r",
        action="configure",
        resource="x",
        outcome="success",
        details={"api_key": "s3cr3t-value"},
    )
    assert "s3cr3t-value" not in dump(database)
    if audit.path is not None:  # the file and its write-ahead log, byte for byte
        for stored in audit.path.parent.glob(f"{audit.path.name}*"):
            assert b"s3cr3t-value" not in stored.read_bytes()


def test_chain_of_real_requests_verifies(client: TestClient, audit: AuditStore) -> None:
    """Records written by the app form an intact hash chain."""
    for n in range(3):
        decide(client, subject=f"s{n}")
    result = audit.verify()
    assert result.ok
    assert result.checked == 3


@pytest.mark.parametrize("statement", ["UPDATE audit_log SET actor = 'b'", "DELETE FROM audit_log"])
def test_updates_and_deletes_are_refused_even_to_the_owner(
    owner: Database, audit: AuditStore, statement: str
) -> None:
    """The triggers refuse to change or delete audit records, whoever asks (the owner too)."""
    audit.record(actor="a", role="r", action="x", resource="y", outcome="success")
    with pytest.raises(DATABASE_ERRORS, match="append-only"), owner.transaction() as conn:
        conn.execute(statement)
    assert len(audit.records()) == 1


def _chain(audit: AuditStore, records: int) -> AuditStore:
    for n in range(records):
        audit.record(actor="a", role="r", action=f"a{n}", resource="y", outcome="success")
    return audit


def _tamper(owner: Database, statement: str, *parameters: object) -> None:
    """Change the log as an insider who owns the database would."""
    with owner.transaction() as conn:
        as_insider(owner, conn)
        conn.execute(statement, parameters)


def test_verify_names_the_first_tampered_record(owner: Database, audit: AuditStore) -> None:
    """After a record is edited, verify reports that record and how many before it are intact."""
    _chain(audit, 5)
    _tamper(owner, "UPDATE audit_log SET outcome = 'success-edited' WHERE seq = ?", 3)
    result = audit.verify()
    assert (result.ok, result.first_bad_seq, result.checked) == (False, 3, 2)


def test_verify_reads_a_long_log_in_batches(audit: AuditStore) -> None:
    """A log longer than one batch is verified whole."""
    _chain(audit, 7)
    assert audit.verify(batch=3).checked == 7


def test_verify_command_exit_codes(
    settings: Settings,
    owner: Database,
    audit: AuditStore,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The verify command exits 0 on an intact chain and 1 naming the tampered record."""
    monkeypatch.setenv(AUDIT_KEY_ENV, AUDIT_KEY)
    _chain(audit, 3)
    db = settings.database_location()
    assert audit_command(["--db", db, "verify"]) == 0
    _tamper(owner, "UPDATE audit_log SET outcome = 'edited' WHERE seq = ?", 2)
    assert audit_command(["--db", db, "verify"]) == 1
    assert "tampered: record 2" in capsys.readouterr().out


def test_verify_command_without_a_database_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Pointing the command at a file that does not exist says so, and creates nothing."""
    missing = tmp_path / "missing.sqlite3"
    assert audit_command(["--db", str(missing), "verify"]) == 2
    assert "no audit database" in capsys.readouterr().err
    assert not missing.exists()


class AuditWriteFailed(Exception):
    """The audit write broke (a full disk, a lost connection)."""


def test_a_failed_audit_write_leaves_no_unaudited_decision(
    client: TestClient, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The decision and its record commit together: when the record fails, nothing is stored."""

    def broken(*_args: object, **_kwargs: object) -> None:
        raise AuditWriteFailed

    monkeypatch.setattr(AuditStore, "append", broken)
    with pytest.raises(AuditWriteFailed):
        decide(client)
    assert count(database, "SELECT COUNT(*) AS n FROM decisions") == 0


KEY = "test-checkpoint-key-kept-outside-the-database"


def _checkpoint(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[str, Path]:
    monkeypatch.setenv(CHECKPOINT_KEY_ENV, KEY)
    monkeypatch.setenv(AUDIT_KEY_ENV, AUDIT_KEY)
    out = tmp_path / "checkpoint.json"
    db = settings.database_location()
    assert audit_command(["--db", db, "checkpoint", "--out", str(out)]) == 0
    return db, out


def test_verify_against_a_checkpoint_passes_on_an_untouched_log(
    settings: Settings, audit: AuditStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A log that only grew since the checkpoint verifies against it."""
    _chain(audit, 4)
    db, checkpoint = _checkpoint(settings, tmp_path, monkeypatch)
    audit.record(actor="a", role="r", action="later", resource="y", outcome="success")
    assert audit_command(["--db", db, "verify", "--checkpoint", str(checkpoint)]) == 0


def test_a_rewritten_chain_is_caught_by_the_checkpoint(
    settings: Settings,
    owner: Database,
    audit: AuditStore,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Replacing every record by a fresh, self-consistent chain is caught by the checkpoint."""
    _chain(audit, 3)
    db, checkpoint = _checkpoint(settings, tmp_path, monkeypatch)
    _tamper(owner, "DELETE FROM audit_log WHERE seq > ?", 0)
    _chain(audit, 3)  # a whole new chain, every link and MAC in order (the key leaked)
    assert audit.verify().ok
    assert audit_command(["--db", db, "verify", "--checkpoint", str(checkpoint)]) == 1


def test_a_checkpoint_signed_with_another_key_is_refused(
    settings: Settings, audit: AuditStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A forged checkpoint (another key) does not vouch for anything."""
    _chain(audit, 2)
    db, checkpoint = _checkpoint(settings, tmp_path, monkeypatch)
    monkeypatch.setenv(CHECKPOINT_KEY_ENV, "another-key")
    assert audit_command(["--db", db, "verify", "--checkpoint", str(checkpoint)]) == 1


def test_a_checkpoint_is_never_overwritten(
    settings: Settings, audit: AuditStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Writing a checkpoint over an existing file fails; the old one stays."""
    _chain(audit, 1)
    db, checkpoint = _checkpoint(settings, tmp_path, monkeypatch)
    before = checkpoint.read_text(encoding="utf-8")
    assert audit_command(["--db", db, "checkpoint", "--out", str(checkpoint)]) == 2
    assert checkpoint.read_text(encoding="utf-8") == before


def test_purge_keeps_the_chain_verifiable_on_every_backend(
    database: Database, owner: Database
) -> None:
    """Purging past retention deletes the old records only, and the rest still verifies."""
    now = datetime.now(UTC)
    then = now - timedelta(days=RETENTION_DAYS + 5)
    old = AuditStore(database, key=AUDIT_KEY, clock=lambda: then)
    _chain(old, 3)
    current = AuditStore(database, key=AUDIT_KEY, clock=lambda: now)
    _chain(current, 2)
    assert AuditStore(owner, key=AUDIT_KEY).purge(actor="ops", role="operator") == 3
    assert [r.action for r in current.records()] == ["a0", "a1", "purge"]
    assert current.verify().ok
