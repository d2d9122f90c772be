"""Credentials people prove who they are with: salted, slow hashes, checked in constant time.

Used for what an API token or a JWT must not stand in for: a person at a command line
(the pipeline's operators, the audit log's privileged commands) and an electronic
signature (21 CFR 11.200: a signing credential of its own). Only hashes are configured,
in a JSON file outside the repository; a secret is never stored, logged or compared by
plain equality.

Make a hash with ``python -m <package>.credentials`` (it asks for the secret twice).
"""

from __future__ import annotations

import getpass
import hashlib
import hmac
import json
import secrets
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEME = "pbkdf2_sha256"
ITERATIONS = 600_000
"""PBKDF2-SHA256 rounds (OWASP's 2023 recommendation): slow enough to make guessing costly."""
MIN_SECRET_LENGTH = 12


class CredentialError(PermissionError):
    """A credential is missing, malformed, or does not match."""


@dataclass(frozen=True)
class Identity:
    """A person proven by their credential: who, and under which role."""

    actor: str
    role: str


def hash_secret(secret: str, *, salt: str | None = None, iterations: int = ITERATIONS) -> str:
    """Return a storable salted PBKDF2-SHA256 hash of ``secret``.

    Raises:
        CredentialError: the secret is shorter than :data:`MIN_SECRET_LENGTH`.
    """
    if len(secret) < MIN_SECRET_LENGTH:
        raise CredentialError(f"a secret needs at least {MIN_SECRET_LENGTH} characters")
    salt = salt or secrets.token_hex(16)
    digest = hashlib.pbkdf2_hmac("sha256", secret.encode("utf-8"), salt.encode("ascii"), iterations)
    return f"{SCHEME}${iterations}${salt}${digest.hex()}"


def check_secret(secret: str, stored: str) -> bool:
    """Tell whether ``secret`` matches a hash made by :func:`hash_secret` (constant time)."""
    try:
        scheme, rounds, salt, expected = stored.split("$")
        iterations = int(rounds)
    except ValueError:
        return False
    if scheme != SCHEME or iterations < 1:
        return False
    digest = hashlib.pbkdf2_hmac("sha256", secret.encode("utf-8"), salt.encode("ascii"), iterations)
    return hmac.compare_digest(digest.hex(), expected)


def load_entries(path: Path | None) -> dict[str, dict[str, Any]]:
    """Read a credentials file: ``{"actor": {"secret": "<hash>", "role": "..."}}``.

    Raises:
        CredentialError: the file is missing, unreadable or not shaped like that.
    """
    if path is None:
        raise CredentialError("no credentials file is configured")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise CredentialError(f"cannot read the credentials file {path}: {err}") from err
    if not isinstance(data, Mapping) or not all(
        isinstance(v, Mapping) and isinstance(v.get("secret"), str) for v in data.values()
    ):
        raise CredentialError(f"{path}: expected a mapping of each actor to its secret and role")
    return {str(actor): dict(entry) for actor, entry in data.items()}


def identify(actor: str, secret: str, entries: Mapping[str, Mapping[str, Any]]) -> Identity:
    """Prove ``actor`` with ``secret`` against configured entries.

    Every attempt costs one slow hash, whether or not the actor exists, so a wrong name
    cannot be told from a wrong secret by timing.

    Raises:
        CredentialError: unknown actor or wrong secret (one message for both).
    """
    entry = entries.get(actor)
    stored = str(entry["secret"]) if entry is not None else hash_secret("x" * MIN_SECRET_LENGTH)
    if entry is None or not check_secret(secret, stored):
        raise CredentialError("unknown actor or wrong secret")
    return Identity(actor=actor, role=str(entry.get("role", "")))


def main() -> int:
    """Print the hash of a secret typed twice, for a credentials file."""
    first = getpass.getpass("secret: ")
    if first != getpass.getpass("again: "):
        sys.stderr.write("error: the two entries differ\n")
        return 2
    try:
        sys.stdout.write(hash_secret(first) + "\n")
    except CredentialError as err:
        sys.stderr.write(f"error: {err}\n")
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
