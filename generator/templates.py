"""Where templates come from: the ones shipped with the package, a path or a git URL."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from generator.errors import UsageError

PACKAGE_DIR = Path(__file__).parent
SOURCE_ROOT = PACKAGE_DIR.parent


@dataclass(frozen=True)
class TemplateSource:
    """A template source as Copier receives it, and how to show it to people."""

    src_path: str
    vcs_ref: str | None
    display: str


def resolve_template(template: str | None, vcs_ref: str | None = None) -> TemplateSource:
    """Turn ``--template``/``--vcs-ref`` into a source Copier can render, recorded absolutely.

    Raises:
        UsageError: a local template path does not hold a template.
    """
    if template is None:
        path = shipped_template_dir()
        return TemplateSource(str(path), vcs_ref, "the templates shipped with new-ai-project")
    if _is_remote(template):
        return TemplateSource(template, vcs_ref, template)
    path = Path(template).expanduser().absolute()
    if path.is_file() and path.suffix == ".bundle":
        return TemplateSource(str(path), vcs_ref, str(path))
    if not (path / "copier.yml").is_file():
        raise UsageError(
            f"{template} is not a template: it has no copier.yml (give a repository laid out "
            "like new-ai-project: copier.yml and templates/<kind>/)"
        )
    return TemplateSource(str(path), vcs_ref, str(path))


def _is_remote(template: str) -> bool:
    return "://" in template or template.startswith(("git@", "gh:", "gl:"))


def shipped_template_dir() -> Path:
    """Return a plain folder holding ``copier.yml`` and ``templates/`` of this package.

    An installed wheel carries them in ``generator/_template``. A source checkout has them
    at its root, inside a git work tree that Copier would read at HEAD only; they are
    copied to a stable per-user folder instead, so uncommitted template edits render.
    """
    packaged = PACKAGE_DIR / "_template"
    if (packaged / "copier.yml").is_file():
        return packaged
    if not (SOURCE_ROOT / "copier.yml").is_file():
        raise UsageError("the package holds no templates; reinstall new-ai-project")
    stage = _cache_home() / "new-ai-project" / "source-template"
    fresh = stage.with_name(f"source-template.{os.getpid()}")
    shutil.rmtree(fresh, ignore_errors=True)
    fresh.mkdir(parents=True)
    shutil.copy2(SOURCE_ROOT / "copier.yml", fresh / "copier.yml")
    shutil.copytree(
        SOURCE_ROOT / "templates",
        fresh / "templates",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".venv*", ".pytest_cache"),
    )
    shutil.rmtree(stage, ignore_errors=True)
    fresh.rename(stage)
    return stage


def _cache_home() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
