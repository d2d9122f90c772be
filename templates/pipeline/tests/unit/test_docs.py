"""Unit tests for the documents: each one the catalogue asks for exists and is filled in."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
EVIDENCE = json.loads((Path(__file__).parent / "evidence.json").read_text(encoding="utf-8"))
DOCS = sorted(
    {a["file"] for a in EVIDENCE["artifacts"].values() if a["file"].endswith(".md")}
    | {"docs/spec.md", "docs/controls.md", "README.md"}
)
LEFTOVER = re.compile(r"(?<!\\)(\{[{%#]|[%#]\})")
"""Template syntax that rendering consumes: ``{{``, ``{%``, ``{#``, ``%}``, ``#}``.

Spec text reaches a document only through Markdown escaping, which writes every brace as
``\\{`` or ``\\}``; so a bare one is the template's own syntax left behind (or spec text that
skipped its escaping), while a spec whose text shows a Jinja loop stays a green suite.
"""


@pytest.mark.parametrize("name", DOCS)
def test_each_document_exists_with_a_title(name: str) -> None:
    """The document is present and starts with a Markdown heading."""
    text = (ROOT / name).read_text(encoding="utf-8")
    assert text.startswith("# ")


@pytest.mark.parametrize("name", DOCS)
def test_no_document_holds_template_syntax(name: str) -> None:
    """Rendering left no template tags behind."""
    text = (ROOT / name).read_text(encoding="utf-8")
    assert [m.group() for m in LEFTOVER.finditer(text)] == []


@pytest.mark.parametrize(
    ("text", "leftover"),
    [
        ("# {{ title }}", True),
        ("{%- raw -%}", True),
        ("{# note #}", True),
        ("rows {% endblock %}", True),
        ("escaped spec text: \\{% for x in y %\\}\\{\\{ x \\}\\}", False),
        ("a backslash before a brace: \\\\\\{\\{", False),
        ('JSON in a code span: `{"a": {"b": 1}}`', False),
    ],
)
def test_leftover_check_tells_template_syntax_from_escaped_text(text: str, leftover: bool) -> None:
    """The check above finds unrendered template syntax, never escaped spec text."""
    assert bool(LEFTOVER.search(text)) is leftover
