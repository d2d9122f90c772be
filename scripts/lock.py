"""Refresh the pinned versions: this project's dev lock and each template's constraints.

Run deliberately with ``./dev lock``; nothing refreshes a pin silently. Without
``--upgrade`` the existing pins are kept and only what changed is resolved (a new
requirement, a changed bound); ``./dev lock --upgrade`` moves every pin to the newest
release. It writes:

``requirements/dev.txt``
    every package of this project's development environment, pinned (``./dev`` installs
    with it as a constraints file, build backend included).
``templates/<kind>/constraints.txt`` (``templates/genai/`` for assistants and agents)
    every package a generated repository of that kind installs for development and CI
    (its dependencies, its ``dev`` extra, the build backend and the CI's pip-audit; for a
    pipeline also its ``airflow`` extra, resolved together with the rest), pinned.
    Generated repos install with it; our end-to-end tests install the rendered repos with
    it and run their suites, so a pin lands only once those pass.

Resolution is universal (``uv pip compile --universal``): one file serves every platform
and every Python from 3.11 on (the generated CI runs 3.12, this project 3.11).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from generator.render import render_project
from generator.spec import load_spec

ROOT = Path(__file__).resolve().parent.parent
PYTHON_FLOOR = "3.11"
TEMPLATE_TOOLS = ("hatchling", "editables", "pip-audit")
"""Installed by a generated repo's build or CI besides its own requirements."""
TEMPLATE_EXTRAS = {"service": ("dev",), "pipeline": ("dev", "airflow"), "assistant": ("dev",)}
"""The extras of a generated repo that its constraints pin (a pipeline's Airflow DAG too)."""
TEMPLATE_FOLDERS = {"service": "service", "pipeline": "pipeline", "assistant": "genai"}
"""The template folder of each kind locked (agents share the assistants' templates/genai)."""


def _compile(
    inputs: list[Path], out: Path, *, extras: tuple[str, ...], command: str, upgrade: bool
) -> None:
    uv = Path(sys.executable).with_name("uv")
    subprocess.run(
        [
            str(uv),
            "pip",
            "compile",
            *map(str, inputs),
            *(arg for extra in extras for arg in ("--extra", extra)),
            "--universal",
            "--python-version",
            PYTHON_FLOOR,
            *(["--upgrade"] if upgrade else []),
            "--quiet",
            "--custom-compile-command",
            command,
            "--output-file",
            str(out),
        ],
        check=True,
        cwd=ROOT,
    )


def lock_dev(*, upgrade: bool = False) -> Path:
    """Pin this project's development environment into ``requirements/dev.txt``."""
    out = ROOT / "requirements" / "dev.txt"
    _compile(
        [ROOT / "pyproject.toml", ROOT / "requirements" / "dev.in"],
        out,
        extras=("dev",),
        command="./dev lock",
        upgrade=upgrade,
    )
    return out


def lock_template(kind: str, *, upgrade: bool = False) -> Path:
    """Pin what a generated repository of ``kind`` installs into its constraints file."""
    example = next(
        path for path in sorted((ROOT / "specs").glob("*.yaml")) if load_spec(path).kind == kind
    )
    out = ROOT / "templates" / TEMPLATE_FOLDERS[kind] / "constraints.txt"
    with tempfile.TemporaryDirectory() as scratch:
        repo = Path(scratch) / "repo"
        render_project(example, repo, git=False)
        tools = Path(scratch) / "tools.in"
        tools.write_text("\n".join(TEMPLATE_TOOLS) + "\n", encoding="utf-8")
        _compile(
            [repo / "pyproject.toml", tools],
            out,
            extras=TEMPLATE_EXTRAS[kind],
            command="./dev lock (in new-ai-project: the pins this template's tests passed with)",
            upgrade=upgrade,
        )
        # The annotations name the scratch folder and the example; keep the file stable.
        text = out.read_text(encoding="utf-8")
        text = text.replace(f"-r {tools}", "CI tools").replace(
            f"{load_spec(example).name} ({repo / 'pyproject.toml'})", "pyproject.toml"
        )
        out.write_text(text, encoding="utf-8")
    return out


def main(argv: list[str] | None = None) -> int:
    """Refresh every lock and constraints file; print what was written."""
    args = sys.argv[1:] if argv is None else argv
    upgrade = "--upgrade" in args
    paths = (
        lock_dev(upgrade=upgrade),
        lock_template("service", upgrade=upgrade),
        lock_template("pipeline", upgrade=upgrade),
        lock_template("assistant", upgrade=upgrade),
    )
    for path in paths:
        sys.stdout.write(f"wrote {path.relative_to(ROOT)}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
