"""The interview: asks for a spec section by section and writes it, losing no answer.

Public on purpose: ``run_interview``, its ``InterviewResult``, ``InterviewInterrupted`` and
``InterviewStopped``; everything else is used only inside this package.
"""

from generator.interview.session import (
    DEFAULT_SPEC,
    InterviewInterrupted,
    InterviewResult,
    InterviewStopped,
    run_interview,
)

__all__ = [
    "DEFAULT_SPEC",
    "InterviewInterrupted",
    "InterviewResult",
    "InterviewStopped",
    "run_interview",
]
