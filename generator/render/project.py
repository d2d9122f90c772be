"""Render a project from a spec with Copier: atomically, then git init and first commit."""

from __future__ import annotations

import hashlib
import os
import shlex
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from generator._io import GIT_IDENTITY, folder_beside, read_file, run_git, swap_into_place
from generator.errors import GitError, NotReadyError, RenderError, UsageError
from generator.render.checkout import checkout, record_source
from generator.render.compiled import templates_compiled_once
from generator.render.context import build_context
from generator.render.prompts import write_prompts
from generator.render.repository import ANSWERS_FILE
from generator.render.sources import TemplateSource, checkouts_dir, resolve_template
from generator.spec import parse_spec

SHELL_FENCES = frozenset({"```sh", "```shell", "```bash", "```console"})
"""The fences a README's commands are in."""


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
    blockers: int = 0
    """Blocking findings of a spec rendered as a draft (its CI fails until they are gone)."""


def render_project(
    spec_path: Path,
    dest: Path,
    *,
    template: str | None = None,
    vcs_ref: str | None = None,
    force: bool = False,
    git: bool = True,
    draft: bool = False,
) -> RenderResult:
    """Render the repository a spec describes into ``dest``.

    A spec with blocking findings (the review's) is refused unless ``draft``: then the
    repository is rendered with a readiness job in its CI that fails until they are gone.
    Rendering happens in a temporary folder beside ``dest`` that is moved into place only
    when everything succeeded, so a failure or Ctrl-C leaves nothing behind.

    Raises:
        SpecError: the spec is not valid.
        NotReadyError: the spec has blocking findings and ``draft`` was not given.
        UsageError: ``dest`` is not empty and ``force`` was not given.
        RenderError: Copier or git failed; nothing was written.
    """
    spec_bytes = read_file(spec_path)
    spec = parse_spec(spec_bytes, str(spec_path))
    blockers = blocking_findings(spec_bytes, str(spec_path))
    if blockers and not draft:
        shown = "; ".join(f"{b['rule']} at {b['path']}" for b in blockers[:3])
        more = f" and {len(blockers) - 3} more" if len(blockers) > 3 else ""
        raise NotReadyError(
            f"{spec_path} is not ready: {len(blockers)} blocking finding(s) ({shown}{more}); "
            f"settle them (`new-ai-project review {spec_path}`), or render a draft with --draft, "
            "whose CI fails until they are gone"
        )
    dest = dest.expanduser().absolute()
    existing = dest.exists() and (not dest.is_dir() or any(dest.iterdir()))
    if dest.exists() and not dest.is_dir():
        raise UsageError(f"{dest} is a file; choose a folder for the new project")
    if existing and not force:
        raise UsageError(f"{dest} is not empty; choose an empty folder or pass --force")
    source = resolve_template(template, vcs_ref)
    context = build_context(spec, blockers=blockers)
    commit = None
    with folder_beside(dest, "rendering") as scratch:
        _copy_template(source, scratch, spec.kind, context)
        write_prompts(scratch, context)  # Copier cannot loop over the spec's prompts
        (scratch / "spec.yaml").write_bytes(spec_bytes)
        files = sum(1 for p in scratch.rglob("*") if p.is_file())
        next_steps = _next_steps(dest, scratch / "README.md")
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
        next_steps=next_steps,
        blockers=len(blockers),
    )


def blocking_findings(spec_bytes: bytes, source: str) -> list[dict[str, str]]:
    """The review's blocking findings of a spec, as the render context keeps them."""
    from generator.review import review_text  # the review is only needed here

    report = review_text(spec_bytes, source)
    return [
        {"rule": f.rule, "path": f.path, "message": f.message}
        for f in report.findings
        if f.severity == "blocker"
    ]


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
        with warnings.catch_warnings(), _no_index_sync_in_a_fresh_copy():
            warnings.simplefilter("ignore")  # copier warns about untagged templates
            with templates_compiled_once():
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


INDEX_SYNC = "_sync_git_index_executable_bit"
"""Copier's method that mirrors each written file's executable bit into the git index."""


@contextmanager
def _no_index_sync_in_a_fresh_copy() -> Iterator[None]:
    """Skip Copier's per-file git index sync while it renders into a fresh scratch folder.

    Copier 9.19 asks git, for every file it writes, whether ``core.fileMode`` is off and the
    file is tracked, to copy the executable bit into the destination's index: two to three
    processes per file, about half of a render's time on two busy cores. Into a folder
    made a moment ago nothing is tracked, so the answer is always "nothing to do"; the
    executable bit itself is set on disk by Copier and recorded by our first commit. Only
    ``new`` skips it (``update`` writes into a tracked repository and keeps it). The
    method is internal to Copier: when a release renames it, nothing is skipped (and the
    unit test that names it fails, so the speed loss is noticed).
    """
    from copier import _main

    worker = getattr(_main, "Worker", None)
    if worker is None or not callable(getattr(worker, INDEX_SYNC, None)):
        yield
        return
    original = getattr(worker, INDEX_SYNC)
    setattr(worker, INDEX_SYNC, lambda *_: None)
    try:
        yield
    finally:
        setattr(worker, INDEX_SYNC, original)


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


def _next_steps(dest: Path, readme: Path) -> list[str]:
    """The first commands to run in the new repository: its README's first shell block.

    They are read from the README just rendered, so what ``new`` prints and what the README
    says cannot drift apart (the service's key creation with ``hash-key``, ``serve``; the
    pipeline's ``run``). A template whose README has no such block gets ``cd`` and the
    ``update`` hint only.
    """
    return [
        f"cd {shlex.quote(str(dest))}",
        *_first_shell_block(readme),
        "edit spec.yaml, then `new-ai-project update` to bring the change in",
    ]


def _first_shell_block(readme: Path) -> list[str]:
    """The lines of the first fenced ``sh`` block in ``readme``; none if it has none."""
    try:
        lines = readme.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    opening = next((i for i, line in enumerate(lines) if line.strip() in SHELL_FENCES), None)
    if opening is None:
        return []
    block: list[str] = []
    for line in lines[opening + 1 :]:
        if line.strip().startswith("```"):
            return block
        if line.strip():
            block.append(line.rstrip())
    return []  # an unclosed fence is not a block
