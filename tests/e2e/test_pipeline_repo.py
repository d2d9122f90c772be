"""A rendered pipeline repository installs, passes its own checks and runs on its sample data.

For the health-data spec (HIPAA and 21 CFR Part 11), the minimal spec (no regimes, no
optional sections) and the hostile-text fixture: the repository's own test suite, ruff
(check and format --check), mypy, the GitHub workflow schema check, and ``<name> run`` with
its lineage record.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.conftest import FIXTURES, SPECS
from tests.e2e.environments import RepoEnv, check_jsonschema, render_and_install

pytestmark = pytest.mark.e2e

SPEC_FILES = [
    SPECS / "trial-safety-signals.yaml",
    SPECS / "weekly-demand-forecast.yaml",
    FIXTURES / "hostile-pipeline.yaml",
]


@pytest.fixture(scope="module", params=SPEC_FILES, ids=[p.stem for p in SPEC_FILES])
def repo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> RepoEnv:
    """Render one pipeline and install it into a fresh environment from its constraints."""
    spec: Path = request.param
    name = yaml.safe_load(spec.read_text(encoding="utf-8"))["name"]
    return render_and_install(spec, tmp_path_factory, name=name)


def test_its_own_test_suite_passes(repo: RepoEnv) -> None:
    """Every layer passes and the traceability report lists each criterion."""
    out = repo.ok(["pytest", "-q", "-p", "no:cacheprovider"])
    assert "acceptance traceability" in out


@pytest.mark.parametrize(
    "command",
    [
        ["ruff", "check", "--no-cache", "."],
        ["ruff", "format", "--check", "--no-cache", "."],
        ["mypy", "--no-incremental"],
    ],
    ids=["ruff-check", "ruff-format", "mypy"],
)
def test_lint_and_types_pass(repo: RepoEnv, command: list[str]) -> None:
    """The generated code is lint-clean, formatted and type-checks under its own config."""
    repo.ok([str(repo.bin / command[0]), *command[1:]])


def test_the_ci_workflow_is_schema_valid(repo: RepoEnv) -> None:
    """The CI workflow validates against the GitHub workflow schema."""
    workflow = str(repo.repo / ".github" / "workflows" / "ci.yml")
    repo.ok([check_jsonschema(), "--builtin-schema", "vendor.github-workflows", workflow])


def test_run_finishes_on_the_sample_data(repo: RepoEnv) -> None:
    """`<name> run` exits 0, publishes scores and writes a lineage record; the log verifies."""
    name = repo.repo.name
    out = repo.ok([str(repo.bin / name), "run"])
    assert "gate passed" in out
    (run_dir,) = (repo.repo / "output" / "runs").iterdir()
    lineage = json.loads((run_dir / "lineage.json").read_text(encoding="utf-8"))
    assert lineage["outcome"] == "success" and lineage["rows_quarantined"] == 3
    assert (run_dir / "scores.csv").is_file()
    assert repo.ok([str(repo.bin / name), "audit", "verify"]).startswith("ok:")
