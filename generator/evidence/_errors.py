"""The evidence subsystem's error: one line, exit code 1, nothing half-written."""

from __future__ import annotations

from generator.errors import GeneratorError


class EvidenceError(GeneratorError):
    """The evidence pack cannot be built or verified; nothing was written."""

    exit_code = 1
