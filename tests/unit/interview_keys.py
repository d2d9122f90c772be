"""Keys typed at the terminal, and a screen for prompt_toolkit's pipe input, for the tests.

Only the terminal's own behaviour is tested with keystrokes (``test_prompts.py``); the
interview's flows answer by question key through ``tests.fake_prompt``.
"""

from __future__ import annotations

from prompt_toolkit.data_structures import Size
from prompt_toolkit.output.plain_text import PlainTextOutput

ENTER = "\r"
UP = "\x1b[A"
DOWN = "\x1b[B"
SPACE = " "
CTRL_C = "\x03"
TAB = "\t"
"""Put the suggested answer in the line, to edit it."""
BACKSPACE = "\x7f"
BACK = "<"
"""Go back to the previous question (typed as the answer, or pressed in a choice)."""


def line(text: str) -> str:
    """Type a text answer and press Enter (typing replaces a suggested answer)."""
    return text + ENTER


class WideOutput(PlainTextOutput):
    """A plain-text screen wide enough that no line of the interview wraps."""

    def get_size(self) -> Size:
        """Return a screen 400 columns wide (PlainTextOutput's own is 80)."""
        return Size(rows=40, columns=400)
