"""Release evidence from a generated repository's own test run, as its CI builds it.

The rendered claims-triage repository is installed in a fresh environment; the ``run:``
commands of its CI workflow's ``evidence`` job are executed as GitHub would run them (bash
with ``-eo pipefail``), the pack step with the installed ``new-ai-project``. Its acceptance
criteria are still pending, so ``--strict`` fails; a copy whose acceptance tests are
implemented passes. The pack's page is opened in headless Chromium, and a tampered pack
fails ``evidence verify``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import SPECS
from tests.e2e.environments import (
    SUITE_STEP,
    RepoEnv,
    check_jsonschema,
    repo_group,
    run_ci_step,
    suite_run,
)
from tests.tools import require_tool

SPEC = SPECS / "claims-triage.yaml"
pytestmark = [pytest.mark.e2e, repo_group(SPEC)]

CLI = Path(sys.executable).with_name("new-ai-project")
"""This project's console script, installed beside the test run's Python."""
SCHEMA = Path(__file__).resolve().parents[2] / "generator" / "data" / "evidence.schema.json"
REPORTS = ("junit.xml", "traceability.json", "evidence-pack")
BROWSER_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",
    "--v=0",
    "--window-size=1280,2000",
)


@dataclass(frozen=True)
class CiRun:
    """What the evidence job's pack step did in one repository."""

    repo: Path
    pack: Path
    done: subprocess.CompletedProcess[str]

    def evidence(self) -> dict[str, Any]:
        """The pack's evidence.json."""
        data: dict[str, Any] = json.loads((self.pack / "evidence.json").read_text("utf-8"))
        return data


def run_pack_step(installed: RepoEnv, repo: Path, runner_temp: Path) -> CiRun:
    """Run the job's pack step with RUNNER_TEMP holding our tool (the suite step ran before)."""
    tool = runner_temp / "new-ai-project" / "bin"
    tool.mkdir(parents=True, exist_ok=True)
    if not (tool / "new-ai-project").exists():
        (tool / "new-ai-project").symlink_to(CLI)
    done = run_ci_step(installed, repo, "pack", {"RUNNER_TEMP": str(runner_temp)})
    return CiRun(repo=repo, pack=repo / "evidence-pack", done=done)


def implement_acceptance_tests(repo: Path) -> None:
    """Turn every pending acceptance test into a real, passing one (as a team would)."""
    path = repo / "tests" / "acceptance" / "test_acceptance.py"
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"@pytest\.mark\.xfail\(\n(?:    .*\n)*?\)\n", "", text)
    text = re.sub(
        r"raise NotImplementedError\((.*)\)", r"assert criterion_text(\1).startswith(\1)", text
    )
    assert "@pytest.mark.xfail" not in text and "raise NotImplementedError" not in text
    path.write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def installed(installed_repo: Callable[[Path], RepoEnv]) -> RepoEnv:
    """claims-triage rendered (with git) and installed from its constraints."""
    return installed_repo(SPEC)


@pytest.fixture(scope="module")
def pending(installed: RepoEnv, tmp_path_factory: pytest.TempPathFactory) -> CiRun:
    """The evidence job on the repo as rendered: every criterion pending.

    Its suite step is the one run of this repository's suite that every test shares.
    """
    suite = suite_run(installed, tmp_path_factory)
    assert suite.returncode == 0, suite.stdout[-4000:] + suite.stderr[-2000:]
    return run_pack_step(installed, installed.repo, tmp_path_factory.mktemp("runner"))


@pytest.fixture(scope="module")
def implemented(installed: RepoEnv, tmp_path_factory: pytest.TempPathFactory) -> CiRun:
    """The evidence job on a copy of the repo whose acceptance tests are implemented."""
    copy = tmp_path_factory.mktemp("implemented") / installed.repo.name
    shutil.copytree(installed.repo, copy, symlinks=True, ignore=shutil.ignore_patterns(*REPORTS))
    implement_acceptance_tests(copy)
    suite = run_ci_step(installed, copy, SUITE_STEP)
    assert suite.returncode == 0, suite.stdout[-4000:] + suite.stderr[-2000:]
    return run_pack_step(installed, copy, tmp_path_factory.mktemp("runner"))


def test_strict_fails_while_criteria_are_pending(pending: CiRun) -> None:
    """The CI pack step exits 1 naming each pending criterion, and still writes the pack."""
    assert pending.done.returncode == 1, pending.done.stdout + pending.done.stderr
    for criterion in ("AC-1", "AC-2", "AC-3"):
        assert f"blocker: criterion {criterion} is pending" in pending.done.stdout
    assert pending.evidence()["readiness"]["verdict"] == "not-ready"


def test_the_pack_ties_spec_and_template_to_every_result(pending: CiRun) -> None:
    """Spec hash, template version and commit, with every criterion and control's result."""
    pack, repo = pending.evidence(), pending.repo
    answers = yaml.safe_load((repo / ".copier-answers.yml").read_text("utf-8"))
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout.strip()
    identity = pack["identity"]
    assert identity["spec_sha256"] == hashlib.sha256((repo / "spec.yaml").read_bytes()).hexdigest()
    assert (identity["template_version"], identity["git_commit"], identity["git_dirty"]) == (
        answers["_commit"],
        head,
        False,
    )
    assert [(c["id"], c["result"]) for c in pack["acceptance"]] == [
        ("AC-1", "pending"),
        ("AC-2", "pending"),
        ("AC-3", "pending"),
    ]
    controls = answers["project"]["controls"]
    assert [(c["regime"], c["id"]) for c in pack["controls"]] == [
        (c["regime"], c["id"]) for c in controls
    ]
    assert all(c["ok"] and c["test_result"] == "passed" for c in pack["controls"])


def test_the_pack_validates_against_the_shipped_schema(pending: CiRun) -> None:
    """The evidence.json a real run produces validates against the shipped schema."""
    done = subprocess.run(
        [check_jsonschema(), "--schemafile", str(SCHEMA), str(pending.pack / "evidence.json")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_strict_passes_once_the_acceptance_tests_are_implemented(implemented: CiRun) -> None:
    """With every acceptance test implemented, the same CI step exits 0: ready."""
    assert implemented.done.returncode == 0, implemented.done.stdout + implemented.done.stderr
    pack = implemented.evidence()
    assert pack["readiness"] == {"verdict": "ready", "blockers": []}
    assert {c["result"] for c in pack["acceptance"]} == {"passed"}
    assert pack["identity"]["git_dirty"] is True  # the implemented tests are not committed


def _chromium(binary: str, work: Path, *args: str) -> subprocess.CompletedProcess[str]:
    home = work / "home"
    home.mkdir(exist_ok=True)
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home)}
    return subprocess.run(
        [binary, *BROWSER_FLAGS, f"--user-data-dir={work / 'profile'}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
        stdin=subprocess.DEVNULL,
    )


def test_the_page_renders_in_chromium(
    pending: CiRun, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Chromium shows the verdict and every criterion, logs nothing, and can print the page."""
    binary = require_tool("chromium")
    work = tmp_path_factory.mktemp("chromium")
    page = pending.pack / "evidence.html"
    dom = _chromium(binary, work, "--dump-dom", page.as_uri())
    shot = work / "evidence.png"
    shown = _chromium(binary, work, f"--screenshot={shot}", page.as_uri())
    pdf = work / "evidence.pdf"
    _chromium(binary, work, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri())
    assert "NOT-READY" in dom.stdout
    assert all(f">{c}<br>" in dom.stdout for c in ("AC-1", "AC-2", "AC-3"))
    assert re.search(r"<(script|img)\b", dom.stdout.lower()) is None
    logged = [line for line in shown.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    assert logged == []
    # a blank 1280x2000 screenshot compresses to a few kilobytes; this page's text does not
    assert shot.stat().st_size > 50_000
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 20_000


def test_a_tampered_pack_fails_verify(pending: CiRun, tmp_path: Path) -> None:
    """The pack verifies as built; after one word is changed, verify exits 1 naming the file."""
    pack = Path(shutil.copytree(pending.pack, tmp_path / "pack"))
    env = {k: v for k, v in os.environ.items() if k != "NEW_AI_PROJECT_EVIDENCE_KEY"}
    verify = [str(CLI), "evidence", "verify", str(pack)]
    intact = subprocess.run(verify, capture_output=True, text=True, check=False, env=env)
    assert intact.returncode == 0, intact.stderr
    html = pack / "evidence.html"
    html.write_text(html.read_text("utf-8").replace("NOT-READY", "READY"), encoding="utf-8")
    tampered = subprocess.run(verify, capture_output=True, text=True, check=False, env=env)
    assert tampered.returncode == 1
    assert tampered.stderr.strip() == (
        f"Error: {html}: changed since the pack was built (SHA-256 differs)"
    )
