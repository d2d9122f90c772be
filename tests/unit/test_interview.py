"""The interview's flows, driven through prompt_toolkit's pipe input."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.errors import InterviewInterrupted, InterviewStopped
from generator.interview._draft import Draft, draft_path
from generator.spec import Answers, load_spec, suggest_name
from generator.spec.writer import dump_spec
from tests.conftest import SPECS
from tests.unit.interview_keys import (
    CRITERIA,
    CTRL_C,
    DOWN,
    ENTER,
    METRICS,
    NO_OPTIONAL,
    REGULATORY,
    SPACE,
    STOP,
    TAB,
    UP,
    USERS,
    WRITE_ANYWAY,
    drive,
    happy_keys,
    line,
)


@pytest.fixture
def target(tmp_path: Path) -> Path:
    """Return where the interview writes the spec."""
    return tmp_path / "spec.yaml"


def _example_data() -> dict[str, Any]:
    data = yaml.safe_load((SPECS / "claims-triage.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _write(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(dump_spec(data), encoding="utf-8")
    return path


def test_happy_path_writes_a_valid_spec(target: Path) -> None:
    """A complete interview writes a spec that load_spec accepts, with the answers given."""
    run = drive(happy_keys(), target)
    assert run.error is None
    spec = load_spec(target)
    assert (spec.name, spec.kind, spec.title) == (
        "claims-triage-assistant",
        "service",
        "Claims triage assistant",
    )
    assert spec.regulatory.regimes == ["eu-ai-act", "gdpr"]
    assert spec.regulatory.eu_ai_act_risk == "high"
    assert spec.regulatory.retention_days == 183
    assert spec.success_metrics[0].direction == "decrease"
    assert spec.acceptance_criteria[0].metric == "M-1"
    assert spec.users[0].can == ["request", "read"]  # Enter keeps what an omitted `can` means


def test_happy_path_removes_the_draft(target: Path) -> None:
    """Once the spec is written, its draft is gone."""
    drive(happy_keys(), target)
    assert not draft_path(target).exists()


def test_written_spec_explains_its_sections(target: Path) -> None:
    """The written spec carries a comment above each section, for planning meetings."""
    drive(happy_keys(), target)
    text = target.read_text(encoding="utf-8")
    assert "# Why the project exists" in text.split("business_goal:")[0]


def test_non_number_target_is_asked_again_with_the_reason(target: Path) -> None:
    """A target that is not a number is refused with the spec's own message, then accepted."""
    metrics = [line("Routing time"), line("hours"), line("48"), line("4 hours"), line("4")]
    run = drive(happy_keys(metrics=[*metrics, ENTER, line("Weekly."), "n"]), target)
    assert '"4 hours" is not a number' in run.output
    assert load_spec(target).success_metrics[0].target == 4


def test_bad_slug_is_asked_again_with_the_reason(target: Path) -> None:
    """A name that is not a slug is refused with what a slug is, then accepted."""
    about = [
        line("Claims triage"),
        ENTER,
        line("Claims Triage"),
        line("claims-desk"),
        line("Routes."),
    ]
    run = drive(happy_keys(about=about), target)
    assert "is not allowed; use a slug" in run.output
    assert load_spec(target).name == "claims-desk"


def test_reserved_name_is_refused(target: Path) -> None:
    """A name whose package would shadow the standard library is refused."""
    about = [line("Claims triage"), ENTER, line("json"), line("claims-json"), line("Routes.")]
    run = drive(happy_keys(about=about), target)
    assert "reserved by Python" in run.output


def test_unacceptable_risk_tier_is_refused_and_explained(target: Path) -> None:
    """The prohibited tier is refused with the Art. 5 reason; another tier is then accepted."""
    regulatory = [SPACE + ENTER, DOWN * 3 + ENTER, UP + ENTER, ENTER, ENTER]
    run = drive(happy_keys(regulatory=regulatory), target)
    assert "prohibited practice under EU AI Act Art. 5" in run.output
    assert load_spec(target).regulatory.eu_ai_act_risk == "high"


def test_retention_below_the_regimes_minimum_is_refused(target: Path) -> None:
    """Retention shorter than the listed regimes require is refused with the citation."""
    regulatory = [SPACE + ENTER, DOWN * 2 + ENTER, ENTER, line("30"), line("400")]  # high
    run = drive(happy_keys(regulatory=regulatory), target)
    assert "below the 183 days" in run.output
    assert load_spec(target).regulatory.retention_days == 400


def test_no_regime_needs_a_confirmation(target: Path) -> None:
    """Selecting no regime is asked again until confirmed, then recorded as []."""
    regulatory = [ENTER, "n", ENTER, "y", ENTER, ENTER]
    run = drive(happy_keys(regulatory=regulatory), target)
    assert run.output.count("Which regulations or frameworks apply?") >= 2
    assert load_spec(target).regulatory.regimes == []


def test_repeated_user_role_is_refused(target: Path) -> None:
    """A second user with the same role is refused; roles must be unique."""
    users = [
        *USERS[:-1],
        "y",
        line("adjuster"),
        line("auditor"),
        line("Audits."),
        ENTER,  # no needs
        ENTER,  # can: request and read
        "n",
    ]
    run = drive(happy_keys(users=users), target)
    assert "appears twice" in run.output
    assert [u.role for u in load_spec(target).users] == ["adjuster", "auditor"]


def test_second_metric_gets_the_next_id(target: Path) -> None:
    """Metric ids are assigned in order, so criteria can refer to them."""
    second = [
        line("Accuracy"),
        line("ratio"),
        ENTER,
        line("0.95"),
        ENTER,
        line("Monthly audit."),
        "n",
    ]
    drive(happy_keys(metrics=[*METRICS[:-1], "y", *second]), target)
    assert [m.id for m in load_spec(target).success_metrics] == ["M-1", "M-2"]


def test_optional_budget_section_is_written_when_chosen(target: Path) -> None:
    """An optional section answered yes is written with its answer."""
    drive(happy_keys(optional=["n", "n", "n", "n", "y", line("2000")]), target)
    budget = load_spec(target).budget
    assert budget is not None
    assert budget.monthly_usd == 2000


def test_ctrl_c_ends_with_the_draft_path(target: Path) -> None:
    """Ctrl-C raises InterviewInterrupted (exit 130) naming the draft."""
    run = drive([line("Claims triage assistant"), CTRL_C], target)
    assert isinstance(run.error, InterviewInterrupted)
    assert run.error.exit_code == 130
    assert str(draft_path(target)) in str(run.error)


def test_draft_holds_the_answers_given_before_ctrl_c(target: Path) -> None:
    """Every answer given before Ctrl-C is in the draft."""
    drive([line("Claims triage assistant"), ENTER, CTRL_C], target)
    saved = Draft(draft_path(target)).load()
    assert saved is not None
    assert saved[0]["title"] == "Claims triage assistant"
    assert saved[0]["kind"] == "service"


def test_ctrl_c_before_any_answer_saves_nothing(target: Path) -> None:
    """Ctrl-C at the first question leaves no draft and says so."""
    run = drive([CTRL_C], target)
    assert "nothing was saved" in str(run.error)
    assert not draft_path(target).exists()


def test_resume_asks_only_what_is_left(target: Path) -> None:
    """A second run resumes the draft: the answered questions are not asked again."""
    drive([line("Resumed title"), ENTER, CTRL_C], target)
    keys = happy_keys(about=[ENTER, ENTER, line("Routes claims.")])
    run = drive(keys, target)
    assert "What is the project called?" not in run.output
    assert load_spec(target).title == "Resumed title"


def test_resume_keeps_a_finished_list(target: Path) -> None:
    """A list the person finished before Ctrl-C is not offered again on resume."""
    answered = happy_keys(metrics=[], regulatory=[], criteria=[], optional=[], verdict=[])
    drive([*happy_keys()[: len(answered)], CTRL_C], target)
    rest = [ENTER, *METRICS, *REGULATORY, *CRITERIA, *NO_OPTIONAL, WRITE_ANYWAY]
    run = drive(rest, target)
    assert "Add another user role?" not in run.output
    assert run.error is None


def test_declining_resume_starts_over(target: Path) -> None:
    """Saying no to resuming asks from the first question again."""
    drive([line("Old title"), CTRL_C], target)
    run = drive(["n", *happy_keys()], target)
    assert load_spec(target).title == "Claims triage assistant"
    assert "What is the project called?" in run.output


def test_from_partial_spec_asks_only_the_missing_parts(tmp_path: Path, target: Path) -> None:
    """--from a spec missing one owner and the budget asks just those two things."""
    data = _example_data()
    del data["owners"]["operations"], data["budget"]
    source = _write(tmp_path / "partial.yaml", data)
    run = drive([ENTER, line("pager@example.com"), "n"], target, source)
    assert run.error is None
    assert "What is the project called?" not in run.output
    assert load_spec(target).owners.operations == "pager@example.com"


def test_from_spec_reasks_an_invalid_value_with_the_reason(tmp_path: Path, target: Path) -> None:
    """--from a spec with a bad name shows why and asks for the name again."""
    data = _example_data()
    data["name"] = "Claims Triage"
    source = _write(tmp_path / "bad.yaml", data)
    run = drive([ENTER, line("claims-triage")], target, source)
    assert "is not allowed; use a slug" in run.output
    assert load_spec(target).name == "claims-triage"


def test_from_spec_changes_a_chosen_section(tmp_path: Path, target: Path) -> None:
    """Choosing a section to change re-asks its fields with the current answers as defaults."""
    source = _write(tmp_path / "full.yaml", _example_data())
    run = drive(
        [DOWN * 2 + SPACE + ENTER, line("Chief Claims Officer"), ENTER, ENTER], target, source
    )
    assert run.error is None
    owners = load_spec(target).owners
    assert (owners.business, owners.technical) == ("Chief Claims Officer", "Claims Platform team")


def test_from_spec_keeping_an_entry_asks_nothing_about_it(tmp_path: Path, target: Path) -> None:
    """Keeping a user of a section picked for change asks nothing more about that user."""
    source = _write(tmp_path / "full.yaml", _example_data())
    run = drive([DOWN * 3 + SPACE + ENTER, ENTER, ENTER, ENTER, "n"], target, source)
    assert "need from the system" not in run.output
    assert load_spec(target) == load_spec(SPECS / "claims-triage.yaml")


def test_from_spec_removes_an_entry(tmp_path: Path, target: Path) -> None:
    """Removing a user of a section picked for change drops it from the spec."""
    source = _write(tmp_path / "full.yaml", _example_data())
    drive(
        [DOWN * 3 + SPACE + ENTER, ENTER, DOWN * 2 + ENTER, DOWN * 2 + ENTER, "n"], target, source
    )
    assert [u.role for u in load_spec(target).users] == ["adjuster"]


def test_from_complete_spec_keeps_everything(tmp_path: Path, target: Path) -> None:
    """--from a complete spec, changing nothing, writes the same spec."""
    source = _write(tmp_path / "full.yaml", _example_data())
    drive([ENTER], target, source)
    assert load_spec(target) == load_spec(SPECS / "claims-triage.yaml")


def test_existing_different_file_is_kept_when_refused(target: Path) -> None:
    """An existing, different target is not overwritten when the person says no."""
    target.write_text("keep me\n", encoding="utf-8")
    run = drive(["n", *happy_keys(), "n"], target)
    assert run.error is not None
    assert target.read_text(encoding="utf-8") == "keep me\n"


def test_existing_different_file_is_replaced_when_confirmed(target: Path) -> None:
    """An existing, different target is replaced after a yes."""
    target.write_text("old\n", encoding="utf-8")
    drive(["n", *happy_keys(), "y"], target)
    assert load_spec(target).title == "Claims triage assistant"


def test_target_folder_is_refused(tmp_path: Path) -> None:
    """Naming a folder as the spec file is a usage error."""
    run = drive([], tmp_path)
    assert run.error is not None
    assert run.error.exit_code == 2


@pytest.mark.parametrize(
    ("title", "name"),
    [
        ("Claims triage assistant", "claims-triage-assistant"),
        ("Ünïcode — Demo 2!", "unicode-demo-2"),
        ("42", None),
    ],
)
def test_suggest_name_makes_a_slug_of_the_title(title: str, name: str | None) -> None:
    """The name offered by default is a valid slug made from the title, or nothing."""
    assert suggest_name(Answers({}, {"title": title})) == name


# --- suggestions: typing replaces them -------------------------------------------------


def test_typing_over_the_suggested_name_replaces_it(target: Path) -> None:
    """A name typed over the slug suggested from the title is the name, not appended to it."""
    about = [line("Invoice anomaly detection"), ENTER, line("invoice-desk"), line("Flags.")]
    drive(happy_keys(about=about), target)
    assert load_spec(target).name == "invoice-desk"


def test_typing_over_the_suggested_escalation_replaces_it(target: Path) -> None:
    """An escalation route typed over the operations owner suggested is the route."""
    boundary = ["y", line("0.8"), ENTER, line("AP team lead")]
    drive(happy_keys(optional=[*boundary, "n", "n", "n", "n"]), target)
    spec = load_spec(target)
    assert spec.operating_boundary is not None
    assert spec.operating_boundary.escalation == "AP team lead"


def test_tab_puts_the_suggestion_in_the_line_to_edit(target: Path) -> None:
    """Tab inserts the suggested name, which can then be edited."""
    about = [line("Claims triage"), ENTER, TAB + "-eu" + ENTER, line("Routes.")]
    drive(happy_keys(about=about), target)
    assert load_spec(target).name == "claims-triage-eu"


def test_checkbox_answers_echo_what_was_chosen(target: Path) -> None:
    """The regimes chosen are named after the answer, not only counted."""
    run = drive(happy_keys(), target)
    assert "→ eu-ai-act, gdpr" in run.output


# --- the verdict before the spec is written ----------------------------------------------


def test_verdict_and_blockers_show_before_the_spec_is_written(target: Path) -> None:
    """A flawed spec's verdict, blockers and questions appear, then a choice; nothing written."""
    run = drive(happy_keys(verdict=[STOP]), target)
    verdict = run.output.index("Verdict: not-ready")
    assert "✗ Operating boundary (operating_boundary): a high-risk" in run.output[verdict:]
    assert "Questions to settle before building:" in run.output[verdict:]
    assert "What now? Stop here and keep the draft" in run.output[verdict:]
    assert not target.exists()


def test_stopping_at_the_verdict_keeps_the_draft(target: Path) -> None:
    """Stopping exits 1 with a message naming the draft, which holds every answer."""
    run = drive(happy_keys(verdict=[STOP]), target)
    assert isinstance(run.error, InterviewStopped)
    assert (run.error.exit_code, str(draft_path(target)) in str(run.error)) == (1, True)
    saved = Draft(draft_path(target)).load()
    assert saved is not None
    assert saved[0]["title"] == "Claims triage assistant"


def test_a_stopped_interview_resumes_at_the_verdict(target: Path) -> None:
    """Run again after stopping: resume asks nothing but the verdict's choice."""
    drive(happy_keys(verdict=[STOP]), target)
    run = drive([ENTER, WRITE_ANYWAY], target)
    assert "What is the project called?" not in run.output
    assert load_spec(target).title == "Claims triage assistant"


def test_writing_anyway_writes_the_spec_as_answered(target: Path) -> None:
    """Choosing to write a spec that is not ready writes it and removes the draft."""
    run = drive(happy_keys(verdict=[WRITE_ANYWAY]), target)
    assert (run.error, run.path, draft_path(target).exists()) == (None, target, False)


def test_revisiting_the_sections_blockers_point_at_makes_the_spec_ready(target: Path) -> None:
    """Revisiting the boundary, then the users, fixes both blockers; a ready spec is written."""
    boundary = [DOWN + ENTER, "y", line("0.8"), line("Rejecting a claim."), ENTER, ENTER]
    users = [ENTER, DOWN + ENTER, ENTER, ENTER, ENTER, DOWN + DOWN + SPACE + ENTER, "n"]
    run = drive(happy_keys(verdict=[*boundary, *users]), target)
    assert "What now? Revisit Operating boundary (1 blocker)" in run.output
    assert run.output.count("── Review ──") == 3
    assert "Verdict: ready" in run.output.rsplit("── Review ──", 1)[1]
    spec = load_spec(target)
    assert (spec.operating_boundary is not None, spec.users[0].can) == (
        True,
        ["request", "read", "review"],  # the default, pre-checked, and review added
    )


def test_a_ready_spec_is_written_without_a_question(tmp_path: Path, target: Path) -> None:
    """A ready spec shows its verdict and questions and is written at once."""
    source = _write(tmp_path / "full.yaml", _example_data())
    run = drive([ENTER], target, source)
    assert ("Verdict: ready" in run.output, "What now?" in run.output) == (True, False)
    assert target.exists()


@pytest.mark.parametrize(
    ("keys", "choice", "render"),
    [
        (UP * 3 + ENTER, "Write the spec and render the project anyway", True),
        (UP * 2 + ENTER, "Write the spec, render later", False),
    ],
)
def test_before_rendering_a_spec_that_is_not_ready_asks(
    keys: str, choice: str, render: bool, target: Path
) -> None:
    """When the project is rendered next, the choice says whether to render it anyway."""
    run = drive(happy_keys(verdict=[keys]), target, renders=True)
    assert f"What now? {choice}" in run.output
    assert (run.path, run.render) == (target, render)
