"""Fixtures for pipeline end-to-end tests: one virtual environment, shared by every repo.

The environment gets the rendered repositories' development dependencies once; each
repository is then installed into it with ``pip install --no-deps -e``, so several
rendered pipelines are checked for the price of one dependency install.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from dataclasses import dataclass
from pathlib import Path

import pytest

from generator.render import render_project

DEV_REQUIREMENTS = [
    "pytest>=8.0",
    "mypy>=1.10",
    "ruff>=0.6",
    "PyYAML>=6.0.1",
    "types-PyYAML>=6.0",
    "hatchling>=1.24",
    "editables>=0.5",
]


@dataclass(frozen=True)
class PipelineVenv:
    """A virtual environment with the generated pipelines' development dependencies."""

    root: Path

    @property
    def bin(self) -> Path:
        """Return the folder of the environment's executables."""
        return self.root / "bin"

    def run(
        self, args: list[str], cwd: Path, timeout: int = 600
    ) -> subprocess.CompletedProcess[str]:
        """Run a command with this environment first on PATH, outside our own source tree."""
        env = {**os.environ, "PATH": f"{self.bin}{os.pathsep}{os.environ.get('PATH', '')}"}
        env.pop("PYTHONPATH", None)
        env["VIRTUAL_ENV"] = str(self.root)
        return subprocess.run(
            args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
        )

    def install(self, repo: Path) -> None:
        """Install a rendered repository into the environment (editable, no dependencies)."""
        done = self.run(
            [
                str(self.bin / "python"),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--no-deps",
                "--no-build-isolation",
                "-e",
                str(repo),
            ],
            cwd=repo,
        )
        assert done.returncode == 0, done.stderr


@pytest.fixture(scope="session")
def pipeline_venv(tmp_path_factory: pytest.TempPathFactory) -> PipelineVenv:
    """Create the shared environment and install the development dependencies once."""
    root = tmp_path_factory.mktemp("pipeline-venv") / "venv"
    venv.create(root, with_pip=True)
    subprocess.run(
        [str(root / "bin" / "python"), "-m", "pip", "install", "--quiet", *DEV_REQUIREMENTS],
        check=True,
        timeout=900,
    )
    return PipelineVenv(root)


def render_and_install(spec: Path, dest: Path, env: PipelineVenv) -> Path:
    """Render a pipeline spec into ``dest`` and install it into ``env``; return the repo."""
    render_project(spec, dest)
    env.install(dest)
    return dest


def check_jsonschema() -> str:
    """Return the check-jsonschema executable installed beside this test run's Python."""
    return str(Path(sys.executable).parent / "check-jsonschema")
