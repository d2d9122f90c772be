"""The interview from the command line: no terminal, spec new, Ctrl-C, the verdict, new."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from prompt_toolkit.application import create_app_session
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from generator.cli import main
from generator.spec import load_spec
from tests.conftest import FIXTURES, SPECS
from tests.unit.interview_keys import CTRL_C, ENTER, STOP, UP, happy_keys, line

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
    """In process, answers come from a pipe: switch off the terminal check."""
    monkeypatch.setattr("generator.interview.prompts.require_terminal", lambda: None)


def _cli(keys: list[str], *argv: str) -> int:
    """Run the command line in process with ``keys`` typed in advance."""
    with create_pipe_input() as pipe:
        pipe.send_text("".join(keys))
        pipe.close()
        with create_app_session(input=pipe, output=DummyOutput()):
            return main(list(argv))


def test_spec_new_writes_the_file_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`spec new FILE` runs the interview, writes FILE and names it."""
    target = tmp_path / "claims.yaml"
    assert _cli(happy_keys(), "spec", "new", str(target)) == 0
    assert f"Wrote the spec to {target}." in capsys.readouterr().out
    assert load_spec(target).name == "claims-triage-assistant"


def test_spec_new_from_a_spec(tmp_path: Path) -> None:
    """`spec new FILE --from SPEC` starts from SPEC."""
    target = tmp_path / "copy.yaml"
    assert (
        _cli([ENTER], "spec", "new", str(target), "--from", str(SPECS / "claims-triage.yaml")) == 0
    )
    assert load_spec(target) == load_spec(SPECS / "claims-triage.yaml")


def test_ctrl_c_exits_130_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Ctrl-C ends `spec new` with exit 130 and one line naming the draft."""
    assert _cli([line("Claims triage"), CTRL_C], "spec", "new", str(tmp_path / "spec.yaml")) == 130
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert str(tmp_path / "spec.draft.yaml") in err


# --- the verdict before writing, and before rendering ------------------------------------


def test_spec_new_stopped_at_the_verdict_exits_1_naming_the_draft(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Stopping at a not-ready verdict exits 1 with one line naming the draft; no spec."""
    target = tmp_path / "spec.yaml"
    assert _cli(happy_keys(verdict=[STOP]), "spec", "new", str(target)) == 1
    err = capsys.readouterr().err
    assert (err.count("\n"), str(tmp_path / "spec.draft.yaml") in err) == (1, True)
    assert not target.exists()


def test_new_asks_before_rendering_a_spec_that_is_not_ready(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`new DEST` with a not-ready spec, "render later": the spec is written, DEST is not."""
    dest = tmp_path / "claims"
    assert _cli(happy_keys(verdict=[UP * 2 + ENTER]), "new", str(dest)) == 1
    assert "Not rendered, as chosen: the spec is not ready." in capsys.readouterr().out
    assert (dest.exists(), load_spec(tmp_path / "claims.spec.yaml").title) == (
        False,
        "Claims triage assistant",
    )


def test_new_renders_a_spec_that_is_not_ready_when_told_to(tmp_path: Path) -> None:
    """`new DEST`, "render anyway": the project is rendered from the spec as answered."""
    dest = tmp_path / "claims"
    assert _cli(happy_keys(verdict=[UP * 3 + ENTER]), "new", str(dest), "--no-git") == 0
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
