"""Change control: CI gates, dependency audit, code owners, pre-commit and the container."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]


def _workflow() -> dict[Any, Any]:
    data: dict[Any, Any] = yaml.safe_load(
        (ROOT / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8")
    )
    return data


def _commands(job: str) -> str:
    return "\n".join(str(step.get("run", "")) for step in _workflow()["jobs"][job]["steps"])


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
    """The Dockerfile is multi-stage, drops root and declares a health check."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert text.count("FROM ") >= 2
    assert "\nUSER app" in text
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
