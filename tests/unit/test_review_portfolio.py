"""The portfolio: several specs reviewed on one page, a bad file among them included."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from pathlib import Path

import pytest

from generator.review import render_portfolio, review_files
from generator.review.portfolio import FIELDS, sort_script
from generator.spec import ProjectSpec, find
from tests.conftest import EXAMPLE_SPECS, FIXTURES, SPECS

CLAIMS = SPECS / "claims-triage.yaml"
PLANTED = FIXTURES / "review" / "planted-problems.yaml"
HOSTILE = FIXTURES / "hostile-service.yaml"


@pytest.fixture
def invalid(tmp_path: Path) -> Path:
    """A draft whose kind is not one the schema allows."""
    path = tmp_path / "draft.yaml"
    path.write_text(
        CLAIMS.read_text(encoding="utf-8").replace("kind: service", "kind: robot"),
        encoding="utf-8",
    )
    return path


@pytest.fixture
def files(invalid: Path, tmp_path: Path) -> list[Path]:
    """The examples, a spec with blockers, an invalid draft and a file that is not there."""
    return [*EXAMPLE_SPECS, PLANTED, invalid, tmp_path / "missing.yaml"]


def _rows(markdown: str) -> list[list[str]]:
    lines = markdown.split("\n\n")[2].splitlines()[2:]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines]


def test_every_file_is_reviewed_in_order(files: list[Path]) -> None:
    """One report per file, in the order given, the bad files included."""
    portfolio = review_files(files)
    assert [report.source for report in portfolio.reports] == [str(path) for path in files]


def test_an_invalid_spec_shows_its_schema_errors(files: list[Path], invalid: Path) -> None:
    """The invalid draft is reviewed with its schema error as a blocker; others are unaffected."""
    reports = {report.source: report for report in review_files(files).reports}
    schema = [(f.rule, f.path) for f in reports[str(invalid)].findings if f.rule == "schema"]
    assert (schema, reports[str(CLAIMS)].verdict) == ([("schema", "kind")], "ready")


def test_a_missing_file_says_why_instead_of_stopping_the_page(tmp_path: Path) -> None:
    """A file that cannot be read is one not-ready row with the reason, score 0."""
    report = review_files([CLAIMS, tmp_path / "missing.yaml"]).reports[1]
    assert (report.verdict, report.score, report.findings[0].rule) == ("not-ready", 0, "file")
    assert "cannot read" in report.findings[0].message


HEADER = [
    "Spec",
    "Verdict",
    "Score",
    "Blockers",
    "Warnings",
    "Kind",
    "Regimes",
    "Risk tier",
    "Value",
    "Budget (USD/month)",
    "Controls",
    "Owner",
]


def test_markdown_has_one_row_per_spec_with_what_decides_what_goes_next(
    files: list[Path],
) -> None:
    """Each row: verdict, score, blockers, warnings, kind, regimes, risk, value, budget, owner."""
    text = render_portfolio(review_files(files), "md")
    header = text.split("\n\n")[2].splitlines()[0]
    assert [c.strip() for c in header.strip("|").split("|")] == HEADER
    rows = _rows(text)
    assert len(rows) == len(files)
    position = EXAMPLE_SPECS.index(CLAIMS)
    assert rows[position] == [
        f"[Claims triage assistant](#spec-{position + 1})",
        "ready",
        "95/100",
        "0",
        "1",
        "service",
        "eu-ai-act, gdpr",
        "high",
        "Median routing time falls from 48 hours to 4 hours, freeing 12 adjuster FTEs.",
        "2,000",
        "21",
        "Head of Claims Operations",
    ]


def test_markdown_marks_invalid_and_unreadable_specs_in_their_rows(files: list[Path]) -> None:
    """The invalid draft and the missing file say so next to their verdict."""
    verdicts = [row[1] for row in _rows(render_portfolio(review_files(files), "md"))]
    assert verdicts[-2:] == ["not-ready **(invalid)**", "not-ready **(unreadable)**"]
    assert all("(" not in verdict for verdict in verdicts[:-2])


def test_markdown_rows_link_to_each_specs_review(files: list[Path]) -> None:
    """Each row's link leads to an anchor placed before that spec's full review."""
    text = render_portfolio(review_files(files), "md")
    links = re.findall(r"\]\(#(spec-\d+)\)", text)
    anchors = re.findall(r'<a id="(spec-\d+)"></a>\n\n## Readiness review', text)
    assert links == anchors == [f"spec-{n}" for n in range(1, len(files) + 1)]


def test_html_rows_link_to_each_specs_review(files: list[Path]) -> None:
    """Each row links to the article holding that spec's review; ids on the page are unique."""
    page = render_portfolio(review_files(files), "html")
    links = re.findall(r'<a href="#(spec-\d+)">', page)
    ids = re.findall(r'id="([^"]+)"', page)
    articles = re.findall(r'<article id="(spec-\d+)">', page)
    assert (links == articles, len(ids) == len(set(ids)), len(articles)) == (
        True,
        True,
        len(files),
    )


def test_html_article_opens_on_its_findings(files: list[Path]) -> None:
    """Within each spec's review the findings and questions come before its goal."""
    page = render_portfolio(review_files(files), "html")
    sections = re.findall(r'<section id="spec-1-([a-z_]+)"', page)
    assert sections[:3] == ["findings", "questions", "about"]


def test_html_escapes_spec_text() -> None:
    """Hostile spec text in a row and in the review stays text: no tag reaches the page."""
    page = render_portfolio(review_files([CLAIMS, HOSTILE]), "html").lower()
    assert (len(re.findall(r"<script", page)), re.search(r"<img", page)) == (1, None)


def test_html_is_self_contained(files: list[Path]) -> None:
    """The page loads nothing: its only links are to its own sections."""
    page = render_portfolio(review_files(files), "html")
    hrefs = re.findall(r'\b(?:src|href)="([^"]*)"', page)
    assert hrefs and all(href.startswith("#spec-") for href in hrefs)
    assert re.search(r"url\(|@import|https?://", page) is None


def test_the_only_script_is_the_sorter_allowed_by_its_hash(files: list[Path]) -> None:
    """One inline script, the sorter itself; the page's policy allows it by hash, nothing else."""
    page = render_portfolio(review_files(files), "html")
    (script,) = re.findall(r"<script>(.*?)</script>", page, re.DOTALL)
    assert script == sort_script()
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert policy is not None
    assert html.unescape(policy.group(1)) == (
        f"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{digest}'"
    )


def test_html_table_has_a_sortable_column_per_row_field(files: list[Path]) -> None:
    """The table's headings are the row's fields; numbers sort as numbers, ranks by rank."""
    page = render_portfolio(review_files(files), "html")
    table = page[page.index('<table id="portfolio-table">') : page.index("</table>")]
    headings = re.findall(r"<th[^>]*>([^<]+)</th>", table)
    numeric = re.findall(r"<th[^>]*data-numeric[^>]*>([^<]+)</th>", table)
    assert headings == HEADER
    assert numeric == [
        "Score",
        "Blockers",
        "Warnings",
        "Risk tier",
        "Budget (USD/month)",
        "Controls",
    ]


def test_html_marks_invalid_specs_in_their_rows(files: list[Path]) -> None:
    """An invalid or unreadable spec's row carries its state as a class and a badge."""
    page = render_portfolio(review_files(files), "html")
    states = re.findall(r'<tr class="state-([a-z]+)">', page)
    assert states == ["valid"] * len(EXAMPLE_SPECS) + ["valid", "invalid", "unreadable"]
    assert page.count('<span class="badge">invalid</span>') == 1


def test_html_prints_its_summary_on_its_own_page(files: list[Path]) -> None:
    """Printed, the summary table comes first and each review starts a new page."""
    page = render_portfolio(review_files(files), "html")
    assert "@media print" in page and "article { break-before: page; }" in page


def test_json_keeps_each_reviews_design_keys(files: list[Path]) -> None:
    """JSON has the totals and, per spec, the keys of DESIGN §4b plus kind and owner."""
    document = json.loads(render_portfolio(review_files(files), "json"))
    keys = {"spec", "verdict", "score", "findings", "controls", "questions", "kind", "owner"}
    assert (document["count"], document["ready"] + document["not_ready"]) == (
        len(files),
        len(files),
    )
    assert all(keys <= set(spec) for spec in document["specs"])


def test_json_rows_carry_the_same_data_as_the_tables(files: list[Path]) -> None:
    """JSON has one row per spec with the fields the tables show, as plain values."""
    document = json.loads(render_portfolio(review_files(files), "json"))
    assert document["rows"][EXAMPLE_SPECS.index(CLAIMS)] == {
        "spec": "claims-triage",
        "title": "Claims triage assistant",
        "source": str(CLAIMS),
        "state": "valid",
        "verdict": "ready",
        "score": 95,
        "blockers": 0,
        "warnings": 1,
        "notes": 1,
        "kind": "service",
        "regimes": ["eu-ai-act", "gdpr"],
        "risk_tier": "high",
        "value": "Median routing time falls from 48 hours to 4 hours, freeing 12 adjuster FTEs.",
        "budget_usd": 2000.0,
        "controls": 21,
        "owner": "Head of Claims Operations",
    }
    assert [row["state"] for row in document["rows"][-2:]] == ["invalid", "unreadable"]
    assert (document["invalid"], document["warnings"]) == (
        2,
        sum(row["warnings"] for row in document["rows"]),
    )


def test_the_fields_a_row_shows_exist_in_the_spec_model() -> None:
    """Each spec field the portfolio reads is a field of the model (renaming one fails here)."""
    assert all(find(path, ProjectSpec) is not None for path in FIELDS.values())


def test_a_draft_with_wrong_types_still_makes_a_row(tmp_path: Path) -> None:
    """Broken values (a budget that is text, regimes that are not a list) show as missing."""
    draft = tmp_path / "draft.yaml"
    draft.write_text(
        "name: x\nbudget: {monthly_usd: lots}\nregulatory: {regimes: gdpr}\n", encoding="utf-8"
    )
    row = review_files([draft]).rows[0]
    assert (row.state, row.budget_usd, row.regimes, row.value) == ("invalid", None, [], None)


def test_totals_count_ready_specs_and_blockers(files: list[Path]) -> None:
    """The portfolio counts the ready specs and every blocker of every spec."""
    portfolio = review_files(files)
    blockers = sum(report.count("blocker") for report in portfolio.reports)
    assert (portfolio.ready, portfolio.blockers, portfolio.invalid) == (
        len(EXAMPLE_SPECS),
        blockers,
        2,
    )
