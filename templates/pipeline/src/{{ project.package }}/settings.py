"""Settings and access control, from the environment only (nothing secret in the repo).

Every action is checked against :data:`PERMISSIONS`; a role that is not listed is denied.
The scheduler runs as the built-in ``operator`` role; people act under the roles from
spec.yaml. Variables (all optional), each prefixed with :data:`PREFIX` (the package name
in capitals and ``_``; the README lists them by full name):

``INPUT``          the extract to process (default: the sample data)
``OUTPUT_DIR``     where outputs go (default: ``output``)
``AUDIT_DB``       the audit database (default: ``var/audit.sqlite3``)
``PRIVACY_SALT``   key for pseudonyms in records (set it in production)
``ACTOR``          who is acting (default: the OS user)
``ROLE``           their role (default: ``operator``)
``CODE_VERSION``   the deployed commit, recorded with each run
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from . import project
from .audit import DB_ENV, DEFAULT_DB, DEFAULT_SALT, SALT_ENV

PREFIX = project.env_prefix()
OPERATOR = "operator"
ADMIN = project.admin_role()
SPEC_ROLES = frozenset(project.roles())
ROLES = SPEC_ROLES | {OPERATOR, ADMIN}
PERMISSIONS: dict[str, frozenset[str]] = {
    "run": frozenset({OPERATOR, ADMIN}),
    "promote": SPEC_ROLES | {ADMIN},
    "audit-verify": ROLES,
    "audit-purge": frozenset({ADMIN}),
    "contest": ROLES,
    "kill-switch": SPEC_ROLES | {ADMIN},
}
DEFAULT_INPUT = Path("data/sample/sample.csv")


class AccessDenied(PermissionError):
    """The acting role may not perform the action."""


@dataclass(frozen=True)
class Settings:
    """Where the pipeline reads and writes, and who is acting."""

    input_path: Path
    output_dir: Path
    audit_db: Path
    privacy_salt: str
    actor: str
    role: str
    code_version: str

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read settings from the environment (``os.environ`` unless given)."""
        env = os.environ if env is None else env
        return cls(
            input_path=Path(env.get(PREFIX + "INPUT", str(DEFAULT_INPUT))),
            output_dir=Path(env.get(PREFIX + "OUTPUT_DIR", "output")),
            audit_db=Path(env.get(DB_ENV, str(DEFAULT_DB))),
            privacy_salt=env.get(SALT_ENV, DEFAULT_SALT),
            actor=env.get(PREFIX + "ACTOR") or _os_user(),
            role=env.get(PREFIX + "ROLE", OPERATOR),
            code_version=env.get(PREFIX + "CODE_VERSION", "unknown"),
        )


def authorize(settings: Settings, action: str) -> None:
    """Allow the action only if the acting role holds it; deny by default.

    Raises:
        AccessDenied: the role is unknown or lacks the permission.
    """
    if settings.role not in PERMISSIONS.get(action, frozenset()):
        raise AccessDenied(f"role {settings.role!r} may not {action}")


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
