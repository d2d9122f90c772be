"""The interview: asks for a spec section by section and writes it, losing no answer.

Public on purpose: ``run_interview`` and its ``InterviewResult``, the ``Prompt`` protocol
through which every question is asked (a ``Request`` keyed by the field it answers, so
tests can answer by key), the terminal's own ``TerminalPrompt``, ``Question`` and
``Option``, what a request carries, ``hint``, the one hint a question shows, and ``BACK``,
the answer that goes back to the previous question; everything else is used only inside
this package. Its errors, ``InterviewInterrupted`` and ``InterviewStopped``, live in
``generator.errors``.
"""

from generator.interview.prompts import (
    BACK,
    Option,
    Prompt,
    Question,
    Request,
    TerminalPrompt,
    hint,
)
from generator.interview.session import DEFAULT_SPEC, InterviewResult, run_interview

__all__ = [
    "BACK",
    "DEFAULT_SPEC",
    "InterviewResult",
    "Option",
    "Prompt",
    "Question",
    "Request",
    "TerminalPrompt",
    "hint",
    "run_interview",
]
