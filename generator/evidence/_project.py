"""What a generated repository says about itself: its spec, template version and commit."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from generator._io import GitError, read_file, run_git
from generator.errors import GeneratorError
from generator.evidence._errors import EvidenceError
from generator.spec import ProjectSpec, parse_spec

ANSWERS_FILE = ".copier-answers.yml"


@dataclass(frozen=True)
class Project:
    """A generated repository as the evidence pack sees it."""

    root: Path
    spec: ProjectSpec
    spec_sha256: str
    answers: dict[str, Any]
    git_commit: str | None
    git_dirty: bool | None


def read_project(root: Path) -> Project:
    """Read a generated repository's spec.yaml, .copier-answers.yml and git state.

    Raises:
        EvidenceError: the folder is not a generated repository.
        SpecError: spec.yaml does not validate (one line per problem).
    """
    if not root.is_dir():
        raise EvidenceError(f"{root}: no such folder; give the generated repository's folder")
    spec_path = root / "spec.yaml"
    if not spec_path.is_file():
        raise EvidenceError(
            f"{root}: no spec.yaml here; give the folder of a repository made by new-ai-project"
        )
    raw = read_file(spec_path, "spec")
    spec = parse_spec(raw, str(spec_path))
    commit, dirty = _git_state(root)
    return Project(
        root=root,
        spec=spec,
        spec_sha256=hashlib.sha256(raw).hexdigest(),
        answers=_answers(root / ANSWERS_FILE),
        git_commit=commit,
        git_dirty=dirty,
    )


def _answers(path: Path) -> dict[str, Any]:
    try:
        raw = read_file(path, "Copier answers")
    except GeneratorError as err:
        raise EvidenceError(
            f"{err}; the template version comes from it (render with new-ai-project)"
        ) from err
    try:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        data = yaml.load(raw, Loader=loader)  # a safe loader
    except yaml.YAMLError as err:
        raise EvidenceError(f"{path}: not valid YAML; restore it from git") from err
    if not isinstance(data, dict):
        raise EvidenceError(f"{path}: not a mapping of Copier answers; restore it from git")
    return data


def _git_state(root: Path) -> tuple[str | None, bool | None]:
    """The commit checked out and whether tracked files under ``root`` differ from it."""
    try:
        commit = run_git(root, "rev-parse", "--verify", "HEAD")
        # untracked files (the test reports, the pack itself) do not make a release dirty
        status = run_git(root, "status", "--porcelain", "--untracked-files=no", "--", ".")
    except GitError:
        return None, None  # not a git repository, no commit yet, or no git
    return commit, bool(status.strip())


def optional_text(value: object) -> str | None:
    """An answer as text, or None when it is absent or empty."""
    return str(value) if value not in (None, "") else None
