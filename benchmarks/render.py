"""``new DEST --spec`` (whole process) against a bare ``copier copy`` plus the same git steps."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import yaml

from benchmarks._core import SPEC, Figure, interleaved, run, tool_command


def measure(repetitions: int, spec_path: Path = SPEC) -> list[Figure]:
    """Render claims-triage with the tool and with bare Copier, alternated; compare outputs."""
    from generator._io import GIT_IDENTITY
    from generator.render.context import build_context
    from generator.render.sources import default_template
    from generator.spec import load_spec

    spec = load_spec(spec_path)
    source = default_template()  # the same source `new` uses (builds the bundle if needed)
    copier = Path(sys.executable).with_name("copier")
    env = {**os.environ, **GIT_IDENTITY}
    with tempfile.TemporaryDirectory(prefix="bench-render-") as tmp:
        work = Path(tmp)
        data_file = work / "data.yml"
        data = {"kind": str(spec.kind), "project": build_context(spec)}
        data_file.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        tool_dest, copier_dest = work / "tool" / spec.name, work / "copier" / spec.name
        message = f"Generate project from spec.yaml with new-ai-project\n\n{spec.title}"

        def tool() -> float:
            shutil.rmtree(tool_dest.parent, ignore_errors=True)
            started = time.perf_counter()
            run([*tool_command(), "new", tool_dest, "--spec", spec_path], env=env)
            return time.perf_counter() - started

        def bare() -> float:
            shutil.rmtree(copier_dest.parent, ignore_errors=True)
            started = time.perf_counter()
            cmd: list[str | os.PathLike[str]] = [
                copier,
                "copy",
                "--data-file",
                data_file,
                "--defaults",
                "--overwrite",
            ]
            run([*cmd, "--quiet", source.src_path, copier_dest], env=env)
            shutil.copyfile(spec_path, copier_dest / "spec.yaml")
            run(["git", "init", "-q", "-b", "main"], cwd=copier_dest, env=env)
            run(["git", "add", "-A"], cwd=copier_dest, env=env)
            run(["git", "commit", "-q", "--no-verify", "-m", message], cwd=copier_dest, env=env)
            run(["git", "rev-parse", "--short", "HEAD"], cwd=copier_dest, env=env)
            return time.perf_counter() - started

        times = interleaved({"tool": tool, "copier": bare}, repetitions)
        differing = _differing_files(tool_dest, copier_dest)
    return [
        Figure(
            key="new",
            title=f"`new DEST --spec {spec_path.name}`",
            a_label="new",
            b_label="`copier copy` + git",
            unit="s",
            a=times["tool"],
            b=times["copier"],
            budget=0.9,
            budget_op="<=",
            notes=[
                f"template source: {source.display} ({source.src_path}), latest version",
                "outputs of the last pair identical (files and contents, .git aside): "
                + (f"NO, differing: {', '.join(differing[:5])}" if differing else "yes"),
            ],
        )
    ]


def _differing_files(a: Path, b: Path) -> list[str]:
    """The files two rendered projects do not share with the same bytes (none: identical)."""

    def files(root: Path) -> dict[str, bytes]:
        return {
            p.relative_to(root).as_posix(): p.read_bytes()
            for p in root.rglob("*")
            if p.is_file() and ".git" not in p.relative_to(root).parts
        }

    left, right = files(a), files(b)
    return sorted(p for p in left.keys() | right.keys() if left.get(p) != right.get(p))
