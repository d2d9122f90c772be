"""The controls matrix: each control in scope names a file that exists and a test that exists."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ..package import project

ROOT = Path(__file__).resolve().parents[2]
CONTROLS: list[dict[str, Any]] = project.project()["controls"]
ARTIFACTS: dict[str, dict[str, str]] = project.project()["artifacts"]


def _id(control: dict[str, Any]) -> str:
    return f"{control['regime']}:{control['id']}"


@pytest.mark.parametrize("control", CONTROLS, ids=[_id(c) for c in CONTROLS])
def test_control_file_and_test_exist(control: dict[str, Any]) -> None:
    """The file implementing a control and the test checking it are in the repository."""
    assert (ROOT / control["file"]).is_file(), control["file"]
    assert (ROOT / control["test"]).is_file(), control["test"]


@pytest.mark.parametrize("artifact", sorted(ARTIFACTS))
def test_artifact_file_and_test_exist(artifact: str) -> None:
    """Every artifact in scope has its file and its test."""
    assert (ROOT / ARTIFACTS[artifact]["file"]).is_file()
    assert (ROOT / ARTIFACTS[artifact]["test"]).is_file()


def test_controls_document_has_a_row_per_control() -> None:
    """docs/controls.md lists each control with its file and its test."""
    matrix = (ROOT / "docs" / "controls.md").read_text(encoding="utf-8").split("\n## ")[0]
    rows = [line for line in matrix.splitlines() if line.startswith("| ") and "`" in line]
    assert len(rows) == len(CONTROLS)
    for row, control in zip(rows, CONTROLS, strict=True):
        assert f"`{control['file']}`" in row
        assert f"`{control['test']}`" in row
