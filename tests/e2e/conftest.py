"""Session fixtures for service end-to-end tests: render a repo, share one virtual environment.

The first service repository is installed with its development dependencies into a fresh
virtual environment; later ones whose dependencies are the same are added with
``pip install --no-deps -e``, so the suite pays for one dependency install per session.
"""

from __future__ import annotations

import os
import subprocess
import tomllib
import venv
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from generator.render import render_project


@contextmanager
def isolated_home(home: Path) -> Iterator[None]:
    """Point HOME, the XDG folders and git's global config at ``home``."""
    home.mkdir(parents=True, exist_ok=True)
    (home / ".gitconfig").write_text("[user]\n\tname = E2E\n\temail = e2e@example.com\n")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HOME", str(home))
        patch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
        patch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
        patch.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
        patch.setenv("GIT_CONFIG_NOSYSTEM", "1")
        yield


def _dependencies(repo: Path) -> tuple[list[str], dict[str, list[str]]]:
    data: dict[str, Any] = tomllib.loads((repo / "pyproject.toml").read_text(encoding="utf-8"))
    project = data["project"]
    return sorted(project["dependencies"]), project.get("optional-dependencies", {})


@dataclass
class ServiceVenv:
    """One virtual environment holding the dependencies of the rendered service repos."""

    root: Path
    home: Path
    installed: dict[Path, tuple[list[str], dict[str, list[str]]]] = field(default_factory=dict)

    @property
    def bin(self) -> Path:
        """Return the folder of the environment's executables."""
        return self.root / "bin"

    def env(self) -> dict[str, str]:
        """Return an environment with this venv first on PATH and an isolated HOME."""
        env = {**os.environ, "PATH": f"{self.bin}{os.pathsep}{os.environ.get('PATH', '')}"}
        env.pop("PYTHONPATH", None)
        env["VIRTUAL_ENV"] = str(self.root)
        env["HOME"] = str(self.home)
        return env

    def run(
        self, args: list[str], cwd: Path, timeout: int = 600
    ) -> subprocess.CompletedProcess[str]:
        """Run a command from this environment in ``cwd``."""
        return subprocess.run(
            args,
            cwd=cwd,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def install(self, repo: Path) -> None:
        """Install ``repo`` editable: with its dependencies the first time, without them after."""
        deps = _dependencies(repo)
        pip = [
            str(self.bin / "python"),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
        ]
        if any(known == deps for known in self.installed.values()):
            args = [*pip, "--no-deps", "--no-build-isolation", "-e", str(repo)]
        else:
            args = [*pip, "--no-build-isolation", "-e", f"{repo}[dev]"]
        done = self.run(args, cwd=repo, timeout=900)
        assert done.returncode == 0, done.stdout + done.stderr
        self.installed[repo] = deps


@pytest.fixture(scope="session")
def service_venv(tmp_path_factory: pytest.TempPathFactory) -> ServiceVenv:
    """A fresh virtual environment with the build backend; repos are installed on demand."""
    base = tmp_path_factory.mktemp("service-venv")
    root = base / "venv"
    venv.create(root, with_pip=True)
    shared = ServiceVenv(root=root, home=base / "home")
    shared.home.mkdir()
    done = shared.run(
        [
            str(root / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "--quiet",
            "hatchling>=1.24",
            "editables>=0.5",
        ],
        cwd=base,
    )
    assert done.returncode == 0, done.stderr
    return shared


@pytest.fixture(scope="session")
def render_service(
    tmp_path_factory: pytest.TempPathFactory, service_venv: ServiceVenv
) -> Iterator[Any]:
    """Return a function that renders a spec (with git) and installs it into the venv."""
    rendered: dict[Path, Path] = {}

    def render(spec: Path) -> Path:
        if spec not in rendered:
            dest = tmp_path_factory.mktemp("service") / spec.stem
            with isolated_home(tmp_path_factory.mktemp("home")):
                render_project(spec, dest)
            service_venv.install(dest)
            rendered[spec] = dest
        return rendered[spec]

    yield render
