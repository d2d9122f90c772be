"""`new` renders assistants and agents from templates/genai; `update` of one is clean."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from generator.cli import main
from tests.conftest import SPECS
from tests.integration.update_support import assert_cleanly_updated, git
from tests.tools import require_tool

SPEC_BY_KIND = {
    "assistant": SPECS / "benefits-enquiry-assistant.yaml",
    "agent": SPECS / "outage-response-agent.yaml",
}
AGENT_ONLY = ("tests/integration/test_runs.py", "tests/integration/test_runs_api.py")
ASSISTANT_ONLY = ("tests/integration/test_chat_api.py",)


@pytest.fixture(scope="module", params=sorted(SPEC_BY_KIND))
def rendered(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A repository of each GenAI kind, rendered by `new` (with its first commit)."""
    project = tmp_path_factory.mktemp(request.param) / "project"
    assert main(["new", str(project), "--spec", str(SPEC_BY_KIND[request.param])]) == 0
    return project


def _spec(project: Path) -> dict[str, object]:
    loaded: dict[str, object] = yaml.safe_load((project / "spec.yaml").read_text("utf-8"))
    return loaded


def test_answers_record_the_kind(rendered: Path) -> None:
    """The answers file records the spec's kind (assistant or agent), not the folder."""
    answers = yaml.safe_load((rendered / ".copier-answers.yml").read_text(encoding="utf-8"))
    assert answers["kind"] == _spec(rendered)["kind"]


def test_each_spec_prompt_has_a_file_and_a_lock_entry(rendered: Path) -> None:
    """prompts/<id>.md per spec prompt, locked with its SHA-256 at version 1, nothing else."""
    ids = [p["id"] for p in _spec(rendered)["genai"]["prompts"]]  # type: ignore[index]
    lock = json.loads((rendered / "prompts" / "prompts.lock").read_text(encoding="utf-8"))
    assert sorted(lock["prompts"]) == sorted(ids)
    for prompt_id in ids:
        text = (rendered / "prompts" / f"{prompt_id}.md").read_text(encoding="utf-8")
        assert lock["prompts"][prompt_id] == {
            "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
            "version": 1,
        }
    assert sorted(p.name for p in (rendered / "prompts").iterdir()) == sorted(
        [f"{i}.md" for i in ids] + ["prompts.lock"]
    )


def test_kind_specific_files_follow_the_kind(rendered: Path) -> None:
    """An agent gets the runs and approvals tests; an assistant the chat API's."""
    agent = _spec(rendered)["kind"] == "agent"
    assert all((rendered / p).is_file() is agent for p in AGENT_ONLY)
    assert all((rendered / p).is_file() is not agent for p in ASSISTANT_ONLY)


def test_hand_over_notes_stay_out(rendered: Path) -> None:
    """The template's notes for its developers are not rendered into projects."""
    assert not (rendered / "DEPENDENCIES.md").exists()


def test_evals_are_seeded_for_the_kind(rendered: Path) -> None:
    """evals/*.jsonl hold questions for an assistant, scripted runs of its tools for an agent."""
    spec = _spec(rendered)
    key = "goal" if spec["kind"] == "agent" else "question"
    tools = {t["name"] for t in spec["genai"].get("tools") or []}  # type: ignore[attr-defined]
    for name in ("golden.jsonl", "redteam.jsonl"):
        lines = (rendered / "evals" / name).read_text(encoding="utf-8").splitlines()
        cases = [json.loads(line) for line in lines if line.strip()]
        assert cases and all(key in case for case in cases)
        scripted = {s["tool"] for c in cases for s in c.get("script", []) if "tool" in s}
        assert scripted <= tools


def test_update_of_an_untouched_repository_is_clean(rendered: Path) -> None:
    """`update` from the same templates changes nothing and leaves no conflict."""
    assert main(["update", str(rendered)]) == 0
    assert_cleanly_updated(rendered)
    assert git(rendered, "status", "--porcelain") == ""


@pytest.mark.parametrize("kind", sorted(SPEC_BY_KIND))
def test_the_longest_name_leaves_code_ruff_accepts(kind: str, tmp_path: Path) -> None:
    """A 50-character name (the longest allowed) still gives ruff-clean, formatted code."""
    data = yaml.safe_load(SPEC_BY_KIND[kind].read_text(encoding="utf-8"))
    data["name"] = (data["name"] + "-with-a-long-name-" + "x" * 50)[:50]
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    project = tmp_path / "project"
    assert main(["new", str(project), "--spec", str(spec), "--no-git"]) == 0
    for args in (["check", "--no-cache", "."], ["format", "--check", "--no-cache", "."]):
        done = subprocess.run(
            [sys.executable, "-m", "ruff", *args],
            cwd=project,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr


def _deploy_tools_tests(project: Path) -> subprocess.CompletedProcess[str]:
    """Run the repository's own test of what its tools reach, with this Python's pytest.

    It needs only pytest, PyYAML and kubectl (not the repository's package), so it runs
    without installing the repository; its conftest files (which import the package) are
    left out.
    """
    require_tool("kubectl")
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "--noconftest",
            "-p",
            "no:cacheprovider",
            "-o",
            "addopts=",
            "tests/integration/test_deploy_tools.py",
        ],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )


def test_a_tool_given_kubernetes_permissions_brings_in_its_role_on_update(
    tmp_path: Path,
) -> None:
    """Adding a tool's Kubernetes rule to spec.yaml and updating adds the Role and the token.

    The repository's own deploy test passes before (no Role, no token) and after (the Role
    holds exactly the spec's rules, only the server mounts the token).
    """
    project = tmp_path / "project"
    assert main(["new", str(project), "--spec", str(SPEC_BY_KIND["agent"])]) == 0
    base = project / "deploy" / "base"
    assert not (base / "role.yaml").exists()
    before = _deploy_tools_tests(project)
    assert before.returncode == 0 and "8 passed" in before.stdout, before.stdout[-3000:]
    spec = project / "spec.yaml"
    text = spec.read_text(encoding="utf-8")
    anchor = "      reaches:\n        hosts: [oms-api.grid.internal]\n"
    assert anchor in text
    rule = (
        "        kubernetes:\n"
        "          - api_group: ''\n"
        "            resources: [configmaps]\n"
        "            verbs: [get]\n"
    )
    spec.write_text(text.replace(anchor, anchor + rule), encoding="utf-8")
    git(project, "commit", "-qam", "get_outage reads the feeder map from a ConfigMap")
    assert main(["update", str(project)]) == 0
    assert_cleanly_updated(project)
    role = yaml.safe_load((base / "role.yaml").read_text(encoding="utf-8"))
    assert role["rules"] == [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]}]
    assert "automountServiceAccountToken: true" in (base / "deployment.yaml").read_text("utf-8")
    after = _deploy_tools_tests(project)
    assert after.returncode == 0 and "8 passed" in after.stdout, after.stdout[-3000:]
