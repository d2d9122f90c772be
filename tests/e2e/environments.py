"""Fresh virtual environments for rendered repositories, installed from their constraints.

Each rendered repository gets an environment of its own, installed the way its README and
CI install it: editable with the ``dev`` extra, every version taken from the repository's
``constraints.txt`` (its build backend too). The environments are made with uv, whose
package cache lives in this test run's own environment and is shared by every repo, so a
fresh environment costs a couple of seconds instead of a full download and install.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from generator.render import render_project

UV = Path(sys.executable).with_name("uv")
UV_CACHE = Path(os.environ.get("UV_CACHE_DIR") or Path(sys.prefix) / "uv-cache")
"""Kept inside this test run's environment: never the user's home, reused between runs."""


@dataclass(frozen=True)
class RepoEnv:
    """A rendered repository and the fresh virtual environment it is installed in."""

    repo: Path
    root: Path
    home: Path
    extras: tuple[str, ...] = ("dev",)

    @property
    def bin(self) -> Path:
        """Return the folder of the environment's executables."""
        return self.root / "bin"

    @property
    def python(self) -> str:
        """Return the environment's Python executable."""
        return str(self.bin / "python")

    def env(self) -> dict[str, str]:
        """An environment with this venv first on PATH and an isolated HOME."""
        env = {**os.environ, "PATH": f"{self.bin}{os.pathsep}{os.environ.get('PATH', '')}"}
        for name in ("PYTHONPATH", "PIP_CONSTRAINT", "UV_CONSTRAINT"):
            env.pop(name, None)
        env["VIRTUAL_ENV"] = str(self.root)
        env["HOME"] = str(self.home)
        if "airflow" in self.extras:  # installed: the repo's Airflow tests may not skip
            env["AIRFLOW_REQUIRED"] = "1"
        return env

    def run(
        self, args: list[str], cwd: Path | None = None, timeout: int = 900
    ) -> subprocess.CompletedProcess[str]:
        """Run a command from this environment, in the repository unless ``cwd`` is given."""
        return subprocess.run(
            args,
            cwd=cwd or self.repo,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def ok(self, args: list[str], cwd: Path | None = None) -> str:
        """Run a command that must succeed; return its standard output."""
        done = self.run(args, cwd)
        assert done.returncode == 0, f"{args}:\n{done.stdout[-4000:]}\n{done.stderr[-3000:]}"
        return done.stdout


def uv_env() -> dict[str, str]:
    """The environment uv runs in: our shared cache, no inherited constraints."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UV_", "PIP_"))}
    env["UV_CACHE_DIR"] = str(UV_CACHE)
    return env


def install_repo(repo: Path, base: Path, extras: tuple[str, ...] = ("dev",)) -> RepoEnv:
    """Create a fresh environment under ``base`` and install ``repo`` from its constraints.

    ``extras`` are the package's extras to install (a pipeline's ``airflow`` too, when a
    test runs its DAG).
    """
    root = base / "venv"
    home = base / "home"
    home.mkdir(parents=True, exist_ok=True)
    constraints = repo / "constraints.txt"
    assert constraints.is_file(), "a generated repository ships constraints.txt"
    env = uv_env()
    for args in (
        [str(UV), "venv", "--quiet", "--python", sys.executable, str(root)],
        [
            str(UV),
            "pip",
            "install",
            "--quiet",
            "--python",
            str(root / "bin" / "python"),
            "--constraint",
            str(constraints),
            "--build-constraint",
            str(constraints),
            "--editable",
            f"{repo}[{','.join(extras)}]",
        ],
    ):
        done = subprocess.run(
            args, env=env, capture_output=True, text=True, timeout=900, check=False
        )
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return RepoEnv(repo=repo, root=root, home=home, extras=extras)


def render_and_install(
    spec: Path,
    tmp_path_factory: pytest.TempPathFactory,
    *,
    name: str | None = None,
    extras: tuple[str, ...] = ("dev",),
) -> RepoEnv:
    """Render ``spec`` (with git, as a user would) and install it into a fresh environment.

    A spec with blocking findings is rendered as a draft (``new --draft``): its suite must
    pass all the same; only its CI's readiness job fails.
    """
    base = tmp_path_factory.mktemp(name or spec.stem)
    repo = base / (name or spec.stem)
    with pytest.MonkeyPatch.context() as patch:
        home = base / "render-home"
        home.mkdir()
        (home / ".gitconfig").write_text("[user]\n\tname = E2E\n\temail = e2e@example.com\n")
        patch.setenv("HOME", str(home))
        patch.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
        patch.setenv("GIT_CONFIG_NOSYSTEM", "1")
        render_project(spec, repo, draft=True)
    return install_repo(repo, base, extras)


def check_jsonschema() -> str:
    """Return the check-jsonschema executable installed beside this test run's Python."""
    return str(Path(sys.executable).parent / "check-jsonschema")
