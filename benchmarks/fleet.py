"""``update`` of a fleet of generated repos: parallel processes against one by one.

Each repository is rendered from version 1.0.0 of a local template repository made from
this checkout's templates; version 1.1.0 adds a file and changes another in both kinds,
so every update has a release to absorb. Between runs the repositories are reset to
their committed state.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from functools import partial
from pathlib import Path

import yaml

from benchmarks._core import REPO_ROOT, Figure, interleaved, run, timed
from generator._io import GIT_IDENTITY

SPECS = [
    path
    for path in sorted((REPO_ROOT / "specs").glob("*.yaml"))
    if yaml.safe_load(path.read_text(encoding="utf-8"))["kind"] in ("service", "pipeline")
]
"""The examples a template renders (the GenAI kinds do not render yet)."""


def make_template_repo(dest: Path) -> Path:
    """A git repository of this checkout's templates with tags v1.0.0 and v1.1.0."""
    env = {**os.environ, **GIT_IDENTITY}
    dest.mkdir(parents=True)
    shutil.copy2(REPO_ROOT / "copier.yml", dest / "copier.yml")
    shutil.copytree(
        REPO_ROOT / "templates",
        dest / "templates",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".venv*", ".pytest_cache"),
    )
    run(["git", "init", "-q", "-b", "main"], cwd=dest, env=env)
    run(["git", "add", "-A"], cwd=dest, env=env)
    run(["git", "commit", "-q", "-m", "v1.0.0"], cwd=dest, env=env)
    run(["git", "tag", "v1.0.0"], cwd=dest, env=env)
    for kind in ("service", "pipeline"):
        folder = dest / "templates" / kind
        (folder / "RELEASE-NOTES.md").write_text("# 1.1.0\n\nA release to absorb.\n")
        with (folder / "pyproject.toml.jinja").open("a", encoding="utf-8") as handle:
            handle.write("\n# template release 1.1.0\n")
    run(["git", "add", "-A"], cwd=dest, env=env)
    run(["git", "commit", "-q", "-m", "v1.1.0"], cwd=dest, env=env)
    run(["git", "tag", "v1.1.0"], cwd=dest, env=env)
    return dest


def render_fleet(template: Path, folder: Path, count: int, specs: Sequence[Path]) -> list[Path]:
    """Render ``count`` repositories at v1.0.0, cycling through ``specs``."""
    from generator.render import render_project

    repos = []
    for number in range(count):
        spec = specs[number % len(specs)]
        dest = folder / f"{number:02d}-{spec.stem}"
        render_project(spec, dest, template=str(template), vcs_ref="v1.0.0")
        repos.append(dest)
    return repos


def reset(repos: Sequence[Path]) -> None:
    """Put every repository back to its committed state (undo the update)."""
    for repo in repos:
        run(["git", "reset", "-q", "--hard"], cwd=repo)
        run(["git", "clean", "-fdq"], cwd=repo)


def measure(
    repetitions: int, count: int = 20, specs: Sequence[Path] = SPECS, workers: int | None = None
) -> list[Figure]:
    """Time updating ``count`` repositories with ``workers`` processes and with one."""
    workers = workers or os.cpu_count() or 1
    with tempfile.TemporaryDirectory(prefix="bench-fleet-") as tmp:
        work = Path(tmp)
        template = make_template_repo(work / "template")
        fleet = work / "fleet"
        repos = render_fleet(template, fleet, count, specs)
        command = [sys.executable, "-m", "benchmarks._fleet", str(fleet)]

        def update(n: int) -> float:
            reset(repos)
            return timed([*command, str(n)], cwd=REPO_ROOT)

        times = interleaved(
            {"serial": partial(update, 1), "parallel": partial(update, workers)},
            repetitions,
            warmup=0,
        )
    return [
        Figure(
            key="fleet_update",
            title=f"`update` of {count} repos, {workers} processes",
            a_label="one by one",
            b_label=f"parallel ({workers} processes)",
            unit="s",
            a=times["serial"],
            b=times["parallel"],
            budget=1.7,
            budget_op=">=",
            notes=[
                "A/B is the speed-up of the parallel run; each repo absorbs template "
                "release 1.1.0 (one changed, one new file) with Copier's three-way merge",
                f"specs cycled: {', '.join(s.name for s in specs)}; os.cpu_count() = "
                f"{os.cpu_count()}",
            ],
        )
    ]
