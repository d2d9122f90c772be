"""The suite's own parallel run keeps each group on one worker (``--dist loadgroup``).

Tests over one rendered repository share it through their xdist group; if grouping stopped
working (it silently did with pytest 9.2 and pytest-xdist 3.8.0, pytest-xdist#1386), every
worker would render and install the same repositories and the suite would double in time.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

GROUPED = """
import os
import pytest

@pytest.fixture(scope="module", params=["a", "b"])
def shared(request):
    return request.param

@pytest.mark.parametrize("n", range(8))
def test_module_fixture(shared, n):
    print("RAN", shared, os.environ["PYTEST_XDIST_WORKER"])

@pytest.mark.xdist_group("named")
@pytest.mark.parametrize("n", range(8))
def test_named(n):
    print("RAN named", os.environ["PYTEST_XDIST_WORKER"])
"""


def test_each_group_runs_on_one_worker(tmp_path: Path) -> None:
    """Marked groups and module-fixture instances each run on a single worker."""
    (tmp_path / "test_grouped.py").write_text(GROUPED, encoding="utf-8")
    conftest = Path(__file__).resolve().parents[1] / "conftest.py"
    (tmp_path / "conftest.py").write_text(conftest.read_text(encoding="utf-8"), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadgroup", "-rP", "-q",
         "-p", "no:cacheprovider", "-p", "no:randomly", str(tmp_path)],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    workers: dict[str, set[str]] = {}
    for line in done.stdout.splitlines():
        if line.startswith("RAN "):
            *group, worker = line.split()[1:]
            workers.setdefault(" ".join(group), set()).add(worker)
    assert set(workers) == {"a", "b", "named"}
    assert all(len(ran_on) == 1 for ran_on in workers.values()), workers
