"""The data contract at the boundary: requests are validated before any work is done."""

from __future__ import annotations

import math
from typing import Any

import pytest
from pydantic import ValidationError

from ..package import DecisionRequest, OverrideRequest, project
from tests.support import sample_inputs

TYPED = project.contract()["typed"]
INPUTS: list[dict[str, Any]] = project.contract()["inputs"]
typed_only = pytest.mark.skipif(not TYPED, reason="spec.yaml declares no inputs")
untyped_only = pytest.mark.skipif(TYPED, reason="spec.yaml declares typed inputs")


def _refused(inputs: dict[str, Any]) -> list[str]:
    """Return the names of the inputs a request with ``inputs`` is refused for."""
    with pytest.raises(ValidationError) as caught:
        DecisionRequest.model_validate({"subject_id": "case-1", "inputs": inputs})
    return [str(error["loc"][-1]) for error in caught.value.errors()]


def _of(*kinds: str) -> list[dict[str, Any]]:
    return [item for item in INPUTS if item["type"] in kinds]


def test_valid_request_is_accepted() -> None:
    """A request with every input of the contract (or every drift feature) passes."""
    request = DecisionRequest(subject_id="case-1", inputs=sample_inputs())
    assert set(project.drift_features()) <= set(request.input_values())


@untyped_only
def test_missing_required_input_is_refused() -> None:
    """A request without a drift feature of spec.yaml is refused."""
    features = project.drift_features()
    if not features:
        pytest.skip("spec.yaml lists no drift features, so no input is required")
    inputs = sample_inputs()
    del inputs[features[0]]
    with pytest.raises(ValidationError, match="missing required inputs"):
        DecisionRequest(subject_id="case-1", inputs=inputs)


@untyped_only
def test_input_name_must_be_an_identifier() -> None:
    """Input names that are not identifiers are refused."""
    with pytest.raises(ValidationError, match="identifiers"):
        DecisionRequest(subject_id="case-1", inputs={**sample_inputs(), "bad name; drop": 1})


@untyped_only
@pytest.mark.parametrize(
    "bad", [math.nan, math.inf, -math.inf, "NaN", "nan", "inf", "-Infinity", "1e309"]
)
def test_without_a_contract_numbers_are_still_finite(bad: Any) -> None:
    """Untyped inputs refuse NaN and infinities, also spelled as text (an attack on drift)."""
    with pytest.raises(ValidationError, match="finite"):
        DecisionRequest(subject_id="case-1", inputs={**sample_inputs(), "signal": bad})


@untyped_only
def test_without_a_contract_ordinary_text_and_numbers_pass() -> None:
    """Finite numbers, booleans and text that is not a number pass through as they are."""
    inputs = {**sample_inputs(), "n": 1.5, "i": 3, "b": True, "t": "1e3 units", "s": "plain"}
    assert DecisionRequest(subject_id="case-1", inputs=inputs).input_values()["t"] == "1e3 units"


@typed_only
@pytest.mark.parametrize("bad", ["42", "NaN", math.nan, math.inf, -math.inf, True])
def test_a_number_input_takes_only_finite_numbers(bad: Any) -> None:
    """No numeric strings, no NaN or infinity, no booleans for number and integer inputs."""
    numeric = _of("number", "integer")
    if not numeric:
        pytest.skip("the contract has no number or integer input")
    for item in numeric:
        assert item["name"] in _refused({**sample_inputs(), item["name"]: bad})


@typed_only
def test_values_outside_the_bounds_are_refused() -> None:
    """A value below min or above max is refused, naming the input."""
    bounded = [
        i for i in _of("number", "integer") if i.get("min") is not None or i.get("max") is not None
    ]
    if not bounded:
        pytest.skip("the contract bounds no input")
    for item in bounded:
        outside = item["min"] - 1 if item.get("min") is not None else item["max"] + 1
        assert item["name"] in _refused({**sample_inputs(), item["name"]: outside})


@typed_only
def test_an_unknown_category_is_refused() -> None:
    """A category input takes one of its values only."""
    categories = _of("category")
    if not categories:
        pytest.skip("the contract has no category input")
    for item in categories:
        unseen = "not-" + "-".join(str(v) for v in item["values"])
        assert item["name"] in _refused({**sample_inputs(), item["name"]: unseen})


@typed_only
def test_a_boolean_input_takes_only_true_or_false() -> None:
    """The text "true" and the number 1 are not booleans."""
    flags = _of("boolean")
    if not flags:
        pytest.skip("the contract has no boolean input")
    for item in flags:
        for bad in ("true", 1):
            assert item["name"] in _refused({**sample_inputs(), item["name"]: bad})


@typed_only
def test_an_unknown_input_is_refused() -> None:
    """Inputs outside the contract are refused, not ignored."""
    assert "not_in_the_contract" in _refused({**sample_inputs(), "not_in_the_contract": 1})


@typed_only
def test_a_required_input_may_not_be_left_out() -> None:
    """Leaving out a required input is refused, naming it."""
    required = [i for i in INPUTS if i.get("required", True)]
    if not required:
        pytest.skip("every input of the contract is optional")
    inputs = sample_inputs()
    del inputs[required[0]["name"]]
    assert required[0]["name"] in _refused(inputs)


@typed_only
def test_an_optional_input_may_be_left_out() -> None:
    """An input marked required: false may be absent."""
    optional = [i for i in INPUTS if not i.get("required", True)]
    if not optional:
        pytest.skip("every input of the contract is required")
    inputs = sample_inputs()
    for item in optional:
        del inputs[item["name"]]
    assert DecisionRequest(subject_id="case-1", inputs=inputs).input_values() == inputs


def test_unknown_top_level_field_is_refused() -> None:
    """Fields outside the contract are refused rather than ignored."""
    with pytest.raises(ValidationError):
        DecisionRequest.model_validate({"subject_id": "c", "inputs": sample_inputs(), "x": 1})


def test_empty_subject_is_refused() -> None:
    """A decision needs the case it is about."""
    with pytest.raises(ValidationError):
        DecisionRequest(subject_id="", inputs=sample_inputs())


@pytest.mark.parametrize(
    "reason",
    ["nul\x00here", "\x1b[31mred\x1b[0m", "bell\x07", "\u202eevil", "del\x7f", "c1\x9b"],
    ids=["nul", "escape", "bell", "bidi", "delete", "c1-control"],
)
def test_a_reason_with_control_characters_is_refused(reason: str) -> None:
    """Reasons are read by people and terminals: NUL, escape codes and bidi overrides go."""
    with pytest.raises(ValidationError, match="control characters"):
        OverrideRequest(label="negative", reason=reason)


def test_a_reason_may_hold_lines_and_tabs() -> None:
    """Newlines and tabs are ordinary text in a reason."""
    assert OverrideRequest(label="x", reason="line one\n\tline two").reason.startswith("line")


def test_override_needs_a_reason() -> None:
    """An override with a blank reason is refused."""
    with pytest.raises(ValidationError):
        OverrideRequest(label="other", reason="   ")
