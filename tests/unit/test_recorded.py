"""``as_recorded`` gives the data Copier reads back, whichever YAML parser it used.

``as_recorded`` reads the answers text with libyaml's parser when the text holds only
characters both parsers scan alike, else with PyYAML's own (the one Copier uses). These
properties compare it with PyYAML's own on every kind of text, hostile specs included.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from generator.render.context import _EXOTIC, _FAST_LOADER, as_recorded, build_context
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


text = st.one_of(
    st.text(st.characters(exclude_categories=["Cs"]), max_size=80),
    st.text(st.sampled_from(list(YAML_SPECIAL)), max_size=200),
    st.sampled_from(HOSTILE),
)
data = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=25,
)


def test_libyaml_is_there_to_be_compared() -> None:
    """The test environment's PyYAML has libyaml, so the properties compare two parsers."""
    assert yaml.__with_libyaml__
    assert _FAST_LOADER is not None and _FAST_LOADER.__name__ == "CSafeLoader"


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


@pytest.mark.parametrize("character", ["\x85", "\u2028", "\u2029", "\ufeff", "\r", "\t", "\x1b"])
def test_characters_the_parsers_may_scan_differently_go_to_pyyamls(character: str) -> None:
    """NEL, line and paragraph separators, a BOM, CR, TAB and controls take PyYAML's parser."""
    assert _EXOTIC.search(f"a{character}b")
    _same({"title": f"a{character}b", "lines": [f"{character}x", f"y {character}"]})
