"""Unit tests for change control around the code: CI gates, owners, container, ignores."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).parents[2]


def _workflow() -> dict[object, object]:
    data = yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_ci_runs_lint_types_every_test_layer_and_the_dependency_audit() -> None:
    """The CI workflow has a job for each gate."""
    jobs = _workflow()["jobs"]
    assert isinstance(jobs, dict)
    assert {"lint", "types", "unit", "integration", "e2e", "acceptance", "dependency-audit"} <= set(
        jobs
    )


def test_ci_lints_and_checks_formatting() -> None:
    """The lint job runs ruff check and ruff format --check."""
    jobs = _workflow()["jobs"]
    assert isinstance(jobs, dict)
    commands = [str(step.get("run", "")) for step in jobs["lint"]["steps"]]
    assert "ruff check ." in commands and "ruff format --check ." in commands


def test_ci_runs_the_pipeline_on_a_schedule() -> None:
    """A scheduled run proves the pipeline still works on the sample data."""
    triggers = _workflow()[True]  # YAML 1.1 reads the key "on" as True
    assert isinstance(triggers, dict) and triggers["schedule"]


def test_codeowners_exists() -> None:
    """Changes need a review by the owners."""
    assert (ROOT / "CODEOWNERS").read_text(encoding="utf-8").strip()


def test_the_container_does_not_run_as_root() -> None:
    """The Dockerfile switches to an unprivileged user."""
    lines = (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines()
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users and users[-1] not in {"root", "0"}


def test_outputs_and_secrets_are_not_committed() -> None:
    """The output folder, the local audit log and .env files are git-ignored."""
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert {"/output/", "/var/", ".env"} <= set(ignored)


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
