"""The portfolio page and a single review in headless Chromium, on screen and in print.

A portfolio of the examples, a spec that is not ready and an invalid draft, and the review
of one example, are rendered for the screen and, with print media emulated at the size of
an A4 page, for print, and printed to PDF. The screenshots are the viewport's size and not
blank; no page logs a console message (a script the page's policy refused would); the
review shows users with their permissions, typed inputs with their bounds, data
dependencies with their owners, warnings and regimes; the portfolio's rows carry warnings,
regimes, risk tier, value and budget, mark the invalid draft, link to each review, and sort
by the column clicked (and read as a plain table without script); the controls table folds
away on screen and prints in full; printed pages are A4.

The screenshots are kept beside the pages in the test's temporary folder, for a look.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from generator.review import (
    render_portfolio,
    render_report,
    review_file,
    review_files,
    write_report,
)
from tests.conftest import EXAMPLE_SPECS, FIXTURES, SPECS
from tests.e2e.browser import A4_PT, Page, browser, distinct_colours, pdf_pages, png_size

pytestmark = pytest.mark.e2e

SCREEN = (1280, 2000)
PRINTABLE = (688, 994)
"""The part of an A4 page inside the pages' ``@page`` margins (182 x 263 mm), in CSS px."""

LINKS_RESOLVE = (
    "[...document.querySelectorAll('#portfolio-table a')]"
    ".map(a => document.getElementById(a.getAttribute('href').slice(1)) !== null)"
)
CONTROLS_HEIGHT = "document.querySelector('details.controls').getBoundingClientRect().height"
FITS_THE_WIDTH = "document.documentElement.scrollWidth <= window.innerWidth"
FIRST_SECTIONS = (
    "[...document.querySelectorAll('main > section')].slice(0, 3).map(s => s.id)",
    "document.getElementById('findings').getBoundingClientRect().top < window.innerHeight",
)
SHOWN = """(() => {
  const visible = el => el !== null && el.getBoundingClientRect().height > 0;
  const table = id => {
    const t = document.querySelector('#' + id + ' table');
    if (!visible(t)) return null;
    const rows = [...t.rows].map(r => [...r.cells].map(c => c.textContent.trim()));
    return {columns: rows[0], rows: rows.slice(1)};
  };
  return JSON.stringify({
    users: table('users'),
    inputs: table('inputs'),
    data_dependencies: table('data_dependencies'),
    warnings: [...document.querySelectorAll('.finding.warning')].filter(visible).length,
    regimes: [...document.querySelectorAll('#regulatory li')].filter(visible)
      .map(li => li.textContent.trim()),
  });
})()"""
"""What the review shows of users, inputs, data dependencies, warnings and regimes."""
PORTFOLIO_ROWS = """JSON.stringify((() => {
  const t = document.getElementById('portfolio-table');
  return {
    columns: [...t.tHead.rows[0].cells].map(c => c.textContent.replace(/[↕▲▼]/g, '').trim()),
    rows: [...t.tBodies[0].rows].map(r => ({
      state: r.className,
      badge: (r.querySelector('.badge') || {textContent: ''}).textContent,
      cells: [...r.cells].map(c => c.textContent.trim()),
    })),
    buttons: t.querySelectorAll('th button').length,
  };
})())"""
SORT_BY_SCORE = """JSON.stringify((() => {
  const t = document.getElementById('portfolio-table');
  const head = [...t.tHead.rows[0].cells].find(c => c.textContent.includes('Score'));
  const scores = () => [...t.tBodies[0].rows].map(r => Number(r.cells[2].textContent));
  head.querySelector('button').click();
  const first = {scores: scores(), sort: head.getAttribute('aria-sort')};
  head.querySelector('button').click();
  return [first, {scores: scores(), sort: head.getAttribute('aria-sort')}];
})())"""


@dataclass(frozen=True)
class Rendered:
    """What Chromium made of the two pages, for the screen and for print."""

    portfolio: Page
    portfolio_print: Page
    portfolio_no_script: Page
    review: Page
    review_print: Page
    specs: int


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    """Render a portfolio (examples, a not-ready spec, an invalid draft) and one review."""
    work = tmp_path_factory.mktemp("pages")
    draft = work / "draft.yaml"
    claims = (SPECS / "claims-triage.yaml").read_text(encoding="utf-8")
    draft.write_text(claims.replace("kind: service", "kind: robot"), encoding="utf-8")
    files = [*EXAMPLE_SPECS, FIXTURES / "review" / "planted-problems.yaml", draft]
    portfolio, review = work / "portfolio.html", work / "review.html"
    write_report(portfolio, render_portfolio(review_files(files), "html"))
    write_report(review, render_report(review_file(SPECS / "loan-pricing-api.yaml"), "html"))
    with browser(work) as chromium:
        pages = Rendered(
            portfolio=chromium.open(
                portfolio,
                size=SCREEN,
                evaluate=(LINKS_RESOLVE, PORTFOLIO_ROWS, SORT_BY_SCORE, FITS_THE_WIDTH),
            ),
            portfolio_print=chromium.open(
                portfolio, media="print", size=PRINTABLE, pdf=True, evaluate=(FITS_THE_WIDTH,)
            ),
            portfolio_no_script=chromium.open(
                portfolio, size=SCREEN, evaluate=(PORTFOLIO_ROWS,), scripts=False
            ),
            review=chromium.open(
                review, size=SCREEN, evaluate=(CONTROLS_HEIGHT, *FIRST_SECTIONS, SHOWN)
            ),
            review_print=chromium.open(
                review,
                media="print",
                size=PRINTABLE,
                pdf=True,
                evaluate=(CONTROLS_HEIGHT, FITS_THE_WIDTH),
            ),
            specs=len(files),
        )
    for name in ("portfolio", "portfolio_print", "portfolio_no_script", "review", "review_print"):
        (work / f"{name}.png").write_bytes(getattr(pages, name).screenshot)
    return pages


PAGES = ["portfolio", "portfolio_print", "portfolio_no_script", "review", "review_print"]


@pytest.mark.parametrize("name", PAGES)
def test_screenshot_is_the_viewport_and_not_blank(name: str, rendered: Rendered) -> None:
    """Each screenshot has the viewport's size and shows text in many shades."""
    page: Page = getattr(rendered, name)
    expected = PRINTABLE if name.endswith("_print") else SCREEN
    assert png_size(page.screenshot) == expected
    colours = distinct_colours(page.screenshot)
    assert colours > 100, f"{name}: only {colours} distinct colours, the page looks blank"


@pytest.mark.parametrize("name", PAGES)
def test_page_logs_no_console_message(name: str, rendered: Rendered) -> None:
    """No console message, uncaught exception or error log entry (no script refused)."""
    assert getattr(rendered, name).console == []


def test_every_spec_has_a_row_linking_to_its_review(rendered: Rendered) -> None:
    """One row per spec, the invalid draft included, each link reaching its review."""
    assert rendered.portfolio.values[0] == [True] * rendered.specs


def test_portfolio_rows_show_what_decides_what_goes_next(rendered: Rendered) -> None:
    """Warnings, regimes, risk tier, value and budget are columns; each row fills them."""
    table = json.loads(rendered.portfolio.values[1])
    assert table["columns"] == [
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
    claims = next(r["cells"] for r in table["rows"] if r["cells"][0].startswith("Claims"))
    assert claims[1:] == [
        "ready",
        "95",
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


def test_the_invalid_and_the_not_ready_specs_are_marked(rendered: Rendered) -> None:
    """The invalid draft's row is marked invalid; the planted spec's row is not ready."""
    rows = json.loads(rendered.portfolio.values[1])["rows"]
    assert [(r["state"], r["badge"], r["cells"][1][:9]) for r in rows[-2:]] == [
        ("state-valid", "", "not-ready"),
        ("state-invalid", "invalid", "not-ready"),
    ]


def test_clicking_a_heading_sorts_by_it_and_again_reverses(rendered: Rendered) -> None:
    """Score sorts highest first on the first click, lowest first on the second."""
    first, second = json.loads(rendered.portfolio.values[2])
    assert (first["scores"], first["sort"]) == (sorted(first["scores"], reverse=True), "descending")
    assert (second["scores"], second["sort"]) == (sorted(first["scores"]), "ascending")


def test_without_script_the_table_reads_plainly_in_file_order(rendered: Rendered) -> None:
    """With JavaScript off: the same rows in the order given, plain headings, no buttons."""
    plain = json.loads(rendered.portfolio_no_script.values[0])
    scripted = json.loads(rendered.portfolio.values[1])
    assert (plain["buttons"], scripted["buttons"]) == (0, 12)
    assert [r["cells"] for r in plain["rows"]] == [r["cells"] for r in scripted["rows"]]


def test_the_review_shows_permissions_inputs_dependencies_warnings_and_regimes(
    rendered: Rendered,
) -> None:
    """Users with what each may do, inputs with type and bounds, sources with owners."""
    shown = json.loads(rendered.review.values[3])
    users, inputs, sources = shown["users"], shown["inputs"], shown["data_dependencies"]
    assert users["columns"][-1] == "May do" and all(row[-1] for row in users["rows"])
    assert inputs["columns"][:4] == ["Input", "Type", "Min", "Max"]
    assert any(row[1] == "number" and row[2] and row[3] for row in inputs["rows"])
    assert sources["columns"][:2] == ["Source", "Owner"] and all(r[1] for r in sources["rows"])
    assert shown["warnings"] > 0 and len(shown["regimes"]) == 3


def test_a_review_opens_on_its_findings(rendered: Rendered) -> None:
    """Findings and questions come first, on the first screen; the spec's content follows."""
    assert rendered.review.values[1:3] == [["findings", "questions"], True]


@pytest.mark.parametrize("name", ["portfolio_print", "review_print"])
def test_printed_page_fits_the_width_of_a4(name: str, rendered: Rendered) -> None:
    """Nothing sticks out of the printable width of an A4 page: no column is cut off."""
    assert getattr(rendered, name).values[-1] is True


def test_the_portfolio_fits_a_meeting_screen(rendered: Rendered) -> None:
    """On a 1280 px wide screen no column of the portfolio sticks out, sorted or not."""
    assert rendered.portfolio.values[-1] is True


def test_controls_fold_on_screen_and_print_in_full(rendered: Rendered) -> None:
    """On screen the controls table is one folded line; printed, all of it shows."""
    on_screen, printed = rendered.review.values[0], rendered.review_print.values[0]
    assert (on_screen < 60, printed > 600) == (True, True), (on_screen, printed)


@pytest.mark.parametrize("name", ["portfolio_print", "review_print"])
def test_printed_pages_are_a4(name: str, rendered: Rendered) -> None:
    """Every printed page is A4 (the page's own @page size, not the printer's default)."""
    pages = pdf_pages(getattr(rendered, name).pdf)
    width, height = A4_PT
    assert pages and all(abs(w - width) < 2 and abs(h - height) < 2 for w, h in pages), pages


def test_each_spec_starts_a_printed_page(rendered: Rendered) -> None:
    """The portfolio prints its summary, then each spec's review from a new page."""
    assert len(pdf_pages(rendered.portfolio_print.pdf)) >= rendered.specs + 1
