"""Retrieval latency at scale: p50/p95 of a question against 100,000 passages.

:func:`retrieval_latency` builds a synthetic corpus (Zipf-distributed words, about 60 per
passage, like runbook sections), ingests it into a fresh SQLite file (FTS5) or a PostgreSQL
schema, and times :meth:`Retriever.retrieve` (candidates, document frequencies and the
coverage score) for questions made of corpus words. :func:`bm25s_latency` times the bm25s
library on the same corpus, the alternative that was measured before FTS5 was chosen. Both report recall@5: how often
the passage a question was taken from comes back in the top five.
The goal (issue: p95 <= 50 ms at 100,000 passages) is checked by the caller, as a figure.

Run: ``python -m benchmarks.retrieval [PASSAGES] [QUESTIONS]``.
"""

from __future__ import annotations

import itertools
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

SEED = 20261207


def synthetic_corpus(passages: int, *, seed: int = SEED) -> tuple[list[str], list[str]]:
    """Passages of Zipf-distributed pseudo-words, and the vocabulary (most common first)."""
    rng = random.Random(seed)  # noqa: S311 - synthetic benchmark data, not security
    vocabulary = [f"w{n:05d}x" for n in range(30_000)]
    cumulative = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(vocabulary))))
    texts = [
        " ".join(rng.choices(vocabulary, cum_weights=cumulative, k=rng.randint(40, 80)))
        for _ in range(passages)
    ]
    return texts, vocabulary


def questions(texts: list[str], count: int, *, seed: int = SEED) -> list[tuple[int, str]]:
    """Questions of 5 to 9 words taken from random passages, with the passage they came from."""
    rng = random.Random(seed + 1)  # noqa: S311 - synthetic benchmark data, not security
    out = []
    for _ in range(count):
        source = rng.randrange(len(texts))
        words = texts[source].split()
        picked = rng.sample(words, k=min(len(words), rng.randint(5, 9)))
        out.append((source, "what about " + " ".join(picked)))
    return out


def _percentiles(timings: list[float]) -> dict[str, float]:
    ordered = sorted(timings)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))] * 1000, 2),
        "max_ms": round(ordered[-1] * 1000, 2),
    }


def _time(call: Callable[[str], Any], asked: list[str]) -> list[float]:
    for question in asked[:10]:  # warm the caches
        call(question)
    timings = []
    for question in asked:
        start = time.perf_counter()
        call(question)
        timings.append(time.perf_counter() - start)
    return timings


def retrieval_latency(
    passages: int = 100_000, count: int = 200, *, database_url: str | None = None
) -> dict[str, Any]:
    """Ingest ``passages`` synthetic passages and time ``count`` retrievals (top 5)."""
    from tests.package import Database, Index, Passage, Retriever, connect, ready

    texts, _ = synthetic_corpus(passages)
    with tempfile.TemporaryDirectory() as folder:
        database: Database = ready(connect(database_url or str(Path(folder) / "bench.sqlite3")))
        try:
            index = Index(database)
            started = time.perf_counter()
            index.replace(
                "synthetic",
                [
                    Passage(f"p{n}", "synthetic.md", f"section {n}", text, n)
                    for n, text in enumerate(texts)
                ],
            )
            ingest_s = time.perf_counter() - started
            retriever = Retriever(index, top_k=5, abstain_below=0.35)
            asked = questions(texts, count)
            timings = _time(retriever.retrieve, [q for _, q in asked])
            found = sum(f"p{source}" in retriever.retrieve(q).ids for source, q in asked)
        finally:
            database.close()
    return {"backend": "postgresql" if database_url else "sqlite-fts5", "passages": passages, "questions": count,
            "ingest_s": round(ingest_s, 1), "recall_at_5": found / count, **_percentiles(timings)}  # fmt: skip


def bm25s_latency(passages: int = 100_000, count: int = 200) -> dict[str, Any]:
    """The same measurement with the bm25s library (in memory; needs ``bm25s`` installed)."""
    import bm25s

    texts, _ = synthetic_corpus(passages)
    started = time.perf_counter()
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize(texts, show_progress=False), show_progress=False)
    ingest_s = time.perf_counter() - started

    def ask(question: str) -> Any:
        return retriever.retrieve(
            bm25s.tokenize([question], show_progress=False), k=20, show_progress=False
        )

    asked = questions(texts, count)
    timings = _time(ask, [q for _, q in asked])
    found = sum(source in set(ask(q)[0][0][:5]) for source, q in asked)
    return {"backend": "bm25s", "passages": passages, "questions": count, "ingest_s": round(ingest_s, 1),
            "recall_at_5": found / count, **_percentiles(timings)}  # fmt: skip


if __name__ == "__main__":
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    asked = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    sys.stdout.write(f"{retrieval_latency(size, asked)}\n")
    sys.stdout.write(f"{bm25s_latency(size, asked)}\n")
