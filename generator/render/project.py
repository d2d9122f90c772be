"""Render a project from a spec with Copier: atomically, then git init and first commit."""

from __future__ import annotations

import hashlib
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from generator._io import GIT_IDENTITY, folder_beside, read_file, run_git, swap_into_place
from generator.errors import GitError, RenderError, UsageError
from generator.render.checkout import checkout, record_source
from generator.render.context import build_context
from generator.render.repository import ANSWERS_FILE
from generator.render.sources import TemplateSource, checkouts_dir, resolve_template
from generator.spec import GENAI_KINDS, parse_spec

NOT_RENDERED_YET: tuple[str, ...] = GENAI_KINDS
"""Kinds a spec may describe that no template renders yet (``templates/genai/`` is being
wired into the layout): ``new`` refuses them before anything is written."""


@dataclass(frozen=True)
class RenderResult:
    """What ``render_project`` made."""

    dest: Path
    kind: str
    package: str
    files: int
    commit: str | None
    template: str
    next_steps: list[str] = field(default_factory=list)


def render_project(
    spec_path: Path,
    dest: Path,
    *,
    template: str | None = None,
    vcs_ref: str | None = None,
    force: bool = False,
    git: bool = True,
) -> RenderResult:
    """Render the repository a spec describes into ``dest``.

    Rendering happens in a temporary folder beside ``dest`` that is moved into place only
    when everything succeeded, so a failure or Ctrl-C leaves nothing behind.

    Raises:
        SpecError: the spec is not valid.
        UsageError: ``dest`` is not empty and ``force`` was not given.
        RenderError: the kind has no template yet, or Copier or git failed; nothing was
            written.
    """
    spec_bytes = read_file(spec_path)
    spec = parse_spec(spec_bytes, str(spec_path))
    if spec.kind in NOT_RENDERED_YET:
        raise RenderError(
            f"{spec_path}: kind '{spec.kind}' cannot be rendered yet: the GenAI template is "
            "still being built; the spec itself is valid, so `spec validate`, `review` and "
            "`diff` work on it today"
        )
    dest = dest.expanduser().absolute()
    existing = dest.exists() and (not dest.is_dir() or any(dest.iterdir()))
    if dest.exists() and not dest.is_dir():
        raise UsageError(f"{dest} is a file; choose a folder for the new project")
    if existing and not force:
        raise UsageError(f"{dest} is not empty; choose an empty folder or pass --force")
    source = resolve_template(template, vcs_ref)
    context = build_context(spec)
    commit = None
    with folder_beside(dest, "rendering") as scratch:
        _copy_template(source, scratch, spec.kind, context)
        (scratch / "spec.yaml").write_bytes(spec_bytes)
        files = sum(1 for p in scratch.rglob("*") if p.is_file())
        if existing:
            _merge_into(scratch, dest)
            if git and not (dest / ".git").exists():
                commit = _git_first_commit(dest, spec.title)
        else:
            if git:  # committed before the move, so a failing git leaves nothing behind
                commit = _git_first_commit(scratch, spec.title)
            swap_into_place(scratch, dest)  # dest is missing or empty here
    return RenderResult(
        dest=dest,
        kind=str(spec.kind),
        package=spec.package,
        files=files,
        commit=commit,
        template=source.display,
        next_steps=_next_steps(dest, str(spec.kind), spec.name, spec.package),
    )


def _copy_template(
    source: TemplateSource, dest: Path, kind: str, context: dict[str, object]
) -> None:
    import copier  # imported here: it costs half a second at start-up

    src_path, vcs_ref, recorded = source.src_path, source.vcs_ref, None
    if source.bundle is not None:  # a version of a bundle: render its cached checkout
        digest = hashlib.sha256(source.bundle.read_bytes()).hexdigest()
        recorded = checkout(source.bundle, digest, source.vcs_ref, checkouts_dir())
        src_path, vcs_ref = str(recorded.path), None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # copier warns about untagged templates
            copier.run_copy(
                src_path,
                str(dest),
                data={"kind": kind, "project": context},
                vcs_ref=vcs_ref,
                defaults=True,
                overwrite=True,
                quiet=True,
                unsafe=False,
            )
    except Exception as err:  # copier raises many types; none may leave a traceback
        raise RenderError(f"could not render the template from {source.display}: {err}") from err
    if recorded is not None:  # what Copier records when it renders the bundle itself
        record_source(dest / ANSWERS_FILE, source.src_path, recorded.commit)


def _merge_into(scratch: Path, dest: Path) -> None:
    """With --force: write rendered files over an existing folder, keeping other files."""
    for path in sorted(scratch.rglob("*")):
        target = dest / path.relative_to(scratch)
        if path.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            path.replace(target)


def _git(dest: Path, *args: str) -> str:
    identity = {key: os.environ.get(key, value) for key, value in GIT_IDENTITY.items()}
    try:
        return run_git(dest, *args, env=identity)
    except GitError as err:
        hint = "; install it or pass --no-git" if "not installed" in str(err) else f" in {dest}"
        raise RenderError(f"{err}{hint}") from err


def _git_first_commit(dest: Path, title: str) -> str:
    _git(dest, "init", "-q", "-b", "main")
    _git(dest, "add", "-A")
    message = f"Generate project from spec.yaml with new-ai-project\n\n{title}"
    _git(dest, "commit", "-q", "--no-verify", "-m", message)
    return _git(dest, "rev-parse", "--short", "HEAD")


def _next_steps(dest: Path, kind: str, name: str, package: str) -> list[str]:
    steps = [
        f"cd {dest}",
        "python -m venv .venv && . .venv/bin/activate",
        "pip install -c constraints.txt pip",
        "pip install -c constraints.txt --build-constraint constraints.txt -e '.[dev]'",
        "pytest                      # every layer, with the acceptance traceability report",
    ]
    if kind == "pipeline":
        steps.append(f"{name} run    # the whole pipeline on the sample data")
    else:
        steps.append(f"uvicorn --factory {package}.app:create_app    # serve the API")
    steps.append("edit spec.yaml, then `new-ai-project update` to bring the change in")
    return steps
