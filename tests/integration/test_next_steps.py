"""``new``'s "Next steps" are the rendered README's quick start, for both kinds."""

from __future__ import annotations

import contextlib
import io
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.cli import main
from generator.render.project import _first_shell_block, _next_steps
from tests.conftest import SPECS
from tests.integration.test_render_service import isolated

KINDS = {"service": SPECS / "claims-triage.yaml", "pipeline": SPECS / "weekly-demand-forecast.yaml"}


@pytest.fixture(scope="module", params=sorted(KINDS))
def made(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, dict[str, Any], list[str]]:
    """Run ``new`` for one kind into a folder with a space; the repo, spec and printed steps."""
    spec_path = KINDS[request.param]
    dest = tmp_path_factory.mktemp("next steps") / "my repo"
    printed = io.StringIO()
    with isolated(tmp_path_factory.mktemp("home")), contextlib.redirect_stdout(printed):
        assert main(["new", str(dest), "--spec", str(spec_path)]) == 0
    lines = printed.getvalue().splitlines()
    steps = [line.strip() for line in lines[lines.index("Next steps:") + 1 :]]
    spec = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    return dest, spec, steps


def test_next_steps_are_the_readme_quick_start(
    made: tuple[Path, dict[str, Any], list[str]],
) -> None:
    """Between ``cd`` and the update hint, the steps are the README's first shell block."""
    dest, _, steps = made
    readme = (dest / "README.md").read_text(encoding="utf-8")
    block = readme.split("```sh\n", 1)[1].split("```", 1)[0]
    assert steps[1:-1] == [line.strip() for line in block.splitlines() if line.strip()]
    assert "new-ai-project update" in steps[-1]


def test_cd_quotes_a_folder_with_a_space(made: tuple[Path, dict[str, Any], list[str]]) -> None:
    """The ``cd`` line can be pasted into a shell as it is."""
    dest, _, steps = made
    assert shlex.split(steps[0]) == ["cd", str(dest)]


def test_the_steps_create_a_key_and_serve_or_run(
    made: tuple[Path, dict[str, Any], list[str]],
) -> None:
    """A service's steps make an API key for the first role and serve; a pipeline's run it."""
    _, spec, steps = made
    name = str(spec["name"])
    commands = [step.split("#", 1)[0].strip() for step in steps]
    if spec["kind"] == "service":
        role = spec["users"][0]["role"]
        assert f"{name} hash-key --role {role} --actor you@example.com" in commands
        assert any("_API_KEYS=" in command for command in commands)
        assert f"{name} serve" in commands
        assert not any("uvicorn" in command for command in commands)
    else:
        assert f"{name} run" in commands
        assert f"{name} audit verify" in commands


@pytest.mark.parametrize(
    ("text", "block"),
    [
        ("# T\n\n```sh\na  # one\n\nb\n```\n\n```sh\nc\n```\n", ["a  # one", "b"]),
        ("# T\n\n```python\nx = 1\n```\n", []),
        ("# T\n\n```sh\na\n", []),
    ],
    ids=["first-block-only", "no-shell-block", "unclosed-fence"],
)
def test_first_shell_block(tmp_path: Path, text: str, block: list[str]) -> None:
    """Only a closed shell fence counts, and only the first; blank lines are dropped."""
    readme = tmp_path / "README.md"
    readme.write_text(text, encoding="utf-8")
    assert _first_shell_block(readme) == block


def test_a_template_without_readme_gets_cd_and_update(tmp_path: Path) -> None:
    """No README (a custom template): no commands are made up."""
    steps = _next_steps(tmp_path, tmp_path / "README.md")
    assert steps[0] == f"cd {tmp_path}"
    assert len(steps) == 2 and "new-ai-project update" in steps[1]
