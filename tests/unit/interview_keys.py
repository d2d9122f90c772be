"""Drive the interview in process through prompt_toolkit's pipe input, for the tests."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from prompt_toolkit.application import create_app_session
from prompt_toolkit.data_structures import Size
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output.plain_text import PlainTextOutput

from generator.errors import GeneratorError
from generator.interview import run_interview
from generator.spec import ProjectSpec

ENTER = "\r"
UP = "\x1b[A"
DOWN = "\x1b[B"
SPACE = " "
CTRL_C = "\x03"
TAB = "\t"
"""Put the suggested answer in the line, to edit it."""
BACKSPACE = "\x7f"


def line(text: str) -> str:
    """Type a text answer and press Enter (typing replaces a suggested answer)."""
    return text + ENTER


ABOUT = [line("Claims triage assistant"), ENTER, ENTER, line("Routes claims to adjusters.")]
GOAL = [
    line("Adjusters route claims by hand."),
    line("Routine claims route themselves."),
    line("Frees 12 adjuster FTEs."),
    line("Deciding payouts."),
    ENTER,
]
OWNERS = [line("Head of Claims"), line("Claims Platform team"), line("oncall@example.com")]
USERS = [
    line("adjuster"),
    line("Reviews routing suggestions."),
    line("See why."),
    ENTER,
    ENTER,  # can: request and read, pre-selected
    "n",
]
METRICS = [line("Routing time"), line("hours"), line("48"), line("4"), ENTER, line("Weekly."), "n"]
REGULATORY = [
    SPACE + DOWN + SPACE + ENTER,  # eu-ai-act and gdpr
    DOWN + DOWN + ENTER,  # high
    DOWN * 3 + SPACE + ENTER,  # personal
    ENTER,  # the regimes' minimum retention
]
CRITERIA = [
    line("a routine claim"),
    line("it is submitted"),
    line("a decision is returned within 2 seconds"),
    DOWN + DOWN + ENTER,  # e2e
    DOWN + ENTER,  # M-1
    "n",
]
NO_OPTIONAL = ["n", "n", "n", "n", "n"]
WRITE_ANYWAY = UP + UP + ENTER
"""At the verdict on a spec that is not ready: the option before "stop", write it anyway."""
STOP = UP + ENTER
"""At the verdict on a spec that is not ready: the last option, stop and keep the draft."""
VERDICT = [WRITE_ANYWAY]
"""The happy path's spec is not ready (a high-risk system with no operating boundary)."""


def happy_keys(**replace: list[str]) -> list[str]:
    """Every key of a complete interview, with some sections' keys replaced."""
    parts = {
        "about": ABOUT,
        "goal": GOAL,
        "owners": OWNERS,
        "users": USERS,
        "metrics": METRICS,
        "regulatory": REGULATORY,
        "criteria": CRITERIA,
        "optional": NO_OPTIONAL,
        "verdict": VERDICT,
    }
    parts.update(replace)
    return [key for part in parts.values() for key in part]


class WideOutput(PlainTextOutput):
    """A plain-text screen wide enough that no line of the interview wraps."""

    def get_size(self) -> Size:
        """Return a screen 400 columns wide (PlainTextOutput's own is 80)."""
        return Size(rows=40, columns=400)


@dataclass
class Run:
    """What one interview run produced: the written spec, or the error, and the screen."""

    path: Path | None
    error: GeneratorError | None
    output: str
    render: bool = False
    """Whether the person chose to render the written spec (with ``renders``)."""


def drive(
    keys: list[str],
    target: Path,
    source: Path | None = None,
    model: type[ProjectSpec] = ProjectSpec,
    *,
    renders: bool = False,
) -> Run:
    """Run the interview with ``keys`` typed in advance; input ends after them (no hang)."""
    screen = io.StringIO()
    with create_pipe_input() as pipe:
        pipe.send_text("".join(keys))
        pipe.close()
        with create_app_session(input=pipe, output=WideOutput(screen)):
            try:
                result = run_interview(
                    target, source, require_tty=False, model=model, renders=renders
                )
            except GeneratorError as err:
                return Run(None, err, screen.getvalue())
    return Run(result.path, None, screen.getvalue(), result.render)
