"""The installed console script in a real pseudo-terminal: answer, Ctrl-C, resume.

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

from generator.interview._draft import Draft

pytestmark = pytest.mark.e2e

TIMEOUT = 30
SCRIPT = Path(sys.executable).parent / "new-ai-project"


def _spawn(cwd: Path) -> pexpect.spawn:
    """Start `new-ai-project spec new` in a pseudo-terminal."""
    command = str(SCRIPT) if SCRIPT.exists() else shutil.which("new-ai-project")
    if command is None:
        pytest.fail("the new-ai-project console script is not installed")
    child = pexpect.spawn(
        command,
        ["spec", "new"],
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
