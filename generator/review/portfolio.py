"""The planning meeting's page: several specs reviewed at once, one row each, then each review.

Every file is reviewed on its own: a draft that fails validation shows its schema errors as
blockers, and a file that cannot be read at all shows why, so one bad file never stops the
page. The rows link to each spec's full review further down the page (HTML and Markdown).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.errors import SpecError
from generator.review.formats import build_view, json_document, md, render_page, to_markdown
from generator.review.readiness import Report, ReviewFormat, review_file, unreadable_report


@dataclass(frozen=True)
class Portfolio:
    """The reviews of several specs, in the order the files were given."""

    reports: list[Report]

    @property
    def blockers(self) -> int:
        """Return how many blocking findings the specs have in all."""
        return sum(report.count("blocker") for report in self.reports)

    @property
    def ready(self) -> int:
        """Return how many specs are ready."""
        return sum(1 for report in self.reports if report.verdict == "ready")

    @property
    def invalid(self) -> int:
        """Return how many specs fail validation (or cannot be read)."""
        return sum(1 for report in self.reports if not report.schema_valid)


def review_files(paths: Sequence[Path]) -> Portfolio:
    """Review each spec file; a file that cannot be read becomes a report saying why."""
    reports = []
    for path in paths:
        try:
            reports.append(review_file(path))
        except SpecError as err:
            reports.append(unreadable_report(str(path), err.lines))
    return Portfolio(reports)


def render_portfolio(portfolio: Portfolio, fmt: ReviewFormat = "md") -> str:
    """Render the portfolio as one Markdown document, one HTML page, or one JSON document."""
    if fmt == "json":
        return json.dumps(_document(portfolio), indent=2, ensure_ascii=False)
    if fmt == "html":
        return render_page("portfolio.html.j2", page=_page(portfolio))
    return _markdown(portfolio)


def _anchor(index: int) -> str:
    """The id of the spec's review on the page: its position, as titles may repeat."""
    return f"spec-{index}"


def _document(portfolio: Portfolio) -> dict[str, Any]:
    return {
        "count": len(portfolio.reports),
        "ready": portfolio.ready,
        "not_ready": len(portfolio.reports) - portfolio.ready,
        "blockers": portfolio.blockers,
        "specs": [json_document(report) for report in portfolio.reports],
    }


def _page(portfolio: Portfolio) -> dict[str, Any]:
    views = [
        {**build_view(report), "anchor": _anchor(index)}
        for index, report in enumerate(portfolio.reports, 1)
    ]
    return {
        "count": len(views),
        "ready": portfolio.ready,
        "not_ready": len(views) - portfolio.ready,
        "blockers": portfolio.blockers,
        "invalid": portfolio.invalid,
        "views": views,
    }


def _markdown(portfolio: Portfolio) -> str:
    page = _page(portfolio)
    lines = [
        f"# Planning meeting: {page['count']} spec(s)",
        "",
        f"{page['ready']} ready, {page['not_ready']} not ready · "
        f"{page['blockers']} blocker(s) in all",
        "",
        "| Spec | Owner | Kind | Verdict | Score | Blockers |",
        "|---|---|---|---|---|---|",
    ]
    for view in page["views"]:
        lines.append(
            f"| [{md(view['title'])}](#{view['anchor']}) | {md(view['owner']) or 'missing'} "
            f"| {md(view['kind']) or '?'} | {view['verdict']} | {view['score']}/100 "
            f"| {view['counts']['blocker']} |"
        )
    for view, report in zip(page["views"], portfolio.reports, strict=True):
        lines += ["", f'<a id="{view["anchor"]}"></a>', "", to_markdown(report).rstrip("\n")]
    return "\n".join(lines) + "\n"
