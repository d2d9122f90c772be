"""Unit tests for the pipeline render context: contract fields, types, task and sample data."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import Any

import pytest

from generator.render.contract import infer_type, parse_contract_names
from generator.render.pipeline import label_scale, pipeline_context
from generator.render.samples import SAMPLE_ROWS
from generator.spec import ProjectSpec, gate_entry, gate_of, load_spec, measure_of
from tests.conftest import FIXTURES, SPECS


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("CSV (a_id, age, amount)", [("a_id", None), ("age", None), ("amount", None)]),
        ("v2 (x: int, y: float)", [("x", "int"), ("y", "float")]),
        ("$(touch /tmp/p) (Bad Name, ok_name)", [("ok_name", None)]),
        ("x (touch /tmp/p)", []),
        ("no fields here", []),
    ],
)
def test_parse_contract_names_keeps_only_identifiers(
    text: str, expected: list[tuple[str, str | None]]
) -> None:
    """Field names come from the first parenthesised group with valid identifiers."""
    assert parse_contract_names(text) == expected


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("patient_id", "str"),
        ("age", "int"),
        ("onset_days", "int"),
        ("claim_amount", "float"),
        ("is_active", "bool"),
        ("report_date", "date"),
        ("channel", "str"),
    ],
)
def test_infer_type_from_the_name(name: str, kind: str) -> None:
    """Common field names get a sensible type."""
    assert infer_type(name) == kind


def test_a_spec_without_data_dependencies_gets_the_default_contract() -> None:
    """The minimal spec still gets a key, features and a label."""
    context = pipeline_context(load_spec(SPECS / "weekly-demand-forecast.yaml"))
    roles = {f["role"] for f in context["fields"]}
    assert {"key", "feature", "label"} <= roles
    assert context["task"] == "regression"


def test_classification_gate_from_a_recall_metric() -> None:
    """A recall metric makes a classification task gated on recall."""
    context = pipeline_context(load_spec(SPECS / "trial-safety-signals.yaml"))
    assert context["task"] == "classification"
    assert context["gate"] == [{"metric": "M-2", "measure": "recall", "scale": 1.0}]
    assert context["approval_required"] is True


@pytest.mark.parametrize(
    ("measure", "target", "direction", "unit", "scale"),
    [
        ("recall", 0.9, "increase", "ratio", 1.0),
        ("recall", 95, "increase", "%", 0.01),
        ("accuracy", 1, "increase", "share of cases", 1.0),
        ("accuracy", 80, "increase", "percent of cases", 0.01),
        ("f1", 0, "increase", "ratio", 1.0),
        ("mape", 12, "decrease", "%", 0.01),
        ("mae", 4, "decrease", "hours", 1.0),
        ("rmse", 1e-6, "decrease", "units", 1.0),
        ("auroc", 0.85, "increase", "ratio", 1.0),
        ("specificity", 80, "increase", "%", 0.01),
        ("npv", 0.9, "increase", "ratio", 1.0),
    ],
)
def test_a_target_that_can_mean_its_measure_is_gated(
    measure: str, target: float, direction: str, unit: str, scale: float
) -> None:
    """Ratios in 0..1 (or percent), errors that decrease to a positive target are gated."""
    entry = gate_entry("M-1", measure, target, direction, unit)
    assert entry == {"metric": "M-1", "measure": measure, "scale": scale}


@pytest.mark.parametrize(
    ("measure", "target", "direction", "unit"),
    [
        ("recall", 7, "increase", "ratio"),
        ("recall", 0.9, "decrease", "ratio"),
        ("precision", -0.1, "increase", "ratio"),
        ("accuracy", 101, "increase", "%"),
        ("mae", 4, "increase", "hours"),
        ("mae", 0, "decrease", "hours"),
        ("rmse", -3, "decrease", "units"),
        ("mape", 0.0001, "decrease", "ratio"),
        ("mae", 1e12, "decrease", "USD"),
    ],
)
def test_a_target_that_cannot_mean_its_measure_is_not_gated(
    measure: str, target: float, direction: str, unit: str
) -> None:
    """A recall of 7 or an error that should rise is left to production, not gated."""
    assert gate_entry("M-1", measure, target, direction, unit) is None


@pytest.mark.parametrize(
    ("name", "unit", "measure"),
    [
        ("AUROC on held-out admissions", "ratio", "auroc"),
        ("Area under the ROC curve", "ratio", "auroc"),
        ("Specificity at the alerting threshold", "%", "specificity"),
        ("Sensitivity within 6 hours", "ratio", "recall"),
        ("Positive predictive value of alerts", "ratio", "precision"),
        ("Negative predictive value", "ratio", "npv"),
        ("Recalls of signals", "ratio", "recall"),
        ("Mean time to process claims", "hours", None),
        ("Procurement cost per order", "USD", None),
    ],
)
def test_a_metric_names_a_measure_by_whole_words(name: str, unit: str, measure: str | None) -> None:
    """Measures are found as whole words: "roc" in "process" names nothing."""
    assert measure_of(name, unit) == measure


def test_every_target_a_criterion_names_is_gated_when_it_can_be() -> None:
    """AUROC, specificity and sensitivity targets that criteria name are all in the gate."""
    _, gate, named = gate_of(load_spec(FIXTURES / "sepsis-early-warning.yaml"))
    assert {e["metric"] for e in gate} == {"M-AUROC", "M-SPEC", "M-SENS"}
    assert [(e["metric"], e["gated"]) for e in named] == [
        ("M-AUROC", True),
        ("M-SPEC", True),
        ("M-SENS", True),
    ]


def test_a_named_target_the_gate_cannot_measure_carries_the_reason() -> None:
    """A criterion naming an operational metric (median days) is not gated, and says why."""
    data = load_spec(SPECS / "trial-safety-signals.yaml").model_dump(mode="json")
    data["acceptance_criteria"][0]["metric"] = "M-1"
    (entry,) = [e for e in gate_of(ProjectSpec.model_validate(data))[2] if e["metric"] == "M-1"]
    assert entry["gated"] is False and "names no measure" in entry["reason"]


def test_labels_are_scaled_to_the_strictest_error_target() -> None:
    """The sample's labels shrink to the smallest MAE/RMSE target; MAPE sets the noise."""
    gate = [
        {"metric": "A", "measure": "mae", "scale": 1.0},
        {"metric": "B", "measure": "rmse", "scale": 1.0},
        {"metric": "C", "measure": "mape", "scale": 0.01},
    ]
    scale, noise = label_scale(gate, {"A": 40.0, "B": 2.0, "C": 1.0})
    assert scale == pytest.approx(0.5)
    assert noise == pytest.approx(0.25)
    assert label_scale([], {}) == (1.0, 1.0)


@pytest.mark.parametrize(
    "spec", [SPECS / "trial-safety-signals.yaml", FIXTURES / "hostile-pipeline.yaml"]
)
def test_sample_data_has_the_contract_header_and_three_bad_rows(spec: Path) -> None:
    """The sample holds the good rows, three bad rows, and unique keys."""
    context = pipeline_context(load_spec(spec))
    rows = list(csv.DictReader(io.StringIO(context["sample_csv"])))
    assert len(rows) == SAMPLE_ROWS + 3
    keys = [r[context["key"]] for r in rows if r[context["key"]]]
    assert len(keys) == len(set(keys))


def test_drift_features_join_the_contract() -> None:
    """A drift feature the contract does not name is added as a number."""
    context = pipeline_context(load_spec(FIXTURES / "hostile-pipeline.yaml"))
    names = {f["name"]: f for f in context["fields"]}
    assert names["amount"]["type"] == "float" and names["class"]["role"] == "feature"


def _spec(**changes: Any) -> ProjectSpec:
    """The minimal pipeline spec with some sections replaced."""
    data = load_spec(SPECS / "weekly-demand-forecast.yaml").model_dump(mode="json")
    return ProjectSpec.model_validate({**data, **changes})


def _rows(context: dict[str, Any]) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(context["sample_csv"])))


def _dependency(contract: str) -> list[dict[str, str]]:
    return [{"name": "extract", "owner": "Data team", "contract": contract}]


@pytest.mark.parametrize("declared", ["float", "int", "bool", "date"])
def test_keys_and_identifiers_are_text_whatever_the_contract_text_declares(declared: str) -> None:
    """A key declared as a number still gets sample keys such as R00001, which pass as text."""
    spec = _spec(data_dependencies=_dependency(f"CSV extract (patient_id {declared}, x: float)"))
    context = pipeline_context(spec)
    (key,) = [f for f in context["fields"] if f["role"] == "key"]
    assert (key["name"], key["type"]) == ("patient_id", "str")
    assert all(row["patient_id"] for row in _rows(context)[:SAMPLE_ROWS])


def test_typed_inputs_make_the_contract() -> None:
    """With inputs, the fields are the inputs (typed, bounded, listed, flagged), a key and a label."""
    context = pipeline_context(load_spec(SPECS / "trial-safety-signals.yaml"))
    fields = {f["name"]: f for f in context["fields"]}
    assert list(fields) == [
        "report_id",
        "patient_id",
        "age",
        "drug_code",
        "seriousness",
        "onset_days",
        "label",
    ]
    assert fields["report_id"]["role"] == "key"  # from the contract text: no input is a key
    assert fields["patient_id"]["role"] == "identifier"
    assert fields["patient_id"]["personal"] is True
    assert (fields["age"]["type"], fields["age"]["min"], fields["age"]["max"]) == ("int", 0, 120)
    assert fields["seriousness"]["values"] == [
        "non-serious",
        "serious",
        "life-threatening",
        "fatal",
    ]
    assert fields["onset_days"]["input_type"] == "integer"


def test_the_sample_respects_types_bounds_and_categories() -> None:
    """Every good sample row holds values its typed input accepts."""
    spec = _spec(
        inputs=[
            {"name": "heart_rate", "type": "number", "min": 30, "max": 220},
            {"name": "visits", "type": "integer", "min": 0, "max": 12},
            {"name": "ward", "type": "category", "values": ["icu", "general", "day"]},
            {"name": "urgent", "type": "boolean"},
            {"name": "note", "type": "text", "required": False},
        ]
    )
    context = pipeline_context(spec)
    rows = _rows(context)[:SAMPLE_ROWS]
    rates = [float(r["heart_rate"]) for r in rows]
    assert all(30 <= v <= 220 and math.isfinite(v) for v in rates)
    assert {int(r["visits"]) for r in rows} <= set(range(13))
    assert {r["ward"] for r in rows} <= {"icu", "general", "day"}
    assert {r["urgent"] for r in rows} == {"true", "false"}
    assert any(r["note"] == "" for r in rows) and any(r["note"] for r in rows)
    assert max(rates) - min(rates) > 20  # plausible spread, not a constant


def test_the_sample_has_bad_rows_the_typed_contract_refuses() -> None:
    """The three bad rows: a missing key, a value beyond its bound, a missing label."""
    spec = _spec(inputs=[{"name": "heart_rate", "type": "number", "min": 30, "max": 220}])
    context = pipeline_context(spec)
    first, second, third = _rows(context)[SAMPLE_ROWS:]
    assert first[context["key"]] == ""
    assert float(second["heart_rate"]) > 220
    assert third[context["label"]] == ""


def test_inputs_without_signal_get_a_placeholder_feature() -> None:
    """Identifiers alone cannot train a model: a numeric placeholder feature is added."""
    context = pipeline_context(_spec(inputs=[{"name": "customer_id", "type": "text"}]))
    roles = {f["name"]: f["role"] for f in context["fields"]}
    assert roles["customer_id"] == "identifier" and roles["feature_a"] == "feature"


def test_the_latency_objective_becomes_the_run_objective() -> None:
    """monitoring.latency_p95_ms is how long a run may take, in seconds; absent, none."""
    assert (
        pipeline_context(_spec(monitoring={"latency_p95_ms": 90000}))["run_objective_seconds"] == 90
    )
    assert pipeline_context(_spec())["run_objective_seconds"] is None


@pytest.mark.parametrize("low", [1.1030630849433408e-225, 1e-9, 0.00004])
def test_a_number_sampled_at_a_tiny_minimum_is_not_rounded_below_it(low: float) -> None:
    """Samples are rounded to 4 decimals only where the rounded value keeps the bounds."""
    import random

    from generator.render.samples import sample_value
    from generator.spec.optional import Input

    item = Input.model_validate({"name": "u", "type": "number", "min": low, "max": low * 2})
    rng = random.Random(7)
    values = [sample_value(item, rng) for _ in range(200)]
    assert all(low <= v <= low * 2 for v in values)
