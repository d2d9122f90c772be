"""The project's spec and the values derived from it, read from package data at run time.

``project.json`` is rendered from ``spec.yaml`` by new-ai-project. Spec text is data: code
reads titles and descriptions from here and never embeds them.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any


@cache
def project() -> dict[str, Any]:
    """Return the whole render context (``spec`` holds spec.yaml as data)."""
    text = resources.files(__package__).joinpath("project.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def spec() -> dict[str, Any]:
    """Return spec.yaml as data."""
    value: dict[str, Any] = project()["spec"]
    return value


def name() -> str:
    """Return the project's name (a validated slug)."""
    return str(project()["name"])


def kind() -> str:
    """Return ``service`` or ``pipeline``."""
    return str(project()["kind"])


def package() -> str:
    """Return the Python package's name (also the prefix of metric names)."""
    return str(project()["package"])


def env_prefix() -> str:
    """Return the prefix of this project's environment variables, such as ``CLAIMS_TRIAGE_``."""
    return package().upper() + "_"


def roles() -> tuple[str, ...]:
    """Return the roles of the spec's users."""
    return tuple(str(role) for role in project()["roles"])


def admin_role() -> str:
    """Return the administrator role (kill switch, operations)."""
    return str(project()["admin_role"])


def permissions(role: str) -> frozenset[str]:
    """Return what ``role`` may do, from ``users[].can`` in spec.yaml (unknown roles: nothing).

    The permissions are ``request``, ``read``, ``review``, ``contest``, ``sign``, ``audit``
    and ``operate``; the built-in admin role holds ``operate``, ``audit`` and ``read``.
    """
    return frozenset(str(p) for p in project()["permissions"].get(role, ()))


def allowed(role: str, permission: str) -> bool:
    """Tell whether ``role`` holds ``permission``; deny by default."""
    return permission in permissions(role)


def roles_with(permission: str) -> tuple[str, ...]:
    """Return the roles holding ``permission``, in the order of spec.yaml (admin last)."""
    return tuple(role for role in (*roles(), admin_role()) if allowed(role, permission))


def has_feature(feature: str) -> bool:
    """Tell whether a catalogue artifact (e.g. ``contest-path``) is in scope for this spec."""
    return feature in project()["features"]


def review_threshold() -> float:
    """Return the confidence below which a human decides."""
    return float(project()["review_threshold"])


def retention_days() -> int:
    """Return how many days audit records are kept."""
    return int(project()["retention_days"])


def drift_features() -> tuple[str, ...]:
    """Return the input features watched for drift."""
    return tuple(str(f) for f in project()["drift"]["features"])


def drift_threshold() -> float:
    """Return the population stability index that raises a drift alert."""
    return float(project()["drift"]["threshold"])


def budget_monthly_usd() -> float | None:
    """Return the monthly compute and model-usage ceiling, if the spec sets one."""
    value = project()["budget_monthly_usd"]
    return None if value is None else float(value)


def pipeline() -> dict[str, Any]:
    """Return the pipeline's configuration: task, gate, contract fields, holdout, sample."""
    value: dict[str, Any] = project()["pipeline"] or {}
    return value


def metric(metric_id: str) -> dict[str, Any]:
    """Return a success metric of the spec by id.

    Raises:
        KeyError: the spec has no such metric.
    """
    for item in spec()["success_metrics"]:
        if item["id"] == metric_id:
            found: dict[str, Any] = item
            return found
    raise KeyError(metric_id)


def contract() -> dict[str, Any]:
    """Return the typed data contract: ``typed``, ``version`` and the spec's ``inputs``."""
    value: dict[str, Any] = project()["contract"]
    return value


def contract_version() -> str:
    """Return the contract's version (a hash of spec.yaml's inputs), kept with each decision."""
    return str(contract()["version"])


def personal_inputs() -> frozenset[str]:
    """Return the names of inputs that identify or describe a person."""
    return frozenset(str(i["name"]) for i in contract()["inputs"] if i.get("personal"))


def criterion(criterion_id: str) -> dict[str, Any]:
    """Return an acceptance criterion of the spec by id."""
    for item in spec()["acceptance_criteria"]:
        if item["id"] == criterion_id:
            found: dict[str, Any] = item
            return found
    raise KeyError(criterion_id)


def criterion_text(criterion_id: str) -> str:
    """Return a criterion as one sentence: given ..., when ..., then ...."""
    item = criterion(criterion_id)
    return f"{criterion_id}: given {item['given']}, when {item['when']}, then {item['then']}"
