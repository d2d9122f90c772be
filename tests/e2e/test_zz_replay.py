import os
from pathlib import Path

import pytest

from tests.e2e.environments import render_and_install, suite_run


@pytest.mark.parametrize("name", os.environ.get("REPLAY", "").split(","))
def test_replay(name: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    import yaml
    spec = Path(name)
    env = render_and_install(spec, tmp_path_factory, name=yaml.safe_load(spec.read_text())["name"])
    run = suite_run(env, tmp_path_factory)
    Path(f"/tmp/lead/{spec.stem}.out").write_text(run.stdout + run.stderr)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
