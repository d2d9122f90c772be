"""Random sequences of everyday spec edits, and replaying them on a generated repository.

``edit_sequences(kind)`` draws a valid spec (``tests/strategies.py``) and a sequence of
edits a team makes over a project's life: regimes added and removed, the risk tier, data
classes, retention, roles and their ``can``, inputs, metrics, acceptance criteria, the
operating boundary, monitoring, data dependencies, the budget. New content comes from
another valid spec of the same kind; references are then repaired the way a person would
(a criterion's metric that is gone is dropped, retention is raised to a new regime's
minimum...), and every spec of the sequence must validate, so a strategy that drifts from
the model fails loudly.

``replay`` renders the first spec, commits it, makes the team's own edits (a note in the
README, a test of their own), and takes the repository through each later spec: spec.yaml
written, committed, ``new-ai-project update``. Every update must exit 0 and leave no
conflict marker, ``.rej`` file or unmerged entry; the team's edits must survive.

A failing sequence is printed as YAML (``sequence_yaml``): save it under
``tests/fixtures/update-sequences/`` and ``tests/integration/test_update_sequences.py``
replays it on every run.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st

from generator.catalog import REGIME_IDS
from generator.cli import main
from generator.spec import parse_spec, slug_to_identifier
from generator.spec.retention import minimum_retention
from tests.integration.update_support import assert_cleanly_updated, git, team_commit
from tests.strategies import PERMISSIONS, valid_specs

EDITS = (
    "regime-added",
    "regime-removed",
    "risk-tier",
    "data-classes",
    "retention",
    "role-added",
    "role-removed",
    "can-changed",
    "input-added",
    "input-removed",
    "metric-added",
    "metric-removed",
    "criterion-added",
    "criterion-removed",
    "boundary",
    "monitoring",
    "dependency-added",
    "dependency-removed",
    "budget",
)
DATA_CLASSES = ("public", "internal", "confidential", "personal", "health", "payment")
TEAM_README_NOTE = "Team note: the on-call rota lives in the team wiki, not here."
TEAM_TEST = '''

def test_team_runbook_is_kept() -> None:
    """The team's own test: the runbook stays in the repository."""
    assert (ROOT / "docs" / "runbook.md").is_file()
'''
TEAM_TEST_FILE = "tests/unit/test_docs.py"


@dataclass(frozen=True)
class Step:
    """One edit of a sequence and the whole spec after it (the first step is the render)."""

    edit: str
    spec: dict[str, Any]


@st.composite
def edit_sequences(draw: st.DrawFn, kind: str, edits: int) -> list[Step]:
    """A valid spec of ``kind`` and ``edits`` distinct everyday edits, each a valid spec."""
    spec = draw(valid_specs(kind=kind))
    steps = [Step("render", spec)]
    for name in draw(st.permutations(EDITS))[:edits]:
        donor = draw(valid_specs(kind=kind))
        spec = repaired(_apply(draw, name, copy.deepcopy(spec), donor))
        steps.append(Step(name, spec))
    for step in steps:
        parse_spec(spec_text(step.spec), f"{step.edit}.yaml")  # every step is a valid spec
    return steps


def spec_text(spec: dict[str, Any]) -> str:
    """The spec as spec.yaml text."""
    return yaml.safe_dump(spec, sort_keys=False, allow_unicode=True)


def sequence_yaml(steps: list[Step], why: str) -> str:
    """A sequence as a replayable fixture file (tests/fixtures/update-sequences/)."""
    document = {"why": why, "steps": [{"edit": s.edit, "spec": s.spec} for s in steps]}
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)


def load_sequence(path: Path) -> list[Step]:
    """Read a sequence saved by ``sequence_yaml``."""
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [Step(str(s["edit"]), s["spec"]) for s in document["steps"]]


def _apply(
    draw: st.DrawFn, name: str, spec: dict[str, Any], donor: dict[str, Any]
) -> dict[str, Any]:
    """Make the edit ``name`` to ``spec``, taking new content from ``donor``."""
    regulatory = spec["regulatory"]
    if name == "regime-added":
        missing = [r for r in REGIME_IDS if r not in regulatory["regimes"]]
        if missing:
            regulatory["regimes"].append(draw(st.sampled_from(missing)))
    elif name == "regime-removed" and regulatory["regimes"]:
        regulatory["regimes"].remove(draw(st.sampled_from(regulatory["regimes"])))
    elif name == "risk-tier":
        if "eu-ai-act" not in regulatory["regimes"]:
            regulatory["regimes"].append("eu-ai-act")
        tiers = [t for t in ("minimal", "limited", "high") if t != regulatory.get("eu_ai_act_risk")]
        regulatory["eu_ai_act_risk"] = draw(st.sampled_from(tiers))
    elif name == "data-classes":
        regulatory["data_classes"] = draw(st.lists(st.sampled_from(DATA_CLASSES), unique=True))
    elif name == "retention":
        floor = minimum_retention([str(r) for r in regulatory["regimes"]])
        low = floor.days if floor else 1
        regulatory["retention_days"] = draw(st.none() | st.integers(low, 36500))
    elif name == "role-added":
        taken = {slug_to_identifier(u["role"]) for u in spec["users"]}
        spec["users"].extend(
            u for u in donor["users"][:1] if slug_to_identifier(u["role"]) not in taken
        )
    elif name == "role-removed" and len(spec["users"]) > 1:
        spec["users"].pop(draw(st.integers(0, len(spec["users"]) - 1)))
    elif name == "can-changed":
        user = spec["users"][draw(st.integers(0, len(spec["users"]) - 1))]
        user["can"] = draw(st.lists(st.sampled_from(PERMISSIONS), unique=True))
    elif name == "input-added":
        _add_input(spec, donor)
    elif name == "input-removed" and spec.get("inputs"):
        spec["inputs"].pop(draw(st.integers(0, len(spec["inputs"]) - 1)))
    elif name == "metric-added":
        _add_unique(spec, "success_metrics", donor["success_metrics"][:1])
    elif name == "metric-removed" and len(spec["success_metrics"]) > 1:
        spec["success_metrics"].pop(draw(st.integers(0, len(spec["success_metrics"]) - 1)))
    elif name == "criterion-added":
        _add_unique(spec, "acceptance_criteria", donor["acceptance_criteria"][:1])
    elif name == "criterion-removed" and len(spec["acceptance_criteria"]) > 1:
        spec["acceptance_criteria"].pop(draw(st.integers(0, len(spec["acceptance_criteria"]) - 1)))
    elif name == "dependency-added":
        _add_dependency(spec, donor)
    elif name == "dependency-removed" and spec.get("data_dependencies"):
        spec["data_dependencies"].pop(draw(st.integers(0, len(spec["data_dependencies"]) - 1)))
    elif name in ("boundary", "monitoring", "budget"):
        key = {"boundary": "operating_boundary"}.get(name, name)
        if key in donor:
            spec[key] = donor[key]
        else:
            spec.pop(key, None)
    return spec


def _add_unique(spec: dict[str, Any], section: str, items: list[dict[str, Any]]) -> None:
    taken = {slug_to_identifier(str(i["id"])) for i in spec[section]}
    spec[section].extend(i for i in items if slug_to_identifier(str(i["id"])) not in taken)


def _add_input(spec: dict[str, Any], donor: dict[str, Any]) -> None:
    new = [dict(i) for i in donor.get("inputs") or []][:1]
    for item in new:
        item.pop("source", None)  # the donor's dependencies are not this spec's
    inputs = spec.get("inputs") or []
    taken = {slug_to_identifier(i["name"]) for i in inputs}
    spec["inputs"] = inputs + [i for i in new if slug_to_identifier(i["name"]) not in taken]


def _add_dependency(spec: dict[str, Any], donor: dict[str, Any]) -> None:
    dependencies = spec.get("data_dependencies") or []
    taken = {slug_to_identifier(d["name"]) for d in dependencies}
    new = [
        d
        for d in donor.get("data_dependencies") or []
        if slug_to_identifier(d["name"]) not in taken
    ]
    spec["data_dependencies"] = dependencies + new[:1]


def repaired(spec: dict[str, Any]) -> dict[str, Any]:
    """Mend the references an edit broke, as the person making it would."""
    regulatory = spec["regulatory"]
    regimes = [str(r) for r in regulatory["regimes"]]
    if "eu-ai-act" in regimes and regulatory.get("eu_ai_act_risk") is None:
        regulatory["eu_ai_act_risk"] = "limited"
    if "eu-ai-act" not in regimes:
        regulatory.pop("eu_ai_act_risk", None)
    floor = minimum_retention(regimes)
    retention = regulatory.get("retention_days")
    if floor and retention is not None and retention < floor.days:
        regulatory["retention_days"] = floor.days
    metric_ids = {m["id"] for m in spec["success_metrics"]}
    for criterion in spec["acceptance_criteria"]:
        if criterion.get("metric") not in metric_ids:
            criterion.pop("metric", None)
    sources = {d["name"] for d in spec.get("data_dependencies") or []}
    for item in spec.get("inputs") or []:
        if item.get("source") is not None and item["source"] not in sources:
            item.pop("source")
    monitoring = spec.get("monitoring")
    if isinstance(monitoring, dict) and spec.get("inputs") is not None:
        names = {i["name"] for i in spec["inputs"]}
        features = monitoring.get("drift_features") or []
        monitoring["drift_features"] = [f for f in features if f in names]
    return spec


def replay(steps: list[Step], project: Path, scratch: Path) -> None:
    """Render the first spec, add the team's edits, then update through every later spec.

    Asserts that every update exits 0 and leaves the repository without a conflict, and
    that the team's edits survive all of them.
    """
    first = scratch / "spec.yaml"
    first.write_text(spec_text(steps[0].spec), encoding="utf-8")
    assert main(["new", str(project), "--spec", str(first), "--draft"]) == 0
    make_team_edits(project)
    for number, step in enumerate(steps[1:], start=1):
        (project / "spec.yaml").write_text(spec_text(step.spec), encoding="utf-8")
        commit_if_changed(project, f"Spec edit {number}: {step.edit}")
        assert main(["update", str(project)]) == 0, f"update after edit {number} ({step.edit})"
        assert_cleanly_updated(project)
        commit_if_changed(project, f"Update after edit {number}: {step.edit}")
    assert_team_edits_survive(project)


def commit_if_changed(project: Path, message: str) -> None:
    """Commit every change, as the team would; an edit that changed nothing commits nothing."""
    if git(project, "status", "--porcelain"):
        team_commit(project, message)


def make_team_edits(project: Path) -> None:
    """The team's own edits in generated files: a README note and a test, committed."""
    readme = project / "README.md"
    text = readme.read_text(encoding="utf-8")
    head, sep, tail = text.partition("\n## ")
    readme.write_text(f"{head}\n{TEAM_README_NOTE}\n{sep}{tail}", encoding="utf-8")
    test = project / TEAM_TEST_FILE
    test.write_text(test.read_text(encoding="utf-8") + TEAM_TEST, encoding="utf-8")
    team_commit(project, "Team edits: README note and a test of our own")


def assert_team_edits_survive(project: Path) -> None:
    """The README note and the team's test are still there, and nothing is uncommitted."""
    assert TEAM_README_NOTE in (project / "README.md").read_text(encoding="utf-8")
    assert TEAM_TEST in (project / TEAM_TEST_FILE).read_text(encoding="utf-8")
    assert git(project, "status", "--porcelain") == ""
