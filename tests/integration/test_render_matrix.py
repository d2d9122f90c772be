"""Every spec renders as either kind, with and without its optional parts."""

from __future__ import annotations

import ast
import copy
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.render.context import build_context
from generator.spec import parse_spec
from tests.conftest import FIXTURES, RENDERED_SPECS
from tests.supply_chain import rendered_once
from tests.tools import find_tool

PROMTOOL = find_tool("promtool")

SOURCES = [*RENDERED_SPECS, FIXTURES / "hostile-service.yaml", FIXTURES / "longest-names.yaml"]
OPTIONAL_SECTIONS = ("operating_boundary", "data_dependencies", "inputs", "monitoring", "budget")


def variant(path: Path, kind: str, minimal: bool) -> dict[str, Any]:
    """A spec as the given kind; minimal drops every optional section and optional field."""
    data: dict[str, Any] = copy.deepcopy(yaml.safe_load(path.read_text(encoding="utf-8")))
    data["kind"] = kind
    if minimal:
        for key in OPTIONAL_SECTIONS:
            data.pop(key, None)
        data["business_goal"].pop("non_goals", None)
        for user in data["users"]:
            user.pop("needs", None)
        for metric in data["success_metrics"]:
            metric.pop("baseline", None)
        for criterion in data["acceptance_criteria"]:
            criterion.pop("metric", None)
        data["regulatory"] = {"regimes": []}
    return data


CASES = [
    pytest.param(path, kind, minimal, id=f"{path.stem}-{kind}-{'minimal' if minimal else 'full'}")
    for path in SOURCES
    for kind in ("service", "pipeline")
    for minimal in (False, True)
]


@pytest.mark.parametrize(("path", "kind", "minimal"), CASES)
def test_renders_a_coherent_repository(
    path: Path, kind: str, minimal: bool, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The render succeeds, its Python compiles, its YAML parses and every artifact is there.

    A full variant is the one the manifest and supply-chain tests check: rendered once
    per run for all three (``new --draft``: a variant may not be ready), read here.
    """
    data = variant(path, kind, minimal)
    spec = parse_spec(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), "spec.yaml")
    repo = rendered_once(tmp_path_factory, data)

    context = build_context(spec)
    for artifact in context["artifacts"].values():
        assert (repo / artifact["file"]).exists(), artifact["file"]
        assert (repo / artifact["test"]).is_file(), artifact["test"]
    for source in repo.rglob("*.py"):
        ast.parse(source.read_text(encoding="utf-8"), filename=str(source))
    for document in [*repo.rglob("*.yml"), *repo.rglob("*.yaml")]:
        yaml.safe_load(document.read_text(encoding="utf-8"))
    for document in repo.rglob("*.json"):
        json.loads(document.read_text(encoding="utf-8"))
    if PROMTOOL:  # hostile text in annotations must not break Prometheus' Go templates
        done = subprocess.run(
            [PROMTOOL, "check", "rules", "ops/alerts.yml"], cwd=repo, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stdout + done.stderr
    leftovers = [
        p for p in repo.rglob("*") if p.suffix == ".jinja" or "{{" in p.name or "{%" in p.name
    ]
    assert leftovers == []
    assert not list(repo.rglob("*.rendering-*"))
