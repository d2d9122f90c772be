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
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from generator.errors import UsageError

QuestionKind = Literal["text", "number", "select", "checkbox", "confirm"]
Check = Callable[[Any], str | None]

NONE_ANSWER = "-"
"""Typed for an optional question that suggests an answer: none, instead of the suggestion."""


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


def _options(*items: tuple[str, str, str]) -> tuple[Option, ...]:
    return tuple(Option(value, title, description) for value, title, description in items)


CONTROL = {
    "resume": Question("Resume where you left off?", kind="confirm"),
    "start_from_target": Question("Start from it and change only what you need?", kind="confirm"),
    "change": Question(
        "Which parts do you want to change?",
        "Space to select, Enter to confirm; select nothing to keep everything",
        kind="checkbox",
    ),
    "keep_list": Question("Keep these as they are?", kind="confirm"),
    "item_action": Question(
        "Keep, edit or remove it?",
        kind="select",
        options=_options(("keep", "keep", ""), ("edit", "edit", ""), ("remove", "remove", "")),
    ),
    "overwrite": Question("Replace it with the new spec?", kind="confirm"),
    "not_ready": Question(
        "The spec is not ready to build. What now?",
        "use the arrow keys, Enter to choose",
        kind="select",
    ),
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


def heading(prompt: Prompt, title: str, intro: str) -> None:
    """Open a section: a blank line, its title and one line on why it is asked."""
    prompt.say("")
    prompt.say(f"── {title} ──", "bold")
    if intro:
        prompt.say(intro, "italic")


STYLES = {
    "heading": "bold",
    "blocker": "fg:ansired",
    "ready": "fg:ansigreen bold",
    "not-ready": "fg:ansired bold",
}
"""How the verdict's lines are shown, by the kind of line."""


def show(prompt: Prompt, lines: Sequence[tuple[str, str]]) -> None:
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
        str, int/float, None (an optional question left empty), list[str] or bool.

    Raises:
        KeyboardInterrupt: the person pressed Ctrl-C (or Ctrl-D).
    """
    recall: str | None = None
    while True:
        answer = _ask_once(question, default, options, message, instruction, recall)
        problem = check(answer) if check is not None and answer is not None else None
        if problem is None:
            return answer
        say(f"  ✗ {problem}", "fg:ansired")
        if question.kind in ("text", "number"):
            recall = _as_text(answer)  # the suggestion stays; the up arrow recalls the answer
        else:
            default = answer


def _ask_once(
    question: Question,
    default: Any,
    options: Sequence[Option] | None,
    message: str | None,
    hint: str | None,
    recall: str | None = None,
) -> Any:
    import questionary

    text = message or question.message
    hint = hint or question.instruction
    instruction = f"({hint})" if hint else None
    choices = options if options is not None else question.options
    if question.kind == "confirm":
        prompt = questionary.confirm(
            text, default=bool(default), instruction=_confirm_hint(bool(default), instruction)
        )
        answer = prompt.unsafe_ask()
        if answer is None:  # Ctrl-C inside questionary's own handler
            raise KeyboardInterrupt
        return bool(answer)
    if question.kind == "select":
        select_choices = [
            questionary.Choice(o.title, value=o.value, description=o.description or None)
            for o in choices
        ]
        fallback = default if any(o.value == default for o in choices) else None
        answer = questionary.select(
            text, select_choices, default=fallback, instruction=instruction
        ).unsafe_ask()
        if answer is None:
            raise KeyboardInterrupt
        return answer
    if question.kind == "checkbox":
        chosen = set(default or ())
        box_choices = [
            questionary.Choice(
                o.title, value=o.value, checked=o.value in chosen, description=o.description or None
            )
            for o in choices
        ]
        answer = questionary.checkbox(text, box_choices, instruction=instruction).unsafe_ask()
        if answer is None:
            raise KeyboardInterrupt
        chosen_values = list(answer)
        say(f"  → {', '.join(chosen_values) if chosen_values else 'none'}", "fg:ansicyan")
        return chosen_values
    suggestion = "" if default is None else _as_text(default)
    typed = _text_prompt(text, hint, suggestion, recall, optional=question.optional)
    if not typed or (question.optional and suggestion and typed == NONE_ANSWER):
        return None if question.optional else ""
    return _read_number(typed) if question.kind == "number" else typed


def _text_prompt(
    text: str, hint: str, suggestion: str, recall: str | None, *, optional: bool
) -> str:
    """Read one line; an empty line takes ``suggestion``, shown greyed until typing starts."""
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
        if recall and not event.current_buffer.text:
            event.current_buffer.insert_text(recall)

    parts = [hint] if hint else []
    if suggestion:
        parts.append("Enter takes the grey suggestion, Tab edits it")
        if optional:
            parts.append(f"{NONE_ANSWER} for none")
    if recall:
        parts.append("↑ brings back your answer")
    typed = questionary.text(
        text,
        instruction=f"({'; '.join(parts)})" if parts else None,
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
