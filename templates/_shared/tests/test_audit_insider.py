"""Attacks by an insider who can write the database: each must be named by verify.

The insider holds the database's credentials (the application's own role, or on SQLite the
file) but not the audit key, nor the checkpoint key. On PostgreSQL the tests that need to
lift the triggers use the tables' owner, the strongest insider; the application role
cannot even do that. Every test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ..package import (
    APP_PRIVILEGES,
    AUDIT_KEY_ENV,
    AUDIT_TABLES,
    CHECKPOINT_KEY_ENV,
    ENVIRONMENT_ENV,
    GENESIS,
    KEYED,
    RETENTION_DAYS,
    SEAL_ACTION,
    AuditStore,
    Database,
    PurgeRefused,
    checkpoint,
    privilege_problem,
    record_hash,
)
from ..package import audit as audit_command
from tests.support import AUDIT_KEY, DATABASE_ERRORS, as_insider

CHECKPOINT_KEY = "test-checkpoint-key-" + "c" * 40
"""The checkpoint key: held by whoever takes checkpoints, never by the application."""


@pytest.fixture
def location(database: Database, owner_url: str | None) -> str:
    """Where the audit command finds the database: the SQLite file, or the owner's URL."""
    path = getattr(database, "path", None)
    return str(path) if owner_url is None else owner_url


@pytest.fixture
def keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """The environment of whoever runs the audit command: both keys, test settings."""
    monkeypatch.setenv(ENVIRONMENT_ENV, "test")
    monkeypatch.setenv(AUDIT_KEY_ENV, AUDIT_KEY)
    monkeypatch.setenv(CHECKPOINT_KEY_ENV, CHECKPOINT_KEY)


@pytest.fixture
def chain(database: Database) -> AuditStore:
    """The audit log, written with the application's key."""
    return AuditStore(database, salt="test-salt", key=AUDIT_KEY)


def _records(store: AuditStore, count: int, *, at: datetime | None = None) -> AuditStore:
    writer = store if at is None else AuditStore(store.db, key=AUDIT_KEY, clock=lambda: at)
    for n in range(count):
        writer.record(actor="a", role="r", action=f"a{n}", resource="y", outcome="success")
    return store


def _tamper(owner: Database, *statements: tuple[str, tuple[object, ...]]) -> None:
    """Change the log as its owner can: triggers lifted, in one transaction."""
    with owner.transaction() as conn:
        as_insider(owner, conn)
        for sql, parameters in statements:
            conn.execute(sql, parameters)


def _repoint(seq: int, hash_: str) -> tuple[str, tuple[object, ...]]:
    return (
        "INSERT INTO audit_anchor (id, prev_hash, seq) VALUES (1, ?, ?) ON CONFLICT (id) "
        "DO UPDATE SET prev_hash = excluded.prev_hash, seq = excluded.seq",
        (hash_, seq),
    )


def _checkpoint(location: str, tmp_path: Path) -> Path:
    out = tmp_path / "checkpoint.json"
    assert audit_command(["--db", location, "checkpoint", "--out", str(out)]) == 0
    return out


def _verify(location: str, against: Path | None = None) -> int:
    extra = ["--checkpoint", str(against)] if against is not None else []
    return audit_command(["--db", location, "verify", *extra])


@pytest.mark.usefixtures("keys")
def test_deleting_every_record_and_repointing_the_anchor_fails_the_checkpoint(
    chain: AuditStore, owner: Database, location: str, tmp_path: Path
) -> None:
    """Erase the whole log and point the anchor at the checkpoint's head: verify says so."""
    _records(chain, 5)
    head = chain.records()[-1]
    taken = _checkpoint(location, tmp_path)
    _tamper(owner, ("DELETE FROM audit_log", ()), _repoint(head.seq, head.hash))
    assert _verify(location, taken) == 1


@pytest.mark.usefixtures("keys")
def test_deleting_the_oldest_records_fails_the_checkpoint(
    chain: AuditStore, owner: Database, location: str, tmp_path: Path
) -> None:
    """Cut off the start of the log and re-anchor what is left: verify names it."""
    _records(chain, 5)
    second = chain.records()[1]
    taken = _checkpoint(location, tmp_path)
    _tamper(
        owner,
        ("DELETE FROM audit_log WHERE seq <= ?", (second.seq,)),
        _repoint(second.seq, second.hash),
    )
    assert _verify(location, taken) == 1


@pytest.mark.usefixtures("keys")
def test_deleting_the_newest_records_fails_the_checkpoint(
    chain: AuditStore,
    owner: Database,
    location: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Cut off the end of the log: the chain alone still verifies, the checkpoint does not."""
    _records(chain, 5)
    taken = _checkpoint(location, tmp_path)
    fourth = chain.records()[3]
    _tamper(owner, ("DELETE FROM audit_log WHERE seq >= ?", (fourth.seq,)))
    assert chain.verify().ok  # what the chain alone cannot see
    capsys.readouterr()
    assert _verify(location, taken) == 1
    assert "truncated" in capsys.readouterr().out


@pytest.mark.usefixtures("keys")
def test_a_re_anchored_chain_fails_verify_without_a_checkpoint(
    chain: AuditStore, owner: Database, location: str
) -> None:
    """An anchor that no keyed purge record vouches for is named by verify alone."""
    _records(chain, 4)
    first = chain.records()[0]
    _tamper(
        owner,
        ("DELETE FROM audit_log WHERE seq = ?", (first.seq,)),
        _repoint(first.seq, first.hash),
    )
    result = chain.verify()
    assert not result.ok and "anchor" in str(result.problem)
    assert _verify(location) == 1


def test_a_checkpoint_that_counted_other_records_fails(chain: AuditStore) -> None:
    """The count between the checkpoint's first and last record is checked."""
    _records(chain, 3)
    key = CHECKPOINT_KEY.encode()
    made = checkpoint.make(chain, key)
    body = {name: value for name, value in made.items() if name != "signature"}
    body["count"] = made["count"] + 2  # two records it saw are gone, the ends still there
    forged = {**body, "signature": checkpoint.sign(body, key)}
    result = checkpoint.verify(chain, forged, key)
    assert not result.ok and "counted" in str(result.problem)


@pytest.mark.usefixtures("keys")
def test_a_record_appended_without_the_key_fails_verify(
    chain: AuditStore, database: Database, location: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A back-dated approval written with the database's credentials but no key is named."""
    _records(chain, 2)
    last = chain.records()[-1]
    fields = {
        "event_id": "forged-1",
        "ts": "2020-01-01T00:00:00.000000Z",
        "actor": "uw2",
        "role": "reviewer",
        "action": "approve",
        "resource": "decision/forged",
        "outcome": "success",
        "request_id": "",
        "model_version": "",
        "subject": None,
        "before": None,
        "after": None,
        "reason": None,
        "details": None,
    }
    forged = {**fields, "prev_hash": last.hash, "hash": record_hash(last.hash, fields)}
    with database.transaction() as conn:  # with the application's own credentials
        columns = ", ".join(forged)
        marks = ", ".join(f":{name}" for name in forged)
        conn.execute(f"INSERT INTO audit_log ({columns}) VALUES ({marks})", forged)  # noqa: S608 - test constants
    capsys.readouterr()
    assert _verify(location) == 1
    assert "tampered" in capsys.readouterr().out


def test_a_record_made_with_another_key_fails_verify(chain: AuditStore) -> None:
    """A record whose MAC was made with another key does not verify under the real one."""
    _records(chain, 1)
    AuditStore(chain.db, key="another-key-" + "x" * 30).record(
        actor="a", role="r", action="x", resource="y", outcome="success"
    )
    result = chain.verify()
    assert not result.ok and "MAC" in str(result.problem)


def test_every_new_record_carries_a_keyed_mac(chain: AuditStore) -> None:
    """Records are MACed with the key, and one record can be checked on its own."""
    _records(chain, 2)
    for record in chain.records():
        assert record.hash.startswith(KEYED)
        assert chain.authentic(record)
    assert not AuditStore(chain.db, key="another-key-" + "x" * 30).authentic(chain.records()[0])


def test_records_from_before_the_key_still_verify_once_sealed(
    chain: AuditStore, owner: Database
) -> None:
    """A log written by an older version (plain SHA-256) verifies after its seal, as it was."""
    with owner.transaction() as conn:  # three records as templates 0.4 wrote them
        prev = GENESIS
        for n in range(3):
            fields = {
                "event_id": f"old-{n}", "ts": "2026-01-01T00:00:00.000000Z", "actor": "a",
                "role": "r", "action": f"old{n}", "resource": "y", "outcome": "success",
                "request_id": "", "model_version": "", "subject": None, "before": None,
                "after": None, "reason": None, "details": None,
            }  # fmt: skip
            digest = record_hash(prev, fields)
            row = {**fields, "prev_hash": prev, "hash": digest}
            prev = digest
            columns, marks = ", ".join(row), ", ".join(f":{name}" for name in row)
            conn.execute(f"INSERT INTO audit_log ({columns}) VALUES ({marks})", row)  # noqa: S608 - test constants
    assert not chain.verify().ok  # not vouched for yet
    seal = chain.seal()
    assert seal is not None and seal.action == SEAL_ACTION
    assert chain.seal() is None  # sealed once
    _records(chain, 1)
    result = chain.verify()
    assert result.ok and (result.checked, result.unkeyed) == (5, 3)


def test_an_unkeyed_record_after_the_seal_fails_verify(chain: AuditStore, owner: Database) -> None:
    """Once keyed, always keyed: a plain SHA-256 record after keyed ones is named."""
    _records(chain, 1)
    last = chain.records()[-1]
    fields = {
        "event_id": "late", "ts": "2026-01-01T00:00:00.000000Z", "actor": "a", "role": "r",
        "action": "late", "resource": "y", "outcome": "success", "request_id": "",
        "model_version": "", "subject": None, "before": None, "after": None, "reason": None,
        "details": None,
    }  # fmt: skip
    row = {**fields, "prev_hash": last.hash, "hash": record_hash(last.hash, fields)}
    with owner.transaction() as conn:
        columns, marks = ", ".join(row), ", ".join(f":{name}" for name in row)
        conn.execute(f"INSERT INTO audit_log ({columns}) VALUES ({marks})", row)  # noqa: S608 - test constants
    result = chain.verify()
    assert not result.ok and "without a MAC" in str(result.problem)


def test_purge_leaves_a_keyed_record_naming_the_operator_and_the_anchor(
    chain: AuditStore, owner: Database
) -> None:
    """The purge runs as the owner; its record names who purged, their role, and the anchor."""
    now = datetime.now(UTC)
    _records(chain, 3, at=now - timedelta(days=RETENTION_DAYS + 5))
    _records(chain, 2)
    purger = AuditStore(owner, key=AUDIT_KEY)
    assert purger.purge(actor="ops-1", role="operator") == 3
    (record,) = chain.records(action="purge")
    assert (record.actor, record.role, record.outcome) == ("ops-1", "operator", "success")
    assert record.value("details")["anchor"] == chain.anchor().as_dict()
    assert chain.authentic(record)
    assert chain.verify().ok


def test_a_changed_purge_record_fails_verify(chain: AuditStore, owner: Database) -> None:
    """The purge record is chained and MACed like any other: changing it is named."""
    now = datetime.now(UTC)
    _records(chain, 2, at=now - timedelta(days=RETENTION_DAYS + 5))
    AuditStore(owner, key=AUDIT_KEY).purge(actor="ops-1", role="operator")
    (record,) = chain.records(action="purge")
    _tamper(owner, ("UPDATE audit_log SET details = ? WHERE seq = ?", ("{}", record.seq)))
    assert not chain.verify().ok


@pytest.mark.usefixtures("keys")
def test_the_checkpoint_job_refuses_to_write_over_a_broken_chain(
    chain: AuditStore, owner: Database, location: str, tmp_path: Path
) -> None:
    """``checkpoint --dir`` checks against the newest checkpoint there before writing one."""
    folder = tmp_path / "checkpoints"
    _records(chain, 3)
    assert audit_command(["--db", location, "checkpoint", "--dir", str(folder)]) == 0
    _records(chain, 1)
    assert audit_command(["--db", location, "checkpoint", "--dir", str(folder)]) == 0
    assert len(list(folder.glob("checkpoint-*.json"))) == 2
    last = chain.records()[-1]
    _tamper(owner, ("DELETE FROM audit_log WHERE seq = ?", (last.seq,)))
    assert audit_command(["--db", location, "checkpoint", "--dir", str(folder)]) == 1
    assert len(list(folder.glob("checkpoint-*.json"))) == 2


@pytest.mark.usefixtures("keys")
def test_a_checkpoint_holds_count_first_last_and_anchor(
    chain: AuditStore, location: str, tmp_path: Path
) -> None:
    """What a checkpoint commits to, signed: the count and both ends of the chain."""
    _records(chain, 3)
    data = json.loads(_checkpoint(location, tmp_path).read_text(encoding="utf-8"))
    records = chain.records()
    assert data["count"] == 3
    assert data["first"] == {"seq": records[0].seq, "hash": records[0].hash}
    assert data["last"] == {"seq": records[-1].seq, "hash": records[-1].hash}
    assert data["anchor"] == chain.anchor().as_dict()
    assert set(data) == {"version", "count", "first", "last", "anchor", "ts", "signature"}


@pytest.fixture
def on_postgresql(database: Database) -> Iterator[None]:
    """Skip on SQLite: a file has no roles to separate."""
    if database.dialect != "postgresql":
        pytest.skip("SQLite has no roles: whoever can write the file owns it")
    yield


@pytest.mark.usefixtures("on_postgresql")
@pytest.mark.parametrize(
    "statements",
    [
        ["SELECT set_config('audit.purge', 'on', true)", "DELETE FROM audit_log"],
        ["DELETE FROM audit_log"],
        ["UPDATE audit_log SET actor = 'x'"],
        ["TRUNCATE audit_log"],
        ["ALTER TABLE audit_log DISABLE TRIGGER USER"],
        ["DROP TRIGGER audit_no_delete ON audit_log"],
        ["UPDATE audit_anchor SET seq = 0"],
        ["INSERT INTO audit_anchor (id, prev_hash, seq) VALUES (1, 'x', 1)"],
        ["DELETE FROM audit_anchor"],
    ],
    ids=[
        "purge-setting",
        "delete",
        "update",
        "truncate",
        "disable-triggers",
        "drop-trigger",
        "update-anchor",
        "insert-anchor",
        "delete-anchor",
    ],
)
def test_the_application_role_cannot_change_audit_records_by_any_means(
    chain: AuditStore, database: Database, statements: list[str]
) -> None:
    """With the service's own credentials no statement or setting removes or rewrites a record."""
    _records(chain, 2)
    before = [r.hash for r in chain.records()]
    with pytest.raises(DATABASE_ERRORS), database.transaction() as conn:
        for statement in statements:
            conn.execute(statement)
    assert [r.hash for r in chain.records()] == before
    assert chain.verify().ok


@pytest.mark.usefixtures("on_postgresql")
def test_the_application_role_holds_exactly_the_granted_privileges(database: Database) -> None:
    """``migrate --app-role`` gave the role APP_PRIVILEGES: nothing more, ownership never."""
    with database.connect() as conn:
        rows = conn.execute(
            "SELECT table_name, privilege_type FROM information_schema.role_table_grants "
            "WHERE grantee = current_user AND table_schema = current_schema()"
        ).fetchall()
        owned = conn.execute(
            "SELECT COUNT(*) AS n FROM pg_tables WHERE schemaname = current_schema() "
            "AND tableowner = current_user"
        ).fetchone()["n"]
    held: dict[str, set[str]] = {}
    for row in rows:
        held.setdefault(str(row["table_name"]), set()).add(str(row["privilege_type"]))
    assert held == {table: set(privileges) for table, privileges in APP_PRIVILEGES.items()}
    for table in AUDIT_TABLES:
        assert not held[table] & {"UPDATE", "DELETE", "TRUNCATE"}, table
    assert owned == 0
    assert privilege_problem(database) is None


@pytest.mark.usefixtures("on_postgresql")
def test_the_owner_is_refused_as_the_application_role(owner: Database) -> None:
    """Production refuses to run as the tables' owner: it could lift the triggers."""
    problem = privilege_problem(owner)
    assert problem is not None and "--app-role" in problem


@pytest.mark.usefixtures("on_postgresql")
def test_the_application_role_cannot_purge(chain: AuditStore) -> None:
    """Purging needs the owner's credential: the application role is refused, nothing goes."""
    _records(chain, 2, at=datetime.now(UTC) - timedelta(days=RETENTION_DAYS + 5))
    with pytest.raises(PurgeRefused, match="owner"):
        chain.purge(actor="ops-1", role="operator")
    assert len(chain.records()) == 2
