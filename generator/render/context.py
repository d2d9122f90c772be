"""The render context: everything a template needs, computed once from the spec.

Templates receive this as the Copier answer ``project``. Decisions (names, defaults,
which regime brings which artifact) are made here, in Python, so the templates only
place values; spec text stays data and is escaped by the templates for each target.
"""

from __future__ import annotations

import hashlib
import json
import re
import zlib
from importlib.metadata import PackageNotFoundError, version
from typing import Any, get_args, get_origin

from generator.catalog import (
    KINDS,
    Feature,
    KindName,
    Scope,
    load_catalog,
    talks_to_people,
)
from generator.render.deploy import deploy_context
from generator.render.pipeline import pipeline_context
from generator.render.samples import reference_sample
from generator.spec import (
    DEFAULTS,
    Answers,
    ProjectSpec,
    Spot,
    children,
    fields_of,
    sections,
    slug_to_identifier,
)

CONTEXT_VERSION = 1
"""Bumped when the shape of the context changes, so templates can tell."""

DEFAULT_REVIEW_THRESHOLD = DEFAULTS["operating_boundary.review_below_confidence"]
DEFAULT_RETENTION_DAYS = int(DEFAULTS["regulatory.retention_days"])
DEFAULT_LATENCY_P95_MS = DEFAULTS["monitoring.latency_p95_ms"]
DEFAULT_AVAILABILITY_PCT = DEFAULTS["monitoring.availability_pct"]
DEFAULT_DRIFT_THRESHOLD = DEFAULTS["monitoring.drift_threshold"]
ADMIN_ROLE = "admin"

TOOL = "new-ai-project"


def tool_requirement() -> str:
    """The requirement generated workflows install this tool with: the version rendering now.

    Pinned, so that a repository's CI reviews its spec and builds its evidence with the
    generator that rendered it, and a package of the same name from elsewhere cannot stand
    in for it unnoticed; ``update`` moves the pin. A source tree that was never installed
    has no version to pin, and gets the bare name.
    """
    try:
        return f"{TOOL}=={version(TOOL)}"
    except PackageNotFoundError:
        return TOOL


_HANDLE = re.compile(r"^(@[A-Za-z0-9][A-Za-z0-9-]*(/[A-Za-z0-9._-]+)?|[^@\s]+@[^@\s]+\.[^@\s]+)$")


def build_context(spec: ProjectSpec) -> dict[str, Any]:
    """Compute the template context for a spec (plain JSON-able data)."""
    catalog = load_catalog()
    kind: KindName = next(k for k in KINDS if k == spec.kind)
    regimes = [str(r) for r in spec.regulatory.regimes]
    tier = spec.regulatory.eu_ai_act_risk
    high_risk = tier == "high"
    boundary = spec.operating_boundary
    monitoring = spec.monitoring
    users = [u.model_dump(mode="json") for u in spec.users]
    scope = Scope(tuple(regimes), kind, str(tier) if tier else None, talks_to_people(kind, users))

    features = catalog.features(scope)
    wants_kill_switch = high_risk or bool(boundary and boundary.requires_approval)
    if wants_kill_switch and Feature.KILL_SWITCH not in features:
        features = [a.value for a in catalog.artifacts if a in {*features, Feature.KILL_SWITCH}]

    package = spec.package
    controls = []
    for row in catalog.control_rows(scope):
        evidence = catalog.artifacts[Feature(row.artifact)].evidence(kind)
        controls.append(
            {
                "regime": row.regime,
                "regime_short": row.regime_title,
                "id": row.control,
                "title": row.title,
                "citation": row.citation,
                "unsure": row.unsure,
                "artifact": row.artifact,
                "artifact_title": row.artifact_title,
                "file": evidence.file.format(package=package),
                "test": evidence.test.format(package=package),
            }
        )
    artifacts = {
        name: {
            "title": catalog.artifacts[Feature(name)].title_for(kind),
            "file": catalog.artifacts[Feature(name)].evidence(kind).file.format(package=package),
            "test": catalog.artifacts[Feature(name)].evidence(kind).test.format(package=package),
        }
        for name in features
    }
    floor = _retention_floor(regimes, str(tier) if tier else None)
    availability_pct = (monitoring and monitoring.availability_pct) or DEFAULT_AVAILABILITY_PCT
    roles = [u.role for u in spec.users]
    admin_role = ADMIN_ROLE if ADMIN_ROLE not in roles else f"{spec.name}-{ADMIN_ROLE}"
    return {
        "context_version": CONTEXT_VERSION,
        "tool_requirement": tool_requirement(),
        "spec": spec_data(spec),
        "fields": field_guide(spec),
        "name": spec.name,
        "package": package,
        "kind": kind,
        "roles": roles,
        "role_identifiers": {r: slug_to_identifier(r) for r in roles},
        "admin_role": admin_role,
        "permissions": role_permissions(spec, admin_role),
        "regimes": [
            {
                "id": rid,
                "title": catalog.regimes[rid].title,
                "short": catalog.regimes[rid].short,
                "jurisdiction": catalog.regimes[rid].jurisdiction,
                "binding": catalog.regimes[rid].binding,
                "unsure": catalog.regimes[rid].unsure,
                "note": catalog.regimes[rid].note,
            }
            for rid in catalog.regimes
            if rid in regimes
        ],
        "high_risk": high_risk,
        "features": features,
        "artifacts": artifacts,
        "controls": controls,
        "criteria": [
            {
                "id": c.id,
                "test_name": f"test_{slug_to_identifier(c.id)}",
                "layer": c.layer,
                "metric": c.metric,
            }
            for c in spec.acceptance_criteria
        ],
        "review_threshold": (
            boundary.review_below_confidence
            if boundary and boundary.review_below_confidence is not None
            else DEFAULT_REVIEW_THRESHOLD
        ),
        "retention_days": spec.regulatory.retention_days or max(floor, DEFAULT_RETENTION_DAYS),
        "retention_floor_days": floor,
        "slo": {
            "latency_p95_ms": (monitoring and monitoring.latency_p95_ms) or DEFAULT_LATENCY_P95_MS,
            "availability_pct": availability_pct,
        },
        "drift": {
            "features": list(monitoring.drift_features) if monitoring else [],
            "threshold": (monitoring and monitoring.drift_threshold) or DEFAULT_DRIFT_THRESHOLD,
        },
        "budget_monthly_usd": spec.budget.monthly_usd if spec.budget else None,
        "contract": contract(spec),
        "reference_sample": reference_sample(
            list(spec.inputs or []),
            list(monitoring.drift_features) if monitoring else [],
            seed=zlib.crc32(spec.name.encode("utf-8")),
        ),
        "codeowners": _owner_handles(spec),
        "pipeline": pipeline_context(spec) if kind == "pipeline" else None,
        "deploy": deploy_context(availability_pct),
        **_genai(spec),
    }


def _genai(spec: ProjectSpec) -> dict[str, Any]:
    """The ``genai`` section as a top-level key, for assistants and agents only.

    The GenAI runtime reads it from ``project.json`` (templates/genai/DEPENDENCIES.md); other
    kinds get no key, so their answers files stay as they were.
    """
    if spec.genai is None:
        return {}
    return {"genai": spec.genai.model_dump(mode="json")}


ADMIN_PERMISSIONS = ("read", "audit", "operate")
"""The built-in admin role runs the service (kill switch, audit log); it decides nothing."""


def role_permissions(spec: ProjectSpec, admin_role: str) -> dict[str, list[str]]:
    """What each role may do: ``users[].can`` of the spec, and the admin role's duties."""
    table = {user.role: [str(p) for p in user.can] for user in spec.users}
    table[admin_role] = list(ADMIN_PERMISSIONS)
    return table


def contract(spec: ProjectSpec) -> dict[str, Any]:
    """The typed data contract: the spec's inputs, and its version (a hash of them).

    The version is recorded with every decision and audit record, so a reviewer can tell
    which contract a decision was made under. Without inputs the contract is empty and
    requests are checked as before (the drift features are required numbers).
    """
    inputs = [item.model_dump(mode="json") for item in spec.inputs or []]
    canonical = json.dumps(inputs, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return {
        "version": "c-" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:12],
        "typed": spec.inputs is not None,
        "inputs": inputs,
    }


def field_guide(spec: ProjectSpec) -> list[dict[str, Any]]:
    """The spec's sections and fields as documents walk them, read from the model's ``Doc``.

    ``docs/spec.md`` shows every field through this (the values come from ``spec``), so a
    field added to the model appears there without naming it in a template. A field only
    some kinds use (the service levels) is marked ``applies: false`` for the others.
    """
    model = type(spec)
    data = spec.model_dump(mode="json")
    return [
        {
            "key": section.key,
            "title": section.title,
            "fields": [_guide(s, data) for s in fields_of(model) if s.key in section.keys],
        }
        for section in sections(model)
        if section.asked
    ]


def _guide(spot: Spot, data: dict[str, Any]) -> dict[str, Any]:
    """One field for documents: its label, where it shows, its default, its own fields.

    Beyond its key, label, placement and form, only what differs from the usual is
    recorded (so the answers file stays small); templates read the rest with ``default``.
    """
    doc, when = spot.doc, spot.doc.when
    guide: dict[str, Any] = {
        "key": spot.key,
        "label": doc.label,
        "show": spot.show,
        "form": spot.form,
    }
    if doc.default is not None:
        guide["default"] = doc.default
    if doc.null:
        guide["null"] = doc.null
    if when is not None and when.root and not when.holds(Answers(data, data)):
        guide["applies"] = False
    if spot.model is not None:
        guide["fields"] = [_guide(s, data) for s in children(spot)]
        if doc.layout != "table":
            guide["layout"] = doc.layout
        if doc.group_by:
            guide["group_by"] = doc.group_by
            by = next(s for s in children(spot) if s.key == doc.group_by)
            guide["group_order"] = list(by.values)
        if spot.id_key:
            guide["id_key"] = spot.id_key
    return guide


def spec_data(spec: ProjectSpec) -> dict[str, Any]:
    """The spec as JSON-able data in which an absent optional list is an empty list.

    Templates and generated code loop over lists; ``data_dependencies: null`` or a missing
    section must give an empty loop, never "'NoneType' object is not iterable".
    """
    data: dict[str, Any] = spec.model_dump(mode="json")
    for name, info in type(spec).model_fields.items():
        if data.get(name) is None and any(get_origin(a) is list for a in get_args(info.annotation)):
            data[name] = []
    return data


def _retention_floor(regimes: list[str], tier: str | None) -> int:
    from generator.catalog import minimum_retention

    floor = minimum_retention(regimes, tier)
    return floor.days if floor else 0


def _owner_handles(spec: ProjectSpec) -> list[str]:
    """Owners that CODEOWNERS can use as they are (@user, @org/team or an e-mail)."""
    handles: list[str] = []
    for owner in (spec.owners.technical, spec.owners.operations, spec.owners.business):
        if _HANDLE.match(owner) and owner not in handles:
            handles.append(owner)
    return handles
