"""A rendered service repository installs and passes its own checks out of the box.

For the rich regulated example (claims triage) and the spec whose every text field is
hostile: the repo's own pytest (all four layers, traceability report with every criterion),
ruff check, ruff format --check, mypy, and the GitHub workflow schema check.
"""

from __future__ import annotations

import re
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.conftest import FIXTURES, SPECS
from tests.e2e.environments import LINT_COMMANDS, RepoEnv, lint, spec_params, suite_run
from tests.tools import find_postgres_bindir, require_postgres

pytestmark = pytest.mark.e2e

SPEC_FILES = [SPECS / "claims-triage.yaml", FIXTURES / "hostile-service.yaml"]
LAYERS = {"unit", "integration", "e2e", "acceptance"}


@pytest.fixture(scope="module", params=spec_params(SPEC_FILES))
def installed(request: pytest.FixtureRequest, installed_repo: Callable[[Path], RepoEnv]) -> RepoEnv:
    """Render one spec and install it into a fresh environment from its constraints."""
    spec: Path = request.param
    return installed_repo(spec)


def _criteria(repo: Path) -> list[str]:
    spec = yaml.safe_load((repo / "spec.yaml").read_text(encoding="utf-8"))
    return [str(c["id"]) for c in spec["acceptance_criteria"]]


def test_generated_test_suite_passes(
    installed: RepoEnv, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The repo's pytest passes, runs all four layers and traces every criterion.

    Its integration and e2e tests also run on PostgreSQL, on a throwaway cluster the suite
    starts itself (as root, as the ``postgres`` user): none of them may be skipped.
    """
    run = suite_run(installed, tmp_path_factory)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    outcome = run.outcomes()
    classes = {cls for cls, _ in outcome}
    assert {c.split(".")[1] for c in classes if c.startswith("tests.")} >= LAYERS
    summary = run.stdout.split("acceptance traceability (spec.yaml)", 1)[1]
    for criterion in _criteria(installed.repo):
        assert any(line.startswith(f"{criterion} ") for line in summary.splitlines()), criterion
    if find_postgres_bindir() is None:
        require_postgres()  # the rest needs PostgreSQL: fails under CI, skips elsewhere
    on_postgres = [key for key in outcome if re.search(r"\[[^\]]*postgresql", key[1])]
    assert len(on_postgres) > 50, "the integration and e2e tests run on PostgreSQL too"
    skipped_there_only = [
        name
        for cls, name in on_postgres
        if outcome[cls, name] == "skipped"
        and outcome.get((cls, name.replace("postgresql", "sqlite"))) == "passed"
    ]  # a test the spec makes pointless (no personal input...) skips on both backends
    assert skipped_there_only == []


def test_traceability_fails_when_a_criterion_has_no_test(installed: RepoEnv) -> None:
    """Adding a criterion to spec.yaml without a test fails the acceptance run, naming it."""
    repo = installed.repo
    copy = repo.parent / f"{repo.name}-untraced"
    if not copy.exists():
        shutil.copytree(repo, copy, ignore=shutil.ignore_patterns(".git", "src"))
        spec = yaml.safe_load((copy / "spec.yaml").read_text(encoding="utf-8"))
        spec["acceptance_criteria"].append({**spec["acceptance_criteria"][0], "id": "AC-NEW"})
        (copy / "spec.yaml").write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    done = installed.run(
        [installed.python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/acceptance"],
        cwd=copy,
    )
    assert done.returncode == 1, done.stdout[-3000:]
    assert "untraced: AC-NEW: missing" in done.stdout


@pytest.mark.parametrize("check", list(LINT_COMMANDS))
def test_lint_and_types_pass(
    installed: RepoEnv, check: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Lint (ruff check, ruff format --check) and types (mypy) pass on the generated code."""
    lint(installed, check, tmp_path_factory)


def test_workflow_is_schema_valid(installed: RepoEnv) -> None:
    """The CI workflow validates against the GitHub workflow schema."""
    done = installed.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.github-workflows",
            ".github/workflows/ci.yml",
        ]
    )
    assert done.returncode == 0, done.stdout + done.stderr
