"""Checked-out template versions, kept per bundle: render without cloning the bundle each time.

Copier renders a git source by cloning it into a temporary folder and checking out the
version first, on every run; for the shipped bundle that is a quarter of ``new``. A version
of a bundle never changes, so the checkout is kept in the per-user cache under the bundle's
digest and the version asked for, and later renders read it as a plain folder. What Copier
would have recorded for the bundle (``_src_path`` and ``_commit`` in
``.copier-answers.yml``) is then written into the answers file, so the project is the same,
byte for byte, as one rendered from the bundle, and updates from the bundle as usual.

A checkout is made in a temporary folder beside its place and renamed into it, so two
``new`` running at once never see half of one: the loser of the race drops its copy.
Checkouts of earlier bundles go once unused for a day, never while a render may read them.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from packaging.version import InvalidVersion, Version

from generator._io import run_git
from generator.errors import GitError, RenderError

COMMIT_FILE = ".copier-commit"
"""Inside a checkout: what ``git describe --tags --always`` says of its version."""
TEMPLATE_PATHS = ("copier.yml", "templates")
STALE_SECONDS = 24 * 3600
"""A checkout nobody rendered from for this long is removed when another one is made."""


@dataclass(frozen=True)
class Checkout:
    """A version of a template bundle as a plain folder, and how Copier names the version."""

    path: Path
    commit: str


def checkout(bundle: Path, digest: str, vcs_ref: str | None, cache: Path) -> Checkout:
    """Return the checkout of ``vcs_ref`` (default: the latest release) of ``bundle``.

    Args:
        bundle: a git bundle of the template history.
        digest: the SHA-256 of the bundle's bytes: another bundle, another cache entry.
        vcs_ref: a tag or commit of the bundle, or None for its highest release.
        cache: the folder that keeps checkouts.

    Raises:
        RenderError: git failed, or the bundle has no such version.
    """
    ref_key = hashlib.sha256((vcs_ref or ":latest:").encode()).hexdigest()[:12]
    place = cache / f"{digest[:16]}-{ref_key}"
    if (place / COMMIT_FILE).is_file():
        os.utime(place)  # in use: pruning keeps it
        return Checkout(place, (place / COMMIT_FILE).read_text(encoding="utf-8").strip())
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{place.name}.", dir=cache) as scratch:
        repo = Path(scratch) / "repo"
        tree = Path(scratch) / "tree"
        commit = _check_out(bundle, repo, vcs_ref)
        tree.mkdir()
        for name in TEMPLATE_PATHS:
            (repo / name).rename(tree / name)
        (tree / COMMIT_FILE).write_text(commit + "\n", encoding="utf-8")
        try:
            tree.rename(place)
        except OSError:
            if not (place / COMMIT_FILE).is_file():  # not a concurrent twin: a real failure
                raise
    _prune(cache, keep=place)
    return Checkout(place, commit)


def _prune(cache: Path, keep: Path) -> None:
    """Remove checkouts unused for a day (an earlier bundle's): never one a render may read."""
    stale = time.time() - STALE_SECONDS
    for old in cache.iterdir():
        if old != keep and not old.name.startswith(".") and old.stat().st_mtime < stale:
            shutil.rmtree(old, ignore_errors=True)


def _check_out(bundle: Path, repo: Path, vcs_ref: str | None) -> str:
    """Clone ``bundle`` into ``repo`` at the version Copier would take; return its name."""
    try:
        run_git(repo.parent, "clone", "-q", "--no-checkout", str(bundle), str(repo))
        ref = vcs_ref or latest_release(run_git(repo, "tag", "--list").splitlines())
        run_git(repo, "-c", "advice.detachedHead=false", "checkout", "-q", ref)
        return run_git(repo, "describe", "--tags", "--always")
    except GitError as err:
        raise RenderError(f"cannot check out {vcs_ref or 'the latest release'}: {err}") from err


def latest_release(tags: list[str]) -> str:
    """The tag Copier renders when no version is asked for: the highest final PEP 440 one.

    Copier sorts the tags that parse as versions (``v`` prefix allowed), skips
    pre-releases, and falls back to ``HEAD`` without any.
    """
    releases: list[tuple[Version, str]] = []
    for tag in tags:
        try:
            version = Version(tag)
        except InvalidVersion:
            continue
        if not version.is_prerelease:
            releases.append((version, tag))
    return max(releases)[1] if releases else "HEAD"


def record_source(answers_file: Path, src_path: str, commit: str) -> None:
    """Write into a rendered answers file the source and version Copier records for a bundle.

    A plain folder makes Copier write ``_src_path: <folder>`` and no ``_commit``; both
    lines are replaced by what it writes for the bundle itself (the same YAML dumper, keys
    sorted: ``_commit`` then ``_src_path``, at the top of the mapping).
    """
    from jinja2_ansible_filters.core_filters import to_nice_yaml  # Copier's own filter

    lines = answers_file.read_text(encoding="utf-8").splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith("_src_path:"))
    end = next(
        (i for i in range(start + 1, len(lines)) if lines[i][:1] not in (" ", "")), len(lines)
    )
    recorded = str(to_nice_yaml({"_commit": commit, "_src_path": src_path}))
    answers_file.write_text("".join([*lines[:start], recorded, *lines[end:]]), encoding="utf-8")
