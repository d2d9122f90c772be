"""Loading spec files safely: hostile, broken and odd YAML is refused with one clear line."""

from __future__ import annotations

import re

import pytest
import yaml

from generator.errors import SpecError
from generator.spec import _yaml, parse_spec
from tests.conftest import SPECS

VALID = (SPECS / "claims-triage.yaml").read_text(encoding="utf-8")


def error_of(raw: bytes | str) -> str:
    """Return the single error line for some spec bytes or text."""
    with pytest.raises(SpecError) as caught:
        parse_spec(raw, "s.yaml")
    assert len(caught.value.lines) == 1, caught.value.lines
    return caught.value.lines[0]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"", "s.yaml:1: the file is empty"),
        (b"   \n\n", "s.yaml:1: the file is empty"),
        (b"# only a comment\n", "s.yaml:1: the file holds no YAML document"),
        (b"- a\n- b\n", "s.yaml:1: the spec must be a mapping of keys, not a list"),
        (b"just text\n", "s.yaml:1: the spec must be a mapping of keys, not a single value"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "s.yaml:1: the file holds binary data, not YAML text"),
        (b"name: caf\xe9\n", "s.yaml:1: the file is not UTF-8 text; save it as UTF-8"),
        (b"a: 1\nb: [1, 2\nc: 3\n", "s.yaml:3: not valid YAML: "),
        (b"a: 1\n---\nb: 2\n", "s.yaml:2: not valid YAML: but found another document"),
        (b"a: 1\na: 2\n", "s.yaml:2: duplicate key 'a'; keep one of them"),
    ],
)
def test_unreadable_input(raw: bytes, expected: str) -> None:
    """Empty, non-mapping, binary, non-UTF-8, broken and duplicate-key files are refused."""
    assert error_of(raw).startswith(expected)


@pytest.mark.parametrize(
    "raw",
    [
        "name: !!python/object/apply:os.system ['id']\n",
        "name: !!python/name:os.system\n",
        "name: !custom thing\n",
        "users: !!set {a, b}\n",
    ],
)
def test_object_tags_are_refused(raw: str) -> None:
    """No tag can construct an object or run code; only plain values are read."""
    assert re.match(r"s\.yaml:1: the tag \S+ is not allowed", error_of(raw))


def test_binary_and_timestamp_tags_are_read_as_text() -> None:
    """Standard tags that would build bytes or dates give the text as written."""
    text = VALID.replace("title: Claims triage assistant", "title: !!binary aGVsbG8=")
    assert parse_spec(text).title == "aGVsbG8="


def test_alias_bomb_is_refused() -> None:
    """A billion-laughs document is refused instead of expanding."""
    levels = ['a0: &a0 ["x","x","x","x","x","x","x","x","x","x"]']
    for i in range(1, 9):
        refs = ",".join([f"*a{i - 1}"] * 10)
        levels.append(f"a{i}: &a{i} [{refs}]")
    line = error_of("\n".join(levels) + "\n")
    assert "expands to more than" in line


def test_merge_keys_still_work() -> None:
    """Ordinary anchors and merge keys are plain YAML and are accepted."""
    text = VALID.replace(
        "owners:\n", "x-owner: &o {business: A, technical: B, operations: C}\nowners:\n", 1
    )
    assert "unknown key 'x-owner'" in error_of(text)


def test_oversized_file_is_refused() -> None:
    """A file far larger than any spec is refused before parsing."""
    assert "larger than 2 MB" in error_of(b"a: " + b"x" * 2_100_000)


def test_dates_stay_text() -> None:
    """A value that looks like a date is read as the text written, not a date object."""
    text = VALID.replace("title: Claims triage assistant", "title: 2026-11-23")
    assert parse_spec(text).title == "2026-11-23"


def test_byte_order_mark_is_accepted() -> None:
    """A UTF-8 byte order mark (some editors write one) is harmless."""
    assert parse_spec(b"\xef\xbb\xbf" + VALID.encode()).name == "claims-triage"


def test_large_valid_spec() -> None:
    """An oversized but legitimate spec (hundreds of criteria) validates."""
    block = "".join(
        f"  - id: AC-{i}\n    given: case {i}\n    when: it runs\n    then: result {i} is stored\n"
        f"    layer: unit\n"
        for i in range(4, 600)
    )
    text = VALID.replace("\noperating_boundary:", block + "\noperating_boundary:")
    assert len(parse_spec(text).acceptance_criteria) == 599


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a: &a [*a, *a]\n", "s.yaml:1: a value refers to itself through an alias"),
        ("a: 1\nb: \x1b[31m\n", "s.yaml:2: the file holds the non-printable character U+001B"),
    ],
)
def test_pathological_structure(raw: str, expected: str) -> None:
    """Recursive aliases and control characters are refused cleanly."""
    assert error_of(raw).startswith(expected)


@pytest.mark.parametrize("loader", ["libyaml", "pure-python"])
@pytest.mark.parametrize("depth", [65, 80, 1000, 5000, 50_000])
@pytest.mark.parametrize(("open_", "close"), [("[", "]"), ("{a: ", "}")])
def test_deep_nesting_is_refused_on_its_line(
    depth: int, open_: str, close: str, loader: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Deep nesting is refused with one line naming its line, whichever layer refuses it.

    Our own check, PyYAML's recursion and libyaml's depth limit (PyYAML 6.0.3 and later)
    all refuse some depth; the user sees the same refusal either way.
    """
    if loader == "pure-python":
        monkeypatch.setattr(_yaml, "SAFE_LOADER", yaml.SafeLoader)
    elif not hasattr(yaml, "CSafeLoader"):
        pytest.skip("this PyYAML has no libyaml")
    raw = "name: x\nnested: " + open_ * depth + "1" + close * depth + "\n"
    message = error_of(raw)
    assert message == "s.yaml:2: the document nests deeper than 64 levels", message[:200]
