"""Rendering of a review report: JSON for tools, Markdown for pull requests, HTML for meetings.

Spec text is data. In HTML it is only ever passed to Jinja as a value of an autoescaping
environment (never as template source); in Markdown every character Markdown or HTML gives
a meaning to is escaped. Control characters are replaced in every format.
"""

from __future__ import annotations

import html
import json
import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator.catalog import load_catalog
from generator.review._data import items, mapping, mappings
from generator.review.readiness import READY_POINTS, Report, ReviewFormat
from generator.review.rules import SEVERITIES
from generator.spec import BusinessGoal, Monitoring, Owners, Regulatory, label

if TYPE_CHECKING:
    import jinja2

LAYERS = ("e2e", "integration", "unit")
_CONTROL_CHARS = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)
"""Control characters, and bidirectional overrides that could make text read differently."""
_MENTION = re.compile(r"@(?=\w)")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]#|~])")
_TEMPLATE_DIR = Path(__file__).parent.parent / "data"


# --- plain values ----------------------------------------------------------------------


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


# --- the view: what every format shows, read defensively from draft data ---------------


def build_view(report: Report) -> dict[str, Any]:
    """Collect the sections a meeting needs from the report and its (possibly draft) data."""
    data = report.data
    goal = mapping(data.get("business_goal"))
    regulatory = mapping(data.get("regulatory"))
    boundary = data.get("operating_boundary")
    criteria = mappings(data.get("acceptance_criteria"))
    layers = [layer for layer in LAYERS if any(c.get("layer") == layer for c in criteria)]
    layers += sorted({clean(c.get("layer")) for c in criteria} - set(LAYERS))
    monitoring = mapping(data.get("monitoring"))
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
        "summary": clean(data.get("summary")),
        "goal": [
            (label(f"business_goal.{key}"), clean(goal.get(key)))
            for key in BusinessGoal.model_fields
            if key != "non_goals" and goal.get(key) is not None
        ],
        "non_goals": [clean(g) for g in items(goal.get("non_goals"))],
        "users": [
            {
                "role": clean(u.get("role")),
                "description": clean(u.get("description")),
                "needs": [clean(n) for n in items(u.get("needs"))],
            }
            for u in mappings(data.get("users"))
        ],
        "metrics": [
            {
                "id": clean(m.get("id")),
                "name": clean(m.get("name")),
                "baseline": clean(m.get("baseline")) or "unknown",
                "target": clean(m.get("target")),
                "unit": clean(m.get("unit")),
                "direction": clean(m.get("direction")),
                "measurement": clean(m.get("measurement")),
            }
            for m in mappings(data.get("success_metrics"))
        ],
        "criteria": [
            (
                layer or "no layer",
                [
                    {key: clean(c.get(key)) for key in ("id", "given", "when", "then", "metric")}
                    for c in criteria
                    if clean(c.get("layer")) == layer
                ],
            )
            for layer in layers
        ],
        "regimes": [_regime(r) for r in items(regulatory.get("regimes"))],
        "scope": [
            (label(f"regulatory.{key}"), clean(regulatory.get(key)))
            for key in Regulatory.model_fields
            if key != "regimes" and regulatory.get(key) not in (None, [])
        ],
        "controls": report.controls,
        "boundary": None
        if not isinstance(boundary, dict)
        else {
            "review": clean(boundary.get("review_below_confidence")),
            "approvals": [clean(a) for a in items(boundary.get("requires_approval"))],
            "escalation": clean(boundary.get("escalation")),
        },
        "owners": [
            (label(f"owners.{role}"), clean(mapping(data.get("owners")).get(role)))
            for role in Owners.model_fields
        ],
        "operations": [
            (label(path), clean(value))
            for path, value in (
                *((f"monitoring.{key}", monitoring.get(key)) for key in Monitoring.model_fields),
                ("budget.monthly_usd", mapping(data.get("budget")).get("monthly_usd")),
            )
            if value not in (None, [])
        ],
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
    """Render the report as Markdown for a pull request comment."""
    view = build_view(report)
    counts = view["counts"]
    lines = [
        f"## Readiness review: {md(view['title'])}",
        "",
        f"**Verdict: {view['verdict']}** · score {view['score']}/100 ({view['band']}) · "
        f"{counts['blocker']} blocker(s), {counts['warning']} warning(s), {counts['info']} note(s)"
        f" · spec {md(view['spec'])}",
        "",
    ]
    if view["summary"]:
        lines += [md(view["summary"]), ""]
    lines += ["### Findings", ""]
    if report.findings:
        lines += ["| Severity | Rule | Where | What to change |", "|---|---|---|---|"]
        for f in report.findings:
            where = md(f.path) + (f" (line {f.line})" if f.line else "")
            lines.append(f"| {f.severity} | {md(f.rule)} | {where} | {md(f.message)} |")
    else:
        lines.append("No findings.")
    lines += ["", "### Questions to settle before building", ""]
    lines += [f"{i}. {md(q)}" for i, q in enumerate(view["questions"], 1)] or ["None."]
    if view["metrics"]:
        lines += ["", "### Metrics", "", "| Id | Metric | Baseline → target | Measurement |"]
        lines.append("|---|---|---|---|")
        for m in view["metrics"]:
            change = f"{md(m['baseline'])} → {md(m['target'])} {md(m['unit'])}".rstrip()
            lines.append(f"| {md(m['id'])} | {md(m['name'])} | {change} | {md(m['measurement'])} |")
    if view["criteria"]:
        lines += ["", "### Acceptance criteria", ""]
        for layer, items in view["criteria"]:
            for c in items:
                lines.append(
                    f"- **{md(c['id'])}** ({md(layer)}): given {md(c['given'])}, "
                    f"when {md(c['when'])}, then {md(c['then'])}"
                )
    if report.controls:
        lines += ["", "### Controls in scope", "", "| Regime | Control | Citation | Evidence |"]
        lines.append("|---|---|---|---|")
        for c in report.controls:
            lines.append(
                f"| {md(c.regime_title)} | {md(c.control)}: {md(c.title)} | {md(c.citation)} "
                f"| {md(c.artifact_title)} |"
            )
    return "\n".join(lines) + "\n"


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
