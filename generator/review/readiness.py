"""Readiness review of a spec: rules → findings → report, rendered as Markdown, HTML or JSON.

The review works on drafts. A spec that fails validation is still reviewed: every schema
problem becomes a blocking finding and the readiness rules run on the parsed data. Only a
file that cannot be read at all is an error.

The verdict is "ready" only when there is no blocker. The score (0-100) agrees with it:
half of it is the verdict (50 points for no blocker), the other half starts at 50 and each
finding takes a share of what is left of it: 25% per blocker, 8% per warning, 2% per note.
So a ready spec scores 50-100 and a spec that is not ready 0-49, however many warnings it
has; more findings always mean a lower score; a file that is not even YAML scores 0.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from generator._io import read_file, write_atomic
from generator.catalog import ControlInScope, Scope, load_catalog
from generator.errors import SpecError
from generator.review.rules import SEVERITIES, Finding, run_rules
from generator.spec import LoadedYaml, ProjectSpec, read_spec_data, validate_spec_data

__all__ = [
    "ControlRow",
    "Finding",
    "Report",
    "ReviewFormat",
    "review_file",
    "review_text",
    "unreadable_report",
    "write_report",
]

ReviewFormat = Literal["md", "html", "json"]
FORMATS: tuple[ReviewFormat, ...] = ("md", "html", "json")

SCORE_WEIGHTS: dict[str, int] = {"blocker": 25, "warning": 8, "info": 2}
"""The share (in percent) of the findings' half of the score each finding takes."""
READY_POINTS = 50
"""The half of the score that is the verdict: given when no finding blocks."""

_LINE_RE = re.compile(r"^(\d+): (.*)$", re.DOTALL)
_UNREADABLE = ("yaml", "file")
"""The rules of findings that leave nothing to review: the file is not YAML or not there."""


ControlRow = ControlInScope
"""A control the spec's regulatory scope brings in (the catalogue's own shape)."""


@dataclass(frozen=True)
class Report:
    """The outcome of a readiness review."""

    spec: str
    source: str
    title: str
    schema_valid: bool
    findings: list[Finding]
    controls: list[ControlRow]
    questions: list[str]
    data: dict[str, Any] = field(default_factory=dict)
    model: type[ProjectSpec] = ProjectSpec
    """The spec model the data was checked with, whose sections the formats show."""

    @property
    def verdict(self) -> str:
        """Return "ready" when no finding blocks, otherwise "not-ready"."""
        return "not-ready" if self.count("blocker") else "ready"

    @property
    def score(self) -> int:
        """Return 0-100: 50-100 when ready, 0-49 when not (see the module docstring)."""
        if any(f.rule in _UNREADABLE for f in self.findings):
            return 0
        rest = float(100 - READY_POINTS)
        for finding in self.findings:
            rest *= 1 - SCORE_WEIGHTS[finding.severity] / 100
        return (READY_POINTS if self.verdict == "ready" else 0) + round(rest)

    def count(self, severity: str) -> int:
        """Return how many findings have ``severity``."""
        return sum(1 for f in self.findings if f.severity == severity)


def review_file(path: Path) -> Report:
    """Review the spec in ``path``.

    Raises:
        SpecError: the file cannot be read (missing, a directory, no permission).
    """
    return review_text(read_file(path), str(path))


def unreadable_report(source: str, lines: list[str]) -> Report:
    """Return the report of a file that cannot be read: each error line is a blocker."""
    findings = [_problem_finding(line, source, "file") for line in lines]
    return _report(source, LoadedYaml(data={}), findings, schema_valid=False)


def review_text(
    raw: bytes | str, source: str = "<spec>", model: type[ProjectSpec] = ProjectSpec
) -> Report:
    """Review spec text; schema problems become blocking findings instead of errors.

    ``model`` checks the text instead of ``ProjectSpec`` (a spec model derived from it, with
    fields of its own); the formats then show its sections.
    """
    try:
        loaded = read_spec_data(raw, source)
    except SpecError as err:
        findings = [_problem_finding(line, source, "yaml") for line in err.lines]
        return _report(source, LoadedYaml(data={}), findings, schema_valid=False)
    try:
        validate_spec_data(loaded, source, model)
    except SpecError as err:
        schema = [_problem_finding(line, source, "schema") for line in err.lines]
        return _report(source, loaded, schema, schema_valid=False, model=model)
    return _report(source, loaded, [], schema_valid=True, model=model)


def _problem_finding(line: str, source: str, rule: str) -> Finding:
    """Turn a ``FILE:LINE: field.path: message`` line into a blocking finding."""
    rest = line.removeprefix(f"{source}:")
    number: int | None = None
    match = _LINE_RE.match(rest)
    if match:
        number, rest = int(match.group(1)), match.group(2)
    path = "(file)"
    if rule == "schema" and ": " in rest:
        path, rest = rest.split(": ", 1)
    question = "The spec does not pass validation: who corrects it before the meeting?"
    return Finding(rule, "blocker", path, rest.strip(), question=question, line=number)


def _report(
    source: str,
    loaded: LoadedYaml,
    problems: list[Finding],
    *,
    schema_valid: bool,
    model: type[ProjectSpec] = ProjectSpec,
) -> Report:
    """Run the rules on the data, add lines and controls, and assemble the report."""
    data: dict[str, Any] = loaded.data if isinstance(loaded.data, dict) else {}
    known = {f.path for f in problems}
    findings = list(problems)
    if data:
        for finding in run_rules(data):
            if finding.path in known:
                continue  # the schema already reports this field
            findings.append(_with_line(finding, _line_of(loaded, _path_parts(finding.path))))
    findings.sort(key=lambda f: SEVERITIES.index(f.severity))
    questions = list(dict.fromkeys(f.question for f in findings if f.question))
    name = data.get("name")
    title = data.get("title")
    return Report(
        spec=name if isinstance(name, str) and name else Path(source).stem,
        source=source,
        title=title if isinstance(title, str) and title else "",
        schema_valid=schema_valid,
        findings=findings,
        controls=controls_for(data),
        questions=questions,
        data=data,
        model=model,
    )


def _with_line(finding: Finding, line: int | None) -> Finding:
    return Finding(
        finding.rule, finding.severity, finding.path, finding.message, finding.question, line
    )


def _line_of(loaded: LoadedYaml, parts: tuple[str | int, ...]) -> int | None:
    """Return the line of the field, or of its nearest parent; None for a missing top key."""
    for end in range(len(parts), 0, -1):
        line = loaded.lines.get(parts[:end])
        if line is not None:
            return line
    return None


def _path_parts(path: str) -> tuple[str | int, ...]:
    return tuple(int(p) if p.isdigit() else p for p in path.split("."))


def controls_for(data: dict[str, Any]) -> list[ControlRow]:
    """Return the catalogue controls the spec's scope brings in (unknown regimes ignored).

    The scope is the regimes, and for the EU AI Act the risk tier, the kind and whether the
    system talks to people (``catalog.Scope``).
    """
    return load_catalog().control_rows(Scope.of(data))


def write_report(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically: a temporary file beside it, then a rename.

    Raises:
        GeneratorError: the file cannot be written; nothing was left behind.
    """
    write_atomic(path, text if text.endswith("\n") else text + "\n", what="report")
