"""Unit tests for the pipeline render context: contract parsing, types, task and sample data."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from generator.render.pipeline import (
    SAMPLE_ROWS,
    gate_entry,
    infer_type,
    label_scale,
    parse_contract_names,
    pipeline_context,
)
from generator.spec import load_spec
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
