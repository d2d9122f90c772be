"""Generated repositories build their release evidence pack in CI and say how long to keep it.

For both kinds: the CI workflow runs on version tags, its ``evidence`` job runs the suite
with its JUnit and traceability reports, builds the pack with ``--strict`` and uploads it;
the runbook and the controls document give where packs are kept and the spec's retention.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import SPECS
from tests.supply_chain import render_isolated

KINDS = {"service": SPECS / "claims-triage.yaml", "pipeline": SPECS / "weekly-demand-forecast.yaml"}


@pytest.fixture(scope="module", params=sorted(KINDS))
def repo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One example spec of each kind, rendered once."""
    base = tmp_path_factory.mktemp(request.param)
    return render_isolated(KINDS[request.param], base / "repo", base / "home")


def _workflow(repo: Path) -> dict[Any, Any]:
    data: dict[Any, Any] = yaml.safe_load(
        (repo / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8")
    )
    return data


def _job(repo: Path) -> dict[str, Any]:
    job: dict[str, Any] = _workflow(repo)["jobs"]["evidence"]
    return job


def _step(repo: Path, step_id: str) -> dict[str, Any]:
    steps: list[dict[str, Any]] = [s for s in _job(repo)["steps"] if s.get("id") == step_id]
    assert len(steps) == 1, step_id
    return steps[0]


def _retention(repo: Path) -> int:
    answers = yaml.safe_load((repo / ".copier-answers.yml").read_text(encoding="utf-8"))
    return int(answers["project"]["retention_days"])


def test_ci_runs_on_version_tags_and_on_demand(repo: Path) -> None:
    """Pushing a v* tag, or starting the workflow by hand, runs CI."""
    triggers = _workflow(repo)[True]  # YAML 1.1 reads the key "on" as True
    assert triggers["push"]["tags"] == ["v*"]
    assert "workflow_dispatch" in triggers


def test_the_evidence_job_runs_only_for_tags_and_on_demand(repo: Path) -> None:
    """The evidence job's condition names version tags and manual runs, nothing else."""
    condition = _job(repo)["if"]
    assert condition == (
        "startsWith(github.ref, 'refs/tags/v') || github.event_name == 'workflow_dispatch'"
    )


def test_the_job_runs_the_suite_with_both_reports(repo: Path) -> None:
    """The suite runs whole, writing the JUnit and the traceability reports."""
    command = _step(repo, "suite")["run"].split()
    assert command == [
        "pytest",
        "--junitxml=junit.xml",
        "--traceability-report=traceability.json",
    ]


def test_the_job_builds_the_pack_strictly_from_those_reports(repo: Path) -> None:
    """The pack step reads both reports, writes evidence-pack and gates with --strict."""
    step = _step(repo, "pack")
    command = " ".join(step["run"].replace("\\\n", " ").split())
    assert command == (
        '"$RUNNER_TEMP/new-ai-project/bin/new-ai-project" evidence . --junit junit.xml '
        "--traceability traceability.json --output evidence-pack --strict"
    )
    assert "steps.suite.outcome != 'skipped'" in step["if"]  # a failed suite still has a pack
    assert step["env"] == {"NEW_AI_PROJECT_EVIDENCE_KEY": "${{ secrets.EVIDENCE_KEY }}"}


def test_the_job_installs_the_tool_apart_from_the_project(repo: Path) -> None:
    """new-ai-project goes into its own environment, ignoring the project's constraints."""
    commands = "\n".join(str(step.get("run", "")) for step in _job(repo)["steps"])
    assert 'python -m venv "$RUNNER_TEMP/new-ai-project"' in commands
    assert '-m pip install --isolated "$REQUIREMENT"' in commands


def test_the_job_uploads_the_pack_as_an_artifact(repo: Path) -> None:
    """The pack folder is uploaded as the evidence-pack artifact, also when --strict failed."""
    (upload,) = [
        s
        for s in _job(repo)["steps"]
        if str(s.get("uses", "")).startswith("actions/upload-artifact@")
    ]
    assert upload["with"]["name"] == "evidence-pack"
    assert upload["with"]["path"] == "evidence-pack/"
    assert upload["if"].startswith("!cancelled()")


def test_no_run_step_of_the_job_expands_an_expression(repo: Path) -> None:
    """Values reach the job's shell commands through the environment, never through ${{ }}."""
    assert not [s["run"] for s in _job(repo)["steps"] if "${{" in str(s.get("run", ""))]


def test_no_job_restores_a_cache(repo: Path) -> None:
    """A workflow that runs for release tags restores no cache (zizmor: cache-poisoning)."""
    steps = [step for job in _workflow(repo)["jobs"].values() for step in job.get("steps", [])]
    assert [s for s in steps if "cache" in s.get("with", {})] == []


@pytest.mark.parametrize("document", ["docs/runbook.md", "docs/controls.md"])
def test_documents_say_where_packs_are_kept_and_for_how_long(repo: Path, document: str) -> None:
    """The runbook and the controls document name the artifact and the spec's retention."""
    text = " ".join((repo / document).read_text(encoding="utf-8").split())
    assert "## Release evidence" in (repo / document).read_text(encoding="utf-8")
    assert "`evidence-pack` artifact" in text
    assert f"{_retention(repo)} days" in text.split("## Release evidence", 1)[1]
