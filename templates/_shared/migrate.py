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

Least privilege on PostgreSQL: the tables' owner (the role that migrates) is not the role
the application connects as. ``<name> migrate --app-role ROLE``, run by the owner, grants
ROLE exactly :data:`APP_PRIVILEGES` and nothing else: never UPDATE, DELETE or TRUNCATE on
the audit tables, never ownership (only an owner can lift the triggers that refuse
changes). :func:`privilege_problem` is what production checks at start: it refuses
to run as a role that could delete or change audit records.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
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
AUDIT_TABLES = ("audit_log", "audit_anchor")
_APP_PRIVILEGES: dict[str, Mapping[str, tuple[str, ...]]] = {
    "service": {
        "decisions": ("SELECT", "INSERT", "UPDATE"),
        "idempotency": ("SELECT", "INSERT"),
        "kill_switch": ("SELECT", "INSERT", "UPDATE"),
        "signatures": ("SELECT", "INSERT"),
        "audit_log": ("SELECT", "INSERT"),
        "audit_anchor": ("SELECT",),
        MIGRATIONS_TABLE: ("SELECT",),
    },
    "pipeline": {
        "kill_switch": ("SELECT", "INSERT", "UPDATE"),
        "audit_log": ("SELECT", "INSERT"),
        "audit_anchor": ("SELECT",),
        MIGRATIONS_TABLE: ("SELECT",),
    },
}
_GENAI_PRIVILEGES: Mapping[str, tuple[str, ...]] = {
    "budget_totals": ("SELECT", "INSERT", "UPDATE"),
    "budget_reservations": ("SELECT", "INSERT", "UPDATE"),
    "passages": ("SELECT", "INSERT", "UPDATE", "DELETE"),  # `ingest` replaces a source's passages
    "retrieval_terms": ("SELECT", "INSERT", "UPDATE", "DELETE"),
    "passage_embeddings": ("SELECT", "INSERT", "UPDATE", "DELETE"),  # PostgreSQL only
    "runs": ("SELECT", "INSERT", "UPDATE"),
    "tool_calls": ("SELECT", "INSERT", "UPDATE"),
    "approvals": ("SELECT", "INSERT", "UPDATE"),
    "handoffs": ("SELECT", "INSERT", "UPDATE"),
    "kill_switch": ("SELECT", "INSERT", "UPDATE"),
    "audit_log": ("SELECT", "INSERT"),
    "audit_anchor": ("SELECT",),
    MIGRATIONS_TABLE: ("SELECT",),
}
APP_PRIVILEGES: Mapping[str, tuple[str, ...]] = {
    **_APP_PRIVILEGES,
    "assistant": _GENAI_PRIVILEGES,
    "agent": _GENAI_PRIVILEGES,
}.get(project.kind(), {"audit_log": ("SELECT", "INSERT"), "audit_anchor": ("SELECT",)})
"""What the application's own role may do, table by table (PostgreSQL): decisions change
state (UPDATE, never DELETE); audit records are only ever added; the anchor only read.
A kind not listed gets the audit tables' grants only until it lists its own tables."""
APP_ROLE_ENV = project.env_prefix() + "DATABASE_APP_ROLE"
"""The application role ``migrate`` grants when ``--app-role`` is not given (deploy/ sets it)."""
_ROLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


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


class PrivilegeError(ValueError):
    """The application role cannot be given least privilege (it owns the tables, say)."""


def _ident(name: str) -> str:
    """Quote an SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def grant_app_role(database: Database, role: str) -> list[str]:
    """Give ``role`` exactly :data:`APP_PRIVILEGES` on this database's tables; return the grants.

    Whatever ``role`` held on them before is revoked first, so running it again after an
    upgrade leaves exactly the current list. Run it as the tables' owner, after
    :func:`migrate`.

    Raises:
        PrivilegeError: not PostgreSQL, a role name that is not a plain identifier, a role
            that does not exist, is a superuser, owns the tables or is a member of the
            owner's role (it could act as the owner).
    """
    if database.dialect != "postgresql":
        raise PrivilegeError("--app-role is for PostgreSQL; a SQLite file has no roles")
    if not _ROLE.match(role):
        raise PrivilegeError(f"{role!r} is not a role name (letters, digits and _)")
    with database.transaction() as conn:
        database.lock(conn, MIGRATIONS_TABLE)
        found = conn.execute(
            "SELECT r.rolsuper AS superuser, "
            "pg_has_role(?, c.relowner, 'MEMBER') AS owner, "
            "pg_get_userbyid(c.relowner) AS owner_name, current_schema() AS schema "
            "FROM pg_roles r, pg_class c WHERE r.rolname = ? "
            "AND c.oid = to_regclass('audit_log')",
            (role, role),
        ).fetchone()
        if found is None:
            exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = ?", (role,)).fetchone()
            if exists is None:
                raise PrivilegeError(
                    f"no role {role}: create it first (CREATE ROLE {role} LOGIN PASSWORD "
                    "'...'), then run this again"
                )
            raise PrivilegeError(f"the database is not migrated: run `{project.name()} migrate`")
        if found["superuser"]:
            raise PrivilegeError(f"{role} is a superuser: it could do anything; use another role")
        if found["owner"]:
            raise PrivilegeError(
                f"{role} owns the tables (or is a member of their owner {found['owner_name']}): "
                "an owner can lift the triggers that protect the audit log; use another role"
            )
        schema = _ident(str(found["schema"]))
        grantee = _ident(role)
        statements = [
            f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {grantee}",
            f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM {grantee}",
            f"GRANT USAGE ON SCHEMA {schema} TO {grantee}",
            *(
                f"GRANT {', '.join(privileges)} ON {schema}.{_ident(table)} TO {grantee}"
                for table, privileges in APP_PRIVILEGES.items()
            ),
        ]
        for statement in statements:
            conn.execute(statement)
    return statements[2:]


def privilege_problem(database: Database) -> str | None:
    """Say in one line why the connected role could change or delete audit records, or None.

    A superuser, the tables' owner (or a member of its role) or a role granted UPDATE,
    DELETE or TRUNCATE on an audit table could: production refuses to run as one.
    """
    if database.dialect != "postgresql":
        return None
    with database.connect() as conn:
        row = conn.execute(
            "SELECT current_user AS me, r.rolsuper AS superuser, "
            "pg_has_role(current_user, c.relowner, 'MEMBER') AS owner, "
            "has_table_privilege(c.oid, 'UPDATE, DELETE, TRUNCATE') AS change_log, "
            "has_table_privilege(to_regclass('audit_anchor'), 'UPDATE, DELETE, TRUNCATE') "
            "AS change_anchor "
            "FROM pg_roles r, pg_class c WHERE r.rolname = current_user "
            "AND c.oid = to_regclass('audit_log')"
        ).fetchone()
    if row is None:
        return None
    why = (
        "is a superuser"
        if row["superuser"]
        else "owns the audit tables"
        if row["owner"]
        else "may update or delete audit records"
        if row["change_log"] or row["change_anchor"]
        else None
    )
    if why is None:
        return None
    return (
        f"the database role {row['me']} {why}: connect as a role that "
        f"`{project.name()} migrate --app-role ROLE` granted, never as the owner"
    )


def command(database: Database, *, check: bool, app_role: str | None) -> tuple[int, list[str]]:
    """Run ``<name> migrate [--check] [--app-role ROLE]``: its exit code and the lines it says.

    Raises:
        PrivilegeError: the application role cannot be given least privilege.
    """
    where = database.describe()
    if check:
        missing = pending(database)
        lines = [f"pending: {migration.label}" for migration in missing]
        lines.append(f"{where}: {len(missing) or 'no'} pending migrations")
        return (1 if missing else 0), lines
    done = migrate(database)
    lines = [f"applied: {migration.label}" for migration in done]
    lines.append(f"{where}: up to date ({len(done)} applied now)")
    if app_role:
        lines += [f"granted: {grant}" for grant in grant_app_role(database, app_role)]
        lines.append(f"{app_role} may do exactly that: nothing else, and no audit record changes")
    return 0, lines
