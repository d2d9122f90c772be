"""The portfolio page and the print rendering in headless Chromium.

Several specs, an invalid one among them, make one portfolio page; it and a single review
are rendered for the screen and, with print media emulated at the size of an A4 page, for
print, and printed to PDF. The screenshots are not blank, no page logs a console message,
the rows link to each spec's review, a review opens on its findings, the controls table
folds away on screen and prints in full, and the printed pages are A4.

The screenshots are kept beside the pages in the test's temporary folder, for a look.
"""

from __future__ import annotations

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
from tests.e2e.browser import A4_PT, Page, browser, distinct_colours, pdf_pages

pytestmark = pytest.mark.e2e

LINKS_RESOLVE = (
    "[...document.querySelectorAll('#portfolio a')]"
    ".map(a => document.getElementById(a.getAttribute('href').slice(1)) !== null)"
)
CONTROLS_HEIGHT = "document.querySelector('details.controls').getBoundingClientRect().height"
FITS_THE_WIDTH = "document.documentElement.scrollWidth <= window.innerWidth"
PRINTABLE = (688, 994)
"""The part of an A4 page inside the pages' ``@page`` margins (182 x 263 mm), in CSS px."""
FIRST_SECTIONS = (
    "[...document.querySelectorAll('main > section')].slice(0, 3).map(s => s.id)",
    "document.getElementById('findings').getBoundingClientRect().top < window.innerHeight",
)


@dataclass(frozen=True)
class Rendered:
    """What Chromium made of the two pages, for the screen and for print."""

    portfolio: Page
    portfolio_print: Page
    review: Page
    review_print: Page
    specs: int


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    """Render a portfolio (an invalid draft among the examples) and one review, then look."""
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
            portfolio=chromium.open(portfolio, evaluate=(LINKS_RESOLVE,)),
            portfolio_print=chromium.open(
                portfolio, media="print", size=PRINTABLE, pdf=True, evaluate=(FITS_THE_WIDTH,)
            ),
            review=chromium.open(review, evaluate=(CONTROLS_HEIGHT, *FIRST_SECTIONS)),
            review_print=chromium.open(
                review,
                media="print",
                size=PRINTABLE,
                pdf=True,
                evaluate=(CONTROLS_HEIGHT, FITS_THE_WIDTH),
            ),
            specs=len(files),
        )
    for name in ("portfolio", "portfolio_print", "review", "review_print"):
        (work / f"{name}.png").write_bytes(getattr(pages, name).screenshot)
    return pages


@pytest.mark.parametrize("name", ["portfolio", "portfolio_print", "review", "review_print"])
def test_screenshot_is_not_blank(name: str, rendered: Rendered) -> None:
    """The top of each page, for the screen and for print, shows text in many shades."""
    colours = distinct_colours(getattr(rendered, name).screenshot)
    assert colours > 100, f"{name}: only {colours} distinct colours, the page looks blank"


@pytest.mark.parametrize("name", ["portfolio", "portfolio_print", "review", "review_print"])
def test_page_logs_no_console_message(name: str, rendered: Rendered) -> None:
    """No console message, uncaught exception or error log entry for any page."""
    assert getattr(rendered, name).console == []


def test_every_spec_has_a_row_linking_to_its_review(rendered: Rendered) -> None:
    """One row per spec, the invalid draft included, each link reaching its review."""
    assert rendered.portfolio.values == [[True] * rendered.specs]


def test_a_review_opens_on_its_findings(rendered: Rendered) -> None:
    """Findings and questions come first, on the first screen; the spec's content follows."""
    assert rendered.review.values[1:] == [["findings", "questions"], True]


@pytest.mark.parametrize("name", ["portfolio_print", "review_print"])
def test_printed_page_fits_the_width_of_a4(name: str, rendered: Rendered) -> None:
    """Nothing sticks out of the printable width of an A4 page: no column is cut off."""
    assert getattr(rendered, name).values[-1] is True


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
    """The portfolio prints its table, then each spec's review from a new page."""
    assert len(pdf_pages(rendered.portfolio_print.pdf)) >= rendered.specs + 1
