"""Pinned installs: every requirement has a pin, and the pins agree where they must.

This project installs from ``requirements/dev.txt``; each template ships a
``constraints.txt`` that generated repositories install from. Both are refreshed only by
``./dev lock``. These tests catch a requirement added without refreshing the pins, and a
lint tool pinned differently for us and for the generated repos (our render tests run our
ruff on generated code, so both must be the same ruff).
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.markers import Marker
from packaging.requirements import Requirement

from generator.render import render_project
from tests.conftest import ROOT, SPECS

DEV_LOCK = ROOT / "requirements" / "dev.txt"
KIND_EXAMPLES = {
    "service": SPECS / "claims-triage.yaml",
    "pipeline": SPECS / "weekly-demand-forecast.yaml",
}


def pins(path: Path) -> dict[str, str]:
    """The ``name==version`` pins of a lock or constraints file, by normalised name.

    A pin whose environment marker does not hold for this interpreter is left out.
    """
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        requirement, _, marker = (p.strip() for p in line.split("#", 1)[0].partition(";"))
        if marker and not Marker(marker).evaluate():
            continue
        if "==" in requirement:
            name, version = requirement.split("==", 1)
            found[_normal(name)] = version.strip()
    return found


def _normal(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def _unpinned(requirements: list[str], pinned: dict[str, str]) -> list[str]:
    missing = []
    for text in requirements:
        requirement = Requirement(text)
        version = pinned.get(_normal(requirement.name))
        if version is None or not requirement.specifier.contains(version, prereleases=True):
            missing.append(f"{text} (pinned: {version})")
    return missing


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One rendered repository of each kind."""
    repos = {}
    for kind, spec in KIND_EXAMPLES.items():
        repos[kind] = tmp_path_factory.mktemp(kind) / "repo"
        render_project(spec, repos[kind], git=False)
    return repos


def test_the_dev_lock_pins_every_requirement_of_this_project() -> None:
    """Each dependency and dev extra of pyproject.toml has a pin that satisfies it."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    requirements = [
        *project["project"]["dependencies"],
        *project["project"]["optional-dependencies"]["dev"],
        *project["build-system"]["requires"],
    ]
    assert _unpinned(requirements, pins(DEV_LOCK)) == []


@pytest.mark.parametrize("kind", sorted(KIND_EXAMPLES))
def test_a_rendered_repo_ships_pins_for_every_requirement(
    kind: str, rendered: dict[str, Path]
) -> None:
    """The rendered constraints.txt pins each dependency, dev extra and the build backend."""
    repo = rendered[kind]
    project = tomllib.loads((repo / "pyproject.toml").read_text(encoding="utf-8"))
    requirements = [
        *project["project"]["dependencies"],
        *project["project"]["optional-dependencies"]["dev"],
        *project["build-system"]["requires"],
    ]
    assert _unpinned(requirements, pins(repo / "constraints.txt")) == []


@pytest.mark.parametrize("kind", sorted(KIND_EXAMPLES))
def test_our_ruff_is_the_ruff_generated_repos_pin(kind: str, rendered: dict[str, Path]) -> None:
    """The render tests lint generated code with our ruff: it must be the repo's own."""
    assert pins(rendered[kind] / "constraints.txt")["ruff"] == pins(DEV_LOCK)["ruff"]


@pytest.mark.parametrize("kind", sorted(KIND_EXAMPLES))
def test_the_generated_ci_installs_from_the_constraints(
    kind: str, rendered: dict[str, Path]
) -> None:
    """The CI workflow constrains every install and its build to constraints.txt."""
    workflow = yaml.safe_load((rendered[kind] / ".github" / "workflows" / "ci.yml").read_text())
    expected = "${{ github.workspace }}/constraints.txt"
    assert workflow["env"]["PIP_CONSTRAINT"] == expected
    assert workflow["env"]["PIP_BUILD_CONSTRAINT"] == expected
    for name, job in workflow["jobs"].items():
        for step in job.get("steps", []):
            if "pip install" in step.get("run", "") and "-e" in step["run"]:
                assert "python -m pip install --upgrade pip" in step["run"], name
                assert "env" not in job or "PIP_CONSTRAINT" not in job["env"], name
