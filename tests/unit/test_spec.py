"""The spec model: every validation rule, and the exact text of its errors."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator import catalog
from generator.errors import SpecError
from generator.spec import ProjectSpec, RegimeId, load_spec, parse_spec
from tests.conftest import EXAMPLE_SPECS, FIXTURES, SPECS

BASE: dict[str, Any] = yaml.safe_load((SPECS / "claims-triage.yaml").read_text(encoding="utf-8"))
LINE = re.compile(r"^spec\.yaml:\d+: [\w.()]+: \S.*$")


def errors_of(data: dict[str, Any] | str) -> list[str]:
    """Validate data (dumped as YAML) or text and return the error lines (none if valid)."""
    text = (
        data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    )
    try:
        parse_spec(text, "spec.yaml")
    except SpecError as err:
        return err.lines
    return []


def changed(path: str, value: Any) -> dict[str, Any]:
    """Return a copy of the base spec with the value at a dotted path replaced (or deleted)."""
    data = copy.deepcopy(BASE)
    *parents, last = path.split(".")
    node: Any = data
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    key: Any = int(last) if last.isdigit() else last
    if value is DELETE:
        del node[key]
    else:
        node[key] = value
    return data


DELETE = object()


def only_error(data: dict[str, Any] | str) -> str:
    """Return the single error line of an invalid spec."""
    lines = errors_of(data)
    assert len(lines) == 1, lines
    return lines[0]


@pytest.mark.parametrize(
    "path", [*EXAMPLE_SPECS, *sorted(FIXTURES.glob("hostile-*.yaml"))], ids=lambda p: p.name
)
def test_example_specs_are_valid(path: Path) -> None:
    """Every shipped example and the hostile fixtures validate."""
    assert isinstance(load_spec(path), ProjectSpec)


def test_regime_enum_matches_the_catalogue() -> None:
    """The spec's regime enumeration is exactly the catalogue's ids."""
    assert tuple(r.value for r in RegimeId) == catalog.REGIME_IDS


def test_unknown_key_names_the_closest_key_and_line() -> None:
    """A typo in a key is refused with a suggestion, on the typo's line."""
    data = copy.deepcopy(BASE)
    data["titel"] = data.pop("title")
    line = only_error(data)
    assert re.fullmatch(
        r"spec\.yaml:\d+: titel: unknown key 'titel' — did you mean 'title'\?", line
    )


def test_unknown_nested_key_lists_allowed_keys() -> None:
    """An unknown key inside a section names the keys allowed there."""
    data = changed("owners.sponsor", "CFO")
    assert only_error(data).endswith(
        "owners.sponsor: unknown key 'sponsor'; allowed here: business, technical, operations"
    )


@pytest.mark.parametrize("key", ["none", "float", "list[...]", "function-after", "0\n"])
def test_an_odd_unknown_key_is_named_on_one_line(key: str) -> None:
    """An unknown key spelled like a pydantic union branch, or ending in a newline, is named."""
    data = copy.deepcopy(BASE)
    data[key] = 1
    line = only_error(data)
    assert re.match(r"spec\.yaml:\d+: \S+: unknown key ", line) and "\n" not in line
    assert key.strip() in line


def test_missing_field_says_what_to_give() -> None:
    """A missing required field explains what belongs there."""
    line = only_error(changed("success_metrics.0.target", DELETE))
    assert line.endswith(
        "success_metrics.0.target: field required — give the number that counts as success"
    )


@pytest.mark.parametrize(
    "section",
    [
        "schema_version",
        "name",
        "title",
        "summary",
        "kind",
        "business_goal",
        "owners",
        "users",
        "success_metrics",
        "regulatory",
        "acceptance_criteria",
    ],
)
def test_required_sections(section: str) -> None:
    """Each required top-level key is refused when missing."""
    assert f": {section}: field required" in only_error(changed(section, DELETE))


@pytest.mark.parametrize(
    "section", ["operating_boundary", "data_dependencies", "inputs", "monitoring", "budget"]
)
def test_optional_sections(section: str) -> None:
    """The optional sections may be left out (with what refers to them)."""
    data = changed(section, DELETE)
    for item in data.get("inputs") or []:
        if section == "data_dependencies":
            item.pop("source", None)
    assert errors_of(data) == []


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("business_goal.non_goals", DELETE),
        ("users.0.needs", DELETE),
        ("success_metrics.0.baseline", None),
        ("regulatory.regimes", []),
    ],
)
def test_optional_fields(path: str, value: Any) -> None:
    """Non-goals, needs and baselines are optional; regimes may be the empty answer."""
    data = changed(path, value)
    if path == "regulatory.regimes":
        data["regulatory"].pop("eu_ai_act_risk")
    assert errors_of(data) == []


@pytest.mark.parametrize("section", ["users", "success_metrics", "acceptance_criteria"])
def test_lists_need_one_entry(section: str) -> None:
    """Users, metrics and criteria need at least one entry."""
    assert only_error(changed(section, [])).endswith(f"{section}: must list at least one entry")


def test_regimes_are_required_even_if_empty() -> None:
    """Leaving regimes out is refused: [] is the explicit answer."""
    assert "regulatory.regimes: field required" in only_error(changed("regulatory.regimes", DELETE))


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ("success_metrics", "success_metrics: metric id 'M-1' appears twice; ids must be unique"),
        ("acceptance_criteria", "acceptance_criteria: criterion id 'AC-1' appears twice"),
        ("users", "users: role 'adjuster' appears twice"),
    ],
)
def test_duplicate_ids(section: str, message: str) -> None:
    """Ids and roles must be unique."""
    data = copy.deepcopy(BASE)
    data[section].append(copy.deepcopy(data[section][0]))
    assert message in only_error(data)


def test_ids_that_become_the_same_test_name_are_duplicates() -> None:
    """AC-1 and ac_1 would give the same test name, so they count as the same id."""
    data = copy.deepcopy(BASE)
    data["acceptance_criteria"][1]["id"] = "ac_1"
    assert "'ac_1' appears twice (same as 'AC-1' once made an identifier)" in only_error(data)


def test_metric_reference_must_resolve() -> None:
    """A criterion's metric must name a defined metric; the error points at that field."""
    line = only_error(changed("acceptance_criteria.0.metric", "M-9"))
    assert re.fullmatch(
        r"spec\.yaml:\d+: acceptance_criteria\.0\.metric: 'M-9' names no success metric; "
        r"use one of: M-1, M-2",
        line,
    )


def test_eu_ai_act_needs_a_risk_tier() -> None:
    """Listing the EU AI Act without a risk tier is refused."""
    assert "eu_ai_act_risk is required when eu-ai-act is listed" in only_error(
        changed("regulatory.eu_ai_act_risk", DELETE)
    )


def test_unacceptable_risk_is_refused_with_the_reason() -> None:
    """The prohibited tier is refused and explained."""
    line = only_error(changed("regulatory.eu_ai_act_risk", "unacceptable"))
    assert "prohibited practice under EU AI Act Art. 5" in line
    assert line.startswith("spec.yaml:") and ": regulatory: " in line


def test_risk_tier_without_the_regime_is_refused() -> None:
    """A risk tier without eu-ai-act in regimes is an inconsistency."""
    data = changed("regulatory.regimes", ["gdpr"])
    assert "eu_ai_act_risk is set but eu-ai-act is not in regimes" in only_error(data)


def test_retention_below_a_regime_minimum_is_refused() -> None:
    """Retention shorter than PCI DSS's year names the regime, the floor and the citation."""
    data = changed("regulatory.regimes", ["pci-dss"])
    data["regulatory"].pop("eu_ai_act_risk")
    data["regulatory"]["retention_days"] = 300
    line = only_error(data)
    assert "retention_days 300 is below the 365 days PCI DSS requires" in line


def test_retention_at_the_minimum_is_accepted() -> None:
    """Exactly the minimum is enough."""
    data = changed("regulatory.retention_days", 183)
    assert errors_of(data) == []


@pytest.mark.parametrize(
    "name",
    [
        "Claims",
        "claims triage",
        "../etc",
        "a/b",
        "a\\b",
        "ab",
        "x" * 51,
        "claims--triage",
        "-claims",
        "claims-",
        "1claims",
        "clai.ms",
    ],
)
def test_name_must_be_a_slug(name: str) -> None:
    """Names that are not slugs (or could escape a folder) are refused with the rule."""
    line = only_error(changed("name", name))
    assert ": name: " in line and "slug of lowercase letters" in line


@pytest.mark.parametrize("name", ["json", "typing", "email"])
def test_name_must_not_shadow_the_standard_library(name: str) -> None:
    """A package named like a standard module would break imports in the generated repo."""
    assert "reserved by Python" in only_error(changed("name", name))


@pytest.mark.parametrize("value", ["high", "4", True, [4], {"a": 1}, ".nan"])
def test_target_must_be_a_number(value: Any) -> None:
    """Targets must be plain numbers: no text, quoted numbers, booleans, lists or NaN."""
    data = changed("success_metrics.0.target", value)
    if value == ".nan":
        text = yaml.safe_dump(changed("success_metrics.0.target", 0.5), sort_keys=False)
        text = text.replace("target: 0.5", "target: .nan")
        assert "success_metrics.0.target" in only_error(text)
        return
    line = only_error(data)
    assert "success_metrics.0.target: " in line


def test_number_error_text() -> None:
    """The message for a word where a number belongs says what to write."""
    assert only_error(changed("success_metrics.0.target", "high")).endswith(
        'success_metrics.0.target: "high" is not a number; write a plain number such as 4 or 0.95'
    )


@pytest.mark.parametrize("value", [1.5, -0.1])
def test_confidence_within_zero_and_one(value: float) -> None:
    """The review threshold is a confidence between 0 and 1."""
    assert "operating_boundary.review_below_confidence" in only_error(
        changed("operating_boundary.review_below_confidence", value)
    )


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (
            "kind",
            "api",
            "kind: \"api\" is not allowed; it must be 'service', 'pipeline', 'assistant' or "
            "'agent'",
        ),
        ("acceptance_criteria.0.layer", "system", "it must be 'unit', 'integration' or 'e2e'"),
        ("success_metrics.0.direction", "up", "it must be 'increase' or 'decrease'"),
        (
            "regulatory.data_classes",
            ["secret"],
            'regulatory.data_classes.0: "secret" is not allowed',
        ),
        ("regulatory.regimes", ["hippa"], 'regulatory.regimes.0: "hippa" is not allowed'),
    ],
)
def test_enumerations(path: str, value: Any, expected: str) -> None:
    """Enumerated fields name the value given and the values allowed."""
    data = changed(path, value)
    if path == "regulatory.regimes":
        data["regulatory"].pop("eu_ai_act_risk")
    assert expected in only_error(data)


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        ("title", "Two\nlines", "title: must fit on one line"),
        ("summary", "bell \x07 here", "summary: contains the control character U+0007; remove it"),
        (
            "title",
            "Claims \u202egnitirw",
            "title: contains the bidirectional control character U+202E",
        ),
        (
            "users.1.description",
            "isolated \u2066x\u2069",
            "users.1.description: contains the bidirectional control character U+2066",
        ),
        (
            "acceptance_criteria.0.then",
            "embedded \u202a",
            "acceptance_criteria.0.then: contains the bidirectional control character U+202A",
        ),
        ("summary", "   ", "summary: must not be blank"),
        ("users.0.role", "Adjuster Team", 'users.0.role: "Adjuster Team" is not allowed'),
        ("monitoring.drift_features", ["claim amount"], "monitoring.drift_features.0:"),
        ("monitoring.drift_features", ["a", "a"], "drift feature 'a' appears twice"),
        ("budget.monthly_usd", -5, "budget.monthly_usd"),
        ("schema_version", 2, "schema_version: 2 is not allowed; it must be 1"),
    ],
)
def test_field_rules(path: str, value: Any, expected: str) -> None:
    """Text, slugs, features and numbers follow their rules, each with a clear message."""
    assert expected in only_error(changed(path, value))


@pytest.mark.parametrize("code", [*range(0x202A, 0x202F), *range(0x2066, 0x206A)])
def test_every_bidirectional_control_is_refused(code: int) -> None:
    """Embeddings, overrides and isolates are refused in free text, naming the field."""
    error = only_error(changed("summary", f"text {chr(code)} more"))
    assert f"summary: contains the bidirectional control character U+{code:04X}" in error


def test_right_to_left_text_and_marks_are_accepted() -> None:
    """Right-to-left script and direction marks (LRM, RLM, ALM) are ordinary text."""
    assert errors_of(changed("summary", "مرحبا \u200f עברית \u200e mixed \u061c text")) == []


def test_all_errors_are_reported_in_file_order() -> None:
    """Several problems give several lines, sorted by line, each naming file, line and field."""
    data = changed("kind", "api")
    data["titel"] = "x"
    data["success_metrics"][1]["target"] = "lots"
    lines = errors_of(data)
    assert len(lines) == 3
    numbers = [int(line.split(":")[1]) for line in lines]
    assert numbers == sorted(numbers)
    assert all(LINE.match(line) for line in lines), lines


def test_error_line_points_at_the_value() -> None:
    """The line number is the line of the offending value in the file."""
    text = (SPECS / "claims-triage.yaml").read_text(encoding="utf-8")
    text = text.replace("target: 0.95", "target: ninety")
    expected = next(n for n, row in enumerate(text.splitlines(), 1) if "target: ninety" in row)
    assert only_error(text).startswith(f"spec.yaml:{expected}: success_metrics.1.target:")


def test_load_spec_names_the_file(tmp_path: Path) -> None:
    """Errors from a file carry the file's path."""
    path = tmp_path / "bad.yaml"
    path.write_text("schema_version: 1\n", encoding="utf-8")
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    assert all(line.startswith(f"{path}:") for line in caught.value.lines)


def test_missing_file_is_a_spec_error(tmp_path: Path) -> None:
    """A file that does not exist is reported, not raised as OSError."""
    with pytest.raises(SpecError, match="cannot read the file"):
        load_spec(tmp_path / "nope.yaml")


def test_users_can_defaults_to_request_and_read() -> None:
    """A role that says nothing may request decisions and read them, nothing more."""
    spec = ProjectSpec.model_validate(changed("users.0.can", DELETE))
    assert spec.users[0].can == ["request", "read"]


def test_unknown_permission_is_refused_on_its_line() -> None:
    """A permission outside the vocabulary is refused, naming the line, field and choices."""
    message = only_error(changed("users.0.can", ["read", "approve"]))
    assert re.match(r"^spec\.yaml:\d+: users\.0\.can\.1: ", message), message
    assert '"approve" is not allowed' in message and "review" in message


def test_a_permission_listed_twice_is_refused() -> None:
    """Each permission is listed once."""
    assert "appears twice" in only_error(changed("users.0.can", ["read", "read"]))


def _with_inputs(inputs: list[dict[str, Any]], drift: list[str] | None = None) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    data["inputs"] = inputs
    data["monitoring"]["drift_features"] = drift if drift is not None else []
    return data


def test_the_normative_example_with_inputs_and_can_is_valid() -> None:
    """The spec-example beside DESIGN.md, inputs and users[].can included, validates."""
    spec = load_spec(SPECS / "claims-triage.yaml")
    assert spec.inputs is not None
    assert [i.type for i in spec.inputs] == ["number", "category", "text"]


@pytest.mark.parametrize(
    ("inputs", "expected"),
    [
        ([{"name": "a", "type": "text", "min": 1}], "min and max apply to number and integer"),
        ([{"name": "a", "type": "number", "min": 5, "max": 1}], "min 5 is above max 1"),
        ([{"name": "a", "type": "integer", "max": 2.5}], "whole-number bounds"),
        ([{"name": "a", "type": "category"}], "a category input lists its values"),
        ([{"name": "a", "type": "category", "values": []}], "a category input lists its values"),
        ([{"name": "a", "type": "category", "values": ["x", "x"]}], "appears twice"),
        ([{"name": "a", "type": "number", "values": ["x"]}], "values apply to category inputs"),
        ([{"name": "Bad-Name", "type": "text"}], "is not allowed"),
        ([{"name": "class", "type": "text"}], "reserved by Python"),
        ([{"name": "a", "type": "text"}, {"name": "a", "type": "number"}], "appears twice"),
        ([{"name": "a", "type": "text", "required": "yes"}], "inputs.0.required"),
        ([{"name": "a", "type": "decimal"}], "is not allowed"),
    ],
)
def test_input_rules(inputs: list[dict[str, Any]], expected: str) -> None:
    """Each input rule refuses its case with a line naming the field."""
    message = only_error(_with_inputs(inputs))
    assert expected in message, message
    assert re.match(r"^spec\.yaml:\d+: (\(top\): )?inputs", message), message


def test_an_input_source_must_name_a_data_dependency() -> None:
    """An input's source names a data dependency; the error names the source's line."""
    message = only_error(_with_inputs([{"name": "a", "type": "text", "source": "nowhere"}]))
    assert re.match(r"^spec\.yaml:\d+: inputs\.0\.source: 'nowhere' names no data", message)


def test_drift_features_must_name_inputs_when_inputs_exist() -> None:
    """With inputs, drift is watched on inputs only; the feature's line is named."""
    message = only_error(_with_inputs([{"name": "a", "type": "number"}], drift=["a", "b"]))
    assert re.match(r"^spec\.yaml:\d+: monitoring\.drift_features\.1: 'b' names no input", message)


def test_without_inputs_drift_features_stay_free() -> None:
    """Specs without inputs behave as before: drift features are plain names."""
    data = changed("inputs", DELETE)
    data["monitoring"]["drift_features"] = ["anything_at_all"]
    assert errors_of(data) == []
