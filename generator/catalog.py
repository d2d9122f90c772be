"""The regulatory catalogue: regimes, their controls and the artifacts that evidence them.

The facts live in ``data/catalog.yaml``; this module validates them when they are loaded,
so templates and the review can trust every reference.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any, Literal, Self

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from generator.errors import CatalogError
from generator.spec import RETENTION_FLOORS, RegimeId, RetentionFloor, minimum_retention

REGIME_IDS: tuple[str, ...] = tuple(regime.value for regime in RegimeId)
"""Every regime id a spec may list, in the order the catalogue presents them (the spec's
``RegimeId`` is the one list; the catalogue must hold exactly these, in this order)."""

CATALOG_PATH = Path(__file__).parent / "data" / "catalog.yaml"

KindName = Literal["service", "pipeline", "assistant", "agent"]
"""The kinds of system a spec describes (``Kind`` of the spec)."""
KINDS: tuple[KindName, ...] = ("service", "pipeline", "assistant", "agent")
TierName = Literal["minimal", "limited", "high"]
TIERS: tuple[TierName, ...] = ("minimal", "limited", "high")
GENAI_TEMPLATE_KINDS: tuple[KindName, ...] = ("assistant", "agent")
"""The kinds rendered from ``templates/genai/``: their evidence is the artifacts' ``genai``."""

__all__ = [
    "CATALOG_PATH",
    "GENAI_TEMPLATE_KINDS",
    "KINDS",
    "REGIME_IDS",
    "RETENTION_FLOORS",
    "TIERS",
    "Artifact",
    "Catalog",
    "Control",
    "ControlInScope",
    "Evidence",
    "Feature",
    "KindName",
    "Regime",
    "Retention",
    "RetentionFloor",
    "Scope",
    "TierName",
    "load_catalog",
    "minimum_retention",
    "talks_to_people",
]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Evidence(_Frozen):
    """Where a generated repo of one kind implements an artifact, and the test that checks it."""

    file: str = Field(min_length=1)
    test: str = Field(min_length=1)
    title: str | None = None
    """What the artifact is in this kind, where it differs from the artifact's title."""


class Feature(StrEnum):
    """What a generated repository can contain to evidence controls: the catalogue's artifacts.

    The one list of feature names: the catalogue's ``artifacts`` must be exactly these, the
    render context lists the ones in scope as ``project.features``, and the templates test
    them by these names (a test checks every name a template uses).
    """

    ACCESS_CONTROL = "access-control"
    AUDIT_LOG = "audit-log"
    RETENTION = "retention"
    MONITORING = "monitoring"
    DRIFT_CHECK = "drift-check"
    ALERT_RULES = "alert-rules"
    HUMAN_OVERSIGHT = "human-oversight"
    KILL_SWITCH = "kill-switch"
    TRACEABILITY = "traceability"
    CHANGE_CONTROL = "change-control"
    DEPENDENCY_AUDIT = "dependency-audit"
    DATA_CONTRACT = "data-contract"
    EVALUATION_GATE = "evaluation-gate"
    LINEAGE = "lineage"
    HEALTH_DATA_ACCESS_AUDIT = "health-data-access-audit"
    E_SIGNATURE = "e-signature"
    CONTEST_PATH = "contest-path"
    PSEUDONYMISATION = "pseudonymisation"
    MODEL_CARD = "model-card"
    RUNBOOK = "runbook"
    RISK_REGISTER = "risk-register"
    TECHNICAL_DOCUMENTATION = "technical-documentation"
    INSTRUCTIONS_FOR_USE = "instructions-for-use"
    POST_MARKET_MONITORING = "post-market-monitoring"
    DPIA = "dpia"
    ROPA = "ropa"
    AI_POLICY = "ai-policy"
    MODEL_INVENTORY = "model-inventory"
    VALIDATION_REPORT = "validation-report"
    IMPACT_ASSESSMENT = "impact-assessment"
    DATASHEET = "datasheet"
    CLIENT_DISCLOSURE = "client-disclosure"
    ACCESS_REVIEW = "access-review"
    AI_DISCLOSURE = "ai-disclosure"
    OUTPUT_MARKING = "output-marking"
    PROMPT_INJECTION_DEFENCE = "prompt-injection-defence"
    OUTPUT_GUARD = "output-guard"
    SYSTEM_PROMPT_PROTECTION = "system-prompt-protection"
    TOOL_APPROVAL = "tool-approval"
    TOOL_REGISTRY = "tool-registry"
    USAGE_LIMITS = "usage-limits"
    PROMPT_VERSIONING = "prompt-versioning"
    GROUNDED_ANSWERS = "grounded-answers"
    KNOWLEDGE_INGESTION = "knowledge-ingestion"
    KNOWLEDGE_RETRIEVAL = "knowledge-retrieval"
    MODEL_GATEWAY = "model-gateway"
    LLM_RISK_MATRIX = "llm-risk-matrix"


class Artifact(_Frozen):
    """Something a generated repo contains that evidences one or more controls."""

    title: str
    always: bool = False
    service: Evidence | None = None
    pipeline: Evidence | None = None
    genai: Evidence | None = None
    """The evidence in ``templates/genai/``, which assistants and agents both render from."""

    def has(self, kind: str) -> bool:
        """Whether a repository of ``kind`` has this artifact at all."""
        return self._entry(kind) is not None

    def evidence(self, kind: str) -> Evidence:
        """Return the evidence for one kind of repository.

        Raises:
            KeyError: the kind has no such artifact (the catalogue's checks rule it out for
                every control in scope).
        """
        entry = self._entry(kind)
        if entry is None:
            raise KeyError(f"{kind} repositories have no {self.title}")
        return entry

    def title_for(self, kind: str) -> str:
        """The artifact's title as a repository of ``kind`` evidences it."""
        entry = self._entry(kind)
        return (entry.title if entry is not None else None) or self.title

    def _entry(self, kind: str) -> Evidence | None:
        if kind in GENAI_TEMPLATE_KINDS:
            return self.genai
        return self.service if kind == "service" else self.pipeline if kind == "pipeline" else None


class Control(_Frozen):
    """One requirement of a regime, and where it applies."""

    id: str
    title: str
    citation: str
    artifact: Feature
    unsure: bool = False
    kinds: tuple[KindName, ...] = KINDS
    """The kinds of system it applies to."""
    tiers: tuple[TierName, ...] = TIERS
    """The EU AI Act risk tiers it applies at (every tier unless said)."""
    people: bool = False
    """It applies only to a system that talks to people (``talks_to_people``)."""

    def applies(self, scope: Scope) -> bool:
        """Whether the control binds a system of this scope.

        An unknown tier (a draft without one) counts as every tier, so a draft is shown the
        most a listed regime can bring.
        """
        return (
            scope.kind in self.kinds
            and (scope.tier is None or scope.tier in self.tiers)
            and (scope.people or not self.people)
        )


class Retention(_Frozen):
    """The minimum time a regime implies for audit and event records."""

    days: int = Field(gt=0)
    citation: str
    unsure: bool = False
    tiers: tuple[TierName, ...] = ()
    """The EU AI Act risk tiers it binds at (none: whatever the tier)."""


class Regime(_Frozen):
    """A regulatory regime or framework a spec can list."""

    title: str
    short: str
    jurisdiction: str
    binding: bool
    summary: str
    unsure: bool = False
    note: str | None = None
    retention: Retention | None = None
    kinds: tuple[KindName, ...] = KINDS
    """The kinds of system it applies to (the GenAI ones for the LLM catalogues)."""
    controls: list[Control] = Field(min_length=1)


@dataclass(frozen=True)
class Scope:
    """What decides the controls a spec brings in: its regimes, kind, risk tier and users."""

    regimes: tuple[str, ...]
    kind: str = "service"
    tier: str | None = None
    """The EU AI Act risk tier (None: not given)."""
    people: bool = False
    """Whether the system talks to people (``talks_to_people``)."""

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> Scope:
        """The scope of spec data, read defensively (a draft may hold anything)."""
        regulatory = data.get("regulatory")
        regulatory = regulatory if isinstance(regulatory, Mapping) else {}
        regimes = regulatory.get("regimes")
        tier = regulatory.get("eu_ai_act_risk")
        kind = data.get("kind")
        kind = kind if isinstance(kind, str) and kind in KINDS else "service"
        return cls(
            regimes=tuple(r for r in regimes if isinstance(r, str))
            if isinstance(regimes, list)
            else (),
            kind=kind,
            tier=tier if isinstance(tier, str) and tier in TIERS else None,
            people=talks_to_people(kind, data.get("users")),
        )


def talks_to_people(kind: str, users: Any) -> bool:
    """Whether a system interacts directly with people (EU AI Act Art. 50(1)).

    An assistant converses, so always; a pipeline runs unattended, so never. A service or
    an agent does when some role may both request and read: people ask and read the
    answer, while an event source that starts runs (an alert webhook) only requests. A
    role without ``can`` may request and read.
    """
    if kind == "assistant":
        return True
    if kind == "pipeline":
        return False
    for user in users if isinstance(users, list) else []:
        if not isinstance(user, Mapping):
            continue
        can = user.get("can", ["request", "read"])
        if isinstance(can, list) and {"request", "read"} <= set(can):
            return True
    return False


class Catalog(_Frozen):
    """The whole catalogue, checked for dangling references when loaded."""

    artifacts: dict[Feature, Artifact]
    regimes: dict[str, Regime]

    @model_validator(mode="after")
    def _check(self) -> Self:
        if set(self.artifacts) != set(Feature):
            missing = sorted(set(Feature) - set(self.artifacts))
            raise ValueError(f"artifacts must describe every Feature; missing: {missing}")
        if tuple(self.regimes) != REGIME_IDS:
            raise ValueError(f"regimes must be exactly, in order: {', '.join(REGIME_IDS)}")
        for name, artifact in self.artifacts.items():
            absent = [k for k in KINDS if not artifact.has(k)]
            if artifact.always and absent:
                raise ValueError(f"{name} is always generated but has no evidence for {absent}")
        for regime_id, regime in self.regimes.items():
            seen: set[str] = set()
            for control in regime.controls:
                if control.artifact not in self.artifacts:
                    raise ValueError(
                        f"{regime_id} control {control.id} names unknown artifact "
                        f"{control.artifact}"
                    )
                if control.id in seen:
                    raise ValueError(f"{regime_id} lists control {control.id} twice")
                seen.add(control.id)
                artifact = self.artifacts[control.artifact]
                for kind in set(control.kinds) & set(regime.kinds):
                    if not artifact.has(kind):
                        raise ValueError(
                            f"{regime_id} control {control.id} applies to {kind}, but its "
                            f"artifact {control.artifact} has no {kind} evidence"
                        )
        return self

    def controls_in_scope(self, scope: Scope) -> list[tuple[str, Control]]:
        """Return (regime id, control) for each control binding the scope, catalogue order."""
        wanted = set(scope.regimes)
        return [
            (rid, control)
            for rid, regime in self.regimes.items()
            if rid in wanted and scope.kind in regime.kinds
            for control in regime.controls
            if control.applies(scope)
        ]

    def control_rows(self, scope: Scope) -> list[ControlInScope]:
        """Each control the scope brings in, with the artifact that evidences it.

        Unknown regime ids are ignored (a draft spec may hold them; validation reports them).
        """
        return [
            ControlInScope(
                regime=regime_id,
                regime_title=self.regimes[regime_id].short,
                control=control.id,
                title=control.title,
                citation=control.citation,
                artifact=control.artifact.value,
                artifact_title=self.artifacts[control.artifact].title_for(scope.kind),
                unsure=control.unsure,
            )
            for regime_id, control in self.controls_in_scope(scope)
        ]

    def features(self, scope: Scope) -> list[str]:
        """Return the artifact ids a repo must contain: those always present and those in scope."""
        wanted: set[Feature] = {name for name, a in self.artifacts.items() if a.always}
        wanted |= {c.artifact for _, c in self.controls_in_scope(scope)}
        return [name.value for name in self.artifacts if name in wanted]


@dataclass(frozen=True)
class ControlInScope:
    """A control a spec's regimes bring in: the one shape the review and the render use."""

    regime: str
    regime_title: str
    """The regime's short name, such as "EU AI Act"."""
    control: str
    title: str
    citation: str
    artifact: str
    artifact_title: str
    unsure: bool = False


@cache
def load_catalog(path: Path = CATALOG_PATH) -> Catalog:
    """Load and validate the catalogue (once per process).

    Raises:
        CatalogError: the data file is missing or does not satisfy the model.
    """
    try:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)  # a safe loader
        return Catalog.model_validate(data)
    except (OSError, yaml.YAMLError, ValidationError) as err:
        raise CatalogError(f"{path}: the regulatory catalogue is broken: {err}") from err
