"""The only module that prints: results to stdout, errors to stderr."""

from __future__ import annotations

import os
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


def flush() -> None:
    """Send what is still buffered for standard output (so that a closed pipe shows now).

    Raises:
        BrokenPipeError: the reader of standard output has gone (``... | head -1``).
    """
    sys.stdout.flush()


def drop_closed_output() -> None:
    """After the reader of standard output has gone, send what is left nowhere.

    Python flushes standard output again at exit; pointed at ``os.devnull``, that flush
    neither fails nor prints a second error.
    """
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # no file descriptor behind stdout (a test's capture)
        pass
