"""The pipeline's steps as plain functions, each testable on its own.

Ingest, validate, transform, train, score, evaluate (the gate) and publish; :mod:`.pipeline`
chains them and records the run.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from . import drift, project
from .contract import (
    FIELDS,
    KEY,
    LABEL,
    Quarantined,
    Record,
    check_header,
    number,
    validate_rows,
)
from .model import Model, fit
from .privacy import pseudonymise

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a cell as a formula."""


class GateError(RuntimeError):
    """Publishing was refused because the evaluation gate did not pass."""


@dataclass(frozen=True)
class Batch:
    """Raw rows read from one input file, with the file's SHA-256."""

    path: Path
    sha256: str
    rows: list[tuple[int, dict[str, str | None]]]


@dataclass(frozen=True)
class Validated:
    """Records that passed the contract and rows that were quarantined."""

    records: list[Record]
    quarantined: list[Quarantined]


@dataclass(frozen=True)
class Split:
    """Training records and held-out records for evaluation."""

    train: list[Record]
    holdout: list[Record]


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


def ingest(path: Path) -> Batch:
    """Read a CSV extract and hash it; the header must hold every contract field.

    Raises:
        OSError: the file cannot be read.
        ContractError: the header lacks contract fields.
    """
    data = path.read_bytes()
    text = data.decode("utf-8-sig")
    reader = csv.DictReader(text.splitlines())
    check_header(reader.fieldnames or [])
    rows = [(reader.line_num, dict(row)) for row in reader]
    return Batch(path=path, sha256=hashlib.sha256(data).hexdigest(), rows=rows)


def validate(batch: Batch) -> Validated:
    """Check every row against the contract; quarantine the bad ones with the reason."""
    records, quarantined = validate_rows(batch.rows)
    return Validated(records, quarantined)


def transform(records: Sequence[Record], holdout_every: int | None = None) -> Split:
    """Split records deterministically: every n-th record is held out for evaluation."""
    every = holdout_every or int(project.pipeline()["holdout_every"])
    train = [r for i, r in enumerate(records) if (i + 1) % every]
    holdout = [r for i, r in enumerate(records) if not (i + 1) % every]
    return Split(train, holdout)


def train(records: Sequence[Record], task: str | None = None) -> Model:
    """Fit the baseline model and profile the drift features as its reference sample."""
    model = fit(records, task or str(project.pipeline()["task"]))
    model.reference = {name: drift.profile([r[name] for r in records]) for name in drift_features()}
    return model


def score(model: Model, records: Sequence[Record]) -> list[dict[str, Any]]:
    """Score records: the record key and the model's score (a probability or a value)."""
    return [{KEY: str(r[KEY]), "score": round(model.predict(r), 6)} for r in records]


def measure(name: str, model: Model, records: Sequence[Record]) -> float:
    """Compute one evaluation measure of ``model`` on labelled ``records``."""
    predictions = [model.predict(r) for r in records]
    truth = [number(r[LABEL]) for r in records]
    if name in {"mape", "mae", "rmse"}:
        errors = [p - t for p, t in zip(predictions, truth, strict=True)]
        if name == "mae":
            return sum(abs(e) for e in errors) / len(errors)
        if name == "rmse":
            return math.sqrt(sum(e * e for e in errors) / len(errors))
        return sum(abs(e) / abs(t) for e, t in zip(errors, truth, strict=True) if t) / len(errors)
    threshold = 0.5
    tp = sum(1 for p, t in zip(predictions, truth, strict=True) if p >= threshold and t == 1)
    fp = sum(1 for p, t in zip(predictions, truth, strict=True) if p >= threshold and t == 0)
    fn = sum(1 for p, t in zip(predictions, truth, strict=True) if p < threshold and t == 1)
    tn = len(truth) - tp - fp - fn
    if name == "recall":
        return tp / (tp + fn) if tp + fn else 1.0
    if name == "precision":
        return tp / (tp + fp) if tp + fp else 1.0
    if name == "f1":
        return 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    if name == "accuracy":
        return (tp + tn) / len(truth)
    raise ValueError(f"unknown measure: {name}")


def naive_measure(task: str, train: Sequence[Record], holdout: Sequence[Record]) -> float:
    """The naive predictor's error to beat: majority class accuracy, or the mean's MAE."""
    labels = [number(r[LABEL]) for r in train]
    truth = [number(r[LABEL]) for r in holdout]
    if task == "classification":
        majority = 1.0 if sum(labels) * 2 > len(labels) else 0.0
        return sum(1 for t in truth if t == majority) / len(truth)
    mean = sum(labels) / len(labels)
    return sum(abs(t - mean) for t in truth) / len(truth)


def evaluate(model: Model, split: Split) -> GateResult:
    """The gate: the model must meet each measurable success-metric target and beat naive.

    Targets and directions are read from the spec at run time; metrics the pipeline
    cannot measure itself are listed as untested (they are measured in production).
    """
    if not split.holdout:
        return GateResult([Check("holdout", None, 0.0, 1.0, "increase", False)])
    checks: list[Check] = []
    gated = {g["metric"]: g for g in project.pipeline()["gate"]}
    for metric_id, entry in gated.items():
        spec_metric = project.metric(metric_id)
        name = str(entry["measure"])
        value = measure(name, model, split.holdout)
        target = float(spec_metric["target"]) * float(entry["scale"])  # "95 %" is 0.95
        direction = str(spec_metric["direction"])
        ok = value >= target if direction == "increase" else value <= target
        checks.append(Check(name, metric_id, value, target, direction, ok))
    naive = naive_measure(model.task, split.train, split.holdout)
    if model.task == "classification":
        value = measure("accuracy", model, split.holdout)
        checks.append(Check("accuracy-vs-naive", None, value, naive, "increase", value >= naive))
    else:
        value = measure("mae", model, split.holdout)
        checks.append(Check("mae-vs-naive", None, value, naive, "decrease", value <= naive))
    untested = [m["id"] for m in project.spec()["success_metrics"] if m["id"] not in gated]
    return GateResult(checks, untested)


def drift_report(model: Model, records: Sequence[Record]) -> dict[str, float]:
    """PSI of each drift feature in ``records`` against the model's reference sample."""
    return {
        name: round(drift.psi(reference, [r[name] for r in records]), 6)
        for name, reference in model.reference.items()
    }


def drift_features() -> list[str]:
    """The drift features from the spec that are fields of the contract."""
    names = {f.name for f in FIELDS}
    return [str(n) for n in project.drift_features() if n in names]


def publish(
    out_dir: Path,
    *,
    gate: GateResult,
    model: Model,
    scores: Sequence[dict[str, Any]],
    quarantined: Sequence[Quarantined],
    salt: bytes,
) -> list[Path]:
    """Write the scores, the candidate model and the quarantine file; refuse if the gate failed.

    The quarantine file goes to the data's owners and is opened in spreadsheets, so it holds
    no raw identifier and no formula (see :func:`quarantine_row`).

    Raises:
        GateError: the gate did not pass; nothing is written.
    """
    if not gate.passed:
        raise GateError("evaluation gate failed: " + "; ".join(gate.failures()))
    out_dir.mkdir(parents=True, exist_ok=True)
    scores_path = out_dir / "scores.csv"
    with scores_path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=[KEY, "score"])
        writer.writeheader()
        writer.writerows(scores)
    model_path = out_dir / f"model-{model.version}.json"
    model_path.write_text(model.to_json(), encoding="utf-8")
    quarantine_path = out_dir / "quarantine.csv"
    with quarantine_path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["line", "reason", *[f.name for f in FIELDS]])
        writer.writeheader()
        writer.writerows(quarantine_row(q, salt) for q in quarantined)
    gate_path = out_dir / "gate.json"
    gate_path.write_text(json.dumps(gate.as_dict(), indent=2), encoding="utf-8")
    return [scores_path, model_path, quarantine_path, gate_path]


def quarantine_row(row: Quarantined, salt: bytes) -> dict[str, str]:
    """Return a quarantined row as written: identifiers pseudonymised, every cell inert.

    Values of identifying fields (role ``key`` or ``identifier``) become keyed pseudonyms
    (the same value gives the same pseudonym, so owners can still match duplicates); the
    line number and the reason stay, so the source's owner can find and fix the row.
    """
    cells = {"line": str(row.line), "reason": row.reason}
    for f in FIELDS:
        value = row.row.get(f.name)
        if value and f.identifying:
            value = pseudonymise(value, salt)
        cells[f.name] = value or ""
    return {name: neutralise(value) for name, value in cells.items()}


def neutralise(cell: str) -> str:
    """Return a cell a spreadsheet shows as text: a leading ``'`` before formula characters.

    A value starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is run as a
    formula by spreadsheet software (CSV injection); the apostrophe makes it plain text.
    """
    return f"'{cell}" if cell.startswith(FORMULA_STARTS) else cell
