"""Property, end to end: random valid specs give repositories whose own suites pass.

Each run draws specs from ``tests/strategies.py`` with the seed printed in the header
(two of each kind by default; ``NEW_AI_PROJECT_E2E_SPECS`` sets how many), renders each,
installs it into a fresh environment from its ``constraints.txt`` and runs its whole test
suite, its linters and its type check, as the generated CI would.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, seed, settings
from packaging.markers import Marker

from tests.conftest import PROPERTY_SEED
from tests.e2e.environments import LINT_COMMANDS, UV, RepoEnv, lint, render_and_install, suite_run
from tests.strategies import valid_specs
from tests.tools import require_tool

pytestmark = pytest.mark.e2e

PER_KIND = int(os.environ.get("NEW_AI_PROJECT_E2E_SPECS", "2"))
KINDS = ("service", "pipeline", "assistant", "agent")
CASES = [(kind, index) for kind in KINDS for index in range(PER_KIND)]
CASE_PARAMS = [
    pytest.param(
        (kind, index), id=f"{kind}-{index}", marks=pytest.mark.xdist_group(f"drawn-{kind}-{index}")
    )
    for kind, index in CASES
]
"""One xdist group per drawn spec: its tests run on the worker that installs it."""


@cache
def drawn_specs(kind: str) -> list[dict[str, Any]]:
    """The specs of one kind this run tests, drawn deterministically from the seed."""
    drawn: list[dict[str, Any]] = []

    @seed(PROPERTY_SEED + KINDS.index(kind))
    @settings(
        max_examples=PER_KIND,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(valid_specs(kind=kind))
    def collect(data: dict[str, Any]) -> None:
        drawn.append(data)

    collect()
    return drawn


@pytest.fixture(scope="module", params=CASE_PARAMS)
def installed(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> RepoEnv:
    """Render one drawn spec and install it into a fresh environment from its constraints."""
    kind, index = request.param
    specs = drawn_specs(kind)
    if index >= len(specs):
        pytest.fail(f"hypothesis drew only {len(specs)} {kind} specs; expected {PER_KIND}")
    spec = tmp_path_factory.mktemp("drawn") / f"{kind}-{index}.yaml"
    spec.write_text(yaml.safe_dump(specs[index], sort_keys=False, allow_unicode=True), "utf-8")
    return render_and_install(spec, tmp_path_factory, name=specs[index]["name"])


def test_the_generated_suite_passes(
    installed: RepoEnv, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Every layer of the repository's own suite passes (seed in the header replays it)."""
    run = suite_run(installed, tmp_path_factory)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]


def test_the_deploy_tests_run_without_skipping(
    installed: RepoEnv, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The repository's own manifest tests found kubectl, kubernetes-validate and promtool."""
    for name in ("kubectl", "promtool"):
        require_tool(name)
    outcome = suite_run(installed, tmp_path_factory).outcomes()
    deploy = {
        name: result for (cls, name), result in outcome.items() if cls.endswith("test_deploy")
    }
    assert deploy and set(deploy.values()) == {"passed"}, deploy


@pytest.mark.parametrize("check", list(LINT_COMMANDS))
def test_lint_and_types_pass(
    installed: RepoEnv, check: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The repository's own lint and type checks pass, as its CI runs them."""
    lint(installed, check, tmp_path_factory)


def test_every_installed_package_is_pinned(installed: RepoEnv) -> None:
    """The environment holds exactly the versions of constraints.txt: nothing floats."""
    pins = _pins(installed.repo / "constraints.txt")
    frozen = installed.ok([str(UV), "pip", "freeze", "--python", installed.python])
    own = installed.repo.name.replace("_", "-")
    unpinned = []
    for line in frozen.splitlines():
        if line.startswith("-e ") or "==" not in line:
            continue
        name, version = line.split("==", 1)
        if _normal(name) != own and pins.get(_normal(name)) != version:
            unpinned.append(f"{line} (pinned: {pins.get(_normal(name))})")
    assert unpinned == []


def _normal(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def _pins(path: Path) -> dict[str, str]:
    """The pins of a constraints file that apply here (its environment markers evaluated).

    The environments run this interpreter, so its markers are the environments' too.
    """
    pins = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        requirement, _, marker = (part.strip() for part in line.partition(";"))
        if marker and not Marker(marker).evaluate():
            continue
        if requirement and not requirement.startswith("#") and "==" in requirement:
            name, version = requirement.split("==", 1)
            pins[_normal(name)] = version.strip()
    return pins
