"""The portfolio: several specs reviewed on one page, a bad file among them included."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from generator.review import render_portfolio, review_files
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


def test_markdown_has_one_row_per_spec(files: list[Path]) -> None:
    """The table lists title, owner, kind, verdict, score and blockers of each spec."""
    rows = _rows(render_portfolio(review_files(files), "md"))
    assert len(rows) == len(files)
    position = EXAMPLE_SPECS.index(CLAIMS)
    assert rows[position] == [
        f"[Claims triage assistant](#spec-{position + 1})",
        "Head of Claims Operations",
        "service",
        "ready",
        "95/100",
        "0",
    ]


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
    assert (re.search(r"<script", page), re.search(r"<img", page)) == (None, None)


def test_html_is_self_contained(files: list[Path]) -> None:
    """The page loads nothing: its only links are to its own sections."""
    page = render_portfolio(review_files(files), "html")
    hrefs = re.findall(r'\b(?:src|href)="([^"]*)"', page)
    assert hrefs and all(href.startswith("#spec-") for href in hrefs)
    assert re.search(r"url\(|@import", page) is None


def test_json_keeps_each_reviews_design_keys(files: list[Path]) -> None:
    """JSON has the totals and, per spec, the keys of DESIGN §4b plus kind and owner."""
    document = json.loads(render_portfolio(review_files(files), "json"))
    keys = {"spec", "verdict", "score", "findings", "controls", "questions", "kind", "owner"}
    assert (document["count"], document["ready"] + document["not_ready"]) == (
        len(files),
        len(files),
    )
    assert all(keys <= set(spec) for spec in document["specs"])


def test_totals_count_ready_specs_and_blockers(files: list[Path]) -> None:
    """The portfolio counts the ready specs and every blocker of every spec."""
    portfolio = review_files(files)
    blockers = sum(report.count("blocker") for report in portfolio.reports)
    assert (portfolio.ready, portfolio.blockers, portfolio.invalid) == (
        len(EXAMPLE_SPECS),
        blockers,
        2,
    )
