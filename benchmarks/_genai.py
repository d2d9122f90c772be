"""Pure pieces of the GenAI figures: a seeded corpus and questions, percentiles, key pools.

Standard library only: the retrieval script imports this module inside the generated
assistant's environment as well as in the benchmark's own.

The corpus is synthetic but shaped like text: a vocabulary of pronounceable words whose
frequencies follow Zipf's law (a few words in most passages, most words in a few), passages
of sentences of those words, titled. Questions name words of one passage (two of its
commonest, one or two of its rarest, as a person asking about a specific thing does);
unanswerable ones name words the corpus does not have beside a common one. The same seed
gives the same corpus and questions, byte for byte.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

_CONSONANTS = "bcdfghklmnprstvz"
_VOWELS = "aeiou"
_SYLLABLES = tuple(c + v for c in _CONSONANTS for v in _VOWELS)
ANSWERABLE_TEMPLATES = (
    "How do I {0} the {1} for {2}?",
    "What does {0} {1} mean when {2} changes?",
    "When is the {0} {1} due after {2}?",
    "Who decides {0} {1} for {2}?",
    "Can the {0} {1} be used with {2}?",
)
UNANSWERABLE_TEMPLATES = (
    "How do I {0} my {1} before the {2}?",
    "What happens to {0} {1} during {2}?",
)


@dataclass(frozen=True)
class SyntheticPassage:
    """A passage of the synthetic corpus (the generated ``corpus.Passage`` fields)."""

    id: str
    source: str
    title: str
    text: str
    position: int


@dataclass(frozen=True)
class Question:
    """A question for retrieval, and whether the corpus can answer it."""

    text: str
    passage_id: str | None
    """The passage the question was drawn from (None: the corpus cannot answer it)."""

    @property
    def answerable(self) -> bool:
        """Whether the corpus holds the answer."""
        return self.passage_id is not None


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile (``share`` in (0, 1]) of ``values``.

    Raises:
        ValueError: no values, or a share outside (0, 1].
    """
    if not values:
        raise ValueError("percentile of no values")
    if not 0 < share <= 1:
        raise ValueError(f"share {share} is not in (0, 1]")
    ordered = sorted(values)
    return ordered[max(1, math.ceil(share * len(ordered))) - 1]


def words(count: int, rng: random.Random, exclude: frozenset[str] = frozenset()) -> list[str]:
    """``count`` distinct pronounceable words of two to four syllables, none in ``exclude``."""
    found: dict[str, None] = {}
    while len(found) < count:
        word = "".join(rng.choice(_SYLLABLES) for _ in range(rng.choice((2, 3, 3, 4))))
        if word not in exclude:
            found[word] = None
    return list(found)


@dataclass(frozen=True)
class Corpus:
    """A seeded synthetic corpus: its vocabulary (commonest first) and its passages."""

    seed: int
    size: int
    vocabulary: tuple[str, ...]

    @classmethod
    def make(cls, size: int, seed: int = 26, vocabulary: int = 30_000) -> Corpus:
        """A corpus of ``size`` passages over ``vocabulary`` words."""
        rng = random.Random(f"vocabulary-{seed}")
        return cls(seed, size, tuple(words(vocabulary, rng)))

    def _weights(self) -> list[float]:
        return list(itertools.accumulate(1.0 / (rank + 1) for rank in range(len(self.vocabulary))))

    def passages(self) -> Iterator[SyntheticPassage]:
        """The passages, in order (generated lazily: the same each time)."""
        rng = random.Random(f"passages-{self.seed}")
        cumulative = self._weights()
        vocab = self.vocabulary
        for number in range(self.size):
            sentences = []
            for _ in range(rng.randint(3, 8)):
                drawn = rng.choices(vocab, cum_weights=cumulative, k=rng.randint(8, 16))
                sentences.append(" ".join(drawn).capitalize() + ".")
            title = " ".join(rng.choices(vocab, cum_weights=cumulative, k=3)).capitalize()
            source = f"guidance/topic-{number // 50:05d}.md"
            yield SyntheticPassage(
                id=hashlib.sha256(f"{source}\n{number}".encode()).hexdigest()[:16],
                source=source,
                title=title,
                text=" ".join(sentences),
                position=number % 50,
            )

    def questions(self, count: int, unanswerable_share: float = 0.2) -> list[Question]:
        """``count`` questions, about ``unanswerable_share`` of them not answerable."""
        rng = random.Random(f"questions-{self.seed}-{count}")
        rank = {word: n for n, word in enumerate(self.vocabulary)}
        unknown = words(200, random.Random(f"unknown-{self.seed}"), frozenset(self.vocabulary))
        wanted = sorted(rng.sample(range(self.size), k=min(count, self.size)))
        texts = {}
        for number, passage in enumerate(self.passages()):
            if number > wanted[-1]:
                break
            texts[number] = (passage.id, passage.text)
        found = []
        for number in wanted:
            if rng.random() < unanswerable_share:
                common = self.vocabulary[rng.randrange(0, 50)]
                picked = [*rng.sample(unknown, 2), common]
                template = rng.choice(UNANSWERABLE_TEMPLATES)
                found.append(Question(template.format(*picked), None))
                continue
            passage_id, text = texts[number]
            present = sorted(set(text.lower().replace(".", "").split()))
            by_rank = sorted(present, key=lambda w: rank[w])
            rare = by_rank[-2:]
            common_words = rng.sample(by_rank[:-2], 1) if len(by_rank) > 2 else []
            picked = [*common_words, *rare]
            rng.shuffle(picked)
            template = rng.choice(ANSWERABLE_TEMPLATES)
            found.append(Question(template.format(*(picked + picked)[:3]), passage_id))
        rng.shuffle(found)
        return found[:count]


def api_keys(count: int, role: str) -> list[tuple[str, str, str]]:
    """``count`` (key, sha256, actor) triples for ``role``: one person each.

    The load spreads its requests over them, as many residents would, so that no one
    person's daily budget is reached by a benchmark's worth of questions.
    """
    pool = []
    for n in range(count):
        key = f"benchmark-key-{role}-{n:04d}"
        pool.append((key, hashlib.sha256(key.encode()).hexdigest(), f"bench-{n:04d}"))
    return pool


def keys_needed(requests: int, worst_usd: float, daily_cap_usd: float | None) -> int:
    """How many callers keep ``requests`` of at most ``worst_usd`` each under a daily cap.

    Each caller's share is kept under half its cap (reservations of concurrent calls count
    too); at least one caller.
    """
    if daily_cap_usd is None or worst_usd <= 0:
        return 1
    per_key = max(1, int(daily_cap_usd / 2 / worst_usd))
    return max(1, math.ceil(requests / per_key))
