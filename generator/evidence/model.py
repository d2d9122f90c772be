"""The evidence pack's shape: pydantic models that are also its documented JSON Schema.

``evidence.json`` is ``EvidencePack`` dumped as JSON; ``generator/data/evidence.schema.json``
is the schema of these models, shipped with the package like the spec's schema. Add fields
as optional; bump ``PACK_SCHEMA_VERSION`` when a field changes meaning or goes away.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from generator._io import write_atomic

PACK_SCHEMA_VERSION = 1

Result = Literal["passed", "failed", "pending", "skipped", "missing"]
"""What the test results say about one test, a criterion or a control's test file.

``passed``: it ran and passed. ``failed``: a failure or error (a strict xfail that passed
counts too). ``pending``: a strict xfail, written but not implemented yet. ``skipped``: it
was skipped, so it proved nothing. ``missing``: no result for it in the JUnit reports.
"""

RESULTS: tuple[Result, ...] = ("passed", "failed", "pending", "skipped", "missing")
Verdict = Literal["ready", "not-ready"]
Sha256 = str

_SHA256 = r"^[0-9a-f]{64}$"


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PackOwners(_Frozen):
    """The spec's owners, as they stood when the pack was built."""

    business: str = Field(description="accountable for the outcome")
    technical: str = Field(description="accountable for the code")
    operations: str = Field(description="paged when it breaks")


class Identity(_Frozen):
    """What was released: the spec, the template it was rendered from, the commit, the tool."""

    spec_sha256: Sha256 = Field(pattern=_SHA256, description="SHA-256 of spec.yaml's bytes")
    name: str = Field(description="the spec's name (the repository and package slug)")
    title: str = Field(description="the spec's title")
    kind: Literal["service", "pipeline"] = Field(description="the kind of repository")
    owners: PackOwners
    template_version: str | None = Field(
        description="the template version the repository was rendered or last updated from "
        "(`_commit` of .copier-answers.yml); null when it was rendered from a plain folder"
    )
    template_source: str | None = Field(
        description="where the template came from (`_src_path` of .copier-answers.yml)"
    )
    git_commit: str | None = Field(
        description="the commit checked out in the repository; null outside a git repository"
    )
    git_dirty: bool | None = Field(
        description="true when tracked files differ from that commit (untracked files, such "
        "as the test reports, do not count); null outside a git repository"
    )
    created_at: str = Field(description="when the pack was built: UTC, ISO 8601")
    tool: Literal["new-ai-project"] = "new-ai-project"
    tool_version: str = Field(description="the version of new-ai-project that built the pack")
    retention_days: int = Field(
        gt=0,
        description="how long this pack must be kept: the spec's retention for audit and "
        "event records (regulatory.retention_days, or the default the project was given)",
    )


class SourceFile(_Frozen):
    """A test report the pack was built from, by its digest."""

    path: str = Field(description="the file as it was named on the command line")
    kind: Literal["junit", "traceability"]
    sha256: Sha256 = Field(pattern=_SHA256)


class ResultCounts(_Frozen):
    """How many items have each result."""

    passed: int = 0
    failed: int = 0
    pending: int = 0
    skipped: int = 0
    missing: int = 0
    total: int = 0


class LayerCounts(ResultCounts):
    """The results of one test layer (tests/<layer>/...; other for tests elsewhere)."""

    layer: str


class NodeResult(_Frozen):
    """One test (a pytest node id) and its result in the JUnit reports."""

    node_id: str = Field(description="pytest node id, such as tests/unit/test_x.py::test_y")
    result: Result
    message: str | None = Field(
        default=None, description="the first line of the failure, error or skip reason"
    )


class CriterionEvidence(_Frozen):
    """One acceptance criterion of the spec, the tests that trace it and their result."""

    id: str
    layer: str = Field(description="the test layer the spec names: unit, integration or e2e")
    given: str
    when: str
    then: str
    metric: str | None = None
    tests: list[NodeResult] = Field(
        description="the tests traced to it: from the traceability report when one is given, "
        "else the generated tests/acceptance/test_acceptance.py::test_<id>"
    )
    result: Result = Field(
        description="the tests' results combined: failed, missing, skipped, pending, passed "
        "(the first that any test has); missing when no test traces it"
    )


class ControlEvidence(_Frozen):
    """One control a regime in scope brings, the file that evidences it and its test."""

    regime: str = Field(description="the regime id from the catalogue, such as gdpr")
    regime_title: str = Field(description="the regime's short name")
    id: str = Field(description="the control's id within its regime")
    title: str
    citation: str
    unsure: bool = Field(description="the research behind this control is marked unsure")
    artifact: str = Field(description="the feature of the repository that evidences it")
    file: str = Field(description="the file that implements or documents it, repo-relative")
    file_exists: bool
    test: str = Field(description="the test file that checks it, repo-relative")
    test_exists: bool
    test_result: Result = Field(
        description="the test file's results: failed if any test failed, passed if any "
        "passed, else pending or skipped; missing when the reports hold none of its tests"
    )
    test_counts: ResultCounts = Field(description="the test file's tests by result")
    ok: bool = Field(description="the file exists and its test passed")


class Summary(_Frozen):
    """Counts for the whole pack."""

    criteria: ResultCounts = Field(description="acceptance criteria by result")
    controls: ResultCounts = Field(description="controls by the result of their test")
    controls_without_file: int = Field(description="controls whose evidencing file is missing")
    tests: ResultCounts = Field(description="every test in the JUnit reports by result")
    layers: list[LayerCounts] = Field(description="the same, per test layer")


class Readiness(_Frozen):
    """Whether this release is ready for production, and what blocks it."""

    verdict: Verdict = Field(description="ready when nothing blocks")
    blockers: list[str] = Field(
        description="one line each: a criterion that did not pass, a control whose test did "
        "not pass or whose file is missing, failed tests"
    )


class EvidencePack(_Frozen):
    """The release evidence pack: identity, acceptance, controls, summary and readiness."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, title="new-ai-project release evidence pack"
    )

    schema_version: Literal[1] = Field(description="the version of this document's shape")
    identity: Identity
    sources: list[SourceFile] = Field(description="the test reports the pack was built from")
    acceptance: list[CriterionEvidence] = Field(description="every criterion, in spec order")
    controls: list[ControlEvidence] = Field(
        description="every control of every regime in scope, in catalogue order"
    )
    summary: Summary
    readiness: Readiness


def json_schema() -> dict[str, Any]:
    """Return the JSON Schema of ``evidence.json``."""
    schema = EvidencePack.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


def schema_path() -> Path:
    """Return the path of the evidence pack's JSON Schema shipped in the package."""
    return Path(__file__).parent.parent / "data" / "evidence.schema.json"


def write_schema_file() -> Path:
    """Regenerate the shipped JSON Schema from the models (run after changing them)."""
    path = schema_path()
    write_atomic(path, json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n")
    return path
