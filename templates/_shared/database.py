"""The project's database: the embedded SQLite file, or PostgreSQL for production.

``<PREFIX>DATABASE_URL=postgresql://...`` puts what the project keeps on a PostgreSQL
server, reached through a psycopg 3 connection pool: a service's decisions, review queue,
kill switch and signatures, and the audit chain (with a pipeline's lineage records). Several
replicas, or runs on several hosts, then share one database and one audit chain. Without it
they live in a SQLite file (:data:`.audit.DB_ENV`): one process or host, no setup, the
tests' default.

The code above this module writes the same SQL for both (see :class:`~.audit.Database`);
this module holds what PostgreSQL does differently: connections come from a pool (a
thread keeps one for the length of a transaction), ``?`` and ``:name`` placeholders become
psycopg's, writers of one thing take turns with a transaction-scoped advisory lock, and an
inserted row's key comes back with ``RETURNING``.

:func:`open_database` opens a database for use: the SQLite file is migrated on the spot
(zero setup); a PostgreSQL database must have been migrated by ``<name> migrate`` first,
and the service refuses to start (a pipeline to run), in one line, while it has not.
"""

from __future__ import annotations

import hashlib
import re
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, cast
from urllib.parse import unquote, urlsplit

from . import project
from .audit import Connection, Database, SQLiteDatabase, utc_now
from .migrate import migrate, pending, privilege_problem

if TYPE_CHECKING:
    from psycopg import Connection as PgConnection
    from psycopg import Cursor
    from psycopg.rows import DictRow

_PLACEHOLDER = re.compile(r"'(?:[^']|'')*'|\?|(?<![:\w]):([A-Za-z_]\w*)|%")
"""A string literal (left alone), ``?``, ``:name`` or a literal ``%`` in a statement."""


class ConnectionSettings(Protocol):
    """What opening the database reads from the settings: where it is, and the pool's bounds."""

    @property
    def database_pool_min(self) -> int:
        """PostgreSQL connections each process keeps open."""
        ...

    @property
    def database_pool_max(self) -> int:
        """At most this many PostgreSQL connections per process."""
        ...

    @property
    def database_pool_timeout(self) -> float:
        """Seconds to wait for a connection."""
        ...

    def database_location(self) -> str:
        """The URL when one is set, else the SQLite file's path (may hold a password)."""
        ...


class StartupRefused(SystemExit):
    """The database cannot be used: the process exits with this one line, no traceback."""


class DatabaseUnavailable(StartupRefused):
    """The PostgreSQL server cannot be reached, or refuses the connection."""


class DatabaseNotMigrated(StartupRefused):
    """The PostgreSQL database lacks migrations this version needs."""


class DatabaseRoleRefused(StartupRefused):
    """Production connected as a role that could change or delete audit records."""


def least_privilege(database: Database) -> Database:
    """Refuse a database role that could change or delete audit records (production does).

    Raises:
        DatabaseRoleRefused: the role is a superuser, owns the tables, or holds UPDATE,
            DELETE or TRUNCATE on an audit table (see :func:`.migrate.privilege_problem`).
    """
    problem = privilege_problem(database)
    if problem is not None:
        database.close()
        raise DatabaseRoleRefused(f"error: {problem}")
    return database


def connect(location: str, *, settings: ConnectionSettings | None = None) -> Database:
    """Open the database at ``location`` as it is: a SQLite path, ``sqlite:///PATH`` or a URL.

    Raises:
        DatabaseUnavailable: the PostgreSQL server cannot be reached.
    """
    path = sqlite_path(location)
    if path is not None:
        return SQLiteDatabase(path)
    if settings is None:
        return PostgresDatabase(location)
    return PostgresDatabase(
        location,
        min_size=settings.database_pool_min,
        max_size=settings.database_pool_max,
        timeout=settings.database_pool_timeout,
    )


def sqlite_path(location: str) -> Path | None:
    """The SQLite file a location names (a path or ``sqlite:///PATH``), or None for a server."""
    parts = urlsplit(location)
    if parts.scheme in ("postgresql", "postgres"):
        return None
    if parts.scheme == "sqlite":
        return Path(unquote(parts.path.removeprefix("/")))
    return Path(location)


def ready(database: Database) -> Database:
    """Bring the SQLite file up to date; refuse a PostgreSQL database that is behind.

    Raises:
        DatabaseNotMigrated: migrations are missing on a PostgreSQL database.
    """
    if isinstance(database, SQLiteDatabase):
        migrate(database)
        return database
    missing = pending(database)
    if missing:
        where = database.describe()
        database.close()
        raise DatabaseNotMigrated(
            f"error: the database {where} is not migrated ({len(missing)} pending: "
            f"{', '.join(m.label for m in missing)}); run `{project.name()} migrate` first"
        )
    return database


def open_database(settings: ConnectionSettings) -> Database:
    """Open the configured database, ready for use.

    Raises:
        DatabaseUnavailable: the PostgreSQL server cannot be reached.
        DatabaseNotMigrated: migrations are missing on a PostgreSQL database.
    """
    return ready(connect(settings.database_location(), settings=settings))


def open_location(location: str, *, settings: ConnectionSettings | None = None) -> Database:
    """Open an existing database for the audit command (a missing SQLite file is an error).

    Raises:
        FileNotFoundError: no SQLite file at ``location``.
    """
    path = sqlite_path(location)
    if path is not None and not path.is_file():
        raise FileNotFoundError(f"no audit database at {path}")
    return ready(connect(location, settings=settings))


def redacted(url: str) -> str:
    """The URL without its password (and query), to name a server in messages."""
    parts = urlsplit(url)
    user = f"{parts.username}@" if parts.username else ""
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{user}{host}{port}{parts.path}"


@lru_cache(maxsize=512)
def pyformat(sql: str) -> str:
    """Rewrite ``?`` and ``:name`` placeholders as psycopg's ``%s`` and ``%(name)s``."""

    def swap(match: re.Match[str]) -> str:
        text = match.group(0)
        if text == "?":
            return "%s"
        if match.group(1):
            return f"%({match.group(1)})s"
        return text.replace("%", "%%")  # a literal %, in a string or not

    return _PLACEHOLDER.sub(swap, sql)


def lock_key(name: str) -> int:
    """The 64-bit advisory lock key of a name."""
    return int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:8], "big", signed=True)


class PostgresConnection:
    """A pooled psycopg connection that takes the same SQL as SQLite."""

    def __init__(self, raw: PgConnection[DictRow]) -> None:
        """Wrap ``raw`` (autocommit; transactions are explicit)."""
        self.raw = raw

    @property
    def in_transaction(self) -> bool:
        """Whether a transaction is open on this connection."""
        from psycopg.pq import TransactionStatus

        return self.raw.info.transaction_status != TransactionStatus.IDLE

    def execute(self, sql: str, parameters: Any = (), /) -> Cursor[DictRow]:
        """Run one statement; ``?`` and ``:name`` placeholders as with SQLite."""
        return self.raw.execute(pyformat(sql), parameters)


class PostgresDatabase(Database):
    """A PostgreSQL database through a psycopg connection pool (one per process)."""

    dialect = "postgresql"

    def __init__(
        self,
        url: str,
        *,
        min_size: int = 1,
        max_size: int = 10,
        timeout: float = 30.0,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        """Connect to the server at ``url``, failing fast when it cannot be reached.

        Raises:
            DatabaseUnavailable: no connection within ``timeout`` seconds.
        """
        import psycopg
        from psycopg import Connection as PgConnection
        from psycopg.rows import DictRow, dict_row
        from psycopg_pool import ConnectionPool, PoolTimeout

        super().__init__(clock=clock)
        self.url = url
        self._local = threading.local()
        try:  # one connection first: its error says why, where the pool's would only time out
            psycopg.connect(url, connect_timeout=max(int(timeout), 2)).close()
        except psycopg.Error as err:
            reason = str(err).strip().splitlines()[-1] if str(err).strip() else type(err).__name__
            raise DatabaseUnavailable(
                f"error: cannot connect to the database {redacted(url)}: {reason}"
            ) from None
        self._pool = ConnectionPool[PgConnection[DictRow]](
            url,
            connection_class=PgConnection[DictRow],
            min_size=min_size,
            max_size=max_size,
            timeout=timeout,
            kwargs={
                "autocommit": True,
                "row_factory": dict_row,
                "application_name": project.name()[:63],
            },
            check=ConnectionPool.check_connection,  # a server restart costs no failed request
            name=f"{project.name()}-db",
            open=False,
        )
        self._finalizer = weakref.finalize(self, self._pool.close)
        try:
            self._pool.open(wait=min_size > 0, timeout=timeout)
        except PoolTimeout:
            self.close()
            raise DatabaseUnavailable(
                f"error: no connection to the database {redacted(url)} within {timeout:g} s"
            ) from None

    def _current(self) -> PostgresConnection | None:
        return cast("PostgresConnection | None", getattr(self._local, "conn", None))

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """This thread's transaction's connection, or one from the pool for the block."""
        current = self._current()
        if current is not None:
            yield current
            return
        with self._pool.connection() as raw:
            yield PostgresConnection(raw)

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A transaction on a pooled connection that this thread keeps until it ends."""
        current = self._current()
        if current is not None:  # nested: the outer transaction commits
            yield current
            return
        with self._pool.connection() as raw, raw.transaction():
            self._local.conn = conn = PostgresConnection(raw)
            try:
                yield conn
            finally:
                self._local.conn = None

    def in_transaction(self) -> bool:
        """Tell whether this thread is inside :meth:`transaction`."""
        return self._current() is not None

    def lock(self, conn: Connection, name: str) -> None:
        """Take the advisory lock of ``name`` until this transaction ends (every replica)."""
        conn.execute("SELECT pg_advisory_xact_lock(?)", (lock_key(name),))

    def insert(self, conn: Connection, sql: str, parameters: Any, key: str) -> int:
        """Run an ``INSERT ... RETURNING key``."""
        return int(conn.execute(f"{sql} RETURNING {key}", parameters).fetchone()[key])

    def table_exists(self, conn: Connection, name: str) -> bool:
        """Look the table up on the search path."""
        row = conn.execute("SELECT to_regclass(?) IS NOT NULL AS present", (name,)).fetchone()
        return bool(row["present"])

    def run_script(self, conn: Connection, script: str) -> None:
        """Send the whole script at once (no parameters: several statements are allowed)."""
        cast(PostgresConnection, conn).raw.execute(script)

    def describe(self) -> str:
        """The server and database, without the password."""
        return redacted(self.url)

    def close(self) -> None:
        """Close the pool and its connections."""
        self._finalizer()
