"""The shared plumbing: run git as the tool, write a file or build a folder atomically, read a file.

Standard library only: the wheel's build hook imports this module (through the template
bundle) before the package's dependencies exist.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from generator.errors import GeneratorError, GitError, SpecError, UsageError

GIT_LOCATION_VARIABLES = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE")
"""Inherited, they would point git at another repository than the one in ``cwd``."""

GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "new-ai-project",
    "GIT_AUTHOR_EMAIL": "templates@new-ai-project.invalid",
    "GIT_COMMITTER_NAME": "new-ai-project",
    "GIT_COMMITTER_EMAIL": "templates@new-ai-project.invalid",
}
"""Who the tool's own commits are by: the template bundle's (whose commit ids must never
change, so neither may this) and a rendered project's first commit (unless the environment
names someone)."""


def run_git(
    cwd: Path | None,
    *args: str,
    env: Mapping[str, str] | None = None,
    input_: str | None = None,
    timeout: float | None = None,
) -> str:
    """Run ``git ARGS`` in ``cwd`` without a shell; return its output without the end newline.

    ``env`` adds to (or overrides) the inherited environment; the variables that point git
    at another repository are dropped unless ``env`` sets them on purpose.

    Raises:
        GitError: git is missing, failed (with git's last words) or timed out.
    """
    raw = run_git_bytes(
        cwd, *args, env=env, input_=input_.encode() if input_ is not None else None, timeout=timeout
    )
    return raw.decode("utf-8", "surrogateescape").strip("\n")


def run_git_bytes(
    cwd: Path | None,
    *args: str,
    env: Mapping[str, str] | None = None,
    input_: bytes | None = None,
    timeout: float | None = None,
) -> bytes:
    """Run ``git ARGS`` like :func:`run_git`; return its standard output as bytes.

    Raises:
        GitError: git is missing, failed (with git's last words) or timed out.
    """
    full_env = {k: v for k, v in os.environ.items() if k not in GIT_LOCATION_VARIABLES}
    full_env.update(env or {})
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=cwd,
            env=full_env,
            input=input_,
            stdin=None if input_ is not None else subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError as err:
        raise GitError("git is not installed") from err
    except subprocess.TimeoutExpired as err:
        raise GitError(f"git {args[0]} took longer than {timeout:g} s") from err
    if done.returncode != 0:
        words = done.stderr.decode("utf-8", "replace").strip().splitlines() or ["unknown error"]
        raise GitError(f"git {args[0]} failed: {words[-1].removeprefix('fatal: ')}")
    return done.stdout


def write_atomic(path: Path, content: str | bytes, *, what: str = "file") -> None:
    """Write ``content`` to ``path`` so that nothing is half-written or wrongly replaced.

    What ``path`` is decides how it is written:

    - missing or a regular file: through a temporary file beside it, synced, then renamed
      over it, so readers see the old file or the new one, never half of one; a new file
      gets the permissions the umask gives it, a replaced one keeps its own;
    - a symbolic link: the file it points to is written that way, and the link stays a
      link (a dangling link's target is created);
    - a device, a FIFO or another file that is not a regular one (``/dev/null``,
      ``/dev/stdout``, a named pipe): opened and written in place, never replaced;
    - a folder: refused in one line.

    Raises:
        UsageError: ``path`` is a folder.
        GeneratorError: the file cannot be written; nothing was left behind.
    """
    data = content.encode("utf-8") if isinstance(content, str) else content
    try:
        target = write_target(path)
        kept = target.stat()
    except FileNotFoundError:
        kept = None
    except (OSError, RuntimeError) as err:  # RuntimeError: a loop of links (Python < 3.13)
        reason = getattr(err, "strerror", None) or err
        raise GeneratorError(f"{path}: cannot write the {what}: {reason}") from err
    if kept is not None and stat.S_ISDIR(kept.st_mode):
        raise UsageError(f"{path} is a folder; name a file to write the {what} to")
    if kept is not None and not stat.S_ISREG(kept.st_mode):
        _write_in_place(path, target, data, what)
        return
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as err:
        raise GeneratorError(f"{path}: cannot write the {what}: {err.strerror or err}") from err
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if kept is not None:
            Path(tmp).chmod(stat.S_IMODE(kept.st_mode))
        else:
            umask = os.umask(0)
            os.umask(umask)
            Path(tmp).chmod(0o666 & ~umask)
        Path(tmp).replace(target)
    except BaseException as err:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(err, OSError):
            raise GeneratorError(f"{path}: cannot write the {what}: {err.strerror or err}") from err
        raise
    _sync_folder(target.parent)


def write_target(path: Path) -> Path:
    """The file that writing to ``path`` changes: ``path`` itself, or what its links point to.

    A chain of links is followed to its end, even when that end does not exist yet (a
    dangling link is written through, creating its target).

    Raises:
        OSError: a link cannot be read.
        RuntimeError: the links form a loop (Python before 3.13; later ones raise OSError).
    """
    return path.resolve() if path.is_symlink() else path


def is_special(path: Path) -> bool:
    """Tell whether ``path`` (its links followed) exists and is neither a file nor a folder.

    Such a target (``/dev/null``, a named pipe) is written in place and cannot be read back
    or compared; a spec is never loaded from it or replaced with a question first.
    """
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def _write_in_place(path: Path, target: Path, data: bytes, what: str) -> None:
    """Open a file that is not a regular one (a device, a FIFO) and write ``data`` into it."""
    try:
        with target.open("wb") as handle:
            handle.write(data)
    except OSError as err:
        raise GeneratorError(f"{path}: cannot write the {what}: {err.strerror or err}") from err


def _sync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable; a file system that cannot sync a folder is fine."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


@contextmanager
def folder_beside(dest: Path, purpose: str) -> Iterator[Path]:
    """Yield a new empty folder beside ``dest`` to build its replacement in; remove it after.

    Beside ``dest`` means on the same file system, so that :func:`swap_into_place` is one
    rename. The folder gets the permissions the umask gives a new folder (``mkdtemp`` makes
    it private), and whatever is left of it at the end, on success or failure, is removed.

    Raises:
        OSError: the folder cannot be made (callers say what they were writing).
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{dest.name}.{purpose}-", dir=dest.parent))
    try:
        umask = os.umask(0)
        os.umask(umask)
        scratch.chmod(0o777 & ~umask)
        yield scratch
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def swap_into_place(scratch: Path, dest: Path) -> None:
    """Put the folder ``scratch`` at ``dest``; an earlier ``dest`` goes only once it is in.

    A missing or empty ``dest`` is replaced by one rename. A folder with content is renamed
    aside first and removed after the new one is in; if that move fails, it is put back.

    Raises:
        OSError: a rename failed; ``dest`` is as it was.
    """
    if not dest.exists():
        scratch.rename(dest)
        return
    if dest.is_dir() and not any(dest.iterdir()):
        dest.rmdir()
        scratch.rename(dest)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{dest.name}.replaced-", dir=dest.parent))
    old.rmdir()
    dest.rename(old)
    try:
        scratch.rename(dest)
    except OSError:
        old.rename(dest)  # put the earlier folder back
        raise
    shutil.rmtree(old, ignore_errors=True)


def read_file(path: Path, what: str = "file") -> bytes:
    """Read a file the user named.

    Raises:
        SpecError: it cannot be read (missing, a folder, no permission), in one line.
    """
    try:
        return path.read_bytes()
    except OSError as err:
        raise SpecError([f"{path}: cannot read the {what}: {err.strerror or err}"]) from err
