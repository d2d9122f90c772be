"""The interview answered by question key through the Prompt protocol, with no terminal."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from generator.interview import run_interview
from generator.spec import load_spec
from tests.fake_prompt import Each, ScriptedPrompt

FRESH = {
    "title": "Fraud screening",
    "summary": "Scores card payments for fraud before they are authorised.",
    "business_goal.problem": "Analysts review every flagged payment by hand.",
    "business_goal.outcome": "Only doubtful payments reach an analyst.",
    "business_goal.value": "Manual reviews fall by half.",
    "owners.business": "Head of Payments",
    "owners.technical": "Payments Platform team",
    "owners.operations": "payments-oncall@example.com",
    "users.*.role": "analyst",
    "users.*.description": "Reviews doubtful payments.",
    "success_metrics.*.name": "Manual reviews per day",
    "success_metrics.*.unit": "reviews",
    "success_metrics.*.baseline": 400,
    "success_metrics.*.target": 200,
    "success_metrics.*.measurement": "Case tool counts, weekly.",
    "regulatory.regimes": ["pci-dss"],
    "acceptance_criteria.*.given": "a payment with a known fraud pattern",
    "acceptance_criteria.*.when": "it is scored",
    "acceptance_criteria.*.then": "it is held for review within 200 ms",
    "control.not_ready": "write",
}


@pytest.fixture
def target(tmp_path: Path) -> Path:
    """Return where the interview writes the spec."""
    return tmp_path / "spec.yaml"


def test_a_whole_interview_can_be_answered_by_key(target: Path) -> None:
    """Scripted answers keyed by field path make a valid spec; suggestions fill the rest."""
    prompt = ScriptedPrompt(FRESH)
    run_interview(target, prompt=prompt)
    spec = load_spec(target)
    assert (spec.name, spec.kind, spec.users[0].can) == (
        "fraud-screening",  # suggested from the title
        "service",  # the first choice
        ["request", "read"],  # what an omitted `can` means, pre-checked
    )
    assert spec.regulatory.retention_days == 365  # PCI DSS's minimum, suggested
    assert spec.success_metrics[0].direction == "decrease"  # worked out from the numbers


def test_questions_are_worded_with_the_answers_they_name(target: Path) -> None:
    """A question naming earlier answers of its entry is asked with them filled in."""
    prompt = ScriptedPrompt(FRESH)
    run_interview(target, prompt=prompt)
    assert prompt.questions("success_metrics.*.baseline") == [
        "What is “Manual reviews per day” today, in reviews?"
    ]
    assert prompt.questions("users.*.description") == [
        "Who are the analyst users and what do they do?"
    ]


def test_a_category_input_is_asked_for_its_values_after_its_type(target: Path) -> None:
    """Choosing ``category`` asks for the values next, and the input is written with them."""
    script = {
        **FRESH,
        "inputs.offer": True,
        "inputs.*.name": "channel",
        "inputs.*.type": "category",
        "inputs.*.values.*": Each(["web", "app", "pos"]),
    }
    prompt = ScriptedPrompt(script)
    run_interview(target, prompt=prompt)
    inputs = load_spec(target).inputs
    assert inputs is not None
    assert (inputs[0].type, inputs[0].values) == ("category", ["web", "app", "pos"])
    assert prompt.refused == []
    keys = [r.key for r in prompt.asked]
    assert keys.index("inputs.*.type") < keys.index("inputs.*.values.*")
    assert "inputs.*.min" not in keys  # bounds are for numbers only


def test_a_refused_answer_gets_the_models_reason_and_the_next_one_is_tried(target: Path) -> None:
    """A scripted answer the spec's rules refuse is reported with the reason."""
    script = {**FRESH, "name": Each(["Fraud Screening", "fraud-desk"])}
    prompt = ScriptedPrompt(script)
    run_interview(target, prompt=prompt)
    assert load_spec(target).name == "fraud-desk"
    assert len(prompt.refused) == 1 and "use a slug" in prompt.refused[0]


def test_a_spec_written_through_a_symlink_keeps_the_link(tmp_path: Path) -> None:
    """`spec new LINK` writes the file the link points to; the link stays, no draft is left."""
    real = tmp_path / "specs" / "fraud.yaml"
    real.parent.mkdir()
    link = tmp_path / "spec.yaml"
    link.symlink_to(real)
    run_interview(link, prompt=ScriptedPrompt(FRESH))
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
    prompt = ScriptedPrompt(FRESH)
    run_interview(fifo, prompt=prompt)
    reader.join(timeout=30)
    assert received and b"title: Fraud screening" in received[0]
    assert (stat.S_ISFIFO(fifo.stat().st_mode), [p.name for p in pipes.iterdir()]) == (
        True,
        ["spec.yaml"],
    )
    assert list(work.iterdir()) == []  # the draft was here, and is removed once written
    assert not any("already exists" in line for line in prompt.said)
