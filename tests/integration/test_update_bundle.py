"""The shipped templates as a git bundle: versions from templates/VERSION, updates across releases."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

from generator.errors import BundleError
from generator.render import sources as templates
from generator.render.bundle import build_bundle
from generator.update import update_project
from tests.conftest import ROOT
from tests.integration.update_support import (
    add_criterion,
    edit,
    git,
    make_template_repo,
    render,
    team_commit,
)

README_TPL = "templates/service/README.md.jinja"


def tags_of(bundle: Path) -> dict[str, str]:
    """Tag name -> commit id of a bundle."""
    heads = git(bundle.parent, "bundle", "list-heads", str(bundle))
    return {
        ref.removeprefix("refs/tags/"): sha
        for sha, ref in (line.split() for line in heads.splitlines())
        if ref.startswith("refs/tags/")
    }


def bump(repo: Path, version: str, old: str = "footer v1", new: str = "footer v2") -> None:
    """Release a template version: change the README template and templates/VERSION."""
    edit(repo / README_TPL, old, new)
    (repo / "templates" / "VERSION").write_text(f"{version}\n", encoding="utf-8")
    git(repo, "commit", "-q", "-am", f"Templates {version}")


@pytest.fixture
def source(tmp_path: Path) -> Path:
    """A package source repository whose templates/VERSION says 0.1.0."""
    return make_template_repo(tmp_path / "source", version_file=True)


def test_versions_come_from_the_version_file_history(source: Path, tmp_path: Path) -> None:
    """Each version set in templates/VERSION is a tag; template commits between are posts."""
    edit(source / README_TPL, "(none)", "(nothing yet)")
    git(source, "commit", "-q", "-am", "Template fix without a version bump")
    (source / "NOTES.md").write_text("not a template\n", encoding="utf-8")
    git(source, "add", "NOTES.md")
    git(source, "commit", "-q", "-m", "Unrelated commit")
    bump(source, "0.2.0")
    tags = build_bundle(source, tmp_path / "t.bundle")
    assert tags == ["v0.1.0", "v0.1.0.post1", "v0.2.0"]


def test_uncommitted_templates_are_a_post_release(source: Path, tmp_path: Path) -> None:
    """A development checkout's working tree is tagged after the last version."""
    edit(source / README_TPL, "(none)", "(work in progress)")
    assert build_bundle(source, tmp_path / "t.bundle")[-1] == "v0.1.0.post1"


def test_bundle_holds_only_the_templates(source: Path, tmp_path: Path) -> None:
    """The bundle's commits hold copier.yml and templates/, nothing else of the source."""
    (source / "NOTES.md").write_text("not a template\n", encoding="utf-8")
    git(source, "add", "NOTES.md")
    git(source, "commit", "-q", "-m", "Notes")
    build_bundle(source, tmp_path / "t.bundle")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(tmp_path / "t.bundle"), str(clone))
    assert sorted(p.name for p in clone.iterdir() if p.name != ".git") == [
        "copier.yml",
        "templates",
    ]


def test_later_builds_keep_earlier_release_commits(source: Path, tmp_path: Path) -> None:
    """A later release's bundle holds the earlier tags at the same commits (a superset)."""
    first = tags_of(_built(source, tmp_path / "first.bundle"))
    bump(source, "0.2.0")
    second = tags_of(_built(source, tmp_path / "second.bundle"))
    assert second["v0.1.0"] == first["v0.1.0"]
    assert set(second) == {"v0.1.0", "v0.2.0"}


def _built(source: Path, out: Path) -> Path:
    build_bundle(source, out)
    return out


def test_without_history_one_version_is_bundled(source: Path, tmp_path: Path) -> None:
    """A source without git history (an sdist) gives a single-version bundle."""
    plain = tmp_path / "plain"
    shutil.copytree(source, plain, ignore=shutil.ignore_patterns(".git"))
    assert build_bundle(plain, tmp_path / "t.bundle") == ["v0.1.0"]


def _link_shared(source: Path) -> None:
    """Link a shared file and a shared folder into the service template, and commit."""
    shared = source / "templates" / "_shared"
    (shared / "docs").mkdir(parents=True)
    (shared / "NOTICE.md").write_text("shared once\n", encoding="utf-8")
    (shared / "docs" / "guide.md.jinja").write_text("{{ project.name }}\n", encoding="utf-8")
    service = source / "templates" / "service"
    (service / "NOTICE.md").symlink_to("../_shared/NOTICE.md")
    (service / "docs").symlink_to("../_shared/docs")
    git(source, "add", "-A")
    git(source, "commit", "-q", "-m", "Shared files")


def test_symbolic_links_are_bundled_as_the_files_they_name(source: Path, tmp_path: Path) -> None:
    """A linked file or folder is a plain copy in the bundle, so any checkout renders it."""
    _link_shared(source)
    build_bundle(source, tmp_path / "t.bundle")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(tmp_path / "t.bundle"), str(clone))
    service = clone / "templates" / "service"
    assert not (service / "NOTICE.md").is_symlink()
    assert (service / "NOTICE.md").read_text(encoding="utf-8") == "shared once\n"
    assert not (service / "docs").is_symlink()
    assert (service / "docs" / "guide.md.jinja").read_text("utf-8") == "{{ project.name }}\n"


def test_linked_templates_committed_as_they_are_add_no_post_release(
    source: Path, tmp_path: Path
) -> None:
    """The committed tree and the working tree materialise links alike: one tag, no post."""
    _link_shared(source)
    assert build_bundle(source, tmp_path / "t.bundle") == ["v0.1.0", "v0.1.0.post1"]


def test_a_dangling_link_is_refused(source: Path, tmp_path: Path) -> None:
    """A link to a file that does not exist stops the build, naming the link."""
    (source / "templates" / "service" / "GONE.md").symlink_to("../_shared/GONE.md")
    git(source, "add", "-A")
    git(source, "commit", "-q", "-m", "Dangling")
    with pytest.raises(BundleError, match=r"GONE\.md points to templates/_shared/GONE\.md"):
        build_bundle(source, tmp_path / "t.bundle")


def test_a_dangling_link_in_the_working_tree_is_refused(tmp_path: Path) -> None:
    """Without history, the working tree's dangling link stops the build as a BundleError."""
    plain = tmp_path / "plain"
    (plain / "templates" / "service").mkdir(parents=True)
    shutil.copy2(ROOT / "copier.yml", plain / "copier.yml")
    (plain / "templates" / "VERSION").write_text("0.1.0\n", encoding="utf-8")
    (plain / "templates" / "service" / "GONE.md").symlink_to("../_shared/GONE.md")
    with pytest.raises(BundleError, match="cannot copy"):
        build_bundle(plain, tmp_path / "t.bundle")


def test_invalid_version_file_is_refused(source: Path, tmp_path: Path) -> None:
    """A templates/VERSION that is not PEP 440 stops the build with the reason."""
    (source / "templates" / "VERSION").write_text("next\n", encoding="utf-8")
    git(source, "commit", "-q", "-am", "Bad version")
    with pytest.raises(BundleError, match="PEP 440"):
        build_bundle(source, tmp_path / "t.bundle")


def test_update_across_two_package_releases(
    source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A project made with an older package's bundle updates offline with the newer one."""
    old_bundle = _built(source, tmp_path / "release-1" / "templates.bundle")
    monkeypatch.setattr(templates, "PACKAGED_BUNDLE", old_bundle)
    project = render(tmp_path / "claims", None)
    answers = (project / ".copier-answers.yml").read_text(encoding="utf-8")
    assert "_src_path: ~/.local/share/new-ai-project/templates.bundle" in answers
    assert "_commit: v0.1.0" in answers
    edit(project / "README.md", "(none)", "Team edit that must survive.")
    team_commit(project)

    bump(source, "0.2.0")
    new_bundle = _built(source, tmp_path / "release-2" / "templates.bundle")
    monkeypatch.setattr(templates, "PACKAGED_BUNDLE", new_bundle)
    assert update_project(project, check=True).status == "behind"
    result = update_project(project)
    assert result.status == "updated", result.message
    assert (result.version_from, result.version_to) == ("0.1.0", "0.2.0")
    readme = (project / "README.md").read_text(encoding="utf-8")
    assert "footer v2" in readme and "Team edit that must survive." in readme


def test_default_source_records_version_and_user_path(tmp_path: Path) -> None:
    """The shipped templates render from the per-user bundle and record _commit."""
    project = render(tmp_path / "forecast", None, "weekly-demand-forecast.yaml")
    answers = (project / ".copier-answers.yml").read_text(encoding="utf-8")
    assert "_src_path: ~/.local/share/new-ai-project/templates.bundle" in answers
    assert "_commit: v" in answers
    assert templates.default_bundle_path().is_file()


def _renders_acceptance_tests(kind: str) -> bool:
    return any((ROOT / "templates" / kind / "tests" / "acceptance").glob("*.jinja"))


@pytest.mark.parametrize(
    ("spec", "kind"),
    [
        pytest.param(
            "claims-triage.yaml",
            "service",
            marks=pytest.mark.skipif(
                not _renders_acceptance_tests("service"),
                reason="templates/service renders no acceptance tests yet",
            ),
        ),
        pytest.param(
            "weekly-demand-forecast.yaml",
            "pipeline",
            marks=pytest.mark.skipif(
                not _renders_acceptance_tests("pipeline"),
                reason="templates/pipeline renders no acceptance tests yet",
            ),
        ),
    ],
)
def test_real_template_brings_a_new_criterion_test(tmp_path: Path, spec: str, kind: str) -> None:
    """With the shipped templates, a criterion added to spec.yaml gains its acceptance test."""
    project = render(tmp_path / kind, None, spec)
    acceptance = project / "tests" / "acceptance"
    assert "test_ac_99" not in _all_text(acceptance)
    add_criterion(project)
    team_commit(project, "Spec: AC-99")
    assert update_project(project, check=True).status == "behind"
    result = update_project(project)
    assert result.status == "updated", result.message
    assert "def test_ac_99" in _all_text(acceptance)


def _all_text(folder: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(folder.rglob("*.py")))


def test_wheel_carries_the_template_bundle(tmp_path: Path) -> None:
    """Building the wheel runs the hook that puts the tagged template bundle inside."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    wheel = next(tmp_path.glob("new_ai_project-*.whl"))
    bundle = tmp_path / "templates.bundle"
    with zipfile.ZipFile(wheel) as archive:
        bundle.write_bytes(archive.read("generator/_template/templates.bundle"))
    assert "v0.1.0" in tags_of(bundle)


def test_a_changed_input_flows_into_the_schema_contract_and_docs(tmp_path: Path) -> None:
    """Narrowing an input in spec.yaml and running update changes what every boundary enforces."""
    project = render(tmp_path / "service", None, "claims-triage.yaml")
    package = project / "src" / "claims_triage"
    before = json.loads((package / "project.json").read_text(encoding="utf-8"))["contract"]
    spec_path = project / "spec.yaml"
    spec = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    spec["inputs"][1]["values"] = ["web", "phone"]  # broker removed: a breaking change
    spec["inputs"].append({"name": "region", "type": "text", "required": False})
    spec_path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    team_commit(project, "Spec: channel without broker; optional region")
    result = update_project(project)
    assert result.status == "updated", result.message
    after = json.loads((package / "project.json").read_text(encoding="utf-8"))["contract"]
    assert after["version"] != before["version"]
    assert [i["name"] for i in after["inputs"]][-1] == "region"
    assert after["inputs"][1]["values"] == ["web", "phone"]
    contract_page = (project / "docs" / "data_contract.md").read_text(encoding="utf-8")
    assert "`region`" in contract_page and "broker" not in contract_page
