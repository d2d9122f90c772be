"""How a question is put: ``Question``, the ``Prompt`` protocol, and the terminal's own.

The questions about the spec come from the spec model (each field's ``Doc``, see
``_fields``); only the questions about the interview itself (``CONTROL``) are written here.
Every question goes through a ``Prompt`` as a ``Request`` keyed like the field it answers
(``users.*.role``: ``*`` stands for a list index; ``users.more``, ``budget.offer`` and
``control.resume`` for the questions around them), so that tests can answer by key.
``TerminalPrompt`` asks a person, and this module is the only code that uses the terminal.
Checking answers is not done here: a request carries a ``check`` callable built from the
spec model (see ``_checks``).

A suggested text answer is never pre-filled text that typing would append to: it is shown
greyed in the empty answer, Enter takes it, typing replaces it, and Tab puts it in the line
to edit it. After a refused answer, the up arrow brings that answer back to correct it.
``<`` (typed as the answer, or pressed in a choice), or the up arrow on an empty answer,
answers ``BACK``: the interview goes back to the previous question. Every question shows one
hint, composed by :func:`hint` from what the question says the answer is and how it is
given, so that two hints never contradict each other.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal, Protocol

from generator.errors import UsageError

QuestionKind = Literal["text", "number", "select", "checkbox", "confirm"]
Check = Callable[[Any], str | None]

NONE_ANSWER = "-"
"""Typed for an optional question that suggests an answer: none, instead of the suggestion."""
BACK_ANSWER = "<"
"""Typed as an answer (or pressed in a choice): go back to the previous question."""
WHEN_DONE = "when done"
"""What an empty answer means for one item of a list: the list is complete."""


class _Back:
    """The answer that asks for the previous question again (a single instance: ``BACK``)."""

    def __repr__(self) -> str:
        return "BACK"


BACK: Any = _Back()
"""Returned by ``Prompt.ask`` when the person wants to go back to the previous question."""
_BACK_RESULT = "\0back"
"""What a choice's application returns when ``<`` is pressed (no option has this value)."""


@dataclass(frozen=True)
class Option:
    """One choice of a select or checkbox question."""

    value: str
    title: str
    description: str = ""


@dataclass(frozen=True)
class Question:
    """One question: what is asked, a short instruction, and how the answer is read."""

    message: str
    instruction: str = ""
    kind: QuestionKind = "text"
    options: tuple[Option, ...] = ()
    optional: bool = False
    """An empty answer means "none" (returned as None) instead of being checked."""
    empty: str = "for none"
    """What an empty answer to an optional question means, after "leave empty": ``for
    none``, ``if unknown`` (a null that is an answer), ``for the default, 365`` (what a
    generated repository assumes), ``when done`` (one item of a list)."""


def _options(*items: tuple[str, str, str]) -> tuple[Option, ...]:
    return tuple(Option(value, title, description) for value, title, description in items)


CONTROL = {
    "resume": Question("Resume where you left off?", kind="confirm"),
    "start_from_target": Question("Start from it and change only what you need?", kind="confirm"),
    "change": Question(
        "Which parts do you want to change?",
        "select nothing to keep everything",
        kind="checkbox",
    ),
    "keep_list": Question("Keep these as they are?", kind="confirm"),
    "item_action": Question(
        "Keep, edit or remove it?",
        kind="select",
        options=_options(("keep", "keep", ""), ("edit", "edit", ""), ("remove", "remove", "")),
    ),
    "overwrite": Question("Replace it with the new spec?", kind="confirm"),
    "verdict": Question("What now?", kind="select"),
    "section": Question("Which section do you want to revisit?", kind="select"),
}
"""Questions about the interview itself rather than the spec (keyed ``control.<key>``)."""


@dataclass(frozen=True)
class Request:
    """One question put to the person, with all it needs to be answered and checked."""

    key: str
    """What is asked: the field's path (``users.*.role``), or a question around one
    (``users.more``, ``operating_boundary.offer``, ``regulatory.regimes.empty``), or
    ``control.<key>`` for a question about the interview itself."""
    question: Question
    """The wording with run-time details filled in, the hint and the options."""
    default: Any = None
    """The answer offered: a suggestion Enter takes, the option pre-selected, the options
    pre-checked, or a confirm's default."""
    check: Check | None = None
    """Returns why an answer is not acceptable, or None when it is."""
    loc: tuple[str | int, ...] = ()
    """Where the answer goes in the spec (``("users", 0, "role")``), for field questions."""


class Prompt(Protocol):
    """Puts questions to someone and shows them lines: the interview's only way out."""

    def ask(self, request: Request) -> Any:
        """Return an answer that passes ``request.check`` (None for an optional "none").

        ``BACK`` (never checked) asks for the previous question instead.

        Raises:
            KeyboardInterrupt: the person gave up (Ctrl-C).
        """
        ...

    def say(self, text: str, style: str = "") -> None:
        """Show one line (a section's heading, why an answer was refused, the verdict)."""
        ...


class TerminalPrompt:
    """The person at the terminal, through questionary and prompt_toolkit."""

    def ask(self, request: Request) -> Any:
        """Ask until the answer passes the request's check; see :func:`ask`."""
        return ask(request.question, default=request.default, check=request.check)

    def say(self, text: str, style: str = "") -> None:
        """Show one line on the terminal."""
        say(text, style)


# --- the terminal ------------------------------------------------------------------------


def require_terminal() -> None:
    """Refuse at once when nobody can answer: standard input is not a terminal.

    Raises:
        UsageError: standard input is a pipe, a file or closed.
    """
    stdin = sys.stdin
    if stdin is None or stdin.closed or not stdin.isatty():
        raise UsageError(
            "the interview needs a terminal, and standard input is not one; give a spec "
            "file instead: `new-ai-project new DEST --spec FILE` (start from specs/ in the "
            "repository, check it with `new-ai-project spec validate FILE`)"
        )


def say(text: str, style: str = "") -> None:
    """Show a line of the interview (section intros, reasons an answer was refused)."""
    from prompt_toolkit import print_formatted_text
    from prompt_toolkit.formatted_text import FormattedText

    print_formatted_text(FormattedText([(style, text)]))


class Say(Protocol):
    """Anything that shows lines: a ``Prompt``, or the interview (which may keep them back)."""

    def say(self, text: str, style: str = "") -> None:
        """Show one line."""
        ...


def heading(prompt: Say, title: str, intro: str) -> None:
    """Open a section: a blank line, its title and one line on why it is asked."""
    prompt.say("")
    prompt.say(f"── {title} ──", "bold")
    if intro:
        prompt.say(intro, "italic")


def hint(question: Question, *, suggested: bool = False, recalled: bool = False) -> str:
    """The one hint shown with a question: what the answer is, then how to give it.

    What the answer is comes from the question (the field's hint and example); how to give
    it from the kind of question, whether it is optional and what an empty answer then
    means, and whether an answer is suggested. How to leave an answer empty is said here
    only, so a field's own hint saying it too is dropped rather than contradicted; a clause
    said twice is said once; no clause ends in a stray full stop.

    Args:
        question: the question, with its instruction (what the answer is).
        suggested: an answer is offered (greyed, for Enter to take).
        recalled: an answer was refused and the up arrow brings it back.
    """
    clauses = [
        clause
        for clause in _clauses(question.instruction)
        if not clause.lower().startswith(("leave empty", "enter takes", "tab edits"))
    ]
    if question.kind in ("text", "number"):
        if question.optional and question.empty == WHEN_DONE:
            clauses = ["one per answer", *clauses, "leave empty when done"]
        elif suggested:
            clauses.append("Enter takes the grey suggestion, Tab edits it")
            if question.optional:
                clauses.append(f"{NONE_ANSWER} {question.empty}")
        elif question.optional:
            clauses.append(f"leave empty {question.empty}")
        if recalled:
            clauses.append("↑ brings back your answer")
    elif question.kind == "select":
        clauses.append("arrow keys, then Enter")
    elif question.kind == "checkbox":
        clauses.append("Space to select, Enter to confirm")
    unique: list[str] = []
    for clause in clauses:
        if clause.lower() not in (seen.lower() for seen in unique):
            unique.append(clause)
    return "; ".join(unique)


def _clauses(text: str) -> list[str]:
    """The clauses of a hint, without empty ones or the full stops that end them."""
    return [c.strip().rstrip(".").strip() for c in text.split(";") if c.strip().rstrip(".")]


STYLES = {
    "heading": "bold",
    "blocker": "fg:ansired",
    "warning": "fg:ansiyellow",
    "info": "fg:ansiblue",
    "ready": "fg:ansigreen bold",
    "not-ready": "fg:ansired bold",
}
"""How the verdict's lines are shown, by the kind of line."""


def show(prompt: Say, lines: Sequence[tuple[str, str]]) -> None:
    """Show lines tagged with what they are (``STYLES`` keys; other tags are shown plainly)."""
    for kind, text in lines:
        prompt.say(text, STYLES.get(kind, ""))


def _read_number(text: str) -> Any:
    """Read a typed number; anything else is returned as text for the check to refuse."""
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text


def ask(
    question: Question,
    *,
    default: Any = None,
    check: Check | None = None,
    options: Sequence[Option] | None = None,
    message: str | None = None,
    instruction: str | None = None,
) -> Any:
    """Ask one question until the answer passes ``check``; show the reason when it does not.

    Args:
        question: what to ask.
        default: the answer offered: a suggestion Enter takes and typing replaces (text and
            numbers), the option pre-selected, or the options pre-checked.
        check: returns why an answer is not acceptable, or None when it is.
        options: choices computed at run time (overrides ``question.options``).
        message: the question's wording with run-time details (overrides ``question.message``).
        instruction: a run-time hint (overrides ``question.instruction``).

    Returns:
        str, int/float, None (an optional question left empty), list[str], bool, or
        ``BACK`` (the person asked for the previous question).

    Raises:
        KeyboardInterrupt: the person pressed Ctrl-C (or Ctrl-D).
    """
    recall: str | None = None
    while True:
        answer = _ask_once(question, default, options, message, instruction, recall)
        if answer is BACK:
            say("  ↩ back to the previous question", "fg:ansicyan")
            return BACK
        problem = check(answer) if check is not None else None
        if problem is None:
            return answer
        say(f"  ✗ {problem}", "fg:ansired")
        if question.kind not in ("text", "number"):
            default = answer
        elif answer is not None:
            recall = _as_text(answer)  # the suggestion stays; the up arrow recalls the answer


def _ask_once(
    question: Question,
    default: Any,
    options: Sequence[Option] | None,
    message: str | None,
    instruction: str | None,
    recall: str | None = None,
) -> Any:
    import questionary

    text = message or question.message
    if instruction is not None:
        question = replace(question, instruction=instruction)
    choices = options if options is not None else question.options
    if question.kind == "confirm":
        shown = hint_of(question)
        prompt = questionary.confirm(
            text, default=bool(default), instruction=_confirm_hint(bool(default), shown)
        )
        answer = _with_back(prompt).unsafe_ask()
        if answer is None:  # Ctrl-C inside questionary's own handler
            raise KeyboardInterrupt
        return BACK if answer == _BACK_RESULT else bool(answer)
    if question.kind == "select":
        select_choices = [
            questionary.Choice(o.title, value=o.value, description=o.description or None)
            for o in choices
        ]
        fallback = default if any(o.value == default for o in choices) else None
        answer = _with_back(
            questionary.select(
                text, select_choices, default=fallback, instruction=hint_of(question)
            )
        ).unsafe_ask()
        if answer is None:
            raise KeyboardInterrupt
        return BACK if answer == _BACK_RESULT else answer
    if question.kind == "checkbox":
        chosen = set(default or ())
        box_choices = [
            questionary.Choice(
                o.title, value=o.value, checked=o.value in chosen, description=o.description or None
            )
            for o in choices
        ]
        answer = _with_back(
            questionary.checkbox(text, box_choices, instruction=hint_of(question))
        ).unsafe_ask()
        if answer is None:
            raise KeyboardInterrupt
        if answer == _BACK_RESULT:
            return BACK
        chosen_values = list(answer)
        say(f"  → {', '.join(chosen_values) if chosen_values else 'none'}", "fg:ansicyan")
        return chosen_values
    suggestion = "" if default is None else _as_text(default)
    shown = hint_of(question, suggested=bool(suggestion), recalled=bool(recall))
    typed = _text_prompt(text, shown, suggestion, recall)
    if typed == BACK_ANSWER:
        return BACK
    if not typed or (question.optional and suggestion and typed == NONE_ANSWER):
        return None if question.optional else ""
    return _read_number(typed) if question.kind == "number" else typed


def hint_of(question: Question, *, suggested: bool = False, recalled: bool = False) -> str | None:
    """The hint as the terminal shows it: in brackets after the question, or nothing."""
    text = hint(question, suggested=suggested, recalled=recalled)
    return f"({text})" if text else None


def _with_back(question: Any) -> Any:
    """Let ``<`` in a questionary choice or yes/no question answer ``BACK``."""
    from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent, merge_key_bindings

    keys = KeyBindings()

    @keys.add(BACK_ANSWER, eager=True)
    def _back(event: KeyPressEvent) -> None:
        event.app.exit(result=_BACK_RESULT)

    application = question.application
    application.key_bindings = merge_key_bindings([application.key_bindings, keys])
    return question


def _text_prompt(text: str, shown: str | None, suggestion: str, recall: str | None) -> str:
    """Read one line; an empty line takes ``suggestion``, shown greyed until typing starts.

    The up arrow on an empty line brings back a refused answer (``recall``), or else goes
    back to the previous question.
    """
    import questionary
    from prompt_toolkit.formatted_text import FormattedText
    from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent

    keys = KeyBindings()

    @keys.add("enter", eager=True)
    def _accept(event: KeyPressEvent) -> None:
        buffer = event.current_buffer
        if not buffer.text.strip() and suggestion:
            buffer.text = suggestion  # so that the echoed answer shows what was taken
        buffer.validate_and_handle()

    @keys.add("tab")
    def _edit(event: KeyPressEvent) -> None:
        if not event.current_buffer.text:
            event.current_buffer.insert_text(suggestion)

    @keys.add("up")
    def _recall(event: KeyPressEvent) -> None:
        if event.current_buffer.text:
            return
        if recall:
            event.current_buffer.insert_text(recall)
        else:
            event.app.exit(result=BACK_ANSWER)

    typed = questionary.text(
        text,
        instruction=shown,
        placeholder=FormattedText([("fg:ansibrightblack", suggestion)]) if suggestion else None,
        key_bindings=keys,
    ).unsafe_ask()
    if typed is None:
        raise KeyboardInterrupt
    return str(typed).strip()


def _as_text(value: Any) -> str:
    """Show a number as typed (``4``, not ``4.0``)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _confirm_hint(default: bool, instruction: str | None) -> str:
    """Put the y/n hint after the explanation, as questionary shows it for confirms."""
    hint = "(Y/n)" if default else "(y/N)"
    return f"{instruction} {hint} " if instruction else f"{hint} "
