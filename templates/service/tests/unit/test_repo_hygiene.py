"""Change control: CI gates, dependency audit, code owners, pre-commit and the container."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
PINNED_ACTION = re.compile(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}")
DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")


def _load(path: Path) -> dict[Any, Any]:
    data: dict[Any, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


def _workflow() -> dict[Any, Any]:
    return _load(ROOT / ".github" / "workflows" / "ci.yml")


def _commands(job: str) -> str:
    return "\n".join(str(step.get("run", "")) for step in _workflow()["jobs"][job]["steps"])


def _uses(path: Path) -> list[dict[str, Any]]:
    """Every job and step of a workflow that runs an action or a reusable workflow."""
    jobs = _load(path)["jobs"].values()
    return [item for job in jobs for item in (job, *job.get("steps", [])) if "uses" in item]


def test_ci_runs_on_pull_requests_and_main() -> None:
    """CI runs for every pull request and every push to main."""
    triggers = _workflow()[True]  # YAML 1.1 reads the key "on" as True
    assert "pull_request" in triggers
    assert triggers["push"]["branches"] == ["main"]


def test_ci_lints_formats_and_type_checks() -> None:
    """CI runs ruff check, ruff format --check and mypy."""
    commands = _commands("lint") + _commands("types")
    assert "ruff check" in commands
    assert "ruff format --check" in commands
    assert "mypy" in commands


def test_ci_runs_each_test_layer() -> None:
    """CI runs unit, integration and e2e tests."""
    layers = _workflow()["jobs"]["tests"]["strategy"]["matrix"]["layer"]
    assert layers == ["unit", "integration", "e2e"]


def test_ci_runs_the_tests_on_a_real_postgresql() -> None:
    """The test jobs have a PostgreSQL service and the URL the test fixtures take it from."""
    job = _workflow()["jobs"]["tests"]
    assert str(job["services"]["postgres"]["image"]).startswith("postgres:")
    url = next(step["env"]["TEST_DATABASE_URL"] for step in job["steps"] if "env" in step)
    assert url.startswith("postgresql://")


def test_ci_publishes_the_traceability_report() -> None:
    """CI runs the acceptance tests with the traceability report."""
    assert "--traceability-report" in _commands("acceptance")


def test_ci_audits_dependencies() -> None:
    """CI audits the dependencies for known vulnerabilities."""
    assert "pip-audit" in _commands("dependency-audit")


def test_ci_token_is_read_only() -> None:
    """The workflow's token can only read the repository."""
    assert _workflow()["permissions"] == {"contents": "read"}


def test_codeowners_covers_the_repository() -> None:
    """CODEOWNERS exists and either assigns owners to every file or says how to."""
    text = (ROOT / ".github" / "CODEOWNERS").read_text(encoding="utf-8")
    rules = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    assert any(line.split()[0] == "*" and len(line.split()) > 1 for line in rules) or (
        "# * @" in text
    )


def test_pre_commit_runs_lint_types_secrets_and_yaml_checks() -> None:
    """pre-commit runs ruff, ruff-format, mypy, a secret scanner and check-yaml."""
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    hooks = {hook["id"] for repo in config["repos"] for hook in repo["hooks"]}
    assert {"ruff", "ruff-format", "mypy", "gitleaks", "check-yaml"} <= hooks


def test_container_runs_as_non_root_with_a_health_check() -> None:
    """The Dockerfile is multi-stage, drops root for a numeric uid and has a health check."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert text.count("FROM ") >= 2
    users = [line.split()[1] for line in text.splitlines() if line.startswith("USER ")]
    assert users, "the container never leaves root"
    uid = users[-1].split(":")[0]
    assert uid.isdigit() and int(uid) != 0, users[-1]  # numeric: runAsNonRoot can verify it
    assert "HEALTHCHECK" in text


def test_installs_take_the_pinned_versions() -> None:
    """CI installs every package, the build backend too, at constraints.txt's exact pins."""
    env = _workflow()["env"]
    assert isinstance(env, dict)
    for name in ("PIP_CONSTRAINT", "PIP_BUILD_CONSTRAINT"):
        assert str(env[name]).endswith("/constraints.txt"), name
    lines = (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines()
    pins = [line for line in lines if line and not line.startswith(("#", " "))]
    assert pins and all("==" in line.split(";")[0] for line in pins)


def test_pre_commit_runs_the_pinned_lint_and_type_tools() -> None:
    """The ruff and mypy hooks run the environment's pinned tools, the ones CI runs."""
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    hooks = {hook["id"]: hook for repo in config["repos"] for hook in repo["hooks"]}
    assert all(hooks[name]["language"] == "system" for name in ("ruff", "ruff-format", "mypy"))


def test_every_action_is_pinned_to_a_commit_sha() -> None:
    """Each action in each workflow is pinned to a full commit SHA, its version beside it."""
    assert WORKFLOWS
    for path in WORKFLOWS:
        text = path.read_text(encoding="utf-8")
        for item in _uses(path):
            action = str(item["uses"])
            assert PINNED_ACTION.fullmatch(action), f"{path.name}: {action} is not a commit SHA"
            version_comment = rf"uses: {re.escape(action)} # v\d+(\.\d+)*\n"
            assert re.search(version_comment, text), f"{path.name}: {action} has no # vX.Y.Z"


def test_no_checkout_persists_its_credentials() -> None:
    """No checkout leaves the token in .git/config for later steps to read or upload."""
    for path in WORKFLOWS:
        for item in _uses(path):
            if str(item["uses"]).startswith("actions/checkout@"):
                assert item.get("with", {}).get("persist-credentials") is False, path.name


def test_workflow_tokens_default_to_read_only() -> None:
    """Each workflow's token reads at most; a job needing more is granted it by itself."""
    for path in WORKFLOWS:
        assert _load(path)["permissions"] in ({}, {"contents": "read"}), path.name


def test_ci_scans_the_whole_history_for_secrets() -> None:
    """CI runs gitleaks over every commit, with a release binary whose checksum it verifies."""
    job = _workflow()["jobs"]["secrets"]
    checkouts = [s for s in job["steps"] if str(s.get("uses", "")).startswith("actions/checkout@")]
    assert checkouts and checkouts[0]["with"]["fetch-depth"] == 0  # every commit, not the last
    commands = _commands("secrets")
    assert "sha256sum --check" in commands
    assert re.fullmatch(r"[0-9a-f]{64}", str(job["env"]["GITLEAKS_SHA256"]))
    assert re.search(r"gitleaks\S* git ", commands)


def test_every_container_image_is_pinned_by_digest() -> None:
    """CI's database container and the Dockerfile's base images name a digest, never a tag alone.

    A tag can be moved to other bytes; a digest cannot (``new-ai-project update`` brings newer).
    """
    images = [
        str(service["image"])
        for path in WORKFLOWS
        for job in _load(path)["jobs"].values()
        for service in job.get("services", {}).values()
    ]
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    images += [line.split()[1] for line in dockerfile.splitlines() if line.startswith("FROM ")]
    assert images
    assert [image for image in images if not DIGEST.search(image)] == []
