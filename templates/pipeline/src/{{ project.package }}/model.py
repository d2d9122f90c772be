"""A small, dependency-free baseline model: logistic or linear regression.

Features are encoded by :class:`Encoder` (numbers standardised, categories one-hot,
booleans 0/1) and the model is fitted by batch gradient descent with L2 regularisation.
A model serialises to canonical JSON; its version is the SHA-256 of that JSON, so a
signature or approval can be bound to exactly one model. The JSON keeps the encoder's
columns as ordered lists, each weight beside its column's name: sorting the keys of the
canonical form can never reorder features against their weights.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .contract import FIELDS, LABEL, Record, number

Task = str  # "classification" | "regression"


@dataclass
class Encoder:
    """Turns records into numeric vectors; fitted on training records only."""

    numeric: dict[str, tuple[float, float]] = field(default_factory=dict)
    categories: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def fit(cls, records: Sequence[Record]) -> Encoder:
        """Learn means, spreads and category levels from ``records``."""
        encoder = cls()
        for f in FIELDS:
            if f.role == "feature":
                values = [number(r[f.name]) for r in records]
                mean = sum(values) / len(values)
                spread = math.sqrt(sum((v - mean) ** 2 for v in values) / len(values)) or 1.0
                encoder.numeric[f.name] = (mean, spread)
            elif f.role == "category":
                encoder.categories[f.name] = sorted({str(r[f.name]) for r in records})
        return encoder

    def width(self) -> int:
        """Return the length of an encoded vector."""
        return len(self.numeric) + sum(len(levels) for levels in self.categories.values())

    def columns(self) -> list[str]:
        """Return the name of each position of an encoded vector, in order."""
        names = list(self.numeric)
        for name, levels in self.categories.items():
            names.extend(f"{name}={level}" for level in levels)
        return names

    def encode(self, record: Record) -> list[float]:
        """Return the feature vector of one record (unseen categories encode as zeros)."""
        vector = [(number(record[n]) - mean) / spread for n, (mean, spread) in self.numeric.items()]
        for name, levels in self.categories.items():
            vector.extend(1.0 if record[name] == level else 0.0 for level in levels)
        return vector


@dataclass
class Model:
    """A fitted model: weights over the encoded features, and what it was fitted with."""

    task: Task
    encoder: Encoder
    weights: list[float]
    bias: float
    target_scale: tuple[float, float] = (0.0, 1.0)
    params: dict[str, float] = field(default_factory=dict)
    reference: dict[str, Any] = field(default_factory=dict)

    def predict(self, record: Record) -> float:
        """Return a probability (classification) or a predicted value (regression)."""
        x = self.encoder.encode(record)
        z = self.bias + sum(w * xi for w, xi in zip(self.weights, x, strict=True))
        if self.task == "classification":
            return _sigmoid(z)
        mean, spread = self.target_scale
        return mean + spread * z

    def to_json(self) -> str:
        """Return the model as canonical JSON (sorted keys, no whitespace, ordered columns)."""
        data = {
            "task": self.task,
            "numeric": [
                [name, mean, spread] for name, (mean, spread) in self.encoder.numeric.items()
            ],
            "categories": [[name, levels] for name, levels in self.encoder.categories.items()],
            "weights": [
                [column, weight]
                for column, weight in zip(self.encoder.columns(), self.weights, strict=True)
            ],
            "bias": self.bias,
            "target_scale": self.target_scale,
            "params": self.params,
            "reference": self.reference,
        }
        return json.dumps(data, sort_keys=True, separators=(",", ":"))

    @property
    def version(self) -> str:
        """Return the model version: ``m-`` and the first 12 hex digits of its SHA-256."""
        return "m-" + self.sha256[:12]

    @property
    def sha256(self) -> str:
        """Return the SHA-256 of the model's canonical JSON."""
        return hashlib.sha256(self.to_json().encode("utf-8")).hexdigest()

    @classmethod
    def from_json(cls, text: str) -> Model:
        """Load a model written by :meth:`to_json`.

        Raises:
            ValueError: the weights do not name the encoder's columns in order.
        """
        data = json.loads(text)
        encoder = Encoder(
            numeric={str(n): (float(mean), float(spread)) for n, mean, spread in data["numeric"]},
            categories={
                str(n): [str(level) for level in levels] for n, levels in data["categories"]
            },
        )
        columns = [str(column) for column, _ in data["weights"]]
        if columns != encoder.columns():
            raise ValueError("the model's weights do not match its encoder's columns")
        scale = data["target_scale"]
        return cls(
            task=data["task"],
            encoder=encoder,
            weights=[float(weight) for _, weight in data["weights"]],
            bias=float(data["bias"]),
            target_scale=(float(scale[0]), float(scale[1])),
            params={k: float(v) for k, v in data["params"].items()},
            reference=data["reference"],
        )


def fit(
    records: Sequence[Record],
    task: Task,
    *,
    learning_rate: float = 0.3,
    epochs: int = 400,
    l2: float = 0.001,
) -> Model:
    """Fit a logistic (classification) or linear (regression) model by gradient descent.

    Raises:
        ValueError: there are no records to learn from.
    """
    if not records:
        raise ValueError("no training records")
    encoder = Encoder.fit(records)
    rows = [encoder.encode(r) for r in records]
    targets = [number(r[LABEL]) for r in records]
    scale = (0.0, 1.0)
    if task == "regression":
        mean = sum(targets) / len(targets)
        spread = math.sqrt(sum((t - mean) ** 2 for t in targets) / len(targets)) or 1.0
        scale = (mean, spread)
        targets = [(t - mean) / spread for t in targets]
    weights = [0.0] * encoder.width()
    bias = 0.0
    n = len(rows)
    for _ in range(epochs):
        grad = [0.0] * len(weights)
        grad_bias = 0.0
        for x, y in zip(rows, targets, strict=True):
            z = bias + sum(w * xi for w, xi in zip(weights, x, strict=True))
            error = (_sigmoid(z) if task == "classification" else z) - y
            grad_bias += error
            for j, xj in enumerate(x):
                grad[j] += error * xj
        weights = [w - learning_rate * (g / n + l2 * w) for w, g in zip(weights, grad, strict=True)]
        bias -= learning_rate * grad_bias / n
    params = {"learning_rate": learning_rate, "epochs": float(epochs), "l2": l2}
    return Model(task, encoder, weights, bias, scale, params)


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)
