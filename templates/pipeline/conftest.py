"""Shared fixtures: isolated settings and environment, the sample data, credentials, a model.

Tests keep the audit log in a SQLite file by default; the integration tests run on
PostgreSQL as well (``tests/integration/conftest.py``), on the server ``tests/postgres.py``
finds or starts.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from tests import postgres
from tests.package import (
    PREFIX,
    AuditStore,
    Database,
    Model,
    Settings,
    connect,
    find_candidate,
    open_database,
    run,
    steps,
)
from tests.support import AUDIT_KEY, Cli, run_with_an_approved_model, use_credentials

pytest_plugins = ["tests.acceptance.traceability"]

ROOT = Path(__file__).parent
SAMPLE = ROOT / "data" / "sample" / "sample.csv"


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Drop every variable of this project that the developer's shell may have set.

    The environment is ``test``, said explicitly: unset, the pipeline takes itself for
    production (and refuses the SQLite file and the development keys).
    """
    for name in list(os.environ):
        if name.startswith(PREFIX):
            monkeypatch.delenv(name)
    monkeypatch.setenv(PREFIX + "ENVIRONMENT", "test")


@pytest.fixture
def sample_path() -> Path:
    """Return the shipped sample extract."""
    return SAMPLE


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The URL of the PostgreSQL server of this test run (the tests skip without one)."""
    with postgres.server() as url:
        yield url


@pytest.fixture
def database_url() -> str | None:
    """The audit database URL of the test's settings; None: a SQLite file under ``tmp_path``."""
    return None


@pytest.fixture
def owner_url() -> str | None:
    """The tables' owner's URL; None: the SQLite file (one file, no roles)."""
    return None


@pytest.fixture
def settings(tmp_path: Path, database_url: str | None) -> Settings:
    """Return settings that write only under ``tmp_path``, run by a scheduler account."""
    return Settings(
        input_path=SAMPLE,
        output_dir=tmp_path / "output",
        audit_db=tmp_path / "audit.sqlite3",
        privacy_salt="test-salt",
        runner="scheduler",
        environment="test",
        audit_key=AUDIT_KEY,
        code_version="test",
        database_url=database_url,
    )


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Point the command line's environment at the test settings; return them."""
    monkeypatch.setenv(PREFIX + "OUTPUT_DIR", str(settings.output_dir))
    monkeypatch.setenv(PREFIX + "AUDIT_DB", str(settings.audit_db))
    if settings.database_url is not None:
        monkeypatch.setenv(PREFIX + "DATABASE_URL", settings.database_url)
    monkeypatch.setenv(PREFIX + "PRIVACY_SALT", settings.privacy_salt)
    monkeypatch.setenv(PREFIX + "AUDIT_KEY", settings.audit_key)
    monkeypatch.setenv(PREFIX + "ENVIRONMENT", settings.environment)
    return settings


@pytest.fixture
def cli(
    cli_env: Settings, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Cli:
    """Return the command line, run in this process against the test settings."""
    return Cli(capsys, monkeypatch)


@pytest.fixture
def credentials(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Configure operators' and signing credentials for every test person of every role."""
    use_credentials(tmp_path, monkeypatch)


@pytest.fixture
def database(settings: Settings) -> Iterator[Database]:
    """The test's audit database, opened (and migrated) as the pipeline opens it; closed after."""
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
def store(settings: Settings, database: Database) -> AuditStore:
    """Return the audit log the settings point at."""
    return AuditStore(database, salt=settings.privacy_salt, key=settings.audit_key)


@pytest.fixture
def candidate(settings: Settings) -> Model:
    """Run the pipeline once on the sample data and return the candidate it trained."""
    outcome = run(settings)
    if not outcome.awaiting_approval:
        pytest.fail(outcome.summary())
    path = find_candidate(settings.output_dir, str(outcome.record.candidate["version"]))
    return Model.load(path)


@pytest.fixture
def published(settings: Settings) -> Model:
    """Run, approve the candidate (two people), run again; return the model that scored."""
    outcome = run_with_an_approved_model(settings)
    path = find_candidate(settings.output_dir, str(outcome.record.model_version))
    return Model.load(path)


@pytest.fixture(scope="session")
def records() -> pl.DataFrame:
    """Return the sample's records that pass the contract (typed)."""
    return steps.validate(steps.ingest(SAMPLE)).records
