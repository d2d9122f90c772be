"""Rendering of a review report: JSON for tools, Markdown for pull requests, HTML for meetings.

Spec text is data. In HTML it is only ever passed to Jinja as a value of an autoescaping
environment (never as template source); in Markdown every character Markdown or HTML gives
a meaning to is escaped (``_text``). Control characters are replaced in every format. The
spec's sections are found by walking the spec model (``view``), so Markdown and HTML show
the same sections, every field in each.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator.catalog import load_catalog
from generator.review._data import items, mapping
from generator.review._text import clean, md, one_line
from generator.review.readiness import READY_POINTS, Report, ReviewFormat
from generator.review.rules import SEVERITIES
from generator.review.view import Block, spec_sections

if TYPE_CHECKING:
    import jinja2

__all__ = ["build_view", "clean", "md", "one_line", "render_page", "render_report", "to_markdown"]

_TEMPLATE_DIR = Path(__file__).parent.parent / "data"


# --- the view: what every format shows, read defensively from draft data ---------------


def build_view(report: Report) -> dict[str, Any]:
    """Collect what a meeting needs: the verdict, the findings, and every section of the spec."""
    data = report.data
    return {
        "spec": clean(report.spec),
        "title": clean(report.title) or clean(report.spec),
        "source": clean(report.source),
        "kind": clean(data.get("kind")),
        "owner": clean(mapping(data.get("owners")).get("business")),
        "verdict": report.verdict,
        "score": report.score,
        "band": score_band(report),
        "schema_valid": report.schema_valid,
        "counts": {s: report.count(s) for s in SEVERITIES},
        "sections": spec_sections(
            data,
            custom={"regulatory.regimes": _regimes},
            extra={"regulatory": lambda: _controls(report)},
            model=report.model,
        ),
        "findings": [
            (
                severity,
                [
                    {
                        "rule": clean(f.rule),
                        "path": clean(f.path),
                        "line": f.line,
                        "message": clean(f.message),
                    }
                    for f in report.findings
                    if f.severity == severity
                ],
            )
            for severity in SEVERITIES
        ],
        "questions": [clean(q) for q in report.questions],
    }


def _regimes(value: Any) -> Block:
    """The regimes in scope, each with the catalogue's title."""
    return {"kind": "regimes", "items": [_regime(r) for r in items(value)]}


def _controls(report: Report) -> list[Block]:
    """The controls the regulatory scope brings, folded away on screen."""
    if not report.controls:
        return []
    return [{"kind": "controls", "rows": report.controls}]


def score_band(report: Report) -> str:
    """Say which range of scores the verdict allows, so that score and verdict read together."""
    low, high = (READY_POINTS, 100) if report.verdict == "ready" else (0, READY_POINTS - 1)
    return f"{report.verdict} scores {low}-{high}"


def _regime(regime_id: Any) -> dict[str, str]:
    regime = load_catalog().regimes.get(regime_id) if isinstance(regime_id, str) else None
    return {
        "id": clean(regime_id),
        "title": clean(regime.title) if regime else "not in the catalogue",
    }


# --- formats ---------------------------------------------------------------------------


def render_report(report: Report, fmt: ReviewFormat = "md") -> str:
    """Render a report as Markdown, a self-contained HTML page, or JSON."""
    if fmt == "json":
        return to_json(report)
    if fmt == "html":
        return to_html(report)
    return to_markdown(report)


def to_json(report: Report) -> str:
    """Render the report as JSON of the shape in DESIGN §4b (with a few extra keys)."""
    return json.dumps(json_document(report), indent=2, ensure_ascii=False)


def json_document(report: Report) -> dict[str, Any]:
    """Return the report as the JSON document of DESIGN §4b (with a few extra keys)."""
    owner = mapping(report.data.get("owners")).get("business")
    kind = report.data.get("kind")
    return {
        "spec": report.spec,
        "verdict": report.verdict,
        "score": report.score,
        "findings": [
            {
                "rule": f.rule,
                "severity": f.severity,
                "path": f.path,
                "message": f.message,
                "line": f.line,
            }
            for f in report.findings
        ],
        "controls": [
            {
                "regime": c.regime,
                "control": c.control,
                "title": c.title,
                "citation": c.citation,
                "artifact": c.artifact,
                "artifact_title": c.artifact_title,
                "unsure": c.unsure,
            }
            for c in report.controls
        ],
        "questions": report.questions,
        "source": report.source,
        "title": report.title,
        "schema_valid": report.schema_valid,
        "counts": {s: report.count(s) for s in SEVERITIES},
        "kind": kind if isinstance(kind, str) else None,
        "owner": owner if isinstance(owner, str) else None,
    }


def to_markdown(report: Report) -> str:
    """Render the report as Markdown for a pull request comment: every section of the spec."""
    view = build_view(report)
    counts = view["counts"]
    lines = [
        f"## Readiness review: {md(view['title'])}",
        "",
        f"**Verdict: {view['verdict']}** · score {view['score']}/100 ({view['band']}) · "
        f"{counts['blocker']} blocker(s), {counts['warning']} warning(s), {counts['info']} note(s)"
        f" · spec {md(view['spec'])}" + (f" ({md(view['kind'])})" if view["kind"] else ""),
        "",
        "### Findings",
        "",
    ]
    if report.findings:
        lines += ["| Severity | Rule | Where | What to change |", "|---|---|---|---|"]
        for f in report.findings:
            where = md(f.path) + (f" (line {f.line})" if f.line else "")
            lines.append(f"| {f.severity} | {md(f.rule)} | {where} | {md(f.message)} |")
    else:
        lines.append("No findings.")
    lines += ["", "### Questions to settle before building", ""]
    lines += [f"{i}. {md(q)}" for i, q in enumerate(view["questions"], 1)] or ["None."]
    for section in view["sections"]:
        lines += ["", f"### {md(section['title'])}", ""]
        body = [line for block in section["blocks"] for line in _md_block(block, 4)]
        lines += body or [f"*{section['empty']}*"]
    text = "\n".join(lines)
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text.rstrip("\n") + "\n"


def _md_block(block: Block, depth: int) -> list[str]:
    """One block of a section as Markdown lines, followed by a blank line."""
    kind = block["kind"]
    if kind == "text":
        return [f"**{md(block['label'])}.** {md(block['text'])}", ""]
    if kind == "rows":
        return [*(f"- **{md(label)}:** {md(value)}" for label, value in block["rows"]), ""]
    if kind == "list":
        return [f"**{md(block['label'])}:**", "", *(f"- {md(i)}" for i in block["items"]), ""]
    if kind == "group":
        inner = [line for b in block["blocks"] for line in _md_block(b, depth + 1)]
        return [f"{'#' * depth} {md(block['title'])}", "", *inner]
    if kind == "table":
        head = "| " + " | ".join(md(c) for c in block["columns"]) + " |"
        rule = "|" + "---|" * len(block["columns"])
        rows = ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in block["rows"]]
        return [head, rule, *rows, ""]
    if kind == "cards":
        lines: list[str] = []
        for heading, cards in block["groups"]:
            if heading:
                lines += [f"{'#' * depth} {md(heading)}", ""]
            for card in cards:
                fields = " · ".join(f"**{md(label)}** {md(value)}" for label, value in card["rows"])
                lines.append(f"- **{md(card['id'])}**: {fields}" if card["id"] else f"- {fields}")
            lines.append("")
        return lines
    if kind == "regimes":
        shown = [f"- {md(r['id'])}: {md(r['title'])}" for r in block["items"]]
        return [*(shown or ["*No regime applies (or none is stated).*"]), ""]
    if kind == "controls":
        lines = ["| Regime | Control | Citation | Evidence |", "|---|---|---|---|"]
        for c in block["rows"]:
            unsure = " (unsure)" if c.unsure else ""
            lines.append(
                f"| {md(c.regime_title)} | {md(c.control)}: {md(c.title)}{unsure} "
                f"| {md(c.citation)} | {md(c.artifact_title)} |"
            )
        return [f"{'#' * depth} Controls this scope brings ({len(block['rows'])})", "", *lines, ""]
    raise ValueError(f"no Markdown for a {kind} block")  # pragma: no cover - a view bug


def _md_cell(value: str | list[str]) -> str:
    """A table cell: a list's items joined on one line."""
    return "; ".join(md(v) for v in value) if isinstance(value, list) else md(value)


def to_html(report: Report) -> str:
    """Render the report as one self-contained, printable HTML page."""
    return render_page("review.html.j2", view=build_view(report))


def render_page(template: str, **values: Any) -> str:
    """Render one of the HTML page templates in ``generator/data`` with ``values``."""
    return _environment().get_template(template).render(**values)


@cache
def _environment() -> jinja2.Environment:
    """The Jinja environment for the page: autoescaping on, undefined names are errors."""
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(_TEMPLATE_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
