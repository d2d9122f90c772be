"""Append-only, hash-chained audit log in SQLite, with ``verify`` and ``purge`` commands.

Durability: :meth:`AuditStore.record` returns only after the record is committed with
``synchronous=FULL`` (the write-ahead log is synced to disk). Callers write the audit record
before they answer, so nothing is reported done whose audit record could still be lost.
Records are written through one connection per store and process, kept open: opening and
closing a connection per record would checkpoint the write-ahead log every time. Records
that arrive while a commit is being synced wait and are committed together by the next
writer (group commit): one sync for many records, and still no record is returned before
the commit that holds it is on disk.

Tamper evidence: each record holds the hash of the previous one (``prev_hash``) and its own
``hash`` over all its fields. Triggers refuse UPDATE and DELETE; the only deletion is
:meth:`AuditStore.purge`, which removes records older than the retention period, keeps the
hash of the last removed record as the chain's anchor and writes a ``purge`` record.
``<name>-audit verify`` recomputes the chain and names the first tampered record.

A chain alone cannot show that its tail was cut off or that the whole log was rewritten by
someone who can write the database. ``<name>-audit checkpoint --out FILE`` writes the head
(sequence number, hash, time, count) signed with HMAC-SHA-256 under a key kept outside the
database (:data:`CHECKPOINT_KEY_ENV`); keep checkpoints in write-once storage (object lock,
WORM). ``<name>-audit verify --checkpoint FILE`` then fails when a record the checkpoint
covers is missing, changed or rewritten. Purging past retention keeps the chain
verifiable: the anchor keeps the sequence number and hash of the last purged record.

Privacy: secrets in ``before``/``after``/``details`` are redacted and the ``subject`` (the
person a record is about) is pseudonymised with a keyed hash before it is written.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import sqlite3
import sys
import threading
import uuid
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from . import project
from .privacy import fingerprint, pseudonymise, redact

RETENTION_DAYS = project.retention_days()
"""Days audit records are kept (from spec.yaml, never below the regimes' minimum)."""

GENESIS = "0" * 64
_IN_SERVICE_DATABASE = project.kind() == "service"
"""A service keeps its audit chain in its own database, beside the state it records."""
DB_ENV = project.env_prefix() + ("DATABASE" if _IN_SERVICE_DATABASE else "AUDIT_DB")
SALT_ENV = project.env_prefix() + "PRIVACY_SALT"
CHECKPOINT_KEY_ENV = project.env_prefix() + "AUDIT_CHECKPOINT_KEY"
"""The secret that signs checkpoints; never stored in the database it vouches for."""
DEFAULT_DB = Path("var/service.sqlite3" if _IN_SERVICE_DATABASE else "var/audit.sqlite3")
DEFAULT_SALT = "development-only-salt"
TS_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    ts TEXT NOT NULL,
    actor TEXT NOT NULL,
    role TEXT NOT NULL,
    action TEXT NOT NULL,
    resource TEXT NOT NULL,
    outcome TEXT NOT NULL,
    request_id TEXT NOT NULL,
    model_version TEXT NOT NULL,
    subject TEXT,
    before TEXT,
    after TEXT,
    reason TEXT,
    details TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_log_ts ON audit_log (ts);
CREATE TABLE IF NOT EXISTS audit_anchor (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    prev_hash TEXT NOT NULL,
    seq INTEGER NOT NULL DEFAULT 0
);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END;
"""
_NO_DELETE = """
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit records are append-only; use the purge command'); END;
"""
_HASHED = (
    "event_id",
    "ts",
    "actor",
    "role",
    "action",
    "resource",
    "outcome",
    "request_id",
    "model_version",
    "subject",
    "before",
    "after",
    "reason",
    "details",
)


@dataclass(frozen=True)
class AuditRecord:
    """One audit record as stored; ``before``/``after``/``details`` are JSON text."""

    seq: int
    event_id: str
    ts: str
    actor: str
    role: str
    action: str
    resource: str
    outcome: str
    request_id: str
    model_version: str
    subject: str | None
    before: str | None
    after: str | None
    reason: str | None
    details: str | None
    prev_hash: str
    hash: str

    def value(self, name: str) -> Any:
        """Return ``before``, ``after`` or ``details`` decoded from JSON (None when absent)."""
        raw = getattr(self, name)
        return None if raw is None else json.loads(raw)


class CheckpointError(ValueError):
    """A checkpoint file is unreadable, unsigned, or signed with another key."""


@dataclass(frozen=True)
class VerifyResult:
    """The outcome of a chain verification."""

    ok: bool
    checked: int
    first_bad_seq: int | None = None
    problem: str | None = None


def utc_now() -> datetime:
    """Return the current time in UTC (the default clock)."""
    return datetime.now(UTC)


def record_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    """Return the hash of a record: SHA-256 over the previous hash and the record's fields."""
    return fingerprint([prev_hash, [fields[name] for name in _HASHED]])


def _dump(value: Any) -> str | None:
    if value is None:
        return None
    return json.dumps(redact(value), sort_keys=True, ensure_ascii=False)


@dataclass
class _Pending:
    """A record waiting for the commit that makes it durable."""

    fields: dict[str, Any]
    record: AuditRecord | None = None
    error: BaseException | None = None


class AuditStore:
    """The audit log: append, read, verify and purge records in one SQLite file."""

    def __init__(
        self,
        path: Path,
        *,
        salt: str = DEFAULT_SALT,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        """Open (and create if needed) the audit database at ``path``."""
        self.path = Path(path)
        self._salt = salt.encode("utf-8")
        self._clock = clock
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._queue_lock = threading.Lock()
        self._queue: list[_Pending] = []
        self._writer: sqlite3.Connection | None = None
        self._writer_pid = 0
        with self._connect() as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(_SCHEMA + _NO_DELETE)
            columns = {row["name"] for row in conn.execute("PRAGMA table_info(audit_anchor)")}
            if "seq" not in columns:  # a database made by an older template version
                conn.execute("ALTER TABLE audit_anchor ADD COLUMN seq INTEGER NOT NULL DEFAULT 0")

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path, timeout=30, isolation_level=None)) as conn:
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA synchronous=FULL")
            yield conn

    def _write_connection(self) -> sqlite3.Connection:
        """The store's writing connection in this process (opened on first use; hold the lock)."""
        if self._writer is None or self._writer_pid != os.getpid():
            conn = sqlite3.connect(
                self.path, timeout=30, isolation_level=None, check_same_thread=False
            )
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA synchronous=FULL")
            weakref.finalize(self, conn.close)
            self._writer, self._writer_pid = conn, os.getpid()
        return self._writer

    def record(
        self,
        *,
        actor: str,
        role: str,
        action: str,
        resource: str,
        outcome: str,
        request_id: str = "",
        model_version: str = "",
        subject: str | None = None,
        before: Any = None,
        after: Any = None,
        reason: str | None = None,
        details: Any = None,
    ) -> AuditRecord:
        """Append a record and commit it durably before returning it."""
        pending = _Pending(
            self._fields(
                actor=actor,
                role=role,
                action=action,
                resource=resource,
                outcome=outcome,
                request_id=request_id,
                model_version=model_version,
                subject=subject,
                before=before,
                after=after,
                reason=reason,
                details=details,
            )
        )
        with self._queue_lock:
            self._queue.append(pending)
        with self._lock:
            if pending.record is None and pending.error is None:
                with self._queue_lock:
                    batch, self._queue = self._queue, []
                self._commit(batch)
        if pending.record is None:  # the commit that held it failed
            raise pending.error or RuntimeError("audit record was not committed")
        return pending.record

    def append(self, conn: sqlite3.Connection, **fields: Any) -> AuditRecord:
        """Append a record inside the caller's write transaction, to commit with it.

        For a state change and its audit record in one database: both commit together or
        neither does. The caller's transaction must have been opened with ``BEGIN
        IMMEDIATE`` on this store's database (writers take turns, so the chain stays one).

        Raises:
            RuntimeError: ``conn`` holds no open transaction.
        """
        if not conn.in_transaction:
            raise RuntimeError("append() needs the caller's open write transaction")
        values = self._fields(**fields)
        prev = self._last_hash(conn)
        row = {**values, "prev_hash": prev, "hash": record_hash(prev, values)}
        seq = self._insert(conn, row)
        return AuditRecord(seq=seq, **row)

    def _fields(
        self,
        *,
        actor: str,
        role: str,
        action: str,
        resource: str,
        outcome: str,
        request_id: str = "",
        model_version: str = "",
        subject: str | None = None,
        before: Any = None,
        after: Any = None,
        reason: str | None = None,
        details: Any = None,
    ) -> dict[str, Any]:
        """The stored fields of a new record: subject pseudonymised, secrets redacted."""
        return {
            "event_id": str(uuid.uuid4()),
            "ts": self._clock().astimezone(UTC).strftime(TS_FORMAT),
            "actor": actor,
            "role": role,
            "action": action,
            "resource": resource,
            "outcome": outcome,
            "request_id": request_id,
            "model_version": model_version,
            "subject": None if subject is None else pseudonymise(subject, self._salt),
            "before": _dump(before),
            "after": _dump(after),
            "reason": reason,
            "details": _dump(details),
        }

    @staticmethod
    def _insert(conn: sqlite3.Connection, row: dict[str, Any]) -> int:
        names = ", ".join(row)
        marks = ", ".join(f":{name}" for name in row)
        cursor = conn.execute(f"INSERT INTO audit_log ({names}) VALUES ({marks})", row)  # noqa: S608 - column names are constants
        return int(cursor.lastrowid or 0)

    def ping(self) -> None:
        """Raise when the audit log cannot be read (a lookup, never a scan)."""
        with self._connect() as conn:
            conn.execute("SELECT seq FROM audit_log ORDER BY seq DESC LIMIT 1").fetchall()

    def _commit(self, batch: list[_Pending]) -> None:
        """Chain and insert every waiting record in one transaction, then sync it once."""
        conn = self._write_connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            prev = self._last_hash(conn)
            rows: list[tuple[_Pending, dict[str, Any], int]] = []
            for item in batch:
                fields = {**item.fields, "prev_hash": prev}
                fields["hash"] = prev = record_hash(fields["prev_hash"], item.fields)
                rows.append((item, fields, self._insert(conn, fields)))
            conn.execute("COMMIT")
        except BaseException as err:
            conn.execute("ROLLBACK")
            for item in batch:
                item.error = err
            raise
        for item, fields, seq in rows:
            item.record = AuditRecord(seq=seq, **fields)

    def pseudonym(self, subject: str) -> str:
        """Return the pseudonym that records about ``subject`` carry."""
        return pseudonymise(subject, self._salt)

    @staticmethod
    def _last_hash(conn: sqlite3.Connection) -> str:
        row = conn.execute("SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
        if row is not None:
            return str(row["hash"])
        anchor = conn.execute("SELECT prev_hash FROM audit_anchor WHERE id = 1").fetchone()
        return GENESIS if anchor is None else str(anchor["prev_hash"])

    def records(
        self, *, action: str | None = None, resource: str | None = None
    ) -> list[AuditRecord]:
        """Return records in order, optionally only those of one action or resource."""
        query = "SELECT * FROM audit_log WHERE 1 = 1"
        params: list[str] = []
        if action is not None:
            query += " AND action = ?"
            params.append(action)
        if resource is not None:
            query += " AND resource = ?"
            params.append(resource)
        with self._connect() as conn:
            rows = conn.execute(query + " ORDER BY seq", params).fetchall()
        return [AuditRecord(**dict(row)) for row in rows]

    def verify(self) -> VerifyResult:
        """Recompute the hash chain; report the first record that does not match."""
        with self._connect() as conn:
            anchor = conn.execute("SELECT prev_hash FROM audit_anchor WHERE id = 1").fetchone()
            expected = GENESIS if anchor is None else str(anchor["prev_hash"])
            checked = 0
            for row in conn.execute("SELECT * FROM audit_log ORDER BY seq"):
                fields = dict(row)
                if fields["prev_hash"] != expected:
                    return VerifyResult(
                        False, checked, fields["seq"], "link to the previous record broken"
                    )
                if record_hash(expected, fields) != fields["hash"]:
                    return VerifyResult(
                        False, checked, fields["seq"], "content does not match its hash"
                    )
                expected = fields["hash"]
                checked += 1
        return VerifyResult(True, checked)

    def checkpoint(self, key: bytes) -> dict[str, Any]:
        """Return a signed statement of the chain's head, to keep outside the database.

        Raises:
            CheckpointError: the key is empty.
        """
        if not key:
            raise CheckpointError(f"no checkpoint key: set {CHECKPOINT_KEY_ENV}")
        with self._connect() as conn:
            head = conn.execute(
                "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1"
            ).fetchone()
            count = int(conn.execute("SELECT COUNT(*) FROM audit_log").fetchone()[0])
            anchor = conn.execute("SELECT prev_hash, seq FROM audit_anchor WHERE id = 1").fetchone()
        if head is None:
            seq, hash_ = (
                (0, GENESIS) if anchor is None else (int(anchor["seq"]), anchor["prev_hash"])
            )
        else:
            seq, hash_ = int(head["seq"]), str(head["hash"])
        body: dict[str, Any] = {
            "version": 1,
            "seq": seq,
            "hash": hash_,
            "count": count,
            "ts": self._clock().astimezone(UTC).strftime(TS_FORMAT),
        }
        return {**body, "signature": _sign(body, key)}

    def verify_checkpoint(self, checkpoint: Mapping[str, Any], key: bytes) -> VerifyResult:
        """Verify the chain, then that it still holds what ``checkpoint`` vouches for.

        Fails when the checkpoint's signature does not match ``key``, when the record at
        its head is missing (the tail was cut off) or differs (the chain was rewritten),
        and when records it covers were purged before their retention ended.

        Raises:
            CheckpointError: the checkpoint lacks a field.
        """
        try:
            body = {name: checkpoint[name] for name in ("version", "seq", "hash", "count", "ts")}
            signature = str(checkpoint["signature"])
            seq = int(body["seq"])
        except (KeyError, TypeError, ValueError) as err:
            raise CheckpointError(f"not a checkpoint: {err}") from err
        if not key or not hmac.compare_digest(_sign(body, key), signature):
            return VerifyResult(False, 0, None, "the checkpoint's signature does not match its key")
        chain = self.verify()
        if not chain.ok:
            return chain
        with self._connect() as conn:
            row = conn.execute("SELECT hash FROM audit_log WHERE seq = ?", (seq,)).fetchone()
            anchor = conn.execute("SELECT prev_hash, seq FROM audit_anchor WHERE id = 1").fetchone()
        anchor_seq = 0 if anchor is None else int(anchor["seq"])
        if row is not None:
            if str(row["hash"]) != body["hash"]:
                return VerifyResult(False, chain.checked, seq, "rewritten since the checkpoint")
            return chain
        if seq == 0 or (
            anchor is not None and seq == anchor_seq and anchor["prev_hash"] == body["hash"]
        ):
            return chain
        if seq < anchor_seq:
            cutoff = self._clock() - timedelta(days=RETENTION_DAYS)
            taken = datetime.strptime(str(body["ts"]), TS_FORMAT).replace(tzinfo=UTC)
            if taken <= cutoff:
                return chain  # purged past retention: the anchor carries the chain on
            return VerifyResult(
                False, chain.checked, seq, "records the checkpoint covers were purged early"
            )
        return VerifyResult(
            False, chain.checked, seq, "records the checkpoint covers are missing (truncated)"
        )

    def purge(self, *, retention_days: int = RETENTION_DAYS, actor: str = "system") -> int:
        """Delete records older than the retention period; return how many were deleted.

        Raises:
            ValueError: ``retention_days`` is shorter than the retention the spec requires.
        """
        if retention_days < RETENTION_DAYS:
            raise ValueError(
                f"retention of {retention_days} days is below the required {RETENTION_DAYS} days"
            )
        cutoff = (
            (self._clock() - timedelta(days=retention_days)).astimezone(UTC).strftime(TS_FORMAT)
        )
        with self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                last = conn.execute(
                    "SELECT seq, hash FROM audit_log WHERE ts < ? ORDER BY seq DESC LIMIT 1",
                    (cutoff,),
                ).fetchone()
                deleted = 0
                if last is not None:
                    conn.execute("DROP TRIGGER audit_no_delete")
                    deleted = conn.execute(
                        "DELETE FROM audit_log WHERE seq <= ?", (last["seq"],)
                    ).rowcount
                    conn.execute(_NO_DELETE)
                    conn.execute(
                        "INSERT INTO audit_anchor (id, prev_hash, seq) VALUES (1, ?, ?) "
                        "ON CONFLICT (id) DO UPDATE SET prev_hash = excluded.prev_hash, "
                        "seq = excluded.seq",
                        (last["hash"], last["seq"]),
                    )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        self.record(
            actor=actor,
            role="system",
            action="purge",
            resource="audit_log",
            outcome="success",
            details={"deleted": deleted, "cutoff": cutoff, "retention_days": retention_days},
        )
        return deleted


def _sign(body: Mapping[str, Any], key: bytes) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":")).encode("utf-8")
    return hmac.new(key, canonical, hashlib.sha256).hexdigest()


def record_as_dict(record: AuditRecord) -> dict[str, Any]:
    """Return a record as a plain dict (for exports and JSON output)."""
    return asdict(record)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``<name>-audit verify|checkpoint|purge``; return the exit code."""
    parser = argparse.ArgumentParser(
        prog=f"{project.name()}-audit",
        description="Verify the audit log's hash chain (against a signed checkpoint), write a "
        "checkpoint, or purge records past retention (an operator proven by their secret).",
    )
    parser.add_argument(
        "--db",
        type=Path,
        default=Path(os.environ.get(DB_ENV, DEFAULT_DB)),
        help=f"the audit database (default: ${DB_ENV} or {DEFAULT_DB})",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    verify = commands.add_parser(
        "verify", help="check the hash chain; exit 1 naming the first bad record"
    )
    verify.add_argument(
        "--checkpoint",
        type=Path,
        metavar="FILE",
        help=f"also check what a signed checkpoint vouches for (key: ${CHECKPOINT_KEY_ENV})",
    )
    checkpoint = commands.add_parser(
        "checkpoint", help=f"write the signed head of the chain (key: ${CHECKPOINT_KEY_ENV})"
    )
    checkpoint.add_argument("--out", type=Path, required=True, metavar="FILE")
    purge = commands.add_parser("purge", help="delete records older than the retention period")
    purge.add_argument("--actor", required=True, help="the operator; their secret is asked for")
    purge.add_argument(
        "--days",
        type=int,
        default=RETENTION_DAYS,
        help=f"keep this many days (at least {RETENTION_DAYS}, the retention from spec.yaml)",
    )
    args = parser.parse_args(argv)
    if not args.db.is_file():
        sys.stderr.write(f"error: no audit database at {args.db}\n")
        return 2
    store = AuditStore(args.db, salt=os.environ.get(SALT_ENV, DEFAULT_SALT))
    key = os.environ.get(CHECKPOINT_KEY_ENV, "").encode("utf-8")
    try:
        if args.command == "verify":
            return _verify(store, args.checkpoint, key)
        if args.command == "checkpoint":
            data = json.dumps(store.checkpoint(key), indent=2) + "\n"
            _write_new(args.out, data)
            sys.stdout.write(f"checkpoint written to {args.out}; keep it in write-once storage\n")
            return 0
        from .identity import AccessDenied, prove

        if args.days < RETENTION_DAYS:  # refuse before asking anyone for a secret
            raise ValueError(
                f"retention of {args.days} days is below the required {RETENTION_DAYS} days"
            )
        try:
            operator = prove(args.actor, "operate")
        except AccessDenied as err:
            sys.stderr.write(f"error: {err}\n")
            return 1
        deleted = store.purge(retention_days=args.days, actor=operator.actor)
    except (CheckpointError, ValueError, OSError) as err:
        sys.stderr.write(f"error: {err}\n")
        return 2
    sys.stdout.write(f"purged {deleted} records older than {args.days} days\n")
    return 0


def _verify(store: AuditStore, checkpoint: Path | None, key: bytes) -> int:
    if checkpoint is None:
        result = store.verify()
    else:
        if not key:
            raise CheckpointError(f"set {CHECKPOINT_KEY_ENV} to check a checkpoint")
        result = store.verify_checkpoint(json.loads(checkpoint.read_text(encoding="utf-8")), key)
    if result.ok:
        against = f", matching {checkpoint}" if checkpoint is not None else ""
        sys.stdout.write(f"ok: {result.checked} records, hash chain intact{against}\n")
        return 0
    where = f"record {result.first_bad_seq}: " if result.first_bad_seq is not None else ""
    sys.stdout.write(
        f"tampered: {where}{result.problem} ({result.checked} records before it are intact)\n"
    )
    return 1


def _write_new(path: Path, text: str) -> None:
    """Write a file that must not exist yet (a checkpoint is never overwritten)."""
    with path.open("x", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


if __name__ == "__main__":
    raise SystemExit(main())
