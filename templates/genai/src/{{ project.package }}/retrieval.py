"""Retrieval: an embedded full-text index by default, PostgreSQL full-text in production.

Passages live in the project's database. On SQLite they are indexed by FTS5 (BM25 ranking,
Porter stemming) in the same file: no extra service, and measured at 100,000 passages well
within the p95 goal (``benchmarks/retrieval.py``). On PostgreSQL a generated ``tsvector``
column with a GIN index does the same across replicas.

Ranking finds candidates; the *score* that decides abstention is the same on both
backends and easy to read: the share of the question's information (its terms weighted by
inverse document frequency) that a passage contains, from 0 to 1. A question whose
informative words the knowledge source does not have scores low and is handed to a person
(``retrieval.abstain_below``).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .audit import Database
from .corpus import Passage

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
    """The passages of one database, searchable by terms."""

    def __init__(self, db: Database) -> None:
        """Search and fill ``db``'s passages."""
        self.db = db

    def replace(self, source_folder: str, passages: Sequence[Passage]) -> int:
        """Make ``passages`` the whole content of the index; return how many there are.

        Replaces what a previous ingest left, in one transaction (readers see the old or
        the new corpus, never half of each). ``source_folder`` is recorded for the audit.
        """
        del source_folder
        df: Counter[str] = Counter()
        for p in passages:
            df.update(set(terms(f"{p.title} {p.text}")))
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
        return len(passages)

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
        found = self.index.candidates(
            chosen[:MAX_QUERY_TERMS] or by_rarity[:2], self.top_k * CANDIDATE_FACTOR
        )
        if not found:
            return Retrieved((), abstain=True)
        weight = {t: math.log(1 + total / (df.get(t, 0) + 1)) for t in asked}
        whole = sum(weight.values()) or 1.0
        scored = []
        for rank, passage in enumerate(found):
            present = set(terms(f"{passage.title} {passage.text}"))
            coverage = sum(w for t, w in weight.items() if t in present) / whole
            scored.append((round(coverage, 6), -rank, passage))
        scored.sort(key=lambda item: (item[0], item[1]), reverse=True)
        best = tuple(Scored(p, s) for s, _, p in scored[: self.top_k])
        return Retrieved(best, abstain=best[0].score < self.abstain_below)
