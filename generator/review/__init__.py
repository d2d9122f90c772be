"""Review for planning meetings: rules → findings → report (Markdown, HTML, JSON); diff.

Public on purpose: the names below. ``rules`` and ``formats`` are used inside this package.
"""

from generator.review.diff import SpecDiff, diff_specs, render_diff
from generator.review.formats import render_report
from generator.review.readiness import (
    ControlRow,
    Finding,
    Report,
    ReviewFormat,
    review_file,
    review_text,
    write_report,
)

__all__ = [
    "ControlRow",
    "Finding",
    "Report",
    "ReviewFormat",
    "SpecDiff",
    "diff_specs",
    "render_diff",
    "render_report",
    "review_file",
    "review_text",
    "write_report",
]
