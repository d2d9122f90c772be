"""The test run's shared work (``tests/shared.py``): made once, rebuilt after a failure."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.shared import key_of, made_once


def test_made_once_builds_once_and_returns_the_same_folder(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """A second ask returns the folder the first built, without building again."""
    built: list[Path] = []

    def build(folder: Path) -> None:
        built.append(folder)
        (folder / "made").write_text("yes", encoding="utf-8")

    key = key_of("once", str(tmp_path_factory.getbasetemp()))
    first = made_once(tmp_path_factory, "thing", key, build)
    second = made_once(tmp_path_factory, "thing", key, build)
    assert first == second == built[0] and len(built) == 1
    assert (first / "made").read_text(encoding="utf-8") == "yes"


def test_a_failed_build_leaves_nothing_and_the_next_ask_builds_again(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """A build that raises removes its folder; the next caller builds afresh."""
    key = key_of("fails", str(tmp_path_factory.getbasetemp()))

    def broken(folder: Path) -> None:
        (folder / "half").write_text("half", encoding="utf-8")
        raise RuntimeError("install failed")

    with pytest.raises(RuntimeError, match="install failed"):
        made_once(tmp_path_factory, "flaky", key, broken)
    folder = made_once(tmp_path_factory, "flaky", key, lambda f: (f / "ok").touch())
    assert sorted(p.name for p in folder.iterdir()) == [".made", "ok"]


def test_keys_differ_with_file_contents(tmp_path: Path) -> None:
    """The key of a spec file follows its bytes, not its name."""
    spec = tmp_path / "spec.yaml"
    spec.write_text("a: 1\n", encoding="utf-8")
    before = key_of(spec, "dev")
    spec.write_text("a: 2\n", encoding="utf-8")
    assert key_of(spec, "dev") != before
