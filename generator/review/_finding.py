"""What a readiness rule finds: one problem, how serious, where, and what to change."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

Severity = Literal["blocker", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("blocker", "warning", "info")


@dataclass(frozen=True)
class Finding:
    """One problem found in a spec: which rule, how serious, where, and what to change."""

    rule: str
    severity: Severity
    path: str
    message: str
    question: str | None = None
    line: int | None = None


Rule = Callable[[dict[str, Any]], Iterator[Finding]]
"""A readiness rule: spec data (possibly a draft) in, findings out."""
