"""Property: every valid spec renders a repository that its own consumers accept.

Specs are drawn by ``tests/strategies.py`` across the whole valid space (either kind,
optional parts present, absent or null, any regimes, names at their limits, hostile text
everywhere). Each is rendered with ``new DEST --spec FILE --no-git`` (one with blocking
findings is refused first, then rendered with ``--draft``) and must give: exit 0,
Python that compiles, YAML, JSON and TOML that parse, ``ruff check`` and ``ruff format
--check`` clean under the repository's own configuration, alert rules that ``promtool
check rules`` accepts, and Kubernetes overlays that ``kubectl kustomize`` builds, whose
PrometheusRule is the alert rules. The seed is printed in the test run's header.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, note, seed, settings

from generator.cli import main
from generator.review import review_file
from tests.conftest import PROPERTY_SEED
from tests.manifests import OVERLAYS, YAML_LOADER, build, resources
from tests.strategies import RENDERED_KINDS, valid_specs
from tests.tools import find_tool, require_tool

EXAMPLES = int(os.environ.get("NEW_AI_PROJECT_EXAMPLES", "100"))
RUFF = str(Path(sys.executable).with_name("ruff"))
PROMTOOL = find_tool("promtool")
KUBECTL = find_tool("kubectl")


def _check(args: list[str], repo: Path) -> None:
    done = subprocess.run(args, cwd=repo, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"{' '.join(args)}:\n{done.stdout[-3000:]}{done.stderr[-2000:]}"


def _parses(repo: Path) -> None:
    for path in sorted(repo.rglob("*")):
        if not path.is_file():
            continue
        text = (
            path.read_text(encoding="utf-8")
            if path.suffix in {".py", ".yml", ".yaml", ".json", ".toml"}
            else ""
        )
        if path.suffix == ".py":
            ast.parse(text, filename=str(path))
        elif path.suffix in {".yml", ".yaml"}:
            yaml.load(text, Loader=YAML_LOADER)  # a safe loader, C or Python
        elif path.suffix == ".json":
            json.loads(text)
        elif path.suffix == ".toml":
            tomllib.loads(text)


SHARDS = max(1, min(EXAMPLES, 10))
"""The examples run as this many tests, so the workers of a parallel run share them."""


@pytest.mark.parametrize("shard", range(SHARDS))
def test_every_valid_spec_renders_a_repository_its_tools_accept(shard: int) -> None:
    """Render exits 0; code compiles; data files parse; ruff and promtool accept the result.

    Each shard draws its share of the examples from the run's seed plus its number, and
    shrinks a failing one as Hypothesis does (the blob it prints replays it).
    """

    @seed(PROPERTY_SEED + shard)
    @settings(
        max_examples=EXAMPLES // SHARDS + (shard < EXAMPLES % SHARDS),
        deadline=None,
        database=None,
        print_blob=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(valid_specs(kinds=RENDERED_KINDS))
    def renders(data: dict[str, Any]) -> None:
        _render_and_check(data)

    renders()


def _render_and_check(data: dict[str, Any]) -> None:
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    note(f"spec.yaml:\n{text}")
    with tempfile.TemporaryDirectory() as scratch:
        spec = Path(scratch) / "spec.yaml"
        spec.write_text(text, encoding="utf-8")
        repo = Path(scratch) / "repo"
        ready = review_file(spec).verdict == "ready"
        if not ready:  # refused without --draft, leaving nothing behind
            assert main(["new", str(repo), "--spec", str(spec), "--no-git"]) == 1
            assert not repo.exists()
        draft = [] if ready else ["--draft"]
        assert main(["new", str(repo), "--spec", str(spec), "--no-git", *draft]) == 0
        _parses(repo)
        _check([RUFF, "check", "--no-cache", "--quiet", "."], repo)
        _check([RUFF, "format", "--check", "--no-cache", "--quiet", "."], repo)
        # the GenAI kinds' ops/ and deploy/ are checked once their template has them
        operated = data["kind"] in ("service", "pipeline") or (repo / "ops" / "alerts.yml").exists()
        if PROMTOOL and operated:
            _check([PROMTOOL, "check", "rules", "ops/alerts.yml"], repo)
        if KUBECTL and operated:
            _kustomize(repo)


def _kustomize(repo: Path) -> None:
    """Both overlays build, and their PrometheusRule holds exactly ops/alerts.yml."""
    alerts = yaml.safe_load((repo / "ops" / "alerts.yml").read_text(encoding="utf-8"))
    for overlay in OVERLAYS:
        built = resources(build(str(KUBECTL), repo, overlay))
        assert [r["spec"] for r in built if r["kind"] == "PrometheusRule"] == [alerts]


def test_kubectl_builds_the_rendered_manifests() -> None:
    """Kubectl is present, so the property above built every repo's overlays (CI needs it)."""
    require_tool("kubectl")


def test_promtool_checks_the_rendered_alert_rules() -> None:
    """Promtool is present, so the property above checked every alert file (CI needs it)."""
    require_tool("promtool")
