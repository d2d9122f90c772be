"""Reading possibly broken spec data defensively: the review and the diff take drafts too."""

from __future__ import annotations

from typing import Any


def mapping(value: Any) -> dict[str, Any]:
    """Return ``value`` if it is a mapping, else an empty one."""
    return value if isinstance(value, dict) else {}


def items(value: Any) -> list[Any]:
    """Return ``value`` if it is a list, else an empty one."""
    return value if isinstance(value, list) else []


def mappings(value: Any) -> list[dict[str, Any]]:
    """Return the mappings of a list (other items and non-lists give nothing)."""
    return [item for item in items(value) if isinstance(item, dict)]


def strings(value: Any) -> list[str]:
    """Return the strings of a list (other items and non-lists give nothing)."""
    return [item for item in items(value) if isinstance(item, str)]
