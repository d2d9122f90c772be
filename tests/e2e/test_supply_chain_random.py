"""Property: the random specs of ``test_random_specs`` give repos zizmor and hadolint pass.

The same specs, drawn from the same seed (printed in the header), rendered only: no
environment is installed, so this runs in seconds and carries no ``e2e`` marker.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.test_random_specs import CASES, PER_KIND, drawn_specs
from tests.supply_chain import hadolint, render_isolated, write_spec, zizmor


@pytest.fixture(scope="module", params=CASES, ids=[f"{kind}-{n}" for kind, n in CASES])
def repo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Render one drawn spec, without git and without installing it."""
    kind, index = request.param
    specs = drawn_specs(kind)
    if index >= len(specs):
        pytest.fail(f"hypothesis drew only {len(specs)} {kind} specs; expected {PER_KIND}")
    base = tmp_path_factory.mktemp(f"drawn-{kind}-{index}")
    spec = write_spec(specs[index], base / "spec.yaml")
    return render_isolated(spec, base / "repo", base / "home")


def test_zizmor_finds_nothing_in_the_workflows(repo: Path) -> None:
    """The workflows have no zizmor finding at its default persona (seed in the header)."""
    done = zizmor(repo)
    assert done.returncode == 0, done.stdout + done.stderr


def test_hadolint_passes_the_dockerfile(repo: Path) -> None:
    """The Dockerfile has no hadolint warning or error (seed in the header)."""
    done = hadolint(repo)
    assert done.returncode == 0, done.stdout + done.stderr
