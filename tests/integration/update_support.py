"""Helpers for the update tests: a tiny template repository, git, spec edits, file hashes."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import warnings
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import ROOT, SPECS

ANSWERS_TEMPLATE = "{{_copier_conf.answers_file}}.jinja"
README_V1 = """\
# {{ project.name }}

Generated from the tiny template.

## Team notes

(none)

## Footer

footer v1
"""
ACCEPTANCE = """\
\"\"\"One acceptance test per criterion.\"\"\"
{% for c in project.criteria %}

def {{ c.test_name }}() -> None:
    \"\"\"{{ c.id }}\"\"\"
{% endfor %}
"""


def git(cwd: Path, *args: str) -> str:
    """Run git in ``cwd`` (identity and config come from the isolated home)."""
    done = subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True)
    return done.stdout.strip()


def make_template_repo(root: Path, *, version_file: bool = False) -> Path:
    """A template repository laid out like new-ai-project's, committed (untagged)."""
    root.mkdir(parents=True)
    shutil.copy2(ROOT / "copier.yml", root / "copier.yml")
    service = root / "templates" / "service"
    (service / "tests" / "acceptance").mkdir(parents=True)
    (service / ANSWERS_TEMPLATE).write_text(
        (ROOT / "templates" / "service" / ANSWERS_TEMPLATE).read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    (service / "README.md.jinja").write_text(README_V1, encoding="utf-8")
    (service / "tests" / "acceptance" / "test_acceptance.py.jinja").write_text(
        ACCEPTANCE, encoding="utf-8"
    )
    if version_file:
        (root / "templates" / "VERSION").write_text("0.1.0\n", encoding="utf-8")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "Template v1")
    return root


def release(repo: Path, tag: str, path: str, old: str, new: str) -> None:
    """Change one template file, commit, and tag the commit (a template release)."""
    edit(repo / path, old, new)
    git(repo, "commit", "-q", "-am", f"Release {tag}")
    git(repo, "tag", tag)


def edit(path: Path, old: str, new: str) -> None:
    """Replace text in a file, failing loudly when it is not there."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def render(dest: Path, template: str | None, spec: str = "claims-triage.yaml") -> Path:
    """Render an example spec into ``dest`` (git init and first commit)."""
    from generator.render import render_project

    render_project(SPECS / spec, dest, template=template)
    return dest


def team_commit(project: Path, message: str = "Team edit") -> None:
    """Commit every change in the project, as the team would."""
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", message)


NEW_CRITERION = """\
  - id: AC-99
    given: a claim in a language the model was not trained on
    when: it is submitted to the routing endpoint
    then: it is routed to an adjuster within 2 seconds
    layer: integration
"""


def add_criterion(project: Path) -> None:
    """Add acceptance criterion AC-99 at the top of the spec's list."""
    text = (project / "spec.yaml").read_text(encoding="utf-8")
    head, _, tail = text.partition("acceptance_criteria:")
    first_line, _, rest = tail.partition("\n")
    (project / "spec.yaml").write_text(
        f"{head}acceptance_criteria:{first_line}\n{NEW_CRITERION}{rest}", encoding="utf-8"
    )


def snapshot(project: Path) -> dict[str, str]:
    """Hashes of every file outside .git, plus the git status, to prove nothing changed."""
    hashes = {
        p.relative_to(project).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(project.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(project).parts
    }
    hashes["<git status>"] = git(project, "status", "--porcelain", "--untracked-files=all")
    hashes["<HEAD>"] = git(project, "rev-parse", "HEAD")
    return hashes


@cache
def _template_dir() -> Path:
    from generator.render.sources import shipped_template_dir

    return shipped_template_dir()


def render_context(dest: Path, kind: str, context: dict[str, Any]) -> Path:
    """Render the working tree's templates with exactly ``context`` (no git, no answers read).

    Copier receives the data as given, so a test can render the same context in different
    key orders and compare what comes out. Each template is compiled once per process, as
    ``new`` and ``update`` do (the code Jinja compiles does not depend on the data).
    """
    import copier

    from generator.render import templates_compiled_once

    with warnings.catch_warnings(), templates_compiled_once():
        warnings.simplefilter("ignore")  # Copier warns about a template without git tags
        copier.run_copy(
            str(_template_dir()),
            str(dest),
            data={"kind": kind, "project": context},
            defaults=True,
            overwrite=True,
            quiet=True,
        )
    return dest


def tree(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (outside .git) by its relative path, with its bytes."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


def interview_spec(target: Path, kind: str = "service") -> Path:
    """Write a spec through the interview, as a new user would answer it, for ``kind``."""
    from generator.interview import run_interview
    from tests.fake_prompt import ScriptedPrompt
    from tests.interview_answers import claims

    result = run_interview(target, prompt=ScriptedPrompt({**claims(), "kind": kind}))
    assert result.path is not None
    assert load_kind(result.path) == kind
    return result.path


def load_kind(path: Path) -> str:
    """The ``kind`` a spec file names."""
    return str(yaml.safe_load(path.read_text(encoding="utf-8"))["kind"])


def conflict_markers(project: Path) -> list[str]:
    """Files (outside .git) holding a line that starts a merge conflict's side."""
    marked = []
    for path, data in tree(project).items():
        lines = data.decode("utf-8", errors="replace").splitlines()
        if any(line.startswith(("<<<<<<< ", ">>>>>>> ")) for line in lines):
            marked.append(path)
    return marked


def assert_cleanly_updated(project: Path) -> None:
    """No conflict marker, no ``.rej`` file and no unmerged index entry in ``project``."""
    assert conflict_markers(project) == []
    assert [p for p in tree(project) if p.endswith(".rej")] == []
    assert git(project, "ls-files", "--unmerged") == ""


def add_regime(project: Path, regime: str) -> None:
    """Add ``regime`` to ``regulatory.regimes`` of the project's spec.yaml, keeping the rest."""
    path = project / "spec.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["regulatory"]["regimes"].append(regime)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
