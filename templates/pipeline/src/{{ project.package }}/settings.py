"""Settings from the environment, and access control for privileged acts.

Settings say where the pipeline reads and writes; they never say who is acting. A run is
unattended (a scheduler starts it): it claims no person and its records name the OS account
as the runner, under :data:`RUNNER_ROLE`, a role no spec role can be and which holds no
permission. Every privileged act is done by a person who proves who they are with their
secret (:func:`authenticate`, see :mod:`.identity`) and whose role holds the permission
:data:`ACTIONS` names for it in spec.yaml's ``users[].can``; an unknown act is denied.

Variables (all optional), each prefixed with :data:`PREFIX` (the package name in capitals
and ``_``; the README lists them by full name):

``ENVIRONMENT``    ``development`` (default), ``test``, ``staging`` or ``production``
``INPUT``          the extract to process (default: the sample data)
``OUTPUT_DIR``     where outputs go (default: ``output``)
``AUDIT_DB``       the audit database (default: ``var/audit.sqlite3``)
``PRIVACY_SALT``   key for pseudonyms; the default is refused outside development and test
``CODE_VERSION``   the deployed commit, recorded with each run

No variable names an actor or a role: such a variable proves nothing.
"""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from . import project
from .audit import DB_ENV, DEFAULT_DB, DEFAULT_SALT, SALT_ENV
from .credentials import Identity
from .identity import AccessDenied, prove

PREFIX = project.env_prefix()
ENVIRONMENTS = ("development", "test", "staging", "production")
DEFAULT_SALT_ENVIRONMENTS = frozenset({"development", "test"})
"""Where the published default privacy salt may be used; anywhere else pseudonyms would be
reversible by anyone who has read this code."""
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

__all__ = [
    "ACTIONS",
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
        SettingsError: an unknown environment, or the default privacy salt outside
            development and test.
    """

    input_path: Path
    output_dir: Path
    audit_db: Path
    privacy_salt: str
    runner: str
    environment: str = "development"
    code_version: str = "unknown"

    def __post_init__(self) -> None:
        """Refuse an unknown environment and the default salt where it is not allowed."""
        if self.environment not in ENVIRONMENTS:
            raise SettingsError(
                f"{PREFIX}ENVIRONMENT is {self.environment!r}; use one of {', '.join(ENVIRONMENTS)}"
            )
        if self.environment not in DEFAULT_SALT_ENVIRONMENTS and self.privacy_salt == DEFAULT_SALT:
            raise SettingsError(
                f"set {SALT_ENV} from the secret store: the default salt is for development "
                f"and tests only, not for {self.environment}"
            )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read settings from the environment (``os.environ`` unless given).

        Raises:
            SettingsError: see :class:`Settings`.
        """
        env = os.environ if env is None else env
        return cls(
            input_path=Path(env.get(PREFIX + "INPUT", str(DEFAULT_INPUT))),
            output_dir=Path(env.get(PREFIX + "OUTPUT_DIR", "output")),
            audit_db=Path(env.get(DB_ENV, str(DEFAULT_DB))),
            privacy_salt=env.get(SALT_ENV) or DEFAULT_SALT,
            runner=os_account(),
            environment=env.get(PREFIX + "ENVIRONMENT") or "development",
            code_version=env.get(PREFIX + "CODE_VERSION", "unknown"),
        )

    @property
    def salt(self) -> bytes:
        """Return the privacy salt as the key for :func:`.privacy.pseudonymise`."""
        return self.privacy_salt.encode("utf-8")


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
