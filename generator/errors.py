"""The GeneratorError family: every error a user can cause, each with its exit code.

The whole family lives here, so that one look shows what can go wrong and with which exit
code. Standard library only: the wheel's build hook imports this module (through the
template bundle) before the package's dependencies exist.
"""

from __future__ import annotations

__all__ = [
    "BundleError",
    "CatalogError",
    "DirtyTreeError",
    "EvidenceError",
    "GeneratorError",
    "GitError",
    "InterviewInterrupted",
    "InterviewStopped",
    "NotReadyError",
    "ProjectError",
    "RenderError",
    "SpecError",
    "UsageError",
]


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


class GitError(GeneratorError):
    """A git command failed or git is missing; callers add what they were doing."""


class BundleError(GeneratorError):
    """The template bundle (the template history shipped in the wheel) could not be built."""


class CatalogError(GeneratorError):
    """The catalogue data file is broken: a bug in the package, reported plainly."""


class ProjectError(GeneratorError):
    """A folder is not a generated repository that can be read or updated; nothing changed."""


class DirtyTreeError(ProjectError):
    """The working tree has changes; an update would mix them with the template's."""


class EvidenceError(GeneratorError):
    """The evidence pack cannot be built or verified; nothing was written."""

    exit_code = 1


class InterviewInterrupted(GeneratorError):
    """The person pressed Ctrl-C; the answers so far are in the draft."""

    exit_code = 130


class InterviewStopped(InterviewInterrupted):
    """The person chose to stop at the verdict of a spec that is not ready; the draft is kept."""

    exit_code = 1
