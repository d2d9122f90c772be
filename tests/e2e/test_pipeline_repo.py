"""A rendered pipeline repository installs, passes its own checks and runs on its sample data.

For the health-data spec (HIPAA and 21 CFR Part 11, typed inputs), the minimal spec (no
regimes, no optional sections) and the hostile-text fixture, each installed with its
Apache Airflow extra: the repository's own test suite (its DAG tests included, which may not
skip; its integration tests and the e2e test of its commands on PostgreSQL too, on a
throwaway cluster the suite starts itself), ruff (check and format --check), mypy, the GitHub
workflow schema check, and ``<name> run``: a candidate first, scores once two people
approved it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from scripts.demo_pipeline import Pipeline, demonstrate
from tests.conftest import FIXTURES, SPECS
from tests.e2e.environments import (
    LINT_COMMANDS,
    RepoEnv,
    check_jsonschema,
    lint,
    spec_params,
    suite_run,
)
from tests.tools import find_postgres_bindir, require_postgres

pytestmark = pytest.mark.e2e

SPEC_FILES = [
    SPECS / "trial-safety-signals.yaml",
    SPECS / "weekly-demand-forecast.yaml",
    FIXTURES / "hostile-pipeline.yaml",
]


@pytest.fixture(scope="module", params=spec_params(SPEC_FILES))
def repo(request: pytest.FixtureRequest, installed_pipeline: Callable[[Path], RepoEnv]) -> RepoEnv:
    """Render one pipeline and install it (and Airflow) into a fresh environment."""
    spec: Path = request.param
    return installed_pipeline(spec)


def test_its_own_test_suite_passes(repo: RepoEnv, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Every layer passes, the DAG's tests ran, and the traceability report lists each criterion.

    The audit chain's tests ran on PostgreSQL as well (as root, the suite's throwaway cluster
    runs as the ``postgres`` user): none of them may be skipped.
    """
    run = suite_run(repo, tmp_path_factory)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert "acceptance traceability" in run.stdout
    outcome = run.outcomes()
    dag = [result for (cls, _), result in outcome.items() if cls.endswith("test_dag")]
    assert dag and set(dag) == {"passed"}, dag  # Airflow is installed: no DAG test may skip
    if find_postgres_bindir() is None:
        require_postgres()  # the rest needs PostgreSQL: fails under CI, skips elsewhere
    on_postgres = [key for key in outcome if re.search(r"\[[^\]]*postgresql", key[1])]
    assert len(on_postgres) > 20, "the integration tests run on PostgreSQL too"
    skipped_there_only = [
        name
        for cls, name in on_postgres
        if outcome[cls, name] == "skipped"
        and outcome.get((cls, name.replace("postgresql", "sqlite"))) == "passed"
    ]  # a test the spec makes pointless (no role may contest...) skips on both backends
    assert skipped_there_only == []
    commands = "tests.e2e.test_cli"
    assert outcome[
        commands, "test_on_postgresql_a_migrated_run_verifies_with_the_audit_script"
    ] == ("passed")


@pytest.mark.parametrize("check", list(LINT_COMMANDS))
def test_lint_and_types_pass(
    repo: RepoEnv, check: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The generated code is lint-clean, formatted and type-checks under its own config."""
    lint(repo, check, tmp_path_factory)


def test_the_ci_workflow_is_schema_valid(repo: RepoEnv) -> None:
    """The CI workflow validates against the GitHub workflow schema."""
    workflow = str(repo.repo / ".github" / "workflows" / "ci.yml")
    repo.ok([check_jsonschema(), "--builtin-schema", "vendor.github-workflows", workflow])


def test_run_scores_only_once_two_people_approve_its_candidate(repo: RepoEnv) -> None:
    """First `run`: exit 3, a candidate, no scores; promoted and approved, the next one scores.

    The path ``./dev demo`` shows, through the installed console script: two people with
    their own credentials, the audit log verifying every step.
    """
    said = demonstrate(
        Pipeline.of(repo.repo, repo.repo.name, repo.bin, repo.env()), repo.repo / "output"
    )
    assert "no approved model; candidate m-" in said["first"]
    assert "awaits promotion" in said["first"]
    runs = [
        json.loads(p.read_text("utf-8")) for p in (repo.repo / "output").glob("runs/*/lineage.json")
    ]
    first, second = sorted(runs, key=lambda r: r["started_at"])[-2:]
    assert (first["outcome"], first["model_version"]) == ("awaiting-approval", None)
    assert second["outcome"] == "success" and second["rows_quarantined"] == 3
    assert second["model_version"] == first["candidate"]["version"]
    scored = [p.parent.name for p in (repo.repo / "output").glob("runs/*/scores.csv")]
    assert scored == [second["run_id"]]
    assert said["verify"].startswith("ok:")
