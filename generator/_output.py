"""The only module that prints: results to stdout, errors to stderr."""

from __future__ import annotations

import sys


def out(text: str) -> None:
    """Print a result line (or block) on standard output."""
    print(text)


def err(text: str) -> None:
    """Print a message on standard error."""
    print(text, file=sys.stderr)


def error(message: str) -> None:
    """Show a GeneratorError the way users see every error: ``Error: ...``."""
    lines = message.splitlines() or [""]
    if len(lines) == 1:
        err(f"Error: {lines[0]}")
    else:
        for line in lines:
            err(line)
