"""The GenAI commands: exit codes and one-line errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ..package import genai, main
from tests.support import REPO


@pytest.fixture
def prompts(tmp_path: Path) -> Path:
    """A copy of the repository's prompts."""
    return Path(shutil.copytree(REPO / "prompts", tmp_path / "prompts"))


def test_prompts_check_passes_in_step(prompts: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`prompts check` exits 0 when every prompt matches the lock."""
    assert main(["prompts", "check", "--dir", str(prompts)]) == 0
    assert capsys.readouterr().out.startswith("ok:")


def test_prompts_check_fails_on_a_changed_prompt(
    prompts: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`prompts check` exits 1 naming the changed file; `prompts lock` then makes it pass."""
    first = genai().prompts[0]
    (prompts / f"{first}.md").write_text("changed\n", encoding="utf-8")
    assert main(["prompts", "check", "--dir", str(prompts)]) == 1
    assert f"{first}.md: changed since it was locked" in capsys.readouterr().err
    assert main(["prompts", "lock", "--dir", str(prompts)]) == 0
    assert main(["prompts", "check", "--dir", str(prompts)]) == 0


def test_unknown_command_is_a_usage_error() -> None:
    """An unknown subcommand exits 2 (argparse)."""
    with pytest.raises(SystemExit) as exited:
        main(["nonsense"])
    assert exited.value.code == 2
