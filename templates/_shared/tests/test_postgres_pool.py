"""The pool of migrated schemas gives every PostgreSQL test the state of a fresh migration.

``tests/postgres.py`` lends the integration tests schemas it resets rather than makes anew
(``SchemaPool``). These tests try what an earlier test could leave behind: rows (in the
append-only audit log too), advanced sequences, changed schema objects or grants, a
changed role, a session still open. Each uses a pool of its own, so which schema is lent
next is known.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from tests import postgres

AUDIT_ROW = (
    "INSERT INTO audit_log (event_id, ts, actor, role, action, resource, outcome, "
    "request_id, model_version, prev_hash, hash) "
    "VALUES (%s, 'ts', 'actor', 'role', 'action', 'resource', 'ok', 'r', 'm', 'p', 'h') "
    "RETURNING seq"
)


@pytest.fixture
def pool(postgres_server: str) -> Iterator[postgres.SchemaPool]:
    """A pool of this test's own, closed (everything it made dropped) after it."""
    made = postgres.SchemaPool(postgres_server)
    yield made
    made.close()


def _schema_of(url: str) -> str:
    """The schema a URL's connections work in."""
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT current_schema()").fetchone()
    assert row is not None
    return str(row[0])


def _contents(owner: str) -> dict[str, Any]:
    """Every row of every table, and every sequence's position, of the owner URL's schema."""
    with psycopg.connect(owner) as conn:
        tables = [
            str(row[0])
            for row in conn.execute(
                "SELECT relname FROM pg_class WHERE relnamespace = current_schema()::regnamespace "
                "AND relkind = 'r' ORDER BY relname"
            )
        ]
        found: dict[str, Any] = {
            table: sorted(
                map(str, conn.execute(f'SELECT * FROM "{table}"').fetchall())  # noqa: S608 - catalog names
            )
            for table in tables
        }
        found["sequences"] = conn.execute(
            "SELECT sequencename, last_value FROM pg_sequences "
            "WHERE schemaname = current_schema() ORDER BY sequencename"
        ).fetchall()
    return found


def test_a_reused_schema_has_no_trace_of_the_test_before(pool: postgres.SchemaPool) -> None:
    """Rows (the audit log's too) and sequences are back as migrated, in the same schema."""
    with pool.lend() as (app, owner):
        first, fresh = _schema_of(owner), _contents(owner)
        assert fresh["schema_migrations"], "the migrations' own rows are part of the state"
        with psycopg.connect(app) as conn:
            seqs = [conn.execute(AUDIT_ROW, (f"e{n}",)).fetchone() for n in range(3)]
        assert seqs == [(1,), (2,), (3,)]
        with psycopg.connect(owner, autocommit=True) as conn:
            conn.execute("DELETE FROM schema_migrations")
    with pool.lend() as (app, owner):
        assert _schema_of(owner) == first, "the pool lent a new schema: nothing was reused"
        assert _contents(owner) == fresh
        with psycopg.connect(app) as conn:
            assert conn.execute(AUDIT_ROW, ("again",)).fetchone() == (1,)
        with psycopg.connect(owner) as conn, pytest.raises(psycopg.errors.RaiseException):
            conn.execute("DELETE FROM audit_log")  # the triggers are on again, even for the owner


CHANGES = {
    "a grant": "GRANT DELETE ON audit_log TO {role}",
    "a revoked grant": "REVOKE INSERT ON audit_log FROM {role}",
    "a column grant": "GRANT UPDATE (actor) ON audit_log TO {role}",
    "a disabled trigger": "ALTER TABLE audit_log DISABLE TRIGGER USER",
    "a dropped trigger": "DROP TRIGGER audit_no_delete ON audit_log",
    "a new table": "CREATE TABLE extra (x int)",
    "a new index": "CREATE INDEX extra_actor ON audit_log (actor)",
    "a new column": "ALTER TABLE audit_log ADD COLUMN extra TEXT",
    "a new default": "ALTER TABLE audit_log ALTER COLUMN actor SET DEFAULT 'someone'",
    "a new function": "CREATE FUNCTION extra() RETURNS int LANGUAGE sql AS 'SELECT 1'",
    "a changed sequence": "ALTER TABLE audit_log ALTER COLUMN seq SET INCREMENT BY 2",
    "row security": "ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY",
    "a changed role": "ALTER ROLE {role} CREATEDB",
    "a role setting": "ALTER ROLE {role} SET statement_timeout = '1s'",
    "a membership": "GRANT pg_read_all_data TO {role}",
    "a grant elsewhere": "GRANT CREATE ON SCHEMA public TO {role}",
}


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_a_schema_whose_objects_a_test_changed_is_dropped(
    pool: postgres.SchemaPool, change: str
) -> None:
    """Anything beyond rows changed: the next test gets a new schema and role, the old gone."""
    with pool.lend() as (app, owner):
        first, role = _schema_of(owner), _role_of(app)
        with psycopg.connect(owner, autocommit=True) as conn:
            conn.execute(change.format(role=role))
    with pool.lend() as (app, owner):
        assert _schema_of(owner) != first
        assert _role_of(app) != role
        with psycopg.connect(owner) as conn:
            gone = conn.execute(
                "SELECT to_regnamespace(%s) IS NULL, NOT EXISTS "
                "(SELECT FROM pg_roles WHERE rolname = %s)",
                (first, role),
            ).fetchone()
        assert gone == (True, True)


def test_a_session_left_open_cannot_act_on_the_next_test(pool: postgres.SchemaPool) -> None:
    """The application role's sessions are ended before its schema is lent again."""
    with pool.lend() as (app, _):
        left_open = psycopg.connect(app, autocommit=True)
    try:
        with pool.lend() as (app, owner):
            with pytest.raises(psycopg.OperationalError):
                left_open.execute(AUDIT_ROW, ("late",))
            assert _contents(owner)["audit_log"] == []
    finally:
        left_open.close()


def test_an_unchanged_schema_is_lent_again(pool: postgres.SchemaPool) -> None:
    """Reuse is what makes the pool cheaper: an untouched schema and its role come back."""
    names = set()
    for _ in range(3):
        with pool.lend() as (app, owner):
            names.add((_schema_of(owner), _role_of(app)))
    assert len(names) == 1


def _role_of(url: str) -> str:
    """The role a URL connects as."""
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT current_user").fetchone()
    assert row is not None
    return str(row[0])
