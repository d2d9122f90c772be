"""Versioned schema migrations: numbered SQL files per backend, each applied once, in order.

``migrations/<backend>/NNNN_name.sql`` (``sqlite`` and ``postgresql``) hold the schema, one
change per file, never edited once released: a change is a new file with the next
number. The ``schema_migrations`` table records which versions a database has, with when
they were applied. :func:`migrate` applies the missing ones and their records in one
transaction (a failing migration leaves nothing half done), holding a lock, so two
processes migrating at once apply each file once. A migration runs inside that
transaction: statements that cannot (``CREATE INDEX CONCURRENTLY``) do not belong here.

``<name> migrate`` runs it. The embedded SQLite file is migrated by itself when it is
opened; on a PostgreSQL database with a migration missing, a service refuses to start and
a pipeline to run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

from . import project
from .audit import Connection, Database

MIGRATIONS_TABLE = "schema_migrations"
_FILE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
_LEGACY_COLUMNS = {
    "service": (
        ("decisions", "requested_by", "TEXT NOT NULL DEFAULT ''"),
        ("decisions", "contract_version", "TEXT NOT NULL DEFAULT ''"),
        ("audit_anchor", "seq", "INTEGER NOT NULL DEFAULT 0"),
    ),
    "pipeline": (("audit_anchor", "seq", "INTEGER NOT NULL DEFAULT 0"),),
}.get(project.kind(), ())
"""Columns that SQLite files made before versioned migrations may lack (per kind of project;
kinds born with versioned migrations, such as assistants and agents, have none)."""


@dataclass(frozen=True)
class Migration:
    """One numbered schema change of one backend."""

    version: int
    name: str
    sql: str

    @property
    def label(self) -> str:
        """``0001_initial``: the file's name without ``.sql``."""
        return f"{self.version:04d}_{self.name}"


def migrations(dialect: str) -> list[Migration]:
    """Every migration shipped for a backend, in version order.

    Raises:
        ValueError: a file is misnamed or two files share a version.
    """
    folder = resources.files(__package__).joinpath("migrations", dialect)
    found: dict[int, Migration] = {}
    for entry in folder.iterdir():
        if not entry.name.endswith(".sql"):
            continue
        match = _FILE.match(entry.name)
        if match is None:
            raise ValueError(f"migration {entry.name}: name it NNNN_lower_case_words.sql")
        version = int(match.group(1))
        if version in found:
            raise ValueError(f"migrations {found[version].label} and {entry.name} share a version")
        found[version] = Migration(version, match.group(2), entry.read_text(encoding="utf-8"))
    return [found[version] for version in sorted(found)]


def applied(database: Database) -> set[int]:
    """The versions a database has (none before its first migration)."""
    with database.connect() as conn:
        if not database.table_exists(conn, MIGRATIONS_TABLE):
            return set()
        rows = conn.execute(f"SELECT version FROM {MIGRATIONS_TABLE}").fetchall()  # noqa: S608 - a constant
    return {int(row["version"]) for row in rows}


def pending(database: Database) -> list[Migration]:
    """The migrations a database lacks, in the order they would be applied."""
    done = applied(database)
    return [m for m in migrations(database.dialect) if m.version not in done]


def migrate(database: Database) -> list[Migration]:
    """Apply the missing migrations in one transaction; return those applied."""
    with database.transaction() as conn:
        database.lock(conn, MIGRATIONS_TABLE)  # PostgreSQL: other migrating processes wait
        conn.execute(
            f"CREATE TABLE IF NOT EXISTS {MIGRATIONS_TABLE} ("
            "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        done = {
            int(row["version"])
            for row in conn.execute(f"SELECT version FROM {MIGRATIONS_TABLE}").fetchall()  # noqa: S608 - a constant
        }
        todo = [m for m in migrations(database.dialect) if m.version not in done]
        for migration in todo:
            database.run_script(conn, migration.sql)
            conn.execute(
                f"INSERT INTO {MIGRATIONS_TABLE} (version, name, applied_at) VALUES (?, ?, ?)",  # noqa: S608 - a constant
                (migration.version, migration.name, database.now()),
            )
        if database.dialect == "sqlite" and not done and todo:
            _complete_legacy_columns(conn)
    return todo


def _complete_legacy_columns(conn: Connection) -> None:
    """Add the columns a SQLite file made before versioned migrations may lack.

    Such a file already had its tables, so the first migration (``IF NOT EXISTS``) kept
    them as they were.
    """
    for table, column, definition in _LEGACY_COLUMNS:
        present = {row["name"] for row in conn.execute(f"PRAGMA table_info({table})").fetchall()}
        if column not in present:
            conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}")
