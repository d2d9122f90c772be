"""The review page in headless Chromium: rendered, not blank, quiet, and injection-free.

The page shows content, logs no console errors, and hostile spec text stays text: no
script or image element reaches the DOM.

Chromium comes from Debian's ``chromium`` package. Without it these tests skip, except
under CI (the ``CI`` environment variable set), where a missing browser is a failure.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import zlib
from dataclasses import dataclass
from pathlib import Path

import pytest

from generator.review import render_report, review_file, write_report

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


def _chromium() -> str:
    """Return the Chromium executable, or skip (fail under CI) when it is missing."""
    for name in ("chromium", "chromium-browser", "/usr/bin/chromium"):
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get("CI"):
        pytest.fail("chromium is not installed; CI must install Debian's chromium package")
    pytest.skip("chromium is not installed (apt-get install chromium); CI runs this test")


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
    binary = _chromium()
    work = tmp_path_factory.mktemp("browser")
    page = work / "review.html"
    write_report(page, render_report(review_file(HOSTILE_SPEC), "html"))
    shot = work / "review.png"
    done = _run(binary, work, f"--screenshot={shot}", page.as_uri())
    assert shot.is_file(), f"no screenshot (exit {done.returncode}): {done.stderr[-2000:]}"
    dom = _run(binary, work, "--dump-dom", page.as_uri())
    return BrowserRun(page, shot.read_bytes(), done.stderr, dom.stdout)


def _png_rows(data: bytes, max_rows: int) -> tuple[int, list[bytes]]:
    """Decode the first rows of an 8-bit RGB or RGBA PNG; return bytes per pixel and rows."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    offset, idat, header = 8, b"", b""
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        offset += 12 + length
    width, height, depth, color = struct.unpack(">IIBB", header[:10])
    assert depth == 8 and color in (2, 6), f"unexpected PNG format depth={depth} color={color}"
    bpp = 3 if color == 2 else 4
    stride = width * bpp
    raw = zlib.decompressobj().decompress(idat, (stride + 1) * min(height, max_rows))
    rows: list[bytes] = []
    previous = bytearray(stride)
    for index in range(min(height, max_rows)):
        kind_byte = raw[index * (stride + 1)]
        line = bytearray(raw[index * (stride + 1) + 1 : (index + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            up = previous[i]
            if kind_byte == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind_byte == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind_byte == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind_byte == 4:
                corner = previous[i - bpp] if i >= bpp else 0
                estimate = left + up - corner
                pa, pb, pc = abs(estimate - left), abs(estimate - up), abs(estimate - corner)
                pred = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[i] = (line[i] + pred) & 0xFF
        rows.append(bytes(line))
        previous = line
    return bpp, rows


def test_screenshot_is_not_blank(browser: BrowserRun) -> None:
    """The top of the page shows many colours (text, badge, rules): a near-empty page has few."""
    bpp, rows = _png_rows(browser.screenshot, max_rows=400)
    colours = {row[i : i + 3] for row in rows for i in range(0, len(row), bpp)}
    assert len(colours) > 100, f"only {len(colours)} distinct colours: the page looks blank"


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
