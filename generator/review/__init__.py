"""Review for planning meetings: rules → findings → report (Markdown, HTML, JSON), and more.

Also the diff of two versions of a spec, and the portfolio: several specs on one page.
Public on purpose: the names below. ``rules`` and ``formats`` are used inside this package.
"""

from generator.review.diff import SpecDiff, diff_specs, render_diff
from generator.review.formats import render_report
from generator.review.portfolio import Portfolio, render_portfolio, review_files
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
    "Portfolio",
    "Report",
    "ReviewFormat",
    "SpecDiff",
    "diff_specs",
    "render_diff",
    "render_portfolio",
    "render_report",
    "review_file",
    "review_files",
    "review_text",
    "write_report",
]
