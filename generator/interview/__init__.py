"""The interview: asks for a spec section by section and writes it, losing no answer.

Public on purpose: ``run_interview`` and its ``InterviewResult``, the ``Prompt`` protocol
through which every question is asked (a ``Request`` keyed by the field it answers, so
tests can answer by key), the terminal's own ``TerminalPrompt``, and ``Question`` and
``Option``, what a request carries; everything else is used only inside this package. Its
errors, ``InterviewInterrupted`` and ``InterviewStopped``, live in ``generator.errors``.
"""

from generator.interview.prompts import Option, Prompt, Question, Request, TerminalPrompt
from generator.interview.session import DEFAULT_SPEC, InterviewResult, run_interview

__all__ = [
    "DEFAULT_SPEC",
    "InterviewResult",
    "Option",
    "Prompt",
    "Question",
    "Request",
    "TerminalPrompt",
    "run_interview",
]
