"""Render every service spec (examples and the hostile fixture) and check the repository."""

from __future__ import annotations

import json
import re
import stat
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.cli import main
from generator.render import render_project
from generator.render.context import build_context
from generator.spec import load_spec
from tests.conftest import EXAMPLE_SPECS, FIXTURES, SPECS
from tests.tools import require_tool

SERVICE_SPECS = [
    p for p in EXAMPLE_SPECS if yaml.safe_load(p.read_text(encoding="utf-8"))["kind"] == "service"
] + [FIXTURES / "hostile-service.yaml"]
IDS = [p.stem for p in SERVICE_SPECS]
HOSTILE = FIXTURES / "hostile-service.yaml"
UNRENDERED = re.compile(
    r"(?<!\\)\{\{-?\s*(project|md1?|yaml|s|c|u|d|m|p)\b"
    r"|(?<!\\)\{%-?\s*(if|for|endif|endfor|from|include|set)\b"
)
"""The templates' own syntax; a brace escaped for Markdown (spec text such as ``\\{% for``) is not."""


@contextmanager
def isolated(home: Path) -> Iterator[None]:
    """Point HOME and git's global config at ``home`` (module-scoped use; the run's cache)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HOME", str(home))
        patch.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
        patch.setenv("GIT_CONFIG_NOSYSTEM", "1")
        yield


@pytest.fixture(scope="module", params=SERVICE_SPECS, ids=IDS)
def rendered(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path, dict[str, Any]]:
    """Render one service spec through the CLI; return the repo, the spec and the context."""
    spec_path: Path = request.param
    dest = tmp_path_factory.mktemp("render") / "repo"
    with isolated(tmp_path_factory.mktemp("home")):
        assert main(["new", str(dest), "--spec", str(spec_path)]) == 0
    return dest, spec_path, build_context(load_spec(spec_path))


def _files(repo: Path) -> list[Path]:
    return [p for p in repo.rglob("*") if p.is_file() and ".git" not in p.parts]


def _escaped_forms(data: Any) -> list[str]:
    """Every string of the spec as the templates write it in YAML/JSON, longest first.

    As a JSON string (the ``yaml`` macro), and with each ``{{`` turned into the Go template
    action that prints it (the ``prom`` macro, for Prometheus annotations).
    """
    strings: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str):
            strings.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(data)
    forms = set()
    for text in strings:
        forms.add(json.dumps(text, ensure_ascii=False)[1:-1])
        forms.add(json.dumps(text.replace("{{", '{{ "{{" }}'), ensure_ascii=False)[1:-1])
    return sorted(forms, key=len, reverse=True)


def test_every_artifact_in_scope_has_its_file_and_test(
    rendered: tuple[Path, Path, dict[str, Any]],
) -> None:
    """Each catalogue artifact the spec brings into scope is rendered with its test."""
    repo, _, context = rendered
    for artifact in context["artifacts"].values():
        assert (repo / artifact["file"]).is_file(), artifact["file"]
        assert (repo / artifact["test"]).is_file(), artifact["test"]


def test_artifacts_out_of_scope_are_not_rendered(
    rendered: tuple[Path, Path, dict[str, Any]],
) -> None:
    """Optional modules appear only when their artifact is in scope."""
    repo, _, context = rendered
    package = context["package"]
    for artifact, path in (
        ("e-signature", f"src/{package}/signatures.py"),
        ("kill-switch", f"src/{package}/killswitch.py"),
        ("dpia", "docs/compliance/dpia.md"),
        ("health-data-access-audit", "tests/integration/test_health_data_audit.py"),
    ):
        assert (repo / path).is_file() == (artifact in context["features"]), path


def test_no_template_syntax_is_left(rendered: tuple[Path, Path, dict[str, Any]]) -> None:
    """No file outside the spec's data (spec.yaml, answers, package data) holds template syntax.

    Spec text placed as a YAML or JSON string (alert annotations, for Prometheus) is data, not
    a leftover: it is taken out before the search, in each escaped form it is written in.
    """
    repo, _, context = rendered
    workflows = {"ci.yml", "template-update.yml", "spec-review.yml"}  # GitHub's ${{ }}
    data = {"spec.yaml", ".copier-answers.yml", "project.json"}  # the spec's text, as data
    placed = _escaped_forms(context["spec"])
    for path in _files(repo):
        if path.name in {*data, *workflows}:
            continue
        text = path.read_text(encoding="utf-8")
        for form in placed:
            text = text.replace(form, "")
        assert not UNRENDERED.search(text), path
        assert not path.name.endswith(".jinja"), path


def test_spec_is_written_verbatim(rendered: tuple[Path, Path, dict[str, Any]]) -> None:
    """spec.yaml in the repo is byte for byte the spec it was rendered from."""
    repo, spec_path, _ = rendered
    assert (repo / "spec.yaml").read_bytes() == spec_path.read_bytes()


def test_answers_record_source_version_and_kind(
    rendered: tuple[Path, Path, dict[str, Any]],
) -> None:
    """The Copier answers file names the template source, its version and the kind."""
    repo, _, context = rendered
    answers = yaml.safe_load((repo / ".copier-answers.yml").read_text(encoding="utf-8"))
    assert answers["_src_path"]
    assert answers["_commit"]
    assert answers["kind"] == "service"
    assert answers["project"]["package"] == context["package"]


def test_first_commit_holds_every_file(rendered: tuple[Path, Path, dict[str, Any]]) -> None:
    """The repo has one commit and a clean work tree."""
    repo, _, _ = rendered
    log = subprocess.run(
        ["git", "log", "--oneline"], cwd=repo, capture_output=True, text=True, check=True
    )
    status = subprocess.run(
        ["git", "status", "--porcelain"], cwd=repo, capture_output=True, text=True, check=True
    )
    assert len(log.stdout.splitlines()) == 1
    assert status.stdout == ""


def test_release_script_is_executable_on_disk_and_in_the_commit(
    rendered: tuple[Path, Path, dict[str, Any]],
) -> None:
    """deploy/release.sh keeps its executable bit (new skips Copier's per-file index sync)."""
    repo, _, _ = rendered
    script = repo / "deploy" / "release.sh"
    assert script.stat().st_mode & stat.S_IXUSR
    staged = subprocess.run(
        ["git", "ls-files", "--stage", "--", "deploy/release.sh"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    assert staged.stdout.split()[0] == "100755"


def test_python_compiles(rendered: tuple[Path, Path, dict[str, Any]]) -> None:
    """Every generated Python file is valid Python."""
    repo, _, _ = rendered
    for path in repo.rglob("*.py"):
        compile(path.read_text(encoding="utf-8"), str(path), "exec")


def test_yaml_files_parse(rendered: tuple[Path, Path, dict[str, Any]]) -> None:
    """Alert rules, the workflow and the pre-commit config are valid YAML."""
    repo, _, _ = rendered
    for name in ("ops/alerts.yml", ".github/workflows/ci.yml", ".pre-commit-config.yaml"):
        assert yaml.safe_load((repo / name).read_text(encoding="utf-8"))


def test_alerts_show_the_spec_title_literally_in_prometheus(
    rendered: tuple[Path, Path, dict[str, Any]],
) -> None:
    """Prometheus itself renders the alert's annotations, and the title comes out unchanged.

    Annotations are Go templates to Prometheus; ``promtool test rules`` fires the error-ratio
    alert on synthetic series and compares the annotations it renders with the spec's title.
    """
    promtool = require_tool("promtool")
    repo, spec_path, context = rendered
    title = yaml.safe_load(spec_path.read_text(encoding="utf-8"))["title"]
    rules = yaml.safe_load((repo / "ops" / "alerts.yml").read_text(encoding="utf-8"))
    alert = next(r for r in rules["groups"][0]["rules"] if r["alert"] == "ErrorRatioAboveSLO")
    prefix = context["package"]
    test = {
        "rule_files": [str(repo / "ops" / "alerts.yml")],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": [
                    {"series": f"{prefix}_http_errors_total", "values": "0+10x60"},
                    {"series": f"{prefix}_http_requests_total", "values": "0+10x60"},
                ],
                "alert_rule_test": [
                    {
                        "eval_time": "50m",
                        "alertname": "ErrorRatioAboveSLO",
                        "exp_alerts": [
                            {
                                "exp_labels": alert["labels"],
                                "exp_annotations": {**alert["annotations"], "system": title},
                            }
                        ],
                    }
                ],
            }
        ],
    }
    test_file = repo.parent / "alerts_test.yml"
    test_file.write_text(yaml.safe_dump(test, allow_unicode=True), encoding="utf-8")
    done = subprocess.run(
        [promtool, "test", "rules", str(test_file)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


def _texts(value: Any) -> list[str]:
    """Every free-text string of a spec long enough to recognise."""
    if isinstance(value, dict):
        return [t for v in value.values() for t in _texts(v)]
    if isinstance(value, list):
        return [t for v in value for t in _texts(v)]
    return [value] if isinstance(value, str) and len(value) > 20 else []


def test_spec_text_stays_out_of_code(rendered: tuple[Path, Path, dict[str, Any]]) -> None:
    """No free text of the spec appears in generated Python, TOML or the Dockerfile."""
    repo, spec_path, _ = rendered
    texts = _texts(yaml.safe_load(spec_path.read_text(encoding="utf-8")))
    for path in _files(repo):
        if path.suffix in {".py", ".toml"} or path.name == "Dockerfile":
            code = path.read_text(encoding="utf-8")
            assert not [t for t in texts if t in code], path
    assert not Path("/tmp/pwned").exists()


def test_markdown_neutralises_html_and_links(rendered: tuple[Path, Path, dict[str, Any]]) -> None:
    """HTML and Markdown links in spec text are escaped in the rendered documents."""
    repo, _, _ = rendered
    for path in repo.rglob("*.md"):
        text = path.read_text(encoding="utf-8")
        assert "<script>" not in text, path
        assert not re.search(r"(?<!\\)\]\(javascript:", text), path


def _leftovers(parent: Path) -> list[Path]:
    return [p for p in parent.iterdir() if ".rendering-" in p.name]


def test_failing_render_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """When Copier fails, the command exits 1 and neither DEST nor a scratch folder remains."""
    import copier

    def fail(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(copier, "run_copy", fail)
    dest = tmp_path / "out" / "repo"
    assert main(["new", str(dest), "--spec", str(SERVICE_SPECS[0])]) == 1
    assert not dest.exists()
    assert _leftovers(dest.parent) == []


def test_interrupted_render_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C during rendering leaves neither DEST nor a scratch folder."""
    import copier

    def interrupt(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(copier, "run_copy", interrupt)
    dest = tmp_path / "repo"
    with pytest.raises(KeyboardInterrupt):
        render_project(SERVICE_SPECS[0], dest)
    assert not dest.exists()
    assert _leftovers(tmp_path) == []


def test_failing_git_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """When the first commit fails, the command exits 1 and no half-made DEST remains."""
    monkeypatch.setenv("GIT_AUTHOR_DATE", "not a date")  # makes `git commit` fail
    dest = tmp_path / "repo"
    assert main(["new", str(dest), "--spec", str(SERVICE_SPECS[0])]) == 1
    assert not dest.exists()
    assert _leftovers(tmp_path) == []


def test_non_empty_dest_is_refused(tmp_path: Path) -> None:
    """A non-empty DEST is refused with exit 2 and left untouched."""
    dest = tmp_path / "repo"
    dest.mkdir()
    (dest / "keep.txt").write_text("mine", encoding="utf-8")
    assert main(["new", str(dest), "--spec", str(SERVICE_SPECS[0]), "--no-git"]) == 2
    assert [p.name for p in dest.iterdir()] == ["keep.txt"]


def test_force_renders_into_non_empty_dest(tmp_path: Path) -> None:
    """With --force the project is rendered and unrelated files are kept."""
    dest = tmp_path / "repo"
    dest.mkdir()
    (dest / "keep.txt").write_text("mine", encoding="utf-8")
    assert main(["new", str(dest), "--spec", str(SERVICE_SPECS[0]), "--no-git", "--force"]) == 0
    assert (dest / "keep.txt").read_text(encoding="utf-8") == "mine"
    assert (dest / "spec.yaml").is_file()


def test_longest_name_still_passes_ruff(tmp_path: Path) -> None:
    """A 50-character project name (the longest allowed) leaves code ruff accepts as formatted."""
    source = SPECS / "claims-triage.yaml"
    long_name = "claims-triage-with-a-very-long-name-of-fifty-chars"
    assert len(long_name) == 50
    spec = tmp_path / "long.yaml"
    spec.write_text(
        source.read_text(encoding="utf-8").replace(
            "name: claims-triage ", f"name: {long_name} ", 1
        ),
        encoding="utf-8",
    )
    dest = tmp_path / "repo"
    render_project(spec, dest, git=False)
    for args in (["check", "."], ["format", "--check", "."]):
        done = subprocess.run(
            [sys.executable, "-m", "ruff", *args],
            cwd=dest,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
