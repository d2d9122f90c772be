"""Integration tests: the steps chained on the sample data, the gate and its alert."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from ..package import (
    ALERT_ACTION,
    FIELDS,
    KEY,
    LABEL,
    NAMES,
    AuditStore,
    Settings,
    pseudonymise,
    run,
    steps,
)
from tests.support import run_with_an_approved_model


def _rows(settings: Settings) -> list[dict[str, str]]:
    with settings.input_path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _extract(tmp_path: Path, rows: list[dict[str, str]]) -> Path:
    path = tmp_path / "in.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(NAMES))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_the_sample_run_scores_every_valid_row(settings: Settings) -> None:
    """With an approved model every valid row gets a score; quarantined rows have reasons."""
    outcome = run_with_an_approved_model(settings)
    with (outcome.out_dir / "scores.csv").open(encoding="utf-8") as handle:
        scores = list(csv.DictReader(handle))
    assert len(scores) == outcome.record.rows_valid
    with (outcome.out_dir / "quarantine.csv").open(encoding="utf-8") as handle:
        assert [row["reason"] for row in csv.DictReader(handle)] == [
            q["reason"] for q in outcome.record.quarantined
        ]
    assert not (outcome.out_dir / "work").exists()


def test_a_row_missing_its_key_is_quarantined_and_the_rest_scored(
    settings: Settings, tmp_path: Path
) -> None:
    """One bad row does not stop the others."""
    rows = _rows(settings)[:40]
    rows[0][KEY] = ""
    outcome = run(settings, input_path=_extract(tmp_path, rows))
    assert outcome.record.quarantined[0]["reason"] == f"{KEY}: missing value"
    assert outcome.record.rows_valid == 39


def test_values_breaking_the_typed_contract_are_quarantined_with_the_reason(
    settings: Settings, tmp_path: Path
) -> None:
    """Out-of-range numbers, unknown categories, NaN and infinities are quarantined by input."""
    rows = _rows(settings)[:60]
    broken: dict[int, str] = {}
    for f in FIELDS:
        index = 2 + len(broken)
        if f.maximum is not None and f.type in {"int", "float"}:
            above = f.maximum + abs(f.maximum) + 1
            rows[index][f.name] = str(int(above) if f.type == "int" else above)
        elif f.minimum is not None and f.type in {"int", "float"}:
            below = f.minimum - abs(f.minimum) - 1
            rows[index][f.name] = str(int(below) if f.type == "int" else below)
        elif f.values is not None:
            rows[index][f.name] = "-".join([*f.values, "unknown"])[:200]
        elif f.type == "float" and f.role != "label":
            rows[index][f.name] = "NaN"
        else:
            continue
        broken[index] = f.name
    if not broken:
        pytest.skip("the contract has no bounded, listed or float input to break")
    outcome = run(settings, input_path=_extract(tmp_path, rows))
    reasons = {q["line"]: q["reason"] for q in outcome.record.quarantined}
    assert {line - 2: reason.split(":")[0] for line, reason in reasons.items()} == broken
    assert outcome.record.rows_valid == len(rows) - len(broken)


def test_a_failed_gate_publishes_nothing_and_raises_an_alert(
    settings: Settings, store: AuditStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When a target is missed, no scores are written, an alert is raised and the metric says so."""
    failed = steps.GateResult([steps.Check("recall", "M-x", 0.5, 0.9, "increase", False)])
    monkeypatch.setattr(steps, "evaluate", lambda model, split: failed)
    outcome = run(settings)
    assert not outcome.ok and outcome.record.outcome == "gate-failed"
    assert not (outcome.out_dir / "scores.csv").exists()
    assert [r.action for r in store.records(action=ALERT_ACTION)] == [ALERT_ACTION]
    assert list((settings.output_dir / "alerts").iterdir())
    assert "_gate_passed 0.0" in outcome.metrics_path.read_text(encoding="utf-8")


def test_a_broken_input_fails_the_run_with_a_reason(settings: Settings, tmp_path: Path) -> None:
    """A file without the contract's columns fails the run and is still recorded."""
    path = tmp_path / "bad.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    outcome = run(settings, input_path=path)
    assert outcome.record.outcome == "error" and "missing contract fields" in str(
        outcome.record.error
    )


def test_the_quarantine_file_holds_no_raw_identifier_and_no_formula(
    settings: Settings, tmp_path: Path
) -> None:
    """Identifying and personal values are pseudonymised, cells are inert, the reason stays."""
    rows = _rows(settings)
    hostile = {
        f.name: f'=HYPERLINK("http://x.test/{f.name}")RAW-{f.name}' if f.hidden else "=1+2"
        for f in FIELDS
    }
    hostile[LABEL] = ""  # a missing label quarantines the row
    outcome = run(settings, input_path=_extract(tmp_path, [*rows, hostile]))
    assert outcome.awaiting_approval, outcome.summary()  # the quarantine is written anyway
    quarantine = outcome.out_dir / "quarantine.csv"
    assert "RAW-" not in quarantine.read_text(encoding="utf-8")
    with quarantine.open(encoding="utf-8") as handle:
        written = list(csv.DictReader(handle))
    assert [row["reason"] for row in written] == [q["reason"] for q in outcome.record.quarantined]
    source = [*rows, hostile]
    for row in written:
        assert not any(cell.startswith(steps.FORMULA_STARTS) for cell in row.values()), row
        raw = source[int(row["line"]) - 2]
        for f in FIELDS:
            if f.hidden and raw[f.name].strip():
                assert row[f.name] == steps.neutralise(pseudonymise(raw[f.name], settings.salt))
    for f in FIELDS:
        if not f.hidden and f.name != LABEL:  # health data: no raw value is kept at all
            assert written[-1][f.name] == ("" if f.withheld else "'=1+2"), f.name
