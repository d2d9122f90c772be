"""Property-based: mutated specs only ever validate or fail with clear one-line errors."""

from __future__ import annotations

import copy
import re
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.errors import SpecError
from generator.spec import ProjectSpec, parse_spec
from tests.conftest import EXAMPLE_SPECS

BASES = [yaml.safe_load(p.read_text(encoding="utf-8")) for p in EXAMPLE_SPECS]
LINE = re.compile(r"^fuzz\.yaml:\d+: \S.*$")

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
    st.sampled_from(["", "AC-1", "M-1", "eu-ai-act", "high", "unacceptable", "e2e", "..", "a/b"]),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3)
    ),
    max_leaves=8,
)


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside nested dicts and lists."""
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += paths(value, (*prefix, index))
    return found


@st.composite
def mutated_specs(draw: st.DrawFn) -> dict[str, Any]:
    """An example spec with a few values replaced, keys deleted or keys added."""
    data: dict[str, Any] = copy.deepcopy(draw(st.sampled_from(BASES)))
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        where = draw(st.sampled_from(paths(data)))
        parent: Any = data
        for part in where[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "replace":
            parent[where[-1]] = draw(values)
        elif action == "delete":
            del parent[where[-1]]
        elif isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=12))] = draw(values)
    return data


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_specs())
def test_mutated_specs_validate_or_fail_clearly(data: dict[str, Any]) -> None:
    """A mutated spec is either valid or refused with FILE:LINE: field: message lines."""
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    try:
        spec = parse_spec(text, "fuzz.yaml")
    except SpecError as err:
        assert err.lines
        assert all(LINE.match(line) and "\n" not in line for line in err.lines), err.lines
    else:
        assert isinstance(spec, ProjectSpec)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_fail_clearly(raw: bytes) -> None:
    """Random bytes never raise anything but a SpecError of clear lines."""
    try:
        parse_spec(raw, "fuzz.yaml")
    except SpecError as err:
        assert all(LINE.match(line) for line in err.lines), err.lines


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text_fails_clearly(text: str) -> None:
    """Random text (any Unicode) never raises anything but a SpecError of clear lines."""
    try:
        parse_spec(text, "fuzz.yaml")
    except SpecError as err:
        assert all(LINE.match(line) for line in err.lines), err.lines
