"""The questions as data, and ask(): reading, checking and re-asking one answer."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from prompt_toolkit.application import create_app_session
from prompt_toolkit.input import create_pipe_input

from generator.errors import UsageError
from generator.interview import prompts
from generator.interview._fields import more_question, question_for
from generator.interview.prompts import Option, Question, ask
from generator.spec import Answers, ProjectSpec, find
from tests.unit.interview_keys import (
    BACKSPACE,
    CTRL_C,
    DOWN,
    ENTER,
    SPACE,
    TAB,
    UP,
    WideOutput,
    line,
)


def question(key: str) -> Question:
    """The interview's question for the field at ``key`` (or the one offering another entry)."""
    spot = find(key.removesuffix(".more"), ProjectSpec)
    assert spot is not None, key
    return more_question(spot) if key.endswith(".more") else question_for(spot, Answers({}, {}))


@pytest.fixture
def screen() -> Iterator[io.StringIO]:
    """Collect what ask() shows."""
    yield io.StringIO()


def _ask(keys: list[str], screen: io.StringIO, question: Question, **kwargs: Any) -> Any:
    with create_pipe_input() as pipe:
        pipe.send_text("".join(keys))
        pipe.close()
        with create_app_session(input=pipe, output=WideOutput(screen)):
            return ask(question, **kwargs)


def test_number_answer_is_read_as_a_number(screen: io.StringIO) -> None:
    """A typed number comes back as a number."""
    assert _ask([line("0.95")], screen, question("success_metrics.*.target")) == 0.95


def test_non_number_comes_back_as_text_for_the_check(screen: io.StringIO) -> None:
    """Text typed for a number is returned as text, so the spec's check can refuse it."""
    assert _ask([line("four")], screen, question("success_metrics.*.target")) == "four"


def test_empty_optional_answer_is_none(screen: io.StringIO) -> None:
    """Leaving an optional question empty answers None."""
    assert _ask([ENTER], screen, question("success_metrics.*.baseline")) is None


def test_refused_answer_shows_the_reason_and_asks_again(screen: io.StringIO) -> None:
    """An answer the check refuses is shown with its reason, then asked again."""

    def check(value: Any) -> str | None:
        return None if value == "good" else f"{value!r} is not good"

    answer = _ask([line("bad"), line("good")], screen, question("title"), check=check)
    assert answer == "good"
    assert "✗ 'bad' is not good" in screen.getvalue()


def test_select_returns_the_chosen_value(screen: io.StringIO) -> None:
    """A select question returns the value of the option chosen."""
    assert _ask([DOWN + ENTER], screen, question("kind")) == "pipeline"


def test_checkbox_returns_the_checked_values(screen: io.StringIO) -> None:
    """A checkbox question returns every checked value, in order."""
    options = [Option("a", "A"), Option("b", "B"), Option("c", "C")]
    answer = _ask(
        [SPACE + DOWN + DOWN + SPACE + ENTER],
        screen,
        question("regulatory.regimes"),
        options=options,
    )
    assert answer == ["a", "c"]


def test_confirm_uses_its_default_on_enter(screen: io.StringIO) -> None:
    """Enter on a yes/no question takes the default."""
    assert _ask([ENTER], screen, question("users.more"), default=True) is True


def test_ctrl_c_raises_keyboard_interrupt(screen: io.StringIO) -> None:
    """Ctrl-C is passed on as KeyboardInterrupt, for the interview to save and stop."""
    with pytest.raises(KeyboardInterrupt):
        _ask([CTRL_C], screen, question("title"))


def test_run_time_message_replaces_the_question_text(screen: io.StringIO) -> None:
    """A message computed at run time is what the person sees."""
    _ask([line("x")], screen, question("users.*.description"), message="Who are the auditors?")
    assert "Who are the auditors?" in screen.getvalue()


def test_require_terminal_refuses_piped_input(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a terminal the interview is refused with a pointer to --spec."""
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    with pytest.raises(UsageError, match="--spec"):
        prompts.require_terminal()


# --- suggested answers -----------------------------------------------------------------


def test_enter_takes_the_suggested_answer(screen: io.StringIO) -> None:
    """An empty answer takes the suggestion, which the echoed answer shows."""
    answer = _ask([ENTER], screen, question("name"), default="claims-triage")
    assert (answer, screen.getvalue().rstrip().endswith("claims-triage")) == (
        "claims-triage",
        True,
    )


@pytest.mark.parametrize(
    ("key", "suggestion", "typed"),
    [
        ("name", "invoice-anomaly-detection", "invoice-desk"),
        ("operating_boundary.escalation", "Finance SRE on-call", "AP team lead"),
    ],
)
def test_typing_replaces_the_suggestion(
    key: str, suggestion: str, typed: str, screen: io.StringIO
) -> None:
    """Typed text is the answer: it replaces the suggestion and is never appended to it."""
    assert _ask([line(typed)], screen, question(key), default=suggestion) == typed


def test_tab_puts_the_suggestion_in_the_line(screen: io.StringIO) -> None:
    """Tab inserts the suggestion so that it can be edited."""
    answer = _ask(
        [TAB + BACKSPACE * 6 + line("desk")], screen, question("name"), default="claims-triage"
    )
    assert answer == "claims-desk"


def test_a_dash_answers_none_to_an_optional_suggestion(screen: io.StringIO) -> None:
    """For an optional question with a suggestion, "-" answers none."""
    escalation = question("operating_boundary.escalation")
    assert _ask([line("-")], screen, escalation, default="oncall@example.com") is None


def test_a_suggested_number_is_read_as_a_number(screen: io.StringIO) -> None:
    """Enter on a suggested number answers the number."""
    assert _ask([ENTER], screen, question("regulatory.retention_days"), default=183) == 183


def test_the_hint_says_how_to_take_or_edit_the_suggestion(screen: io.StringIO) -> None:
    """A question with a suggestion says that Enter takes it and Tab edits it."""
    _ask([ENTER], screen, question("name"), default="claims-triage")
    assert "Enter takes the grey suggestion, Tab edits it" in screen.getvalue()


def test_up_brings_back_a_refused_answer_to_correct(screen: io.StringIO) -> None:
    """After a refusal the suggestion stays, and the up arrow recalls the refused answer."""

    def check(value: Any) -> str | None:
        return None if isinstance(value, int) else f'"{value}" is not a number'

    keys = [line("4 hours"), UP + BACKSPACE * 6 + ENTER]
    assert _ask(keys, screen, question("success_metrics.*.target"), check=check) == 4
    assert "↑ brings back your answer" in screen.getvalue()


def test_checkbox_echoes_the_values_chosen(screen: io.StringIO) -> None:
    """The answer to a multi-select question is echoed by name, not only counted."""
    options = [Option("a", "A"), Option("b", "B"), Option("c", "C")]
    _ask(
        [SPACE + DOWN + DOWN + SPACE + ENTER],
        screen,
        question("regulatory.regimes"),
        options=options,
    )
    assert "→ a, c" in screen.getvalue()


def test_checkbox_with_nothing_chosen_echoes_none(screen: io.StringIO) -> None:
    """An empty multi-select answer is echoed as none."""
    _ask([ENTER], screen, question("regulatory.data_classes"))
    assert "→ none" in screen.getvalue()
