"""Unit tests for the documents: each one the catalogue asks for exists and is filled in."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
EVIDENCE = json.loads((Path(__file__).parent / "evidence.json").read_text(encoding="utf-8"))
DOCS = sorted(
    {a["file"] for a in EVIDENCE["artifacts"].values() if a["file"].endswith(".md")}
    | {"docs/spec.md", "docs/controls.md", "README.md"}
)


@pytest.mark.parametrize("name", DOCS)
def test_each_document_exists_with_a_title(name: str) -> None:
    """The document is present and starts with a Markdown heading."""
    text = (ROOT / name).read_text(encoding="utf-8")
    assert text.startswith("# ")


@pytest.mark.parametrize("name", DOCS)
def test_no_document_holds_template_syntax(name: str) -> None:
    """Rendering left no template tags behind."""
    text = (ROOT / name).read_text(encoding="utf-8")
    assert "{{ project" not in text and "{%- " not in text
