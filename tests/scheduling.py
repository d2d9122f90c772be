"""The order the suite's groups run in: longest first, from the durations of an earlier run.

``./dev test`` runs each layer under pytest-xdist with ``--dist loadgroup``: a group (tests
sharing a rendered repository, or a test on its own) goes whole to one worker, and a worker
asks for the next group when it is almost out of work. pytest-xdist queues groups by their
number of tests, so the slowest groups of the end-to-end layer (one generated suite run,
60-90 s, in a group of two or three tests) came last and one core worked alone at the end.
Here groups are queued by their expected time instead, longest first (the classic
longest-processing-time rule for two or more identical machines), from
``tests/durations.json``: the seconds each test took (setup, call and teardown) in a run
made with ``--store-durations``. A test the file does not know counts as
:data:`UNKNOWN_SECONDS`; an outdated file only makes the order less good, never a test
fail.

pytest-split keeps the same kind of file for the same reason, but splits a suite into
separate CI jobs; nothing in pytest-xdist orders by time, hence this module.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

DURATIONS = Path(__file__).with_name("durations.json")
"""Seconds per test node id, written by ``pytest --store-durations``."""
UNKNOWN_SECONDS = 0.5
"""What a test the durations file does not know is expected to take."""
SMALLEST_KEPT = 0.1
"""Shorter tests are not written to the file: they count as unknown, which changes nothing."""


def read_durations(path: Path = DURATIONS) -> dict[str, float]:
    """Return the stored seconds per test node id; empty when there is no readable file."""
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(stored, dict):
        return {}
    return {
        str(nodeid): float(seconds)
        for nodeid, seconds in stored.items()
        if isinstance(seconds, int | float)
    }


def group_of(item: pytest.Item) -> str:
    """Return the item's xdist group, or its node id when it has none (a group of one)."""
    marker = item.get_closest_marker("xdist_group")
    if marker is not None:
        return str(marker.kwargs.get("name", marker.args[0] if marker.args else "default"))
    return item.nodeid


def without_group(nodeid: str) -> str:
    """Return a node id without the ``@group`` pytest-xdist appends on its workers."""
    if nodeid.rfind("@") > nodeid.rfind("]"):
        return nodeid.rsplit("@", 1)[0]
    return nodeid


def longest_groups_first(
    items: list[pytest.Item], durations: Mapping[str, float]
) -> list[pytest.Item]:
    """Return the items with each group's tests together, the longest group first.

    A group's time is the sum of its tests' times; groups of equal time, and the tests
    within a group, keep their collection order, so every worker collects the same order.
    """
    groups: dict[str, list[pytest.Item]] = {}
    for item in items:
        groups.setdefault(group_of(item), []).append(item)
    ranked = sorted(
        enumerate(groups.values()),
        key=lambda pair: (-_seconds(pair[1], durations), pair[0]),
    )
    return [item for _, members in ranked for item in members]


def _seconds(items: Iterable[pytest.Item], durations: Mapping[str, float]) -> float:
    return sum(durations.get(item.nodeid, UNKNOWN_SECONDS) for item in items)


def merged(stored: Mapping[str, float], measured: Mapping[str, float]) -> dict[str, float]:
    """Return the stored durations updated with this run's, rounded, small ones dropped.

    Tests this run did not run keep their stored time (a run of one layer updates that
    layer only); tests it ran and found short are removed.
    """
    result = {nodeid: seconds for nodeid, seconds in stored.items() if nodeid not in measured}
    result.update(measured)
    return {
        nodeid: round(seconds, 1)
        for nodeid, seconds in sorted(result.items())
        if seconds >= SMALLEST_KEPT
    }
