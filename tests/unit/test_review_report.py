"""The review report: verdict, score, drafts, controls, questions, and the three formats."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import pytest

from generator.catalog import Scope, load_catalog
from generator.review import Finding, Report, render_report, review_file, review_text, write_report
from generator.review.formats import build_view, md
from generator.review.rules import Severity
from tests.conftest import EXAMPLE_SPECS, FIXTURES

ROOT = Path(__file__).resolve().parents[2]
CLAIMS = ROOT / "specs" / "claims-triage.yaml"
PLANTED = ROOT / "tests" / "fixtures" / "review" / "planted-problems.yaml"
HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(2)>"


def _with(old: str, new: str) -> str:
    text = CLAIMS.read_text(encoding="utf-8")
    assert old in text
    return text.replace(old, new, 1)


def test_planted_spec_is_schema_valid() -> None:
    """The planted-problems fixture passes validation, so only the rules can reject it."""
    assert review_file(PLANTED).schema_valid


def test_planted_spec_is_not_ready() -> None:
    """A schema-valid spec with planted problems is judged not ready."""
    assert review_file(PLANTED).verdict == "not-ready"


@pytest.mark.parametrize(
    ("rule", "path"),
    [
        ("vague-criterion", "acceptance_criteria.0.then"),
        ("unobservable-then", "acceptance_criteria.1.then"),
        ("one-owner", "owners"),
        ("regime-without-data", "regulatory.regimes.1"),
        ("high-risk-no-review-threshold", "operating_boundary.review_below_confidence"),
        ("metric-no-baseline", "success_metrics.0.baseline"),
        ("measurement-not-method", "success_metrics.0.measurement"),
    ],
)
def test_planted_problem_is_found(rule: str, path: str) -> None:
    """Each planted problem has its own finding at its field."""
    found = {(f.rule, f.path) for f in review_file(PLANTED).findings}
    assert (rule, path) in found


def test_well_formed_regulated_spec_has_no_blocker() -> None:
    """The claims-triage example (EU AI Act high risk, GDPR) is ready."""
    report = review_file(CLAIMS)
    assert (report.verdict, report.count("blocker")) == ("ready", 0)


def test_findings_carry_their_yaml_line() -> None:
    """A finding points at the line of the field it concerns."""
    report = review_file(CLAIMS)
    baseline = next(f for f in report.findings if f.rule == "metric-no-baseline")
    line = CLAIMS.read_text(encoding="utf-8").splitlines()[baseline.line - 1]  # type: ignore[operator]  # line is set for rule findings
    assert line.strip().startswith("baseline:")


def _report(blockers: int = 0, warnings: int = 0, infos: int = 0) -> Report:
    """A report with that many findings of each severity."""
    counts: tuple[tuple[Severity, int], ...] = (
        ("blocker", blockers),
        ("warning", warnings),
        ("info", infos),
    )
    findings = [Finding("r", s, "p", "m") for s, n in counts for _ in range(n)]
    return Report("s", "s.yaml", "S", True, findings, [], [])


def test_score_follows_the_documented_formula() -> None:
    """50 for no blocker, plus a half of 50 that each finding shrinks by its share."""
    report = review_file(PLANTED)
    rest = (
        50 * 0.75 ** report.count("blocker") * 0.92 ** report.count("warning")
        * 0.98 ** report.count("info")
    )  # fmt: skip
    assert report.score == round(rest)


@pytest.mark.parametrize("warnings", [0, 1, 7, 20, 60])
def test_a_ready_spec_never_scores_below_50(warnings: int) -> None:
    """However many warnings, "ready" sits beside a score of 50 or more, never 0/100."""
    report = _report(warnings=warnings, infos=warnings)
    assert (report.verdict, report.score >= 50) == ("ready", True)


@pytest.mark.parametrize(("blockers", "warnings"), [(1, 0), (1, 20), (4, 0)])
def test_a_spec_that_is_not_ready_scores_below_50(blockers: int, warnings: int) -> None:
    """Any blocker puts the score under 50, so score and verdict never disagree."""
    report = _report(blockers, warnings)
    assert (report.verdict, report.score < 50) == ("not-ready", True)


def test_each_finding_lowers_the_score() -> None:
    """More findings of any severity mean a lower score (while the score can still drop)."""
    scores = [_report(warnings=n).score for n in range(6)]
    assert scores == sorted(scores, reverse=True) and len(set(scores)) == len(scores)


def test_json_score_matches_the_verdict_band() -> None:
    """The JSON keeps the design's keys; a ready verdict carries a score of 50 or more."""
    document = json.loads(render_report(review_file(CLAIMS), "json"))
    assert (document["verdict"], document["score"] >= 50) == ("ready", True)


def test_schema_errors_become_blocking_findings() -> None:
    """A draft that fails validation is reviewed; each schema error is a blocker."""
    report = review_text(
        _with("target: 4                      # required", "target: four"), "d.yaml"
    )
    schema = [f for f in report.findings if f.rule == "schema"]
    assert (report.schema_valid, [(f.severity, f.path) for f in schema]) == (
        False,
        [("blocker", "success_metrics.0.target")],
    )


def test_rules_still_run_on_an_invalid_draft() -> None:
    """The readiness rules run on the raw data of a draft with schema errors."""
    text = _with("target: 4                      # required", "target: four")
    text = text.replace(
        "measurement: Claim-system timestamps, reported weekly.", "measurement: TBD"
    )
    rules = {f.rule for f in review_text(text, "d.yaml").findings}
    assert {"schema", "measurement-not-method"} <= rules


def test_text_that_is_not_yaml_is_a_blocking_finding() -> None:
    """Broken YAML gives a report with one blocker and score 0, not an exception."""
    report = review_text("a: [1\n  b: }\n", "bad.yaml")
    assert ([f.rule for f in report.findings], report.score, report.verdict) == (
        ["yaml"],
        0,
        "not-ready",
    )


def test_a_list_instead_of_a_mapping_is_a_blocking_finding() -> None:
    """A YAML list at the top is reported as a finding."""
    assert [f.rule for f in review_text("- a\n- b\n", "list.yaml").findings] == ["yaml"]


def test_controls_come_from_the_catalogue() -> None:
    """The controls listed are exactly those of the spec's regimes in the catalogue."""
    scope = Scope(("eu-ai-act", "gdpr"), "service", "high", people=True)  # claims-triage's
    expected = [(r, c.id) for r, c in load_catalog().controls_in_scope(scope)]
    assert [(c.regime, c.control) for c in review_file(CLAIMS).controls] == expected


def test_questions_follow_from_findings() -> None:
    """The planted measurement problem turns into a question to settle."""
    questions = review_file(PLANTED).questions
    assert any("How is M-1 measured" in q for q in questions)


# --- JSON ------------------------------------------------------------------------------


def test_json_has_the_design_shape() -> None:
    """JSON has spec, verdict, score, findings, controls and questions as in DESIGN §4b."""
    document = json.loads(render_report(review_file(PLANTED), "json"))
    assert {"spec", "verdict", "score", "findings", "controls", "questions"} <= set(document)
    assert set(document["findings"][0]) >= {"rule", "severity", "path", "message"}


def test_json_names_the_spec_and_verdict() -> None:
    """JSON carries the spec name and verdict."""
    document = json.loads(render_report(review_file(PLANTED), "json"))
    assert (document["spec"], document["verdict"]) == ("patient-portal-bot", "not-ready")


# --- escaping --------------------------------------------------------------------------


def _hostile_report_text(fmt: str) -> str:
    text = _with(
        "then: it is queued for an adjuster instead of being applied",
        f"then: '{HOSTILE} it is queued'",
    )
    text = text.replace("title: Claims triage assistant", f"title: '{HOSTILE}'")
    report = review_text(text, "hostile.yaml")
    assert report.schema_valid
    return render_report(report, fmt)  # type: ignore[arg-type]  # fmt is one of the three formats


def test_html_escapes_script_and_image_tags() -> None:
    """Script and img tags in spec text appear escaped in the HTML, never as tags."""
    page = _hostile_report_text("html")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;" in page


def test_html_contains_no_script_or_img_element() -> None:
    """The HTML page has no script or img element at all."""
    page = _hostile_report_text("html").lower()
    assert (re.search(r"<script", page), re.search(r"<img", page)) == (None, None)


def test_html_is_self_contained() -> None:
    """The page loads nothing from outside: no src, no href, no url()."""
    page = render_report(review_file(CLAIMS), "html")
    assert re.search(r"\b(src|href)=|url\(|@import", page) is None


def test_html_opens_on_findings_and_questions_then_the_spec() -> None:
    """The decisions come first: findings, questions, then every section of the spec."""
    page = render_report(review_file(CLAIMS), "html")
    sections = re.findall(r'<section id="([a-z_]+)"', page)
    assert sections == [
        "findings",
        "questions",
        "about",
        "business_goal",
        "owners",
        "users",
        "success_metrics",
        "regulatory",
        "acceptance_criteria",
        "operating_boundary",
        "data_dependencies",
        "inputs",
        "monitoring",
        "budget",
    ]


def test_markdown_carries_every_section_the_html_has() -> None:
    """The pull-request review shows the same sections, in the same order, as the page."""
    report = review_file(CLAIMS)
    page, text = render_report(report, "html"), render_report(report, "md")
    titles = re.findall(r'<section id="[a-z_]+">\s*<h2>([^<]+)</h2>', page)
    assert re.findall(r"^### (.+)$", text, re.MULTILINE) == [
        "Findings",
        "Questions to settle before building",
        *titles[2:],
    ]


def _labels(block: dict[str, Any]) -> list[str]:
    """Every label, heading and column a block of the view shows, nested groups included."""
    kind = block["kind"]
    if kind in ("text", "list"):
        return [block["label"]]
    if kind == "rows":
        return [label for label, _ in block["rows"]]
    if kind == "group":
        return [block["title"], *(label for b in block["blocks"] for label in _labels(b))]
    if kind == "table":
        return list(block["columns"])
    if kind == "cards":
        return [h for h, _ in block["groups"] if h] + [
            label for _, cards in block["groups"] for c in cards for label, _ in c["rows"]
        ]
    if kind == "regimes":
        return [r["id"] for r in block["items"]]
    return ["Controls this scope brings"]


REVIEWED = [*EXAMPLE_SPECS, PLANTED, FIXTURES / "hostile-service.yaml"]


@pytest.mark.parametrize("path", REVIEWED, ids=[p.stem for p in REVIEWED])
def test_both_formats_walk_the_same_sections_with_the_same_labels(path: Path) -> None:
    """Markdown and HTML show the same sections in order, each with every label of its view."""
    report = review_file(path)
    page, text = render_report(report, "html"), render_report(report, "md")
    html_sections = re.split(r'<section id="', page)[1:]
    md_sections = re.split(r"^### ", text, flags=re.MULTILINE)[1:]
    html_titles = [re.findall(r"<h2>([^<]+)</h2>", s)[0] for s in html_sections]
    md_titles = [s.splitlines()[0] for s in md_sections]
    assert md_titles == [html.unescape(t) for t in html_titles]
    for section, html_part, md_part in zip(
        build_view(report)["sections"], html_sections[2:], md_sections[2:], strict=True
    ):
        for label in (label for block in section["blocks"] for label in _labels(block)):
            assert html.escape(label, quote=False) in html_part, (section["key"], label)
            assert md(label) in md_part, (section["key"], label)


@pytest.mark.parametrize("fmt", ["md", "html"])
@pytest.mark.parametrize(
    "shown",
    [
        "read, review",  # what the adjuster may do
        "Claims Data team",  # who owns a data dependency
        "1000000",  # an input's bound
        "web, phone, broker",  # a category input's values
        "Monthly budget (USD)",
        "p95 latency (ms)",
    ],
)
def test_both_formats_show_permissions_inputs_dependencies_and_operations(
    fmt: str, shown: str
) -> None:
    """Users' permissions, typed inputs, data owners, service levels and budget show."""
    assert shown in render_report(review_file(CLAIMS), fmt)  # type: ignore[arg-type]  # one of the formats


def test_html_shows_the_verdict_before_the_findings() -> None:
    """The verdict, the score and what the score means for it head the page."""
    page = render_report(review_file(CLAIMS), "html")
    verdict = page.index('<span class="verdict ready">READY</span>')
    assert verdict < page.index("ready scores 50-100") < page.index('<section id="findings">')


def test_html_folds_the_controls_table() -> None:
    """The controls table sits in a folded details element with its count in the summary."""
    page = render_report(review_file(CLAIMS), "html")
    rows = len(review_file(CLAIMS).controls)
    assert f"<summary>Controls this scope brings ({rows})</summary>" in page
    assert '<details class="controls">' in page


def test_html_prints_on_a4_with_the_controls_unfolded() -> None:
    """The print styles set an A4 page and show a folded controls table in full."""
    page = render_report(review_file(CLAIMS), "html")
    assert ("@page { size: A4;" in page, "@media print" in page) == (True, True)
    assert "details.controls::details-content { content-visibility: visible;" in page


def test_markdown_escapes_html_tags() -> None:
    """Tags in spec text are escaped in Markdown, so a PR comment shows them as text."""
    text = _hostile_report_text("md")
    assert ("<script>" not in text, "&lt;script&gt;" in text) == (True, True)


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [("*b*", r"\*b\*"), ("[l](javascript:x)", r"\[l\](javascript:x)"), ("a | b", r"a \| b")],
)
def test_markdown_escapes_markdown_syntax(raw: str, escaped: str) -> None:
    """Markdown syntax in spec text is escaped, so it renders literally."""
    from generator.review.formats import md

    assert md(raw) == escaped


def test_markdown_defuses_mentions() -> None:
    """An @mention in spec text does not ping anyone from a PR comment."""
    from generator.review.formats import md

    assert "@everyone" not in md("ping @everyone")


def test_markdown_replaces_control_characters() -> None:
    """Terminal escape sequences in draft text are made harmless."""
    from generator.review.formats import md

    assert "\x1b" not in md("red \x1b[31m text")


# --- writing ---------------------------------------------------------------------------


def test_write_report_writes_the_text(tmp_path: Path) -> None:
    """write_report writes the text to the path."""
    target = tmp_path / "r.html"
    write_report(target, "<p>hi</p>")
    assert target.read_text(encoding="utf-8") == "<p>hi</p>\n"


def test_write_report_leaves_no_temporary_file(tmp_path: Path) -> None:
    """After writing, only the report is in the folder."""
    write_report(tmp_path / "r.md", "text")
    assert [p.name for p in tmp_path.iterdir()] == ["r.md"]


def test_write_report_creates_a_missing_folder(tmp_path: Path) -> None:
    """Writing into a folder that does not exist yet creates it."""
    write_report(tmp_path / "reports" / "r.md", "text")
    assert (tmp_path / "reports" / "r.md").read_text(encoding="utf-8") == "text\n"


def test_write_report_under_a_file_fails_cleanly(tmp_path: Path) -> None:
    """A path whose parent is a file fails with one clear GeneratorError."""
    from generator.errors import GeneratorError

    (tmp_path / "file").write_text("x", encoding="utf-8")
    with pytest.raises(GeneratorError, match="cannot write the report"):
        write_report(tmp_path / "file" / "r.md", "text")
