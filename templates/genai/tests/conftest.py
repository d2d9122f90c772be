"""Shared fixtures of the GenAI runtime's tests: offline by construction.

No test may reach a model provider: pydantic-ai's ``ALLOW_MODEL_REQUESTS`` is off for the
whole run (a real provider call raises), and every test runs with outbound network
connections refused (``no_network``): a library that tried to download something fails
the test that used it.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic_ai import models

from .package import AuditStore, Database, Runtime, Settings, connect, open_database, open_runtime
from tests import postgres
from tests.support import make_settings

models.ALLOW_MODEL_REQUESTS = False


class NetworkBlocked(RuntimeError):
    """A test tried to reach the network."""


def _local(host: Any) -> bool:
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return str(host) in ("localhost", "")


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Refuse every connection and name lookup beyond this machine."""
    connect = socket.socket.connect
    lookup = socket.getaddrinfo

    def guarded_connect(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _local(address[0]):
            raise NetworkBlocked(f"network access to {address!r} in a test")
        return connect(self, address)

    def guarded_lookup(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host is not None and not _local(host):
            raise NetworkBlocked(f"name lookup of {host!r} in a test")
        return lookup(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket, "getaddrinfo", guarded_lookup)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The URL of the PostgreSQL server of this test run (the tests skip without one)."""
    with postgres.server() as url:
        yield url


@pytest.fixture(scope="session")
def pgvector_server() -> Iterator[str]:
    """The URL of a PostgreSQL server with pgvector (pgserver's, by default; see postgres.py)."""
    with postgres.vector_server() as url:
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
    """Test settings: the database in a temporary folder (or a schema of its own)."""
    return make_settings(tmp_path, database_url)


@pytest.fixture
def database(settings: Settings) -> Iterator[Database]:
    """The test's database, migrated; closed after."""
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
    """The audit log in the test's database."""
    return AuditStore(database, salt="test-salt")


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    """The runtime on the fake model, with the sample corpus ingested and no spending cap.

    The fake model's calls cost what the primary model's would: spec.yaml's caps may refuse
    them all, so a test whose subject is not spending runs without caps, and a test of
    budgets sets the caps it tests (``runtime.budgets.caps``). test_budgets.py checks the
    runtime holds spec.yaml's caps.
    """
    opened = open_runtime(settings)
    opened.budgets.caps.update(dict.fromkeys(opened.budgets.caps))
    from .package import ingest

    ingest(opened, settings.corpus_dir, actor="test-setup", role="test")
    yield opened
    opened.close()
