"""Fixtures shared by every test layer: isolation from the user's home, git and environment."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
EXAMPLE_SPECS = sorted(SPECS.glob("*.yaml"))
PROPERTY_SEED = int(os.environ.get("NEW_AI_PROJECT_SEED") or secrets.randbelow(2**32))
"""The seed of this run's property-based specs: printed in the header, set it to replay."""


def pytest_report_header() -> str:
    """Print the property seed first, so any failure can be reproduced."""
    return (
        f"property-based specs: seed {PROPERTY_SEED} "
        f"(NEW_AI_PROJECT_SEED={PROPERTY_SEED} ./dev test ... replays this run)"
    )


@pytest.fixture(autouse=True)
def isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """Give every test its own HOME, XDG folders and git identity, never the user's."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    for name, sub in (
        ("XDG_CACHE_HOME", ".cache"),
        ("XDG_DATA_HOME", ".local/share"),
        ("XDG_CONFIG_HOME", ".config"),
    ):
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
