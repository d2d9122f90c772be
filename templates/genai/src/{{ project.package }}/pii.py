"""PII detection and redaction with Presidio's pattern recognisers, fully offline.

Presidio's default ``AnalyzerEngine()`` loads a spaCy model (a download) and its e-mail
recogniser validates domains with ``tldextract``, which fetches the public-suffix list on
first use. Neither happens here: the engine is built with a no-op NLP engine and pattern
recognisers only, and e-mail domains are checked against the suffix list that ships inside
``tldextract`` (``suffix_list_urls=()``: no network). Names of people are not detected
without an NLP model: bake one into the production image if that matters.

Presidio (and spaCy, which it imports) take seconds to import: the engine is built on
first use and cached per process.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

ENTITIES = (
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "CREDIT_CARD",
    "IBAN_CODE",
    "IP_ADDRESS",
    "US_SSN",
    "UK_NHS",
    "CRYPTO",
)
MIN_SCORE = 0.4
RECOGNISERS = (
    "OfflineEmailRecognizer",
    "PhoneRecognizer",
    "CreditCardRecognizer",
    "IbanRecognizer",
    "IpRecognizer",
    "UsSsnRecognizer",
    "NhsRecognizer",
    "CryptoRecognizer",
)
"""The recognisers :func:`_analyzer` registers (a test checks it), which :data:`NEEDS` covers."""
NEEDS = re.compile(r"[\d@:]")
"""A character that every finding of :data:`RECOGNISERS` holds: e-mail addresses an ``@``;
phone numbers (libphonenumber: two digits at least, any script's), card numbers, IBANs,
IPv4 addresses, SSNs, NHS numbers and crypto addresses (``1``, ``3`` or ``bc1`` first) a
digit; IPv6 addresses a ``:``. Text without one is not handed to Presidio: no recogniser
could find anything in it. A recogniser added to :func:`_analyzer` must be covered here."""
_lock = threading.Lock()


@dataclass(frozen=True)
class Finding:
    """One piece of personal data found in a text (its type and where, never its value)."""

    entity: str
    start: int
    end: int
    score: float


@cache
def _suffixes() -> Any:
    import tldextract

    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


@cache
def _analyzer() -> Any:
    """Presidio's analyzer: pattern recognisers, no NLP model."""
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.nlp_engine import NoOpNlpEngine
    from presidio_analyzer.predefined_recognizers import (
        CreditCardRecognizer,
        CryptoRecognizer,
        EmailRecognizer,
        IbanRecognizer,
        IpRecognizer,
        NhsRecognizer,
        PhoneRecognizer,
        UsSsnRecognizer,
    )

    class OfflineEmailRecognizer(EmailRecognizer):
        """Presidio's e-mail recogniser, validating domains with the bundled suffix list."""

        def validate_result(self, pattern_text: str) -> bool:
            """Whether the address has a registrable domain."""
            return bool(_suffixes()(pattern_text.rsplit("@", 1)[-1]).fqdn)

    registry = RecognizerRegistry(supported_languages=["en"])
    for recogniser in (
        OfflineEmailRecognizer(),
        PhoneRecognizer(),
        CreditCardRecognizer(),
        IbanRecognizer(),
        IpRecognizer(),
        UsSsnRecognizer(),
        NhsRecognizer(),
        CryptoRecognizer(),
    ):
        registry.add_recognizer(recogniser)
    nlp = NoOpNlpEngine(models=[{"lang_code": "en", "model_name": "none"}])
    return AnalyzerEngine(registry=registry, nlp_engine=nlp, supported_languages=["en"])


def find(text: str, *, skip: Sequence[tuple[int, int]] = ()) -> list[Finding]:
    """The personal data Presidio's pattern recognisers find in ``text``.

    ``skip`` holds (start, end) spans the recognisers do not read (blanked, so offsets
    stay): text the application wrote itself, such as citation markers of retrieved
    passages, whose ids could otherwise read as a phone or card number.
    """
    for start, end in skip:
        text = f"{text[:start]}{' ' * (end - start)}{text[end:]}"
    if NEEDS.search(text) is None:
        return []
    analyzer = _analyzer()
    with _lock:  # one analysis at a time: the recognisers are not documented thread-safe
        results = analyzer.analyze(text=text, language="en", entities=list(ENTITIES))
    return sorted(
        (
            Finding(r.entity_type, r.start, r.end, float(r.score))
            for r in results
            if r.score >= MIN_SCORE
        ),
        key=lambda f: (f.start, -f.end),
    )


def redact(text: str, *, skip: Sequence[tuple[int, int]] = ()) -> tuple[str, list[Finding]]:
    """``text`` with each piece of personal data replaced by ``<ENTITY>``, and the findings.

    ``skip``: spans left as they are (see :func:`find`).
    """
    findings = find(text, skip=skip)
    if not findings:
        return text, []
    out, cursor = [], 0
    for f in findings:
        if f.start < cursor:  # overlapping finding: already covered
            continue
        out.append(text[cursor : f.start])
        out.append(f"<{f.entity}>")
        cursor = f.end
    out.append(text[cursor:])
    return "".join(out), findings
