"""Must-show: a clone of this repository as template source, released as a new version tag."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.cli import main
from tests.conftest import ROOT
from tests.integration.update_support import git, render, snapshot, team_commit

SPEC = "weekly-demand-forecast.yaml"
PACKAGE = "weekly_demand_forecast"


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    """A clone of this repository (committed state), tagged v0.1.0 by the organisation."""
    repo = tmp_path / "templates-fork"
    git(tmp_path, "clone", "-q", "--no-local", str(ROOT), str(repo))
    git(repo, "tag", "v0.1.0")
    return repo


@pytest.fixture
def project(tmp_path: Path, clone: Path) -> Path:
    """A pipeline rendered from the clone at v0.1.0 with a committed team edit; then v0.2.0."""
    project = render(tmp_path / "forecast", str(clone), SPEC)
    steps = project / "src" / PACKAGE / "steps.py"
    steps.write_text(steps.read_text(encoding="utf-8") + "\n# Team note: keep this.\n", "utf-8")
    team_commit(project)
    notes = clone / "templates" / "pipeline" / "UPGRADING.md"
    notes.write_text("# Upgrading\n\nReleased as 0.2.0 by the platform team.\n", "utf-8")
    git(clone, "add", "-A")
    git(clone, "commit", "-q", "-m", "Add upgrade notes")
    git(clone, "tag", "v0.2.0")
    return project


def test_untracked_file_refuses_untouched(project: Path) -> None:
    """An untracked file makes update refuse (exit 1) without touching anything."""
    (project / "scratch.txt").write_text("not committed\n", encoding="utf-8")
    before = snapshot(project)
    assert main(["update", str(project)]) == 1
    assert snapshot(project) == before


def test_clone_release_arrives_and_team_edit_stays(project: Path) -> None:
    """--check 1 after a tagged release, update brings it keeping a team edit, then --check 0."""
    steps = project / "src" / PACKAGE / "steps.py"
    assert main(["update", "--check", str(project)]) == 1
    assert main(["update", str(project)]) == 0
    assert "Released as 0.2.0" in (project / "UPGRADING.md").read_text(encoding="utf-8")
    assert "# Team note: keep this." in steps.read_text(encoding="utf-8")
    team_commit(project, "Update from template 0.2.0")
    assert main(["update", "--check", str(project)]) == 0
