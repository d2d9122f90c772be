"""Time a generated assistant's retrieval at scale (run by the retrieval figure, in its env).

``python -m benchmarks._retrieval PACKAGE PASSAGES QUESTIONS REPETITIONS`` opens the
runtime of the generated ``PACKAGE`` from its settings (``<PREFIX>DATABASE``: a fresh SQLite
file), makes the seeded synthetic corpus of PASSAGES passages the index's whole content
through the generated ``Index.replace`` (what ``<name> ingest`` calls), then times
QUESTIONS questions, one at a time, through the generated ``Retriever`` (the spec's
``top_k`` and ``abstain_below``) and through the bare baseline, REPETITIONS times each in
rotating order after a warm-up round, and prints one JSON line: each repetition's p95 and
p50 in milliseconds for both sides, the ingest time, and how well retrieval did
(answerable questions that found their passage, unanswerable ones handed to a person).

The baseline is the one SQLite FTS5 ``MATCH`` statement ``Index.candidates`` sends (same
table, same terms, same ``LIMIT``: the terms the retriever chose for that question,
recorded in the warm-up) on a plain ``sqlite3`` connection to the same file, rows fetched
and nothing else. The ratio is what the retriever adds around it: document-frequency and
count look-ups, choosing terms, re-scoring the candidates, the abstention rule.
"""

from __future__ import annotations

import importlib
import json
import sqlite3
import sys
import time
from collections.abc import Callable
from typing import Any

from benchmarks._genai import Corpus, Question, percentile

MATCH_SQL = (
    "SELECT p.* FROM passages_fts f JOIN passages p ON p.passage_id = f.passage_id"
    " WHERE passages_fts MATCH ? ORDER BY rank LIMIT ?"
)
"""The statement ``Index.candidates`` of the generated retrieval.py sends on SQLite."""


def measure(package: str, size: int, count: int, repetitions: int) -> dict[str, Any]:
    """Ingest, then time retrieval against the bare MATCH; the measurements as plain data."""
    runtime_module = importlib.import_module(f"{package}.runtime")
    settings_module = importlib.import_module(f"{package}.settings")
    corpus_module = importlib.import_module(f"{package}.corpus")
    rt = runtime_module.open_runtime(settings_module.get_settings())
    try:
        corpus = Corpus.make(size)
        started = time.perf_counter()
        passages = [corpus_module.Passage(**p.__dict__) for p in corpus.passages()]
        made = time.perf_counter() - started
        started = time.perf_counter()
        stored = rt.index.replace("benchmark-corpus", passages)
        ingest_seconds = time.perf_counter() - started
        del passages
        retriever = rt.retriever()
        if retriever is None:
            raise SystemExit(f"{package}: spec.yaml has no retrieval")
        questions = corpus.questions(count)
        sent: list[tuple[str, int]] = []
        real_candidates = rt.index.candidates

        def recording(terms: Any, limit: int) -> Any:
            sent.append((" OR ".join(f'"{t}"' for t in terms), limit))
            return real_candidates(terms, limit)

        rt.index.candidates = recording
        quality = _quality(questions, retriever)
        rt.index.candidates = real_candidates
        if len(sent) != len(questions):
            raise SystemExit(f"expected one MATCH per question, saw {len(sent)}")
        bare = sqlite3.connect(str(settings_module.get_settings().database))

        def retrieve(n: int) -> None:
            retriever.retrieve(questions[n].text)

        def match(n: int) -> None:
            if sent[n][0]:
                bare.execute(MATCH_SQL, sent[n]).fetchall()

        sides: dict[str, Callable[[int], None]] = {"retriever": retrieve, "bare": match}
        p95: dict[str, list[float]] = {name: [] for name in sides}
        p50: dict[str, list[float]] = {name: [] for name in sides}
        names = list(sides)
        for rep in range(1 + repetitions):  # the first round warms the caches, dropped
            shift = rep % len(names)
            for name in names[shift:] + names[:shift]:
                times = _timed(sides[name], len(questions))
                if rep:
                    p95[name].append(percentile(times, 0.95))
                    p50[name].append(percentile(times, 0.5))
        bare.close()
    finally:
        rt.close()
    return {
        "passages": stored,
        "questions": len(questions),
        "unanswerable": sum(not q.answerable for q in questions),
        "corpus_seconds": made,
        "ingest_seconds": ingest_seconds,
        "p95_ms": p95,
        "p50_ms": p50,
        **quality,
    }


def _timed(call: Callable[[int], None], count: int) -> list[float]:
    times = []
    for n in range(count):
        started = time.perf_counter()
        call(n)
        times.append((time.perf_counter() - started) * 1000)
    return times


def _quality(questions: list[Question], retriever: Any) -> dict[str, int]:
    """How the retriever did: its passage found, abstentions on (un)answerable questions."""
    found_passage = abstained_answerable = answered_wrongly = 0
    for question in questions:
        found = retriever.retrieve(question.text)
        if question.answerable:
            found_passage += question.passage_id in found.ids
            abstained_answerable += found.abstain
        else:
            answered_wrongly += not found.abstain
    return {
        "answerable_found_passage": found_passage,
        "answerable_abstained": abstained_answerable,
        "unanswerable_not_abstained": answered_wrongly,
    }


def main(argv: list[str]) -> int:
    """Measure and print one JSON line."""
    package, size, count, repetitions = argv[0], int(argv[1]), int(argv[2]), int(argv[3])
    sys.stdout.write(json.dumps(measure(package, size, count, repetitions)) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
