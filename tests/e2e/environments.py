"""Fresh virtual environments for rendered repositories, installed from their constraints.

Each rendered repository gets an environment of its own, installed the way its README and
CI install it: editable with the ``dev`` extra, every version taken from the repository's
``constraints.txt`` (its build backend too). The environments are made with uv, whose
package cache lives in this test run's own environment and is shared by every repo, so a
fresh environment costs a couple of seconds instead of a full download and install.
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from filelock import FileLock

from generator.render import render_project
from tests.shared import DONE, key_of, made_once, shared_root

UV = Path(sys.executable).with_name("uv")
UV_CACHE = Path(os.environ.get("UV_CACHE_DIR") or Path(sys.prefix) / "uv-cache")
"""Kept inside this test run's environment: never the user's home, reused between runs."""


MEMORY = Path("/dev/shm")
"""Where a Linux machine keeps a file system in memory (tmpfs)."""
MEMORY_NEEDED = 2 * 1024**3
"""Free bytes the memory file system must have to be used (the suites write a few MB each)."""


@functools.cache
def memory_scratch() -> str | None:
    """A temporary folder in memory for the rendered repositories' commands, or None.

    A generated suite commits to SQLite audit logs thousands of times, each commit waiting
    for the disk (``fsync``); with two suites and the other worker on one disk that wait was
    half of a suite's time (claims-triage: 263 s, 124 s with its temporary files in memory,
    same CPU time). Commands run from a repository's environment get ``TMPDIR`` here, so
    their tests' folders, databases and throwaway PostgreSQL clusters are in memory; what
    they check is unchanged. One folder per worker process, removed when it exits (and
    those of exited processes when the next one starts). Without a usable tmpfs the
    commands keep the system's temporary folder.
    """
    try:
        mounts = Path("/proc/mounts").read_text(encoding="utf-8").splitlines()
        free = os.statvfs(MEMORY)
    except OSError:
        return None
    if not any(line.split()[1:3] == [str(MEMORY), "tmpfs"] for line in mounts if line):
        return None
    if free.f_bavail * free.f_frsize < MEMORY_NEEDED or not os.access(MEMORY, os.W_OK):
        return None
    for stale in MEMORY.glob("nap-e2e-*"):
        if not _alive(stale.name.removeprefix("nap-e2e-")):
            shutil.rmtree(stale, ignore_errors=True)
    folder = MEMORY / f"nap-e2e-{os.getpid()}"  # short: PostgreSQL sockets go under it
    folder.mkdir(exist_ok=True)
    folder.chmod(0o1777)  # as /tmp: run as root, the suites start PostgreSQL as its own user
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return str(folder)


def remove_memory_scratch() -> None:
    """Remove this process's folder in memory, if it made one (its tests are over)."""
    if memory_scratch.cache_info().currsize:
        scratch = memory_scratch()
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
        memory_scratch.cache_clear()


def _alive(pid: str) -> bool:
    try:
        os.kill(int(pid), 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        pass  # alive, another user's
    return True


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
        # PYTHONDONTWRITEBYTECODE too: every command of the repository's suite would compile
        # its libraries again (half of a pipeline suite's CPU time); a user's shell caches them
        for name in ("PYTHONPATH", "PIP_CONSTRAINT", "UV_CONSTRAINT", "PYTHONDONTWRITEBYTECODE"):
            env.pop(name, None)
        env["VIRTUAL_ENV"] = str(self.root)
        env["HOME"] = str(self.home)
        scratch = memory_scratch()
        if scratch is not None:
            env["TMPDIR"] = scratch
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


LINT_COMMANDS = {
    "ruff-check": ["ruff", "check", "--no-cache", "."],
    "ruff-format": ["ruff", "format", "--check", "--no-cache", "."],
    "mypy": ["mypy"],
}
"""The generated CI's lint and type checks, by the ids the tests are parametrized with."""


def lint(installed: RepoEnv, check: str, factory: pytest.TempPathFactory) -> None:
    """Run one of the repository's lint or type checks (:data:`LINT_COMMANDS`); it must pass.

    mypy starts from the analysis another repository of this run made of the same installed
    libraries (same ``constraints.txt``): each repository has its own environment, so the
    third-party modules (pydantic-ai, FastAPI, scikit-learn) are the same files at other
    paths, which mypy's cache checks by content and reuses; the repository's own modules are
    checked afresh. A cold run of a GenAI repository took 55-135 s, a warm one 6 s. The
    first repository to get there runs cold, holding the key's lock, and publishes its
    cache; the others wait for it rather than run cold at the same time (two cold runs on
    two busy cores cost more CPU than the wait), then start from a copy, never the shared
    cache itself.
    """
    command = [str(installed.bin / LINT_COMMANDS[check][0]), *LINT_COMMANDS[check][1:]]
    if check != "mypy":
        installed.ok(command)
        return
    key = key_of(installed.repo / "constraints.txt", sys.version)
    seed = shared_root(factory) / f"mypy-cache-{key}"
    cache = installed.repo.parent / f"{installed.repo.name}-mypy-cache"
    shutil.rmtree(cache, ignore_errors=True)

    def check_types() -> None:
        done = installed.run([*command, "--cache-dir", str(cache)])
        assert done.returncode == 0, f"{command}:\n{done.stdout[-4000:]}\n{done.stderr[-3000:]}"

    if not (seed / DONE).is_file():
        with FileLock(f"{seed}.lock"):
            if not (seed / DONE).is_file():
                check_types()  # cold; a failure leaves no seed, and the next repo runs cold
                staged = seed.with_name(f"{seed.name}.staged")
                shutil.rmtree(staged, ignore_errors=True)
                shutil.copytree(cache, staged / "cache")
                (staged / DONE).touch()
                shutil.rmtree(seed, ignore_errors=True)
                staged.rename(seed)
                return
    shutil.copytree(seed / "cache", cache)
    check_types()


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

    Made once per test run and shared by every worker (``tests/shared.py``): the same spec
    with the same extras gives the same repository and environment. A spec with blocking
    findings is rendered as a draft (``new --draft``): its suite must pass all the same;
    only its CI's readiness job fails.
    """
    repo_name = name or spec.stem

    def build(base: Path) -> None:
        with pytest.MonkeyPatch.context() as patch:
            home = base / "render-home"
            home.mkdir()
            (home / ".gitconfig").write_text("[user]\n\tname = E2E\n\temail = e2e@example.com\n")
            patch.setenv("HOME", str(home))
            patch.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
            patch.setenv("GIT_CONFIG_NOSYSTEM", "1")
            render_project(spec, base / repo_name, draft=True)
        install_repo(base / repo_name, base, extras)

    base = made_once(tmp_path_factory, repo_name, key_of(spec, repo_name, extras), build)
    return RepoEnv(repo=base / repo_name, root=base / "venv", home=base / "home", extras=extras)


def check_jsonschema() -> str:
    """Return the check-jsonschema executable installed beside this test run's Python."""
    return str(Path(sys.executable).parent / "check-jsonschema")


@dataclass(frozen=True)
class SuiteRun:
    """One run of a rendered repository's whole suite, as its CI's evidence job runs it."""

    repo: Path
    returncode: int
    stdout: str
    stderr: str

    @property
    def junit(self) -> Path:
        """The JUnit report the run wrote into the repository."""
        return self.repo / "junit.xml"

    def outcomes(self) -> dict[tuple[str, str], str]:
        """Each test case's outcome by (classname, name): passed, failed, error or skipped."""
        found: dict[tuple[str, str], str] = {}
        for case in ET.parse(self.junit).getroot().iter("testcase"):
            outcome = "passed"
            for kind in ("failure", "error", "skipped"):
                if case.find(kind) is not None:
                    outcome = {"failure": "failed"}.get(kind, kind)
            found[case.get("classname", ""), case.get("name", "")] = outcome
        return found


SUITE_STEP = "suite"
"""The id of the CI evidence job's step that runs the whole suite with its reports."""


def ci_step(repo: Path, step: str) -> str:
    """The ``run:`` command of the repository's CI ``evidence`` job step ``step``."""
    workflow = yaml.safe_load((repo / ".github" / "workflows" / "ci.yml").read_text("utf-8"))
    commands = {s["id"]: s["run"] for s in workflow["jobs"]["evidence"]["steps"] if "id" in s}
    return str(commands[step])


def run_ci_step(
    installed: RepoEnv, repo: Path, step: str, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run one step of the CI evidence job in ``repo`` as GitHub would (bash -eo pipefail)."""
    env = {**installed.env(), **(extra_env or {})}
    env.pop("NEW_AI_PROJECT_EVIDENCE_KEY", None)
    env.pop("TEST_DATABASE_URL", None)  # the suite starts its own throwaway PostgreSQL
    shell = ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", ci_step(repo, step)]
    return subprocess.run(
        shell, cwd=repo, env=env, capture_output=True, text=True, timeout=1800, check=False
    )


def site_packages(installed: RepoEnv) -> Path:
    """The environment's site-packages folder."""
    return (
        installed.root
        / "lib"
        / f"python{sys.version_info[0]}.{sys.version_info[1]}"
        / "site-packages"
    )


def restore_bytecode(installed: RepoEnv, seed: Path) -> None:
    """Give the environment the libraries' bytecode another suite of this run compiled.

    Environments installed from the same ``constraints.txt`` hold hard links of the same uv
    cache entries, so a library's source has the same timestamp and size in each, which is
    what its ``.pyc`` is checked against: a suite run in a fresh environment would otherwise
    compile every library it imports again (20 s of a pipeline suite's 70 s). Only the
    ``__pycache__`` folders of packages present here are linked (an extra's package that is
    not installed must not appear as a namespace package); a ``.pyc`` whose source differs
    is compiled again by Python, as ever. The files are linked, not copied: Python replaces a
    ``.pyc`` with a new file, never writes into one.
    """
    if not (seed / DONE).is_file():
        return
    target = site_packages(installed)
    for cache in (seed / "site-packages").rglob("__pycache__"):
        relative = cache.relative_to(seed / "site-packages")
        home = target / relative.parent
        if not home.is_dir() or (target / relative).exists():
            continue
        shutil.copytree(cache, target / relative, copy_function=os.link)


def publish_bytecode(installed: RepoEnv, seed: Path) -> None:
    """Keep this environment's compiled library bytecode for the next suites (first one wins)."""
    if (seed / DONE).exists():
        return
    source = site_packages(installed)
    staged = seed.with_name(f"{seed.name}.{os.getpid()}.staged")
    shutil.rmtree(staged, ignore_errors=True)
    for cache in source.rglob("__pycache__"):
        shutil.copytree(
            cache,
            staged / "site-packages" / cache.relative_to(source),
            copy_function=os.link,
            dirs_exist_ok=True,
        )
    (staged / DONE).parent.mkdir(parents=True, exist_ok=True)
    (staged / DONE).touch()
    try:
        staged.rename(seed)  # atomic: another worker's may have won the race
    except OSError:
        shutil.rmtree(staged, ignore_errors=True)


def suite_run(installed: RepoEnv, factory: pytest.TempPathFactory) -> SuiteRun:
    """The repository's whole suite (every layer, JUnit and traceability reports), run once.

    It runs the CI evidence job's suite step in the repository, once per test run whichever
    worker asks first; every test that checks the suite's results reads this one run.
    """

    def build(folder: Path) -> None:
        done = run_ci_step(installed, installed.repo, SUITE_STEP)
        result = {"returncode": done.returncode, "stdout": done.stdout, "stderr": done.stderr}
        (folder / "result.json").write_text(json.dumps(result), encoding="utf-8")

    def build_sharing_bytecode(folder: Path) -> None:
        seed = (
            shared_root(factory)
            / f"bytecode-{key_of(installed.repo / 'constraints.txt', sys.version)}"
        )
        restore_bytecode(installed, seed)
        build(folder)
        publish_bytecode(installed, seed)

    key = key_of(str(installed.repo), installed.extras)
    folder = made_once(factory, f"suite-{installed.repo.name}", key, build_sharing_bytecode)
    result = json.loads((folder / "result.json").read_text(encoding="utf-8"))
    return SuiteRun(repo=installed.repo, **result)


def repo_group(spec: Path) -> pytest.MarkDecorator:
    """The pytest-xdist group of every test of the repository rendered from ``spec``.

    ``--dist loadgroup`` sends a group's tests to one worker: the one that renders and
    installs the repository (``made_once``), so the other worker never waits for it.
    """
    return pytest.mark.xdist_group(f"repo-{spec.stem}")


def spec_params(specs: list[Path]) -> list[Any]:
    """Parameters for tests over rendered specs, each in its repository's xdist group."""
    return [pytest.param(spec, id=spec.stem, marks=repo_group(spec)) for spec in specs]
