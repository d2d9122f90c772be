"""The real consumers of generated artifacts (promtool, Chromium, ...), found or skipped.

A test that needs one skips with the reason when it is missing on a developer's machine;
under CI (the ``CI`` environment variable set, as ``.ci/run`` does) a missing tool is a
failure, so CI can never pass by skipping. ``./dev test`` installs them from Debian.
"""

from __future__ import annotations

import os
import shutil

import pytest

DEBIAN_PACKAGES = {"promtool": "prometheus", "chromium": "chromium"}


def find_tool(name: str) -> str | None:
    """Return the path of a tool on PATH, or None."""
    return shutil.which(name)


def require_tool(name: str) -> str:
    """Return the path of a tool; skip the test without it, or fail under CI."""
    found = find_tool(name)
    if found:
        return found
    package = DEBIAN_PACKAGES.get(name, name)
    if os.environ.get("CI"):
        pytest.fail(f"{name} is not installed; CI must install Debian's {package} package")
    pytest.skip(f"{name} is not installed (apt-get install {package}); CI runs this test")
