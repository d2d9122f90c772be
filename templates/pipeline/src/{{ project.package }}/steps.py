"""The pipeline's steps as plain functions over polars frames, each testable on its own.

Ingest, validate, transform, train, score, evaluate (the gate) and publish; :mod:`.stages`
chains them into a run that the command line and the Airflow DAG share. Every step is
vectorised: the extract is read and checked in chunks of :data:`CHUNK_ROWS` rows, so memory
holds one raw chunk at a time plus the typed columns of the rows that passed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from . import drift, project
from .contract import (
    FIELDS,
    KEY,
    LABEL,
    LINE,
    NAMES,
    REASON,
    Checked,
    ContractError,
    check,
    check_header,
    empty_quarantine,
)
from .model import Model, fit
from .privacy import pseudonymise

CHUNK_ROWS = 100_000
"""Rows read, checked and scored at a time."""
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a cell as a formula."""
THRESHOLD = 0.5
"""A classification score at or above this is class 1."""


class GateError(RuntimeError):
    """Publishing was refused because the evaluation gate did not pass."""


@dataclass(frozen=True)
class Extract:
    """An input file whose header holds the contract's fields, with the file's SHA-256."""

    path: Path
    sha256: str

    def chunks(self, rows: int = CHUNK_ROWS) -> Iterator[pl.DataFrame]:
        """Yield the contract's columns as raw text, ``rows`` at a time, each row with its line.

        Raises:
            ContractError: the file is not well-formed CSV.
        """
        lazy = (
            pl.scan_csv(self.path, infer_schema=False, encoding="utf8")
            .select(NAMES)
            .with_row_index(LINE, offset=2)
        )
        try:
            yield from lazy.collect_batches(chunk_size=rows)
        except pl.exceptions.PolarsError as err:
            # polars' message may quote the offending line, which can hold personal data
            raise ContractError(
                f"{self.path.name} is not well-formed CSV (check quoting and the number of "
                f"fields per line): {type(err).__name__}"
            ) from err


@dataclass(frozen=True)
class Validated:
    """Typed rows that passed the contract, and raw rows quarantined with their reasons."""

    records: pl.DataFrame
    quarantined: pl.DataFrame

    @property
    def rows_in(self) -> int:
        """Return how many rows the extract held."""
        return self.records.height + self.quarantined.height


@dataclass(frozen=True)
class Split:
    """Training records and held-out records for evaluation."""

    train: pl.DataFrame
    holdout: pl.DataFrame


@dataclass(frozen=True)
class Check:
    """One gate check: a measured value against its target."""

    name: str
    metric: str | None
    value: float
    target: float
    direction: str
    passed: bool


@dataclass(frozen=True)
class GateResult:
    """The evaluation gate's outcome; ``passed`` only when every check passed."""

    checks: list[Check]
    untested_metrics: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """Tell whether every check passed."""
        return all(c.passed for c in self.checks)

    def failures(self) -> list[str]:
        """Describe each failed check in one line."""
        return [
            f"{c.metric or c.name} {c.name} {c.value:.3f} "
            f"{'<' if c.direction == 'increase' else '>'} target {c.target:g}"
            for c in self.checks
            if not c.passed
        ]

    def as_dict(self) -> dict[str, Any]:
        """Return the result as JSON-able data."""
        return {
            "passed": self.passed,
            "checks": [asdict(c) for c in self.checks],
            "untested_metrics": self.untested_metrics,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GateResult:
        """Read a result written by :meth:`as_dict`."""
        return cls([Check(**c) for c in data["checks"]], list(data.get("untested_metrics", [])))


@dataclass(frozen=True)
class DriftReport:
    """PSI per drift feature, and per category feature the share of values never seen."""

    psi: dict[str, float]
    unseen: dict[str, float]


def ingest(path: Path) -> Extract:
    """Hash a CSV extract and check that its header holds every contract field.

    Raises:
        OSError: the file cannot be read.
        ContractError: the header lacks contract fields or cannot be read.
    """
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    try:
        columns = pl.scan_csv(path, infer_schema=False, n_rows=0).collect_schema().names()
    except pl.exceptions.PolarsError as err:
        raise ContractError(f"{path.name} has no readable CSV header") from err
    check_header(columns)
    return Extract(path=path, sha256=digest.hexdigest())


def validate(extract: Extract, rows: int = CHUNK_ROWS) -> Validated:
    """Check every row against the contract, chunk by chunk; quarantine bad ones with the reason.

    A repeated key is quarantined too: the first row with a key wins.
    """
    passed: list[pl.DataFrame] = []
    refused: list[pl.DataFrame] = [empty_quarantine()]
    for chunk in extract.chunks(rows):
        checked: Checked = check(chunk)
        passed.append(checked.valid)
        refused.append(checked.quarantined)
    if not passed:
        return Validated(records=_empty_records(), quarantined=empty_quarantine())
    records = pl.concat(passed)
    first = records.get_column(KEY).is_first_distinct()
    if not first.all():
        duplicates = records.filter(~first)
        refused.append(
            duplicates.select(
                pl.col(LINE),
                pl.lit(f"{KEY}: duplicate key").alias(REASON),
                *(pl.col(name).cast(pl.String) for name in NAMES),
            )
        )
        records = records.filter(first)
    quarantined = pl.concat(refused).sort(LINE)
    return Validated(records=records.drop(LINE), quarantined=quarantined)


def _empty_records() -> pl.DataFrame:
    return pl.DataFrame(schema={f.name: f.dtype for f in FIELDS})


def transform(records: pl.DataFrame, holdout_every: int | None = None) -> Split:
    """Split records deterministically: every n-th record is held out for evaluation."""
    every = holdout_every or int(project.pipeline()["holdout_every"])
    held = (pl.int_range(pl.len()) + 1) % every == 0
    return Split(records.filter(~held), records.filter(held))


def train(records: pl.DataFrame, task: str | None = None) -> Model:
    """Fit the model and profile the drift features as its reference sample."""
    reference = {name: drift.profile(records.get_column(name)) for name in drift_features()}
    return fit(records, task or str(project.pipeline()["task"]), reference=reference)


def predict(model: Model, records: pl.DataFrame, rows: int = CHUNK_ROWS) -> npt.NDArray[np.float64]:
    """Predict every record, ``rows`` at a time (the encoded matrices stay small)."""
    if records.is_empty():
        return np.empty(0, dtype=np.float64)
    return np.concatenate(
        [model.predict(records.slice(start, rows)) for start in range(0, records.height, rows)]
    )


def score(model: Model, records: pl.DataFrame) -> pl.DataFrame:
    """Score records: the record key and the model's score (a probability or a value)."""
    return pl.DataFrame(
        {
            KEY: records.get_column(KEY),
            "score": np.round(predict(model, records), 6),
        }
    )


def measure(
    name: str, predictions: npt.NDArray[np.float64], truth: npt.NDArray[np.float64]
) -> float:
    """Compute one evaluation measure of predictions against the known outcomes."""
    if name in {"mape", "mae", "rmse"}:
        errors = predictions - truth
        if name == "mae":
            return float(np.mean(np.abs(errors)))
        if name == "rmse":
            return float(np.sqrt(np.mean(errors * errors)))
        nonzero = truth != 0
        return float(np.sum(np.abs(errors[nonzero]) / np.abs(truth[nonzero])) / len(errors))
    actual = truth == 1
    if name == "auroc":
        return auroc(predictions, actual)
    predicted = predictions >= THRESHOLD
    tp = int(np.sum(predicted & actual))
    fp = int(np.sum(predicted & ~actual))
    fn = int(np.sum(~predicted & actual))
    tn = len(truth) - tp - fp - fn
    if name == "recall":
        return tp / (tp + fn) if tp + fn else 1.0
    if name == "precision":
        return tp / (tp + fp) if tp + fp else 1.0
    if name == "specificity":
        return tn / (tn + fp) if tn + fp else 1.0
    if name == "npv":
        return tn / (tn + fn) if tn + fn else 1.0
    if name == "f1":
        return 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    if name == "accuracy":
        return (tp + tn) / len(truth)
    raise ValueError(f"unknown measure: {name}")


def auroc(scores: npt.NDArray[np.float64], actual: npt.NDArray[np.bool_]) -> float:
    """The area under the ROC curve: the chance a positive scores above a negative (ties half).

    0.5 when the held-out records hold only one class (no ranking to judge).
    """
    positives, negatives = scores[actual], scores[~actual]
    if not len(positives) or not len(negatives):
        return 0.5
    ranks = _ranks(np.concatenate([positives, negatives]))
    above = float(np.sum(ranks[: len(positives)])) - len(positives) * (len(positives) + 1) / 2
    return above / (len(positives) * len(negatives))


def _ranks(values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """1-based ranks, ties sharing their mean rank (the Mann-Whitney U statistic's)."""
    order = np.argsort(values, kind="mergesort")
    ordered = values[order]
    ranks = np.empty(len(values), dtype=np.float64)
    start = 0
    while start < len(ordered):
        end = start
        while end + 1 < len(ordered) and ordered[end + 1] == ordered[start]:
            end += 1
        ranks[order[start : end + 1]] = (start + end) / 2 + 1
        start = end + 1
    return ranks


def naive_measure(task: str, train: pl.DataFrame, holdout: pl.DataFrame) -> float:
    """The naive predictor's score to beat: majority class accuracy, or the mean's MAE."""
    labels = _labels(train)
    truth = _labels(holdout)
    if task == "classification":
        majority = 1.0 if float(np.sum(labels)) * 2 > len(labels) else 0.0
        return float(np.mean(truth == majority))
    return float(np.mean(np.abs(truth - np.mean(labels))))


def _labels(records: pl.DataFrame) -> npt.NDArray[np.float64]:
    return records.get_column(LABEL).cast(pl.Float64).to_numpy()


def evaluate(model: Model, split: Split) -> GateResult:
    """The gate: the model must meet each measurable success-metric target and beat naive.

    Targets and directions are read from the spec at run time; metrics the pipeline
    cannot measure itself are listed as untested (they are measured in production).
    """
    if split.holdout.is_empty():
        return GateResult([Check("holdout", None, 0.0, 1.0, "increase", False)])
    predictions = predict(model, split.holdout)
    truth = _labels(split.holdout)
    checks: list[Check] = []
    gated = {g["metric"]: g for g in project.pipeline()["gate"]}
    for metric_id, entry in gated.items():
        spec_metric = project.metric(metric_id)
        name = str(entry["measure"])
        value = measure(name, predictions, truth)
        target = float(spec_metric["target"]) * float(entry["scale"])  # "95 %" is 0.95
        direction = str(spec_metric["direction"])
        ok = value >= target if direction == "increase" else value <= target
        checks.append(Check(name, metric_id, value, target, direction, ok))
    naive = naive_measure(model.task, split.train, split.holdout)
    if model.task == "classification":
        value = measure("accuracy", predictions, truth)
        checks.append(Check("accuracy-vs-naive", None, value, naive, "increase", value >= naive))
    else:
        value = measure("mae", predictions, truth)
        checks.append(Check("mae-vs-naive", None, value, naive, "decrease", value <= naive))
    untested = [m["id"] for m in project.spec()["success_metrics"] if m["id"] not in gated]
    return GateResult(checks, untested)


def drift_report(model: Model, records: pl.DataFrame) -> DriftReport:
    """PSI of each drift feature against the model's reference, and unseen category shares."""
    psi: dict[str, float] = {}
    unseen: dict[str, float] = {}
    for name, reference in model.reference.items():
        if name not in records.columns:
            continue
        values = records.get_column(name).drop_nulls()
        if values.is_empty():
            continue
        psi[name] = round(drift.psi(reference, values), 6)
        share = drift.unseen_share(reference, values)
        if share is not None:
            unseen[name] = round(share, 6)
    return DriftReport(psi, unseen)


def drift_features() -> list[str]:
    """The drift features from the spec that are fields of the contract."""
    names = set(NAMES)
    return [str(n) for n in project.drift_features() if n in names]


def publish(out_dir: Path, *, gate: GateResult, scores: pl.DataFrame) -> Path:
    """Write the scores of the production model; refuse if it failed the gate on this data.

    Raises:
        GateError: the gate did not pass; nothing is written.
    """
    if not gate.passed:
        raise GateError("evaluation gate failed: " + "; ".join(gate.failures()))
    out_dir.mkdir(parents=True, exist_ok=True)
    scores_path = out_dir / "scores.csv"
    scores.write_csv(scores_path)
    return scores_path


def keep_candidate(out_dir: Path, model: Model, gate: GateResult) -> list[Path]:
    """Write a candidate that passed its gate, and the gate's result, for a person to promote."""
    out_dir.mkdir(parents=True, exist_ok=True)
    model_path = model.save(out_dir / f"model-{model.version}.skops")
    gate_path = out_dir / "gate.json"
    gate_path.write_text(json.dumps(gate.as_dict(), indent=2), encoding="utf-8")
    return [model_path, gate_path]


def write_quarantine(out_dir: Path, quarantined: pl.DataFrame, salt: bytes) -> Path:
    """Write the quarantined rows for the data's owners (see :func:`quarantine_rows`)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "quarantine.csv"
    quarantine_rows(quarantined, salt).write_csv(path)
    return path


def quarantine_rows(quarantined: pl.DataFrame, salt: bytes) -> pl.DataFrame:
    """Return quarantined rows as written: identifying and personal values pseudonymised, inert.

    Values of identifying fields (role ``key`` or ``identifier``) and personal inputs become
    keyed pseudonyms (the same value gives the same pseudonym, so owners can still match
    duplicates); the line and the reason stay, so the source's owner can find and fix the row.
    With health data in spec.yaml the other values are left out too (every value of a health
    record is protected): the source's owner finds the row by its line.
    """
    hidden = {f.name for f in FIELDS if f.hidden}
    withheld = {f.name for f in FIELDS if f.withheld} - hidden
    cells = [pl.col(LINE).cast(pl.String), pl.col(REASON)]
    for name in NAMES:
        value = pl.col(name).cast(pl.String)
        if name in withheld:
            value = pl.lit(None, dtype=pl.String)
        elif name in hidden:
            seen = quarantined.get_column(name).cast(pl.String).drop_nulls().unique().to_list()
            pseudonyms = {cell: pseudonymise(cell, salt) for cell in seen if cell}
            value = value.replace(list(pseudonyms), list(pseudonyms.values()))
        cells.append(value.fill_null("").alias(name))
    written = quarantined.select(cells)
    return written.with_columns(neutralised(pl.col(c)).alias(c) for c in written.columns)


def neutralised(cell: pl.Expr) -> pl.Expr:
    """Cells a spreadsheet shows as text: a leading ``'`` before formula characters.

    A value starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is run as a
    formula by spreadsheet software (CSV injection); the apostrophe makes it plain text.
    """
    formula = pl.any_horizontal(cell.str.starts_with(start) for start in FORMULA_STARTS)
    return pl.when(formula).then(pl.lit("'") + cell).otherwise(cell)


def neutralise(cell: str) -> str:
    """Return one cell as :func:`neutralised` writes it."""
    return f"'{cell}" if cell.startswith(FORMULA_STARTS) else cell
