"""The model: a scikit-learn Pipeline behind a small interface, saved with skops (no pickle).

:func:`build_estimator` makes the baseline: a ``ColumnTransformer`` that standardises the
numeric and boolean features (imputing the median of optional ones) and one-hot encodes the
categories, then a logistic (classification) or linear (regression) model. To use your own
estimator, change :func:`build_estimator` or pass ``estimator=`` to :func:`fit`: anything
with ``fit`` and ``predict`` (and ``predict_proba`` for classification) over the feature
columns works, as long as skops can save it; list any type it needs beyond the baseline's in
:data:`TRUSTED_TYPES`.

A model file is a skops archive of the fitted estimator and what it was fitted with (task,
features, parameters, drift reference). Loading never unpickles: every type in the file is
checked against skops' trusted types and :data:`TRUSTED_TYPES` first. The archive is written
canonically (fixed timestamps and object ids), so the same fit gives the same bytes; the
model version is the SHA-256 of those bytes, and a signature or approval bound to the version
is bound to exactly one model.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol, cast

import numpy as np
import numpy.typing as npt
import polars as pl

from .contract import FIELDS, LABEL

Task = str  # "classification" | "regression"
NUMERIC = tuple(f.name for f in FIELDS if f.role == "feature")
"""Numeric and boolean features: standardised."""
CATEGORICAL = tuple(f.name for f in FIELDS if f.role == "category")
"""Text and category features: one-hot encoded (at most :data:`MAX_LEVELS` levels each)."""
FEATURES = NUMERIC + CATEGORICAL
OPTIONAL = frozenset(f.name for f in FIELDS if not f.required)
MAX_LEVELS = 50
"""Levels one-hot encoded per category; rarer ones share one column, unseen ones none."""
TRUSTED_TYPES: tuple[str, ...] = ("numpy.dtype",)
"""Types a model file may hold beyond those skops trusts by default (scikit-learn's own)."""
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


class ModelFileError(ValueError):
    """A model file is not a model this pipeline wrote, or holds a type it does not trust."""


class Estimator(Protocol):
    """What the pipeline needs from an estimator: fit and predict over the feature frame."""

    def fit(self, x: pl.DataFrame, y: npt.NDArray[np.float64]) -> object:
        """Fit on the features and the labels."""

    def predict(self, x: pl.DataFrame) -> npt.NDArray[Any]:
        """Predict a value (regression) or a class (classification)."""


def build_estimator(task: Task) -> Estimator:
    """Return the baseline: scaling and one-hot encoding, then a logistic or linear model."""
    # scikit-learn and skops are imported where used: commands that load no model start fast
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LinearRegression, LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    numbers: list[tuple[str, Any]] = [("scale", StandardScaler())]
    if OPTIONAL & set(NUMERIC):
        numbers.insert(0, ("impute", SimpleImputer(strategy="median")))
    prepare = ColumnTransformer(
        [
            ("numbers", Pipeline(numbers), list(NUMERIC)),
            (
                "categories",
                OneHotEncoder(handle_unknown="ignore", max_categories=MAX_LEVELS),
                list(CATEGORICAL),
            ),
        ]
    )
    model = LogisticRegression(max_iter=1000) if task == "classification" else LinearRegression()
    return cast(Estimator, Pipeline([("prepare", prepare), ("model", model)]))


def features(frame: pl.DataFrame) -> pl.DataFrame:
    """Return the estimator's input: numbers as floats (missing is NaN), categories as text."""
    return frame.select(
        *(pl.col(name).cast(pl.Float64).fill_null(float("nan")) for name in NUMERIC),
        *(pl.col(name) for name in CATEGORICAL),
    )


@dataclass(frozen=True)
class Model:
    """A fitted estimator and what it was fitted with; its version is its file's hash."""

    task: Task
    estimator: Estimator
    params: dict[str, Any] = field(default_factory=dict)
    reference: dict[str, Any] = field(default_factory=dict)

    def predict(self, frame: pl.DataFrame) -> npt.NDArray[np.float64]:
        """Return a probability of class 1 (classification) or a predicted value per row."""
        x = features(frame)
        if self.task == "classification":
            scores = cast(Any, self.estimator).predict_proba(x)
            classes = list(cast(Any, self.estimator).classes_)
            return np.asarray(scores[:, classes.index(1)], dtype=np.float64)
        return np.asarray(self.estimator.predict(x), dtype=np.float64)

    @cached_property
    def data(self) -> bytes:
        """Return the model file's bytes (a canonical skops archive)."""
        import skops.io as sio

        state = {
            "format": 1,
            "task": self.task,
            "features": list(FEATURES),
            "estimator": self.estimator,
            "params": self.params,
            "reference": self.reference,
        }
        return _canonical(sio.dumps(state))

    @property
    def sha256(self) -> str:
        """Return the SHA-256 of the model file."""
        return hashlib.sha256(self.data).hexdigest()

    @property
    def version(self) -> str:
        """Return the model version: ``m-`` and the first 12 hex digits of its file's SHA-256."""
        return "m-" + self.sha256[:12]

    def save(self, path: Path) -> Path:
        """Write the model file; return its path."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(self.data)
        return path

    @classmethod
    def load(cls, path: Path) -> Model:
        """Load a model file written by :meth:`save`.

        Raises:
            ModelFileError: see :meth:`loads`.
        """
        return cls.loads(path.read_bytes())

    @classmethod
    def loads(cls, data: bytes) -> Model:
        """Load a model from its file's bytes, after checking every type it holds.

        Raises:
            ModelFileError: the file is not a skops archive, holds a type outside skops'
                trusted types and :data:`TRUSTED_TYPES`, or is not a model of these features.
        """
        import skops.io as sio

        try:
            untrusted = sio.get_untrusted_types(data=data)
        except (zipfile.BadZipFile, KeyError, ValueError) as err:
            raise ModelFileError(f"not a model file: {err}") from err
        refused = sorted(set(untrusted) - set(TRUSTED_TYPES))
        if refused:
            raise ModelFileError(f"the model file holds untrusted types: {', '.join(refused)}")
        state = sio.loads(data, trusted=list(untrusted))
        if not isinstance(state, dict) or state.get("features") != list(FEATURES):
            raise ModelFileError("the model file was not fitted on this contract's features")
        model = cls(
            task=str(state["task"]),
            estimator=cast(Estimator, state["estimator"]),
            params=dict(state["params"]),
            reference=dict(state["reference"]),
        )
        object.__setattr__(model, "data", data)  # its version is the hash of these bytes
        return model


def fit(
    frame: pl.DataFrame,
    task: Task,
    *,
    reference: dict[str, Any] | None = None,
    estimator: Estimator | None = None,
) -> Model:
    """Fit the estimator (the baseline unless given) on labelled records.

    Raises:
        ValueError: there are no records to learn from, or the estimator cannot fit them.
    """
    if frame.is_empty():
        raise ValueError("no training records")
    chosen = estimator if estimator is not None else build_estimator(task)
    chosen.fit(features(frame), frame.get_column(LABEL).cast(pl.Float64).to_numpy())
    params = {"estimator": type(chosen).__name__, "rows": frame.height}
    return Model(task, chosen, params=params, reference=dict(reference or {}))


def _canonical(data: bytes) -> bytes:
    """Rewrite a skops archive reproducibly: numbered object ids and files, fixed timestamps.

    skops names arrays and shared objects by their memory address and stamps each entry
    with the time; neither says anything about the model, and both would give the same fit
    a new hash in every process.
    """
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        schema = json.loads(archive.read("schema.json"))
        members = set(archive.namelist())
        ids: dict[int, int] = {}
        files: dict[str, str] = {}

        def renumber(node: Any) -> None:
            if isinstance(node, dict):
                for key, value in node.items():
                    if key == "__id__" and isinstance(value, int):
                        node[key] = ids.setdefault(value, len(ids))
                    elif key == "file" and isinstance(value, str) and value in members:
                        node[key] = files.setdefault(value, f"{len(files)}{Path(value).suffix}")
                    else:
                        renumber(value)
            elif isinstance(node, list):
                for value in node:
                    renumber(value)

        renumber(schema)
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as canonical:
            for old, new in files.items():
                canonical.writestr(_entry(new), archive.read(old))
            canonical.writestr(_entry("schema.json"), json.dumps(schema, indent=1))
    return out.getvalue()


def _entry(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
    info.create_system = 3
    info.external_attr = 0o644 << 16
    info.compress_type = zipfile.ZIP_STORED
    return info
