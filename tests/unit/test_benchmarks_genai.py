"""The GenAI figures' pure pieces: the seeded corpus and questions, percentiles, key pools.

No benchmark is run here: ``python -m benchmarks --only assistant retrieval agent`` does that.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from benchmarks._agent import script
from benchmarks._assistant import FEATURES, kept_features
from benchmarks._core import format_value
from benchmarks._genai import Corpus, api_keys, keys_needed, percentile, words


def test_percentile_is_nearest_rank() -> None:
    """p95 of 1..100 is 95, p50 is 50, p100 is the largest (nearest rank, no interpolation)."""
    values = [float(n) for n in range(100, 0, -1)]
    assert (percentile(values, 0.95), percentile(values, 0.5), percentile(values, 1.0)) == (
        95.0,
        50.0,
        100.0,
    )


def test_percentile_of_one_value_is_that_value() -> None:
    """Any percentile of a single measurement is that measurement."""
    assert percentile([7.5], 0.95) == 7.5


@given(st.lists(st.floats(0, 1e6), min_size=1, max_size=200), st.floats(0.01, 1.0))
def test_percentile_is_one_of_the_values_and_not_below_the_share(
    values: list[float], share: float
) -> None:
    """The percentile is a measured value with at least ``share`` of the values at or below it."""
    found = percentile(values, share)
    assert found in values and sum(v <= found for v in values) >= share * len(values)


@pytest.mark.parametrize(("values", "share"), [([], 0.95), ([1.0], 0.0), ([1.0], 1.5)])
def test_percentile_refuses_no_values_or_a_bad_share(values: list[float], share: float) -> None:
    """No values, or a share outside (0, 1], is an error rather than a made-up number."""
    with pytest.raises(ValueError):
        percentile(values, share)


def test_corpus_is_the_same_for_the_same_seed() -> None:
    """Two corpora made with one seed hold the same passages and questions."""
    one, two = Corpus.make(300, seed=5, vocabulary=2000), Corpus.make(300, seed=5, vocabulary=2000)
    assert (list(one.passages()), one.questions(40)) == (list(two.passages()), two.questions(40))


def test_corpus_differs_with_the_seed() -> None:
    """Another seed gives another corpus."""
    one, two = Corpus.make(50, seed=1, vocabulary=500), Corpus.make(50, seed=2, vocabulary=500)
    assert list(one.passages()) != list(two.passages())


def test_corpus_has_the_size_asked_for_with_unique_ids() -> None:
    """A corpus of n passages yields n passages with distinct ids and non-empty text."""
    passages = list(Corpus.make(500, vocabulary=1000).passages())
    assert (len(passages), len({p.id for p in passages}), all(p.text for p in passages)) == (
        500,
        500,
        True,
    )


def test_corpus_words_follow_the_vocabulary_ranks() -> None:
    """The commonest vocabulary word appears in many more passages than a word of rank 500."""
    corpus = Corpus.make(400, vocabulary=1000)
    texts = [set(p.text.lower().replace(".", "").split()) for p in corpus.passages()]
    first, later = corpus.vocabulary[0], corpus.vocabulary[500]
    assert sum(first in t for t in texts) > 5 * max(1, sum(later in t for t in texts))


def test_answerable_questions_use_words_of_their_passage() -> None:
    """Each answerable question names words found in the passage it was drawn from."""
    corpus = Corpus.make(300, vocabulary=2000)
    by_id = {p.id: set(p.text.lower().replace(".", "").split()) for p in corpus.passages()}
    for question in corpus.questions(60):
        if question.passage_id is not None:
            asked = set(question.text.lower().rstrip("?").split())
            assert len(asked & by_id[question.passage_id]) >= 2, question


def test_unanswerable_questions_use_words_outside_the_vocabulary() -> None:
    """An unanswerable question names at least two words the corpus does not have."""
    corpus = Corpus.make(300, vocabulary=2000)
    vocabulary = set(corpus.vocabulary)
    unanswerable = [q for q in corpus.questions(200) if not q.answerable]
    assert unanswerable
    for question in unanswerable:
        words_asked = set(question.text.lower().rstrip("?").split())
        assert len(words_asked - vocabulary - {"how", "do", "i", "my", "before", "the"}) >= 2


def test_questions_are_about_a_fifth_unanswerable() -> None:
    """The default share of unanswerable questions is near 20%."""
    questions = Corpus.make(2000, vocabulary=3000).questions(1000)
    share = sum(not q.answerable for q in questions) / len(questions)
    assert (len(questions), 0.15 < share < 0.25) == (1000, True)


def test_words_are_distinct_and_avoid_the_excluded() -> None:
    """words() gives distinct lower-case words, none of the excluded ones."""
    excluded = frozenset(words(50, random.Random(1)))
    found = words(300, random.Random(1), excluded)
    assert (len(set(found)), set(found) & excluded, all(w.isalpha() for w in found)) == (
        300,
        set(),
        True,
    )


def test_api_keys_are_distinct_people() -> None:
    """Each key of the pool has its own digest and actor."""
    pool = api_keys(5, "resident")
    distinct = (
        len({k for k, _, _ in pool}),
        len({d for _, d, _ in pool}),
        len({a for *_, a in pool}),
    )
    assert distinct == (5, 5, 5)


@pytest.mark.parametrize(
    ("requests", "worst", "cap", "expected"),
    [
        (1000, 0.004, 0.2, 40),  # 25 requests per person keep each under half the cap
        (10, 0.004, 0.2, 1),
        (1000, 0.004, None, 1),  # no daily cap: one person is enough
        (1000, 0.0, 0.2, 1),  # a free model cannot exceed a budget
        (3, 1.0, 0.2, 3),  # a call dearer than the cap: one call per person at most
    ],
)
def test_keys_needed_keep_each_person_under_half_the_daily_cap(
    requests: int, worst: float, cap: float | None, expected: int
) -> None:
    """keys_needed() spreads the requests so no one's worst-case spend reaches half the cap."""
    assert keys_needed(requests, worst, cap) == expected


def test_kept_features_of_the_modes() -> None:
    """``on`` keeps every feature, ``off`` none, a list the named ones."""
    assert (kept_features("on"), kept_features("off"), kept_features("audit,budget")) == (
        FEATURES,
        frozenset(),
        frozenset({"audit", "budget"}),
    )


def test_kept_features_refuses_an_unknown_feature() -> None:
    """A misspelt feature is an error, not a silently measured 'off'."""
    with pytest.raises(ValueError, match="auth"):
        kept_features("auth,metrics")


def test_agent_script_calls_read_tools_then_reports() -> None:
    """The 5-step script calls four read tools in turn and ends with a report citing them."""
    steps = script(["a", "b", "c"])
    assert [s.get("tool") for s in steps] == ["a", "b", "c", "a", None]
    assert steps[-1]["final"].count("[E") == 4


def test_agent_script_needs_a_read_tool() -> None:
    """A spec without read tools cannot make the scripted run."""
    with pytest.raises(ValueError):
        script([])


def test_milliseconds_have_one_decimal() -> None:
    """Latencies in ms show one decimal (a p95 of a few ms stays readable)."""
    assert format_value(2.345, "ms") == "2.3 ms"
