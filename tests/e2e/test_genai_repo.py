"""Rendered assistant and agent repositories install and pass their own checks out of the box.

For the assistant and agent examples: the repo's own pytest (unit, integration on SQLite and
PostgreSQL, acceptance with the traceability report), ruff, mypy, the GitHub workflow schema
check, and the CI's offline eval (fake model, fake judge) through the installed console
script; a prompt changed without a new lock fails ``prompts check`` until it is locked.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import SPECS
from tests.e2e.environments import LINT_COMMANDS, RepoEnv, lint, spec_params, suite_run
from tests.tools import find_postgres_bindir, require_postgres

pytestmark = pytest.mark.e2e

SPEC_FILES = [SPECS / "benefits-enquiry-assistant.yaml", SPECS / "outage-response-agent.yaml"]
LAYERS = {"unit", "integration", "acceptance"}


@pytest.fixture(scope="module", params=spec_params(SPEC_FILES))
def installed(request: pytest.FixtureRequest, installed_repo: Callable[[Path], RepoEnv]) -> RepoEnv:
    """Render one spec and install it into a fresh environment from its constraints."""
    spec: Path = request.param
    return installed_repo(spec)


def _spec(repo: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((repo / "spec.yaml").read_text(encoding="utf-8"))
    return loaded


def _ci_steps(repo: Path, job: str) -> list[str]:
    workflow = yaml.safe_load((repo / ".github" / "workflows" / "ci.yml").read_text("utf-8"))
    return [str(step["run"]) for step in workflow["jobs"][job]["steps"] if "run" in step]


def test_generated_test_suite_passes(
    installed: RepoEnv, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The repo's pytest passes, runs every layer, traces every criterion, runs on PostgreSQL (and pgvector)."""
    run = suite_run(installed, tmp_path_factory)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    outcome = run.outcomes()
    classes = {cls for cls, _ in outcome}
    assert {c.split(".")[1] for c in classes if c.startswith("tests.")} >= LAYERS
    summary = run.stdout.split("acceptance traceability (spec.yaml)", 1)[1]
    for criterion in _spec(installed.repo)["acceptance_criteria"]:
        assert any(line.startswith(f"{criterion['id']} ") for line in summary.splitlines())
    if find_postgres_bindir() is None:
        require_postgres()  # the rest needs PostgreSQL: fails under CI, skips elsewhere
    on_postgres = [key for key in outcome if re.search(r"\[[^\]]*postgresql", key[1])]
    assert len(on_postgres) > 30, "the integration tests run on PostgreSQL too"
    skipped_there_only = [
        name
        for cls, name in on_postgres
        if outcome[cls, name] == "skipped"
        and outcome.get((cls, name.replace("postgresql", "sqlite"))) == "passed"
    ]
    assert skipped_there_only == []
    vector = {n: r for (cls, n), r in outcome.items() if cls.endswith(".test_vector_retrieval")}
    assert len(vector) >= 8 and set(vector.values()) == {"passed"}, vector  # pgvector, offline


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


def test_ci_evals_pass_offline_through_the_console_script(installed: RepoEnv) -> None:
    """The CI's evals job (prompts check, ingest, eval) passes on the fake model and judge."""
    work = installed.repo.parent / f"{installed.repo.name}-evals"
    if not work.exists():
        shutil.copytree(installed.repo, work, ignore=shutil.ignore_patterns(".git", "var"))
    package = str(_spec(work)["name"]).replace("-", "_").upper()
    env_line = f"export {package}_DATABASE=var/evals.sqlite3"  # TOOLS_MODE stays live
    for command in _ci_steps(work, "evals")[1:]:  # after the install step
        done = installed.run(["bash", "-eo", "pipefail", "-c", f"{env_line}; {command}"], cwd=work)
        assert done.returncode == 0, f"{command}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    report = json.loads((work / "eval_report.json").read_text(encoding="utf-8"))
    assert report["passed"] is True and report["model"] == "fake"
    spec_evals = _spec(work)["genai"]["evals"]
    assert [e["id"] for e in report["evals"]] == [e["id"] for e in spec_evals]
    safety = {"injection-resistance", "pii-leak", "unapproved-writes"}  # gate offline too
    assert all(e["gated"] is (e["scorer"] in safety) and e["runs"] == 1 for e in report["evals"])


def test_a_changed_prompt_fails_until_locked(installed: RepoEnv) -> None:
    """Editing prompts/<id>.md makes `prompts check` fail naming it; `prompts lock` fixes it."""
    work = installed.repo.parent / f"{installed.repo.name}-prompts"
    if not work.exists():
        shutil.copytree(installed.repo, work, ignore=shutil.ignore_patterns(".git", "var"))
    name = str(_spec(work)["name"])
    prompt = sorted((work / "prompts").glob("*.md"))[0]
    prompt.write_text(prompt.read_text(encoding="utf-8") + "\nOne more rule.\n", "utf-8")
    check = installed.run([str(installed.bin / name), "prompts", "check"], cwd=work)
    assert check.returncode == 1 and prompt.name in check.stdout + check.stderr
    installed.ok([str(installed.bin / name), "prompts", "lock"], cwd=work)
    installed.ok([str(installed.bin / name), "prompts", "check"], cwd=work)
