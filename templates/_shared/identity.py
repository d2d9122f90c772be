"""Who is acting at the command line: an operator proven by a credential, never a variable.

Privileged commands (purging the audit log; in a pipeline also promoting, approving and
the kill switch) ask the operator for their secret and check it against the operators'
credentials file (:data:`OPERATORS_ENV`: ``{"actor": {"secret": "<hash>", "role": "..."}}``,
hashes made with ``python -m <package>.credentials``). The role must hold the permission
spec.yaml gives it (``users[].can``). An actor or role in an environment variable proves
nothing and is never read.

The secret is read from the terminal without echo, or, when standard input is not a
terminal (a scheduler), as the first line of standard input, piped from a secret store.
"""

from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path
from typing import TextIO

from . import project
from .credentials import CredentialError, Identity, identify, load_entries

OPERATORS_ENV = project.env_prefix() + "OPERATOR_CREDENTIALS"
"""The path of the operators' credentials file (outside the repository)."""


class AccessDenied(PermissionError):
    """The operator could not be proven, or their role lacks the permission."""


def operators_file() -> Path | None:
    """Return the configured operators' credentials file, if any."""
    value = os.environ.get(OPERATORS_ENV, "").strip()
    return Path(value) if value else None


def read_secret(prompt: str, stdin: TextIO | None = None) -> str:
    """Read a secret: without echo from a terminal, else the first line of standard input."""
    stream = stdin if stdin is not None else sys.stdin
    if stream.isatty():
        return getpass.getpass(prompt)
    return stream.readline().rstrip("\r\n")


def prove(actor: str, permission: str, *, stdin: TextIO | None = None) -> Identity:
    """Prove ``actor`` with their secret and check their role holds ``permission``.

    Raises:
        AccessDenied: no credentials file, an unknown actor, a wrong secret, or a role
            without the permission (the reason is given, never the secret).
    """
    try:
        entries = load_entries(operators_file())
        secret = read_secret(f"secret of {actor}: ", stdin)
        identity = identify(actor, secret, entries)
    except CredentialError as err:
        raise AccessDenied(f"{actor} could not be proven: {err}") from err
    if not project.allowed(identity.role, permission):
        raise AccessDenied(f"role {identity.role!r} of {actor} may not {permission}")
    return identity
