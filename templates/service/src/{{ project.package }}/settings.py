"""Settings, read from the environment (prefix :data:`ENV_PREFIX`) or a ``.env`` file.

Secrets are never defaults: API keys are configured by their SHA-256 digest only, and the
JWT key, JWKS URL, database URL, privacy salt and audit key come from the deployment's
secret store. The development defaults are refused outside development and test;
production also refuses the SQLite file and any secret shorter than 32 characters, each
with one line naming the variable (see environment.py). :class:`DatabaseSettings` are the
few that the ``migrate`` and audit commands need.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from . import project
from .audit import AUDIT_KEY_ENV, DEFAULT_AUDIT_KEY, DEFAULT_SALT, SALT_ENV
from .database import StartupRefused
from .environment import database_problem, secret_problem

ENV_PREFIX = project.env_prefix()
"""The package name in capitals and ``_``, such as ``CLAIMS_TRIAGE_``."""
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
DATABASE_SCHEMES = ("postgresql", "postgres", "sqlite")
"""What ``DATABASE_URL`` may name: a PostgreSQL server, or a SQLite file (``sqlite:///path``)."""
_ALLOWED_ALGORITHMS = {
    "RS256",
    "RS384",
    "RS512",
    "ES256",
    "ES384",
    "ES512",
    "PS256",
    "HS256",
    "HS384",
    "HS512",
    "EdDSA",
}


class ApiKey(BaseModel):
    """An API key as configured: its SHA-256 digest, who it belongs to and its role."""

    sha256: str = Field(description="hex SHA-256 of the key (the `hash-key` command makes one)")
    actor: str = Field(
        min_length=1, max_length=200, description="the user or service the key belongs to"
    )
    role: str = Field(min_length=1, max_length=100, description="one of the roles in spec.yaml")

    @field_validator("sha256")
    @classmethod
    def _digest(cls, value: str) -> str:
        if not _SHA256.match(value):
            raise ValueError("give the lower-case hex SHA-256 of the key, never the key itself")
        return value


class DatabaseSettings(BaseSettings):
    """Where the service's one database is: every field is ``<ENV_PREFIX><FIELD>``.

    Decisions, review queue, kill switch, signatures and the audit chain live in it, so a
    state change and its audit record commit together.
    """

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_file=".env", extra="ignore")

    database: Path = Path("var/service.sqlite3")
    """The embedded SQLite file: one process, no setup (used when no URL is set)."""
    database_url: SecretStr | None = None
    """``postgresql://user:password@host:5432/name``: the production store, shared by replicas."""
    database_pool_min: int = Field(default=1, ge=0)
    """PostgreSQL connections each process keeps open."""
    database_pool_max: int = Field(default=10, ge=1)
    """At most this many PostgreSQL connections per process; more requests wait."""
    database_pool_timeout: float = Field(default=30.0, gt=0, allow_inf_nan=False)
    """Seconds to wait for a connection (at start-up, and per request when all are busy)."""

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            scheme = urlsplit(value.get_secret_value()).scheme
            if scheme not in DATABASE_SCHEMES:
                raise ValueError(
                    f"{ENV_PREFIX}DATABASE_URL must start with postgresql:// (or sqlite:///PATH),"
                    f" not {scheme or 'no scheme'}://"
                )
        return value

    @model_validator(mode="after")
    def _pool(self) -> DatabaseSettings:
        if self.database_pool_min > self.database_pool_max:
            raise ValueError(
                f"{ENV_PREFIX}DATABASE_POOL_MIN is above {ENV_PREFIX}DATABASE_POOL_MAX"
            )
        return self

    def database_location(self) -> str:
        """The URL when one is set, else the SQLite file's path (may hold a password)."""
        if self.database_url is not None:
            return self.database_url.get_secret_value()
        return str(self.database)


class Settings(DatabaseSettings):
    """Service settings; every field can be set as ``<ENV_PREFIX><FIELD>`` (upper case)."""

    environment: Literal["development", "test", "staging", "production"] = "development"
    privacy_salt: SecretStr = SecretStr(DEFAULT_SALT)
    audit_key: SecretStr = SecretStr(DEFAULT_AUDIT_KEY)
    """The key of the audit chain's MACs (kept outside the database it protects)."""
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024, le=64 * 1024 * 1024)
    """Largest request body read (1 MiB); larger ones are refused with 413 before reading."""
    signing_credentials: Path | None = None
    """JSON file of each signer's own signing credential hash (never the API key or JWT)."""
    api_keys: list[ApiKey] = Field(default_factory=list)
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    jwt_algorithms: list[str] = Field(default_factory=lambda: ["RS256"])
    jwt_key: SecretStr | None = None
    jwt_jwks_url: str | None = None
    jwt_role_claim: str = "role"
    model_version: str = "stub-0.1.0"
    cost_per_prediction_usd: float = Field(default=0.0, ge=0, allow_inf_nan=False)
    drift_window: int = Field(default=500, ge=10)

    @field_validator("jwt_algorithms")
    @classmethod
    def _algorithms(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - _ALLOWED_ALGORITHMS)
        if unknown or not value:
            raise ValueError(
                f"unsupported JWT algorithms {unknown}; allowed: {sorted(_ALLOWED_ALGORITHMS)}"
            )
        return value

    @model_validator(mode="after")
    def _production_secrets(self) -> Settings:
        url = self.database_url.get_secret_value() if self.database_url is not None else ""
        jwt_key = self.jwt_key.get_secret_value() if self.jwt_key is not None else None
        hmac_jwt = any(algorithm.startswith("HS") for algorithm in self.jwt_algorithms)
        problems = [
            database_problem(
                f"{ENV_PREFIX}DATABASE_URL",
                sqlite=not url or urlsplit(url).scheme == "sqlite",
                environment=self.environment,
            ),
            secret_problem(
                SALT_ENV,
                self.privacy_salt.get_secret_value(),
                default=DEFAULT_SALT,
                environment=self.environment,
            ),
            secret_problem(
                AUDIT_KEY_ENV,
                self.audit_key.get_secret_value(),
                default=DEFAULT_AUDIT_KEY,
                environment=self.environment,
            ),
        ]
        if jwt_key is not None and hmac_jwt:  # a shared secret; a public key is not one
            problems.append(
                secret_problem(
                    f"{ENV_PREFIX}JWT_KEY", jwt_key, default=None, environment=self.environment
                )
            )
        problem = next((p for p in problems if p), None)
        if problem is not None:
            raise ValueError(problem)
        if (self.jwt_key or self.jwt_jwks_url) and not (self.jwt_issuer and self.jwt_audience):
            raise ValueError(f"JWT needs {ENV_PREFIX}JWT_ISSUER and {ENV_PREFIX}JWT_AUDIENCE")
        return self


class SettingsRefused(StartupRefused):
    """A setting is invalid or unsafe where the service runs: it exits with one line."""


@cache
def get_settings() -> Settings:
    """Return the settings read from the environment (once per process).

    Raises:
        SettingsRefused: a setting is refused, with one line naming it.
    """
    try:
        return Settings()
    except ValidationError as err:
        raise SettingsRefused(f"error: {first_error(err)}") from None


def first_error(err: ValidationError) -> str:
    """The first problem of a settings error, in one line naming its variable."""
    first = err.errors()[0]
    field = ".".join(str(part) for part in first["loc"])
    message = str(first["msg"]).removeprefix("Value error, ")
    return f"{ENV_PREFIX}{field.upper()}: {message}" if field else message
