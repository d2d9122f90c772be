"""The planning meeting's page: which spec goes next, one row each, then each review.

Every file is reviewed on its own: a draft that fails validation shows its schema errors as
blockers and is marked invalid in its row, and a file that cannot be read at all is marked
unreadable with the reason, so one bad file never stops the page. Each row carries what a
meeting weighs to decide what goes next: verdict, score, blockers and warnings, kind,
regulatory regimes and risk tier, the value the project promises, its monthly budget, the
controls its scope brings, and its owner. The same rows make the Markdown table, the JSON
``rows`` and the HTML table, which a small inline script (allowed by the page's Content
Security Policy through its hash, nothing else) sorts by any column; without script the
table reads in the order the files were given. Rows link to each spec's full review further
down (HTML and Markdown).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

from generator.errors import SpecError
from generator.review._data import mapping, strings
from generator.review._text import clean, md, one_line
from generator.review.formats import build_view, json_document, render_page, to_markdown
from generator.review.readiness import Report, ReviewFormat, review_file, unreadable_report

State = Literal["valid", "invalid", "unreadable"]
"""Whether a spec passed validation, failed it, or could not be read as YAML at all."""

FIELDS = {
    "owner": "owners.business",
    "regimes": "regulatory.regimes",
    "risk_tier": "regulatory.eu_ai_act_risk",
    "value": "business_goal.value",
    "budget_usd": "budget.monthly_usd",
}
"""The spec fields a row shows beside the review's own results (a test checks they exist)."""

RISK_ORDER = {"minimal": 1, "limited": 2, "high": 3, "unacceptable": 4}
"""EU AI Act risk tiers from least to most demanding, for sorting."""
_VERDICT_ORDER = {"ready": 2, "not-ready": 1}
_SCRIPT = Path(__file__).parent.parent / "data" / "portfolio.js"


@dataclass(frozen=True)
class Row:
    """What the meeting compares of one spec (read defensively: the spec may be a draft)."""

    spec: str
    title: str
    source: str
    state: State
    verdict: str
    score: int
    blockers: int
    warnings: int
    notes: int
    kind: str | None
    regimes: list[str]
    risk_tier: str | None
    value: str | None
    budget_usd: float | None
    controls: int
    owner: str | None


@dataclass(frozen=True)
class Portfolio:
    """The reviews of several specs, in the order the files were given."""

    reports: list[Report]

    @property
    def blockers(self) -> int:
        """Return how many blocking findings the specs have in all."""
        return sum(report.count("blocker") for report in self.reports)

    @property
    def warnings(self) -> int:
        """Return how many warnings the specs have in all."""
        return sum(report.count("warning") for report in self.reports)

    @property
    def ready(self) -> int:
        """Return how many specs are ready."""
        return sum(1 for report in self.reports if report.verdict == "ready")

    @property
    def invalid(self) -> int:
        """Return how many specs fail validation (or cannot be read)."""
        return sum(1 for report in self.reports if not report.schema_valid)

    @property
    def rows(self) -> list[Row]:
        """Return one row per spec, in the order the files were given."""
        return [row_of(report) for report in self.reports]


def review_files(paths: Sequence[Path]) -> Portfolio:
    """Review each spec file; a file that cannot be read becomes a report saying why."""
    reports = []
    for path in paths:
        try:
            reports.append(review_file(path))
        except SpecError as err:
            reports.append(unreadable_report(str(path), err.lines))
    return Portfolio(reports)


def row_of(report: Report) -> Row:
    """The row of one report: its results and the spec fields ``FIELDS`` names."""
    data = report.data
    unreadable = any(f.rule in ("yaml", "file") for f in report.findings)
    state: State = "valid" if report.schema_valid else "unreadable" if unreadable else "invalid"
    budget = _at(data, FIELDS["budget_usd"])
    return Row(
        spec=report.spec,
        title=report.title or report.spec,
        source=report.source,
        state=state,
        verdict=report.verdict,
        score=report.score,
        blockers=report.count("blocker"),
        warnings=report.count("warning"),
        notes=report.count("info"),
        kind=_text(data.get("kind")),
        regimes=strings(_at(data, FIELDS["regimes"])),
        risk_tier=_text(_at(data, FIELDS["risk_tier"])),
        value=_text(_at(data, FIELDS["value"])),
        budget_usd=float(budget) if _is_number(budget) else None,
        controls=len(report.controls),
        owner=_text(_at(data, FIELDS["owner"])),
    )


def _at(data: dict[str, Any], path: str) -> Any:
    """The value at a dotted path of possibly broken spec data, or None."""
    value: Any = data
    for part in path.split("."):
        value = mapping(value).get(part)
    return value


def _text(value: Any) -> str | None:
    return one_line(value) if isinstance(value, str) and value.strip() else None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def render_portfolio(portfolio: Portfolio, fmt: ReviewFormat = "md") -> str:
    """Render the portfolio as one Markdown document, one HTML page, or one JSON document."""
    if fmt == "json":
        return json.dumps(_document(portfolio), indent=2, ensure_ascii=False)
    if fmt == "html":
        script = sort_script()
        return render_page(
            "portfolio.html.j2",
            page=_page(portfolio),
            script=script,
            script_hash=_hash(script),
        )
    return _markdown(portfolio)


def _anchor(index: int) -> str:
    """The id of the spec's review on the page: its position, as titles may repeat."""
    return f"spec-{index}"


def _totals(portfolio: Portfolio) -> dict[str, Any]:
    budgets = [row.budget_usd for row in portfolio.rows if row.budget_usd is not None]
    return {
        "count": len(portfolio.reports),
        "ready": portfolio.ready,
        "not_ready": len(portfolio.reports) - portfolio.ready,
        "invalid": portfolio.invalid,
        "blockers": portfolio.blockers,
        "warnings": portfolio.warnings,
        "budget_usd": sum(budgets) if budgets else None,
    }


def _document(portfolio: Portfolio) -> dict[str, Any]:
    """The JSON document: totals, one row per spec, and each spec's review (DESIGN §4b)."""
    return {
        **_totals(portfolio),
        "rows": [asdict(row) for row in portfolio.rows],
        "specs": [json_document(report) for report in portfolio.reports],
    }


def _page(portfolio: Portfolio) -> dict[str, Any]:
    views = [
        {**build_view(report), "anchor": _anchor(index)}
        for index, report in enumerate(portfolio.reports, 1)
    ]
    rows = [
        {**_shown(row), "anchor": view["anchor"], "sort": _sort_keys(row)}
        for row, view in zip(portfolio.rows, views, strict=True)
    ]
    totals = _totals(portfolio)
    return {**totals, "budget": _money(totals["budget_usd"]), "rows": rows, "views": views}


def _shown(row: Row) -> dict[str, Any]:
    """A row's values as display text (escaped by the page or by ``md``)."""
    return {
        "title": clean(row.title),
        "source": clean(row.source),
        "file": clean(Path(row.source).name),
        "state": row.state,
        "verdict": row.verdict,
        "score": row.score,
        "blockers": row.blockers,
        "warnings": row.warnings,
        "kind": clean(row.kind) or "?",
        "regimes": [clean(r) for r in row.regimes],
        "risk_tier": clean(row.risk_tier) or "—",
        "value": clean(row.value) or "not stated",
        "budget": _money(row.budget_usd),
        "controls": row.controls,
        "owner": clean(row.owner) or "missing",
    }


def _sort_keys(row: Row) -> dict[str, Any]:
    """What the page sorts each column by, where the shown text would sort wrongly."""
    return {
        "verdict": _VERDICT_ORDER.get(row.verdict, 0) if row.state == "valid" else 0,
        "risk_tier": RISK_ORDER.get(row.risk_tier or "", 0),
        "budget": "" if row.budget_usd is None else f"{row.budget_usd:g}",
    }


def _money(amount: float | None) -> str:
    """``12,500`` (US dollars a month), or a dash when no budget is set."""
    return "—" if amount is None else f"{amount:,.0f}"


def _markdown(portfolio: Portfolio) -> str:
    page = _page(portfolio)
    budget = f" · budgets {page['budget']} USD a month in all" if page["budget_usd"] else ""
    lines = [
        f"# Planning meeting: {page['count']} spec(s)",
        "",
        f"{page['ready']} ready, {page['not_ready']} not ready"
        + (f" ({page['invalid']} invalid)" if page["invalid"] else "")
        + f" · {page['blockers']} blocker(s), {page['warnings']} warning(s) in all{budget}",
        "",
        "| Spec | Verdict | Score | Blockers | Warnings | Kind | Regimes | Risk tier | Value "
        "| Budget (USD/month) | Controls | Owner |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in page["rows"]:
        state = "" if row["state"] == "valid" else f" **({row['state']})**"
        lines.append(
            f"| [{md(row['title'])}](#{row['anchor']}) | {row['verdict']}{state} "
            f"| {row['score']}/100 | {row['blockers']} | {row['warnings']} | {md(row['kind'])} "
            f"| {md(', '.join(row['regimes'])) or 'none'} | {md(row['risk_tier'])} "
            f"| {md(row['value'])} | {row['budget']} | {row['controls']} | {md(row['owner'])} |"
        )
    for view, report in zip(page["views"], portfolio.reports, strict=True):
        lines += ["", f'<a id="{view["anchor"]}"></a>', "", to_markdown(report).rstrip("\n")]
    return "\n".join(lines) + "\n"


@cache
def sort_script() -> str:
    """The page's only script: it sorts the portfolio table by the column clicked."""
    return _SCRIPT.read_text(encoding="utf-8")


def _hash(script: str) -> str:
    """The script's CSP source: ``'sha256-...'`` of its exact text."""
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"
