"""JUnit XML reports (as ``pytest --junitxml`` writes them) read into test results.

pytest names a test by ``classname`` (the test file's path with dots for slashes and no
``.py``, then any classes) and ``name`` (the function, with its parameters). A test's
outcome is a child element: ``failure`` or ``error`` (failed), ``skipped`` of type
``pytest.xfail`` (a strict xfail: pending) or another ``skipped`` (skipped), none (passed).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from generator._io import read_file
from generator.errors import EvidenceError, GeneratorError
from generator.evidence.model import Result

XFAIL_TYPE = "pytest.xfail"
_HINT = "write one with `pytest --junitxml=FILE`"


@dataclass(frozen=True)
class Case:
    """One ``testcase`` of a JUnit report, as written."""

    classname: str
    name: str
    result: Result
    message: str | None
    source: str


def read_junit(path: Path) -> list[Case]:
    """Read every test case of a JUnit XML report.

    Raises:
        EvidenceError: the file is missing, is not XML, or is not a JUnit report.
    """
    try:
        data = read_file(path, "JUnit report")
    except GeneratorError as err:
        raise EvidenceError(str(err)) from err
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        # JUnit reports declare no entities; refusing them rules out entity expansion.
        raise EvidenceError(f"{path}: a JUnit report has no DOCTYPE or ENTITY; {_HINT}")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as err:
        raise EvidenceError(f"{path}: not a JUnit XML report ({err}); {_HINT}") from err
    if root.tag not in ("testsuites", "testsuite"):
        raise EvidenceError(f"{path}: not a JUnit XML report (root <{root.tag}>); {_HINT}")
    cases = [_case(element, path) for element in root.iter("testcase")]
    if not cases:
        raise EvidenceError(f"{path}: the JUnit report holds no test results; {_HINT}")
    return cases


def _case(element: ET.Element, path: Path) -> Case:
    name = element.get("name")
    if not name:
        raise EvidenceError(f"{path}: a <testcase> has no name; {_HINT}")
    result: Result = "passed"
    message: str | None = None
    for child in element:
        if child.tag in ("failure", "error"):
            result, message = "failed", _first_line(child)
            break
        if child.tag == "skipped":
            result = "pending" if child.get("type") == XFAIL_TYPE else "skipped"
            message = _first_line(child)
    return Case(element.get("classname") or "", name, result, message, str(path))


def _first_line(element: ET.Element) -> str | None:
    text = element.get("message") or element.text or ""
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:500]
    return None
