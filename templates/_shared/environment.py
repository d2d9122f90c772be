"""Where the project runs, and what it refuses to run with outside development.

``<PREFIX>ENVIRONMENT`` is ``development``, ``test``, ``staging`` or ``production``. The
published development defaults (the privacy salt, the audit key) are refused outside
development and test: anyone who has read this code knows them, so pseudonyms could be
recomputed and audit records forged. Production also refuses any secret shorter than
:data:`MIN_SECRET_LENGTH` characters and the embedded SQLite file (one process on one
host: replicas, and runs on several hosts, need the one shared PostgreSQL database). Each
refusal is one line naming the variable and what to do.
"""

from __future__ import annotations

from . import project

ENVIRONMENTS = ("development", "test", "staging", "production")
DEVELOPMENT = frozenset({"development", "test"})
"""Where the published development defaults may be used."""
ENVIRONMENT_ENV = project.env_prefix() + "ENVIRONMENT"
DEFAULT_ENVIRONMENT = "production" if project.kind() == "pipeline" else "development"
"""A pipeline runs unattended, where a forgotten setting must not mean development."""
MIN_SECRET_LENGTH = 32
"""Characters a production secret has at least (a random 32-character secret or longer)."""
RANDOM_VALUE_COMMAND = "python -c 'import secrets; print(secrets.token_urlsafe(32))'"


def secret_problem(
    variable: str, value: str | None, *, default: str | None, environment: str
) -> str | None:
    """Say in one line why a secret may not be used in ``environment``, or None when it may.

    Outside development and test a secret must be set, and not to its published default;
    in production it must also be at least :data:`MIN_SECRET_LENGTH` characters long.
    """
    if environment in DEVELOPMENT:
        return None
    if not value:
        return f"set {variable} from the secret store: {environment} needs it"
    if default is not None and value == default:
        return (
            f"set {variable} from the secret store: the default is for development and tests "
            f"only, not for {environment}"
        )
    if environment == "production" and len(value) < MIN_SECRET_LENGTH:
        return (
            f"{variable} has {len(value)} characters; production needs at least "
            f"{MIN_SECRET_LENGTH} (make one with `{RANDOM_VALUE_COMMAND}`)"
        )
    return None


def database_problem(variable: str, *, sqlite: bool, environment: str) -> str | None:
    """Say in one line why production may not use the embedded SQLite file, or None."""
    if environment == "production" and sqlite:
        return (
            f"production refuses the embedded SQLite file: set {variable} to the PostgreSQL "
            "database (one file serves one process on one host)"
        )
    return None
