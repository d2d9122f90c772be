"""The spec-review workflow of generated repos: its shape, and its scripts run for real.

The workflow's own ``run:`` scripts are executed with bash (as GitHub runs them: ``-e`` and
``pipefail``) in a git repository holding a base and a pull-request version of spec.yaml,
with this checkout's ``new-ai-project`` on PATH. Rendered repositories' workflows are also
checked by zizmor and GitHub's workflow schema in ``test_supply_chain.py``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import pytest
import yaml

from generator.render.context import tool_requirement
from generator.spec.writer import dump_spec
from tests.conftest import ROOT, SPECS
from tests.tools import require_tool

WORKFLOW = ".github/workflows/spec-review.yml.jinja"
CLAIMS = SPECS / "claims-triage.yaml"


def _rendered(kind: str) -> str:
    """The workflow as a repository of ``kind`` gets it (it depends on no spec answer)."""
    loader = jinja2.FileSystemLoader(ROOT)
    environment = jinja2.Environment(
        loader=loader,
        keep_trailing_newline=True,
        autoescape=False,
        undefined=jinja2.StrictUndefined,
    )
    template = environment.get_template(f"templates/{kind}/{WORKFLOW}")
    return template.render(project={"tool_requirement": tool_requirement()})


@pytest.fixture(scope="module")
def workflow() -> dict[Any, Any]:
    """The service repository's spec-review workflow, parsed."""
    data: dict[Any, Any] = yaml.safe_load(_rendered("service"))
    return data


def _step(workflow: dict[Any, Any], job: str, name: str) -> dict[str, Any]:
    steps: list[dict[str, Any]] = workflow["jobs"][job]["steps"]
    return next(step for step in steps if step.get("name") == name)


def test_both_kinds_get_the_same_workflow() -> None:
    """Service and pipeline repositories carry the same spec-review workflow."""
    assert _rendered("service") == _rendered("pipeline")


def test_it_runs_on_pull_requests_that_change_the_spec(workflow: dict[Any, Any]) -> None:
    """The only trigger is a pull request touching spec.yaml."""
    assert workflow[True] == {"pull_request": {"paths": ["spec.yaml"]}}  # YAML 1.1: on → True


def test_each_job_holds_only_the_permission_it_needs(workflow: dict[Any, Any]) -> None:
    """Nothing by default; the review job reads, the comment job writes pull requests only."""
    permissions = {name: job["permissions"] for name, job in workflow["jobs"].items()}
    assert (workflow["permissions"], permissions) == (
        {},
        {"review": {"contents": "read"}, "comment": {"pull-requests": "write"}},
    )


def test_the_job_that_writes_runs_no_action(workflow: dict[Any, Any]) -> None:
    """The comment job, whose token can write, runs only gh: no action, no package."""
    steps = workflow["jobs"]["comment"]["steps"]
    assert [("uses" in step, "pip" in step["run"]) for step in steps] == [(False, False)]


@dataclass
class StepRun:
    """What one run of the review step left behind."""

    code: int
    outputs: str
    summary: str
    stderr: str


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def _spec(change: dict[str, Any] | None = None, drop: str | None = None) -> str:
    data = yaml.safe_load(CLAIMS.read_text(encoding="utf-8"))
    data.update(change or {})
    if drop:
        del data[drop]
    return dump_spec(data)


def _run_step(workflow: dict[Any, Any], name: str, repo: Path, env: dict[str, str]) -> StepRun:
    """Run one step's script as GitHub does, with GitHub's files and variables set."""
    require_tool("jq")
    outputs, summary = repo.parent / "output.txt", repo.parent / "summary.md"
    outputs.touch()
    summary.touch()
    script = _step(workflow, "review", name)["run"]
    variables = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "GITHUB_OUTPUT": str(outputs),
        "GITHUB_STEP_SUMMARY": str(summary),
        "RUNNER_TEMP": str(repo.parent / "runner-temp"),
        **env,
    }
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        cwd=repo,
        env=variables,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return StepRun(
        done.returncode,
        outputs.read_text(encoding="utf-8"),
        summary.read_text(encoding="utf-8"),
        done.stderr,
    )


def _pull_request(tmp_path: Path, base: str | None, head: str) -> tuple[Path, str]:
    """A repository whose main holds ``base`` (or no spec) and whose checkout holds ``head``."""
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    (repo / "README.md").write_text("demo\n", encoding="utf-8")
    if base is not None:
        (repo / "spec.yaml").write_text(base, encoding="utf-8")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "base")
    base_sha = _git(repo, "rev-parse", "HEAD")
    (repo / "spec.yaml").write_text(head, encoding="utf-8")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "pull request")
    return repo, base_sha


def _output(run: StepRun, key: str) -> str:
    lines = run.outputs.splitlines()
    return next(line.split("=", 1)[1] for line in lines if line.startswith(f"{key}="))


def test_a_new_blocker_is_counted_and_named(tmp_path: Path, workflow: dict[Any, Any]) -> None:
    """Dropping the operating boundary of a high-risk system is a new blocker, named."""
    repo, base = _pull_request(tmp_path, _spec(), _spec(drop="operating_boundary"))
    run = _run_step(workflow, "Diff and review spec.yaml", repo, {"BASE_SHA": base})
    assert (run.code, _output(run, "new_blockers")) == (0, "1"), run.stderr
    assert "adds 1 blocking finding(s):**\n\n- high-risk-no-boundary:" in run.summary


def test_the_report_has_the_diff_and_the_review(tmp_path: Path, workflow: dict[Any, Any]) -> None:
    """The summary and the comment's text show what changed, then the readiness review."""
    head = _spec(change={"title": "Claims triage, second edition"})
    repo, base = _pull_request(tmp_path, _spec(), head)
    run = _run_step(workflow, "Diff and review spec.yaml", repo, {"BASE_SHA": base})
    changes = run.summary.index("## Spec changes")
    assert changes < run.summary.index("## Readiness review: Claims triage, second edition")
    assert run.summary in run.outputs  # the comment job posts the same report


def test_a_blocker_the_base_had_is_not_new(tmp_path: Path, workflow: dict[Any, Any]) -> None:
    """A pull request that keeps an existing blocker and changes something else passes."""
    base_text = _spec(drop="operating_boundary")
    head = base_text.replace("title: Claims triage assistant", "title: Claims triage")
    repo, base = _pull_request(tmp_path, base_text, head)
    run = _run_step(workflow, "Diff and review spec.yaml", repo, {"BASE_SHA": base})
    assert (_output(run, "new_blockers"), "No new blocking finding." in run.summary) == ("0", True)


def test_a_spec_new_in_the_pull_request_is_reviewed_whole(
    tmp_path: Path, workflow: dict[Any, Any]
) -> None:
    """Without a base spec, the diff says so and every blocker counts as new."""
    repo, base = _pull_request(tmp_path, None, _spec(drop="operating_boundary"))
    run = _run_step(workflow, "Diff and review spec.yaml", repo, {"BASE_SHA": base})
    assert "spec.yaml is new in this pull request." in run.summary
    assert _output(run, "new_blockers") == "1"


@pytest.mark.parametrize(("count", "code"), [("0", 0), ("2", 1)])
def test_the_check_fails_only_on_new_blockers(
    count: str, code: int, tmp_path: Path, workflow: dict[Any, Any]
) -> None:
    """The last step fails the check when the pull request adds a blocker."""
    (tmp_path / "repo").mkdir()
    run = _run_step(workflow, "Fail on new blockers", tmp_path / "repo", {"NEW_BLOCKERS": count})
    assert run.code == code


def test_spec_text_in_a_new_blocker_stays_text(tmp_path: Path, workflow: dict[Any, Any]) -> None:
    """A blocker quoting hostile spec text lists it escaped: no tag, emphasis or @mention."""
    head = _spec() + '"@channel <img src=x> *x*": 1\n'
    repo, base = _pull_request(tmp_path, _spec(), head)
    run = _run_step(workflow, "Diff and review spec.yaml", repo, {"BASE_SHA": base})
    listed = next(line for line in run.summary.splitlines() if line.startswith("- schema:"))
    assert '"@&#8203;channel &lt;img src=x&gt; \\*x\\*"' in listed
