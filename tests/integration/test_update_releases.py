"""Every released template version updates to the current templates without a conflict.

A repository rendered from each release in the shipped bundle (``new --vcs-ref vX``),
committed and left untouched, then updated: exit 0, no conflict marker, no ``.rej`` file,
for both kinds. Generators up to 0.4.0 handed Copier the context in the order it was
computed (roles in spec order, admin last; artifacts in catalogue order) while the answers
file recorded it sorted, and those template versions loop over such mappings; the tests
render as they did, so the update must see the project as its team left it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.version import Version

from generator.cli import main
from generator.render import project as rendering
from generator.render.bundle import find_releases
from generator.render.context import build_context, in_render_order
from generator.spec import ProjectSpec
from tests.conftest import ROOT, SPECS
from tests.integration.update_support import add_regime, assert_cleanly_updated, git, team_commit

RELEASES = [
    r.version
    for r in find_releases(ROOT)
    if r.source is not None and not Version(r.version).is_postrelease
]
SPEC_BY_KIND = {"service": "claims-triage.yaml", "pipeline": "weekly-demand-forecast.yaml"}


def render_as_released(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``new`` hand Copier the context in computed order, as generators up to 0.4.0 did."""

    def released(spec: ProjectSpec, **options: Any) -> dict[str, Any]:
        return in_render_order(build_context(spec, **options))

    monkeypatch.setattr(rendering, "build_context", released)


def _migrations(project: Path) -> dict[str, bytes]:
    """Each migration file of a rendered repository with its bytes."""
    return {
        p.relative_to(project).as_posix(): p.read_bytes()
        for p in sorted(project.glob("src/*/migrations/*/*.sql"))
    }


def test_the_history_holds_released_versions() -> None:
    """The release list the tests below walk is not empty (a checkout has its history)."""
    assert RELEASES and RELEASES[0] == "0.1.0", RELEASES


@pytest.mark.parametrize("kind", sorted(SPEC_BY_KIND))
@pytest.mark.parametrize("version", RELEASES)
def test_untouched_repository_updates_from_a_release(
    version: str, kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rendered from release ``version`` as then, updated: no conflict, migrations unedited."""
    project = tmp_path / kind
    spec = SPECS / SPEC_BY_KIND[kind]
    with monkeypatch.context() as released:
        render_as_released(released)
        assert main(["new", str(project), "--spec", str(spec), "--vcs-ref", f"v{version}"]) == 0
    assert f"_commit: v{version}\n" in (project / ".copier-answers.yml").read_text("utf-8")
    released_migrations = _migrations(project)
    assert main(["update", str(project)]) == 0
    assert_cleanly_updated(project)
    assert {p: b for p, b in _migrations(project).items() if p in released_migrations} == (
        released_migrations
    ), "a released migration is never edited (a change is a new file)"
    answers = (project / ".copier-answers.yml").read_text("utf-8")
    assert f"_commit: v{version}\n" not in answers or version == RELEASES[-1]
    assert git(project, "rev-list", "--count", "HEAD") == "1", "update never commits"


def test_release_rendered_by_this_generator_updates(tmp_path: Path) -> None:
    """The oldest release rendered by this generator (context as recorded) updates cleanly."""
    project = tmp_path / "service"
    spec = SPECS / SPEC_BY_KIND["service"]
    assert main(["new", str(project), "--spec", str(spec), "--vcs-ref", f"v{RELEASES[0]}"]) == 0
    assert main(["update", str(project)]) == 0
    assert_cleanly_updated(project)


@pytest.mark.parametrize("kind", sorted(SPEC_BY_KIND))
def test_regime_added_to_a_repository_of_the_last_release(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A last-release repo given soc2 updates cleanly; the summary names the new controls."""
    project = tmp_path / kind
    spec = SPECS / SPEC_BY_KIND[kind]
    with monkeypatch.context() as released:
        render_as_released(released)
        assert (
            main(["new", str(project), "--spec", str(spec), "--vcs-ref", f"v{RELEASES[-1]}"]) == 0
        )
    add_regime(project, "soc2")
    team_commit(project, "Spec: SOC 2 in scope")
    capsys.readouterr()
    assert main(["update", str(project)]) == 0
    assert_cleanly_updated(project)
    assert "  review: control SOC 2 cc6-1 added: " in capsys.readouterr().out
    assert "| SOC 2 | cc6-1 |" in (project / "docs" / "controls.md").read_text("utf-8")


def test_check_json_lists_what_a_reviewer_must_see(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--check --format json lists a lost permission and a removed criterion, changing nothing."""
    project = tmp_path / "service"
    assert main(["new", str(project), "--spec", str(SPECS / SPEC_BY_KIND["service"])]) == 0
    spec_path = project / "spec.yaml"
    data = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    data["users"][0]["can"] = ["read"]  # adjuster loses review
    removed = data["acceptance_criteria"].pop()["id"]
    spec_path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    team_commit(project, "Spec: adjuster reads only; a criterion dropped")
    capsys.readouterr()
    assert main(["update", "--check", "--format", "json", str(project)]) == 1
    (repository,) = json.loads(capsys.readouterr().out)["repositories"]
    notes = {(n["kind"], n["subject"]): n["message"] for n in repository["review"]}
    assert notes[("permission-lost", "adjuster")] == "role `adjuster` loses review (may now read)"
    assert ("criterion-removed", removed) in notes
    assert git(project, "status", "--porcelain") == ""
