"""Shared fixtures: test settings with one API key per role, apps on real databases.

Tests use the embedded SQLite file by default; the integration tests run on PostgreSQL as
well (``tests/integration/conftest.py``), on the server ``tests/postgres.py`` finds or starts.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from .package import AuditStore, Database, FixedModel, Settings, connect, open_database, project
from tests import postgres
from tests.support import AUDIT_KEY, client_for, make_settings


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The URL of the PostgreSQL server of this test run (the tests skip without one)."""
    with postgres.server() as url:
        yield url


@pytest.fixture
def database_url() -> str | None:
    """The database URL of the test's settings; None: a SQLite file in the test's folder."""
    return None


@pytest.fixture
def owner_url() -> str | None:
    """The tables' owner's URL; None: the SQLite file (one file, no roles)."""
    return None


@pytest.fixture
def settings(tmp_path: Path, database_url: str | None) -> Settings:
    """Test settings with the database in a temporary folder (or a schema of its own)."""
    return make_settings(tmp_path, database_url)


@pytest.fixture
def database(settings: Settings) -> Iterator[Database]:
    """The test's database, opened (and migrated) as the app opens it; closed after."""
    opened = open_database(settings)
    yield opened
    opened.close()


@pytest.fixture
def owner(settings: Settings, owner_url: str | None) -> Iterator[Database]:
    """The test's database as its owner opens it (on SQLite: the same file)."""
    opened = connect(owner_url or settings.database_location())
    yield opened
    opened.close()


@pytest.fixture
def audit(database: Database) -> AuditStore:
    """The audit log in the test's database, to read what the app recorded."""
    return AuditStore(database, salt="test-salt", key=AUDIT_KEY)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """A client for the app with the stub model."""
    with client_for(settings) as test_client:
        yield test_client


@pytest.fixture
def confident_client(settings: Settings) -> Iterator[TestClient]:
    """A client for an app whose model is always fully confident (never reviewed)."""
    with client_for(settings, FixedModel("positive", 1.0)) as test_client:
        yield test_client


@pytest.fixture
def unsure_client(settings: Settings) -> Iterator[TestClient]:
    """A client for an app whose model is below the review threshold (always reviewed)."""
    threshold = project.review_threshold()
    if threshold <= 0:
        pytest.skip("spec.yaml sets review_below_confidence to 0: nothing is reviewed")
    with client_for(settings, FixedModel("positive", threshold / 2)) as test_client:
        yield test_client
