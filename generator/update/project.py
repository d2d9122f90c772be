"""Keep generated repositories current with their template and their ``spec.yaml``.

``update_project`` re-applies the template with Copier's three-way merge: it re-renders the
version a project was made from (``_commit`` in ``.copier-answers.yml``) with the recorded
answers, renders the new version with answers recomputed from the project's ``spec.yaml``,
and applies the team's own changes on top. So template releases and spec edits arrive by
the same path, and files the team changed keep their changes (or show conflicts).

Copier reports no conflict and changes the process's working folder, so this module
checks the working tree before (refusing any dirty tree), finds conflicts itself after
(unmerged index entries and ``*.rej`` files) and never commits; ``fleet`` runs several
repositories in separate processes.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from generator.errors import GeneratorError, ProjectError, SpecError
from generator.render import (
    ANSWERS_FILE,
    SPEC_FILE,
    blocking_findings,
    build_context,
    read_answers,
    read_repository,
    spec_data,
)
from generator.spec import ProjectSpec
from generator.update import _git as gitops
from generator.update.changes import ReviewNote, review_notes

Status = Literal["current", "behind", "updated", "conflicts", "refused", "failed"]
OK_STATUSES = frozenset({"current", "updated"})


@dataclass(frozen=True)
class UpdateResult:
    """What happened to one repository (or what ``--check`` found)."""

    path: Path
    status: Status
    version_from: str | None = None
    version_to: str | None = None
    template_behind: bool = False
    spec_changed: bool = False
    spec_changes: tuple[str, ...] = ()
    """Top-level keys of the render context that differ from the recorded answer."""
    spec_edited: bool = False
    """``spec.yaml`` itself says something else than when the project was last rendered.

    False while ``spec_changed`` is True means the spec is as recorded and this generator
    derives other answers from it (a catalogue or label changed): an update is due, but
    nobody edited the spec.
    """
    review: tuple[ReviewNote, ...] = ()
    """Changes a reviewer must see: permissions, controls, criteria, retention."""
    conflicts: tuple[str, ...] = ()
    changed_files: int = 0
    message: str = ""

    @property
    def ok(self) -> bool:
        """True when the repository is current or was updated without conflicts."""
        return self.status in OK_STATUSES

    def to_json(self) -> dict[str, Any]:
        """The result as plain JSON data."""
        return {
            "path": str(self.path),
            "status": self.status,
            "ok": self.ok,
            "template": {
                "from": self.version_from,
                "to": self.version_to,
                "behind": self.template_behind,
            },
            "spec": {
                "changed": self.spec_changed,
                "edited": self.spec_edited,
                "changes": list(self.spec_changes),
            },
            "review": [note.to_json() for note in self.review],
            "conflicts": list(self.conflicts),
            "changed_files": self.changed_files,
            "message": self.message,
        }


@dataclass(frozen=True)
class _Project:
    """What a generated repository records about how it was made."""

    path: Path
    answers: dict[str, Any]
    src_path: str
    commit: str | None
    kind: str
    spec: ProjectSpec
    context: dict[str, Any] = field(default_factory=dict)


def update_project(
    path: Path,
    *,
    check: bool = False,
    template: str | None = None,
    vcs_ref: str | None = None,
) -> UpdateResult:
    """Check or update one generated repository; never raises.

    Args:
        path: the repository (the folder holding ``.copier-answers.yml``).
        check: only tell whether it is behind its template or its spec; change nothing.
        template: with ``check``, compare with this source instead of the recorded one;
            with an update it must name the recorded source (Copier cannot switch source
            during an update).
        vcs_ref: the template version to compare with or update to (default: the latest).
    """
    path = Path(path).expanduser().absolute()
    try:
        return _update(path, check=check, template=template, vcs_ref=vcs_ref)
    except SpecError as err:
        return UpdateResult(path, "refused", message="spec.yaml is not valid:\n" + str(err))
    except GeneratorError as err:
        return UpdateResult(path, "refused", message=str(err))
    except Exception as err:  # one repository's failure must not stop the others
        return UpdateResult(path, "failed", message=f"{type(err).__name__}: {err}")


def _update(path: Path, *, check: bool, template: str | None, vcs_ref: str | None) -> UpdateResult:
    project = _read_project(path)
    src = _source_for(project, template, check=check)
    if project.commit is None:
        raise ProjectError(
            f"{ANSWERS_FILE} records no template version (_commit): the project was rendered "
            "from a plain folder, which Copier cannot update; render it again from a git "
            "template source (the default source records versions)"
        )
    version_from = gitops.version_of_ref(project.commit)
    latest = gitops.latest_version(src, vcs_ref)
    spec_changes = _context_changes(project.answers.get("project"), project.context)
    base = UpdateResult(
        path,
        "current",
        version_from=str(version_from) if version_from else project.commit,
        version_to=latest.label,
        template_behind=gitops.is_behind(project.commit, version_from, latest),
        spec_changed=bool(spec_changes),
        spec_changes=spec_changes,
        spec_edited=bool(spec_changes)
        and _spec_edited(project.answers.get("project"), project.spec),
        review=review_notes(project.answers.get("project"), project.context),
    )
    if check:
        behind = base.template_behind or base.spec_changed
        return replace(base, status="behind" if behind else "current", message=_check_text(base))
    gitops.require_clean(path)
    if not (base.template_behind or base.spec_changed):
        return replace(base, message="already current: nothing to do")
    return _apply(project, base, vcs_ref)


def _read_project(path: Path) -> _Project:
    repo = read_repository(path)
    if not isinstance(repo.answers.get("_src_path"), str):
        raise ProjectError(f"{ANSWERS_FILE} records no template source (_src_path)")
    blockers = blocking_findings(repo.spec_bytes, str(path / SPEC_FILE))
    # exactly what the answers file will give back
    context = build_context(repo.spec, blockers=blockers)
    return _Project(
        path=path,
        answers=repo.answers,
        src_path=repo.answers["_src_path"],
        commit=repo.commit,
        kind=str(repo.spec.kind),
        spec=repo.spec,
        context=context,
    )


def _source_for(project: _Project, template: str | None, *, check: bool) -> str:
    """The template source to compare with: the recorded one unless ``--check --template``."""
    from generator.render import install_default_bundle, is_default_source, resolve_template

    recorded = project.src_path
    if is_default_source(recorded):
        install_default_bundle()  # this release's templates, at the path projects record
    if template is not None:
        wanted = resolve_template(template).src_path
        if not check and not gitops.same_source(wanted, recorded):
            raise ProjectError(
                f"the project records the template source {recorded}; Copier updates from "
                f"the recorded source only. To move it to {wanted}, set _src_path in "
                f"{ANSWERS_FILE} to it, commit, and run update again"
            )
        return wanted
    if not gitops.source_exists(recorded):
        raise ProjectError(
            f"its template source {recorded} does not exist; if the template moved, set "
            f"_src_path in {ANSWERS_FILE} to the new place, commit, and run update again"
        )
    return recorded


def _context_changes(recorded: object, current: dict[str, Any]) -> tuple[str, ...]:
    if not isinstance(recorded, dict):
        return ("project",)
    keys = sorted(set(recorded) | set(current))
    return tuple(k for k in keys if recorded.get(k) != current.get(k))


def _spec_edited(recorded: object, spec: ProjectSpec) -> bool:
    """Whether ``spec`` differs from the spec recorded in the answers, read by today's model.

    The recorded spec is validated again so that fields this generator added (with their
    defaults) or normalises differently do not count as edits; a recorded spec today's
    model refuses counts as edited.
    """
    then = recorded.get("spec") if isinstance(recorded, dict) else None
    if not isinstance(then, dict):
        return True
    try:
        then_spec = type(spec).model_validate(then)
    except ValueError:  # pydantic's ValidationError is a ValueError
        return True
    return spec_data(then_spec) != spec_data(spec)


def _check_text(result: UpdateResult) -> str:
    parts = []
    if result.template_behind:
        parts.append(f"template {result.version_from} -> {result.version_to}")
    else:
        parts.append(f"template current at {result.version_from}")
    if result.spec_edited:
        parts.append(f"spec.yaml changed since the last update ({', '.join(result.spec_changes)})")
    elif result.spec_changed:
        parts.append(
            "spec.yaml unchanged, but this generator derives other answers from it "
            f"({', '.join(result.spec_changes)})"
        )
    else:
        parts.append("spec current")
    return "; ".join(parts)


def _apply(project: _Project, base: UpdateResult, vcs_ref: str | None) -> UpdateResult:
    """Run Copier's update; then find conflicts and count changes. Never commits."""
    import copier

    from generator.render import templates_compiled_once
    from generator.update._answers import answers_in_render_order

    path = project.path
    rej_before = gitops.rej_files(path)
    cwd = Path.cwd()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # copier warns about dirty or untagged templates
            with answers_in_render_order(), templates_compiled_once():
                copier.run_update(
                    str(path),
                    data={"kind": project.kind, "project": project.context},
                    vcs_ref=vcs_ref,
                    defaults=True,
                    overwrite=True,
                    conflict="inline",
                    quiet=True,
                    unsafe=False,
                    skip_answered=False,
                )
    except Exception as err:
        changed = gitops.changed_paths(path)
        left = (
            f"; {len(changed)} file(s) were changed: review with `git status` and `git diff`"
            if changed
            else "; nothing was changed"
        )
        return replace(base, status="failed", message=f"Copier failed: {err}{left}")
    finally:
        os.chdir(cwd)  # run_update changes the process's working folder
    commit = _recorded_commit(path)
    version_to = gitops.version_of_ref(commit) if commit else None
    conflicts = tuple(
        sorted({*gitops.unmerged_paths(path), *(gitops.rej_files(path) - rej_before)})
    )
    changed = gitops.changed_paths(path)
    result = replace(
        base,
        version_to=str(version_to) if version_to else commit,
        conflicts=conflicts,
        changed_files=len(changed),
    )
    if conflicts:
        return replace(
            result,
            status="conflicts",
            message=(
                f"{len(conflicts)} file(s) conflict: resolve the <<<<<<< markers (and any .rej "
                "file) in them, check with `git diff`, then `git add -A && git commit`"
            ),
        )
    return replace(
        result,
        status="updated",
        message=(
            f"{len(changed)} file(s) changed, not committed: review with `git status` and "
            "`git diff`, then `git add -A && git commit -m 'Update from template'`"
        ),
    )


def _recorded_commit(path: Path) -> str | None:
    """The template version Copier recorded after the update (``_commit``)."""
    commit = read_answers(path).get("_commit")
    return str(commit) if commit not in (None, "") else None
