"""Append-only audit log whose records are chained by a keyed MAC, with verify and purge.

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
Records (and other writes handed to :meth:`AuditStore.commit`, such as budget reservations)
that arrive while a commit is being synced wait and are committed together by the next
writer (group commit): one sync for many, and still nothing is returned before the commit
that holds it is on disk.

One chain, many writers: every append first takes the chain's lock
(:meth:`Database.lock`: SQLite's ``BEGIN IMMEDIATE`` already makes a transaction the only
writer; PostgreSQL takes a transaction-scoped advisory lock), so writers in several
threads, processes or replicas take turns and each record links to the one committed
before it.

Tamper evidence that survives an insider: each record holds the previous record's hash
(``prev_hash``) and its own ``hash``, an HMAC-SHA-256 over both and every field, under a key
kept outside the database (:data:`AUDIT_KEY_ENV`). Whoever can write the database but lacks
the key cannot add, change or re-link a record without ``verify`` naming it. The database
refuses UPDATE and DELETE besides, and the service's own role holds no privilege that could
lift that (``<name> migrate --app-role``). Only :meth:`AuditStore.purge`, run under the
tables' owner's credential, deletes: records older than the retention period, in one
transaction with the anchor (the last deleted record's sequence number and hash, from which
the rest still verifies) and a keyed ``purge`` record that vouches for that anchor, so a
moved anchor is named too. Signed checkpoints (``checkpoint.py``) catch what no chain can
show by itself: records cut off at either end, or the whole log replaced.

Records written before the chain was keyed (templates 0.4 and earlier) keep their SHA-256
hashes: the first keyed record after them is an ``audit.seal`` record that vouches for them
(their count and the anchor), so they verify as they did, and every record after the seal
must be keyed. :meth:`AuditStore.seal` writes it when a store is opened for writing.

Privacy: secrets in ``before``/``after``/``details`` are redacted and the ``subject`` (the
person a record is about) is pseudonymised with a keyed hash before it is written.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import sqlite3
import threading
import time
import uuid
import weakref
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar, Protocol, TypeVar, cast

from . import project
from .privacy import fingerprint, pseudonymise, redact

RETENTION_DAYS = project.retention_days()
"""Days audit records are kept (from spec.yaml, never below the regimes' minimum)."""

GENESIS = "0" * 64
_IN_SERVICE_DATABASE = project.kind() != "pipeline"
"""A service, assistant or agent keeps its audit chain in its own database, beside the state
it records (a pipeline keeps it in an audit file of its own)."""
DB_ENV = project.env_prefix() + ("DATABASE" if _IN_SERVICE_DATABASE else "AUDIT_DB")
SALT_ENV = project.env_prefix() + "PRIVACY_SALT"
AUDIT_KEY_ENV = project.env_prefix() + "AUDIT_KEY"
"""The secret the chain's MACs are made with; never stored in the database it protects."""
CHECKPOINT_KEY_ENV = project.env_prefix() + "AUDIT_CHECKPOINT_KEY"
"""The secret that signs checkpoints; never stored in the database it vouches for."""
DEFAULT_DB = Path("var/service.sqlite3" if _IN_SERVICE_DATABASE else "var/audit.sqlite3")
DEFAULT_SALT = "development-only-salt"
DEFAULT_AUDIT_KEY = "development-only-audit-key"
"""The chain key for development and tests; refused anywhere else (see environment.py)."""
KEYED = "hmac-sha256:"
"""How a keyed record's ``hash`` starts; records before the key have a bare SHA-256."""
SEAL_ACTION = "audit.seal"
"""The first keyed record after records written before the chain was keyed."""
PURGE_ACTION = "purge"
TS_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"

SCHEMA_FILE = "audit_schema.sql"
"""The log's tables on SQLite, beside this module: the one statement of them, which the
first SQLite migration holds too; a file of the store's own is made from it."""

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

    @property
    def keyed(self) -> bool:
        """Tell whether the record's hash is a keyed MAC (not a record from before the key)."""
        return self.hash.startswith(KEYED)


class CheckpointError(ValueError):
    """A checkpoint file is unreadable, unsigned, or signed with another key."""


class PurgeRefused(PermissionError):
    """The credential in use may not purge (only the tables' owner may)."""


@dataclass(frozen=True)
class Anchor:
    """Where the chain starts: the last purged record (sequence 0 and genesis: none purged)."""

    seq: int
    hash: str

    @property
    def genesis(self) -> bool:
        """Tell whether nothing was ever purged."""
        return self.seq == 0 and self.hash == GENESIS

    def as_dict(self) -> dict[str, Any]:
        """Return the anchor as JSON-able data."""
        return {"seq": self.seq, "hash": self.hash}


@dataclass(frozen=True)
class VerifyResult:
    """The outcome of a chain verification."""

    ok: bool
    checked: int
    first_bad_seq: int | None = None
    problem: str | None = None
    unkeyed: int = 0
    """Records from before the chain was keyed, vouched for by its seal."""


def utc_now() -> datetime:
    """Return the current time in UTC (the default clock)."""
    return datetime.now(UTC)


def record_hash(prev_hash: str, fields: dict[str, Any], key: bytes | None = None) -> str:
    """Return a record's hash: an HMAC-SHA-256 under ``key`` over the previous hash and its fields.

    Without a key: the bare SHA-256 that records had before the chain was keyed (only
    :meth:`AuditStore.verify` still computes it, for those records).
    """
    values = [prev_hash, [fields[name] for name in _HASHED]]
    if key is None:
        return fingerprint(values)
    canonical = json.dumps(values, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return KEYED + hmac.new(key, canonical.encode("utf-8"), hashlib.sha256).hexdigest()


def _dump(value: Any) -> str | None:
    if value is None:
        return None
    return json.dumps(redact(value), sort_keys=True, ensure_ascii=False)


T = TypeVar("T")
BUSY_TIMEOUT_SECONDS = 30
"""How long a SQLite writer waits for its turn before "database is locked"."""
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
    Threads writing through one instance queue on a lock of its own first, so the next one
    starts as soon as a commit ends: SQLite's busy handler, which the file lock alone would
    leave them to, polls after sleeps of 1, 2, 5, 10 ms and longer.
    """

    dialect = "sqlite"

    def __init__(self, path: Path, *, clock: Callable[[], datetime] = utc_now) -> None:
        """Open (and create if needed) the file at ``path``."""
        super().__init__(clock=clock)
        self.path = Path(path)
        self._local = threading.local()
        self._opened: list[sqlite3.Connection] = []
        self._opened_lock = threading.Lock()
        self._writer, self._writer_pid = threading.Lock(), os.getpid()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._finalizer = weakref.finalize(self, _close_all, self._opened)
        _use_wal(self.connection())

    def connection(self) -> sqlite3.Connection:
        """Return this thread's connection (opened on first use, and again in a child process)."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None or self._local.pid != os.getpid():
            # used by this thread only (thread-local); closable by the finaliser from any thread
            conn = sqlite3.connect(
                self.path,
                timeout=BUSY_TIMEOUT_SECONDS,
                isolation_level=None,
                check_same_thread=False,
            )
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_SECONDS * 1000}")
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
        if self._writer_pid != os.getpid():  # a child process: the parent's lock is not its
            self._writer, self._writer_pid = threading.Lock(), os.getpid()
        if not self._writer.acquire(timeout=BUSY_TIMEOUT_SECONDS):
            raise sqlite3.OperationalError("database is locked")
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        finally:
            self._writer.release()

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
    """A record, or other work, waiting for the commit that makes it durable."""

    fields: dict[str, Any] | None
    """The record's fields (None: work without a record, :meth:`AuditStore.commit`)."""
    also: Callable[[Connection], Any] | None = None
    record: AuditRecord | None = None
    result: Any = None
    """What ``also`` returned."""
    done: bool = False
    error: BaseException | None = None


class AuditStore:
    """The audit log: append, read, verify and purge records in a :class:`Database`."""

    def __init__(
        self,
        database: Database | Path,
        *,
        salt: str = DEFAULT_SALT,
        key: str = DEFAULT_AUDIT_KEY,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        """Keep the log in ``database``, or in a SQLite file of its own at a path.

        ``key`` makes each record's MAC (:data:`AUDIT_KEY_ENV`); ``salt`` the pseudonyms. A
        :class:`Database` already holds the log's tables (its migrations made them); a file
        of the store's own gets them here.

        Raises:
            ValueError: ``key`` is empty.
        """
        if not key:
            raise ValueError(f"no audit key: set {AUDIT_KEY_ENV}")
        self._salt = salt.encode("utf-8")
        self._key = key.encode("utf-8")
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
            schema = resources.files(__package__).joinpath(SCHEMA_FILE).read_text("utf-8")
            self.db.run_script(conn, schema)
            anchor = conn.execute("PRAGMA table_info(audit_anchor)").fetchall()
            if "seq" not in {row["name"] for row in anchor}:  # made by an older template
                conn.execute("ALTER TABLE audit_anchor ADD COLUMN seq INTEGER NOT NULL DEFAULT 0")

    def now(self) -> str:
        """Return the current time as an ISO 8601 UTC string (this store's clock)."""
        return self._clock().astimezone(UTC).strftime(TS_FORMAT)

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
        also: Callable[[Connection], None] | None = None,
    ) -> AuditRecord:
        """Append a record and commit it durably before returning it.

        ``also`` runs in the transaction that commits the record, before the record is
        chained (settling what the request spent, say): both commit or neither does. Records
        of concurrent callers share one commit, their ``also`` work included.
        """
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
            ),
            also,
        )
        if self.db.in_transaction():
            raise RuntimeError("record() commits by itself; inside a transaction use append()")
        self._submit(pending)
        if pending.record is None:  # pragma: no cover - _submit raised instead
            raise RuntimeError("audit record was not committed")
        return pending.record

    def commit(self, work: Callable[[Connection], T]) -> T:
        """Run ``work`` in a write transaction; return its result once that is durable.

        For writes without a record of their own (a budget reservation, say): they share the
        group commit of the records (and other work) of concurrent callers, one sync for
        all, and return only after it. ``work`` runs before the chain's lock is taken, as
        ``also`` of :meth:`record` does; if it raises, nothing of its batch commits.
        Inside a transaction of this thread it runs in that one (which commits it).
        """
        if self.db.in_transaction():
            with self.db.transaction() as conn:
                return work(conn)
        pending = _Pending(None, work)
        self._submit(pending)
        return cast(T, pending.result)

    def _submit(self, pending: _Pending) -> None:
        """Queue ``pending``; commit the queue unless another writer's commit took it."""
        with self._queue_lock:
            self._queue.append(pending)
        with self._lock:
            if not pending.done and pending.error is None:
                with self._queue_lock:
                    batch, self._queue = self._queue, []
                self._commit(batch)
        if not pending.done:  # the commit that held it failed
            raise pending.error or RuntimeError("audit record was not committed")

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
        row = {**values, "prev_hash": prev, "hash": record_hash(prev, values, self._key)}
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
            "ts": self.now(),
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
        rows: list[tuple[_Pending, dict[str, Any], int]] = []
        try:
            with self.db.transaction() as conn:
                for item in batch:  # before the chain's lock: locks taken in one order
                    if item.also is not None:
                        item.result = item.also(conn)
                records = [(item, item.fields) for item in batch if item.fields is not None]
                if records:
                    self.db.lock(conn, CHAIN_LOCK)
                    prev = self._last_hash(conn)
                for item, own in records:
                    fields = {**own, "prev_hash": prev}
                    fields["hash"] = prev = record_hash(prev, own, self._key)
                    rows.append((item, fields, self._insert(conn, fields)))
        except BaseException as err:
            for item in batch:
                item.error = err
            raise
        for item, fields, seq in rows:
            item.record = AuditRecord(seq=seq, **fields)
        for item in batch:
            item.done = True

    def pseudonym(self, subject: str) -> str:
        """Return the pseudonym that records about ``subject`` carry."""
        return pseudonymise(subject, self._salt)

    def authentic(self, record: AuditRecord) -> bool:
        """Tell whether a record carries a MAC made with this store's key over its content.

        For a reader that acts on one record (a promotion, say): a record someone without
        the key inserted or changed is refused, also before a full :meth:`verify`.
        """
        fields = asdict(record)
        return record.keyed and hmac.compare_digest(
            record_hash(record.prev_hash, fields, self._key), record.hash
        )

    @staticmethod
    def _last_hash(conn: Connection) -> str:
        row = conn.execute("SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
        if row is not None:
            return str(row["hash"])
        return anchor_of(conn).hash

    def seal(self) -> AuditRecord | None:
        """Vouch for records written before the chain was keyed; return the seal, if one was due.

        When the chain's last record is not keyed (a log from templates 0.4 or earlier), a
        keyed ``audit.seal`` record is appended: it counts the unkeyed records and names the
        anchor they start from, so :meth:`verify` accepts them as they are and refuses any
        unkeyed record after it. Several processes may call this at once: one seals.
        """
        with self.db.transaction() as conn:
            self.db.lock(conn, CHAIN_LOCK)
            last = conn.execute("SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
            if last is None or str(last["hash"]).startswith(KEYED):
                return None
            unkeyed = int(
                conn.execute(
                    "SELECT COUNT(*) AS n FROM audit_log WHERE hash NOT LIKE ?", (KEYED + "%",)
                ).fetchone()["n"]
            )
            return self.append(
                conn,
                actor="system",
                role="system",
                action=SEAL_ACTION,
                resource="audit_log",
                outcome="success",
                reason="the chain is keyed from here on",
                details={"anchor": anchor_of(conn).as_dict(), "unkeyed": unkeyed},
            )

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

    def anchor(self) -> Anchor:
        """Return where the chain starts (the last purged record, or genesis)."""
        with self.db.connect() as conn:
            return anchor_of(conn)

    def verify(self, *, batch: int = 1000) -> VerifyResult:
        """Check the whole chain; report the first record, or the anchor, that is wrong.

        Each record must link to the one before it (the first to the anchor) and carry a
        MAC, under this store's key, over its content. Records from before the chain was
        keyed pass with their SHA-256 only before the seal that vouches for them, in the
        number it counted. The anchor must be the one the latest keyed purge (or seal)
        record names: an anchor moved to hide records deleted at the start is named. Records
        are read ``batch`` at a time, so a long log never has to fit in memory.
        """
        with self.db.connect() as conn:
            anchor = anchor_of(conn)
            walk = _Walk(self._key, anchor)
            after = -1
            while rows := conn.execute(
                "SELECT * FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?", (after, batch)
            ).fetchall():
                for row in rows:
                    problem = walk.step(AuditRecord(**dict(row)))
                    if problem is not None:
                        return VerifyResult(False, walk.checked, int(row["seq"]), problem)
                after = int(rows[-1]["seq"])
        problem = walk.finish()
        if problem is not None:
            return VerifyResult(False, walk.checked, None, problem, walk.unkeyed)
        return VerifyResult(True, walk.checked, unkeyed=walk.unkeyed)

    def purge(self, *, actor: str, role: str, retention_days: int = RETENTION_DAYS) -> int:
        """Delete records older than the retention period; return how many were deleted.

        One transaction holds the deletion, the new anchor and a keyed ``purge`` record
        naming that anchor, who purged (``actor`` under ``role``) and how many records went.
        On PostgreSQL it needs the tables' owner's credential: only the owner can lift the
        trigger that refuses deletes, and for this transaction only.

        Raises:
            ValueError: ``retention_days`` is shorter than the retention the spec requires.
            PurgeRefused: the credential in use is not the owner's.
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
                self._lift_delete_refusal(conn)
                deleted = conn.execute(
                    "DELETE FROM audit_log WHERE seq <= ?", (last["seq"],)
                ).rowcount
                self._restore_delete_refusal(conn)
                conn.execute(
                    "INSERT INTO audit_anchor (id, prev_hash, seq) VALUES (1, ?, ?) "
                    "ON CONFLICT (id) DO UPDATE SET prev_hash = excluded.prev_hash, "
                    "seq = excluded.seq",
                    (last["hash"], last["seq"]),
                )
            self.append(
                conn,
                actor=actor,
                role=role,
                action=PURGE_ACTION,
                resource="audit_log",
                outcome="success",
                details={
                    "anchor": anchor_of(conn).as_dict(),
                    "deleted": deleted,
                    "cutoff": cutoff,
                    "retention_days": retention_days,
                },
            )
        return deleted

    def _lift_delete_refusal(self, conn: Connection) -> None:
        """Let this transaction delete records (the trigger is back before it commits).

        Raises:
            PurgeRefused: on PostgreSQL, the role in use does not own the audit table.
        """
        if self.db.dialect == "sqlite":
            conn.execute("DROP TRIGGER audit_no_delete")
            return
        owner = conn.execute(
            "SELECT pg_has_role(current_user, c.relowner, 'USAGE') AS owns "
            "FROM pg_class c WHERE c.oid = to_regclass('audit_log')"
        ).fetchone()
        if owner is None or not owner["owns"]:
            raise PurgeRefused(
                "purging needs the database owner's credential (the role that ran "
                f"`{project.name()} migrate`); the service's own role may not delete audit "
                "records"
            )
        # only the table's owner may; the lock it takes keeps writers waiting until commit
        conn.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_no_delete")

    def _restore_delete_refusal(self, conn: Connection) -> None:
        if self.db.dialect == "sqlite":
            conn.execute(_NO_DELETE)
        else:
            conn.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_no_delete")


def anchor_of(conn: Connection) -> Anchor:
    """Read the chain's anchor on ``conn`` (genesis when nothing was ever purged)."""
    row = conn.execute("SELECT prev_hash, seq FROM audit_anchor WHERE id = 1").fetchone()
    return Anchor(0, GENESIS) if row is None else Anchor(int(row["seq"]), str(row["prev_hash"]))


class _Walk:
    """The rules :meth:`AuditStore.verify` applies, record by record, then at the end."""

    def __init__(self, key: bytes, anchor: Anchor) -> None:
        self.key = key
        self.anchor = anchor
        self.expected = anchor.hash
        self.checked = 0
        self.unkeyed = 0
        self.keyed = False
        self.vouched: tuple[str, dict[str, Any]] | None = None
        """The latest keyed purge or seal record's action and details."""

    def step(self, record: AuditRecord) -> str | None:
        fields = asdict(record)
        if record.prev_hash != self.expected:
            return "link to the previous record broken (a record before it was removed or added)"
        if record.keyed:
            if not hmac.compare_digest(
                record_hash(record.prev_hash, fields, self.key), record.hash
            ):
                return (
                    "its MAC does not match its content (changed, or written without the "
                    f"key; is {AUDIT_KEY_ENV} the key the chain was written with?)"
                )
            if self.unkeyed and not self.keyed and record.action != SEAL_ACTION:
                return "records from before the chain was keyed are not sealed"
            self.keyed = True
            if record.action in (PURGE_ACTION, SEAL_ACTION):
                details = record.value("details") or {}
                if isinstance(details, dict) and isinstance(details.get("anchor"), dict):
                    self.vouched = (record.action, details)
        else:
            if self.keyed:
                return "a record without a MAC after keyed records (added without the key)"
            if record_hash(record.prev_hash, fields) != record.hash:
                return "content does not match its hash"
            self.unkeyed += 1
        self.expected = record.hash
        self.checked += 1
        return None

    def finish(self) -> str | None:
        if self.unkeyed and not self.keyed:
            return (
                f"{self.unkeyed} records have no MAC and no seal vouches for them (written "
                "before the chain was keyed, or without the key); the service, or the next "
                f"run, seals them when it starts with {AUDIT_KEY_ENV} set"
            )
        if self.vouched is None:
            if self.anchor.genesis:
                return None
            return (
                f"the chain starts after record {self.anchor.seq}, but no purge record "
                "vouches for that anchor (records at the start were deleted)"
            )
        action, details = self.vouched
        stated = details["anchor"]
        if (stated.get("seq"), stated.get("hash")) != (self.anchor.seq, self.anchor.hash):
            return (
                f"the anchor (record {self.anchor.seq}) is not the one the last {action} "
                f"record names (record {stated.get('seq')}): it was moved"
            )
        if action == SEAL_ACTION and details.get("unkeyed") != self.unkeyed:
            return (
                f"{self.unkeyed} records from before the chain was keyed, but the seal "
                f"counted {details.get('unkeyed')}"
            )
        return None


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
    """Run ``<name>-audit verify|checkpoint|purge``; return the exit code (see audit_command.py)."""
    from .audit_command import main as command

    return command(argv, database=database)


if __name__ == "__main__":
    raise SystemExit(main())
