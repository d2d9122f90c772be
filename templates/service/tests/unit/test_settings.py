"""Settings: production refuses the SQLite file, development defaults and short secrets."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import SecretStr, ValidationError

from ..package import ENV_PREFIX, Settings, SettingsRefused, get_settings

STRONG = "s" * 40
PRODUCTION: dict[str, Any] = {
    "environment": "production",
    "database_url": SecretStr("postgresql://service:pw@db.internal:5432/service"),
    "privacy_salt": SecretStr("salt-" + STRONG),
    "audit_key": SecretStr("key-" + STRONG),
}
"""What production needs: the PostgreSQL database, and real secrets long enough."""


def _refused(**changes: Any) -> str:
    with pytest.raises(ValidationError) as caught:
        Settings(**{**PRODUCTION, **changes})
    return str(caught.value)


def test_production_with_its_secrets_and_postgresql_is_accepted() -> None:
    """The settings production needs pass."""
    assert Settings(**PRODUCTION).environment == "production"


@pytest.mark.parametrize("url", [None, SecretStr("sqlite:///var/service.sqlite3")])
def test_production_refuses_the_sqlite_file(url: SecretStr | None) -> None:
    """Several replicas on a file each their own: production needs the PostgreSQL URL."""
    assert "DATABASE_URL" in _refused(database_url=url)


@pytest.mark.parametrize("environment", ["staging", "production"])
@pytest.mark.parametrize("field", ["privacy_salt", "audit_key"])
def test_a_development_default_is_refused_outside_development(environment: str, field: str) -> None:
    """The published defaults would make pseudonyms reversible and audit records forgeable."""
    default = Settings.model_fields[field].default
    message = _refused(environment=environment, **{field: default})
    assert (ENV_PREFIX + field.upper()) in message


@pytest.mark.parametrize("field", ["privacy_salt", "audit_key", "jwt_key"])
def test_production_refuses_a_secret_shorter_than_32_characters(field: str) -> None:
    """A one-character salt, audit key or JWT signing key is refused in production."""
    extra: dict[str, Any] = {}
    if field == "jwt_key":
        extra = {"jwt_issuer": "https://issuer", "jwt_audience": "svc", "jwt_algorithms": ["HS256"]}
    message = _refused(**{field: SecretStr("x")}, **extra)
    assert (ENV_PREFIX + field.upper()) in message and "32" in message


@pytest.mark.parametrize("cost", [float("nan"), float("inf")])
def test_numbers_in_settings_are_finite(cost: float) -> None:
    """A cost of NaN or infinity would poison the budget metric: refused."""
    with pytest.raises(ValidationError):
        Settings(environment="test", cost_per_prediction_usd=cost)


@pytest.fixture
def fresh_settings() -> Iterator[None]:
    """Settings read from the environment again, before and after the test."""
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.mark.usefixtures("fresh_settings")
def test_a_refused_setting_stops_the_service_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    """Starting refuses with one line naming the variable and why, never a traceback."""
    monkeypatch.setenv(ENV_PREFIX + "ENVIRONMENT", "production")
    monkeypatch.setenv(ENV_PREFIX + "DATABASE_URL", "postgresql://svc:pw@db/svc")
    monkeypatch.setenv(ENV_PREFIX + "PRIVACY_SALT", "x")
    monkeypatch.setenv(ENV_PREFIX + "AUDIT_KEY", "key-" + STRONG)
    with pytest.raises(SettingsRefused) as refused:
        get_settings()
    message = str(refused.value.code)
    assert message.startswith("error: ") and "\n" not in message
    assert ENV_PREFIX + "PRIVACY_SALT" in message and "32" in message
