"""What the interview shows before it writes: the review's verdict, blockers and questions.

Pure: it turns a review report into tagged lines for ``prompts.show`` and into the choices
offered when the spec is not ready (revisit a section a blocker points at, write anyway,
stop and keep the draft). ``session`` asks and acts on the choice.
"""

from __future__ import annotations

from pydantic import BaseModel

from generator.interview.prompts import Option
from generator.review import Report
from generator.spec import ProjectSpec, Section, sections

MAX_QUESTIONS = 8
"""Questions shown at the end of the interview; the rest are in the full review."""

WRITE = "write"
RENDER = "render"
WRITE_ONLY = "write-only"
STOP = "stop"
"""The choices besides revisiting a section (whose value is the section's key)."""

_COUNTED = (("blocker", "blocker(s)"), ("warning", "warning(s)"), ("info", "note(s)"))


def verdict_lines(
    report: Report, target: str, model: type[BaseModel] = ProjectSpec
) -> list[tuple[str, str]]:
    """The verdict, every blocker with its section, and the questions to settle."""
    blockers = [f for f in report.findings if f.severity == "blocker"]
    counts = ", ".join(f"{report.count(severity)} {name}" for severity, name in _COUNTED)
    lines = [
        ("", ""),
        ("heading", "── Review ──"),
        (report.verdict, f"Verdict: {report.verdict} · score {report.score}/100 · {counts}"),
    ]
    for finding in blockers:
        section = _section(finding.path, model)
        title = section.title if section else ""
        where = f"{title} ({finding.path})" if title else finding.path
        lines.append(("blocker", f"  ✗ {where}: {finding.message}"))
    if report.questions:
        lines.append(("", "Questions to settle before building:"))
        shown = report.questions[:MAX_QUESTIONS]
        lines += [("", f"  {number}. {question}") for number, question in enumerate(shown, 1)]
        if len(report.questions) > MAX_QUESTIONS:
            rest = len(report.questions) - MAX_QUESTIONS
            lines.append(("", f"  … {rest} more: `new-ai-project review {target}`"))
    return lines


def choices(report: Report, *, renders: bool, model: type[BaseModel] = ProjectSpec) -> list[Option]:
    """What a not-ready spec offers: revisit each section a blocker points at, write, stop."""
    options: list[Option] = []
    for section in sections(model):
        key = section.key
        found = [
            f
            for f in report.findings
            if f.severity == "blocker" and (s := _section(f.path, model)) and s.key == key
        ]
        if found:
            messages = " · ".join(f.message for f in found)
            count = f"{len(found)} blocker{'s' if len(found) > 1 else ''}"
            options.append(Option(key, f"Revisit {section.title} ({count})", messages))
    if renders:
        options += [
            Option(
                RENDER,
                "Write the spec and render a draft anyway",
                "its CI fails until the blockers are gone",
            ),
            Option(
                WRITE_ONLY,
                "Write the spec, render later",
                "then settle the blockers and run new --spec",
            ),
        ]
    else:
        options.append(Option(WRITE, "Write the spec anyway"))
    options.append(Option(STOP, "Stop here and keep the draft", "run the same command to resume"))
    return options


def _section(path: str, model: type[BaseModel]) -> Section | None:
    """The interview section holding the field at ``path``, if one asks it."""
    top = path.split(".", 1)[0]
    return next((s for s in sections(model) if s.asked and top in s.keys), None)
