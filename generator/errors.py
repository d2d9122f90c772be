"""The GeneratorError family: every error a user can cause, each with its exit code."""

from __future__ import annotations


class GeneratorError(Exception):
    """An error the user can act on; shown as one line without a traceback."""

    exit_code = 1


class UsageError(GeneratorError):
    """The command was called wrongly (missing argument, conflicting options)."""

    exit_code = 2


class SpecError(GeneratorError):
    """A spec file is not acceptable; carries one line per problem."""

    exit_code = 1

    def __init__(self, lines: list[str]) -> None:
        """Keep every problem line; the message is all of them, one per line."""
        self.lines = lines
        super().__init__("\n".join(lines))


class RenderError(GeneratorError):
    """A project could not be rendered; nothing was written to the destination."""

    exit_code = 1


class NotReadyError(RenderError):
    """A spec with blocking findings was to be rendered without ``--draft``; nothing was written."""

    exit_code = 1
