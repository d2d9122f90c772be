"""The description ``--help`` shows: a command module's docstring, paragraphs kept.

The docstring of each command module is written as plain text for both readers, the
person reading the code and the one reading ``--help``. argparse's default formatter
would run its paragraphs into one; ``RawDescriptionHelpFormatter`` keeps them but not the
terminal's width. ``describe`` fills each paragraph to the width argparse itself uses.
"""

from __future__ import annotations

import shutil
import textwrap

PROG = "%(prog)s"
"""argparse's placeholder for the program's name, replaced before the text is wrapped."""
MIN_WIDTH = 40
"""Narrower terminals still get lines of this many characters."""


def describe(docstring: str | None, prog: str) -> str:
    """Return ``docstring`` as paragraphs filled to the terminal's width, for ``--help``.

    ``%(prog)s`` becomes ``prog`` first, so the lines fit once the name is in. Show the
    result with ``argparse.RawDescriptionHelpFormatter``.
    """
    width = max(shutil.get_terminal_size().columns - 2, MIN_WIDTH)
    text = (docstring or "").replace(PROG, prog)
    paragraphs = (" ".join(part.split()) for part in text.strip().split("\n\n"))
    return "\n\n".join(
        textwrap.fill(paragraph, width, break_long_words=False, break_on_hyphens=False)
        for paragraph in paragraphs
        if paragraph
    )
