"""Build the template history as a git bundle: one tagged commit per template version.

Copier can only update a project from a git source whose tags name versions. This
repository carries no tags, so versions are derived from the history of
``templates/VERSION``: every commit that set a new version becomes one commit of a fresh
repository holding only ``copier.yml`` and ``templates/``, tagged ``v<version>``. When the
working tree's templates differ from the last release (a development checkout), one more
commit holds the working tree, tagged as a post-release of the last version.

Commits are made with a fixed identity and the source commit's date, so the same history
always gives the same commit ids: a bundle built by a later release is a superset of every
earlier one. This module needs only the standard library, git, ``packaging``,
``generator._io`` and ``generator.errors``, because the package build (``hatch_build.py``)
runs it before the package's dependencies are installed.
"""

from __future__ import annotations

import posixpath
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from packaging.version import InvalidVersion, Version

from generator._io import GIT_IDENTITY, run_git, run_git_bytes, write_atomic
from generator.errors import BundleError, GitError

VERSION_FILE = "templates/VERSION"
TEMPLATE_PATHS = ("copier.yml", "templates")
_NO_HISTORY_DATE = 946684800  # 2000-01-01: git refuses tiny timestamps such as 0


@dataclass(frozen=True)
class Release:
    """One template version found in the source history (or the working tree)."""

    version: str
    source: str | None
    """The source commit, or None for the working tree."""
    timestamp: int


def _git(
    cwd: Path, *args: str, env: dict[str, str] | None = None, input_: str | None = None
) -> str:
    try:
        return run_git(cwd, *args, env={**GIT_IDENTITY, **(env or {})}, input_=input_)
    except GitError as err:
        raise BundleError(str(err)) from err


def _is_git_checkout(root: Path) -> bool:
    try:
        top = _git(root, "rev-parse", "--show-toplevel")
    except BundleError:
        return False
    return Path(top).resolve() == root.resolve()


def _check_version(text: str, where: str) -> str:
    version = text.strip()
    try:
        Version(version)
    except InvalidVersion as err:
        raise BundleError(f"{where}: {version!r} is not a PEP 440 version") from err
    return version


def find_releases(source_root: Path) -> list[Release]:
    """Return the template versions in the source history, oldest first.

    The commit that sets a new version in ``templates/VERSION`` is that version's release.
    Each later commit that changes ``copier.yml`` or ``templates/`` before the next version
    is a post-release (``0.1.0.post1``, ``0.1.0.post2``...), so a build between two releases
    still records a version its successors know. Commits before the first version file are
    left out.

    Raises:
        BundleError: git failed or a version is not PEP 440.
    """
    if not _is_git_checkout(source_root):
        return []
    log = _git(source_root, "log", "--reverse", "--format=%H %ct", "--", *TEMPLATE_PATHS)
    releases: list[Release] = []
    seen: set[str] = set()
    current: str | None = None
    posts = 0
    for line in log.splitlines():
        commit, stamp = line.split()
        try:
            text = _git(source_root, "show", f"{commit}:{VERSION_FILE}")
        except BundleError:
            continue  # no version file (yet) at this commit
        version = _check_version(text, f"{VERSION_FILE} at {commit[:12]}")
        if version != current:
            current, posts = version, 0
            if version in seen:
                continue  # a version set again later is not a new release
            tag_version = version
        else:
            posts += 1
            tag_version = _post(version, posts)
        seen.add(tag_version)
        releases.append(Release(tag_version, commit, int(stamp)))
    return releases


def _post(version: str, number: int) -> str:
    """The ``number``-th post-release of ``version`` (dev and local parts dropped)."""
    parsed = Version(version)
    base = parsed.public.split(".dev")[0]
    if parsed.post is not None:
        return f"{base.rsplit('.post', 1)[0]}.post{parsed.post + number}"
    return f"{base}.post{number}"


def working_tree_version(source_root: Path) -> str:
    """Return the version in the working tree's ``templates/VERSION``.

    Raises:
        BundleError: the file is missing or not PEP 440.
    """
    path = source_root / VERSION_FILE
    if not path.is_file():
        raise BundleError(f"{path} is missing; it holds the template version, e.g. 0.1.0")
    return _check_version(path.read_text(encoding="utf-8"), str(path))


def build_template_repo(source_root: Path, dest: Path) -> list[str]:
    """Build a bare repository at ``dest`` holding the template history; return its tags.

    Raises:
        BundleError: git failed, a version is invalid, or there are no templates.
    """
    if not (source_root / "copier.yml").is_file() or not (source_root / "templates").is_dir():
        raise BundleError(f"{source_root} holds no copier.yml and templates/")
    releases = find_releases(source_root)
    _git(dest.parent, "init", "-q", "--bare", "-b", "main", str(dest))
    if releases:
        common = Path(_git(source_root, "rev-parse", "--path-format=absolute", "--git-common-dir"))
        alternates = dest / "objects" / "info" / "alternates"
        alternates.write_text(f"{common / 'objects'}\n", encoding="utf-8")
    parent: str | None = None
    last_tree: str | None = None
    tags: list[str] = []
    for release in releases:
        assert release.source is not None
        tree = _release_tree(dest, release.source)
        if tree == last_tree and tags:
            continue  # the commit left the templates as they were
        parent = _commit(dest, tree, parent, release, f"Templates {release.version}")
        last_tree = tree
        tags.append(_tag(dest, release.version, parent))
    work_tree = _working_tree(dest, source_root)
    if last_tree != work_tree:
        if releases:
            version = _post(releases[-1].version, 1)
            title = f"Templates {version} (uncommitted changes after {releases[-1].version})"
        else:
            version = working_tree_version(source_root)
            title = f"Templates {version}"
        release = Release(version, None, _head_time(source_root))
        parent = _commit(dest, work_tree, parent, release, title)
        tags.append(_tag(dest, version, parent))
    assert parent is not None
    _git(dest, "update-ref", "refs/heads/main", parent)
    if releases:
        _git(dest, "repack", "-a", "-d", "-q")
        (dest / "objects" / "info" / "alternates").unlink()
    return tags


def _release_tree(repo: Path, commit: str) -> str:
    """The root tree holding only copier.yml and templates/ of a source commit.

    Symbolic links (a kind's files that stand once in ``templates/_shared``) are replaced
    by what they point to, as the working tree's copy does (:func:`_working_tree`): the
    bundle holds plain files, which every checkout (Windows without symlinks included)
    renders alike.
    """
    listing = _git(repo, "ls-tree", commit, "--", *TEMPLATE_PATHS)
    tree = _git(repo, "mktree", input_=listing + "\n")
    return _materialise_links(repo, tree, commit[:12])


_SYMLINK_MODE = "120000"
_MAX_LINK_DEPTH = 40


def _materialise_links(repo: Path, tree: str, where: str) -> str:
    """``tree`` with each symbolic link replaced by the file or folder it points to.

    A link to a file becomes that file's blob (and mode); a link to a folder becomes a copy
    of the folder's entries under the link's path. Links to links and links inside linked
    folders are followed (each keeps the target it names from where it stands); a tree
    without links is returned as it is (its id unchanged).

    Raises:
        BundleError: a link points outside the tree, to nothing, or round in a circle.
    """
    files: dict[str, tuple[str, str]] = {}
    named_by: dict[str, str] = {}
    for record in _git(repo, "ls-tree", "-r", "-z", tree).split("\0"):
        if not record:
            continue
        meta, path = record.split("\t", 1)
        mode, _type, sha = meta.split()
        if mode != _SYMLINK_MODE:
            files[path] = (mode, sha)
        else:
            named_by[path] = sha
    links: dict[str, str] = {}
    blobs = _blobs(repo, set(named_by.values()))
    for path, sha in named_by.items():
        named = blobs[sha]
        target = posixpath.normpath(posixpath.join(posixpath.dirname(path), named))
        if target == ".." or target.startswith(("../", "/")):
            raise BundleError(f"{where}: {path} points outside the templates ({named})")
        links[path] = target
    if not links:
        return tree
    for _round in range(_MAX_LINK_DEPTH):
        for link, target in sorted(links.items()):
            del links[link]
            if target in files:
                files[link] = files[target]
            elif target in links:
                links[link] = links[target]  # a link to a link: follow it next round
            else:
                prefix = target + "/"
                inside = [p for p in (*files, *links) if p.startswith(prefix)]
                if not inside:
                    raise BundleError(f"{where}: {link} points to {target}, which does not exist")
                for path in inside:
                    copy = link + path[len(target) :]
                    if path in files:
                        files[copy] = files[path]
                    else:
                        links[copy] = links[path]
        if not links:
            break
    else:
        raise BundleError(f"{where}: symbolic links under templates/ point round in a circle")
    with tempfile.TemporaryDirectory(prefix="nap-links-") as scratch:
        env = {"GIT_INDEX_FILE": str(Path(scratch) / "index")}
        records = "".join(f"{mode} {sha}\t{path}\0" for path, (mode, sha) in files.items())
        _git(repo, "update-index", "-z", "--add", "--index-info", env=env, input_=records)
        return _git(repo, "write-tree", env=env)


def _blobs(repo: Path, shas: set[str]) -> dict[str, str]:
    """The text of each blob, read by one ``git cat-file --batch`` (a link names its target).

    One process for every link of a release instead of one per link: a history of a hundred
    releases with sixty links each took 7,000 processes and 17 seconds.

    Raises:
        BundleError: git failed or a blob is missing.
    """
    if not shas:
        return {}
    ordered = sorted(shas)
    try:
        raw = run_git_bytes(
            repo, "cat-file", "--batch", input_="".join(f"{sha}\n" for sha in ordered).encode()
        )
    except GitError as err:
        raise BundleError(str(err)) from err
    texts: dict[str, str] = {}
    at = 0
    for sha in ordered:
        end = raw.index(b"\n", at)
        header = raw[at:end].split()
        if len(header) != 3 or header[1] != b"blob":
            raise BundleError(
                f"git cat-file: {sha} is not a blob ({raw[at:end].decode(errors='replace')})"
            )
        size = int(header[2])
        texts[sha] = raw[end + 1 : end + 1 + size].decode("utf-8", "surrogateescape")
        at = end + 1 + size + 1
    return texts


def _working_tree(repo: Path, source_root: Path) -> str:
    """The root tree of the working tree's copier.yml and templates/ (ignored files left out)."""
    with tempfile.TemporaryDirectory(prefix="nap-index-") as scratch:
        env = {"GIT_INDEX_FILE": str(Path(scratch) / "index")}
        staged = Path(scratch) / "tree"
        staged.mkdir()
        shutil.copy2(source_root / "copier.yml", staged / "copier.yml")
        try:
            shutil.copytree(  # symbolic links are followed: copied as the files they name
                source_root / "templates",
                staged / "templates",
                ignore=shutil.ignore_patterns("__pycache__", "*.py[co]", ".DS_Store"),
            )
        except (shutil.Error, OSError) as err:  # a dangling link, an unreadable file
            raise BundleError(f"cannot copy {source_root / 'templates'}: {err}") from err
        _git(repo, f"--work-tree={staged}", "add", "-A", "--", ".", env=env)
        return _git(repo, "write-tree", env=env)


def _head_time(source_root: Path) -> int:
    """The source HEAD's commit time (a fixed date without history): same tree, same id."""
    if not _is_git_checkout(source_root):
        return _NO_HISTORY_DATE
    try:
        return int(_git(source_root, "log", "-1", "--format=%ct", "HEAD") or _NO_HISTORY_DATE)
    except BundleError:
        return _NO_HISTORY_DATE  # a repository without commits


def _commit(repo: Path, tree: str, parent: str | None, release: Release, title: str) -> str:
    date = f"{release.timestamp} +0000"
    env = {"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    body = f"{title}\n\nSource commit: {release.source or 'working tree'}\n"
    args = ["commit-tree", tree, "-F", "-"]
    if parent:
        args += ["-p", parent]
    return _git(repo, *args, env=env, input_=body)


def _tag(repo: Path, version: str, commit: str) -> str:
    tag = f"v{version}"
    _git(repo, "tag", "-f", tag, commit)
    return tag


def build_bundle(source_root: Path, out: Path) -> list[str]:
    """Write a git bundle of the template history of ``source_root`` to ``out``; return its tags.

    The bundle is written beside ``out`` and moved into place, so readers never see half a
    bundle.

    Raises:
        BundleError: git failed, a version is invalid, or there are no templates.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="nap-bundle-") as scratch:
        repo = Path(scratch) / "templates.git"
        tags = build_template_repo(source_root, repo)
        partial = Path(scratch) / "templates.bundle"
        _git(repo, "bundle", "create", "-q", str(partial), "--all")
        write_atomic(out, partial.read_bytes(), what="template bundle")
    return tags
