"""The evidence pack's formats, schema and signing key, on packs built in memory."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from generator.errors import UsageError
from generator.evidence import (
    KEY_VARIABLE,
    EvidencePack,
    headline,
    json_schema,
    render_evidence,
    schema_path,
    signing_key,
)

HOSTILE = "x\"'`; <script>alert(1)</script><img src=x onerror=alert(2)> | *b* _i_ [l](javascript:1) @everyone \u202e"


def _counts(**values: int) -> dict[str, int]:
    counts = {"passed": 0, "failed": 0, "pending": 0, "skipped": 0, "missing": 0}
    counts.update(values)
    counts["total"] = sum(counts.values())
    return counts


def pack_data(text: str = "Claims triage", verdict: str = "not-ready") -> dict[str, Any]:
    """A small pack: one pending criterion, one evidenced control, text set to ``text``."""
    return {
        "schema_version": 1,
        "identity": {
            "spec_sha256": "a" * 64,
            "name": "claims-triage",
            "title": text,
            "kind": "service",
            "owners": {"business": text, "technical": "@team", "operations": "ops@example.com"},
            "template_version": "v0.3.0",
            "template_source": "~/.local/share/new-ai-project/templates.bundle",
            "git_commit": "b" * 40,
            "git_dirty": False,
            "created_at": "2026-01-02T03:04:05Z",
            "tool_version": "0.1.0",
            "retention_days": 730,
        },
        "sources": [{"path": "junit.xml", "kind": "junit", "sha256": "c" * 64}],
        "acceptance": [
            {
                "id": "AC-1",
                "layer": "e2e",
                "given": text,
                "when": text,
                "then": text,
                "metric": None,
                "tests": [
                    {
                        "node_id": "tests/acceptance/test_acceptance.py::test_ac_1",
                        "result": "pending",
                        "message": text,
                    }
                ],
                "result": "pending",
            }
        ],
        "controls": [
            {
                "regime": "gdpr",
                "regime_title": "GDPR",
                "id": "art-30",
                "title": text,
                "citation": "Art. 30(1)",
                "unsure": False,
                "artifact": "ropa",
                "file": "docs/compliance/ropa.md",
                "file_exists": True,
                "test": "tests/unit/test_docs.py",
                "test_exists": True,
                "test_result": "passed",
                "test_counts": _counts(passed=3),
                "ok": True,
            }
        ],
        "summary": {
            "criteria": _counts(pending=1),
            "controls": _counts(passed=1),
            "controls_without_file": 0,
            "tests": _counts(passed=3, pending=1),
            "layers": [
                {"layer": "unit", **_counts(passed=3)},
                {"layer": "acceptance", **_counts(pending=1)},
            ],
        },
        "readiness": {
            "verdict": verdict,
            "blockers": [f"criterion AC-1 is pending ({text})"] if verdict == "not-ready" else [],
        },
    }


def test_the_shipped_schema_matches_the_models() -> None:
    """generator/data/evidence.schema.json is the models' schema (regenerate: write_schema_file)."""
    assert json.loads(schema_path().read_text(encoding="utf-8")) == json_schema()


def test_the_schema_requires_every_section() -> None:
    """evidence.json must hold identity, sources, acceptance, controls, summary and readiness."""
    required = set(json_schema()["required"])
    assert required == {
        "schema_version",
        "identity",
        "sources",
        "acceptance",
        "controls",
        "summary",
        "readiness",
    }


def test_json_round_trips_through_the_model() -> None:
    """The JSON format reads back into the same pack."""
    pack = EvidencePack.model_validate(pack_data())
    assert EvidencePack.model_validate_json(render_evidence(pack, "json")) == pack


def test_a_pack_with_an_unknown_key_is_refused() -> None:
    """The model refuses keys it does not know, so a misspelt field cannot pass."""
    data = pack_data()
    data["identity"]["spec_hash"] = "x"
    with pytest.raises(ValueError, match="spec_hash"):
        EvidencePack.model_validate(data)


def test_headline_gives_verdict_and_counts() -> None:
    """The one-line summary names the verdict, criteria, controls and tests."""
    line = headline(EvidencePack.model_validate(pack_data()))
    assert line == (
        "not-ready: 0/1 criteria passed (1 pending); 1/1 controls evidenced; "
        "tests: 3 passed, 0 failed, 1 pending, 0 skipped"
    )


def test_markdown_escapes_spec_text() -> None:
    """Hostile spec text becomes inert Markdown: no tag, link, mention or bidi override."""
    text = render_evidence(EvidencePack.model_validate(pack_data(HOSTILE)), "md")
    assert "<script>" not in text and "<img" not in text
    assert "[l](javascript" not in text
    assert "@everyone" not in text
    assert "\u202e" not in text


def test_markdown_tables_keep_their_columns_with_hostile_text() -> None:
    """A | in spec text adds no column: every row has as many cells as its table's header."""
    text = render_evidence(EvidencePack.model_validate(pack_data(HOSTILE)), "md")
    widths: list[tuple[int, int]] = []
    header: int | None = None
    for line in text.splitlines():
        if not line.startswith("|"):
            header = None
            continue
        cells = len(re.split(r"(?<!\\)\|", line))
        header = cells if header is None else header
        widths.append((header, cells))
    assert len(widths) > 10
    assert all(header == cells for header, cells in widths)


def test_markdown_shows_blockers_criteria_and_controls() -> None:
    """The Markdown lists the blockers, each criterion's test and each control's result."""
    text = render_evidence(EvidencePack.model_validate(pack_data()), "md")
    assert "**NOT-READY**" in text
    assert "- criterion AC-1 is pending" in text
    assert "`tests/acceptance/test_acceptance.py::test_ac_1` | **pending** |" in text
    assert "| `docs/compliance/ropa.md` | `tests/unit/test_docs.py` | passed |" in text


def test_html_escapes_spec_text_and_is_self_contained() -> None:
    """The page escapes hostile text and loads nothing: no script, link, image or URL."""
    page = render_evidence(EvidencePack.model_validate(pack_data(HOSTILE)), "html")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert re.search(r"<(script|img|link|iframe|object)\b", page) is None
    assert re.search(r"<[a-z]+\s[^>]*\b(src|href)=", page) is None
    assert "\u202e" not in page


def test_html_shows_the_verdict_identity_and_results() -> None:
    """The page shows the verdict, the spec's hash, the template version and every result."""
    page = render_evidence(EvidencePack.model_validate(pack_data()), "html")
    assert '<span class="verdict not-ready">NOT-READY</span>' in page
    assert "a" * 64 in page and "v0.3.0" in page
    assert '<span class="result pending">pending</span>' in page
    assert '<span class="result passed">passed</span>' in page
    assert "@media print" in page


def test_a_ready_pack_says_nothing_blocks() -> None:
    """A ready pack shows the ready verdict and no blocker in either format for people."""
    pack = EvidencePack.model_validate(pack_data(verdict="ready"))
    assert "None: ready for production." in render_evidence(pack, "md")
    assert "Nothing blocks" in render_evidence(pack, "html")


def test_no_signing_key_without_the_variable() -> None:
    """Without the variable (or with it empty) packs are not signed."""
    assert (signing_key({}), signing_key({KEY_VARIABLE: ""})) == (None, None)


def test_a_short_signing_key_is_a_usage_error() -> None:
    """A key shorter than 32 characters is refused with how to make one."""
    with pytest.raises(UsageError, match="openssl rand -hex 32"):
        signing_key({KEY_VARIABLE: "short"})


def test_a_long_signing_key_is_used_as_bytes() -> None:
    """A key of 32 characters or more is returned as bytes."""
    assert signing_key({KEY_VARIABLE: "k" * 32}) == b"k" * 32
