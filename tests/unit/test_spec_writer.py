"""The spec writer: key order, comments, exact round-trip of any text, atomic writes."""

from __future__ import annotations

import copy
import random
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from generator._io import write_atomic
from generator.spec import load_spec, parse_spec, read_spec_data
from generator.spec.model import Text
from generator.spec.writer import SECTION_COMMENTS, dump_spec
from tests.conftest import EXAMPLE_SPECS, FIXTURES, SPECS

HOSTILE = [
    "say \"hi\" and 'bye'",
    "key: value",
    "ends with a colon:",
    "a # not a comment",
    "#starts like a comment",
    "first line\nsecond line",
    "  indented\nsecond",
    "{{ 7*7 }} {% if x %}",
    "- looks like a list item",
    "yes",
    "No",
    "on",
    "1.0",
    "0o17",
    "1e3",
    "null",
    "~",
    "2024-01-01",
    "emoji 😀 and 中文 and \u200f and مرحبا",
    "tab\tinside",
    "line one\n\nafter a blank line",
    "trailing spaces   \nnext",
    "zero\u200bwidth and bom \ufeff inside\nsecond line",
    "[not, a, list]",
    "&anchor *alias !tag",
    "---\n...",
    "'''\"\"\"",
    "back\\slash \\n",
]


def _example(path: Path = SPECS / "claims-triage.yaml") -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _with_summary(text: str) -> dict[str, Any]:
    data = _example()
    data["summary"] = text
    return data


@pytest.mark.parametrize(
    "path", [*EXAMPLE_SPECS, *sorted(FIXTURES.glob("hostile-*.yaml"))], ids=lambda p: p.name
)
def test_spec_files_round_trip(path: Path) -> None:
    """Rewriting a spec file reads back as exactly the same spec."""
    data = read_spec_data(path.read_bytes()).data
    assert parse_spec(dump_spec(data)) == load_spec(path)


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_round_trips(text: str) -> None:
    """Quotes, colons, '#', newlines, braces, '-', 'yes', '1.0', emoji read back unchanged."""
    expected = TypeAdapter(Text).validate_python(text)
    assert parse_spec(dump_spec(_with_summary(text))).summary == expected


@settings(max_examples=150, deadline=None)
@given(st.text(min_size=1, max_size=80))
def test_any_valid_text_round_trips(text: str) -> None:
    """Any text the spec accepts is written so that it reads back the same."""
    try:
        expected = TypeAdapter(Text).validate_python(text)
    except ValidationError:
        return
    assert parse_spec(dump_spec(_with_summary(text))).summary == expected


def test_keys_follow_the_example_order() -> None:
    """Keys are written in the example's order whatever order the data has."""
    data = _example()
    keys = list(data)
    shuffled = dict(random.Random(7).sample(list(data.items()), len(data)))
    written = yaml.safe_load(dump_spec(shuffled))
    assert list(written) == keys


def test_nested_keys_follow_the_model_order() -> None:
    """Keys inside a section are in the model's order too."""
    data = _example()
    data["owners"] = dict(reversed(list(data["owners"].items())))
    written = yaml.safe_load(dump_spec(data))
    assert list(written["owners"]) == ["business", "technical", "operations"]


@pytest.mark.parametrize("key", [k for k in SECTION_COMMENTS if k != "schema_version"])
def test_each_section_has_a_comment_above_it(key: str) -> None:
    """Every section of a full spec is introduced by its comment (genai: of an agent's)."""
    example = "outage-response-agent" if key == "genai" else "claims-triage"
    lines = dump_spec(_example(SPECS / f"{example}.yaml")).splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith(f"{key}:"))
    assert lines[index - 1].startswith("# ")


def test_id_lists_are_written_on_one_line() -> None:
    """Regimes are written as a flow list, as in the example."""
    assert "  regimes: [eu-ai-act, gdpr]\n" in dump_spec(_example())


def test_partial_data_can_be_written() -> None:
    """A draft with only a few answers is written without error."""
    text = dump_spec({"title": "Half done", "users": [{"role": "adjuster"}]}, draft=True)
    assert yaml.safe_load(text) == {"title": "Half done", "users": [{"role": "adjuster"}]}


def test_write_atomic_replaces_the_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    """An atomic write replaces the target and leaves nothing else behind."""
    target = tmp_path / "spec.yaml"
    target.write_text("old", encoding="utf-8")
    write_atomic(target, "new\n")
    assert target.read_text(encoding="utf-8") == "new\n"
    assert [p.name for p in tmp_path.iterdir()] == ["spec.yaml"]


def test_dump_does_not_change_its_input() -> None:
    """Writing spec data leaves the data as it was."""
    data = _example()
    before = copy.deepcopy(data)
    dump_spec(data)
    assert data == before
