"""Git plumbing for ``update``: template versions, clean-tree checks, conflict detection."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from packaging.version import InvalidVersion, Version

from generator._io import run_git
from generator.errors import DirtyTreeError, GeneratorError, GitError

_DESCRIBE = re.compile(r"^(?P<tag>.+?)-(?P<distance>\d+)-g(?P<sha>[0-9a-f]+)$")


def git(cwd: Path, *args: str) -> str:
    """Run git in ``cwd`` and return its output.

    Raises:
        GitError: git is missing or failed.
    """
    return run_git(cwd, *args)


def version_of_ref(ref: str) -> Version | None:
    """The PEP 440 version a recorded ``_commit`` stands for, if it names one.

    ``v1.2.0`` is 1.2.0; ``v1.2.0-3-gabc1234`` (3 commits after the tag, as
    ``git describe`` writes it) counts as just after 1.2.0. A bare commit id has none.
    """
    match = _DESCRIBE.match(ref)
    tag = match["tag"] if match else ref
    try:
        version = Version(tag.removeprefix("v"))
    except InvalidVersion:
        return None
    if match:
        local = f"+g{match['sha']}"
        post = f".post{int(match['distance'])}" if version.post is None else ""
        return Version(f"{version.public}{post}.dev0{local}") if post else version
    return version


@dataclass(frozen=True)
class Latest:
    """The version a template source offers: its highest release, or the one asked for."""

    ref: str | None
    version: Version | None

    @property
    def label(self) -> str | None:
        """The version for people: ``1.2.0``, or the ref when it names no version."""
        return str(self.version) if self.version is not None else self.ref


def latest_version(src_path: str, vcs_ref: str | None) -> Latest:
    """The version ``src_path`` would update to: ``vcs_ref`` or its highest final tag.

    Raises:
        GeneratorError: the source cannot be read or has no version tags.
    """
    if vcs_ref is not None:
        return Latest(vcs_ref, version_of_ref(vcs_ref))
    location = _git_location(src_path)
    try:
        listing = git(Path.cwd(), "ls-remote", "--tags", "--refs", location)
    except GitError as err:
        raise GeneratorError(f"cannot read the template source {src_path}: {err}") from err
    best: tuple[Version, str] | None = None
    for line in listing.splitlines():
        tag = line.rsplit("refs/tags/", 1)[-1]
        try:
            version = Version(tag.removeprefix("v"))
        except InvalidVersion:
            continue
        if version.is_prerelease:
            continue
        if best is None or version > best[0]:
            best = (version, tag)
    if best is None:
        raise GeneratorError(f"the template source {src_path} has no version tags (v1.2.3)")
    return Latest(best[1], best[0])


def is_behind(commit: str, current: Version | None, latest: Latest) -> bool:
    """Whether the recorded ``_commit`` is older than what the source offers."""
    if current is not None and latest.version is not None:
        return latest.version > current
    return latest.ref != commit


def _git_location(src_path: str) -> str:
    if "://" in src_path or src_path.startswith("git@"):
        return src_path
    return str(Path(src_path).expanduser().absolute())


def same_source(a: str, b: str) -> bool:
    """Whether two template sources name the same place."""
    return _git_location(a).rstrip("/") == _git_location(b).rstrip("/")


def source_exists(src_path: str) -> bool:
    """False only for a local source that is gone; remote sources are assumed present."""
    location = _git_location(src_path)
    return location != str(Path(src_path).expanduser().absolute()) or Path(location).exists()


def require_clean(path: Path) -> None:
    """Refuse a folder outside git or with any change, untracked files included.

    Raises:
        DirtyTreeError: the tree is not clean (the message lists the first changes).
    """
    try:
        git(path, "rev-parse", "--is-inside-work-tree")
    except GitError as err:
        raise DirtyTreeError(
            "not a git repository: update needs git to merge the template's changes with "
            "yours; run `git init && git add -A && git commit` first"
        ) from err
    status = changed_paths(path)
    if status:
        shown = ", ".join(status[:5]) + (f" and {len(status) - 5} more" if len(status) > 5 else "")
        raise DirtyTreeError(
            f"the working tree has uncommitted changes or untracked files ({shown}); "
            "nothing was changed. Commit them (or move them away) and run update again"
        )


def changed_paths(path: Path) -> list[str]:
    """Paths under ``path`` that git sees as changed or untracked (ignored files left out)."""
    out = git(path, "status", "--porcelain", "--untracked-files=all", "--", ".")
    return [line[3:] for line in out.splitlines() if line.strip()]


def unmerged_paths(path: Path) -> set[str]:
    """Files with unmerged index entries: Copier's inline conflicts."""
    out = git(path, "ls-files", "-u", "--", ".")
    return {line.split("\t", 1)[1] for line in out.splitlines() if "\t" in line}


def rej_files(path: Path) -> set[str]:
    """``*.rej`` files in the project (rejected hunks), relative to ``path``."""
    found: set[str] = set()
    for root, dirs, files in os.walk(path):
        dirs[:] = [d for d in dirs if d != ".git"]
        for name in files:
            if name.endswith(".rej"):
                found.add(Path(root, name).relative_to(path).as_posix())
    return found
