"""The offline fake embedder and when production refuses it."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from ..package import FAKE_EMBEDDING_MODEL, HashedTermsModel, embedding_refusal, fake_embeddings
from tests.support import make_settings


def test_fake_vectors_are_deterministic_and_unit_length() -> None:
    """The same text gives the same vector, of length 1, in every process."""
    model = HashedTermsModel()
    first, again = model.vector("Rollback the deployment"), model.vector("Rollback the deployment")
    assert first == again and len(first) == model.dimensions
    assert math.isclose(math.sqrt(sum(v * v for v in first)), 1.0)


def test_fake_vectors_follow_the_retrievers_terms() -> None:
    """Stemmed and stop words aside, the same terms give the same vector; others differ."""
    model = HashedTermsModel()
    assert model.vector("the pages were paged") == model.vector("page pages")
    assert model.vector("rollback deployment") != model.vector("certificate expiry")
    assert not any(model.vector("the and of"))  # no term: no direction


def test_fake_embeddings_go_through_the_embedder_in_batches() -> None:
    """Documents are embedded in batches by pydantic-ai's Embedder, one vector each."""
    embeddings = fake_embeddings()
    texts = [f"passage number {i} about topic{i}" for i in range(150)]
    vectors = embeddings.documents(texts)
    assert len(vectors) == 150 and embeddings.name == FAKE_EMBEDDING_MODEL
    assert vectors[7] == HashedTermsModel().vector(texts[7])
    assert embeddings.query(texts[7]) == vectors[7]


@pytest.mark.parametrize(
    ("environment", "model", "vectors", "refused"),
    [
        ("production", None, True, True),  # pgvector would use the fake
        ("production", "fake:hashed-terms", False, True),  # asked for by name
        ("production", None, False, False),  # full-text only: the fake is never called
        ("production", "none", True, False),  # vectors turned off
        ("development", None, True, False),
        ("test", "fake:hashed-terms", True, False),
    ],
)
def test_production_refuses_the_fake_embedder_where_it_would_be_used(
    tmp_path: Path, environment: str, model: str | None, vectors: bool, refused: bool
) -> None:
    """Production refuses the fake embedder when vectors would use it, and only then."""
    settings = make_settings(tmp_path, environment=environment, embedding_model=model)
    embeddings = None if model == "none" else fake_embeddings()
    reason = embedding_refusal(settings, embeddings, vectors=vectors)
    assert (reason is not None) is refused
    if reason is not None:
        assert "EMBEDDING_MODEL" in reason and "\n" not in reason
