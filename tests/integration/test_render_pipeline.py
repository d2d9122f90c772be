"""Render every pipeline spec (examples and the hostile fixture) and check the repository."""

from __future__ import annotations

import ast
import csv
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.render import render_project
from generator.render.context import build_context
from generator.spec import load_spec
from tests.conftest import EXAMPLE_SPECS, FIXTURES

PIPELINE_SPECS = [
    p for p in EXAMPLE_SPECS if yaml.safe_load(p.read_text(encoding="utf-8"))["kind"] == "pipeline"
] + [FIXTURES / "hostile-pipeline.yaml"]
IDS = [p.stem for p in PIPELINE_SPECS]


@pytest.fixture(scope="module", params=PIPELINE_SPECS, ids=IDS)
def rendered(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, dict[str, Any]]:
    """Render one pipeline spec; return the repository and its render context."""
    spec_path: Path = request.param
    dest = tmp_path_factory.mktemp("render") / "repo"
    render_project(spec_path, dest)
    return dest, build_context(load_spec(spec_path))


def _texts(value: Any) -> list[str]:
    """Every free-text string in the spec that is long enough to recognise."""
    if isinstance(value, dict):
        return [t for v in value.values() for t in _texts(v)]
    if isinstance(value, list):
        return [t for v in value for t in _texts(v)]
    return [value] if isinstance(value, str) and " " in value and len(value) > 15 else []


def test_pipeline_specs_are_found() -> None:
    """The examples include at least two pipeline specs besides the hostile fixture."""
    assert len(PIPELINE_SPECS) >= 3


def test_every_artifact_in_scope_has_its_file_and_test(
    rendered: tuple[Path, dict[str, Any]],
) -> None:
    """Each catalogue artifact the regimes call for exists with the file and test it names."""
    repo, context = rendered
    for artifact in context["artifacts"].values():
        assert (repo / artifact["file"]).is_file(), artifact["file"]
        assert (repo / artifact["test"]).is_file(), artifact["test"]


def test_the_repository_has_its_spec_answers_and_first_commit(
    rendered: tuple[Path, dict[str, Any]],
) -> None:
    """spec.yaml, the Copier answers and a git history are present."""
    repo, _ = rendered
    assert (repo / "spec.yaml").is_file()
    answers = yaml.safe_load((repo / ".copier-answers.yml").read_text(encoding="utf-8"))
    assert answers["kind"] == "pipeline"
    assert (repo / ".git").is_dir()


def test_generated_python_parses_and_holds_no_spec_text(
    rendered: tuple[Path, dict[str, Any]],
) -> None:
    """Spec text reaches the package only as data (project.json), never inside Python code."""
    repo, context = rendered
    texts = _texts(context["spec"])
    for path in repo.rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        ast.parse(source, filename=str(path))
        leaked = [t for t in texts if t in source]
        assert not leaked, f"{path}: {leaked[:1]}"


def test_spec_ships_as_package_data(rendered: tuple[Path, dict[str, Any]]) -> None:
    """project.json in the package is the render context, the spec included, as for a service."""
    repo, context = rendered
    shipped = json.loads(
        (repo / "src" / context["package"] / "project.json").read_text(encoding="utf-8")
    )
    assert shipped == json.loads(json.dumps(context))


def test_sample_data_matches_the_contract(rendered: tuple[Path, dict[str, Any]]) -> None:
    """The sample CSV's header is the contract's field list and it has data rows."""
    repo, context = rendered
    with (repo / "data" / "sample" / "sample.csv").open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == [f["name"] for f in context["pipeline"]["fields"]]
    assert len(rows) > 100


def test_yaml_files_parse(rendered: tuple[Path, dict[str, Any]]) -> None:
    """The alert rules and the CI workflow are valid YAML with the expected shape."""
    repo, _ = rendered
    alerts = yaml.safe_load((repo / "ops" / "alerts.yml").read_text(encoding="utf-8"))
    assert alerts["groups"][0]["rules"]
    workflow = yaml.safe_load(
        (repo / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8")
    )
    assert "pipeline" in workflow["jobs"]


def test_one_acceptance_test_per_criterion(rendered: tuple[Path, dict[str, Any]]) -> None:
    """Each criterion has a test function named after its id, marked with it."""
    repo, context = rendered
    source = (repo / "tests" / "acceptance" / "test_acceptance.py").read_text(encoding="utf-8")
    for criterion in context["criteria"]:
        assert f"def {criterion['test_name']}() -> None:" in source
        assert f"@pytest.mark.acceptance({json.dumps(criterion['id'])})" in source
