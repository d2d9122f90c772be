"""The model behind the decision endpoint.

PLUG THE MODEL IN HERE: replace :class:`StubModel` with a class that loads the trained
model (from a registry, a file or a hosted API) and implements :class:`Model`. The stub is
deterministic (the same inputs always give the same result) so that tests are stable; it
makes no real prediction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from .privacy import fingerprint

LABELS = ("positive", "negative")
"""The labels the stub gives; a reviewer's override must be one of the model's labels."""


@dataclass(frozen=True)
class Prediction:
    """A model output: the label, how sure the model is (0..1) and which model said it."""

    label: str
    confidence: float
    model_version: str


class Model(Protocol):
    """What the service needs from a model: its version and the labels it can give."""

    version: str
    labels: tuple[str, ...]

    def predict(self, inputs: Mapping[str, Any]) -> Prediction:
        """Return the prediction for one set of inputs."""
        ...


class StubModel:
    """A deterministic stand-in: label and confidence derived from a hash of the inputs."""

    def __init__(self, version: str) -> None:
        """Create the stub reporting ``version`` as its model version."""
        self.version = version
        self.labels: tuple[str, ...] = LABELS

    def predict(self, inputs: Mapping[str, Any]) -> Prediction:
        """Return a stable pseudo-prediction for ``inputs``."""
        digest = fingerprint(dict(inputs))
        confidence = round(0.5 + 0.5 * int(digest[:8], 16) / 0xFFFFFFFF, 4)
        label = LABELS[0] if int(digest[8], 16) % 2 else LABELS[1]
        return Prediction(label=label, confidence=confidence, model_version=self.version)


class FixedModel:
    """A model that always answers the same; for tests and demonstrations."""

    def __init__(
        self,
        label: str,
        confidence: float,
        version: str = "fixed-1",
        labels: tuple[str, ...] = LABELS,
    ) -> None:
        """Create a model that always returns ``label`` with ``confidence``."""
        self.version = version
        self.labels: tuple[str, ...] = tuple(dict.fromkeys((*labels, label)))
        self._prediction = Prediction(label=label, confidence=confidence, model_version=version)

    def predict(self, inputs: Mapping[str, Any]) -> Prediction:
        """Return the fixed prediction."""
        return self._prediction
