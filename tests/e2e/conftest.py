"""End-to-end fixtures: each rendered repository in a fresh environment from its constraints.

The helpers live in ``tests/e2e/environments.py``; test modules render the specs they need
with ``render_and_install`` in module- or session-scoped fixtures, so each repository and
environment is made once per test run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

from tests.e2e.environments import RepoEnv, remove_memory_scratch, render_and_install


@pytest.fixture(scope="session", autouse=True)
def memory_scratch_removed() -> Iterator[None]:
    """The rendered repositories' temporary folder in memory goes when the worker's tests end.

    (``tests/e2e/environments.py``: ``memory_scratch``; an exiting worker process may skip
    ``atexit``.)
    """
    yield
    remove_memory_scratch()


@pytest.fixture(scope="session")
def installed_repo(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Path], RepoEnv]:
    """Render and install a spec once per test run, for every module that asks for it."""
    made: dict[Path, RepoEnv] = {}

    def get(spec: Path) -> RepoEnv:
        if spec not in made:
            made[spec] = render_and_install(spec, tmp_path_factory)
        return made[spec]

    return get


@pytest.fixture(scope="session")
def installed_pipeline(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Path], RepoEnv]:
    """Render a pipeline spec and install it with its Airflow extra, once per test run.

    Apache Airflow is installed once per session into each such environment (uv links it
    from its cache); the repository's DAG tests then run and may not skip.
    """
    made: dict[Path, RepoEnv] = {}

    def get(spec: Path) -> RepoEnv:
        if spec not in made:
            name = yaml.safe_load(spec.read_text(encoding="utf-8"))["name"]
            made[spec] = render_and_install(
                spec, tmp_path_factory, name=name, extras=("dev", "airflow")
            )
        return made[spec]

    return get
