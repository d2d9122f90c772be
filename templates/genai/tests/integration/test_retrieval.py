"""Retrieval over the sample corpus, on the embedded index and on PostgreSQL full-text."""

from __future__ import annotations

from pathlib import Path

import pytest

from ..package import IngestError, Passage, Retriever, Runtime, ingest
from tests.support import ANSWERING_THRESHOLD, records

RELEVANT = "How long are certificates from the internal issuer valid?"


def retriever(runtime: Runtime) -> Retriever:
    """The spec's retriever, its threshold at most the answering one (the default without)."""
    found = runtime.retriever()
    if found is None:
        return Retriever(runtime.index, top_k=5, abstain_below=ANSWERING_THRESHOLD)
    threshold = min(found.abstain_below, ANSWERING_THRESHOLD)
    return Retriever(runtime.index, top_k=found.top_k, abstain_below=threshold)


def test_sample_corpus_is_ingested_and_audited(runtime: Runtime) -> None:
    """The shipped corpus gives passages, and the ingest is audited by counts."""
    assert runtime.index.count() > 0
    (record,) = records(runtime.audit, "ingest")
    assert record.value("details")["passages"] == runtime.index.count()


def test_relevant_question_finds_its_section(runtime: Runtime) -> None:
    """A question about a runbook section retrieves that section first, above the threshold."""
    found = retriever(runtime).retrieve(RELEVANT)
    assert not found.abstain
    assert found.passages[0].passage.source == "certificate-expiry.txt"
    assert found.best > 0.5


def test_the_spec_threshold_decides_when_to_hand_off(runtime: Runtime) -> None:
    """With the spec's retrieval, a question goes to a person exactly when its best score is low."""
    spec = runtime.retriever()
    if spec is None:
        pytest.skip("spec.yaml has no retrieval")
    found = spec.retrieve(RELEVANT)
    assert found.passages and found.abstain is (found.best < spec.abstain_below)


def test_unrelated_question_abstains(runtime: Runtime) -> None:
    """A question the corpus cannot answer scores low and abstains."""
    found = retriever(runtime).retrieve("What is the capital of Mongolia?")
    assert found.abstain


def test_top_k_is_respected(runtime: Runtime) -> None:
    """No more than top_k passages come back."""
    found = Retriever(runtime.index, top_k=2, abstain_below=0.0).retrieve(
        "runbook rollback deployment latency"
    )
    assert len(found.passages) <= 2


def test_search_syntax_in_questions_is_harmless(runtime: Runtime) -> None:
    """Full-text operators and quotes in a question are words, not syntax."""
    for question in [
        'rollback" OR 1=1 --',
        "NEAR(a b) * ^ : -",
        "' ; DROP TABLE passages; --",
        "&|!():*",
    ]:
        retriever(runtime).retrieve(question)
    assert runtime.index.count() > 0


def test_reingest_replaces_the_corpus_with_the_same_ids(runtime: Runtime) -> None:
    """Ingesting the same folder again gives the same passage ids and no duplicates."""
    before = sorted(runtime.index.passages([p.id for p in _all(runtime)]))
    ingest(runtime, runtime.settings.corpus_dir, actor="ops", role="operator")
    after = sorted(runtime.index.passages([p.id for p in _all(runtime)]))
    assert before == after
    assert runtime.index.count() == len(after)


def test_own_markdown_replaces_the_sample(runtime: Runtime, tmp_path: Path) -> None:
    """Ingesting another folder makes it the whole knowledge source."""
    (tmp_path / "policy.md").write_text(
        "# Leave policy\nStaff get thirty days of paid leave each year.\n", encoding="utf-8"
    )
    ingest(runtime, tmp_path, actor="ops", role="operator")
    found = retriever(runtime).retrieve("How many days of paid leave do staff get?")
    assert found.passages[0].passage.title == "Leave policy"
    assert retriever(runtime).retrieve("CrashLoopBackOff rollback").abstain


def test_empty_folder_is_refused(runtime: Runtime, tmp_path: Path) -> None:
    """A folder without Markdown or text is refused and the index is kept."""
    count = runtime.index.count()
    with pytest.raises(IngestError, match="no Markdown or text"):
        ingest(runtime, tmp_path, actor="ops", role="operator")
    assert runtime.index.count() == count


def _all(runtime: Runtime) -> list[Passage]:
    from ..package import read_folder

    return read_folder(runtime.settings.corpus_dir)[0]
