"""Where templates come from: the ones shipped with the package, a path or a git URL."""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from generator._io import run_git, write_atomic
from generator.errors import BundleError, GitError, UsageError

PACKAGE_DIR = Path(__file__).resolve().parent.parent
"""The ``generator`` package folder (the shipped templates live in ``_template/`` there)."""
SOURCE_ROOT = PACKAGE_DIR.parent
PACKAGED_BUNDLE = PACKAGE_DIR / "_template" / "templates.bundle"
DEFAULT_DISPLAY = "the templates shipped with new-ai-project"


@dataclass(frozen=True)
class TemplateSource:
    """A template source as Copier receives it, and how to show it to people."""

    src_path: str
    vcs_ref: str | None
    display: str
    bundle: Path | None = None
    """The git bundle ``src_path`` names, when it is one: its versions render from the cache
    of checkouts (``render/checkout.py``) instead of a fresh clone."""


def resolve_template(template: str | None, vcs_ref: str | None = None) -> TemplateSource:
    """Turn ``--template``/``--vcs-ref`` into a source Copier can render, recorded absolutely.

    Raises:
        UsageError: a local template path does not hold a template.
    """
    if template is None:
        return default_template(vcs_ref)
    if _is_remote(template):
        return TemplateSource(template, vcs_ref, template)
    path = Path(template).expanduser().absolute()
    if path.is_file() and path.suffix == ".bundle":
        return TemplateSource(str(path), vcs_ref, str(path), bundle=path)
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
    copied to a per-user folder named by their content instead, so uncommitted template
    edits render and concurrent renders never see a folder being replaced.
    """
    packaged = PACKAGE_DIR / "_template"
    if (packaged / "copier.yml").is_file():
        return packaged
    if not (SOURCE_ROOT / "copier.yml").is_file():
        raise UsageError("the package holds no templates; reinstall new-ai-project")
    stages = _cache_home() / "new-ai-project" / "source-templates"
    stage = stages / _source_digest()
    if (stage / "copier.yml").is_file():
        return stage
    fresh = stages / f".{stage.name}.{os.getpid()}"
    shutil.rmtree(fresh, ignore_errors=True)
    fresh.mkdir(parents=True)
    shutil.copytree(SOURCE_ROOT / "templates", fresh / "templates", ignore=_SOURCE_IGNORE)
    shutil.copy2(SOURCE_ROOT / "copier.yml", fresh / "copier.yml")  # last: marks it complete
    try:
        fresh.rename(stage)
    except OSError:  # another process staged the same content first; theirs is as good
        shutil.rmtree(fresh, ignore_errors=True)
    _prune_stages(stages, keep=stage)
    return stage


_STALE_SECONDS = 86400


def _prune_stages(stages: Path, keep: Path) -> None:
    """Remove staged copies of earlier edits, once they have not been made for a day."""
    cutoff = time.time() - _STALE_SECONDS
    for old in stages.iterdir():
        try:
            if old != keep and old.stat().st_mtime < cutoff:
                shutil.rmtree(old, ignore_errors=True)
        except FileNotFoundError:  # pruned by a concurrent call
            continue


_IGNORED_DIRS = {"__pycache__", ".pytest_cache"}
_SOURCE_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", ".venv*", ".pytest_cache")


def _source_digest() -> str:
    """Name a source checkout's templates by their content.

    A staged copy is never replaced while another process (a concurrent ``new``, a parallel
    test worker) may be rendering from it: an edit gives a new name instead.
    """
    digest = hashlib.sha256()
    files = [SOURCE_ROOT / "copier.yml"]
    for folder, dirs, names in os.walk(SOURCE_ROOT / "templates", followlinks=True):
        dirs[:] = sorted(d for d in dirs if d not in _IGNORED_DIRS and not d.startswith(".venv"))
        files += [Path(folder, n) for n in sorted(names) if not n.endswith(".pyc")]
    for path in files:
        digest.update(path.relative_to(SOURCE_ROOT).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())  # links are copied as files
        digest.update(b"x" if os.access(path, os.X_OK) else b"-")
    return digest.hexdigest()[:16]


def _cache_home() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")


def _data_home() -> Path:
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")


def default_bundle_path() -> Path:
    """Where the shipped template history lives for this user (a stable path).

    Projects rendered from the default source record this path as ``_src_path``, so it
    must not move between releases of the package: each release copies its bundle here.
    """
    return _data_home() / "new-ai-project" / "templates.bundle"


def default_src_path() -> str:
    """The default bundle path as recorded in projects: ``~/...`` when under the home folder.

    A ``~`` path keeps user names out of ``.copier-answers.yml`` and works on other machines
    (a CI runner installing new-ai-project gets the bundle at the same place).
    """
    path = default_bundle_path()
    try:
        return "~/" + path.relative_to(Path.home()).as_posix()
    except ValueError:
        return str(path)


def is_default_source(src_path: str) -> bool:
    """Tell whether a recorded ``_src_path`` is the per-user copy of the shipped templates."""
    return Path(src_path).expanduser().absolute() == default_bundle_path().absolute()


def default_template(vcs_ref: str | None = None) -> TemplateSource:
    """The shipped templates as a git bundle at the stable per-user path.

    Falls back to a plain folder (which renders, but records no version and cannot be
    updated) only when the bundle cannot be made, e.g. without git.
    """
    try:
        bundle = install_default_bundle()
    except BundleError as err:
        path = shipped_template_dir()
        note = f"{DEFAULT_DISPLAY} (plain folder, not updatable: {err})"
        return TemplateSource(str(path), vcs_ref, note)
    return TemplateSource(default_src_path(), vcs_ref, DEFAULT_DISPLAY, bundle=bundle)


def checkouts_dir() -> Path:
    """Where checked-out versions of template bundles are kept for this user."""
    return _cache_home() / "new-ai-project" / "checkouts"


def install_default_bundle() -> Path:
    """Copy this package's template bundle to the stable per-user path when it differs.

    An installed package carries a bundle built at package build time. A source checkout
    builds one on demand into the per-user cache (rebuilt when the templates change).

    Raises:
        BundleError: the bundle could not be built (no git, an invalid version file).
    """
    source = PACKAGED_BUNDLE if PACKAGED_BUNDLE.is_file() else _checkout_bundle()
    target = default_bundle_path()
    if target.is_file() and _digest_file(target) == _digest_file(source):
        return target
    write_atomic(target, source.read_bytes(), what="template bundle")
    return target


def _checkout_bundle() -> Path:
    """Build (or reuse) the bundle of a source checkout's templates in the per-user cache."""
    from generator.render.bundle import build_bundle

    if not (SOURCE_ROOT / "copier.yml").is_file():
        raise BundleError("the package holds no templates; reinstall new-ai-project")
    cache = _cache_home() / "new-ai-project"
    key = _checkout_fingerprint(SOURCE_ROOT)
    bundle = cache / f"templates-{key}.bundle"
    if bundle.is_file():
        return bundle
    build_bundle(SOURCE_ROOT, bundle)
    for old in cache.glob("templates-*.bundle"):
        if old != bundle:
            old.unlink(missing_ok=True)
    return bundle


def _checkout_fingerprint(root: Path) -> str:
    """A digest of the checkout's HEAD and its template files, to know when to rebuild."""
    digest = hashlib.sha256()
    try:
        head = run_git(root, "rev-parse", "HEAD")
    except GitError:
        head = ""
    digest.update(head.encode())
    files = [root / "copier.yml", *sorted((root / "templates").rglob("*"))]
    for path in files:
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.relative_to(root).as_posix().encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def _digest_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
