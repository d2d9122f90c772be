"""The interview from the command line: no terminal, spec new, Ctrl-C, the verdict, new."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from generator.cli import main
from generator.spec import load_spec
from tests.conftest import FIXTURES, SPECS
from tests.fake_prompt import CTRL_C, ScriptedPrompt
from tests.interview_answers import claims

PLANTED = FIXTURES / "review" / "planted-problems.yaml"


def _piped(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the command line with standard input from a pipe, as in CI."""
    return subprocess.run(
        [sys.executable, "-m", "generator", *args],
        cwd=cwd,
        input="answers nobody will read\n",
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


@pytest.mark.parametrize(
    "args", [(), ("spec", "new"), ("new", "demo")], ids=["bare", "spec-new", "new"]
)
def test_piped_input_is_refused_at_once(args: tuple[str, ...], tmp_path: Path) -> None:
    """Without a terminal the interview exits 2 with a pointer to --spec, and writes nothing."""
    result = _piped(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert "--spec" in result.stderr
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.fixture(autouse=True)
def no_terminal_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """In process, answers come from a script: switch off the terminal check."""
    monkeypatch.setattr("generator.interview.prompts.require_terminal", lambda: None)


def _cli(monkeypatch: pytest.MonkeyPatch, script: dict[str, Any], *argv: str) -> int:
    """Run the command line in process, its interview answered by ``script`` (by key)."""
    prompt = ScriptedPrompt(script)
    monkeypatch.setattr("generator.interview.session.TerminalPrompt", lambda: prompt)
    return main(list(argv))


def test_spec_new_writes_the_file_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`spec new FILE` runs the interview, writes FILE and names it."""
    target = tmp_path / "claims.yaml"
    assert _cli(monkeypatch, claims(), "spec", "new", str(target)) == 0
    assert f"Wrote the spec to {target}." in capsys.readouterr().out
    assert load_spec(target).name == "claims-triage-assistant"


def test_spec_new_from_a_spec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`spec new FILE --from SPEC` starts from SPEC."""
    target = tmp_path / "copy.yaml"
    source = SPECS / "claims-triage.yaml"
    assert _cli(monkeypatch, {}, "spec", "new", str(target), "--from", str(source)) == 0
    assert load_spec(target) == load_spec(source)


def test_ctrl_c_exits_130_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C ends `spec new` with exit 130 and one line naming the draft."""
    script = {**claims(), "kind": CTRL_C}
    assert _cli(monkeypatch, script, "spec", "new", str(tmp_path / "spec.yaml")) == 130
    err = capsys.readouterr().err
    assert (err.count("\n"), str(tmp_path / "spec.draft.yaml") in err) == (1, True)


# --- the verdict before writing, and before rendering ------------------------------------


def test_spec_new_stopped_at_the_verdict_exits_1_naming_the_draft(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stopping at a not-ready verdict exits 1 with one line naming the draft; no spec."""
    target = tmp_path / "spec.yaml"
    script = {**claims(), "control.verdict": "stop"}
    assert _cli(monkeypatch, script, "spec", "new", str(target)) == 1
    err = capsys.readouterr().err
    assert (err.count("\n"), str(tmp_path / "spec.draft.yaml") in err) == (1, True)
    assert not target.exists()


def test_new_asks_before_rendering_a_spec_that_is_not_ready(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`new DEST` with a not-ready spec, "render later": the spec is written, DEST is not."""
    dest = tmp_path / "claims"
    script = {**claims(), "control.verdict": "write-only"}
    assert _cli(monkeypatch, script, "new", str(dest)) == 1
    assert "Not rendered, as chosen: the spec is not ready." in capsys.readouterr().out
    assert (dest.exists(), load_spec(tmp_path / "claims.spec.yaml").title) == (
        False,
        "Claims triage assistant",
    )


def test_new_renders_a_spec_that_is_not_ready_when_told_to(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`new DEST`, "render anyway": the project is rendered from the spec as answered."""
    dest = tmp_path / "claims"
    script = {**claims(), "control.verdict": "render"}
    assert _cli(monkeypatch, script, "new", str(dest), "--no-git") == 0
    assert load_spec(dest / "spec.yaml").title == "Claims triage assistant"


def test_new_with_a_spec_asks_nothing_and_refuses_a_spec_with_blockers(tmp_path: Path) -> None:
    """`new DEST --spec FILE` prints the verdict; a spec with blockers exits 1, nothing rendered."""
    done = _piped("new", "demo", "--spec", str(PLANTED), "--no-git", cwd=tmp_path)
    assert done.returncode == 1, done.stdout
    first = done.stdout.splitlines()[0]
    assert first.startswith(f"Review of {PLANTED}: not-ready, score ")
    assert "--draft" in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "demo").exists()


def test_new_draft_renders_a_spec_with_blockers_and_says_so(tmp_path: Path) -> None:
    """With --draft the repository is rendered; the output says its CI fails until settled."""
    args = ("new", "demo", "--spec", str(PLANTED), "--no-git", "--draft")
    done = _piped(*args, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "demo" / "spec.yaml").is_file()
    assert "It is a draft" in done.stdout and "readiness" in done.stdout
