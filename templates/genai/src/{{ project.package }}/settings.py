"""Settings of the API and the GenAI runtime, from the environment (prefix ``<PREFIX>``) or ``.env``.

One class for both: the callers' credentials as services have them (API keys by their
SHA-256 digest, JWT issuer, audience, algorithms and key or JWKS URL; see auth.py), the
database, and the runtime's models, tools and limits.

Model connections are per model id of the spec's chain, nested with ``__``:
``<PREFIX>MODELS__PRIMARY__API_KEY``, ``<PREFIX>MODELS__FALLBACK__BASE_URL``, and the judge's
``<PREFIX>JUDGE__API_KEY``. A model with no connection is not configured; with none
configured, development and tests use the deterministic fake model, and production refuses
to start (:func:`refusal`).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from . import project
from .audit import DEFAULT_AUDIT_KEY
from .database import StartupRefused
from .environment import database_problem

ENV_PREFIX = project.env_prefix()
"""The package name in capitals and ``_``, such as ``INCIDENT_COPILOT_``."""
DEFAULT_SALT = "development-only-salt"
DATABASE_SCHEMES = ("postgresql", "postgres", "sqlite")
Environment = Literal["development", "test", "staging", "production"]
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_ALLOWED_ALGORITHMS = frozenset(
    {
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
)


class ApiKey(BaseModel):
    """An API key as configured: its SHA-256 digest, who it belongs to and its role."""

    sha256: str = Field(description="hex SHA-256 of the key (the `hash-key` command makes one)")
    actor: str = Field(min_length=1, max_length=200, description="who the key belongs to")
    role: str = Field(min_length=1, max_length=100, description="one of the roles in spec.yaml")

    @field_validator("sha256")
    @classmethod
    def _digest(cls, value: str) -> str:
        if not _SHA256.match(value):
            raise ValueError("give the lower-case hex SHA-256 of the key, never the key itself")
        return value


class ModelConnection(BaseModel):
    """How to reach one model of the chain; secrets never have defaults."""

    api_key: SecretStr | None = None
    base_url: str | None = None
    """Required for ``openai-compatible`` and ``azure-openai`` (the resource endpoint)."""
    api_version: str | None = None
    """Azure OpenAI's API version (not for its ``/v1`` endpoints, which refuse one)."""
    region: str | None = None
    """Bedrock's AWS region (credentials come from the AWS environment)."""
    timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    """Per-call timeout; on expiry the next model of the chain is tried."""

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and urlsplit(value).scheme not in ("http", "https"):
            raise ValueError("base_url must be an http(s) URL")
        return value

    def configured(self) -> bool:
        """Whether enough is set to call the model (a key, an endpoint or a region)."""
        return bool(self.api_key or self.base_url or self.region)


class Settings(BaseSettings):
    """Every field can be set as ``<ENV_PREFIX><FIELD>`` (upper case)."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_file=".env", env_nested_delimiter="__", extra="ignore"
    )

    environment: Environment = "development"
    database: Path = Path("var/service.sqlite3")
    """The embedded SQLite file (used when no URL is set)."""
    database_url: SecretStr | None = None
    """``postgresql://...``: the production store, shared by replicas."""
    database_pool_min: int = Field(default=1, ge=0)
    database_pool_max: int = Field(default=10, ge=1)
    database_pool_timeout: float = Field(default=30.0, gt=0)
    privacy_salt: SecretStr = SecretStr(DEFAULT_SALT)
    audit_key: SecretStr = SecretStr(DEFAULT_AUDIT_KEY)
    """The key of the audit chain's MACs (kept outside the database it protects)."""
    models: dict[str, ModelConnection] = Field(default_factory=dict)
    judge: ModelConnection | None = None
    fake_model_script: Path | None = None
    """JSON list of steps the fake agent model replays (``{"tool", "args"}`` or ``{"final"}``)."""
    tools_mode: Literal["live", "sandbox"] = "live"
    trace_content: bool = False
    """Put prompts and completions in the OpenTelemetry spans (off: they may hold personal data)."""
    embedding_model: str | None = None
    """``provider:model`` for vector retrieval on PostgreSQL with pgvector (``none``: full-text only).

    Unset, the deterministic fake embedder is used outside production (embeddings.py).
    """
    embedding_dimensions: int | None = Field(default=None, ge=1, le=16000)
    """Ask a model that can shorten its vectors for this many (1536 or fewer fit an index)."""
    embedding_batch_size: int = Field(default=64, ge=1, le=2048)
    """Passages per embedding call during ``ingest``."""
    prompts_dir: Path = Path("prompts")
    corpus_dir: Path = Path("corpus")
    run_deadline_seconds: float | None = Field(default=None, gt=0)
    """A run's whole life, waiting for approvals included: at least any approval's expiry.

    Unset: 2 hours, or the longest approval expiry of the spec plus 1 hour when that is longer.
    """
    worker_threads: int = Field(default=2, ge=1, le=64)
    reservation_ttl_seconds: float = Field(default=900.0, gt=0)
    """A reservation not settled by then (a crashed process) is released by the sweeper."""
    prompt_tokens_per_char: float = Field(default=0.5, gt=0)
    """Worst-case prompt tokens per character, for reserving before the call (over-estimates)."""
    max_body_bytes: int = Field(default=256 * 1024, ge=1024, le=16 * 1024 * 1024)
    """Largest request body accepted (256 KiB); larger ones get 413."""
    api_keys: list[ApiKey] = Field(default_factory=list)
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    jwt_algorithms: list[str] = Field(default_factory=lambda: ["RS256"])
    jwt_key: SecretStr | None = None
    jwt_jwks_url: str | None = None
    jwt_role_claim: str = "role"

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
    def _jwt(self) -> Settings:
        if (self.jwt_key or self.jwt_jwks_url) and not (self.jwt_issuer and self.jwt_audience):
            raise ValueError(f"JWT needs {ENV_PREFIX}JWT_ISSUER and {ENV_PREFIX}JWT_AUDIENCE")
        return self

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            scheme = urlsplit(value.get_secret_value()).scheme
            if scheme not in DATABASE_SCHEMES:
                raise ValueError(f"{ENV_PREFIX}DATABASE_URL must start with postgresql://")
        return value

    @property
    def production(self) -> bool:
        """Whether this is the production environment."""
        return self.environment == "production"

    def database_location(self) -> str:
        """The URL when one is set, else the SQLite file's path (may hold a password)."""
        if self.database_url is not None:
            return self.database_url.get_secret_value()
        return str(self.database)

    def connection(self, model_id: str) -> ModelConnection | None:
        """The connection configured for a model of the chain, if any."""
        found = self.models.get(model_id.lower()) or self.models.get(model_id)
        return found if found is not None and found.configured() else None


def refusal(settings: Settings, *, fake_model: bool) -> str | None:
    """Say in one line why production must not start with these settings, or None."""
    if not settings.production:
        return None
    if fake_model:
        return (
            f"error: no model is configured (set {ENV_PREFIX}MODELS__<ID>__API_KEY or __BASE_URL): "
            "production refuses to start on the fake model"
        )
    if settings.tools_mode == "sandbox":
        return f"error: {ENV_PREFIX}TOOLS_MODE=sandbox is for tests and local runs, not production"
    if settings.fake_model_script is not None:
        return f"error: {ENV_PREFIX}FAKE_MODEL_SCRIPT is for tests and local runs, not production"
    if settings.privacy_salt.get_secret_value() == DEFAULT_SALT:
        return f"error: set {ENV_PREFIX}PRIVACY_SALT: the default salt is for development only"
    if settings.audit_key.get_secret_value() == DEFAULT_AUDIT_KEY:
        return f"error: set {ENV_PREFIX}AUDIT_KEY: the default audit key is for development only"
    url = settings.database_url.get_secret_value() if settings.database_url is not None else ""
    problem = database_problem(
        f"{ENV_PREFIX}DATABASE_URL",
        sqlite=not url or urlsplit(url).scheme == "sqlite",
        environment=settings.environment,
    )
    return None if problem is None else f"error: {problem}"


class SettingsRefused(StartupRefused):
    """A setting is invalid: the process exits with one line naming it."""


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
    field = "__".join(str(part) for part in first["loc"])
    message = str(first["msg"]).removeprefix("Value error, ")
    return f"{ENV_PREFIX}{field.upper()}: {message}" if field else message
