"""The evidence pack as JSON (for tools), Markdown (CI job summary) and HTML (change tickets).

JSON keeps every value as it is. For people, text is made harmless first: control
characters and bidirectional overrides become U+FFFD; in HTML every value reaches Jinja
only as data of an autoescaping environment, never as template source; in Markdown every
character Markdown or HTML gives a meaning to is escaped.
"""

from __future__ import annotations

import html
import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from generator.evidence.model import EvidencePack, ResultCounts

if TYPE_CHECKING:
    import jinja2

EvidenceFormat = Literal["json", "html", "md"]
FORMATS: tuple[EvidenceFormat, ...] = ("json", "html", "md")

_TEMPLATE_DIR = Path(__file__).parent.parent / "data"
_UNSAFE_CHARS = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)
"""Control characters, and bidirectional overrides that could make text read differently."""
_MD_SPECIAL = re.compile(r"([\\`*_\[\]#|~])")
_MENTION = re.compile(r"@(?=\w)")


def render_evidence(pack: EvidencePack, fmt: EvidenceFormat = "md") -> str:
    """Render the pack as JSON, Markdown or one self-contained HTML page."""
    if fmt == "json":
        return pack.model_dump_json(indent=2) + "\n"
    if fmt == "html":
        return to_html(pack)
    return to_markdown(pack)


def headline(pack: EvidencePack) -> str:
    """One line: the verdict and the counts behind it."""
    return f"{pack.readiness.verdict}: {counts_line(pack)}"


def counts_line(pack: EvidencePack) -> str:
    """The counts behind the verdict: criteria passed, controls evidenced, tests."""
    criteria, tests = pack.summary.criteria, pack.summary.tests
    evidenced = sum(c.ok for c in pack.controls)
    return (
        f"{criteria.passed}/{criteria.total} criteria passed{_others(criteria)}; "
        f"{evidenced}/{len(pack.controls)} controls evidenced; tests: {tests.passed} passed, "
        f"{tests.failed} failed, {tests.pending} pending, {tests.skipped} skipped"
    )


def _others(counts: ResultCounts) -> str:
    parts = [
        f"{getattr(counts, name)} {name}"
        for name in ("failed", "pending", "skipped", "missing")
        if getattr(counts, name)
    ]
    return f" ({', '.join(parts)})" if parts else ""


def display(value: Any) -> str:
    """Any value as display text on one line, with unsafe characters replaced."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return " ".join(_UNSAFE_CHARS.sub("\ufffd", str(value)).split())


def md(value: Any) -> str:
    """Escape display text for inline Markdown (and the HTML Markdown allows)."""
    text = _MD_SPECIAL.sub(r"\\\1", html.escape(display(value), quote=False))
    return _MENTION.sub("@&#8203;", text)  # a zero-width space: spec text pings nobody


def _code(value: Any) -> str:
    """A path or node id as inline code; backticks in it cannot end the span."""
    text = display(value).replace("`", "'").replace("|", "\\|")
    return f"`{text}`" if text else ""


def _commit(pack: EvidencePack) -> str:
    identity = pack.identity
    if identity.git_commit is None:
        return "not a git repository"
    state = "with uncommitted changes" if identity.git_dirty else "clean"
    return f"{identity.git_commit[:12]} ({state})"


def to_markdown(pack: EvidencePack) -> str:
    """Render the pack as Markdown for a CI job summary or a pull request."""
    identity = pack.identity
    lines = [
        f"## Release evidence: {md(identity.title)}",
        "",
        f"**{pack.readiness.verdict.upper()}**: {md(counts_line(pack))}",
        "",
        "| | |",
        "|---|---|",
        f"| Spec | {_code(identity.name)} SHA-256 {_code(identity.spec_sha256)} |",
        f"| Template version | {_code(identity.template_version or 'unknown')} |",
        f"| Commit | {md(_commit(pack))} |",
        f"| Built | {md(identity.created_at)} by new-ai-project {md(identity.tool_version)} |",
        f"| Owners | business {md(identity.owners.business)}; technical "
        f"{md(identity.owners.technical)}; operations {md(identity.owners.operations)} |",
        f"| Keep for | {identity.retention_days} days |",
        "",
        "### Blockers",
        "",
    ]
    lines += [f"- {md(b)}" for b in pack.readiness.blockers] or ["None: ready for production."]
    lines += ["", "### Acceptance criteria", "", "| Criterion | Layer | Tests | Result |"]
    lines.append("|---|---|---|---|")
    for c in pack.acceptance:
        tests = "<br>".join(_code(t.node_id) for t in c.tests) or "no test traces it"
        lines.append(f"| {md(c.id)} | {md(c.layer)} | {tests} | {_result(c.result)} |")
    lines += ["", "### Controls", ""]
    if pack.controls:
        lines += ["| Regime | Control | Citation | Evidence file | Test | Result |"]
        lines.append("|---|---|---|---|---|---|")
        for k in pack.controls:
            file = _code(k.file) + ("" if k.file_exists else " **missing**")
            lines.append(
                f"| {md(k.regime_title)} | {md(k.id)}: {md(k.title)} | {md(k.citation)} "
                f"| {file} | {_code(k.test)} | {_result(k.test_result)} |"
            )
    else:
        lines.append("No regime is in scope, so no control is listed.")
    lines += ["", "### Tests by layer", "", "| Layer | Passed | Failed | Pending | Skipped |"]
    lines.append("|---|---|---|---|---|")
    for layer in pack.summary.layers:
        lines.append(
            f"| {md(layer.layer)} | {layer.passed} | {layer.failed} | {layer.pending} "
            f"| {layer.skipped} |"
        )
    return "\n".join(lines) + "\n"


def _result(result: str) -> str:
    return result if result == "passed" else f"**{result}**"


def to_html(pack: EvidencePack) -> str:
    """Render the pack as one self-contained, printable HTML page (no external assets)."""
    view = _clean_tree(pack.model_dump(mode="json"))
    view["counts_line"] = display(counts_line(pack))
    view["commit"] = display(_commit(pack))
    view["evidenced"] = sum(c.ok for c in pack.controls)
    return _environment().get_template("evidence.html.j2").render(pack=view)


def _clean_tree(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _clean_tree(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_clean_tree(item) for item in value]
    if isinstance(value, str):
        return _UNSAFE_CHARS.sub("\ufffd", value)
    return value


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
