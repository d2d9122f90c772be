"""Fixtures shared by every test layer: isolation from the user's home, git and environment."""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests import scheduling
from tests.shared import shared_root

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
EXAMPLE_SPECS = sorted(SPECS.glob("*.yaml"))
"""Every example spec: each validates and reviews ready."""
RENDERED_SPECS = [
    p
    for p in EXAMPLE_SPECS
    if yaml.safe_load(p.read_text(encoding="utf-8"))["kind"] in ("service", "pipeline")
]
"""The service and pipeline examples, which the kind-matrix tests render as either kind."""
GENAI_SPECS = [
    p
    for p in EXAMPLE_SPECS
    if yaml.safe_load(p.read_text(encoding="utf-8"))["kind"] in ("assistant", "agent")
]
"""The assistant and agent examples, rendered as the kind they are."""
if not os.environ.get("NEW_AI_PROJECT_SEED"):
    # Drawn once, in the process that starts the run: pytest-xdist workers inherit it, so
    # every worker draws the same specs (and collects the same tests).
    os.environ["NEW_AI_PROJECT_SEED"] = str(secrets.randbelow(2**32))
PROPERTY_SEED = int(os.environ["NEW_AI_PROJECT_SEED"])
"""The seed of this run's property-based specs: printed in the header, set it to replay."""


def pytest_report_header() -> str:
    """Print the property seed first, so any failure can be reproduced."""
    return (
        f"property-based specs: seed {PROPERTY_SEED} "
        f"(NEW_AI_PROJECT_SEED={PROPERTY_SEED} ./dev test ... replays this run)"
    )


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--store-durations``: write each test's time to ``tests/durations.json``."""
    parser.addoption(
        "--store-durations",
        action="store_true",
        help="after the run, merge each test's time into tests/durations.json, which orders "
        "the groups of the next runs longest first (tests/scheduling.py)",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Keep the order :func:`pytest_collection_modifyitems` gives (longest groups first).

    pytest-xdist would otherwise queue ``--dist loadgroup`` groups by their number of tests.
    """
    if hasattr(config.option, "loadscopereorder"):
        config.option.loadscopereorder = False
    if config.getoption("store_durations") and not hasattr(config, "workerinput"):
        config.pluginmanager.register(_DurationRecorder(), "durations-recorder")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Group tests sharing a module-scoped fixture instance; queue the longest groups first.

    Tests that share one go to one pytest-xdist worker, so a module-scoped fixture (a
    rendered repository, a built wheel) is made once per run, not once per worker; other
    tests spread freely. Tests over a repository rendered and installed for several modules
    name that repository's group themselves (``tests/e2e/environments.py``). The order of
    the groups is :func:`tests.scheduling.longest_groups_first`.
    """
    for item in items:
        if item.get_closest_marker("xdist_group") is None:
            group = _module_fixture_group(item)
            if group is not None:
                item.add_marker(pytest.mark.xdist_group(group))
    items[:] = scheduling.longest_groups_first(items, scheduling.read_durations())


class _DurationRecorder:
    """Adds up each test's setup, call and teardown time; merges them into the file at the end."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        nodeid = scheduling.without_group(report.nodeid)
        self.seconds[nodeid] = self.seconds.get(nodeid, 0.0) + report.duration

    def pytest_sessionfinish(self) -> None:
        stored = scheduling.read_durations()
        merged = scheduling.merged(stored, self.seconds)
        scheduling.DURATIONS.write_text(json.dumps(merged, indent=1) + "\n", encoding="utf-8")


def _module_fixture_group(item: pytest.Item) -> str | None:
    """``<module>:fixture=index,...`` when the test uses module-scoped fixtures, else None.

    No ``]`` or ``@`` may appear: pytest-xdist reads the group after the last ``@`` of the
    node id, and only when no ``]`` follows it.
    """
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return None
    shared = sorted(
        name
        for name, defs in info.name2fixturedefs.items()
        if defs and defs[-1].scope in {"module", "package", "class"}
    )
    if not shared:
        return None
    indices = getattr(getattr(item, "callspec", None), "indices", {})
    params = ",".join(f"{name}={indices[name]}" for name in shared if name in indices)
    return f"{item.nodeid.split('::', 1)[0]}:{params}"


@pytest.fixture(scope="session", autouse=True)
def run_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One XDG cache folder for the whole run, never the user's.

    The template bundle of this checkout and its checked-out versions are built once per
    run instead of once per test; both are keyed by content and written atomically, so the
    workers share them safely. Tests of the caches themselves point it elsewhere.
    """
    cache = shared_root(tmp_path_factory) / "xdg-cache"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(cache))
        yield cache


@pytest.fixture(autouse=True)
def isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """Give every test its own HOME, XDG data and config folders and git identity."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    for name, sub in (("XDG_DATA_HOME", ".local/share"), ("XDG_CONFIG_HOME", ".config")):
        monkeypatch.setenv(name, str(home / sub))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    (home / ".gitconfig").write_text(
        "[user]\n\tname = Test User\n\temail = test@example.com\n[init]\n\tdefaultBranch = main\n",
        encoding="utf-8",
    )
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "COPIER_SETTINGS_PATH"):
        monkeypatch.delenv(name, raising=False)
    yield home
