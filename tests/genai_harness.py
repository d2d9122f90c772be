"""TEMPORARY development harness for the GenAI runtime core (until kinds assistant/agent render).

``templates/genai/`` cannot be rendered yet: the spec side (kinds ``assistant``/``agent``)
and the shared template layout are being built elsewhere. This script stands in for
rendering: it assembles a package ``incident_copilot`` from ``templates/genai/src`` plus the
shared modules it needs (``templates/_shared``), writes ``project.json`` from a spec
(``/work/shared/spec-example-genai.yaml`` by default) using the real ``build_context`` for
the keys the shared modules read, adds the template's tests, prompts, evals and corpus, and
runs the template's tests, ruff and mypy in a virtual environment with the runtime's
dependencies (``tests/genai_harness_requirements.txt``).

Replace it with real rendering once ``new`` renders these kinds; nothing else depends on it.

Usage::

    .venv/bin/python tests/genai_harness.py [--spec SPEC] [--out DIR] [--venv DIR] \
        [--check] [PYTEST_ARGS...]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import jinja2
import yaml

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "templates" / "genai"
SHARED = ROOT / "templates" / "_shared"
PACKAGE_DIR = "{{ project.package }}"
SHARED_MODULES = (
    "project.py",
    "audit.py",
    "audit_schema.sql",  # the SQLite tables audit.py makes a file of its own from
    "database.py",
    "migrate.py",
    "privacy.py",
    "identity.py",
    "credentials.py",
)
DEFAULT_SPEC = Path("/work/shared/spec-example-genai.yaml")
REQUIREMENTS = Path(__file__).with_name("genai_harness_requirements.txt")
DEFAULT_VENV = Path.home() / ".cache" / "new-ai-project" / "genai-harness-venv"


def build_project_json(spec_path: Path) -> dict[str, Any]:
    """The render context of a GenAI spec, as the future renderer is expected to give it.

    The shared keys come from the real ``build_context`` (the spec is validated as a service
    without its ``genai`` section; regimes the catalogue does not know yet are dropped for
    that step only); ``kind`` and ``genai`` are then set from the spec itself.
    """
    from generator.render.context import build_context
    from generator.spec import ProjectSpec, RegimeId

    data = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    genai = data.pop("genai")
    kind = data["kind"]
    as_service = json.loads(json.dumps(data))
    as_service["kind"] = "service"
    known = {r.value for r in RegimeId}
    regimes = as_service["regulatory"]["regimes"]
    as_service["regulatory"]["regimes"] = [r for r in regimes if r in known]
    context = build_context(ProjectSpec.model_validate(as_service))
    context["kind"] = kind
    context["spec"]["kind"] = kind
    context["spec"]["genai"] = genai
    context["spec"]["regulatory"]["regimes"] = regimes
    context["genai"] = genai
    return context


def _render(text: str, context: dict[str, Any]) -> str:
    env = jinja2.Environment(keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
    return env.from_string(text).render(project=context)


def _copy_tree(source: Path, dest: Path, context: dict[str, Any]) -> None:
    """Copy a template folder, rendering ``.jinja`` files and ``{{ project.package }}`` names."""
    for path in sorted(source.rglob("*")):
        if "__pycache__" in path.parts or path.is_dir():
            continue
        relative = str(path.relative_to(source)).replace(PACKAGE_DIR, context["package"])
        target = dest / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".jinja":
            target = target.with_suffix("")
            target.write_text(_render(path.read_text(encoding="utf-8"), context), encoding="utf-8")
        else:
            shutil.copyfile(path, target)


def assemble(spec_path: Path, out: Path) -> Path:
    """Write the stand-in for a rendered GenAI repository into ``out``; return it."""
    context = build_project_json(spec_path)
    package = context["package"]
    if out.exists():
        shutil.rmtree(out)
    _copy_tree(TEMPLATE, out, context)
    pkg = out / "src" / package
    for name in SHARED_MODULES:
        shutil.copyfile(SHARED / name, pkg / name)
    (pkg / "__init__.py").write_text(
        '"""The runtime core (assembled by tests/genai_harness.py)."""\n', encoding="utf-8"
    )
    (pkg / "py.typed").touch()
    (pkg / "project.json").write_text(json.dumps(context, indent=2), encoding="utf-8")
    tests = out / "tests"
    (tests / "postgres.py").write_text(
        _render((SHARED / "tests" / "postgres.py.jinja").read_text(encoding="utf-8"), context),
        encoding="utf-8",
    )
    (tests / "integration").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(
        SHARED / "tests" / "integration_conftest.py", tests / "integration" / "conftest.py"
    )
    for folder in (tests, tests / "unit", tests / "integration"):
        (folder / "__init__.py").touch()
    (out / "spec.yaml").write_text(spec_path.read_text(encoding="utf-8"), encoding="utf-8")
    # the tool sections as a service has them (pydantic plugin); the genai kinds will get theirs
    tools = _render(
        (SHARED / "pyproject-tools.toml.jinja").read_text(encoding="utf-8"),
        {**context, "kind": "service"},
    )
    tools = tools.replace(
        'files = ["src", "tests", "conftest.py"]', 'files = ["src", "tests", "benchmarks"]'
    )
    (out / "pyproject.toml").write_text(
        f"""[build-system]
requires = ["hatchling>=1.24"]
build-backend = "hatchling.build"

[project]
name = "{context["name"]}"
version = "0.0.0"
requires-python = ">=3.11"

[tool.hatch.build.targets.wheel]
packages = ["src/{package}"]

{tools}
[[tool.mypy.overrides]]
module = ["bm25s", "bm25s.*", "presidio_analyzer", "presidio_analyzer.*", "presidio_anonymizer", "presidio_anonymizer.*", "tldextract"]
ignore_missing_imports = true
""",
        encoding="utf-8",
    )
    return out


def venv(path: Path) -> Path:
    """A virtual environment with the runtime's dependencies (made once, kept up to date)."""
    python = path / "bin" / "python"
    stamp = path / ".requirements"
    wanted = REQUIREMENTS.read_text(encoding="utf-8")
    if python.exists() and stamp.exists() and stamp.read_text(encoding="utf-8") == wanted:
        return python
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(path)], check=True)
    uv = shutil.which("uv")
    if uv:
        cmd = [uv, "pip", "install", "--python", str(python), "-r", str(REQUIREMENTS)]
    else:
        cmd = [str(python), "-m", "pip", "install", "-q", "-r", str(REQUIREMENTS)]
    subprocess.run(cmd, check=True)
    stamp.write_text(wanted, encoding="utf-8")
    return python


def main(argv: list[str] | None = None) -> int:
    """Assemble the stand-in repository and run its tests (and ruff and mypy with --check)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", type=Path, default=DEFAULT_SPEC)
    parser.add_argument("--out", type=Path, default=None, help="keep the repository here")
    parser.add_argument("--venv", type=Path, default=DEFAULT_VENV)
    parser.add_argument("--check", action="store_true", help="also run ruff and mypy")
    parser.add_argument("--no-tests", action="store_true", help="only assemble (and check)")
    args, pytest_args = parser.parse_known_args(argv)
    out = args.out or Path(tempfile.mkdtemp(prefix="genai-harness-")) / "incident-copilot"
    repo = assemble(args.spec, out)
    python = venv(args.venv)
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    (Path(site) / "genai_harness.pth").write_text(f"{repo / 'src'}\n", encoding="utf-8")
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    status = 0
    if args.check:
        bindir = python.parent
        for cmd in (
            [str(bindir / "ruff"), "check", "."],
            [str(bindir / "ruff"), "format", "--check", "."],
            [str(bindir / "mypy")],
        ):
            status |= subprocess.run(cmd, cwd=repo, env=env, check=False).returncode
    if not args.no_tests:
        status |= subprocess.run(
            [str(python), "-m", "pytest", *pytest_args], cwd=repo, env=env, check=False
        ).returncode
    sys.stdout.write(f"harness repository: {repo}\n")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
