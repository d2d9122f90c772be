"""The integration tests run on both backends: the SQLite file and a real PostgreSQL server.

The PostgreSQL variant of a test skips, saying why, when no server can be found or
started (see ``tests/postgres.py``); each of its tests has a migrated schema of its own,
and connects as an application role granted exactly what ``migrate --app-role`` grants,
never as the tables' owner (``owner_url`` is the owner's, for the tests that play one).
The schemas come from a pool for the run (``postgres.SchemaPool``): one is reset to its
freshly migrated state before each test, or dropped and made anew when a test changed more
than its rows.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests import postgres


@pytest.fixture(scope="session")
def postgres_schemas(postgres_server: str) -> Iterator[postgres.SchemaPool]:
    """The run's pool of migrated schemas with their application roles."""
    pool = postgres.SchemaPool(postgres_server)
    yield pool
    pool.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> Iterator[tuple[str | None, str | None]]:
    """(application URL, owner URL): both None for the SQLite file, else a fresh schema."""
    if request.param == "sqlite":
        yield None, None
        return
    pool: postgres.SchemaPool = request.getfixturevalue("postgres_schemas")
    with pool.lend() as (app, owner):
        yield app, owner


@pytest.fixture
def database_url(backend: tuple[str | None, str | None]) -> str | None:
    """The URL the code under test connects with: the application role's (None: SQLite)."""
    return backend[0]


@pytest.fixture
def owner_url(backend: tuple[str | None, str | None]) -> str | None:
    """The tables' owner's URL (None: the SQLite file, which has no roles)."""
    return backend[1]
