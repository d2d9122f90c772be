"""Unit tests for each pipeline step on the sample data."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from ..package import (
    FIELDS,
    HEALTH_DATA,
    KEY,
    LINE,
    NAMES,
    REASON,
    ContractError,
    project,
    pseudonymise,
    steps,
)


def test_ingest_hashes_the_file_and_reads_every_row_in_chunks(sample_path: Path) -> None:
    """Every data row comes back, in chunks of the size asked for, and the hash is the file's."""
    extract = steps.ingest(sample_path)
    lines = sample_path.read_text(encoding="utf-8").strip().splitlines()
    chunks = list(extract.chunks(rows=50))
    assert len(chunks) > 1 and all(chunk.height <= 50 for chunk in chunks)
    assert sum(chunk.height for chunk in chunks) == len(lines) - 1
    assert extract.sha256 == hashlib.sha256(sample_path.read_bytes()).hexdigest()


def test_validate_quarantines_the_sample_bad_rows(sample_path: Path) -> None:
    """The sample's three bad rows are quarantined, each with a reason."""
    validated = steps.validate(steps.ingest(sample_path))
    assert validated.quarantined.height == 3
    assert all(validated.quarantined.get_column(REASON).to_list())


def test_validate_gives_the_same_result_whatever_the_chunk_size(sample_path: Path) -> None:
    """Reading in chunks changes nothing: the same rows pass, the same are quarantined."""
    extract = steps.ingest(sample_path)
    whole, chunked = steps.validate(extract), steps.validate(extract, rows=7)
    assert whole.records.equals(chunked.records)
    assert whole.quarantined.equals(chunked.quarantined)


def test_a_repeated_key_is_quarantined_even_in_another_chunk(
    sample_path: Path, tmp_path: Path
) -> None:
    """The first row with a key wins; later ones are quarantined as duplicates."""
    frame = pl.read_csv(sample_path, infer_schema=False)
    doubled = pl.concat([frame, frame.head(1)])
    path = tmp_path / "doubled.csv"
    doubled.write_csv(path)
    validated = steps.validate(steps.ingest(path), rows=50)
    last = validated.quarantined.filter(pl.col(LINE) == doubled.height + 1)
    assert last.get_column(REASON).to_list() == [f"{KEY}: duplicate key"]


def test_a_malformed_extract_fails_without_quoting_its_lines(
    sample_path: Path, tmp_path: Path
) -> None:
    """A line with more fields than the header is a contract error that echoes no data."""
    path = tmp_path / "ragged.csv"
    header = ",".join(NAMES)
    path.write_text(f"{header}\n" + ",".join(["SECRET-VALUE"] * (len(NAMES) + 2)) + "\n")
    with pytest.raises(ContractError, match="not well-formed CSV") as raised:
        steps.validate(steps.ingest(path))
    assert "SECRET-VALUE" not in str(raised.value)


def test_transform_holds_out_every_nth_record(records: pl.DataFrame) -> None:
    """The split is deterministic and disjoint."""
    split = steps.transform(records)
    every = int(project.pipeline()["holdout_every"])
    assert split.holdout.height == records.height // every
    assert split.train.height + split.holdout.height == records.height
    assert set(split.train.get_column(KEY)).isdisjoint(split.holdout.get_column(KEY))


def test_train_gives_the_same_model_version_for_the_same_data(records: pl.DataFrame) -> None:
    """Training and the model file are deterministic, so the version identifies the model."""
    split = steps.transform(records)
    assert steps.train(split.train).version == steps.train(split.train).version


def test_score_gives_one_score_per_record(records: pl.DataFrame) -> None:
    """Every record gets a score under its key; classification scores lie in [0, 1]."""
    model = steps.train(records)
    scores = steps.score(model, records)
    assert scores.get_column(KEY).to_list() == records.get_column(KEY).to_list()
    if model.task == "classification":
        assert scores.get_column("score").is_between(0.0, 1.0).all()


def test_scoring_in_chunks_gives_the_same_scores(records: pl.DataFrame) -> None:
    """Predicting a few rows at a time changes no score (beyond the last bits of BLAS sums)."""
    model = steps.train(records)
    chunked, whole = steps.predict(model, records, rows=9), steps.predict(model, records)
    np.testing.assert_allclose(chunked, whole, rtol=1e-9, atol=1e-12)


def test_publish_writes_the_scores_keep_candidate_the_model_and_its_gate(
    records: pl.DataFrame, sample_path: Path, tmp_path: Path
) -> None:
    """Scores, the kept candidate (model and gate) and the quarantine are separate files."""
    split = steps.transform(records)
    model = steps.train(split.train)
    gate = steps.evaluate(model, split)
    scores = steps.publish(tmp_path, gate=gate, scores=steps.score(model, records))
    kept = steps.keep_candidate(tmp_path, model, gate)
    quarantine = steps.write_quarantine(
        tmp_path, steps.validate(steps.ingest(sample_path)).quarantined, b"test-salt"
    )
    assert scores.name == "scores.csv" and quarantine.name == "quarantine.csv"
    assert sorted(p.name for p in kept) == sorted([f"model-{model.version}.skops", "gate.json"])


@pytest.mark.parametrize("cell", ["=1+2", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_a_cell_a_spreadsheet_would_run_is_neutralised(cell: str) -> None:
    """A leading apostrophe makes formula-like cells plain text."""
    assert steps.neutralise(cell) == "'" + cell
    assert pl.select(steps.neutralised(pl.lit(cell))).item() == "'" + cell


@pytest.mark.parametrize("cell", ["", "abc", "1.5", "a=b"])
def test_other_cells_are_kept(cell: str) -> None:
    """Cells that are not formulas are written as they are."""
    assert steps.neutralise(cell) == cell
    assert pl.select(steps.neutralised(pl.lit(cell))).item() == cell


def test_a_quarantined_row_keeps_its_line_and_reason_and_hides_identifiers() -> None:
    """Identifying and personal values become keyed pseudonyms; the line and reason stay."""
    row = {LINE: 7, REASON: "x: missing value", **{f.name: f"value-of-{f.name}" for f in FIELDS}}
    (written,) = steps.quarantine_rows(pl.DataFrame([row]), b"k").to_dicts()
    assert (written[LINE], written[REASON]) == ("7", "x: missing value")
    for f in FIELDS:
        value = f"value-of-{f.name}"
        expected = pseudonymise(value, b"k") if f.hidden else "" if f.withheld else value
        assert written[f.name] == expected


@pytest.mark.skipif(not HEALTH_DATA, reason="spec.yaml lists no health data")
def test_the_quarantine_keeps_no_raw_health_value() -> None:
    """With health data, no value of a quarantined row is written raw: line and reason only."""
    row = {LINE: 7, REASON: "x: missing value", **{f.name: f"raw-{f.name}" for f in FIELDS}}
    (written,) = steps.quarantine_rows(pl.DataFrame([row]), b"k").to_dicts()
    assert not any(str(cell).startswith("raw-") for cell in written.values()), written
