"""How retrieved passages are framed for the model, and how answers cite them.

Passages reach the model inside ``<passage id=".." title="..">`` frames. Passage text is
data, possibly hostile (LLM01, indirect prompt injection): ``<`` and ``>`` in it are escaped,
so a passage cannot close its frame or forge another one. An answer cites a passage as
``[p:<id>]``; :func:`citations` reads them back for the grounding check.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass

CITATION = re.compile(r"\[p:([A-Za-z0-9_.-]{1,80})\]")
_FRAME = re.compile(r'<passage id="([^"<>]*)" title="([^"<>]*)">(.*?)</passage>', re.DOTALL)


@dataclass(frozen=True)
class Framed:
    """A passage as the model saw it."""

    id: str
    title: str
    text: str


def _escape(text: str) -> str:
    return html.escape(text, quote=True)


def frame(passages: Iterable[Framed]) -> str:
    """Frame passages for a prompt; their text cannot break out of its frame."""
    return "\n".join(
        f'<passage id="{_escape(p.id)}" title="{_escape(p.title)}">{_escape(p.text)}</passage>'
        for p in passages
    )


def unframe(prompt: str) -> list[Framed]:
    """Read the framed passages back out of a prompt (what the fake model answers from)."""
    return [
        Framed(html.unescape(i), html.unescape(t), html.unescape(body))
        for i, t, body in _FRAME.findall(prompt)
    ]


def citations(answer: str) -> list[str]:
    """The passage ids an answer cites, in order, without repeats."""
    return list(dict.fromkeys(CITATION.findall(answer)))


def without_citations(answer: str) -> str:
    """The answer's text with its citation markers removed."""
    return CITATION.sub("", answer).strip()
