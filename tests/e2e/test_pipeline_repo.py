"""A rendered pipeline repository installs, passes its own checks and runs on its sample data.

For the health-data spec (HIPAA and 21 CFR Part 11), the minimal spec (no regimes, no
optional sections) and the hostile-text fixture: the repository's own test suite, ruff
(check and format --check), mypy, the GitHub workflow schema check, and ``<name> run`` with
its lineage record.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.conftest import FIXTURES, SPECS
from tests.e2e.pipeline_fixtures import (
    PipelineVenv,
    check_jsonschema,
    pipeline_venv,
    render_and_install,
)

pytestmark = pytest.mark.e2e

SPEC_FILES = [
    SPECS / "trial-safety-signals.yaml",
    SPECS / "weekly-demand-forecast.yaml",
    FIXTURES / "hostile-pipeline.yaml",
]
__all__ = ["pipeline_venv"]  # the fixture, imported so pytest finds it here


@pytest.fixture(scope="module", params=SPEC_FILES, ids=[p.stem for p in SPEC_FILES])
def repo(
    request: pytest.FixtureRequest,
    pipeline_venv: PipelineVenv,
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, str]:
    """Render and install one pipeline; return the repository and its project name."""
    spec: Path = request.param
    name = yaml.safe_load(spec.read_text(encoding="utf-8"))["name"]
    dest = tmp_path_factory.mktemp("pipeline") / name
    return render_and_install(spec, dest, pipeline_venv), name


def _ok(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


def test_its_own_test_suite_passes(repo: tuple[Path, str], pipeline_venv: PipelineVenv) -> None:
    """Every layer passes and the traceability report lists each criterion."""
    path, _ = repo
    out = _ok(pipeline_venv.run(["pytest", "-q", "-p", "no:cacheprovider"], cwd=path))
    assert "acceptance traceability" in out


def test_ruff_passes(repo: tuple[Path, str], pipeline_venv: PipelineVenv) -> None:
    """The generated code is lint-clean under its own configuration."""
    path, _ = repo
    _ok(pipeline_venv.run(["ruff", "check", "--no-cache", "."], cwd=path))


def test_ruff_format_is_clean(repo: tuple[Path, str], pipeline_venv: PipelineVenv) -> None:
    """The generated code is already formatted as ruff format would format it."""
    path, _ = repo
    _ok(pipeline_venv.run(["ruff", "format", "--check", "--no-cache", "."], cwd=path))


def test_mypy_strict_passes(repo: tuple[Path, str], pipeline_venv: PipelineVenv) -> None:
    """The generated code type-checks under mypy strict."""
    path, _ = repo
    _ok(pipeline_venv.run(["mypy", "--no-incremental"], cwd=path))


def test_the_ci_workflow_is_schema_valid(
    repo: tuple[Path, str], pipeline_venv: PipelineVenv
) -> None:
    """The CI workflow validates against the GitHub workflow schema."""
    path, _ = repo
    workflow = str(path / ".github" / "workflows" / "ci.yml")
    _ok(
        pipeline_venv.run(
            [check_jsonschema(), "--builtin-schema", "vendor.github-workflows", workflow],
            cwd=path,
        )
    )


def test_run_finishes_on_the_sample_data(
    repo: tuple[Path, str], pipeline_venv: PipelineVenv
) -> None:
    """`<name> run` exits 0, publishes scores and writes a lineage record; the log verifies."""
    path, name = repo
    out = _ok(pipeline_venv.run([name, "run"], cwd=path))
    assert "gate passed" in out
    (run_dir,) = (path / "output" / "runs").iterdir()
    lineage = json.loads((run_dir / "lineage.json").read_text(encoding="utf-8"))
    assert lineage["outcome"] == "success" and lineage["rows_quarantined"] == 3
    assert (run_dir / "scores.csv").is_file()
    assert _ok(pipeline_venv.run([name, "audit", "verify"], cwd=path)).startswith("ok:")
