"""The interview's flows, answered by question key through a fake prompt (no terminal).

Each test scripts the answers by the key of the question (``users.*.role``, ``users.more``,
``control.verdict``), so it does not depend on the order of fields or on keystrokes; what
the terminal itself does (typing over a suggestion, Tab, ↑, Ctrl-C, ``<``) is tested in
``test_prompts.py`` and, end to end in a pseudo-terminal, in ``tests/e2e/test_interview_pty.py``.
"""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.errors import GeneratorError, InterviewInterrupted, InterviewStopped, UsageError
from generator.interview import BACK, InterviewResult, run_interview
from generator.interview._draft import Draft, draft_path
from generator.spec import Answers, load_spec, suggest_name
from generator.spec.writer import dump_spec
from tests.conftest import SPECS
from tests.fake_prompt import CTRL_C, Each, ScriptedPrompt
from tests.interview_answers import FRAUD, claims

CLAIMS_SPEC = SPECS / "claims-triage.yaml"


@pytest.fixture
def target(tmp_path: Path) -> Path:
    """Return where the interview writes the spec."""
    return tmp_path / "spec.yaml"


def interview(
    target: Path, script: dict[str, Any], source: Path | None = None, *, renders: bool = False
) -> tuple[InterviewResult, ScriptedPrompt]:
    """Run the interview with ``script``; return its result and the prompt that answered."""
    prompt = ScriptedPrompt(script)
    return run_interview(target, source, prompt=prompt, renders=renders), prompt


def interrupted(target: Path, script: dict[str, Any]) -> InterviewInterrupted:
    """Run the interview until the script presses Ctrl-C; return the error it ends with."""
    with pytest.raises(InterviewInterrupted) as caught:
        run_interview(target, prompt=ScriptedPrompt(script))
    return caught.value


def example_data() -> dict[str, Any]:
    """The claims-triage example spec as data."""
    data = yaml.safe_load(CLAIMS_SPEC.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def write(path: Path, data: dict[str, Any]) -> Path:
    """Write spec data to ``path`` as the spec writer would."""
    path.write_text(dump_spec(data), encoding="utf-8")
    return path


def saved(target: Path) -> dict[str, Any]:
    """The answers the draft beside ``target`` holds."""
    loaded = Draft(draft_path(target)).load()
    assert loaded is not None
    return loaded[0]


# --- a whole interview ------------------------------------------------------------------


def test_a_whole_interview_writes_a_valid_spec_with_the_answers(target: Path) -> None:
    """Every section answered by key makes a spec load_spec accepts; suggestions fill gaps."""
    interview(target, claims())
    spec = load_spec(target)
    assert (spec.name, spec.kind, spec.title) == (
        "claims-triage-assistant",  # suggested from the title
        "service",  # the first choice
        "Claims triage assistant",
    )
    assert (spec.regulatory.regimes, spec.regulatory.eu_ai_act_risk) == (
        ["eu-ai-act", "gdpr"],
        "high",
    )
    assert spec.regulatory.retention_days == 183  # the regimes' minimum, suggested
    assert spec.success_metrics[0].direction == "decrease"  # worked out from the numbers
    assert spec.acceptance_criteria[0].metric == "M-1"
    assert spec.users[0].can == ["request", "read"]  # what an omitted `can` means, pre-checked


def test_the_draft_is_removed_once_the_spec_is_written(target: Path) -> None:
    """Once the spec is written, its draft is gone."""
    interview(target, claims())
    assert not draft_path(target).exists()


def test_the_written_spec_explains_its_sections(target: Path) -> None:
    """The written spec carries a comment above each section, for planning meetings."""
    interview(target, claims())
    assert (
        "# Why the project exists" in target.read_text(encoding="utf-8").split("business_goal:")[0]
    )


def test_questions_are_worded_with_the_answers_they_name(target: Path) -> None:
    """A question naming earlier answers of its entry is asked with them filled in."""
    _, prompt = interview(target, FRAUD)
    assert prompt.questions("success_metrics.*.baseline") == [
        "What is “Manual reviews per day” today, in reviews?"
    ]


@pytest.mark.parametrize(
    ("key", "bad", "good", "reason"),
    [
        ("success_metrics.*.target", "4 hours", 4, '"4 hours" is not a number'),
        ("name", "Claims Triage", "claims-desk", "is not allowed; use a slug"),
        ("name", "json", "claims-json", "reserved by Python"),
        ("regulatory.eu_ai_act_risk", "unacceptable", "high", "prohibited practice under EU AI"),
        ("regulatory.retention_days", 30, 400, "below the 183 days"),
    ],
)
def test_a_refused_answer_is_asked_again_with_the_models_reason(
    key: str, bad: Any, good: Any, reason: str, target: Path
) -> None:
    """An answer the spec's rules refuse is refused with the reason; the next one is kept."""
    _, prompt = interview(target, {**claims(), key: Each([bad, good])})
    assert len(prompt.refused) == 1 and reason in prompt.refused[0], prompt.refused
    value: Any = load_spec(target).model_dump(mode="json")
    for part in key.split("."):
        value = value[0] if part == "*" else value[part]
    assert value == good


def test_choosing_no_regime_needs_a_confirmation(target: Path) -> None:
    """No regime is asked again until confirmed, then recorded as the explicit answer []."""
    script = {
        **claims(),
        "regulatory.regimes": [],
        "regulatory.regimes.empty": Each([False, True]),
        "regulatory.data_classes": [],
    }
    _, prompt = interview(target, script)
    assert len(prompt.questions("regulatory.regimes")) == 2
    assert load_spec(target).regulatory.regimes == []


def test_a_repeated_user_role_is_refused(target: Path) -> None:
    """A second user with the same role is refused; the next role is kept."""
    script = {
        **claims(),
        "users.*.role": Each(["adjuster", "adjuster", "auditor"]),
        "users.*.description": Each(["Reviews.", "Audits."]),
        "users.more": Each([True, False]),
    }
    _, prompt = interview(target, script)
    assert any("appears twice" in reason for reason in prompt.refused)
    assert [u.role for u in load_spec(target).users] == ["adjuster", "auditor"]


def test_a_second_metric_gets_the_next_id(target: Path) -> None:
    """Metric ids are assigned in order, so that criteria can refer to them."""
    script = {
        **claims(),
        "success_metrics.*.name": Each(["Routing time", "Accuracy"]),
        "success_metrics.*.unit": Each(["hours", "ratio"]),
        "success_metrics.*.baseline": Each([48, None]),
        "success_metrics.*.target": Each([4, 0.95]),
        "success_metrics.*.measurement": Each(["Weekly.", "Monthly audit."]),
        "success_metrics.more": Each([True, False]),
    }
    interview(target, script)
    assert [m.id for m in load_spec(target).success_metrics] == ["M-1", "M-2"]


def test_an_optional_section_is_written_when_chosen(target: Path) -> None:
    """An optional section answered yes is written with its answers."""
    interview(target, {**claims(), "budget.offer": True, "budget.monthly_usd": 2000})
    budget = load_spec(target).budget
    assert budget is not None and budget.monthly_usd == 2000


# --- inputs: a category is typed, then given its values ---------------------------------


def test_a_category_input_is_asked_for_its_values_after_its_type(target: Path) -> None:
    """Choosing ``category`` asks for the values next; the input is written with them."""
    script = {
        **FRAUD,
        "inputs.offer": True,
        "inputs.*.name": "channel",
        "inputs.*.type": "category",
        "inputs.*.values.*": Each(["web", "app", "pos"]),
    }
    _, prompt = interview(target, script)
    inputs = load_spec(target).inputs
    assert inputs is not None
    assert (inputs[0].type, inputs[0].values) == ("category", ["web", "app", "pos"])
    keys = prompt.asked_keys()
    assert keys.index("inputs.*.type") < keys.index("inputs.*.values.*")
    assert ("inputs.*.min" in keys, prompt.refused) == (False, [])


def test_values_are_asked_only_for_a_category(target: Path) -> None:
    """A number input is asked for its bounds, never for values."""
    script = {**FRAUD, "inputs.offer": True, "inputs.*.name": "amount", "inputs.*.type": "number"}
    _, prompt = interview(target, script)
    assert ("inputs.*.min" in prompt.asked_keys(), "inputs.*.values.*" in prompt.asked_keys()) == (
        True,
        False,
    )


def test_a_category_without_values_is_refused_when_its_list_ends(target: Path) -> None:
    """Ending a category's values with none is refused with the reason; values are asked on."""
    script = {
        **FRAUD,
        "inputs.offer": True,
        "inputs.*.name": "channel",
        "inputs.*.type": "category",
        "inputs.*.values.*": Each([None, "web", None]),
    }
    _, prompt = interview(target, script)
    assert prompt.refused == [
        "inputs.*.values.*: a category input lists its values (values: [a, b])"
    ]
    inputs = load_spec(target).inputs
    assert inputs is not None and inputs[0].values == ["web"]


# --- going back ---------------------------------------------------------------------------


def test_back_asks_the_previous_question_again_offering_the_earlier_answer(target: Path) -> None:
    """``<`` at the summary asks the name again, offering the name given; a new one is kept."""
    script = {
        **claims(),
        "name": Each(["claims-tria", "claims-triage"]),
        "summary": Each([BACK, "Routes claims."]),
    }
    _, prompt = interview(target, script)
    names = [r for r in prompt.asked if r.key == "name"]
    assert [r.default for r in names] == ["claims-triage-assistant", "claims-tria"]
    assert load_spec(target).name == "claims-triage"


def test_back_crosses_into_the_previous_section(target: Path) -> None:
    """``<`` at a section's first question goes back to the last question of the one before."""
    script = {**claims(), "business_goal.problem": Each([BACK, "By hand."])}
    _, prompt = interview(target, script)
    keys = prompt.asked_keys()
    first = keys.index("business_goal.problem")
    assert keys[first + 1 : first + 3] == ["summary", "business_goal.problem"]
    assert load_spec(target).business_goal.problem == "By hand."


def test_back_at_the_first_question_says_there_is_nothing_before(target: Path) -> None:
    """``<`` at the very first question says so and asks it again."""
    _, prompt = interview(target, {**claims(), "title": Each([BACK, "Claims triage assistant"])})
    assert any("This is the first question" in line for line in prompt.said)
    assert load_spec(target).title == "Claims triage assistant"


def test_back_from_the_verdict_returns_to_the_last_question(target: Path) -> None:
    """``<`` at the verdict's choice asks the interview's last question again."""
    script = {**claims(), "control.verdict": Each([BACK, "write"]), "budget.offer": Each([False])}
    _, prompt = interview(target, script)
    keys = prompt.asked_keys()
    assert keys[keys.index("control.verdict") + 1] == "budget.offer"
    assert len(prompt.questions("budget.offer")) == 2


def test_back_to_add_another_drops_the_entry_just_started(target: Path) -> None:
    """Going back from a new user's first question to "add another?" and saying no keeps one."""
    script = {
        **claims(),
        "users.more": Each([True, False]),
        "users.*.role": Each(["adjuster", BACK]),
    }
    _, prompt = interview(target, script)
    assert [r.default for r in prompt.asked if r.key == "users.more"] == [False, True]
    assert [u.role for u in load_spec(target).users] == ["adjuster"]


def test_back_from_a_list_item_offers_the_item_before(target: Path) -> None:
    """``<`` at the second item of a list asks the first again, offering it."""
    script = {**claims(), "users.*.needs.*": Each(["See wy.", BACK, "See why.", "Override."])}
    _, prompt = interview(target, script)
    needs = [r for r in prompt.asked if r.key == "users.*.needs.*"]
    assert needs[2].default == "See wy."
    assert load_spec(target).users[0].needs == ["See why.", "Override."]


def test_back_replays_silently_and_keeps_the_draft_to_the_answers_before(target: Path) -> None:
    """Going back shows nothing twice, and Ctrl-C then leaves no answer gone back over."""
    error = interrupted(target, {**claims(), "summary": Each([BACK]), "name": Each([CTRL_C])})
    assert "answers are saved" in str(error)
    assert ("title" in saved(target), "name" in saved(target)) == (True, False)


def test_back_through_a_category_input_fixes_its_name(target: Path) -> None:
    """From the type, ``<`` goes back to the input's name; the corrected input is written."""
    script = {
        **FRAUD,
        "inputs.offer": True,
        "inputs.*.name": Each(["chanel", "channel"]),
        "inputs.*.type": Each([BACK, "category"]),
        "inputs.*.values.*": Each(["web", "app"]),
    }
    interview(target, script)
    inputs = load_spec(target).inputs
    assert inputs is not None
    assert (inputs[0].name, inputs[0].values) == ("channel", ["web", "app"])


# --- where a question stands in its list ---------------------------------------------------


def test_entries_of_a_list_are_counted(tmp_path: Path, target: Path) -> None:
    """Editing the example's three users asks "(2 of 3) ..." for the second."""
    source = write(tmp_path / "full.yaml", example_data())
    script = {"control.change": ["users"], "control.item_action": "edit"}
    _, prompt = interview(target, script, source)
    assert prompt.questions("users.*.role") == [
        "(1 of 3) What is the role called?",
        "(2 of 3) What is the role called?",
        "(3 of 3) What is the role called?",
    ]


def test_items_of_a_list_are_counted(target: Path) -> None:
    """The second item of a list of texts is asked as item 2."""
    _, prompt = interview(target, {**claims(), "users.*.needs.*": Each(["See why.", "Override."])})
    assert prompt.questions("users.*.needs.*") == [
        "What do adjuster users need from the system?",
        "(item 2) What do adjuster users need from the system?",
        "(item 3) What do adjuster users need from the system?",
    ]


def test_add_another_says_how_many_there_are(target: Path) -> None:
    """The question offering another entry says how many the list holds so far."""
    _, prompt = interview(target, claims())
    (more,) = [r for r in prompt.asked if r.key == "users.more"]
    assert more.question.instruction == "1 so far"


# --- Ctrl-C and resuming ---------------------------------------------------------------------


def test_ctrl_c_ends_with_the_draft_path(target: Path) -> None:
    """Ctrl-C raises InterviewInterrupted (exit 130) naming the draft."""
    error = interrupted(target, {**claims(), "kind": CTRL_C})
    assert (error.exit_code, str(draft_path(target)) in str(error)) == (130, True)


def test_the_draft_holds_the_answers_given_before_ctrl_c(target: Path) -> None:
    """Every answer given before Ctrl-C is in the draft."""
    interrupted(target, {**claims(), "summary": CTRL_C})
    assert (saved(target)["title"], saved(target)["kind"]) == ("Claims triage assistant", "service")


def test_ctrl_c_before_any_answer_saves_nothing(target: Path) -> None:
    """Ctrl-C at the first question leaves no draft and says so."""
    error = interrupted(target, {"title": CTRL_C})
    assert ("nothing was saved" in str(error), draft_path(target).exists()) == (True, False)


def test_a_resumed_interview_asks_only_what_is_left(target: Path) -> None:
    """A second run resumes the draft: the answered questions are not asked again."""
    interrupted(target, {**claims(), "title": "Resumed title", "name": CTRL_C})
    _, prompt = interview(target, claims())
    assert ("title" in prompt.asked_keys(), load_spec(target).title) == (False, "Resumed title")


def test_resuming_keeps_a_finished_list(target: Path) -> None:
    """A list finished before Ctrl-C is not offered again on resume."""
    interrupted(target, {**claims(), "success_metrics.*.name": CTRL_C})
    _, prompt = interview(target, claims())
    assert (
        "users.more" in prompt.asked_keys(),
        "success_metrics.*.name" in prompt.asked_keys(),
    ) == (
        False,
        True,
    )


def test_declining_to_resume_starts_over(target: Path) -> None:
    """Saying no to resuming asks from the first question again."""
    interrupted(target, {**claims(), "title": "Old title", "kind": CTRL_C})
    interview(target, {**claims(), "control.resume": False})
    assert load_spec(target).title == "Claims triage assistant"


# --- starting from a spec ----------------------------------------------------------------------


def test_from_a_partial_spec_only_the_missing_parts_are_asked(tmp_path: Path, target: Path) -> None:
    """--from a spec missing one owner and the budget asks just those two things."""
    data = example_data()
    del data["owners"]["operations"], data["budget"]
    source = write(tmp_path / "partial.yaml", data)
    _, prompt = interview(target, {"owners.operations": "pager@example.com"}, source)
    assert prompt.asked_keys() == [
        "control.change",
        "owners.operations",
        "budget.offer",
        "control.verdict",
    ]
    assert load_spec(target).owners.operations == "pager@example.com"


def test_from_a_spec_an_invalid_value_is_asked_again_with_the_reason(
    tmp_path: Path, target: Path
) -> None:
    """--from a spec with a bad name shows why and asks for the name again."""
    data = example_data()
    data["name"] = "Claims Triage"
    source = write(tmp_path / "bad.yaml", data)
    _, prompt = interview(target, {"name": "claims-triage"}, source)
    assert any("is not allowed; use a slug" in line for line in prompt.said)
    assert load_spec(target).name == "claims-triage"


def test_from_a_spec_a_chosen_section_is_asked_with_its_answers_offered(
    tmp_path: Path, target: Path
) -> None:
    """Choosing a section to change asks its fields, offering the current answers."""
    source = write(tmp_path / "full.yaml", example_data())
    script = {"control.change": ["owners"], "owners.business": "Chief Claims Officer"}
    _, prompt = interview(target, script, source)
    (technical,) = [r for r in prompt.asked if r.key == "owners.technical"]
    owners = load_spec(target).owners
    assert (technical.default, owners.business) == ("Claims Platform team", "Chief Claims Officer")


def test_from_a_spec_keeping_an_entry_asks_nothing_about_it(tmp_path: Path, target: Path) -> None:
    """Keeping every user of a section picked for change asks nothing more about them."""
    source = write(tmp_path / "full.yaml", example_data())
    _, prompt = interview(target, {"control.change": ["users"]}, source)
    assert "users.*.needs.*" not in prompt.asked_keys()
    assert load_spec(target) == load_spec(CLAIMS_SPEC)


def test_from_a_spec_an_entry_can_be_removed(tmp_path: Path, target: Path) -> None:
    """Removing users of a section picked for change drops them from the spec."""
    source = write(tmp_path / "full.yaml", example_data())
    script = {
        "control.change": ["users"],
        "control.item_action": Each(["keep", "remove", "remove"]),
    }
    interview(target, script, source)
    assert [u.role for u in load_spec(target).users] == ["adjuster"]


def test_from_a_complete_spec_changing_nothing_writes_the_same_spec(
    tmp_path: Path, target: Path
) -> None:
    """--from a complete spec, changing nothing, writes the same spec."""
    interview(target, {}, write(tmp_path / "full.yaml", example_data()))
    assert load_spec(target) == load_spec(CLAIMS_SPEC)


# --- an existing target -----------------------------------------------------------------------


def test_an_existing_different_file_is_kept_when_refused(target: Path) -> None:
    """An existing, different target is not overwritten when the person says no."""
    target.write_text("keep me\n", encoding="utf-8")
    script = {**claims(), "control.start_from_target": False, "control.overwrite": False}
    with pytest.raises(GeneratorError, match="was left as it was"):
        interview(target, script)
    assert target.read_text(encoding="utf-8") == "keep me\n"


def test_an_existing_different_file_is_replaced_when_confirmed(target: Path) -> None:
    """An existing, different target is replaced after a yes."""
    target.write_text("old\n", encoding="utf-8")
    interview(target, {**claims(), "control.start_from_target": False, "control.overwrite": True})
    assert load_spec(target).title == "Claims triage assistant"


def test_a_folder_as_the_target_is_a_usage_error(tmp_path: Path) -> None:
    """Naming a folder as the spec file is a usage error (exit 2)."""
    with pytest.raises(UsageError):
        interview(tmp_path, claims())


def test_a_spec_written_through_a_symlink_keeps_the_link(tmp_path: Path) -> None:
    """`spec new LINK` writes the file the link points to; the link stays, no draft is left."""
    real = tmp_path / "specs" / "fraud.yaml"
    real.parent.mkdir()
    link = tmp_path / "spec.yaml"
    link.symlink_to(real)
    interview(link, FRAUD)
    assert (link.is_symlink(), load_spec(real).title) == (True, "Fraud screening")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["spec.yaml", "specs"]


def test_a_spec_written_to_a_fifo_goes_into_it_and_the_draft_stays_out_of_its_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`spec new FIFO` writes into the pipe, keeps it a pipe, and drafts in the current folder."""
    pipes, work = tmp_path / "pipes", tmp_path / "work"
    pipes.mkdir()
    work.mkdir()
    monkeypatch.chdir(work)
    fifo = pipes / "spec.yaml"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    _, prompt = interview(fifo, FRAUD)
    reader.join(timeout=30)
    assert received and b"title: Fraud screening" in received[0]
    assert (stat.S_ISFIFO(fifo.stat().st_mode), [p.name for p in pipes.iterdir()]) == (
        True,
        ["spec.yaml"],
    )
    assert list(work.iterdir()) == []  # the draft was here, and is removed once written
    assert not any("already exists" in line for line in prompt.said)


@pytest.mark.parametrize(
    ("title", "name"),
    [
        ("Claims triage assistant", "claims-triage-assistant"),
        ("Ünïcode — Demo 2!", "unicode-demo-2"),
        ("42", None),
    ],
)
def test_the_name_offered_is_a_slug_of_the_title(title: str, name: str | None) -> None:
    """The name offered by default is a valid slug made from the title, or nothing."""
    assert suggest_name(Answers({}, {"title": title})) == name


# --- the verdict before the spec is written --------------------------------------------------


def test_the_verdict_and_every_finding_show_before_the_spec_is_written(target: Path) -> None:
    """The verdict, blockers, warnings, notes and questions appear, then a choice."""
    prompt = ScriptedPrompt({**claims(), "control.verdict": "stop"})
    with pytest.raises(InterviewStopped):
        run_interview(target, prompt=prompt)
    shown = "\n".join(prompt.said)
    verdict = shown.index("Verdict: not-ready")
    assert "✗ Operating boundary (operating_boundary): a high-risk" in shown[verdict:]
    assert "! " in shown[verdict:] and "Questions to settle before building:" in shown[verdict:]
    assert not target.exists()


def test_stopping_at_the_verdict_keeps_the_draft(target: Path) -> None:
    """Stopping exits 1 with a message naming the draft, which holds every answer."""
    with pytest.raises(InterviewStopped) as caught:
        interview(target, {**claims(), "control.verdict": "stop"})
    assert (caught.value.exit_code, str(draft_path(target)) in str(caught.value)) == (1, True)
    assert saved(target)["title"] == "Claims triage assistant"


def test_a_stopped_interview_resumes_at_the_verdict(target: Path) -> None:
    """Run again after stopping: resuming asks nothing but the verdict's choice."""
    with pytest.raises(InterviewStopped):
        interview(target, {**claims(), "control.verdict": "stop"})
    _, prompt = interview(target, {"control.verdict": "write"})
    assert prompt.asked_keys() == ["control.resume", "control.verdict"]
    assert load_spec(target).title == "Claims triage assistant"


def test_writing_anyway_writes_the_spec_as_answered(target: Path) -> None:
    """Choosing to write a spec that is not ready writes it and removes the draft."""
    result, _ = interview(target, claims())
    assert (result.verdict, result.path, draft_path(target).exists()) == (
        "not-ready",
        target,
        False,
    )


def test_revisiting_the_sections_blockers_point_at_makes_the_spec_ready(target: Path) -> None:
    """Revisiting the boundary, then the users, fixes both blockers; a ready spec is written."""
    script = {
        **claims(),
        "control.verdict": Each(["operating_boundary", "users", "write"]),
        "operating_boundary.offer": Each([False, True]),
        "operating_boundary.review_below_confidence": 0.8,
        "operating_boundary.requires_approval.*": Each(["Rejecting a claim."]),
        "control.item_action": "edit",
        "users.*.can": Each([["request", "read"], ["request", "read", "review"]]),
    }
    result, prompt = interview(target, script)
    first = next(r for r in prompt.asked if r.key == "control.verdict")
    options = [o.title for o in first.question.options]
    assert options[:2] == [
        "Revisit Users (1 blocker, 1 warning)",
        "Revisit Operating boundary (1 blocker)",
    ]
    assert result.verdict == "ready"
    spec = load_spec(target)
    assert (spec.operating_boundary is not None, spec.users[0].can) == (
        True,
        ["request", "read", "review"],
    )


def test_a_ready_spec_shows_its_warnings_and_may_be_revisited_before_writing(
    tmp_path: Path, target: Path
) -> None:
    """A ready spec with a warning shows it; writing is the first choice, revisiting offered."""
    _, prompt = interview(target, {}, write(tmp_path / "full.yaml", example_data()))
    (verdict,) = [r for r in prompt.asked if r.key == "control.verdict"]
    values = [o.value for o in verdict.question.options]
    assert values[:2] == ["write", "success_metrics"]  # M-2 has no baseline: a warning
    assert values[-2:] == ["other", "stop"]
    assert any(line.startswith("  ! Success metrics") for line in prompt.said)


def test_any_section_can_be_revisited_from_the_end(tmp_path: Path, target: Path) -> None:
    """Choosing to revisit another section asks which; that section is asked again."""
    script = {
        "control.verdict": Each(["other", "write"]),
        "control.section": "owners",
        "owners.business": "Chief Claims Officer",
    }
    interview(target, script, write(tmp_path / "full.yaml", example_data()))
    assert load_spec(target).owners.business == "Chief Claims Officer"


@pytest.mark.parametrize(("choice", "render"), [("render", True), ("write-only", False)])
def test_before_rendering_a_spec_that_is_not_ready_the_choice_says_whether(
    choice: str, render: bool, target: Path
) -> None:
    """When the project is rendered next, the choice says whether to render it anyway."""
    result, _ = interview(target, {**claims(), "control.verdict": choice}, renders=True)
    assert (result.path, result.render) == (target, render)
