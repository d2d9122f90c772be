"""Time from a spec to a green generated test suite, by phase, from pinned installs.

Phases: render (``new DEST --spec``, whole process), a virtual environment, installing the
project with its dev extras from its ``constraints.txt`` (package caches warm, as a user's
are after the first project), and the generated test suite (``pytest``). Measured twice in
the same run, once with pip and once with uv as the installer, alternating: the uv figure
is reported against the pip one, and against the goal of 20 s.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from benchmarks._core import SPEC, BenchError, Figure, interleaved, run, tool_command

GOAL_S = 20.0
"""The spec-to-green goal on a 2-core machine (issue: every valid spec, pinned installs)."""

UV = Path(sys.executable).with_name("uv")


def _steps(installer: str, project: Path, spec: Path) -> list[tuple[str, list[str], Path | None]]:
    """The commands from spec to green for one installer."""
    venv = project / ".venv"
    python = str(venv / "bin" / "python")
    constraints = str(project / "constraints.txt")
    if installer == "uv":
        make_env = [str(UV), "venv", "--quiet", "--python", sys.executable, str(venv)]
        install = [
            str(UV), "pip", "install", "--quiet", "--python", python,
            "--constraint", constraints, "--build-constraint", constraints, "-e", ".[dev]",
        ]  # fmt: skip
    else:
        make_env = [sys.executable, "-m", "venv", str(venv)]
        install = [
            python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
            "--constraint", constraints, "-e", ".[dev]",
        ]  # fmt: skip
    render = [*map(str, tool_command()), "new", str(project), "--spec", str(spec)]
    return [
        ("render (`new --spec`)", render, None),
        ("virtual environment", make_env, None),
        ("install from constraints.txt", install, project),
        ("tests (`pytest`)", [python, "-m", "pytest", "-q", "-p", "no:cacheprovider"], project),
    ]


def spec_to_green(installer: str, spec: Path = SPEC) -> tuple[float, dict[str, float]]:
    """Render, make an environment, install and test once; return the total and phases.

    Raises:
        BenchError: a phase failed (the suite is not green).
    """
    phases: dict[str, float] = {}
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"PYTHONPATH", "VIRTUAL_ENV"} and not k.startswith(("PIP_CONSTRAINT", "UV_"))
    }
    with tempfile.TemporaryDirectory(prefix="bench-green-") as tmp:
        project = Path(tmp) / "project"
        for name, cmd, cwd in _steps(installer, project, spec):
            started = time.perf_counter()
            try:
                run(cmd, cwd=cwd, env=env)
            except BenchError as err:
                failed = [line for line in str(err).splitlines() if line.startswith("FAILED")]
                last = str(err).splitlines()[-1][:300]
                raise BenchError(
                    f"{installer}: {name} failed: {'; '.join([*failed[:3], last])}"
                ) from err
            phases[name] = time.perf_counter() - started
    return sum(phases.values()), phases


def measure(repetitions: int = 1, spec: Path = SPEC) -> list[Figure]:
    """Spec to green with pip and with uv, alternating, after one warm-up of each."""
    last: dict[str, dict[str, float]] = {}

    def timed(installer: str) -> float:
        total, phases = spec_to_green(installer, spec)
        last[installer] = phases
        return total

    runs = interleaved({"uv": lambda: timed("uv"), "pip": lambda: timed("pip")}, repetitions)
    uv = Figure(
        key="spec_to_green",
        title=f"spec to green test suite ({spec.name}), uv vs pip",
        a_label="uv",
        b_label="pip",
        unit="s",
        a=runs["uv"],
        b=runs["pip"],
        phases=last["uv"],
    )
    pip = Figure(
        key="spec_to_green_pip",
        title=f"spec to green test suite ({spec.name}), pip",
        a_label="pip",
        b_label="",
        unit="s",
        a=runs["pip"],
        phases=last["pip"],
    )
    best = uv.a_median or 0.0
    verdict = "met" if best <= GOAL_S else "missed"
    uv.notes.append(
        f"goal: at most {GOAL_S:g} s from spec to green on 2 cores: {verdict} "
        f"({best:.1f} s with uv, {pip.a_median or 0.0:.1f} s with pip); "
        "installs from the repo's constraints.txt with warm package caches"
    )
    return [uv, pip]
