"""update and update --check against a tiny template repository released at two versions."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.cli import main
from generator.update import update_project
from tests.integration.update_support import (
    add_criterion,
    edit,
    git,
    make_template_repo,
    release,
    render,
    snapshot,
    team_commit,
)

README = "README.md"
README_TPL = "templates/service/README.md.jinja"


@pytest.fixture
def template(tmp_path: Path) -> Path:
    """A template repository tagged v1.0.0."""
    repo = make_template_repo(tmp_path / "template")
    git(repo, "tag", "v1.0.0")
    return repo


@pytest.fixture
def project(tmp_path: Path, template: Path) -> Path:
    """A project rendered from v1.0.0 with a committed team edit to its README."""
    dest = render(tmp_path / "claims", str(template))
    edit(dest / README, "(none)", "We page the claims on-call first.")
    team_commit(dest)
    return dest


def release_v2(template: Path) -> None:
    """Release v2.0.0: the README footer changes (far from the team's edit)."""
    release(template, "v2.0.0", README_TPL, "footer v1", "footer v2")


def test_render_records_version_and_source(project: Path, template: Path) -> None:
    """A project rendered from a tagged repository records _commit and an absolute _src_path."""
    answers = (project / ".copier-answers.yml").read_text(encoding="utf-8")
    assert "_commit: v1.0.0" in answers
    assert f"_src_path: {template}" in answers


def test_check_is_current_before_a_release(project: Path) -> None:
    """--check answers 0 when no newer version exists and spec.yaml is unchanged."""
    assert main(["update", "--check", str(project)]) == 0


def test_check_reports_the_versions_when_behind(
    project: Path, template: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--check answers 1 after a release and names both versions."""
    release_v2(template)
    assert main(["update", "--check", str(project)]) == 1
    assert "template 1.0.0 -> 2.0.0" in capsys.readouterr().out


def test_update_brings_the_change_and_keeps_the_team_edit(project: Path, template: Path) -> None:
    """The template's change arrives and the team's committed edit stays."""
    release_v2(template)
    result = update_project(project)
    assert result.status == "updated", result.message
    readme = (project / README).read_text(encoding="utf-8")
    assert "footer v2" in readme
    assert "We page the claims on-call first." in readme
    assert (result.version_from, result.version_to) == ("1.0.0", "2.0.0")


def test_update_commits_nothing(project: Path, template: Path) -> None:
    """HEAD does not move; the changes wait in the working tree for review."""
    head = git(project, "rev-parse", "HEAD")
    release_v2(template)
    result = update_project(project)
    assert git(project, "rev-parse", "HEAD") == head
    assert "git diff" in result.message and "git add -A && git commit" in result.message
    assert git(project, "status", "--porcelain") != ""


def test_check_flips_to_current_after_update(project: Path, template: Path) -> None:
    """--check answers 1 before the update and 0 once it is committed."""
    release_v2(template)
    assert main(["update", "--check", str(project)]) == 1
    assert main(["update", str(project)]) == 0
    team_commit(project, "Update from template 2.0.0")
    assert main(["update", "--check", str(project)]) == 0


def test_clashing_edit_is_a_conflict_with_exit_1(
    project: Path, template: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A team edit on the line the release changes is reported per file, exit 1."""
    edit(project / README, "footer v1", "footer by the team")
    team_commit(project)
    release_v2(template)
    assert main(["update", str(project)]) == 1
    out = capsys.readouterr().out
    assert "conflicts" in out
    assert f"conflict: {README}" in out
    assert "<<<<<<<" in (project / README).read_text(encoding="utf-8")


def test_conflicts_are_listed_in_the_result(project: Path, template: Path) -> None:
    """The result names the conflicting files (Copier itself reports none)."""
    edit(project / README, "footer v1", "footer by the team")
    team_commit(project)
    release_v2(template)
    result = update_project(project)
    assert (result.status, result.conflicts) == ("conflicts", (README,))


def test_update_fails_loudly_when_copier_reads_answers_otherwise(
    project: Path, template: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Copier whose recorded answers are not a cached property fails the update, naming it."""
    from copier._subproject import Subproject

    release_v2(template)
    before = snapshot(project)
    monkeypatch.setattr(Subproject, "last_answers", property(lambda _self: {}))
    result = update_project(project)
    assert result.status == "failed"
    assert "Subproject.last_answers" in result.message and "Copier 9" in result.message
    assert snapshot(project) == before


def test_untracked_file_refuses_and_touches_nothing(project: Path, template: Path) -> None:
    """A dirty tree (an untracked file) is refused with a clear message; nothing changes."""
    release_v2(template)
    (project / "notes.txt").write_text("work in progress\n", encoding="utf-8")
    before = snapshot(project)
    result = update_project(project)
    assert result.status == "refused"
    assert "notes.txt" in result.message and "nothing was changed" in result.message
    assert snapshot(project) == before


def test_uncommitted_edit_refuses_with_exit_1(project: Path, template: Path) -> None:
    """A modified tracked file is refused too, exit 1, files unchanged."""
    release_v2(template)
    edit(project / README, "footer v1", "footer, uncommitted")
    before = snapshot(project)
    assert main(["update", str(project)]) == 1
    assert snapshot(project) == before


def test_spec_change_makes_check_answer_1(project: Path) -> None:
    """A criterion added to spec.yaml and committed makes --check answer 1, naming the spec."""
    add_criterion(project)
    team_commit(project, "Spec: AC-99")
    result = update_project(project, check=True)
    assert (result.status, result.template_behind, result.spec_changed) == ("behind", False, True)
    assert "criteria" in result.spec_changes
    assert result.spec_edited
    assert "spec.yaml changed since the last update" in result.message


def _rewrite_recorded_context(project: Path, change: Callable[[dict[str, Any]], None]) -> None:
    """Change the render context recorded in the answers file, as an older generator wrote it."""
    answers_path = project / ".copier-answers.yml"
    answers = yaml.safe_load(answers_path.read_text(encoding="utf-8"))
    change(answers["project"])
    answers_path.write_text(yaml.safe_dump(answers, sort_keys=False), encoding="utf-8")
    team_commit(project, "answers as an older generator recorded them")


def test_answers_derived_otherwise_are_not_called_a_spec_edit(project: Path) -> None:
    """A context this generator derives otherwise from the same spec is due, not an edit."""
    _rewrite_recorded_context(project, lambda ctx: ctx.update(admin_role="an older label"))
    result = update_project(project, check=True)
    assert (result.status, result.spec_changed, result.spec_edited) == ("behind", True, False)
    assert "admin_role" in result.spec_changes
    assert "spec.yaml unchanged" in result.message
    assert result.to_json()["spec"] == {
        "changed": True,
        "edited": False,
        "changes": list(result.spec_changes),
    }


def test_a_spec_field_added_by_a_later_generator_is_not_an_edit(project: Path) -> None:
    """A recorded spec without a field that a later model fills by default is not edited."""

    def drop_defaulted(ctx: dict[str, Any]) -> None:
        spec = ctx["spec"]
        key = next(k for k, v in spec.items() if v is None)
        del spec[key]

    _rewrite_recorded_context(project, drop_defaulted)
    result = update_project(project, check=True)
    assert (result.spec_changed, result.spec_edited) == (True, False), result.message


def test_spec_change_brings_its_acceptance_test(project: Path) -> None:
    """`update` renders the new criterion's acceptance test; the old ones stay."""
    add_criterion(project)
    team_commit(project, "Spec: AC-99")
    tests = project / "tests" / "acceptance" / "test_acceptance.py"
    assert "def test_ac_99" not in tests.read_text(encoding="utf-8")
    result = update_project(project)
    assert result.status == "updated", result.message
    text = tests.read_text(encoding="utf-8")
    assert "def test_ac_99" in text and "def test_ac_1" in text


def test_invalid_spec_is_refused_with_file_and_line(project: Path) -> None:
    """A spec.yaml that fails validation is refused with FILE:LINE errors, nothing changed."""
    edit(project / "spec.yaml", "layer: e2e", "layer: everywhere")
    team_commit(project)
    before = snapshot(project)
    result = update_project(project)
    assert result.status == "refused"
    assert "spec.yaml:" in result.message and "layer" in result.message
    assert snapshot(project) == before


def test_check_json_format(
    project: Path, template: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--format json gives the status, both versions and the spec state per repository."""
    release_v2(template)
    assert main(["update", "--check", "--format", "json", str(project)]) == 1
    data = json.loads(capsys.readouterr().out)
    repo = data["repositories"][0]
    assert repo["status"] == "behind"
    assert repo["template"] == {"from": "1.0.0", "to": "2.0.0", "behind": True}
    assert repo["spec"]["changed"] is False


def test_vcs_ref_selects_a_version(project: Path, template: Path) -> None:
    """--vcs-ref updates to the version asked for, not the latest."""
    release_v2(template)
    release(template, "v3.0.0", README_TPL, "footer v2", "footer v3")
    result = update_project(project, vcs_ref="v2.0.0")
    assert result.status == "updated", result.message
    assert "footer v2" in (project / README).read_text(encoding="utf-8")


def test_update_from_another_source_is_refused(project: Path, tmp_path: Path) -> None:
    """--template naming another source than the recorded one is refused untouched."""
    other = make_template_repo(tmp_path / "fork")
    git(other, "tag", "v9.0.0")
    before = snapshot(project)
    result = update_project(project, template=str(other))
    assert result.status == "refused" and "_src_path" in result.message
    assert snapshot(project) == before


def test_not_a_project_is_refused(tmp_path: Path) -> None:
    """A folder without .copier-answers.yml is reported, not crashed on."""
    (tmp_path / "plain").mkdir()
    result = update_project(tmp_path / "plain")
    assert result.status == "refused" and ".copier-answers.yml" in result.message


def test_many_repos_in_parallel_with_one_broken(
    tmp_path: Path,
    template: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Several repos update in parallel; a broken one fails alone; the summary shows each."""
    fleet = tmp_path / "fleet"
    names = ["alpha", "bravo", "charlie"]
    for name in names:
        render(fleet / name, str(template))
    edit(fleet / "bravo" / "spec.yaml", "layer: e2e", "layer: everywhere")
    team_commit(fleet / "bravo")
    release_v2(template)
    monkeypatch.chdir(tmp_path)
    assert main(["update", "fleet"]) == 1
    captured = capsys.readouterr()
    rows = {line.split()[0]: line.split()[1] for line in captured.out.splitlines() if line}
    assert rows["fleet/alpha"] == "updated" and rows["fleet/charlie"] == "updated"
    assert rows["fleet/bravo"] == "refused"
    assert "[3/3]" in captured.err
    for name in ("alpha", "charlie"):
        assert "footer v2" in (fleet / name / README).read_text(encoding="utf-8")
