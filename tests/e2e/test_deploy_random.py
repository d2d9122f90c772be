"""Property: the random specs of ``test_random_specs`` give manifests their tools accept.

The same specs, drawn from the same seed (printed in the header), rendered only: both
overlays build with every kubectl at hand to the same resources, kubernetes-validate
--strict accepts them offline, the PrometheusRule is ops/alerts.yml and promtool accepts it,
a service has its server and migration Job and a pipeline its CronJob, and the release
script passes shellcheck (``tests/manifests.py``). No environment is installed, so this
runs in seconds and carries no ``e2e`` marker.
"""

from __future__ import annotations

import pytest

from tests.e2e.test_random_specs import CASES, PER_KIND, drawn_specs
from tests.manifests import check_all
from tests.supply_chain import render_isolated, write_spec


@pytest.mark.parametrize(("kind", "index"), CASES, ids=[f"{kind}-{n}" for kind, n in CASES])
def test_manifests_build_and_validate(
    kind: str, index: int, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Both overlays of a drawn spec build, validate and hold their workloads (seed in header)."""
    specs = drawn_specs(kind)
    if index >= len(specs):
        pytest.fail(f"hypothesis drew only {len(specs)} {kind} specs; expected {PER_KIND}")
    base = tmp_path_factory.mktemp(f"drawn-{kind}-{index}")
    spec = write_spec(specs[index], base / "spec.yaml")
    repo = render_isolated(spec, base / "repo", base / "home")
    check_all(repo, kind, specs[index]["name"], base / "scratch")
