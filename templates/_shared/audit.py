"""Append-only, hash-chained audit log, with ``verify``, ``checkpoint`` and ``purge`` commands.

Where it lives: a :class:`Database`, the seam between the audit chain (and a service's
state) and a backend. :class:`SQLiteDatabase` is the embedded file, one per process or
host; PostgreSQL, for production, is in ``database.py``, with the migrations that make the
tables. SQL here uses ``?`` and ``:name`` placeholders and reads rows by column name on every
backend.

Durability: :meth:`AuditStore.record` returns only after the record is committed (SQLite:
``synchronous=FULL``, the write-ahead log is synced to disk; PostgreSQL: the commit waits
for its WAL flush). Callers write the audit record before they answer, so nothing is
reported done whose audit record could still be lost. Connections are kept open (SQLite:
one per thread; opening one per record would checkpoint the write-ahead log every time).
Records that arrive while a commit is being synced wait and are committed together by the
next writer (group commit): one sync for many records, and still no record is returned
before the commit that holds it is on disk.

One chain, many writers: every append first takes the chain's lock
(:meth:`Database.lock`: SQLite's ``BEGIN IMMEDIATE`` already makes a transaction the only
writer; PostgreSQL takes a transaction-scoped advisory lock), so writers in several
threads, processes or replicas take turns and each record links to the one committed
before it.

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
import time
import uuid
import weakref
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar, Protocol, cast

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


CHAIN_LOCK = "audit-chain"
"""The name every appender locks (:meth:`Database.lock`): one chain, one writer at a time."""


class Cursor(Protocol):
    """What a statement returns on every backend; rows are read by column name."""

    @property
    def rowcount(self) -> int:
        """How many rows the statement changed."""
        ...

    def fetchone(self) -> Any:
        """The next row, or None."""
        ...

    def fetchall(self) -> list[Any]:
        """The remaining rows."""
        ...


class Connection(Protocol):
    """A connection of any backend: SQL with ``?`` and ``:name`` placeholders."""

    @property
    def in_transaction(self) -> bool:
        """Whether a transaction is open on this connection."""
        ...

    def execute(self, sql: str, parameters: Any = (), /) -> Cursor:
        """Run one statement with its parameters."""
        ...


class Database(ABC):
    """Where the records live: the seam between the code that writes them and a backend.

    Backends differ only in what is declared here: how connections are held, how a write
    transaction starts, how writers of one thing take turns, how an inserted row's key
    comes back and how a schema script runs. Everything else is the same SQL.
    """

    dialect: ClassVar[str]
    """``sqlite`` or ``postgresql``: which migrations and which few statements apply."""

    def __init__(self, *, clock: Callable[[], datetime] = utc_now) -> None:
        """Read the time from ``clock`` (the default is the system's, in UTC)."""
        self._clock = clock

    def now(self) -> str:
        """Return the current time as an ISO 8601 UTC string."""
        return self._clock().astimezone(UTC).strftime(TS_FORMAT)

    @abstractmethod
    def connect(self) -> AbstractContextManager[Connection]:
        """A connection for reads: this thread's open transaction's, if it has one."""

    @abstractmethod
    def transaction(self) -> AbstractContextManager[Connection]:
        """A write transaction: committed on success, rolled back on any error.

        Inside another transaction of the same thread it joins it: the outer one commits.
        """

    @abstractmethod
    def in_transaction(self) -> bool:
        """Tell whether this thread has a transaction open on this database."""

    @abstractmethod
    def lock(self, conn: Connection, name: str) -> None:
        """Make writers of ``name`` take turns until this transaction ends."""

    @abstractmethod
    def insert(self, conn: Connection, sql: str, parameters: Any, key: str) -> int:
        """Run an ``INSERT`` and return the generated ``key`` of the new row."""

    @abstractmethod
    def table_exists(self, conn: Connection, name: str) -> bool:
        """Tell whether the table ``name`` exists."""

    @abstractmethod
    def run_script(self, conn: Connection, script: str) -> None:
        """Run a schema script (several statements) inside the caller's transaction."""

    @abstractmethod
    def describe(self) -> str:
        """Say where the database is, never with a password."""

    @abstractmethod
    def close(self) -> None:
        """Close every connection; the database is not used afterwards."""


class SQLiteDatabase(Database):
    """One SQLite file in WAL mode; each thread keeps its own connection to it.

    Commits are synced to disk (``synchronous=FULL``). Write transactions start with
    ``BEGIN IMMEDIATE``: writers, across threads and processes on one host, take turns.
    """

    dialect = "sqlite"

    def __init__(self, path: Path, *, clock: Callable[[], datetime] = utc_now) -> None:
        """Open (and create if needed) the file at ``path``."""
        super().__init__(clock=clock)
        self.path = Path(path)
        self._local = threading.local()
        self._opened: list[sqlite3.Connection] = []
        self._opened_lock = threading.Lock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._finalizer = weakref.finalize(self, _close_all, self._opened)
        _use_wal(self.connection())

    def connection(self) -> sqlite3.Connection:
        """Return this thread's connection (opened on first use, and again in a child process)."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None or self._local.pid != os.getpid():
            # used by this thread only (thread-local); closable by the finaliser from any thread
            conn = sqlite3.connect(
                self.path, timeout=30, isolation_level=None, check_same_thread=False
            )
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA busy_timeout=30000")
            self._local.conn, self._local.pid = conn, os.getpid()
            with self._opened_lock:
                self._opened.append(conn)
        return conn

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """Yield this thread's connection."""
        yield self.connection()

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """Run a write transaction (``BEGIN IMMEDIATE``); nested ones join the outer one."""
        conn = self.connection()
        if conn.in_transaction:  # nested: the outer transaction commits
            yield conn
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def in_transaction(self) -> bool:
        """Tell whether this thread's connection has a transaction open."""
        return self.connection().in_transaction

    def lock(self, conn: Connection, name: str) -> None:
        """Nothing to do: ``BEGIN IMMEDIATE`` made this transaction the file's only writer."""

    def insert(self, conn: Connection, sql: str, parameters: Any, key: str) -> int:
        """Run an ``INSERT``; the new row's ``key`` is its rowid."""
        return int(cast(sqlite3.Cursor, conn.execute(sql, parameters)).lastrowid or 0)

    def table_exists(self, conn: Connection, name: str) -> bool:
        """Look the table up in the schema."""
        found = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
        ).fetchone()
        return found is not None

    def run_script(self, conn: Connection, script: str) -> None:
        """Run each complete statement (``executescript`` would commit the transaction)."""
        statement = ""
        for line in script.splitlines(keepends=True):
            statement += line
            if sqlite3.complete_statement(statement):
                conn.execute(statement)
                statement = ""
        if statement.strip():
            conn.execute(statement)

    def describe(self) -> str:
        """The file's path."""
        return str(self.path)

    def close(self) -> None:
        """Close every thread's connection."""
        self._finalizer()


def _use_wal(conn: sqlite3.Connection, *, within: float = 30.0) -> None:
    """Put the file in WAL mode unless it is already.

    Switching needs the file to itself, and SQLite refuses at once (no busy wait) while
    another connection writes: a new file that several processes open together is retried
    until one of them has switched it.
    """
    deadline = time.monotonic() + within
    while conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        try:
            conn.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _close_all(connections: Sequence[sqlite3.Connection]) -> None:
    for conn in connections:
        conn.close()


@dataclass
class _Pending:
    """A record waiting for the commit that makes it durable."""

    fields: dict[str, Any]
    record: AuditRecord | None = None
    error: BaseException | None = None


class AuditStore:
    """The audit log: append, read, verify and purge records in a :class:`Database`."""

    def __init__(
        self,
        database: Database | Path,
        *,
        salt: str = DEFAULT_SALT,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        """Keep the log in ``database``, or in a SQLite file of its own at a path.

        A :class:`Database` already holds the log's tables (its migrations made them); a
        file of the store's own gets them here.
        """
        self._salt = salt.encode("utf-8")
        self._clock = clock
        self._lock = threading.Lock()
        self._queue_lock = threading.Lock()
        self._queue: list[_Pending] = []
        if isinstance(database, Database):
            self.db = database
        else:
            self.db = SQLiteDatabase(Path(database), clock=clock)
            self._create_schema()
        self.path = self.db.path if isinstance(self.db, SQLiteDatabase) else None
        """The SQLite file, or None on a server."""

    def _create_schema(self) -> None:
        with self.db.transaction() as conn:
            self.db.run_script(conn, _SCHEMA + _NO_DELETE)
            anchor = conn.execute("PRAGMA table_info(audit_anchor)").fetchall()
            if "seq" not in {row["name"] for row in anchor}:  # made by an older template
                conn.execute("ALTER TABLE audit_anchor ADD COLUMN seq INTEGER NOT NULL DEFAULT 0")

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
        if self.db.in_transaction():
            raise RuntimeError("record() commits by itself; inside a transaction use append()")
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

    def append(self, conn: Connection, **fields: Any) -> AuditRecord:
        """Append a record inside the caller's write transaction, to commit with it.

        For a state change and its audit record in one database: both commit together or
        neither does. The caller's transaction must be one of this store's database
        (:meth:`Database.transaction`); the chain's lock is held from here to its end.

        Raises:
            RuntimeError: ``conn`` holds no open transaction.
        """
        if not conn.in_transaction:
            raise RuntimeError("append() needs the caller's open write transaction")
        values = self._fields(**fields)
        self.db.lock(conn, CHAIN_LOCK)
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

    def _insert(self, conn: Connection, row: dict[str, Any]) -> int:
        names = ", ".join(row)
        marks = ", ".join(f":{name}" for name in row)
        sql = f"INSERT INTO audit_log ({names}) VALUES ({marks})"  # noqa: S608 - column names are constants
        return self.db.insert(conn, sql, row, "seq")

    def ping(self) -> None:
        """Raise when the audit log cannot be read (a lookup, never a scan)."""
        with self.db.connect() as conn:
            conn.execute("SELECT seq FROM audit_log ORDER BY seq DESC LIMIT 1").fetchall()

    def _commit(self, batch: list[_Pending]) -> None:
        """Chain and insert every waiting record in one transaction, then sync it once."""
        try:
            with self.db.transaction() as conn:
                self.db.lock(conn, CHAIN_LOCK)
                prev = self._last_hash(conn)
                rows: list[tuple[_Pending, dict[str, Any], int]] = []
                for item in batch:
                    fields = {**item.fields, "prev_hash": prev}
                    fields["hash"] = prev = record_hash(fields["prev_hash"], item.fields)
                    rows.append((item, fields, self._insert(conn, fields)))
        except BaseException as err:
            for item in batch:
                item.error = err
            raise
        for item, fields, seq in rows:
            item.record = AuditRecord(seq=seq, **fields)

    def pseudonym(self, subject: str) -> str:
        """Return the pseudonym that records about ``subject`` carry."""
        return pseudonymise(subject, self._salt)

    @staticmethod
    def _last_hash(conn: Connection) -> str:
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
        with self.db.connect() as conn:
            rows = conn.execute(query + " ORDER BY seq", params).fetchall()
        return [AuditRecord(**dict(row)) for row in rows]

    def verify(self, *, batch: int = 1000) -> VerifyResult:
        """Recompute the hash chain; report the first record that does not match.

        Records are read ``batch`` at a time, so a long log never has to fit in memory.
        """
        with self.db.connect() as conn:
            anchor = conn.execute("SELECT prev_hash FROM audit_anchor WHERE id = 1").fetchone()
            expected = GENESIS if anchor is None else str(anchor["prev_hash"])
            checked, after = 0, -1
            while rows := conn.execute(
                "SELECT * FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?", (after, batch)
            ).fetchall():
                for row in rows:
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
                after = int(rows[-1]["seq"])
        return VerifyResult(True, checked)

    def checkpoint(self, key: bytes) -> dict[str, Any]:
        """Return a signed statement of the chain's head, to keep outside the database.

        Raises:
            CheckpointError: the key is empty.
        """
        if not key:
            raise CheckpointError(f"no checkpoint key: set {CHECKPOINT_KEY_ENV}")
        with self.db.connect() as conn:
            head = conn.execute(
                "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1"
            ).fetchone()
            count = int(conn.execute("SELECT COUNT(*) AS n FROM audit_log").fetchone()["n"])
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
        with self.db.connect() as conn:
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
        with self.db.transaction() as conn:
            self.db.lock(conn, CHAIN_LOCK)
            last = conn.execute(
                "SELECT seq, hash FROM audit_log WHERE ts < ? ORDER BY seq DESC LIMIT 1",
                (cutoff,),
            ).fetchone()
            deleted = 0
            if last is not None:
                self._allow_purge(conn, True)
                deleted = conn.execute(
                    "DELETE FROM audit_log WHERE seq <= ?", (last["seq"],)
                ).rowcount
                self._allow_purge(conn, False)
                conn.execute(
                    "INSERT INTO audit_anchor (id, prev_hash, seq) VALUES (1, ?, ?) "
                    "ON CONFLICT (id) DO UPDATE SET prev_hash = excluded.prev_hash, "
                    "seq = excluded.seq",
                    (last["hash"], last["seq"]),
                )
        self.record(
            actor=actor,
            role="system",
            action="purge",
            resource="audit_log",
            outcome="success",
            details={"deleted": deleted, "cutoff": cutoff, "retention_days": retention_days},
        )
        return deleted

    def _allow_purge(self, conn: Connection, allowed: bool) -> None:
        """Lift (or restore) the refusal to delete records, for this purge transaction only."""
        if self.db.dialect == "sqlite":
            conn.execute(_NO_DELETE if not allowed else "DROP TRIGGER audit_no_delete")
        else:  # PostgreSQL: the trigger lets a delete through while this is set (migrations)
            conn.execute("SELECT set_config('audit.purge', ?, true)", ("on" if allowed else "off",))


def _sign(body: Mapping[str, Any], key: bytes) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":")).encode("utf-8")
    return hmac.new(key, canonical, hashlib.sha256).hexdigest()


def record_as_dict(record: AuditRecord) -> dict[str, Any]:
    """Return a record as a plain dict (for exports and JSON output)."""
    return asdict(record)


@dataclass(frozen=True)
class DatabaseOption:
    """Where the audit command finds a database that may be more than a SQLite file."""

    default: str
    """The location when ``--db`` is not given (may hold a password: never shown)."""
    help: str
    """What ``--db`` takes and its default, for ``--help``."""
    open: Callable[[str], Database]
    """Open a location; raises OSError (nothing there) or ValueError (not usable)."""


def main(argv: Sequence[str] | None = None, *, database: DatabaseOption | None = None) -> int:
    """Run ``<name>-audit verify|checkpoint|purge``; return the exit code.

    Without ``database`` the log is a SQLite file: ``--db PATH``, default ``$DB_ENV``.
    """
    parser = argparse.ArgumentParser(
        prog=f"{project.name()}-audit",
        description="Verify the audit log's hash chain (against a signed checkpoint), write a "
        "checkpoint, or purge records past retention (an operator proven by their secret).",
    )
    parser.add_argument(
        "--db",
        default=database.default if database else os.environ.get(DB_ENV, str(DEFAULT_DB)),
        help=database.help
        if database
        else f"the audit database (default: ${DB_ENV} or {DEFAULT_DB})",
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
    salt = os.environ.get(SALT_ENV, DEFAULT_SALT)
    try:
        if database is not None:
            store = AuditStore(database.open(args.db), salt=salt)
        elif Path(args.db).is_file():
            store = AuditStore(Path(args.db), salt=salt)
        else:
            raise FileNotFoundError(f"no audit database at {args.db}")
    except (OSError, ValueError) as err:
        sys.stderr.write(f"error: {err}\n")
        return 2
    try:
        return _run(args, store)
    finally:
        store.db.close()


def _run(args: argparse.Namespace, store: AuditStore) -> int:
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
