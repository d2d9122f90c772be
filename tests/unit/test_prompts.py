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
from generator.interview.prompts import BACK, Option, Question, ask
from generator.spec import Answers, ProjectSpec, find, walk
from tests.unit.interview_keys import BACK as BACK_KEY
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


# --- going back ----------------------------------------------------------------------------


def test_a_lone_less_than_sign_answers_back_unchecked(screen: io.StringIO) -> None:
    """Typing ``<`` as the answer goes back; the check never sees it."""

    def check(value: Any) -> str | None:
        raise AssertionError(f"checked {value!r}")

    assert _ask([line(BACK_KEY)], screen, question("title"), check=check) is BACK


def test_up_on_an_empty_answer_goes_back(screen: io.StringIO) -> None:
    """The up arrow on an empty answer, with nothing refused to bring back, goes back."""
    assert _ask([UP], screen, question("summary")) is BACK


def test_up_after_a_refusal_brings_the_answer_back_instead(screen: io.StringIO) -> None:
    """After a refusal the up arrow recalls the refused answer; it does not go back."""

    def check(value: Any) -> str | None:
        return None if value == "ok" else "not ok"

    assert (
        _ask([line("no"), UP + BACKSPACE * 2 + line("ok")], screen, question("title"), check=check)
        == "ok"
    )


@pytest.mark.parametrize("key", ["kind", "users.more", "regulatory.data_classes"])
def test_less_than_in_a_choice_goes_back(key: str, screen: io.StringIO) -> None:
    """``<`` in a select, a yes/no question or a checkbox answers BACK."""
    assert _ask([BACK_KEY], screen, question(key)) is BACK


# --- one hint per question -------------------------------------------------------------------


def _field_questions() -> list[tuple[str, Question]]:
    """The question of every field the interview asks, items of lists included."""
    found = []
    for spot in walk(ProjectSpec):
        if not spot.doc.asked or spot.doc.auto or spot.form in ("group", "entries"):
            continue
        item = spot.form == "texts"
        found.append((spot.path, question_for(spot, Answers({}, {}), item=item)))
    return found


FIELD_QUESTIONS = _field_questions()


@pytest.mark.parametrize("suggested", [False, True], ids=["no-suggestion", "suggestion"])
@pytest.mark.parametrize(("path", "asked"), FIELD_QUESTIONS, ids=[p for p, _ in FIELD_QUESTIONS])
def test_every_fields_hint_is_one_consistent_sentence(
    path: str, asked: Question, suggested: bool
) -> None:
    """No hint both says "leave empty" and "Enter takes", repeats a clause or strays."""
    text = prompts.hint(asked, suggested=suggested)
    clauses = [c.strip().lower() for c in text.split(";")] if text else []
    assert not ("leave empty" in text and "enter takes" in text), (path, text)
    assert len(clauses) == len(set(clauses)), (path, text)
    assert all(c and c[-1] not in ".,;:" and c[0] not in ".,;:" for c in clauses), (path, text)
    assert text == text.strip() and "  " not in text, (path, text)


@pytest.mark.parametrize(("path", "asked"), FIELD_QUESTIONS, ids=[p for p, _ in FIELD_QUESTIONS])
def test_leaving_empty_is_offered_exactly_for_optional_answers(path: str, asked: Question) -> None:
    """A typed answer that may be left empty says what that means; a required one never."""
    text = prompts.hint(asked)
    typed = asked.kind in ("text", "number")
    assert ("leave empty" in text) == (typed and asked.optional), (path, text)


@pytest.mark.parametrize(
    ("key", "suggested", "expected"),
    [
        (
            "operating_boundary.escalation",
            True,
            "e.g. claims-oncall@example.com; Enter takes the grey suggestion, Tab edits it; "
            "- for none",
        ),
        (
            "operating_boundary.escalation",
            False,
            "e.g. claims-oncall@example.com; leave empty for none",
        ),
        (
            "operating_boundary.review_below_confidence",
            False,
            "a number between 0 and 1 such as 0.8; leave empty for the default, 0.7",
        ),
        (
            "success_metrics.*.baseline",
            False,
            "a plain number such as 48; leave empty if unknown",
        ),
        ("title", False, "a title people will recognise; e.g. Claims triage assistant"),
        ("kind", False, "arrow keys, then Enter"),
    ],
)
def test_a_hint_says_what_the_answer_is_then_how_to_give_it(
    key: str, suggested: bool, expected: str
) -> None:
    """The field's own hint and example come first, then how to answer, said once."""
    assert prompts.hint(question(key), suggested=suggested) == expected


def test_an_item_of_a_list_is_answered_one_at_a_time() -> None:
    """One item of a list of texts: one per answer, then leave empty when done."""
    spot = find("users.*.needs", ProjectSpec)
    assert spot is not None
    asked = question_for(spot, Answers({}, {"role": "adjuster"}), item=True)
    assert (
        prompts.hint(asked)
        == "one per answer; e.g. See why a claim was routed the way it was; leave empty when done"
    )


def test_a_fields_own_way_to_leave_it_empty_gives_way_to_the_one_hint() -> None:
    """A hint that says how to leave the answer empty is not repeated nor contradicted."""
    asked = Question("Escalation?", "a rota; leave empty for none.", optional=True)
    assert prompts.hint(asked, suggested=True) == (
        "a rota; Enter takes the grey suggestion, Tab edits it; - for none"
    )
