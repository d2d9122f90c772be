"""Supply chain of generated repositories, checked by the field's own tools (DESIGN §4c).

Every service and pipeline example and both hostile fixtures render as either kind, the
assistant and agent examples as their own. In each repository
zizmor finds nothing in the workflows, hadolint passes the Dockerfile at the warning
threshold, the workflows are valid against GitHub's schema, every action is pinned to a
commit SHA with its release beside it, no checkout keeps its token, and CI runs gitleaks
over the whole history with a binary whose checksum it verifies.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from generator.render.context import tool_requirement
from tests.conftest import FIXTURES, GENAI_SPECS, RENDERED_SPECS, ROOT
from tests.integration.test_render_matrix import variant
from tests.supply_chain import (
    copy_of,
    hadolint,
    persisting_checkouts,
    rendered_once,
    secrets_job,
    unpinned_actions,
    workflow_schema,
    workflows,
    zizmor,
)

SOURCES = [*RENDERED_SPECS, FIXTURES / "hostile-service.yaml", FIXTURES / "hostile-pipeline.yaml"]
CASES = [
    pytest.param((path, kind), id=f"{path.stem}-{kind}")
    for path in SOURCES
    for kind in ("service", "pipeline")
] + [pytest.param((path, None), id=path.stem) for path in GENAI_SPECS]
TEMPLATE_WORKFLOWS = [
    ROOT / "templates" / "service" / ".github" / "workflows" / "ci.yml.jinja",
    ROOT / "templates" / "pipeline" / ".github" / "workflows" / "ci.yml.jinja",
    ROOT / "templates" / "genai" / ".github" / "workflows" / "ci.yml.jinja",
    ROOT / "templates" / "genai" / ".github" / "workflows" / "evals-live.yml.jinja",
    ROOT / "templates" / "_shared" / "template-update.yml.jinja",
    ROOT / "templates" / "_shared" / "spec-review.yml.jinja",
    ROOT / "templates" / "_shared" / "release.yml.jinja",
]


@pytest.fixture(scope="module", params=CASES)
def repo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One spec rendered as one kind (a GenAI example as its own), once per run; a copy."""
    path, kind = request.param
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if kind is None else None
    shared = rendered_once(tmp_path_factory, data or variant(path, kind, minimal=False))
    return copy_of(shared, tmp_path_factory.mktemp(f"{path.stem}-{kind or 'own'}") / "repo")


def test_zizmor_finds_nothing_in_the_workflows(repo: Path) -> None:
    """The workflows have no zizmor finding, offline at its default persona."""
    done = zizmor(repo)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No findings to report" in done.stdout


def test_hadolint_passes_the_dockerfile(repo: Path) -> None:
    """The Dockerfile has no hadolint warning or error."""
    done = hadolint(repo)
    assert done.returncode == 0, done.stdout + done.stderr


def test_workflows_are_valid_against_githubs_schema(repo: Path) -> None:
    """Every workflow validates against GitHub's workflow schema."""
    done = workflow_schema(repo)
    assert done.returncode == 0, done.stdout + done.stderr


def test_spec_changes_are_reviewed_on_pull_requests(repo: Path) -> None:
    """The repository carries the spec-review workflow, so the checks above cover it too."""
    assert "spec-review.yml" in [path.name for path in workflows(repo)]


def test_every_action_is_pinned_to_a_commit_sha_with_its_version(repo: Path) -> None:
    """Each ``uses:`` is ``owner/repo@<40 hex>`` followed by a ``# vX.Y.Z`` comment."""
    assert unpinned_actions(repo) == []


def test_no_checkout_persists_its_credentials(repo: Path) -> None:
    """Every checkout sets ``persist-credentials: false``."""
    assert persisting_checkouts(repo) == []


def test_ci_runs_gitleaks_over_the_whole_history(repo: Path) -> None:
    """The secrets job checks out every commit and runs a checksum-verified gitleaks on it."""
    job = secrets_job(repo)
    checkouts = [s for s in job["steps"] if str(s.get("uses", "")).startswith("actions/checkout@")]
    assert checkouts and checkouts[0]["with"]["fetch-depth"] == 0
    commands = "\n".join(str(step.get("run", "")) for step in job["steps"])
    assert re.fullmatch(r"[0-9a-f]{64}", str(job["env"]["GITLEAKS_SHA256"]))
    assert "sha256sum --check --strict" in commands
    assert re.search(r"/gitleaks\" git --redact .*--exit-code 1", commands)


def test_new_ai_project_is_installed_at_the_version_that_rendered_the_repo(repo: Path) -> None:
    """Evidence and spec review install this generator pinned; a repository variable overrides.

    Only the template-update check takes the newest release, as newer templates are what it
    looks for. No step installs a bare name from the registry.
    """
    pinned = f"'{tool_requirement()}'"
    installs: dict[str, str] = {}
    for path in workflows(repo):
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        for job in document["jobs"].values():
            for step in job.get("steps", []):
                run = str(step.get("run", ""))
                if "pip install" in run and "new-ai-project" in (run + str(step.get("name"))):
                    assert '"$REQUIREMENT"' in run, f"{path.name}: {run}"
                    installs[path.name] = str(step["env"]["REQUIREMENT"])
    assert set(installs) == {"ci.yml", "spec-review.yml", "template-update.yml"}
    for name in ("ci.yml", "spec-review.yml"):
        assert installs[name] == f"${{{{ vars.NEW_AI_PROJECT_REQUIREMENT || {pinned} }}}}"
    assert re.fullmatch(r"'new-ai-project==\d+\.\d+\.\d+.*'", pinned)
    assert "NEW_AI_PROJECT_REQUIREMENT" in installs["template-update.yml"]


def test_each_action_has_one_pin_in_every_template() -> None:
    """An action is pinned to the same commit and version in every workflow of both kinds."""
    pins: dict[str, set[str]] = {}
    for path in TEMPLATE_WORKFLOWS:
        for action, sha, version in re.findall(
            r"uses: ([\w.-]+/[\w./-]+)@(\S+) # (v\S+)", path.read_text(encoding="utf-8")
        ):
            pins.setdefault(action, set()).add(f"{sha} {version}")
    assert pins and all(len(found) == 1 for found in pins.values()), pins
