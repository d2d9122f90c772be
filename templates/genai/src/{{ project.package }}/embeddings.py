"""Embeddings for vector retrieval, through pydantic-ai's ``Embedder`` (no hand-written clients).

``<PREFIX>EMBEDDING_MODEL`` names the model as pydantic-ai does, ``provider:model``
(``openai:text-embedding-3-small``, ``cohere:embed-v4.0``, ``google:gemini-embedding-001``,
``bedrock:...``, ``voyageai:...``, ``sentence-transformers:...``); the provider's own
variables hold its credentials (``OPENAI_API_KEY``, ``CO_API_KEY``, ...).
``<PREFIX>EMBEDDING_DIMENSIONS`` asks models that can shorten their vectors (OpenAI's
``text-embedding-3-*``, Cohere v4, Gemini) for that many dimensions. ``none`` turns vectors off:
retrieval is full-text only.

Unset, tests, evals and local runs use :class:`HashedTermsModel`, a deterministic fake: the
retriever's own terms hashed into :data:`FAKE_DIMENSIONS` signed buckets and L2-normalised,
so similar wording gives similar vectors offline. It carries no meaning beyond the words, so
production refuses to start on it wherever vectors would be used (``runtime.open_runtime``),
exactly as it refuses the fake chat model.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic_ai.embeddings import (
    Embedder,
    EmbeddingModel,
    EmbeddingResult,
    EmbeddingSettings,
)
from pydantic_ai.embeddings.result import EmbedInputType
from pydantic_ai.usage import RequestUsage

from .settings import ENV_PREFIX, Settings

FAKE_EMBEDDING_MODEL = "fake:hashed-terms"
"""The name the fake embedder's vectors are stored under."""
FAKE_DIMENSIONS = 512
NO_EMBEDDINGS = "none"
"""``<PREFIX>EMBEDDING_MODEL=none``: no vectors, full-text retrieval only."""
BATCH_SIZE = 64
"""Passages per embedding call during ``ingest``."""


class HashedTermsModel(EmbeddingModel):
    """A deterministic, offline embedding model: signed feature hashing of the retriever's terms."""

    def __init__(self, dimensions: int = FAKE_DIMENSIONS) -> None:
        """Vectors of ``dimensions`` floats."""
        super().__init__()
        self.dimensions = dimensions

    @property
    def model_name(self) -> str:
        """The model's name (what stored vectors are labelled with)."""
        return FAKE_EMBEDDING_MODEL.partition(":")[2]

    @property
    def system(self) -> str:
        """The provider's name."""
        return "fake"

    def vector(self, text: str) -> list[float]:
        """The L2-normalised hashed-terms vector of ``text`` (all zeros without a term)."""
        from .retrieval import terms  # retrieval imports this module for its index

        vector = [0.0] * self.dimensions
        for term in terms(text):
            digest = hashlib.blake2b(term.encode(), digest_size=8).digest()
            value = int.from_bytes(digest, "big")
            vector[value % self.dimensions] += 1.0 if value >> 63 else -1.0
        norm = math.sqrt(sum(v * v for v in vector))
        return [v / norm for v in vector] if norm else vector

    async def embed(
        self,
        inputs: str | Sequence[str],
        *,
        input_type: EmbedInputType,
        settings: EmbeddingSettings | None = None,
    ) -> EmbeddingResult:
        """One vector per input."""
        texts, _ = self.prepare_embed(inputs, settings)
        return EmbeddingResult(
            [self.vector(text) for text in texts],
            inputs=texts,
            input_type=input_type,
            model_name=self.model_name,
            provider_name=self.system,
            usage=RequestUsage(),
        )


@dataclass(frozen=True)
class Embeddings:
    """The embedder in use and the name its vectors are stored under."""

    embedder: Embedder
    name: str
    fake: bool
    batch_size: int = BATCH_SIZE

    def documents(self, texts: Sequence[str]) -> list[list[float]]:
        """One vector per text, asked for in batches of :attr:`batch_size`."""
        vectors: list[list[float]] = []
        for start in range(0, len(texts), self.batch_size):
            batch = list(texts[start : start + self.batch_size])
            result = self.embedder.embed_documents_sync(batch)
            vectors.extend([float(x) for x in v] for v in result.embeddings)
        return vectors

    def query(self, text: str) -> list[float]:
        """The vector of a question."""
        result = self.embedder.embed_query_sync(text)
        return [float(x) for x in result.embeddings[0]]


def fake_embeddings(model: EmbeddingModel | None = None, *, name: str | None = None) -> Embeddings:
    """The offline embedder (or ``model``, a test's own), labelled ``name``."""
    chosen = model or HashedTermsModel()
    label = name or (
        FAKE_EMBEDDING_MODEL if model is None else f"{chosen.system}:{chosen.model_name}"
    )
    return Embeddings(Embedder(chosen), label, fake=True)


def from_settings(settings: Settings) -> Embeddings | None:
    """The embedder ``<PREFIX>EMBEDDING_MODEL`` names: None for ``none``, the fake when unset."""
    name = (settings.embedding_model or "").strip()
    if name.lower() == NO_EMBEDDINGS:
        return None
    if not name or name == FAKE_EMBEDDING_MODEL:
        return fake_embeddings()
    options: EmbeddingSettings = {}
    if settings.embedding_dimensions is not None:
        options["dimensions"] = settings.embedding_dimensions
    label = (
        name if settings.embedding_dimensions is None else f"{name}@{settings.embedding_dimensions}"
    )
    return Embeddings(
        Embedder(name, settings=options or None, defer_model_check=False),
        label,
        fake=False,
        batch_size=settings.embedding_batch_size,
    )


def embedding_refusal(
    settings: Settings, embeddings: Embeddings | None, *, vectors: bool
) -> str | None:
    """Why production must not start on this embedder (the fake one where vectors are used)."""
    if not settings.production or embeddings is None or not embeddings.fake:
        return None
    if not vectors and not settings.embedding_model:
        return None  # no pgvector: the fake would never be called
    return (
        f"error: no embedding model is configured (set {ENV_PREFIX}EMBEDDING_MODEL=provider:model, "
        f"or {NO_EMBEDDINGS} for full-text retrieval only): production refuses to start on the "
        "fake embedder"
    )
