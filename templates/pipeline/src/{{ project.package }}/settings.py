"""Settings from the environment, and access control for privileged acts.

Settings say where the pipeline reads and writes; they never say who is acting. A run is
unattended (a scheduler starts it): it claims no person and its records name the OS account
as the runner, under :data:`RUNNER_ROLE`, a role no spec role can be and which holds no
permission. Every privileged act is done by a person who proves who they are with their
secret (:func:`authenticate`, see :mod:`.identity`) and whose role holds the permission
:data:`ACTIONS` names for it in spec.yaml's ``users[].can``; an unknown act is denied.

Variables (all optional), each prefixed with :data:`PREFIX` (the package name in capitals
and ``_``; the README lists them by full name):

``ENVIRONMENT``    ``production`` (default: a run is unattended, and a forgotten setting must
                   not mean development), ``staging``, ``development`` or ``test``
``INPUT``          the extract to process (default: the sample data)
``OUTPUT_DIR``     where outputs go (default: ``output``)
``AUDIT_DB``       the audit log's SQLite file (default: ``var/audit.sqlite3``)
``DATABASE_URL``   ``postgresql://...``: the audit log on PostgreSQL instead (a secret)
``DATABASE_POOL_MIN``, ``_MAX``, ``_TIMEOUT``  PostgreSQL connections kept open (1), at most
                   (10), and seconds to wait for one (30)
``PRIVACY_SALT``   key for pseudonyms; the default is refused outside development and test
``AUDIT_KEY``      key of the audit chain's MACs (a secret, outside the database); the
                   default is refused outside development and test
``CODE_VERSION``   the deployed commit, recorded with each run

No variable names an actor or a role: such a variable proves nothing. The database URL may
hold a password: it is never shown (the database is named by host and database only).
Production refuses the SQLite file and any secret shorter than 32 characters, each with
one line naming the variable (see environment.py).
"""

from __future__ import annotations

import getpass
import math
import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO
from urllib.parse import urlsplit

from . import project
from .audit import (
    AUDIT_KEY_ENV,
    DB_ENV,
    DEFAULT_AUDIT_KEY,
    DEFAULT_DB,
    DEFAULT_SALT,
    SALT_ENV,
    AuditStore,
)
from .credentials import Identity
from .database import least_privilege, open_database
from .environment import (
    DEFAULT_ENVIRONMENT,
    ENVIRONMENTS,
    database_problem,
    secret_problem,
)
from .identity import AccessDenied, prove

PREFIX = project.env_prefix()
RUNNER_ROLE = "system:runner"
"""The role recorded for unattended runs: spec roles cannot hold ``:``, so it is no person's."""
ACTIONS: dict[str, str] = {
    "promote": "operate",
    "approve": "review",
    "sign": "sign",
    "kill-switch": "operate",
    "contest": "contest",
    "audit-purge": "operate",
}
"""The permission (``users[].can`` in spec.yaml) each privileged act needs."""
DEFAULT_INPUT = Path("data/sample/sample.csv")
DATABASE_URL_ENV = PREFIX + "DATABASE_URL"
DATABASE_SCHEMES = ("postgresql", "postgres")
"""What ``DATABASE_URL`` may name: a PostgreSQL server (the SQLite file is ``AUDIT_DB``)."""

__all__ = [
    "ACTIONS",
    "DATABASE_URL_ENV",
    "PREFIX",
    "RUNNER_ROLE",
    "AccessDenied",
    "Identity",
    "Settings",
    "SettingsError",
    "authenticate",
    "authorize",
    "os_account",
    "permission_for",
]


class SettingsError(ValueError):
    """A setting is invalid or unsafe for the environment it is used in."""


@dataclass(frozen=True)
class Settings:
    """Where the pipeline reads and writes, in which environment, and the OS account running it.

    Raises:
        SettingsError: an unknown environment, a default secret outside development and
            test, in production SQLite or a secret under 32 characters, a database URL that
            is not PostgreSQL's, or pool bounds out of order.
    """

    input_path: Path
    output_dir: Path
    audit_db: Path
    privacy_salt: str
    runner: str
    environment: str = DEFAULT_ENVIRONMENT
    audit_key: str = field(default=DEFAULT_AUDIT_KEY, repr=False)
    """The key of the audit chain's MACs (a secret kept outside the database)."""
    code_version: str = "unknown"
    database_url: str | None = field(default=None, repr=False)
    """``postgresql://user:password@host:5432/name``: the audit log on PostgreSQL (a secret)."""
    database_pool_min: int = 1
    """PostgreSQL connections each process keeps open."""
    database_pool_max: int = 10
    """At most this many PostgreSQL connections per process."""
    database_pool_timeout: float = 30.0
    """Seconds to wait for a PostgreSQL connection (and for the server at start)."""
    database_only: bool = field(default=False, repr=False)
    """Only where the database is matters (``migrate``): the secrets are not checked."""

    def __post_init__(self) -> None:
        """Refuse what is unknown or unsafe, naming the variable (never the URL's password)."""
        self._check_database()
        if self.environment not in ENVIRONMENTS:
            raise SettingsError(
                f"{PREFIX}ENVIRONMENT is {self.environment!r}; use one of {', '.join(ENVIRONMENTS)}"
            )
        problems: list[str | None] = []
        if not self.database_only:  # migrating a SQLite file is harmless; running on one is not
            sqlite = self.database_url is None
            problems += [
                database_problem(DATABASE_URL_ENV, sqlite=sqlite, environment=self.environment),
                secret_problem(
                    SALT_ENV, self.privacy_salt, default=DEFAULT_SALT, environment=self.environment
                ),
                secret_problem(
                    AUDIT_KEY_ENV,
                    self.audit_key,
                    default=DEFAULT_AUDIT_KEY,
                    environment=self.environment,
                ),
            ]
        problem = next((p for p in problems if p), None)
        if problem is not None:
            raise SettingsError(problem)

    def _check_database(self) -> None:
        if self.database_url is not None:
            scheme = urlsplit(self.database_url).scheme
            if scheme not in DATABASE_SCHEMES:
                raise SettingsError(
                    f"{DATABASE_URL_ENV} must start with postgresql://, not "
                    f"{scheme or 'no scheme'}:// (the SQLite file is {DB_ENV})"
                )
        if self.database_pool_min < 0 or self.database_pool_max < 1:
            raise SettingsError(
                f"{PREFIX}DATABASE_POOL_MIN must be 0 or more and {PREFIX}DATABASE_POOL_MAX "
                "1 or more"
            )
        if self.database_pool_min > self.database_pool_max:
            raise SettingsError(f"{PREFIX}DATABASE_POOL_MIN is above {PREFIX}DATABASE_POOL_MAX")
        if not self.database_pool_timeout > 0:
            raise SettingsError(f"{PREFIX}DATABASE_POOL_TIMEOUT must be above 0 seconds")

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, *, database_only: bool = False
    ) -> Settings:
        """Read settings from the environment (``os.environ`` unless given).

        With ``database_only`` (``migrate``) the secrets are neither needed nor checked.

        Raises:
            SettingsError: see :class:`Settings`; or a pool setting that is not a number.
        """
        env = os.environ if env is None else env
        return cls(
            input_path=Path(env.get(PREFIX + "INPUT", str(DEFAULT_INPUT))),
            output_dir=Path(env.get(PREFIX + "OUTPUT_DIR", "output")),
            audit_db=Path(env.get(DB_ENV, str(DEFAULT_DB))),
            privacy_salt=env.get(SALT_ENV) or DEFAULT_SALT,
            runner=os_account(),
            environment=env.get(PREFIX + "ENVIRONMENT") or DEFAULT_ENVIRONMENT,
            audit_key=env.get(AUDIT_KEY_ENV) or DEFAULT_AUDIT_KEY,
            database_only=database_only,
            code_version=env.get(PREFIX + "CODE_VERSION", "unknown"),
            database_url=env.get(DATABASE_URL_ENV) or None,
            database_pool_min=int(_number(env, "DATABASE_POOL_MIN", 1)),
            database_pool_max=int(_number(env, "DATABASE_POOL_MAX", 10)),
            database_pool_timeout=_number(env, "DATABASE_POOL_TIMEOUT", 30.0),
        )

    @property
    def salt(self) -> bytes:
        """Return the privacy salt as the key for :func:`.privacy.pseudonymise`."""
        return self.privacy_salt.encode("utf-8")

    def database_location(self) -> str:
        """The database URL when one is set, else the SQLite file's path (may hold a password)."""
        return self.database_url if self.database_url is not None else str(self.audit_db)

    @contextmanager
    def audit_log(self) -> Iterator[AuditStore]:
        """Open the audit log where these settings say, for the block; close it after.

        The SQLite file is made and migrated on the spot; a PostgreSQL database must have
        been migrated by ``<name> migrate``. Records from before the chain was keyed are
        sealed first (:meth:`.audit.AuditStore.seal`).

        Raises:
            DatabaseUnavailable: the PostgreSQL server cannot be reached.
            DatabaseNotMigrated: the PostgreSQL database lacks a migration.
            DatabaseRoleRefused: in production, the database role could change audit records.
        """
        database = open_database(self)
        try:
            if self.environment == "production":
                least_privilege(database)
            store = AuditStore(database, salt=self.privacy_salt, key=self.audit_key)
            store.seal()
            yield store
        finally:
            database.close()


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    """Read a numeric setting; a value that is not a (whole, for ``int``) number is refused."""
    raw = env.get(PREFIX + name, "").strip()
    if not raw:
        return default
    kind = "a whole number" if isinstance(default, int) else "a finite number"
    try:
        value = int(raw) if isinstance(default, int) else float(raw)
    except ValueError:
        raise SettingsError(f"{PREFIX}{name} is {raw!r}; give {kind}") from None
    if not math.isfinite(value):
        raise SettingsError(f"{PREFIX}{name} is {raw!r}; give {kind}")
    return value


def permission_for(action: str) -> str:
    """Return the permission ``action`` needs.

    Raises:
        AccessDenied: the action is unknown (deny by default).
    """
    try:
        return ACTIONS[action]
    except KeyError:
        raise AccessDenied(f"unknown action {action!r}: denied") from None


def authorize(identity: Identity, action: str) -> None:
    """Allow ``action`` only when the proven person's role holds its permission.

    Raises:
        AccessDenied: the action is unknown or the role lacks its permission.
    """
    permission = permission_for(action)
    if not project.allowed(identity.role, permission):
        raise AccessDenied(f"role {identity.role!r} of {identity.actor} may not {action}")


def authenticate(actor: str, action: str, *, stdin: TextIO | None = None) -> Identity:
    """Prove ``actor`` with their secret and check their role may do ``action``.

    Raises:
        AccessDenied: no credentials file, an unknown actor, a wrong secret, or a role
            without the action's permission.
    """
    return prove(actor, permission_for(action), stdin=stdin)


def os_account() -> str:
    """Return the OS account running this process, read from the OS (never a variable)."""
    if sys.platform == "win32":
        return getpass.getuser()
    import pwd

    uid = os.getuid()
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:  # a container user with no passwd entry
        return f"uid {uid}"
