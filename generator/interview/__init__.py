"""The interview: asks for a spec section by section and writes it, losing no answer.

Public on purpose: ``run_interview`` and its ``InterviewResult``, the ``Prompt`` protocol
through which every question is asked (tests answer by question key), and the terminal's
own ``TerminalPrompt``; everything else is used only inside this package. Its errors,
``InterviewInterrupted`` and ``InterviewStopped``, live in ``generator.errors``.
"""

from generator.interview.session import DEFAULT_SPEC, InterviewResult, run_interview

__all__ = ["DEFAULT_SPEC", "InterviewResult", "run_interview"]
