"""The database seam: one SQL for both backends, and database settings that fail safely."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from ..package import DatabaseSettings, pyformat, redacted, sqlite_path


@pytest.mark.parametrize(
    ("sqlite", "postgresql"),
    [
        ("SELECT * FROM t WHERE a = ? AND b = ?", "SELECT * FROM t WHERE a = %s AND b = %s"),
        ("INSERT INTO t (a, b) VALUES (:a, :b_2)", "INSERT INTO t (a, b) VALUES (%(a)s, %(b_2)s)"),
        ("SELECT 'is it? :no' AS x WHERE y = ?", "SELECT 'is it? :no' AS x WHERE y = %s"),
        ("SELECT 'it''s ?' || ?", "SELECT 'it''s ?' || %s"),
        ("SELECT 5 % 2, '100%' WHERE a = ?", "SELECT 5 %% 2, '100%%' WHERE a = %s"),
        ("SELECT x::text FROM t", "SELECT x::text FROM t"),
    ],
)
def test_placeholders_become_psycopgs(sqlite: str, postgresql: str) -> None:
    """``?`` and ``:name`` become ``%s`` and ``%(name)s``; string literals stay as written."""
    assert pyformat(sqlite) == postgresql


def test_a_url_is_shown_without_its_password() -> None:
    """Messages name the server and database, never the password or the query."""
    shown = redacted("postgresql://svc:s3cr3t@db.internal:6432/decisions?sslmode=require")
    assert shown == "postgresql://svc@db.internal:6432/decisions"


@pytest.mark.parametrize(
    ("location", "path"),
    [
        ("var/service.sqlite3", Path("var/service.sqlite3")),
        ("sqlite:///var/service.sqlite3", Path("var/service.sqlite3")),
        ("sqlite:////srv/data/service.sqlite3", Path("/srv/data/service.sqlite3")),
        ("postgresql://svc@db/decisions", None),
        ("postgres://svc@db/decisions", None),
    ],
)
def test_locations_name_a_sqlite_file_or_a_server(location: str, path: Path | None) -> None:
    """A path or ``sqlite:///PATH`` is a SQLite file; a postgresql:// URL is a server."""
    assert sqlite_path(location) == path


def test_the_url_wins_over_the_sqlite_file() -> None:
    """With a URL set, the service uses it; without one, the SQLite file."""
    url = "postgresql://svc:pw@db/decisions"
    assert DatabaseSettings(database_url=SecretStr(url)).database_location() == url
    assert DatabaseSettings(database=Path("x.sqlite3")).database_location() == "x.sqlite3"


def test_a_url_of_another_kind_is_refused_without_echoing_it() -> None:
    """Only PostgreSQL and SQLite URLs are taken; the refusal never shows the URL."""
    with pytest.raises(ValidationError) as refused:
        DatabaseSettings(database_url=SecretStr("mysql://svc:hunter2@db/decisions"))
    assert "postgresql://" in str(refused.value)
    assert "hunter2" not in str(refused.value)


def test_a_pool_smaller_than_its_minimum_is_refused() -> None:
    """DATABASE_POOL_MIN above DATABASE_POOL_MAX is a configuration error."""
    with pytest.raises(ValidationError, match="POOL_MIN"):
        DatabaseSettings(database_pool_min=5, database_pool_max=2)
