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
from collections.abc import Mapping, Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import Any, get_args, get_origin

import yaml

from generator.catalog import (
    KINDS,
    Feature,
    KindName,
    Scope,
    load_catalog,
    talks_to_people,
)
from generator.render.deploy import deploy_context, reach_context
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


_EXOTIC = re.compile(
    "[^\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)
"""Any character outside newline and the printable ranges PyYAML writes as they are."""

_HANDLE = re.compile(r"^(@[A-Za-z0-9][A-Za-z0-9-]*(/[A-Za-z0-9._-]+)?|[^@\s]+@[^@\s]+\.[^@\s]+)$")


def build_context(
    spec: ProjectSpec, *, blockers: Sequence[Mapping[str, str]] = ()
) -> dict[str, Any]:
    """Compute the template context for a spec, exactly as ``.copier-answers.yml`` gives it back.

    Copier's update renders the version a project was made from with the answers read back
    from ``.copier-answers.yml``, and compares that with the project to find the team's
    edits. So the first render, every update and that re-render must see the same data:
    this is the one place that makes it so (see ``as_recorded``).

    ``blockers`` are the review's blocking findings of a spec rendered with ``--draft``
    (rule, path, message): the repository's CI gets a readiness job that fails until the
    spec has none.
    """
    return as_recorded(_compute_context(spec, blockers))


def as_recorded(context: dict[str, Any]) -> dict[str, Any]:
    """Return ``context`` as the answers file records it and Copier reads it back.

    The answers file is written by the templates' ``{{ _copier_answers|to_nice_yaml }}``
    (``yaml.dump`` with these arguments, which sorts every mapping's keys) and read back by
    Copier with ``yaml.safe_load``. The same round trip here gives the first render the data
    every later re-render gets: same keys in the same (sorted) order, same values.
    """
    plain = json.loads(json.dumps(context, ensure_ascii=False))  # tuples, str subclasses
    if not _exotic(plain):
        # Text of newlines and printable characters only comes back from PyYAML's round trip
        # as it went in (a string that would read as another type is quoted), and numbers,
        # booleans and nulls too: only the mappings change, sorted by key. Writing and
        # reading the text was most of a render's YAML work, and every hand-written spec is
        # such text. tests/unit/test_recorded.py compares this with the round trip.
        fast: dict[str, Any] = _sorted(plain)
        return fast
    text = yaml.dump(plain, indent=4, allow_unicode=True, default_flow_style=False)
    # NEL, line and paragraph separators, a BOM, CR, TAB or a control character: the text
    # is read back by PyYAML's own parser, as Copier reads it
    recorded: dict[str, Any] = yaml.load(text, Loader=yaml.SafeLoader)
    return recorded


def _exotic(value: object) -> bool:
    """Whether any string in ``value`` (keys included) holds a character :data:`_EXOTIC` names."""
    if isinstance(value, str):
        return _EXOTIC.search(value) is not None
    if isinstance(value, dict):
        return any(_exotic(k) or _exotic(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_exotic(v) for v in value)
    return False


def _sorted(value: Any) -> Any:
    """``value`` with every mapping's keys sorted, as ``yaml.dump`` writes them."""
    if isinstance(value, dict):
        return {k: _sorted(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted(v) for v in value]
    return value


def in_render_order(recorded: dict[str, Any]) -> dict[str, Any]:
    """Return a recorded ``project`` answer with its mappings in the order they were computed.

    Template versions up to 0.4.0 looped over the keys of ``artifacts`` (and 0.4.0 over
    ``permissions``), and those versions were first rendered with the context in the order
    it was computed, while the answers file records every mapping sorted. Rendering such a
    version again from its answers file would reorder table rows, and Copier's update would
    take that for an edit by the team (a conflict wherever the new version adds a row).
    The order is recoverable from lists recorded beside them: artifacts follow
    ``features`` (catalogue order), roles follow ``roles`` (spec order) with the admin role
    last, reference samples follow the drift features. Keys a list does not name keep
    their recorded order after the named ones; anything not a mapping is returned as it is.
    """
    project = dict(recorded)
    roles = _strings(project.get("roles"))
    admin = project.get("admin_role")
    drift = project.get("drift")
    orders = {
        "artifacts": _strings(project.get("features")),
        "permissions": [*roles, *([admin] if isinstance(admin, str) else [])],
        "role_identifiers": roles,
        "reference_sample": _strings(drift.get("features") if isinstance(drift, dict) else None),
    }
    for key, order in orders.items():
        value = project.get(key)
        if isinstance(value, dict):
            first = [k for k in order if k in value]
            project[key] = {k: value[k] for k in [*first, *(k for k in value if k not in first)]}
    return project


def _strings(value: object) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def _compute_context(spec: ProjectSpec, blockers: Sequence[Mapping[str, str]]) -> dict[str, Any]:
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
        "blockers": [dict(b) for b in blockers],
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

    The GenAI runtime reads it from ``project.json`` (its ``config.py``); other
    kinds get no key, so their answers files stay as they were. ``reach`` is what the
    tools connect to, as ``deploy/`` opens and grants it (``reach_context``).
    """
    if spec.genai is None:
        return {}
    return {"genai": spec.genai.model_dump(mode="json"), "reach": reach_context(spec.genai)}


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
        if _HANDLE.fullmatch(owner) and owner not in handles:
            handles.append(owner)
    return handles
