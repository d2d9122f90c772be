"""A non-editable install into a fresh virtual environment gives a working tool."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.conftest import EXAMPLE_SPECS, ROOT, SPECS
from tests.e2e.environments import UV, uv_env

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def tool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Build the wheel and install it (not editable) in a fresh venv; yield its console script.

    Both from the lock's pins (``requirements/dev.txt``), the build backend included, as every
    install here is: a release on the package index cannot change what this test installs.
    uv builds and installs in seconds, from the package cache the other tests share.
    """
    work = tmp_path_factory.mktemp("install")
    pins = str(ROOT / "requirements" / "dev.txt")
    env = uv_env()

    def uv(*args: str | Path) -> None:
        subprocess.run([str(UV), *map(str, args)], check=True, timeout=600, env=env)

    uv("build", "--wheel", "--quiet", "--out-dir", work / "dist", "--build-constraint", pins, ROOT)
    wheel = next((work / "dist").glob("new_ai_project-*.whl"))
    uv("venv", "--quiet", "--python", sys.executable, work / "venv")
    python = work / "venv" / "bin" / "python"
    uv("pip", "install", "--quiet", "--python", python, "--constraint", pins, wheel)
    yield work / "venv" / "bin" / "new-ai-project"


def run(tool: Path, *args: str, cwd: Path, home: Path) -> subprocess.CompletedProcess[str]:
    """Run the installed tool outside the source tree, with its own HOME."""
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CACHE_HOME": str(home / "cache"),
    }
    env.pop("PYTHONPATH", None)
    return subprocess.run(
        [str(tool), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_help_and_version(tool: Path, tmp_path: Path) -> None:
    """--help and --version work from the installed wheel."""
    assert "new" in run(tool, "--help", cwd=tmp_path, home=tmp_path).stdout
    assert run(tool, "--version", cwd=tmp_path, home=tmp_path).stdout.startswith(
        "new-ai-project 0."
    )


def test_schema_ships_in_the_wheel(tool: Path, tmp_path: Path) -> None:
    """The schema command prints the schema, and the shipped file lives in site-packages."""
    schema = json.loads(run(tool, "spec", "schema", cwd=tmp_path, home=tmp_path).stdout)
    assert "acceptance_criteria" in schema["properties"]
    path = Path(run(tool, "spec", "schema", "--path", cwd=tmp_path, home=tmp_path).stdout.strip())
    assert "site-packages" in str(path) and path.is_file()


def test_validate_examples(tool: Path, tmp_path: Path) -> None:
    """The installed tool validates every example spec."""
    done = run(tool, "spec", "validate", *map(str, EXAMPLE_SPECS), cwd=tmp_path, home=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr


def test_new_renders_from_the_shipped_bundle(tool: Path, tmp_path: Path) -> None:
    """Rendering uses the templates in the wheel and records an updatable source."""
    dest, spec = tmp_path / "proj", SPECS / "claims-triage.yaml"
    done = run(tool, "new", str(dest), "--spec", str(spec), cwd=tmp_path, home=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    answers = yaml.safe_load((dest / ".copier-answers.yml").read_text(encoding="utf-8"))
    assert answers.get("_commit"), answers.keys()
    assert str(tmp_path) in answers["_src_path"] or answers["_src_path"].startswith("~")
    assert (dest / "spec.yaml").read_bytes() == spec.read_bytes()
