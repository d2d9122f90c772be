"""A spec with blocking findings: refused by ``new``, or rendered as a draft whose CI fails.

The review's blockers decide (``new-ai-project review FILE``). Without ``--draft`` nothing is
written; with it the repository gets a readiness job in CI that runs the review with
``--strict`` until the blockers are gone (``update`` recomputes the blockers from spec.yaml,
and leaves the job out once there are none).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.errors import NotReadyError
from generator.render import render_project
from generator.review import review_file
from tests.conftest import FIXTURES, SPECS
from tests.supply_chain import zizmor

PLANTED = FIXTURES / "review" / "planted-problems.yaml"


def _ci(repo: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(
        (repo / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8")
    )
    return data


def test_a_spec_with_blockers_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    """The refusal names the blockers' rules and the way out; DEST is not created."""
    assert review_file(PLANTED).count("blocker") > 0
    with pytest.raises(NotReadyError, match="--draft") as refused:
        render_project(PLANTED, tmp_path / "repo", git=False)
    assert refused.value.exit_code == 1 and "blocking finding" in str(refused.value)
    assert not (tmp_path / "repo").exists()


@pytest.fixture(scope="module")
def draft(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The planted spec rendered with --draft."""
    repo = tmp_path_factory.mktemp("draft") / "repo"
    render_project(PLANTED, repo, git=False, draft=True)
    return repo


def test_a_draft_gets_a_readiness_job_running_the_strict_review(draft: Path) -> None:
    """CI's readiness job runs `new-ai-project review spec.yaml --strict`, which fails."""
    job = _ci(draft)["jobs"]["readiness"]
    script = "\n".join(str(step.get("run", "")) for step in job["steps"])
    assert "review spec.yaml --strict" in script
    assert review_file(draft / "spec.yaml").count("blocker") > 0  # so the job fails


def test_a_drafts_blockers_are_in_its_project_data(draft: Path) -> None:
    """The rendered package knows it is a draft, and why: the review's blockers."""
    (data,) = draft.glob("src/*/project.json")
    blockers = json.loads(data.read_text(encoding="utf-8"))["blockers"]
    report = review_file(PLANTED)
    assert [(b["rule"], b["path"]) for b in blockers] == [
        (f.rule, f.path) for f in report.findings if f.severity == "blocker"
    ]


def test_the_drafts_workflows_pass_zizmor(draft: Path) -> None:
    """The readiness job is as locked down as the rest: pinned actions, no persisted token."""
    done = zizmor(draft)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("spec", ["claims-triage.yaml", "trial-safety-signals.yaml"])
def test_a_ready_spec_gets_no_readiness_job(spec: str, tmp_path: Path) -> None:
    """Without blockers there is nothing to wait for: no job, even with --draft."""
    repo = tmp_path / "repo"
    render_project(SPECS / spec, repo, git=False, draft=True)
    assert "readiness" not in _ci(repo)["jobs"]
