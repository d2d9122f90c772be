"""The installed console script in a real pseudo-terminal: answers, suggestions, verdict.

Answer, Ctrl-C and resume; type over a suggested answer; build a category input, going
back with ``<`` to fix an earlier answer; see the review's verdict and blockers before the
interview ends. The interview's flows are tested by key in ``tests/unit/test_interview.py``;
these few check what only a real terminal shows.

Timeouts are generous for a loaded machine; every wait ends as soon as the expected
text appears, so nothing sleeps needlessly.
"""

from __future__ import annotations

import io
import shutil
import sys
from pathlib import Path

import pexpect
import pytest
import yaml

from generator.interview._draft import Draft
from generator.spec import load_spec
from generator.spec.writer import dump_spec

pytestmark = pytest.mark.e2e

TIMEOUT = 30
SCRIPT = Path(sys.executable).parent / "new-ai-project"


ROOT = Path(__file__).resolve().parents[2]
PLANTED = ROOT / "tests" / "fixtures" / "review" / "planted-problems.yaml"
CLAIMS = ROOT / "specs" / "claims-triage.yaml"
UP = "\x1b[A"
DOWN = "\x1b[B"


def _spawn(cwd: Path, *args: str) -> pexpect.spawn:
    """Start `new-ai-project spec new [ARGS]` in a pseudo-terminal."""
    command = str(SCRIPT) if SCRIPT.exists() else shutil.which("new-ai-project")
    if command is None:
        pytest.fail("the new-ai-project console script is not installed")
    child = pexpect.spawn(
        command,
        ["spec", "new", *args],
        cwd=str(cwd),
        encoding="utf-8",
        timeout=TIMEOUT,
        dimensions=(40, 120),
        env={"TERM": "xterm", "PATH": "/usr/bin:/bin", "HOME": str(cwd), "LANG": "C.UTF-8"},
    )
    child.logfile_read = io.StringIO()
    return child


def _interrupt(child: pexpect.spawn) -> str:
    """Press Ctrl-C, wait for the process to end and return everything it printed."""
    child.sendcontrol("c")
    child.expect(pexpect.EOF)
    child.close()
    return str(child.logfile_read.getvalue())


def test_answer_then_ctrl_c_keeps_the_answer_and_resumes(tmp_path: Path) -> None:
    """The first question appears, an answer is kept through Ctrl-C, and a rerun resumes."""
    child = _spawn(tmp_path)
    child.expect("project called")
    child.send("Pty probe title\r")
    child.expect("kind of system")
    screen = _interrupt(child)
    assert child.exitstatus == 130
    assert "Traceback" not in screen
    assert "Interrupted; your answers are saved in spec.draft.yaml" in screen
    saved = Draft(tmp_path / "spec.draft.yaml").load()
    assert saved is not None
    assert saved[0]["title"] == "Pty probe title"

    again = _spawn(tmp_path)
    again.expect("Resume where you left off")
    again.send("\r")
    again.expect("kind of system")
    _interrupt(again)
    assert again.exitstatus == 130


def test_typing_over_a_suggestion_replaces_it(tmp_path: Path) -> None:
    """The slug suggested from the title shows; the name typed replaces it, not appends."""
    child = _spawn(tmp_path)
    child.expect("project called")
    child.send("Invoice anomaly detection\r")
    child.expect("kind of system")
    child.send("\r")
    child.expect("Short name")
    child.expect("invoice-anomaly-detection")  # the suggestion, greyed in the empty answer
    child.send("invoice-desk\r")
    child.expect("one or two sentences")
    _interrupt(child)
    saved = Draft(tmp_path / "spec.draft.yaml").load()
    assert saved is not None
    assert saved[0]["name"] == "invoice-desk"


def test_the_verdict_shows_before_the_interview_ends(tmp_path: Path) -> None:
    """A flawed spec's verdict and blockers appear with a choice; stopping keeps the draft."""
    child = _spawn(tmp_path, "out.yaml", "--from", str(PLANTED))
    child.expect("Which parts do you want to change")
    child.send("\r")
    child.expect("upstream data sources")
    child.send("n")
    child.expect("typed data contract")
    child.send("n")
    child.expect("Verdict: not-ready")
    child.expect("holds every owner role")  # a blocker, with what to change
    child.expect("What now")
    child.send(UP + "\r")  # the last choice: stop here and keep the draft
    child.expect(pexpect.EOF)
    child.close()
    screen = str(child.logfile_read.getvalue())
    assert (child.exitstatus, "Traceback" in screen) == (1, False)
    assert "Stopped before writing out.yaml" in screen
    assert (not (tmp_path / "out.yaml").exists(), (tmp_path / "out.draft.yaml").is_file()) == (
        True,
        True,
    )


def test_a_category_input_is_built_going_back_to_fix_its_name(tmp_path: Path) -> None:
    """Type a name, go back from the type with <, fix the name; then a category and values."""
    data = yaml.safe_load(CLAIMS.read_text(encoding="utf-8"))
    del data["inputs"]
    data["monitoring"]["drift_features"] = ["channel"]
    (tmp_path / "partial.yaml").write_text(dump_spec(data), encoding="utf-8")
    child = _spawn(tmp_path, "out.yaml", "--from", "partial.yaml")
    child.expect("Which parts do you want to change")
    child.send("\r")
    child.expect("typed data contract")
    child.send("y")
    child.expect("What is the input called")
    child.send("chanel\r")
    child.expect("Which type is it")
    child.send("<")
    child.expect("back to the previous question")
    child.expect("What is the input called")
    child.expect("chanel")  # the earlier answer, offered greyed
    child.send("channel\r")
    child.expect("Which type is it")
    child.send(DOWN + DOWN + "\r")  # number, integer, category
    child.expect("Which values may it take")
    child.send("web\r")
    child.expect("item 2")
    child.send("phone\r")
    child.expect("item 3")
    child.send("\r")  # done
    child.expect("Must every request give it")
    child.send("\r")
    child.expect("identify or describe a person")
    child.send("\r")
    child.expect("data dependency supplies it")
    child.send(DOWN + "\r")  # claims-db
    child.expect("Add another input")
    child.send("n")
    child.expect("Verdict: ready")
    child.expect("What now")
    child.send("\r")  # write the spec
    child.expect(pexpect.EOF)
    child.close()
    assert (child.exitstatus, "Traceback" in str(child.logfile_read.getvalue())) == (0, False)
    inputs = load_spec(tmp_path / "out.yaml").inputs
    assert inputs is not None
    assert [(i.name, i.type, i.values, i.source) for i in inputs] == [
        ("channel", "category", ["web", "phone"], "claims-db")
    ]
