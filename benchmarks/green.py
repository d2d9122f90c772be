"""Time from a spec to a green generated test suite, by phase (reported, no budget).

Phases: render (``new DEST --spec``, whole process), a virtual environment, installing the
project with its dev extras from the package index (pip's cache as the user has it), and
the generated test suite (``pytest``).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from benchmarks._core import SPEC, BenchError, Figure, run, tool_command

PIP_QUIET = ("--disable-pip-version-check",)


def measure(spec: Path = SPEC) -> list[Figure]:
    """Render, make a venv, install and run the tests once; time each phase."""
    phases: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="bench-green-") as tmp:
        project = Path(tmp) / "project"
        env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
        python = project / ".venv" / "bin" / "python"
        steps: list[tuple[str, list[str | os.PathLike[str]], Path | None]] = [
            ("render (`new --spec`)", [*tool_command(), "new", project, "--spec", spec], None),
            ("virtual environment", [sys.executable, "-m", "venv", project / ".venv"], None),
            (
                "install (`pip install -e '.[dev]'`)",
                [python, "-m", "pip", "install", "-q", *PIP_QUIET, "-e", ".[dev]"],
                project,
            ),
            ("tests (`pytest`)", [python, "-m", "pytest", "-q", "-p", "no:cacheprovider"], project),
        ]
        outcome = "green"
        for name, cmd, cwd in steps:
            started = time.perf_counter()
            try:
                done = run(cmd, cwd=cwd, env=env)
            except BenchError as err:
                phases[name] = time.perf_counter() - started
                failed = [line for line in str(err).splitlines() if line.startswith("FAILED")]
                last = str(err).splitlines()[-1][:300]
                outcome = f"not green: {name} failed: {'; '.join([*failed[:3], last])}"
                break
            phases[name] = time.perf_counter() - started
        summary = done.stdout.strip().splitlines()[-1] if outcome == "green" else ""
    total = sum(phases.values())
    return [
        Figure(
            key="spec_to_green",
            title=f"spec to green test suite ({spec.name})",
            a_label="total",
            b_label="",
            unit="s",
            a=[total],
            phases=phases,
            notes=[outcome + (f" ({summary})" if summary else "")],
        )
    ]
