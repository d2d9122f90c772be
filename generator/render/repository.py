"""The one reader of a generated repository: its spec, its Copier answers, its template version.

A repository made by new-ai-project records what it was made from in two files that
``render_project`` writes: ``spec.yaml``, the source of truth, and ``.copier-answers.yml``,
Copier's record of the template source (``_src_path``), the template version (``_commit``)
and the render context (``project``). ``update`` and ``evidence`` read them here and nowhere
else, so both name a broken repository the same way.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator._io import read_file
from generator.errors import GeneratorError, ProjectError
from generator.spec import ProjectSpec, YamlProblem, parse_spec, parse_yaml

ANSWERS_FILE = ".copier-answers.yml"
"""Copier's answers file at the root of a generated repository."""
SPEC_FILE = "spec.yaml"
"""The spec at the root of a generated repository: its source of truth."""
_MADE_BY = "give the folder of a repository made by new-ai-project"


@dataclass(frozen=True)
class Repository:
    """A generated repository as it records itself: spec and Copier answers."""

    root: Path
    spec: ProjectSpec
    spec_bytes: bytes
    answers: dict[str, Any]

    @property
    def spec_sha256(self) -> str:
        """The SHA-256 of ``spec.yaml`` as it is on disk."""
        return hashlib.sha256(self.spec_bytes).hexdigest()

    @property
    def src_path(self) -> str | None:
        """The template source Copier recorded (``_src_path``), if it recorded one."""
        return _text(self.answers.get("_src_path"))

    @property
    def commit(self) -> str | None:
        """The template version rendered or last updated from (``_commit``), if recorded."""
        return _text(self.answers.get("_commit"))

    @property
    def context(self) -> object:
        """The render context recorded as the ``project`` answer (any shape: it is a file)."""
        return self.answers.get("project")


def read_repository(root: Path) -> Repository:
    """Read a generated repository's ``spec.yaml`` and ``.copier-answers.yml``.

    Messages name the file at fault but not ``root``: callers say which repository.

    Raises:
        ProjectError: ``root`` is not a folder, has no ``spec.yaml``, or its answers file is
            missing, not YAML or not a mapping.
        SpecError: ``spec.yaml`` does not validate (one line per problem).
    """
    if not root.is_dir():
        raise ProjectError(f"no such folder; {_MADE_BY}")
    spec_path = root / SPEC_FILE
    if not spec_path.is_file():
        neither = "" if is_repository(root) else f" and no {ANSWERS_FILE}"
        raise ProjectError(
            f"no {SPEC_FILE} here{neither}: not a generated project, whose source of truth "
            f"is its {SPEC_FILE}; {_MADE_BY}"
        )
    answers = read_answers(root)
    raw = read_file(spec_path, "spec")
    return Repository(root, parse_spec(raw, str(spec_path)), raw, answers)


def read_answers(root: Path) -> dict[str, Any]:
    """Read ``.copier-answers.yml`` of the repository at ``root`` (safely: no object tags).

    Raises:
        ProjectError: the file is missing, unreadable, not YAML or not a mapping.
    """
    path = root / ANSWERS_FILE
    try:
        raw = read_file(path, "Copier answers")
    except GeneratorError as err:
        raise ProjectError(
            f"{err}; the template source and version come from it (render with new-ai-project)"
        ) from err
    try:
        data = parse_yaml(raw.decode("utf-8")).data
    except (YamlProblem, UnicodeDecodeError) as err:
        raise ProjectError(f"{path}: not valid YAML ({err}); restore it from git") from err
    if not isinstance(data, dict):
        raise ProjectError(f"{path}: not a mapping of Copier answers; restore it from git")
    return data


def is_repository(path: Path) -> bool:
    """Tell whether ``path`` looks like a generated repository (it holds an answers file)."""
    return (path / ANSWERS_FILE).is_file()


def _text(value: object) -> str | None:
    """An answer as text, or None when it is absent or empty."""
    return str(value) if value not in (None, "") else None
