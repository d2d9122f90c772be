"""What templates render depends on the context's data, never on the order of its mappings.

Copier's update re-renders the version a project was made from with the answers read back
from ``.copier-answers.yml``, which records every mapping sorted; whatever that re-render
shows differently from the project counts as the team's edit. So every generated file must
come out byte for byte the same whether the context arrives in the order it is computed,
sorted as the answers file gives it back, or with every mapping reversed, for both kinds,
several example specs, the hostile ones, a spec made through the interview and random ones.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, note, seed, settings

from generator.render import render_project
from generator.render.context import as_recorded, build_context, in_render_order
from generator.spec import load_spec, parse_spec
from tests.conftest import FIXTURES, PROPERTY_SEED, SPECS
from tests.integration.update_support import interview_spec, render_context, tree
from tests.strategies import RENDERED_KINDS, valid_specs

EXAMPLES = int(os.environ.get("NEW_AI_PROJECT_ORDER_EXAMPLES", "3"))
SPEC_FILES = [SPECS / "claims-triage.yaml", FIXTURES / "hostile-service.yaml"]
"""Each rendered as both kinds: the richest example and the hostile text."""


def reversed_mappings(value: Any) -> Any:
    """The same data with the keys of every mapping, at any depth, in reverse order."""
    if isinstance(value, dict):
        return {k: reversed_mappings(value[k]) for k in reversed(list(value))}
    if isinstance(value, list):
        return [reversed_mappings(item) for item in value]
    return value


def assert_order_free(context: dict[str, Any], kind: str, scratch: Path) -> None:
    """Render ``context`` as recorded, in computed order and reversed: identical trees."""
    renders = {
        name: tree(render_context(scratch / name, kind, variant))
        for name, variant in {
            "recorded": context,
            "computed-order": in_render_order(context),
            "reversed": reversed_mappings(context),
        }.items()
    }
    expected = renders.pop("recorded")
    for name, files in renders.items():
        differ = sorted(p for p in {*expected, *files} if expected.get(p) != files.get(p))
        assert differ == [], f"{name}: these files depend on mapping order: {differ}"


@pytest.mark.parametrize("spec_file", SPEC_FILES, ids=[p.stem for p in SPEC_FILES])
@pytest.mark.parametrize("kind", ["service", "pipeline"])
def test_generated_files_do_not_depend_on_mapping_order(
    spec_file: Path, kind: str, tmp_path: Path
) -> None:
    """Every generated file is the same for the context in any mapping order."""
    data = yaml.safe_load(spec_file.read_text(encoding="utf-8"))
    data["kind"] = kind
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    context = build_context(parse_spec(text.encode("utf-8"), spec_file.name))
    assert_order_free(context, kind, tmp_path)


@pytest.fixture(scope="module")
def interviewed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A spec written through the interview, as plain data (driven once per module)."""
    path = interview_spec(tmp_path_factory.mktemp("interview") / "spec.yaml")
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


@pytest.mark.parametrize("kind", ["service", "pipeline"])
def test_interview_spec_does_not_depend_on_mapping_order(
    kind: str, interviewed: dict[str, Any], tmp_path: Path
) -> None:
    """A spec written by the interview renders the same files in any mapping order."""
    text = yaml.safe_dump({**interviewed, "kind": kind}, sort_keys=False, allow_unicode=True)
    assert_order_free(build_context(parse_spec(text, "spec.yaml")), kind, tmp_path)


@seed(PROPERTY_SEED)
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(valid_specs(kinds=RENDERED_KINDS))
def test_random_specs_do_not_depend_on_mapping_order(data: dict[str, Any]) -> None:
    """Random valid specs of either kind render the same files in any mapping order."""
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    note(f"spec.yaml:\n{text}")
    context = build_context(parse_spec(text.encode("utf-8"), "spec.yaml"))
    with tempfile.TemporaryDirectory() as scratch:
        assert_order_free(context, str(data["kind"]), Path(scratch))


def test_answers_file_gives_back_the_context_the_render_used(tmp_path: Path) -> None:
    """The recorded answer equals the rendered context, keys in the same order at any depth."""
    spec_file = SPECS / "claims-triage.yaml"
    repo = tmp_path / "repo"
    render_project(spec_file, repo, git=False)
    answers = yaml.safe_load((repo / ".copier-answers.yml").read_text(encoding="utf-8"))
    context = build_context(load_spec(spec_file))
    assert json.dumps(answers["project"], ensure_ascii=False) == json.dumps(
        context, ensure_ascii=False
    )


def test_recording_twice_changes_nothing() -> None:
    """The recorded form is a fixed point: recording it again gives the same data and order."""
    context = build_context(load_spec(SPECS / "trial-safety-signals.yaml"))
    assert json.dumps(as_recorded(context)) == json.dumps(context)


def test_computed_order_puts_roles_in_spec_order_admin_last() -> None:
    """The legacy order lists roles as spec.yaml does, the admin role last, artifacts by feature."""
    spec = load_spec(SPECS / "claims-triage.yaml")
    ordered = in_render_order(build_context(spec))
    assert list(ordered["permissions"]) == [*ordered["roles"], ordered["admin_role"]]
    assert list(ordered["role_identifiers"]) == ordered["roles"]
    assert list(ordered["artifacts"]) == ordered["features"]
