"""Supply-chain checks of a rendered repository, shared by the integration and e2e tests.

The checks are the field's own tools, zizmor for the GitHub workflows and hadolint for the
Dockerfile, plus what those tools leave to the reader: that every action is pinned to a
commit SHA with its release beside it, that no checkout keeps its token, and that CI scans
the whole history for secrets. Both tools come with this project's ``dev`` extra (pinned in
``requirements/dev.txt``) and are taken from beside the test run's Python, never from a
PATH that could hold other versions.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.render import render_project
from tests.shared import key_of, made_once

PINNED_ACTION = re.compile(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}")
"""``owner/repo[/path]@<full commit SHA>``: the only form of ``uses:`` a workflow may have."""


def tool(name: str) -> str:
    """Return the path of a dev-extra tool installed beside this test run's Python."""
    found = shutil.which(name, path=str(Path(sys.executable).parent))
    if found is None:
        pytest.fail(
            f"{name} is not installed beside {sys.executable}: it comes with the dev extra "
            "(./dev test installs it from requirements/dev.txt)"
        )
    return found


def render_isolated(spec: Path, repo: Path, home: Path) -> Path:
    """Render ``spec`` into ``repo`` with HOME and the XDG folders under ``home``.

    A spec with blocking findings is rendered as a draft (``new --draft``): the checks hold
    for drafts too, their readiness job included.

    The XDG cache stays the run's own (``run_cache`` in ``tests/conftest.py``).
    """
    with pytest.MonkeyPatch.context() as patch:
        home.mkdir(parents=True, exist_ok=True)
        patch.setenv("HOME", str(home))
        for name, sub in (("XDG_DATA_HOME", ".local/share"), ("XDG_CONFIG_HOME", ".config")):
            patch.setenv(name, str(home / sub))
        patch.delenv("COPIER_SETTINGS_PATH", raising=False)
        render_project(spec, repo, git=False, draft=True)
    return repo


def rendered_once(factory: pytest.TempPathFactory, data: dict[str, Any]) -> Path:
    """The repository ``data`` renders to (as :func:`render_isolated`), made once per run.

    Several modules check the same spec rendered as the same kind (the kubernetes
    manifests, the supply chain, the render matrix): the first test to ask renders it
    into the run's shared folder (``tests/shared.py``), the others read it. A test that
    runs anything writing into a repository works on its own copy (:func:`copy_of`).
    """
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)

    def build(folder: Path) -> None:
        spec = folder / "spec.yaml"
        spec.write_text(text, encoding="utf-8")
        render_isolated(spec, folder / "repo", folder / "home")

    return made_once(factory, "render", key_of(text), build) / "repo"


def copy_of(repo: Path, dest: Path) -> Path:
    """A copy of a shared rendered repository at ``dest``, this test module's own."""
    shutil.copytree(repo, dest, symlinks=True)
    return dest


def write_spec(data: dict[str, Any], path: Path) -> Path:
    """Write a spec mapping as YAML the way a person would keep it."""
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def _run(args: list[str], repo: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=repo, capture_output=True, text=True, timeout=120, check=False)


def zizmor(repo: Path) -> subprocess.CompletedProcess[str]:
    """Audit the repository's workflows with zizmor, offline, at its default persona."""
    return _run(
        [tool("zizmor"), "--offline", "--no-progress", "--color", "never", ".github/workflows"],
        repo,
    )


def hadolint(repo: Path) -> subprocess.CompletedProcess[str]:
    """Lint the repository's Dockerfile with hadolint; warnings and errors fail it."""
    return _run(
        [tool("hadolint"), "--no-color", "--failure-threshold", "warning", "Dockerfile"], repo
    )


def workflow_schema(repo: Path) -> subprocess.CompletedProcess[str]:
    """Validate every workflow of the repository against GitHub's workflow schema."""
    return _run(
        [
            tool("check-jsonschema"),
            "--builtin-schema",
            "vendor.github-workflows",
            *map(str, workflows(repo)),
        ],
        repo,
    )


def workflows(repo: Path) -> list[Path]:
    """The repository's GitHub workflow files."""
    return sorted((repo / ".github" / "workflows").glob("*.y*ml"))


def _load(path: Path) -> dict[Any, Any]:
    data: dict[Any, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


def action_users(path: Path) -> list[dict[str, Any]]:
    """Every job (a reusable workflow) and step (an action) of a workflow with ``uses:``."""
    jobs = _load(path)["jobs"].values()
    return [item for job in jobs for item in (job, *job.get("steps", [])) if "uses" in item]


def unpinned_actions(repo: Path) -> list[str]:
    """Each ``uses:`` that is not a full commit SHA with its release as a ``# vX.Y.Z`` comment."""
    problems = []
    for path in workflows(repo):
        text = path.read_text(encoding="utf-8")
        for item in action_users(path):
            action = str(item["uses"])
            if not PINNED_ACTION.fullmatch(action):
                problems.append(f"{path.name}: {action} is not pinned to a commit SHA")
            elif not re.search(rf"uses: {re.escape(action)} # v\d+(\.\d+)*\n", text):
                problems.append(f"{path.name}: {action} has no '# vX.Y.Z' version comment")
    return problems


def persisting_checkouts(repo: Path) -> list[str]:
    """Each checkout that leaves the workflow's token in ``.git/config``."""
    return [
        f"{path.name}: {item['uses']}"
        for path in workflows(repo)
        for item in action_users(path)
        if str(item["uses"]).startswith("actions/checkout@")
        and item.get("with", {}).get("persist-credentials") is not False
    ]


def secrets_job(repo: Path) -> dict[str, Any]:
    """The CI job that scans the repository for committed secrets."""
    job: dict[str, Any] = _load(repo / ".github" / "workflows" / "ci.yml")["jobs"]["secrets"]
    return job
