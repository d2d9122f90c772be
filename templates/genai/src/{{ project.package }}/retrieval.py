"""Retrieval: an embedded full-text index by default; on PostgreSQL full-text plus pgvector.

Passages live in the project's database. On SQLite they are indexed by FTS5 (BM25 ranking,
Porter stemming) in the same file: no extra service, and measured at 100,000 passages well
within the p95 goal (``benchmarks/retrieval.py``). On PostgreSQL a generated ``tsvector``
column with a GIN index does the same across replicas, and where the ``vector`` extension
(pgvector) is installed retrieval is hybrid: each passage also has an embedding
(``embeddings.py``; ``passage_embeddings``, an HNSW index with cosine distance), the
question's nearest neighbours join the full-text candidates, and the two rankings are fused
by reciprocal rank fusion (:data:`RRF_K`). Without pgvector, or with
``<PREFIX>EMBEDDING_MODEL=none``, PostgreSQL retrieval stays full-text and :meth:`Index.mode`
says so (``/readyz``, the log at start).

Ranking finds candidates; the *score* that decides abstention is easy to read: the share of
the question's information (its terms weighted by inverse document frequency) that a
passage contains, from 0 to 1, or, where vectors are used, the passage's cosine similarity
to the question when that is higher. A question whose informative words the knowledge
source does not have, and whose meaning is near no passage, scores low and is handed to a
person (``retrieval.abstain_below``; calibrate it for your embedding model with the evals).
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .audit import Connection, Database
from .corpus import Passage
from .embeddings import Embeddings
from .settings import ENV_PREFIX

log = logging.getLogger(__name__)

_TERM = re.compile(r"[a-z0-9]+")
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "can",
        "could",
        "do",
        "does",
        "for",
        "from",
        "has",
        "have",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "me",
        "my",
        "of",
        "on",
        "or",
        "our",
        "so",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "to",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "should",
        "shall",
        "may",
        "might",
        "must",
        "not",
        "no",
        "any",
        "all",
        "some",
        "about",
        "after",
        "before",
        "over",
        "under",
        "again",
        "further",
        "once",
        "here",
        "very",
        "own",
        "same",
        "too",
        "just",
        "also",
        "only",
    ]
)
CANDIDATE_FACTOR = 4
"""Candidates ranked by the index per passage returned (re-scored by coverage)."""
COUNT_KEY = "#passages"
"""The row of ``retrieval_terms`` holding the number of passages (terms are [a-z0-9] only)."""
MAX_QUERY_TERMS = 4
COMMON_SHARE = 0.04
"""Words in more than this share of passages rank little and cost much: left out of the
index query (they still count in the score), unless the question has nothing rarer."""
COMMON_FLOOR = 100
"""Below this many passages holding a word, it is never too common to look up."""
RRF_K = 60
"""Reciprocal rank fusion's constant: a passage ranked r-th in a list adds 1 / (RRF_K + r)."""


_PLACEHOLDER = re.compile(r"<[A-Z_]+>")
"""What PII redaction leaves in a question (``<EMAIL_ADDRESS>``): not something to search for."""
_SUFFIXES = ("ing", "ed", "es", "s", "e")


def stem(word: str) -> str:
    """A light suffix stripper, so that "paged", "pages" and "page" are one term."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def terms(text: str) -> list[str]:
    """The scoring terms of a text: lower-case stemmed words, stop words and placeholders out."""
    words = _TERM.findall(_PLACEHOLDER.sub(" ", text).lower())
    return [stem(t) for t in words if t not in STOPWORDS and len(t) > 1]


def search_terms(text: str) -> list[str]:
    """The words to look up in the full-text index (it stems by itself)."""
    words = _TERM.findall(_PLACEHOLDER.sub(" ", text).lower())
    return list(dict.fromkeys(t for t in words if t not in STOPWORDS and len(t) > 1))


@dataclass(frozen=True)
class Scored:
    """A retrieved passage with its score (share of the question's information it holds)."""

    passage: Passage
    score: float


@dataclass(frozen=True)
class Retrieved:
    """What a question retrieved, and whether to hand it to a person."""

    passages: tuple[Scored, ...]
    abstain: bool

    @property
    def best(self) -> float:
        """The best score (0 when nothing was found)."""
        return max((s.score for s in self.passages), default=0.0)

    @property
    def ids(self) -> list[str]:
        """The retrieved passage ids, best first."""
        return [s.passage.id for s in self.passages]


class Index:
    """The passages of one database, searchable by terms (and by vectors with pgvector)."""

    def __init__(self, db: Database, embeddings: Embeddings | None = None) -> None:
        """Search and fill ``db``'s passages; ``embeddings`` embed them where pgvector is."""
        self.db = db
        self.embeddings = embeddings
        self.vector_schema = vector_schema(db)
        """The schema of the ``vector`` extension (None: SQLite, or PostgreSQL without it)."""
        self.last_embedded = 0
        """How many passages the last :meth:`replace` embedded (the others were unchanged)."""

    @property
    def vectors(self) -> bool:
        """Whether retrieval uses vectors (PostgreSQL with pgvector and an embedding model)."""
        return self.vector_schema is not None and self.embeddings is not None

    def mode(self) -> str:
        """How retrieval works here, in one line (``/readyz`` and the log at start say it)."""
        if self.db.dialect == "sqlite":
            return "full-text (SQLite FTS5)"
        if self.vector_schema is None:
            return "full-text (PostgreSQL without pgvector: the vector extension is not installed)"
        if self.embeddings is None:
            return f"full-text (PostgreSQL; {ENV_PREFIX}EMBEDDING_MODEL=none)"
        stale = self.unembedded()
        note = f"; {stale} passages not embedded by this model: run ingest" if stale else ""
        return f"hybrid (PostgreSQL full-text and pgvector, {self.embeddings.name}{note})"

    def unembedded(self) -> int:
        """How many passages have no vector from the current embedding model."""
        if not self.vectors or self.embeddings is None:
            return 0
        with self.db.connect() as conn:
            row = conn.execute(
                "SELECT count(*) AS n FROM passages p WHERE NOT EXISTS (SELECT 1 FROM"
                " passage_embeddings e WHERE e.passage_id = p.passage_id AND e.model = ?)",
                (self.embeddings.name,),
            ).fetchone()
        return int(row["n"])

    def replace(self, source_folder: str, passages: Sequence[Passage]) -> int:
        """Make ``passages`` the whole content of the index; return how many there are.

        Replaces what a previous ingest left, in one transaction (readers see the old or
        the new corpus, never half of each). ``source_folder`` is recorded for the audit.
        With vectors, passages whose text or embedding model changed are embedded first
        (in batches, before the transaction: no lock is held while a provider answers).
        """
        del source_folder
        df: Counter[str] = Counter()
        for p in passages:
            df.update(set(terms(f"{p.title} {p.text}")))
        embedded = self._embed(passages)
        now = self.db.now()
        with self.db.transaction() as conn:
            self.db.lock(conn, "genai-index")
            conn.execute("DELETE FROM passages")
            conn.execute("DELETE FROM retrieval_terms")
            if self.db.dialect == "sqlite":
                conn.execute("DELETE FROM passages_fts")
            for p in passages:
                row = (p.id, p.source, p.title, p.text, p.position, now)
                conn.execute(
                    "INSERT INTO passages (passage_id, source, title, body, position, ingested_at)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    row,
                )
                if self.db.dialect == "sqlite":
                    conn.execute(
                        "INSERT INTO passages_fts (passage_id, title, body) VALUES (?, ?, ?)",
                        (p.id, p.title, p.text),
                    )
            for term, count in df.items():
                conn.execute("INSERT INTO retrieval_terms (term, df) VALUES (?, ?)", (term, count))
            conn.execute(
                "INSERT INTO retrieval_terms (term, df) VALUES (?, ?)", (COUNT_KEY, len(passages))
            )
            if embedded is not None:
                self._store_vectors(conn, embedded, now)
        self.last_embedded = 0 if embedded is None else len(embedded)
        return len(passages)

    def _embed(self, passages: Sequence[Passage]) -> list[tuple[str, str, list[float]]] | None:
        """(id, text digest, vector) of each passage to (re-)embed; None without vectors."""
        if not self.vectors or self.embeddings is None:
            return None
        with self.db.connect() as conn:
            rows = conn.execute(
                "SELECT passage_id, body_sha256 FROM passage_embeddings WHERE model = ?",
                (self.embeddings.name,),
            ).fetchall()
        kept = {str(r["passage_id"]): str(r["body_sha256"]) for r in rows}
        todo = [(p, _digest(p)) for p in passages]
        todo = [(p, digest) for p, digest in todo if kept.get(p.id) != digest]
        vectors = self.embeddings.documents([f"{p.title}\n\n{p.text}" for p, _ in todo])
        return [(p.id, digest, v) for (p, digest), v in zip(todo, vectors, strict=True)]

    def _store_vectors(
        self, conn: Connection, embedded: list[tuple[str, str, list[float]]], now: str
    ) -> None:
        """Write new vectors; drop those of another model or of passages no longer there."""
        model = self.embeddings.name if self.embeddings is not None else ""
        conn.execute("DELETE FROM passage_embeddings WHERE model <> ?", (model,))
        for passage_id, digest, vector in embedded:
            conn.execute(
                "INSERT INTO passage_embeddings (passage_id, model, dimensions, body_sha256,"
                " embedding, embedded_at) VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (passage_id) DO UPDATE SET model = excluded.model,"
                " dimensions = excluded.dimensions, body_sha256 = excluded.body_sha256,"
                " embedding = excluded.embedding, embedded_at = excluded.embedded_at",
                (passage_id, model, len(vector), digest, vector, now),
            )
        conn.execute(
            "DELETE FROM passage_embeddings e WHERE NOT EXISTS"
            " (SELECT 1 FROM passages p WHERE p.passage_id = e.passage_id)"
        )

    def count(self) -> int:
        """How many passages the index holds."""
        with self.db.connect() as conn:
            row = conn.execute(
                "SELECT df FROM retrieval_terms WHERE term = ?", (COUNT_KEY,)
            ).fetchone()
        return 0 if row is None else int(row["df"])

    def candidates(self, query_terms: Sequence[str], limit: int) -> list[Passage]:
        """Passages that contain any of the terms, best ranked first."""
        if not query_terms:
            return []
        with self.db.connect() as conn:
            if self.db.dialect == "sqlite":
                match = " OR ".join(f'"{t}"' for t in query_terms)  # terms are [a-z0-9]+ only
                rows = conn.execute(
                    "SELECT p.* FROM passages_fts f JOIN passages p ON p.passage_id = f.passage_id"
                    " WHERE passages_fts MATCH ? ORDER BY rank LIMIT ?",
                    (match, limit),
                ).fetchall()
            else:
                query = " | ".join(query_terms)
                rows = conn.execute(
                    "SELECT p.*, ts_rank_cd(p.tsv, q) AS rank FROM passages p,"
                    " to_tsquery('english', ?) q WHERE p.tsv @@ q ORDER BY rank DESC LIMIT ?",
                    (query, limit),
                ).fetchall()
        return [_passage(row) for row in rows]

    def neighbours(self, question: str, limit: int) -> list[tuple[Passage, float]]:
        """The passages nearest to ``question`` by cosine similarity, nearest first.

        Empty without vectors, for a question whose vector is zero (no meaning to compare),
        and when the embedding model fails (logged, by the error's type only): the question
        is then answered from full-text alone rather than not at all.
        """
        if not self.vectors or self.embeddings is None or self.vector_schema is None:
            return []
        try:
            vector = self.embeddings.query(question)
        except Exception as err:  # a provider outage must not take retrieval down with it
            log.warning(
                "retrieval: embedding the question failed (%s): full-text only",
                type(err).__name__,
            )
            return []
        if not vector or not all(math.isfinite(x) for x in vector) or not any(vector):
            return []
        size = len(vector)  # an int: safe in the SQL, and it selects the partial index
        ext = _ident(self.vector_schema)
        cast = f"{ext}.vector({size})"
        distance = f"e.embedding::{cast} OPERATOR({ext}.<=>) CAST(? AS {cast})"
        literal = "[" + ",".join(repr(x) for x in vector) + "]"
        with self.db.connect() as conn:
            rows = conn.execute(
                f"SELECT p.*, 1 - ({distance}) AS similarity FROM passage_embeddings e"  # noqa: S608 - identifiers quoted, size an int
                f" JOIN passages p ON p.passage_id = e.passage_id"
                f" WHERE e.model = ? AND e.dimensions = {size} ORDER BY {distance} LIMIT ?",
                (literal, self.embeddings.name, literal, limit),
            ).fetchall()
        return [(_passage(row), float(row["similarity"])) for row in rows]

    def document_frequencies(self, query_terms: Iterable[str]) -> dict[str, int]:
        """How many passages hold each term."""
        wanted = sorted(set(query_terms))
        if not wanted:
            return {}
        marks = ", ".join("?" for _ in wanted)
        with self.db.connect() as conn:
            rows = conn.execute(
                f"SELECT term, df FROM retrieval_terms WHERE term IN ({marks})",  # noqa: S608 - placeholders only
                wanted,
            ).fetchall()
        return {str(r["term"]): int(r["df"]) for r in rows}

    def passages(self, ids: Iterable[str]) -> dict[str, Passage]:
        """The stored passages with these ids."""
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        marks = ", ".join("?" for _ in wanted)
        with self.db.connect() as conn:
            rows = conn.execute(
                f"SELECT * FROM passages WHERE passage_id IN ({marks})",  # noqa: S608 - placeholders only
                wanted,
            ).fetchall()
        return {str(r["passage_id"]): _passage(r) for r in rows}


def vector_schema(db: Database) -> str | None:
    """The schema pgvector's ``vector`` type lives in, or None (SQLite, or not installed)."""
    if db.dialect != "postgresql":
        return None
    with db.connect() as conn:
        row = conn.execute(
            "SELECT n.nspname AS schema FROM pg_extension e"
            " JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'vector'"
        ).fetchone()
    return None if row is None else str(row["schema"])


def _ident(name: str) -> str:
    """Quote an SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def _digest(passage: Passage) -> str:
    """What a stored vector was made from: a changed title or text is embedded again."""
    return hashlib.sha256(f"{passage.title}\n\n{passage.text}".encode()).hexdigest()


def _passage(row: Any) -> Passage:
    r = dict(row)  # sqlite3.Row and psycopg dict rows both map names to values
    return Passage(
        str(r["passage_id"]), str(r["source"]), str(r["title"]), str(r["body"]), int(r["position"])
    )


class Retriever:
    """Top-k retrieval with a coverage score and the abstention rule."""

    def __init__(self, index: Index, *, top_k: int, abstain_below: float) -> None:
        """Return ``top_k`` passages; abstain when the best scores under ``abstain_below``."""
        self.index, self.top_k, self.abstain_below = index, top_k, abstain_below

    def retrieve(self, question: str) -> Retrieved:
        """The best passages for ``question`` and whether to hand it to a person."""
        asked = list(dict.fromkeys(terms(question)))
        words = search_terms(question)
        df = self.index.document_frequencies({*asked, *(stem(w) for w in words)})
        total = max(self.index.count(), 1)
        by_rarity = sorted(words, key=lambda w: df.get(stem(w), 0))
        common = max(COMMON_SHARE * total, COMMON_FLOOR)
        chosen = [w for w in by_rarity if df.get(stem(w), 0) <= common]
        limit = self.top_k * CANDIDATE_FACTOR
        found = self.index.candidates(chosen[:MAX_QUERY_TERMS] or by_rarity[:2], limit)
        near = self.index.neighbours(question, limit)
        if not found and not near:
            return Retrieved((), abstain=True)
        weight = {t: math.log(1 + total / (df.get(t, 0) + 1)) for t in asked}
        whole = sum(weight.values()) or 1.0
        passages = {p.id: p for p in found} | {p.id: p for p, _ in near}
        coverage: dict[str, float] = {}
        for passage in passages.values():
            present = set(terms(f"{passage.title} {passage.text}"))
            coverage[passage.id] = sum(w for t, w in weight.items() if t in present) / whole
        lexical = sorted(
            enumerate(found), key=lambda item: (round(coverage[item[1].id], 6), -item[0])
        )
        fused = dict.fromkeys(passages, 0.0)
        for rank, (_, passage) in enumerate(reversed(lexical)):
            fused[passage.id] += 1 / (RRF_K + rank + 1)
        similarity: dict[str, float] = {}
        for rank, (passage, cosine) in enumerate(near):
            fused[passage.id] += 1 / (RRF_K + rank + 1)
            similarity[passage.id] = cosine
        score = {pid: round(max(coverage[pid], similarity.get(pid, 0.0)), 6) for pid in passages}
        order = sorted(passages, key=lambda pid: (fused[pid], score[pid]), reverse=True)
        best = tuple(Scored(passages[pid], score[pid]) for pid in order[: self.top_k])
        return Retrieved(best, abstain=max(s.score for s in best) < self.abstain_below)
