"""The review page in headless Chromium: rendered, not blank, quiet, and injection-free.

The page shows content, logs no console errors, and hostile spec text stays text: no
script or image element reaches the DOM.

Chromium comes from Debian's ``chromium`` package. Without it these tests skip, except
under CI (the ``CI`` environment variable set), where a missing browser is a failure. The
portfolio page and the print rendering are checked in ``test_review_pages_browser.py``.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from generator.review import render_report, review_file, write_report
from tests.e2e.browser import chromium, distinct_colours

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
HOSTILE_SPEC = ROOT / "tests" / "fixtures" / "hostile-service.yaml"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",
    "--v=0",
    "--window-size=1280,2000",
)
TIMEOUT_S = 120


@dataclass(frozen=True)
class BrowserRun:
    """What Chromium produced for the review page."""

    page: Path
    screenshot: bytes
    screenshot_log: str
    dom: str


def _run(binary: str, work: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOME": str(work / "home"), "XDG_CONFIG_HOME": str(work / "home")}
    return subprocess.run(
        [binary, *FLAGS, f"--user-data-dir={work / 'profile'}", *args],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
        env=env,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> BrowserRun:
    """Render the hostile spec's review page, then screenshot it and dump its DOM."""
    binary = chromium()
    work = tmp_path_factory.mktemp("browser")
    page = work / "review.html"
    write_report(page, render_report(review_file(HOSTILE_SPEC), "html"))
    shot = work / "review.png"
    done = _run(binary, work, f"--screenshot={shot}", page.as_uri())
    assert shot.is_file(), f"no screenshot (exit {done.returncode}): {done.stderr[-2000:]}"
    dom = _run(binary, work, "--dump-dom", page.as_uri())
    return BrowserRun(page, shot.read_bytes(), done.stderr, dom.stdout)


def test_screenshot_is_not_blank(browser: BrowserRun) -> None:
    """The top of the page shows many colours (text, badge, rules): a near-empty page has few."""
    colours = distinct_colours(browser.screenshot)
    assert colours > 100, f"only {colours} distinct colours: the page looks blank"


def test_page_logs_no_console_messages(browser: BrowserRun) -> None:
    """Chromium logs no console message or uncaught error for the page."""
    uri = browser.page.as_uri()
    lines = [
        line
        for line in browser.screenshot_log.splitlines()
        if ("CONSOLE" in line or "Uncaught" in line) and uri in line
    ]
    assert lines == []


def test_dom_has_no_script_or_image_element(browser: BrowserRun) -> None:
    """Script and img tags written in the spec never become elements."""
    dom = browser.dom.lower()
    assert ("<script" in dom, "<img" in dom) == (False, False)


def test_dom_shows_the_hostile_text_as_text(browser: BrowserRun) -> None:
    """The escaped tags appear as visible text in the rendered page."""
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in browser.dom
