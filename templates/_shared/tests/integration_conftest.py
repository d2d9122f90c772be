"""The integration tests run on both backends: the SQLite file and a real PostgreSQL server.

The PostgreSQL variant of a test skips, saying why, when no server can be found or
started (see ``tests/postgres.py``); each of its tests has a migrated schema of its own.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests import postgres


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """None for the SQLite file, or the URL of a fresh, migrated PostgreSQL schema."""
    if request.param == "sqlite":
        yield None
        return
    server: str = request.getfixturevalue("postgres_server")
    with postgres.schema(server) as url:
        yield url
