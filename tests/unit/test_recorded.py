"""``as_recorded`` gives the data Copier reads back from the answers file.

Where every string holds only newlines and printable characters, ``as_recorded`` sorts the
mappings instead of writing and reading YAML; other text goes through PyYAML's round trip
(its emitter, then its own parser, as Copier reads it). These properties compare it with
that round trip on every kind of text, hostile specs included.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from generator.render.context import _EXOTIC, as_recorded, build_context
from generator.spec import parse_spec
from tests.conftest import PROPERTY_SEED
from tests.strategies import HOSTILE, RENDERED_KINDS, valid_specs

SETTINGS = settings(
    deadline=None, database=None, suppress_health_check=list(HealthCheck), max_examples=300
)
YAML_SPECIAL = " \n\t\r'\"#:-?,[]{}&*!|>%@`\\~=<.eE+0x1aé\xa0\x85\x1b\x7f\u2028\u2029\ufeff😀"
"""Characters YAML gives a meaning, line breaks of every kind, controls, a BOM, non-BMP."""


def _by_pyyaml(value: Any) -> Any:
    """The value as Copier gets it back: PyYAML's emitter, then PyYAML's own parser."""
    plain = json.loads(json.dumps(value, ensure_ascii=False))
    return yaml.safe_load(yaml.dump(plain, indent=4, allow_unicode=True, default_flow_style=False))


def _same(value: dict[str, Any]) -> None:
    expected = _by_pyyaml(value)
    # the key order too: the answers file sorts keys, the render must see them that way
    assert json.dumps(as_recorded(value), ensure_ascii=False) == json.dumps(
        expected, ensure_ascii=False
    )


YAML_AMBIGUOUS = [
    *("yes", "No", "ON", "off", "y", "n", "True", "null", "Null", "~", "", " ", "-", "?", ":"),
    *("1e3", "1.0e+3", "0x1F", "0o17", "017", "1_000", "+1", "1.", ".5", ".inf", "-.Inf", ".NaN"),
    *("12:30:00", "190:20:30", "2020-01-01", "2001-12-14t21:59:43.10-05:00", "<<", "=", "!tag"),
    *("&anchor", "*alias", "%YAML", "---", "...", "- a", "a: b", "a #b", "[a]", "{a: b}", "'a'"),
    *("\n", "a\n", "\na", "a\n\n", " a", "a ", "a \nb", "a\n b", "\n\n\n", "é\xa0😀"),
]
"""Strings YAML could read as another type, another structure, or with other whitespace."""
printable = st.characters(exclude_categories=["Cs"]).filter(lambda c: not _EXOTIC.search(c))
text = st.one_of(
    st.text(st.characters(exclude_categories=["Cs"]), max_size=80),
    st.text(printable, max_size=80),
    st.sampled_from(YAML_AMBIGUOUS),
    st.lists(st.sampled_from(YAML_AMBIGUOUS), max_size=6).map(" ".join),
    st.text(st.sampled_from(list(YAML_SPECIAL)), max_size=200),
    st.sampled_from(HOSTILE),
)
data = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=25,
)


@seed(PROPERTY_SEED)
@SETTINGS
@given(st.dictionaries(text, data, max_size=6))
def test_any_data_reads_back_as_pyyaml_reads_it(value: dict[str, Any]) -> None:
    """Any text, YAML's special characters and every line break included, reads back alike."""
    _same(value)


@seed(PROPERTY_SEED)
@settings(SETTINGS, max_examples=10)
@given(valid_specs(kinds=RENDERED_KINDS))
def test_a_drawn_specs_context_reads_back_as_pyyaml_reads_it(spec: dict[str, Any]) -> None:
    """The context of any valid spec (hostile text in every field) is recorded alike."""
    text = yaml.safe_dump(spec, sort_keys=False, allow_unicode=True)
    context = build_context(parse_spec(text, "spec.yaml"))
    _same(context)


def test_printable_text_is_recorded_without_writing_yaml(monkeypatch: pytest.MonkeyPatch) -> None:
    """Newlines and printable characters only: sorted as the round trip would, no YAML made."""

    def no_yaml(*_: object, **__: object) -> str:
        raise AssertionError("printable text went through YAML")

    value = {"b": ["yes", "1e3", {"z": "a\n b ", "a": None}], "a": {"é😀": 1.5, "": "~"}}
    expected = _by_pyyaml(value)
    monkeypatch.setattr(yaml, "dump", no_yaml)
    recorded = as_recorded(value)
    assert json.dumps(recorded, ensure_ascii=False) == json.dumps(expected, ensure_ascii=False)
    assert list(recorded) == ["a", "b"] and list(recorded["b"][2]) == ["a", "z"]


@pytest.mark.parametrize("character", ["\x85", "\u2028", "\u2029", "\ufeff", "\r", "\t", "\x1b"])
def test_characters_yaml_may_change_take_the_round_trip(character: str) -> None:
    """NEL, line and paragraph separators, a BOM, CR, TAB and controls take the round trip."""
    assert _EXOTIC.search(f"a{character}b")
    _same({"title": f"a{character}b", "lines": [f"{character}x", f"y {character}"]})
