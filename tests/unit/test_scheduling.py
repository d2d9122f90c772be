"""Unit tests for the suite's own scheduling: longest groups first, durations merged."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import pytest

from tests import scheduling


class _Item:
    """The two things scheduling reads from a pytest item: its node id and its group mark."""

    def __init__(self, nodeid: str, group: str | None = None) -> None:
        self.nodeid = nodeid
        self._mark = pytest.mark.xdist_group(group).mark if group else None

    def get_closest_marker(self, name: str) -> Any:
        return self._mark if name == "xdist_group" else None


def _order(items: list[_Item], durations: dict[str, float]) -> list[str]:
    ordered = scheduling.longest_groups_first(cast(list[pytest.Item], items), durations)
    return [item.nodeid for item in ordered]


def test_the_longest_group_goes_first_and_keeps_its_tests_together() -> None:
    """A group's time is its tests' sum; its tests stay together in their own order."""
    items = [
        _Item("a.py::one", "repo-a"),
        _Item("b.py::alone"),
        _Item("a.py::two", "repo-a"),
        _Item("c.py::heavy"),
    ]
    durations = {"a.py::one": 30.0, "a.py::two": 40.0, "b.py::alone": 5.0, "c.py::heavy": 60.0}
    assert _order(items, durations) == ["a.py::one", "a.py::two", "c.py::heavy", "b.py::alone"]


def test_unknown_tests_count_as_the_default_and_ties_keep_collection_order() -> None:
    """Without a durations file the collection order stands (every worker agrees on it)."""
    items = [_Item("x.py::first"), _Item("y.py::second", "g"), _Item("z.py::third")]
    assert _order(items, {}) == ["x.py::first", "y.py::second", "z.py::third"]
    assert _order(items, {"z.py::third": scheduling.UNKNOWN_SECONDS + 1})[0] == "z.py::third"


def test_the_group_suffix_of_xdist_workers_is_dropped() -> None:
    """``name@group`` is stored as ``name``; an ``@`` inside a parameter id is kept."""
    assert scheduling.without_group("t.py::test[x]@repo-a") == "t.py::test[x]"
    assert scheduling.without_group("t.py::test[a@b]") == "t.py::test[a@b]"


def test_merging_keeps_what_was_not_run_and_drops_short_tests() -> None:
    """A run of one layer updates that layer's times; tests now short leave the file."""
    stored = {"unit::a": 3.0, "e2e::b": 70.0, "unit::c": 2.0}
    measured = {"unit::a": 4.04, "unit::c": 0.01, "unit::d": 1.26}
    assert scheduling.merged(stored, measured) == {"e2e::b": 70.0, "unit::a": 4.0, "unit::d": 1.3}


def test_an_unreadable_durations_file_orders_nothing(tmp_path: Path) -> None:
    """A broken or missing file means no known durations, never a failed collection."""
    broken = tmp_path / "durations.json"
    broken.write_text("{not json", encoding="utf-8")
    assert scheduling.read_durations(broken) == {}
    assert scheduling.read_durations(tmp_path / "missing.json") == {}
    broken.write_text('{"t.py::x": 2, "t.py::y": "slow"}', encoding="utf-8")
    assert scheduling.read_durations(broken) == {"t.py::x": 2.0}
