"""What the interview shows and offers at the end: the review's verdict, as data.

Pure: it turns a review report into tagged lines for ``prompts.show`` (the verdict, every
blocker, warning and note with the section it points at, the questions to settle) and into
the choices offered before the spec is written: write it (anyway, when it is not ready),
revisit a section a finding points at, revisit any other section, or stop and keep the
draft. ``session`` asks and acts on the choice.
"""

from __future__ import annotations

from pydantic import BaseModel

from generator.interview.prompts import Option
from generator.review import Finding, Report
from generator.spec import ProjectSpec, Section, sections

MAX_QUESTIONS = 8
"""Questions shown at the end of the interview; the rest are in the full review."""

WRITE = "write"
RENDER = "render"
WRITE_ONLY = "write-only"
OTHER = "other"
STOP = "stop"
"""The choices besides revisiting a section (whose value is the section's key)."""

_COUNTED = (("blocker", "blocker(s)"), ("warning", "warning(s)"), ("info", "note(s)"))
_MARKS = {"blocker": "✗", "warning": "!", "info": "i"}
_NAMES = {"blocker": ("blocker", "blockers"), "warning": ("warning", "warnings")}
_NAMES["info"] = ("note", "notes")


def verdict_lines(
    report: Report, target: str, model: type[BaseModel] = ProjectSpec
) -> list[tuple[str, str]]:
    """The verdict, every finding with its section (blockers first), the questions to settle."""
    counts = ", ".join(f"{report.count(severity)} {name}" for severity, name in _COUNTED)
    lines = [
        ("", ""),
        ("heading", "── Review ──"),
        (report.verdict, f"Verdict: {report.verdict} · score {report.score}/100 · {counts}"),
    ]
    for severity, _ in _COUNTED:
        for finding in (f for f in report.findings if f.severity == severity):
            section = _section(finding.path, model)
            title = section.title if section else ""
            where = f"{title} ({finding.path})" if title else finding.path
            lines.append((severity, f"  {_MARKS[severity]} {where}: {finding.message}"))
    if report.questions:
        lines.append(("", "Questions to settle before building:"))
        shown = report.questions[:MAX_QUESTIONS]
        lines += [("", f"  {number}. {question}") for number, question in enumerate(shown, 1)]
        if len(report.questions) > MAX_QUESTIONS:
            rest = len(report.questions) - MAX_QUESTIONS
            lines.append(("", f"  … {rest} more: `new-ai-project review {target}`"))
    return lines


def choices(report: Report, *, renders: bool, model: type[BaseModel] = ProjectSpec) -> list[Option]:
    """What the person may do before the spec is written, the likely choice first.

    A ready spec offers to write it (and render it, when the project is rendered next)
    first; one that is not ready offers first to revisit each section a blocker points at.
    Then come the sections that only warnings or notes point at, any other section, writing
    anyway (for a spec that is not ready), and stopping with the draft kept.
    """
    ready = report.verdict == "ready"
    if renders:
        write = [
            Option(
                RENDER,
                "Write the spec and render the project"
                if ready
                else "Write the spec and render a draft anyway",
                "" if ready else "its CI fails until the blockers are gone",
            ),
            Option(
                WRITE_ONLY,
                "Write the spec, render later",
                "then run new --spec" if ready else "then settle the blockers and run new --spec",
            ),
        ]
    else:
        write = [Option(WRITE, "Write the spec" + ("" if ready else " anyway"))]
    blocked: list[Option] = []
    noted: list[Option] = []
    for section in sections(model):
        found = [
            f for f in report.findings if (s := _section(f.path, model)) and s.key == section.key
        ]
        if found:
            option = Option(
                section.key,
                f"Revisit {section.title} ({_tally(found)})",
                " · ".join(f.message for f in found),
            )
            blocked_here = any(f.severity == "blocker" for f in found)
            (blocked if blocked_here else noted).append(option)
    other = Option(OTHER, "Revisit another section…", "choose any section of the spec")
    stop = Option(STOP, "Stop here and keep the draft", "run the same command to resume")
    if ready:
        return [*write, *noted, other, stop]
    return [*blocked, *noted, other, *write, stop]


def _tally(found: list[Finding]) -> str:
    """``1 blocker, 2 warnings``: how many findings of each severity."""
    parts = []
    for severity, (one, many) in _NAMES.items():
        count = sum(1 for f in found if f.severity == severity)
        if count:
            parts.append(f"{count} {one if count == 1 else many}")
    return ", ".join(parts)


def _section(path: str, model: type[BaseModel]) -> Section | None:
    """The interview section holding the field at ``path``, if one asks it."""
    top = path.split(".", 1)[0]
    return next((s for s in sections(model) if s.asked and top in s.keys), None)
