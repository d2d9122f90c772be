"""What the workers of one test run make once and share: rendered repositories, environments.

The suite runs under pytest-xdist, one worker process per core. A session-scoped fixture is
per worker, so a repository rendered and installed by one worker would be made again by the
other. ``made_once`` keeps such work in a folder every worker of the run sees (the parent of
the workers' base temporary folders) behind a file lock: the first worker to ask builds it,
a second one waits for it and then reads it. Tests that use the same repository carry the
same ``xdist_group``, so they usually run on one worker and nobody waits.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from filelock import FileLock

DONE = ".made"


def shared_root(factory: pytest.TempPathFactory) -> Path:
    """The folder every worker of this run shares (the base temp folder without xdist)."""
    base = factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    shared = root / "shared"
    shared.mkdir(exist_ok=True)
    return shared


def key_of(*parts: object) -> str:
    """A short stable key for what identifies a shared thing (file bytes, names, options)."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.read_bytes() if isinstance(part, Path) else json.dumps(part).encode()
        digest.update(data + b"\0")
    return digest.hexdigest()[:16]


def made_once(
    factory: pytest.TempPathFactory, name: str, key: str, build: Callable[[Path], None]
) -> Path:
    """Return ``<shared>/<name>-<key>``, built by ``build`` once per test run.

    ``build`` receives the empty folder. When it fails, the folder is removed and the error
    raised, so the next test that asks tries again (and fails with its own traceback).
    """
    folder = shared_root(factory) / f"{name}-{key}"
    with FileLock(f"{folder}.lock"):
        if (folder / DONE).is_file():
            return folder
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        try:
            build(folder)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        (folder / DONE).touch()
    return folder
