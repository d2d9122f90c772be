"""Unit tests for the pipeline render context: contract parsing, types, task and sample data."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from generator.pipeline_context import (
    SAMPLE_ROWS,
    infer_type,
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
    assert context["gate"] == [{"metric": "M-2", "measure": "recall"}]
    assert context["approval_required"] is True


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
