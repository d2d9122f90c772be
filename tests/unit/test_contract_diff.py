"""diff classifies changes of the data contract (inputs) as breaking or compatible."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
import yaml

from generator.review.diff import compare, render_diff
from tests.conftest import SPECS

BASE: dict[str, Any] = yaml.safe_load((SPECS / "claims-triage.yaml").read_text(encoding="utf-8"))


def _changed(change: Any) -> list[tuple[str, str, str]]:
    new = copy.deepcopy(BASE)
    change(new["inputs"])
    return [(c.input, c.impact, c.what) for c in compare(BASE, new).contract]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda i: i[0].update(max=500000), ("claim_amount", "breaking", "maximum narrowed")),
        (lambda i: i[0].update(min=10), ("claim_amount", "breaking", "minimum narrowed")),
        (
            lambda i: i[1]["values"].remove("broker"),
            ("channel", "breaking", "value broker removed"),
        ),
        (lambda i: i[0].update(type="integer"), ("claim_amount", "breaking", "type changed")),
        (lambda i: i[2].update(required=True), ("policy_holder_id", "breaking", "made required")),
        (lambda i: i.pop(1), ("channel", "breaking", "input removed")),
        (
            lambda i: i.append({"name": "region", "type": "text"}),
            ("region", "breaking", "required input added"),
        ),
        (lambda i: i[0].update(max=2000000), ("claim_amount", "compatible", "maximum widened")),
        (lambda i: i[0].pop("min"), ("claim_amount", "compatible", "minimum widened")),
        (lambda i: i[1]["values"].append("email"), ("channel", "compatible", "value email added")),
        (
            lambda i: i.append({"name": "region", "type": "text", "required": False}),
            ("region", "compatible", "optional input added"),
        ),
        (lambda i: i[0].update(personal=True), ("claim_amount", "neutral", "personal")),
    ],
)
def test_a_contract_change_is_classified(change: Any, expected: tuple[str, str, str]) -> None:
    """Narrowed bounds and removed values break callers; widened ones and additions do not."""
    (found,) = _changed(change)
    assert found[:2] == expected[:2]
    assert expected[2] in found[2]


def test_the_diff_says_when_the_contract_breaks_callers() -> None:
    """Text and JSON both flag a breaking contract change, breaking changes first."""
    new = copy.deepcopy(BASE)
    new["inputs"][1]["values"].append("email")
    new["inputs"][0]["max"] = 10
    diff = compare(BASE, new)
    assert diff.breaking
    text = render_diff(diff, "text")
    assert "Data contract (breaking for callers)" in text
    assert text.index("breaking: claim_amount") < text.index("compatible: channel")
    document = json.loads(render_diff(diff, "json"))
    assert document["contract"]["breaking"] is True


def test_specs_without_inputs_have_no_contract_changes() -> None:
    """Without inputs on either side, the contract section stays empty, as before."""
    old = copy.deepcopy(BASE)
    old.pop("inputs")
    new = copy.deepcopy(old)
    new["title"] = "Renamed"
    assert compare(old, new).contract == []
