"""A prompt that answers the interview's questions by key, for tests that need no terminal.

Every question reaches the interview's ``Prompt`` as a ``Request`` keyed by the field it
answers (``users.*.role``), by a question around one (``users.more``, ``budget.offer``,
``regulatory.regimes.empty``) or ``control.<key>``. ``ScriptedPrompt`` answers from a
script of such keys; a key given a ``Each`` answers its questions in turn, ``BACK`` among
them goes back to the previous question, ``CTRL_C`` interrupts the interview and ``OFFERED``
takes what it offers. An unscripted question takes what the
interview offers (a suggestion, a confirm's default, the first choice), and an optional one
with nothing offered is left empty. An answer the request's check refuses fails the test
with the reason, unless the script gives another to try; a question asked more than
``MAX_ASKED`` times fails the test (the interview would loop).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from generator.interview import BACK, Request

MAX_ASKED = 200
"""More questions of one key than any scripted interview asks: the interview loops."""


class _Interrupt:
    """Scripted as an answer: the person presses Ctrl-C at that question."""

    def __repr__(self) -> str:
        return "CTRL_C"


CTRL_C: Any = _Interrupt()
"""An answer that raises KeyboardInterrupt, as Ctrl-C at the terminal does."""


class _Offered:
    """Scripted as an answer: the person presses Enter on what the question offers."""

    def __repr__(self) -> str:
        return "OFFERED"


OFFERED: Any = _Offered()
"""An answer, in an ``Each``, that takes what the interview offers (its suggestion)."""


@dataclass
class Each:
    """Answers for a question asked several times (list entries, list items), in order."""

    answers: list[Any]


@dataclass
class ScriptedPrompt:
    """Answers by question key; records what was asked and said."""

    script: Mapping[str, Any] = field(default_factory=dict)
    asked: list[Request] = field(default_factory=list)
    said: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    """The reasons checks gave for refused scripted answers."""
    _used: dict[str, int] = field(default_factory=dict)

    def ask(self, request: Request) -> Any:
        """Answer from the script, else take what is offered; check it like the terminal."""
        self.asked.append(request)
        if sum(1 for r in self.asked if r.key == request.key) > MAX_ASKED:
            raise AssertionError(f"{request.key}: asked over {MAX_ASKED} times, a loop")
        while True:
            answer = self._next(request)
            if answer is CTRL_C:
                raise KeyboardInterrupt
            if answer is BACK:
                return BACK
            problem = request.check(answer) if request.check else None
            if problem is None:
                return answer
            self.refused.append(f"{request.key}: {problem}")
            if not self._has_more(request.key):
                raise AssertionError(f"{request.key}: {answer!r} refused: {problem}")

    def say(self, text: str, style: str = "") -> None:  # noqa: ARG002 - the Prompt protocol; style is the terminal's
        """Record a line the interview shows."""
        self.said.append(text)

    def questions(self, key: str) -> list[str]:
        """The wording of every question asked with ``key``."""
        return [r.question.message for r in self.asked if r.key == key]

    def asked_keys(self) -> list[str]:
        """The key of every question asked, in order."""
        return [r.key for r in self.asked]

    def _has_more(self, key: str) -> bool:
        scripted = self.script.get(key)
        return isinstance(scripted, Each) and self._used.get(key, 0) < len(scripted.answers)

    def _next(self, request: Request) -> Any:
        key = request.key
        if key in self.script:
            scripted = self.script[key]
            if not isinstance(scripted, Each):
                return scripted
            used = self._used.get(key, 0)
            self._used[key] = used + 1
            if used < len(scripted.answers) and scripted.answers[used] is not OFFERED:
                return scripted.answers[used]
        return _offered(request)


def _offered(request: Request) -> Any:
    """What Enter would take: the suggestion, the default, or the first choice."""
    question = request.question
    if question.kind == "confirm":
        return bool(request.default)
    if question.kind == "checkbox":
        return list(request.default or [])
    if question.kind == "select":
        values = [o.value for o in question.options]
        return request.default if request.default in values else (values[0] if values else None)
    if request.default is not None:
        return request.default
    if question.optional:
        return None
    raise AssertionError(
        f"{request.key}: nothing scripted and nothing offered for a required question"
    )
