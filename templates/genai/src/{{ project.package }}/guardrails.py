"""Guardrails: prompt injection, PII, grounding and system-prompt leakage, each a verdict.

Checks named in spec.yaml (``genai.guardrails``) run where they belong:

* input: ``prompt-injection`` (patterns, after Unicode normalisation so look-alike letters
  and zero-width characters do not hide them) and ``pii-redaction`` (Presidio; the model
  and the logs see ``<EMAIL_ADDRESS>``, never the address);
* untrusted data, whatever the spec lists: retrieved passages and tool results are checked
  for injected instructions (indirect injection, OWASP LLM01), including destructive
  commands addressed to the model;
* output: ``grounded-citations`` (every cited passage was retrieved, and citations are
  present when required), ``system-prompt-leak`` (the prompt's canary, or twelve words of
  the system prompt in a row) and ``pii-redaction`` (of everything but the markers that
  cite a retrieved passage: an id of digits is not a phone or card number).

Each check gives a :class:`Verdict` (``pass``, ``redacted`` or ``violation``) that is counted
in the metrics and goes into the audit record with ids and entity types only.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from . import pii
from .config import Guardrails
from .framing import CITATION, citations
from .genai_metrics import GenAIMetrics

Outcome = Literal["pass", "redacted", "violation"]
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
INJECTION_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern, re.IGNORECASE | re.MULTILINE))
    for name, pattern in (
        (
            "ignore-instructions",
            r"\b(ignore|disregard|forget|override|bypass)\b.{0,40}\b(previous|prior|above|earlier|"
            r"all|any|your|system|these)\b.{0,40}\b(instructions?|prompts?|rules|directions|"
            r"guidelines|guardrails|policies)\b",
        ),
        (
            "reveal-system-prompt",
            r"\b(reveal|show|print|repeat|output|display|tell me|what is|what are)\b.{0,40}"
            r"\b(system prompt|hidden (prompt|instructions)|initial instructions|developer "
            r"message|your instructions)\b",
        ),
        (
            "role-override",
            r"\byou are now\b|\bact as (an? )?(unrestricted|unfiltered|jailbroken)\b|"
            r"\bdeveloper mode\b|\bjailbreak\b|\bDAN mode\b",
        ),
        (
            "forged-frame",
            r"<\s*/?\s*(system|assistant|instructions?|passage|tool_result)\b[^>]*>|"
            r"\[/?(system|INST)\]|^\s*(system|assistant)\s*:",
        ),
        (
            "tool-coercion",
            r"\b(call|run|execute|invoke|use|trigger)\b.{0,40}\b(tool|function|command|refund|"
            r"rollback|rollout)\b.{0,80}\b(without|no need for|skip|skipping|bypass)\b.{0,30}"
            r"\b(approval|confirmation|review|asking)\b",
        ),
        (
            "exfiltration",
            r"\b(send|post|upload|exfiltrate|forward|email)\b.{0,60}\b(api[ _-]?keys?|passwords?|"
            r"credentials|secrets?|tokens?|conversation|chat history)\b.{0,60}\b(to|at)\b",
        ),
    )
)
UNTRUSTED_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    *INJECTION_PATTERNS,
    (
        "destructive-command",
        re.compile(
            r"\b(delete|drop|destroy|wipe|purge|refund|scale)\b.{0,40}\b(all|every|everything|"
            r"entire|whole)\b|\brm\s+-rf\b|\bkubectl\s+delete\s+(ns|namespace)\b",
            re.IGNORECASE,
        ),
    ),
)
"""Retrieved text and tool results are data: an instruction addressed to the model there is
suspicious even when a user could legitimately ask the same question."""
LEAK_WINDOW = 12


@dataclass(frozen=True)
class Verdict:
    """One check's result, with what it found (names, types and ids; never the text)."""

    check: str
    stage: str
    outcome: Outcome
    detail: tuple[str, ...] = ()

    def as_record(self) -> dict[str, object]:
        """The verdict for an audit record."""
        return {
            "check": self.check,
            "stage": self.stage,
            "outcome": self.outcome,
            "detail": list(self.detail),
        }


@dataclass
class Checked:
    """Text after the checks (redacted where needed) and their verdicts."""

    text: str
    verdicts: list[Verdict] = field(default_factory=list)

    @property
    def violated(self) -> bool:
        """Whether any check found a violation."""
        return any(v.outcome == "violation" for v in self.verdicts)


def normalise(text: str) -> str:
    """Text as the patterns see it: NFKC, no zero-width characters, single spaces."""
    folded = unicodedata.normalize("NFKC", text).translate(_ZERO_WIDTH)
    return re.sub(r"[ \t]+", " ", folded)


def injection(
    text: str, patterns: Sequence[tuple[str, re.Pattern[str]]] = INJECTION_PATTERNS
) -> list[str]:
    """The names of the injection patterns ``text`` matches."""
    seen = normalise(text)
    return [name for name, pattern in patterns if pattern.search(seen)]


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", normalise(text).lower())


@lru_cache(maxsize=16)
def _windows(system_text: str) -> frozenset[str]:
    """Every run of :data:`LEAK_WINDOW` words of a system prompt (built once per prompt text)."""
    words = _words(system_text)
    return frozenset(
        " ".join(words[i : i + LEAK_WINDOW]) for i in range(len(words) - LEAK_WINDOW + 1)
    )


def leaks(answer: str, system_text: str, canary: str) -> list[str]:
    """How an answer leaks the system prompt: its canary, or a long verbatim run of it."""
    found = []
    if canary and canary in answer:
        found.append("canary")
    windows = _windows(system_text)
    said = _words(answer)
    if any(
        " ".join(said[i : i + LEAK_WINDOW]) in windows for i in range(len(said) - LEAK_WINDOW + 1)
    ):
        found.append("verbatim")
    return found


class Guard:
    """The spec's guardrails, counted in the metrics."""

    def __init__(self, config: Guardrails, metrics: GenAIMetrics) -> None:
        """Apply ``config``'s checks; count each verdict in ``metrics``."""
        self.config, self.metrics = config, metrics

    @property
    def refuses(self) -> bool:
        """Whether a violation refuses (else it escalates to a person)."""
        return self.config.on_violation == "refuse"

    def _count(self, verdicts: Iterable[Verdict]) -> None:
        for v in verdicts:
            self.metrics.verdicts.labels(v.check, v.stage, v.outcome).inc()

    def check_input(self, text: str) -> Checked:
        """Check a user's message; the result's text is what the model and logs may see."""
        checked = Checked(text)
        if "prompt-injection" in self.config.input:
            hits = injection(text)
            checked.verdicts.append(
                Verdict("prompt-injection", "input", "violation" if hits else "pass", tuple(hits))
            )
        if "pii-redaction" in self.config.input:
            checked.text, found = pii.redact(checked.text)
            kinds = tuple(sorted({f.entity for f in found}))
            checked.verdicts.append(
                Verdict("pii-redaction", "input", "redacted" if found else "pass", kinds)
            )
        self._count(checked.verdicts)
        return checked

    def check_untrusted(self, text: str, stage: str, source: str) -> Verdict:
        """Check retrieved text or a tool result (``source``: passage id or tool name)."""
        hits = injection(text, UNTRUSTED_PATTERNS)
        verdict = Verdict(
            "prompt-injection",
            stage,
            "violation" if hits else "pass",
            (source, *hits) if hits else (source,),
        )
        self._count([verdict])
        return verdict

    def check_output(
        self,
        answer: str,
        *,
        retrieved: Sequence[str] | None,
        citations_required: bool,
        system_text: str,
        canary: str,
    ) -> Checked:
        """Check an answer; ``retrieved`` is None when the project has no retrieval."""
        checked = Checked(answer)
        wanted = self.config.output
        if "grounded-citations" in wanted and retrieved is not None:
            cited = citations(answer)
            stray = tuple(c for c in cited if c not in set(retrieved))
            missing = citations_required and not cited
            outcome: Outcome = "violation" if stray or missing else "pass"
            detail = stray + (("no citation",) if missing else ())
            checked.verdicts.append(Verdict("grounded-citations", "output", outcome, detail))
        if "system-prompt-leak" in wanted:
            how = tuple(leaks(answer, system_text, canary))
            checked.verdicts.append(
                Verdict("system-prompt-leak", "output", "violation" if how else "pass", how)
            )
        if "pii-redaction" in wanted:
            # markers citing a retrieved passage are ours: their ids are not read as data
            ours = set(retrieved or ())
            markers = [m.span() for m in CITATION.finditer(checked.text) if m.group(1) in ours]
            checked.text, found = pii.redact(checked.text, skip=markers)
            kinds = tuple(sorted({f.entity for f in found}))
            checked.verdicts.append(
                Verdict("pii-redaction", "output", "redacted" if found else "pass", kinds)
            )
        self._count(checked.verdicts)
        return checked
