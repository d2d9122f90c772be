"""Headless Chromium for the review pages: screenshots, print rendering and console messages.

``Chromium`` speaks the DevTools protocol over ``--remote-debugging-pipe`` (file
descriptors 3 and 4, NUL-separated JSON), so no websocket client and no open port are
needed. It can emulate print media at the size of an A4 page, print to PDF, and it collects
every console message and uncaught exception the page produces.

Chromium comes from Debian's ``chromium`` package (``tests.tools.require_tool``): without
it the tests skip, except under CI, where a missing browser is a failure.
"""

from __future__ import annotations

import base64
import json
import os
import re
import struct
import subprocess
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.tools import require_tool

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)
TIMEOUT_S = 120
A4_CSS_PX = (794, 1123)
"""An A4 page (210 x 297 mm) in CSS pixels at 96 per inch."""
A4_PT = (595.92, 842.88)
"""An A4 page in PDF points, as Chromium writes its MediaBox."""


def chromium() -> str:
    """Return the Chromium executable, or skip (fail under CI) when it is missing."""
    return require_tool("chromium")


class BrowserError(RuntimeError):
    """Chromium failed, timed out or answered a command with an error."""


@dataclass
class Page:
    """What the browser produced for one page."""

    screenshot: bytes = b""
    pdf: bytes = b""
    console: list[str] = field(default_factory=list)
    """Console messages, uncaught exceptions and log entries of level error or warning."""
    values: list[Any] = field(default_factory=list)
    """The values of the expressions evaluated in the loaded page, in order."""


class Chromium:
    """One headless Chromium process driven over the DevTools pipe."""

    def __init__(self, binary: str, work: Path) -> None:
        """Start Chromium with its profile and HOME under ``work``."""
        to_browser, self._to_browser = os.pipe()
        self._from_browser, from_browser = os.pipe()

        def wire() -> None:  # in the child: the protocol wants fds 3 (commands) and 4
            commands, replies = os.dup(to_browser), os.dup(from_browser)
            os.dup2(commands, 3)
            os.dup2(replies, 4)

        env = {**os.environ, "HOME": str(work / "home"), "XDG_CONFIG_HOME": str(work / "home")}
        self._process = subprocess.Popen(  # a fixed argument list, no shell
            [binary, *FLAGS, "--remote-debugging-pipe", f"--user-data-dir={work / 'profile'}"],
            preexec_fn=wire,  # only dup2 calls, then exec
            close_fds=False,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        os.close(to_browser)
        os.close(from_browser)
        self._buffer = b""
        self._next_id = 0
        self._events: list[dict[str, Any]] = []

    def close(self) -> None:
        """Ask Chromium to quit, and make sure it has."""
        with suppress(OSError):
            self._send("Browser.close")
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        os.close(self._to_browser)
        os.close(self._from_browser)

    def _send(self, method: str, params: dict[str, Any] | None = None, session: str = "") -> int:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        return self._next_id

    def _receive(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            if time.monotonic() > deadline:
                raise BrowserError("Chromium did not answer in time")
            chunk = os.read(self._from_browser, 1 << 16)
            if not chunk:
                raise BrowserError(f"Chromium exited (status {self._process.poll()})")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        message: dict[str, Any] = json.loads(raw)
        return message

    def call(self, method: str, params: dict[str, Any] | None = None, session: str = "") -> Any:
        """Send one command and return its result; events that arrive meanwhile are kept."""
        number = self._send(method, params, session)
        deadline = time.monotonic() + TIMEOUT_S
        while True:
            message = self._receive(deadline)
            if message.get("id") == number:
                if "error" in message:
                    raise BrowserError(f"{method}: {message['error']}")
                return message.get("result", {})
            self._events.append(message)

    def _wait_for(self, method: str) -> None:
        deadline = time.monotonic() + TIMEOUT_S
        while not any(event.get("method") == method for event in self._events):
            self._events.append(self._receive(deadline))

    def open(
        self,
        page: Path,
        *,
        media: str = "screen",
        size: tuple[int, int] = (1280, 2000),
        pdf: bool = False,
        evaluate: tuple[str, ...] = (),
        scripts: bool = True,
    ) -> Page:
        """Load ``page`` in a new tab at ``size`` with ``media`` emulated; screenshot it.

        Args:
            page: the HTML file.
            media: the CSS media type to emulate (``screen`` or ``print``).
            size: the viewport in CSS pixels.
            pdf: print the page to PDF as well (with its own ``@page`` size).
            evaluate: JavaScript expressions whose values to return (read from the DOM by the
                test, or acting on it like a click), evaluated after the screenshot.
            scripts: let the page run its own scripts (False: as a browser with JavaScript
                off shows it; the test's expressions still run).
        """
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})
        tab = str(session["sessionId"])
        self._events.clear()
        for domain in ("Page", "Runtime", "Log"):
            self.call(f"{domain}.enable", session=tab)
        self.call("Emulation.setEmulatedMedia", {"media": media}, tab)
        if not scripts:
            self.call("Emulation.setScriptExecutionDisabled", {"value": True}, tab)
        width, height = size
        metrics = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}
        self.call("Emulation.setDeviceMetricsOverride", metrics, tab)
        self.call("Page.navigate", {"url": page.as_uri()}, tab)
        self._wait_for("Page.loadEventFired")
        shot = self.call("Page.captureScreenshot", {"format": "png"}, tab)
        result = Page(screenshot=base64.b64decode(shot["data"]))
        for expression in evaluate:
            question = {"expression": expression, "returnByValue": True}
            answer = self.call("Runtime.evaluate", question, tab)
            result.values.append(answer["result"].get("value"))
        if pdf:
            options = {"preferCSSPageSize": True, "printBackground": False}
            result.pdf = base64.b64decode(self.call("Page.printToPDF", options, tab)["data"])
        self.call("Target.closeTarget", {"targetId": target})
        result.console = [_console_line(event) for event in self._events if _is_console(event)]
        return result


def _is_console(event: dict[str, Any]) -> bool:
    method = event.get("method")
    if method in ("Runtime.consoleAPICalled", "Runtime.exceptionThrown"):
        return True
    entry = event.get("params", {}).get("entry", {})
    return method == "Log.entryAdded" and entry.get("level") in ("error", "warning")


def _console_line(event: dict[str, Any]) -> str:
    return f"{event['method']}: {json.dumps(event.get('params', {}))[:500]}"


@contextmanager
def browser(work: Path) -> Iterator[Chromium]:
    """Run one Chromium for the duration of the block."""
    running = Chromium(chromium(), work)
    try:
        yield running
    finally:
        running.close()


def png_size(data: bytes) -> tuple[int, int]:
    """Return the width and height of a PNG image."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def png_rows(data: bytes, max_rows: int) -> tuple[int, list[bytes]]:
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


def distinct_colours(data: bytes, max_rows: int = 400) -> int:
    """Count the distinct colours in the top rows of a PNG: a blank page has very few."""
    bpp, rows = png_rows(data, max_rows)
    return len({row[i : i + 3] for row in rows for i in range(0, len(row), bpp)})


def pdf_pages(data: bytes) -> list[tuple[float, float]]:
    """Return the size in points of each page of a PDF Chromium printed (its MediaBoxes)."""
    assert data[:5] == b"%PDF-", "not a PDF file"
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", data)
    return [(float(width), float(height)) for width, height in boxes]
