"""Several repositories at once: find them, update or check each in its own process."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import suppress
from multiprocessing import get_context
from pathlib import Path

from generator.errors import BundleError
from generator.render import is_repository
from generator.update.project import UpdateResult, update_project


def find_projects(paths: Iterable[Path]) -> list[Path]:
    """Expand folders holding generated repositories into those repositories.

    A path holding ``.copier-answers.yml`` is a project; another folder stands for each
    subfolder that holds one. Paths that are neither stay, so they are reported.
    """
    found: list[Path] = []
    for raw in paths:
        path = Path(raw).expanduser().absolute()
        if is_repository(path) or not path.is_dir():
            found.append(path)
            continue
        children = sorted(p for p in path.iterdir() if is_repository(p))
        found.extend(children or [path])
    return list(dict.fromkeys(found))


def update_many(
    paths: Sequence[Path],
    *,
    check: bool = False,
    template: str | None = None,
    vcs_ref: str | None = None,
    workers: int | None = None,
    on_result: Callable[[UpdateResult, int, int], None] | None = None,
) -> list[UpdateResult]:
    """Check or update several repositories in parallel processes, each independently.

    Args:
        paths: repositories, or folders holding repositories.
        check: only check, change nothing.
        template: see ``update_project``.
        vcs_ref: see ``update_project``.
        workers: processes to use (default: the number of CPUs).
        on_result: called with (result, done, total) as each repository finishes.

    Returns:
        One result per repository, in the order given.
    """
    projects = find_projects(paths)
    total = len(projects)
    _prepare_default_bundle()
    results: dict[Path, UpdateResult] = {}

    def record(result: UpdateResult) -> None:
        results[result.path] = result
        if on_result is not None:
            on_result(result, len(results), total)

    count = min(workers or os.cpu_count() or 1, total)
    if count <= 1:
        for project in projects:
            record(update_project(project, check=check, template=template, vcs_ref=vcs_ref))
        return [results[p] for p in projects]
    # Copier changes the working folder, so repositories run in processes, not threads;
    # "spawn" starts clean interpreters (no inherited locks or threads).
    with ProcessPoolExecutor(max_workers=count, mp_context=get_context("spawn")) as pool:
        futures = {
            pool.submit(update_project, p, check=check, template=template, vcs_ref=vcs_ref): p
            for p in projects
        }
        for future in as_completed(futures):
            project = futures[future]
            try:
                record(future.result())
            except Exception as err:  # the worker process died
                record(UpdateResult(project, "failed", message=f"worker failed: {err}"))
    return [results[p] for p in projects]


def _prepare_default_bundle() -> None:
    """Copy the shipped templates to the per-user path once, before workers start."""
    from generator.render import install_default_bundle

    with suppress(BundleError):  # projects using the default source report it one by one
        install_default_bundle()


def exit_code(results: Sequence[UpdateResult]) -> int:
    """0 when every repository is current or updated cleanly, otherwise 1."""
    return 0 if results and all(r.ok for r in results) else 1
