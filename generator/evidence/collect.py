"""Building the evidence pack: the project's spec and controls matched to its test results.

Each acceptance criterion is matched to the tests that trace it: those the traceability
report names (``pytest --traceability-report=FILE``), or else the generated
``tests/acceptance/test_acceptance.py::test_<id>``. Each control of each regime in scope is
matched, through the catalogue, to its evidencing file and its test file; the test file's
result combines the results of every test in it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from generator._io import read_file, run_git
from generator.errors import EvidenceError, GeneratorError, GitError, ProjectError
from generator.evidence._junit import Case, read_junit
from generator.evidence._results import TestResults, count, match_results, worst
from generator.evidence.model import (
    PACK_SCHEMA_VERSION,
    ControlEvidence,
    CriterionEvidence,
    EvidencePack,
    Identity,
    NodeResult,
    PackOwners,
    Readiness,
    Result,
    SourceFile,
    Summary,
)
from generator.render import Repository, build_context, read_repository

ACCEPTANCE_MODULE = "tests/acceptance/test_acceptance.py"
_TRACE_HINT = "write one with `pytest tests/acceptance --traceability-report=FILE`"


def build_evidence(
    project: Path,
    junit: Sequence[Path],
    traceability: Path | None = None,
    *,
    now: datetime | None = None,
) -> EvidencePack:
    """Build the evidence pack of a generated repository from its test reports.

    Raises:
        EvidenceError: a report is missing, malformed or stale, or ``project`` is not a
            generated repository; one line, nothing written.
        SpecError: the project's spec.yaml does not validate.
    """
    if not junit:
        raise EvidenceError("no JUnit report given; pass --junit FILE (pytest --junitxml=FILE)")
    try:
        repo = read_repository(project)
    except ProjectError as err:
        raise EvidenceError(f"{project}: {err}") from err
    cases: list[Case] = []
    sources: list[SourceFile] = []
    for path in junit:
        cases.extend(read_junit(path))
        sources.append(_source(path, "junit"))
    results = match_results(cases, project)
    context = build_context(repo.spec)
    traced = _read_traceability(traceability, [c["id"] for c in context["criteria"]])
    if traceability is not None:
        sources.append(_source(traceability, "traceability"))
    acceptance = _acceptance(repo, context, results, traced)
    controls = _controls(project, context, results)
    summary = Summary(
        criteria=count(c.result for c in acceptance),
        controls=count(c.test_result for c in controls),
        controls_without_file=sum(not c.file_exists for c in controls),
        tests=count(n.result for n in results.by_node.values()),
        layers=results.layers(),
    )
    return EvidencePack(
        schema_version=PACK_SCHEMA_VERSION,
        identity=_identity(repo, context, now or datetime.now(UTC)),
        sources=sources,
        acceptance=acceptance,
        controls=controls,
        summary=summary,
        readiness=_readiness(acceptance, controls, results),
    )


def _identity(repo: Repository, context: dict[str, Any], now: datetime) -> Identity:
    from generator import __version__

    spec = repo.spec
    git_commit, git_dirty = _git_state(repo.root)
    return Identity(
        spec_sha256=repo.spec_sha256,
        name=spec.name,
        title=spec.title,
        kind=context["kind"],
        owners=PackOwners(
            business=spec.owners.business,
            technical=spec.owners.technical,
            operations=spec.owners.operations,
        ),
        template_version=repo.commit,
        template_source=repo.src_path,
        git_commit=git_commit,
        git_dirty=git_dirty,
        created_at=now.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        tool_version=str(__version__),
        retention_days=int(context["retention_days"]),
    )


def _git_state(root: Path) -> tuple[str | None, bool | None]:
    """The commit checked out and whether tracked files under ``root`` differ from it."""
    try:
        commit = run_git(root, "rev-parse", "--verify", "HEAD")
        # untracked files (the test reports, the pack itself) do not make a release dirty
        status = run_git(root, "status", "--porcelain", "--untracked-files=no", "--", ".")
    except GitError:
        return None, None  # not a git repository, no commit yet, or no git
    return commit, bool(status.strip())


def _source(path: Path, kind: str) -> SourceFile:
    digest = hashlib.sha256(read_file(path)).hexdigest()
    return SourceFile.model_validate({"path": str(path), "kind": kind, "sha256": digest})


def _read_traceability(path: Path | None, criteria: list[str]) -> dict[str, list[str]] | None:
    """The criterion → test node ids of a traceability report; None without a report.

    Raises:
        EvidenceError: the report is unreadable, malformed, or names a criterion the spec
            no longer has.
    """
    if path is None:
        return None
    try:
        data = json.loads(read_file(path, "traceability report"))
    except GeneratorError as err:
        raise EvidenceError(str(err)) from err
    except (ValueError, UnicodeDecodeError) as err:
        raise EvidenceError(f"{path}: not a traceability report (not JSON); {_TRACE_HINT}") from err
    rows = data if isinstance(data, list) else None
    if rows is None or not all(_is_row(row) for row in rows):
        raise EvidenceError(
            f"{path}: not a traceability report (a list of criterion, status and tests); "
            f"{_TRACE_HINT}"
        )
    traced: dict[str, list[str]] = {}
    for row in rows:
        if row["criterion"] not in criteria:
            raise EvidenceError(
                f"{path}: results for criterion {row['criterion']}, which spec.yaml no longer "
                f"has; run the acceptance tests again and pass the new report"
            )
        traced.setdefault(row["criterion"], []).extend(row["tests"])
    return traced


def _is_row(row: object) -> bool:
    return (
        isinstance(row, dict)
        and isinstance(row.get("criterion"), str)
        and isinstance(row.get("status"), str)
        and isinstance(row.get("tests"), list)
        and all(isinstance(test, str) for test in row["tests"])
    )


def _acceptance(
    repo: Repository,
    context: dict[str, Any],
    results: TestResults,
    traced: dict[str, list[str]] | None,
) -> list[CriterionEvidence]:
    evidence = []
    for criterion, entry in zip(repo.spec.acceptance_criteria, context["criteria"], strict=True):
        if traced is None:
            node_ids = [f"{ACCEPTANCE_MODULE}::{entry['test_name']}"]
        else:
            node_ids = traced.get(criterion.id, [])
        tests = [results.node(node_id) for node_id in node_ids]
        evidence.append(
            CriterionEvidence(
                id=criterion.id,
                layer=str(criterion.layer),
                given=criterion.given,
                when=criterion.when,
                then=criterion.then,
                metric=criterion.metric,
                tests=tests,
                result=worst(t.result for t in tests),
            )
        )
    return evidence


def _controls(
    project: Path, context: dict[str, Any], results: TestResults
) -> list[ControlEvidence]:
    evidence = []
    for control in context["controls"]:
        file_exists = (project / control["file"]).is_file()
        nodes = results.file(control["test"])
        test_result = _file_result(nodes)
        evidence.append(
            ControlEvidence(
                regime=control["regime"],
                regime_title=control["regime_short"],
                id=control["id"],
                title=control["title"],
                citation=control["citation"],
                unsure=control["unsure"],
                artifact=control["artifact"],
                file=control["file"],
                file_exists=file_exists,
                test=control["test"],
                test_exists=(project / control["test"]).is_file(),
                test_result=test_result,
                test_counts=count(n.result for n in nodes),
                ok=file_exists and test_result == "passed",
            )
        )
    return evidence


def _file_result(nodes: list[NodeResult]) -> Result:
    """A test file's result: failed if any failed, passed if any passed, else the worst."""
    found = [n.result for n in nodes]
    if "failed" in found:
        return "failed"
    if "passed" in found:
        return "passed"
    return worst(found)


def _readiness(
    acceptance: list[CriterionEvidence], controls: list[ControlEvidence], results: TestResults
) -> Readiness:
    blockers: list[str] = []
    for criterion in acceptance:
        if criterion.result != "passed":
            tests = ", ".join(t.node_id for t in criterion.tests) or "no test traces it"
            blockers.append(f"criterion {criterion.id} is {criterion.result} ({tests})")
    for control in controls:
        name = f"control {control.regime} {control.id}"
        if not control.file_exists:
            blockers.append(f"{name}: its evidence file {control.file} does not exist")
        if control.test_result != "passed":
            blockers.append(f"{name}: its test {control.test} is {control.test_result}")
    failed = sorted(n.node_id for n in results.by_node.values() if n.result == "failed")
    if failed:
        blockers.append(f"{len(failed)} test(s) failed, first {failed[0]}")
    verdict = "ready" if not blockers else "not-ready"
    return Readiness(verdict=verdict, blockers=blockers)
