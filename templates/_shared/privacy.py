"""Privacy helpers: personal data is pseudonymised and secrets are redacted before writing.

Records (audit log, decision store, run records) never hold a raw identifier of a person
or a secret: identifiers go through :func:`pseudonymise` (a keyed HMAC, so the same person
maps to the same pseudonym without being recoverable without the key) and structured
values go through :func:`redact`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

SECRET_MARKERS = (
    "password",
    "passwd",
    "secret",
    "token",
    "api_key",
    "apikey",
    "authorization",
    "credential",
    "private_key",
    "cookie",
)
"""Keys whose values are never written: matched case-insensitively as substrings."""

REDACTED = "[redacted]"
PSEUDONYM_PREFIX = "ps_"


def pseudonymise(value: str, salt: bytes) -> str:
    """Return a stable pseudonym for a personal identifier (HMAC-SHA-256 with ``salt``)."""
    digest = hmac.new(salt, value.encode("utf-8"), hashlib.sha256).hexdigest()
    return f"{PSEUDONYM_PREFIX}{digest[:32]}"


def fingerprint(data: Any) -> str:
    """Return the SHA-256 of a JSON-able value in canonical form (sorted keys, UTF-8)."""
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def is_secret_key(name: str) -> bool:
    """Tell whether a key names a secret (password, token, API key, ...)."""
    lowered = name.lower().replace("-", "_")
    return any(marker in lowered for marker in SECRET_MARKERS)


def redact(value: Any) -> Any:
    """Return ``value`` with the values of secret-looking keys replaced, recursively."""
    if isinstance(value, Mapping):
        return {
            str(key): REDACTED if is_secret_key(str(key)) else redact(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact(item) for item in value]
    return value
