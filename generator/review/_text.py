"""Spec values as display text: control characters made harmless, Markdown escaped.

Spec text is data. Every format shows it through these functions (HTML then through an
autoescaping Jinja environment): control characters and bidirectional overrides are
replaced everywhere, and in Markdown every character Markdown or HTML gives a meaning to
is escaped.
"""

from __future__ import annotations

import html
import re
from typing import Any

_CONTROL_CHARS = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)
"""Control characters, and bidirectional overrides that could make text read differently."""
_MENTION = re.compile(r"@(?=\w)")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]#|~])")


def clean(value: Any) -> str:
    """Return any spec value as display text, with control characters made harmless."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        value = int(value)
    if isinstance(value, list):
        return ", ".join(clean(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{clean(k)}: {clean(v)}" for k, v in value.items())
    return _CONTROL_CHARS.sub("\ufffd", str(value).replace("\r\n", "\n").replace("\r", "\n"))


def one_line(value: Any) -> str:
    """Return display text on one line (line breaks become spaces)."""
    return " ".join(clean(value).split())


def md(value: Any) -> str:
    """Escape display text for inline Markdown: HTML first, then Markdown punctuation."""
    text = html.escape(one_line(value), quote=False)
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return _MENTION.sub("@&#8203;", text)  # a zero-width space: no @mention pings from spec text
