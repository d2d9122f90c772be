"""Hybrid retrieval on PostgreSQL with pgvector, and full-text where the server lacks it.

The vector tests run on a server with pgvector (``pgvector_server``: pgserver's bundled
PostgreSQL by default, see tests/postgres.py), each in a migrated schema of its own and
connected as the application role. Their embedding model is the test's own: it gives the
vectors the test chooses, so a test fails if vectors are ignored.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from pydantic_ai.embeddings import EmbeddingModel, EmbeddingResult, EmbeddingSettings
from pydantic_ai.embeddings.result import EmbedInputType

from ..package import (
    FAKE_EMBEDDING_MODEL,
    Assistant,
    Database,
    Retriever,
    Runtime,
    StartupRefused,
    connect,
    fake_embeddings,
    ingest,
    migrate,
    open_runtime,
)
from tests import postgres
from tests.support import as_assistant, count, make_settings, records, with_retrieval

DOCUMENTS = {
    "leave.md": "# Leave policy\nStaff get thirty days of paid leave each year.\n",
    "expenses.md": "# Expenses\nReceipts are filed within a month of purchase.\n",
    "security.md": "# Security\nBadges are worn visibly on the premises.\n",
}
AXES = ("leave", "expenses", "security")
"""Each document's own direction of the test model's space (by a word of its title)."""


class KeywordModel(EmbeddingModel):
    """A test embedding model: a text's vector is the sum of the axes its keywords name."""

    def __init__(self, name: str, keywords: Mapping[str, Sequence[float]]) -> None:
        """Vectors in len(AXES) + 1 dimensions; ``keywords`` maps a word to its vector."""
        super().__init__()
        self.name, self.keywords, self.calls = name, keywords, 0

    @property
    def model_name(self) -> str:
        """The model's name."""
        return self.name

    @property
    def system(self) -> str:
        """The provider's name."""
        return "test"

    def vector(self, text: str) -> list[float]:
        """The normalised sum of the keywords' vectors (the last axis when none is in it)."""
        vector = [0.0] * (len(AXES) + 1)
        for word, direction in self.keywords.items():
            if word in text.lower():
                vector = [a + b for a, b in zip(vector, direction, strict=True)]
        if not any(vector):
            vector[-1] = 1.0
        norm = math.sqrt(sum(v * v for v in vector))
        return [v / norm for v in vector]

    async def embed(
        self,
        inputs: str | Sequence[str],
        *,
        input_type: EmbedInputType,
        settings: EmbeddingSettings | None = None,
    ) -> EmbeddingResult:
        """One vector per input; counts the texts embedded."""
        texts, _ = self.prepare_embed(inputs, settings)
        if not self.keywords:
            raise ConnectionError("the test model is down")
        self.calls += len(texts)
        return EmbeddingResult(
            [self.vector(t) for t in texts],
            inputs=texts,
            input_type=input_type,
            model_name=self.name,
            provider_name=self.system,
        )


def axis(i: int, scale: float = 1.0) -> list[float]:
    """The i-th axis of the test model's space, scaled."""
    return [scale if j == i else 0.0 for j in range(len(AXES) + 1)]


def model(name: str = "keywords-a") -> KeywordModel:
    """Documents on their own axes; "holiday" points mostly at leave, a little at expenses."""
    keywords = {word: axis(i) for i, word in enumerate(AXES)}
    keywords["holiday"] = [0.8, 0.5, 0.2, 0.0]
    return KeywordModel(name, keywords)


@pytest.fixture
def vector_url(pgvector_server: str) -> Iterator[str]:
    """The application role's URL in a migrated schema of the pgvector server."""
    with postgres.schema(pgvector_server) as owner, postgres.app_role(owner) as app:
        yield app


@pytest.fixture
def documents(tmp_path: Path) -> Path:
    """A folder of three one-section documents."""
    folder = tmp_path / "docs"
    folder.mkdir()
    for name, text in DOCUMENTS.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@contextmanager
def opened(tmp_path: Path, url: str, embedder: KeywordModel | None) -> Iterator[Runtime]:
    """A runtime on ``url`` whose embedder is ``embedder`` (the offline fake when None)."""
    chosen = None if embedder is None else fake_embeddings(embedder, name=f"test:{embedder.name}")
    runtime = open_runtime(make_settings(tmp_path, url), embeddings=chosen)
    try:
        yield runtime
    finally:
        runtime.close()


def test_the_migration_indexes_vectors_where_pgvector_is(vector_url: str, tmp_path: Path) -> None:
    """With pgvector, the index says hybrid and each common size has an HNSW cosine index."""
    with opened(tmp_path, vector_url, None) as runtime:
        assert runtime.index.vectors and runtime.index.vector_schema == "public"
        assert runtime.index.mode().startswith("hybrid")
        with runtime.db.connect() as conn:
            rows = conn.execute(
                "SELECT indexdef FROM pg_indexes WHERE tablename = 'passage_embeddings'"
                " AND indexname LIKE 'passage_embeddings_hnsw_%'"
            ).fetchall()
        assert len(rows) >= 5
        assert all("hnsw" in r["indexdef"] and "vector_cosine_ops" in r["indexdef"] for r in rows)


def test_ingest_embeds_every_passage_with_the_fake_offline(vector_url: str, tmp_path: Path) -> None:
    """Unset EMBEDDING_MODEL outside production: the fake embeds each passage, audited."""
    with opened(tmp_path, vector_url, None) as runtime:
        ingest(runtime, runtime.settings.corpus_dir, actor="ops", role="operator")
        embedded = count(
            runtime.db,
            "SELECT COUNT(*) AS n FROM passage_embeddings WHERE model = ?",
            FAKE_EMBEDDING_MODEL,
        )
        assert embedded == runtime.index.count() > 0
        (record,) = records(runtime.audit, "ingest")
        assert record.value("details")["embedded"] == embedded
        assert FAKE_EMBEDDING_MODEL in record.value("details")["retrieval"]


def test_vectors_find_passages_no_word_of_the_question_is_in(
    vector_url: str, tmp_path: Path, documents: Path
) -> None:
    """A question sharing no word with the corpus is answered by similarity, nearest first."""
    with opened(tmp_path, vector_url, model()) as runtime:
        ingest(runtime, documents, actor="ops", role="operator")
        found = Retriever(runtime.index, top_k=2, abstain_below=0.5).retrieve(
            "Holiday entitlement?"
        )
        assert [s.passage.title for s in found.passages] == ["Leave policy", "Expenses"]
        assert not found.abstain
        assert found.best == pytest.approx(0.8 / math.sqrt(0.93), abs=1e-4)


def test_an_answer_found_by_similarity_cites_only_retrieved_passages(
    vector_url: str, tmp_path: Path, documents: Path
) -> None:
    """Through the assistant, a question with no word of the corpus is answered and cited."""
    with opened(tmp_path, vector_url, model()) as runtime:
        runtime.budgets.caps.update(dict.fromkeys(runtime.budgets.caps))
        ingest(runtime, documents, actor="ops", role="operator")
        assistant = Assistant(with_retrieval(as_assistant(runtime)))
        answer = assistant.answer("Holiday entitlement?", actor="alice", role="user")
        assert answer.status == "answered", answer
        assert answer.citations and {c.id for c in answer.citations} <= set(answer.passage_ids)
        assert "Leave policy" in {c.title for c in answer.citations}


def test_lexical_and_vector_candidates_are_fused(
    vector_url: str, tmp_path: Path, documents: Path
) -> None:
    """A question worded like one passage and meaning another retrieves both, within top_k."""
    with opened(tmp_path, vector_url, model()) as runtime:
        ingest(runtime, documents, actor="ops", role="operator")
        retriever = Retriever(runtime.index, top_k=2, abstain_below=0.5)
        found = retriever.retrieve("badges premises holiday")
        assert {s.passage.title for s in found.passages} == {"Security", "Leave policy"}
        one = Retriever(runtime.index, top_k=1, abstain_below=0.5)
        assert len(one.retrieve("badges premises holiday").passages) == 1


def test_unrelated_question_still_abstains(
    vector_url: str, tmp_path: Path, documents: Path
) -> None:
    """A question near no passage and sharing no word with one is handed to a person."""
    with opened(tmp_path, vector_url, model()) as runtime:
        ingest(runtime, documents, actor="ops", role="operator")
        found = Retriever(runtime.index, top_k=2, abstain_below=0.5).retrieve(
            "What is the capital of Mongolia?"
        )
        assert found.abstain


def test_an_embedding_outage_falls_back_to_full_text(
    vector_url: str, tmp_path: Path, documents: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The embedding model failing on a question leaves full-text retrieval answering, logged."""
    embedder = model()
    with opened(tmp_path, vector_url, embedder) as runtime:
        ingest(runtime, documents, actor="ops", role="operator")
        embedder.keywords = {}  # any later call fails
        found = Retriever(runtime.index, top_k=2, abstain_below=0.5).retrieve(
            "Are badges worn on the premises?"
        )
        assert found.passages[0].passage.title == "Security" and not found.abstain
        assert "full-text only" in caplog.text


def test_another_embedding_model_re_embeds_and_the_same_does_not(
    vector_url: str, tmp_path: Path, documents: Path
) -> None:
    """Re-ingest embeds only what changed; a new model's ingest replaces every vector."""
    first = model("keywords-a")
    with opened(tmp_path, vector_url, first) as runtime:
        ingest(runtime, documents, actor="ops", role="operator")
        ingest(runtime, documents, actor="ops", role="operator")
        assert first.calls == len(DOCUMENTS)  # the second ingest reused every vector
        assert runtime.index.last_embedded == 0
    second = model("keywords-b")
    with opened(tmp_path, vector_url, second) as runtime:
        assert "not embedded by this model" in runtime.index.mode()
        ingest(runtime, documents, actor="ops", role="operator")
        assert second.calls == len(DOCUMENTS)
        by_model = _models(runtime.db)
        assert by_model == {"test:keywords-b": len(DOCUMENTS)}
        assert "not embedded" not in runtime.index.mode()


def test_a_server_without_pgvector_serves_full_text(postgres_server: str, tmp_path: Path) -> None:
    """Without the extension the migration runs, nothing is embedded, full-text answers."""
    if _available(postgres_server):
        pytest.skip("this server has pgvector: the test needs one without it")
    with (
        postgres.schema(postgres_server) as owner,
        postgres.app_role(owner) as app,
        opened(tmp_path, app, None) as runtime,
    ):
        assert not runtime.index.vectors
        assert "without pgvector" in runtime.index.mode()
        ingest(runtime, runtime.settings.corpus_dir, actor="ops", role="operator")
        assert count(runtime.db, "SELECT COUNT(*) AS n FROM passage_embeddings") == 0
        found = Retriever(runtime.index, top_k=3, abstain_below=0.3).retrieve(
            "How long are certificates from the internal issuer valid?"
        )
        assert not found.abstain


def test_a_role_that_may_not_enable_pgvector_still_migrates(
    pgvector_server: str, tmp_path: Path
) -> None:
    """Pgvector installable but the migrating role may not enable it: migrated, full-text serves."""
    name = f"novector_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pgvector_server, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {name} LOGIN PASSWORD '{name}'")
        conn.execute(f"CREATE DATABASE {name} OWNER {name}")
    url = postgres.as_user(
        urlunsplit(urlsplit(pgvector_server)._replace(path=f"/{name}")), name, name
    )
    try:
        database = connect(url)
        try:
            assert [m.label for m in migrate(database)][-1] == "0002_passage_embeddings"
        finally:
            database.close()
        with opened(tmp_path, url, None) as runtime:
            assert not runtime.index.vectors and "without pgvector" in runtime.index.mode()
            ingest(runtime, runtime.settings.corpus_dir, actor="ops", role="operator")
            found = Retriever(runtime.index, top_k=3, abstain_below=0.3).retrieve(
                "How long are certificates from the internal issuer valid?"
            )
            assert not found.abstain
    finally:
        with psycopg.connect(pgvector_server, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE {name} WITH (FORCE)")
            conn.execute(f"DROP ROLE {name}")


def test_production_refuses_the_fake_embedder_where_vectors_are_used(
    vector_url: str, tmp_path: Path
) -> None:
    """ENVIRONMENT=production on pgvector with no EMBEDDING_MODEL refuses to start, in one line."""
    settings = make_settings(tmp_path, vector_url, environment="production", tools_mode="live")
    with pytest.raises(StartupRefused, match="refuses to start on the fake embedder") as refused:
        open_runtime(settings)
    assert "\n" not in str(refused.value)


def test_an_unknown_embedding_provider_refuses_to_start_in_one_line(tmp_path: Path) -> None:
    """EMBEDDING_MODEL naming no provider pydantic-ai knows stops the start, naming it."""
    settings = make_settings(tmp_path, embedding_model="nonsense-model")
    with pytest.raises(StartupRefused, match="EMBEDDING_MODEL 'nonsense-model'") as refused:
        open_runtime(settings)
    assert "\n" not in str(refused.value)


def _models(db: Database) -> dict[str, int]:
    with db.connect() as conn:
        rows = conn.execute(
            "SELECT model, COUNT(*) AS n FROM passage_embeddings GROUP BY model"
        ).fetchall()
    return {str(r["model"]): int(r["n"]) for r in rows}


def _available(url: str) -> bool:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'").fetchone()
    return row is not None
