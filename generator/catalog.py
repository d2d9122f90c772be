"""The regulatory catalogue: regimes, their controls and the artifacts that evidence them.

The facts live in ``data/catalog.yaml``; this module validates them when they are loaded,
so templates and the review can trust every reference.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Literal, Self

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from generator.errors import CatalogError
from generator.spec import RETENTION_FLOORS, RegimeId, RetentionFloor, minimum_retention

REGIME_IDS: tuple[str, ...] = tuple(regime.value for regime in RegimeId)
"""Every regime id a spec may list, in the order the catalogue presents them (the spec's
``RegimeId`` is the one list; the catalogue must hold exactly these, in this order)."""

CATALOG_PATH = Path(__file__).parent / "data" / "catalog.yaml"

KindName = Literal["service", "pipeline"]

__all__ = [
    "CATALOG_PATH",
    "REGIME_IDS",
    "RETENTION_FLOORS",
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
    "load_catalog",
    "minimum_retention",
]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Evidence(_Frozen):
    """Where a generated repo of one kind implements an artifact, and the test that checks it."""

    file: str = Field(min_length=1)
    test: str = Field(min_length=1)


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


class Artifact(_Frozen):
    """Something a generated repo contains that evidences one or more controls."""

    title: str
    always: bool = False
    service: Evidence
    pipeline: Evidence

    def evidence(self, kind: KindName) -> Evidence:
        """Return the evidence for one kind of repository."""
        return self.service if kind == "service" else self.pipeline


class Control(_Frozen):
    """One requirement of a regime."""

    id: str
    title: str
    citation: str
    artifact: Feature
    unsure: bool = False


class Retention(_Frozen):
    """The minimum time a regime implies for audit and event records."""

    days: int = Field(gt=0)
    citation: str
    unsure: bool = False


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
    controls: list[Control] = Field(min_length=1)


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
        return self

    def controls_in_scope(self, regimes: Iterable[str]) -> list[tuple[str, Control]]:
        """Return (regime id, control) for each control of the listed regimes, catalogue order."""
        wanted = set(regimes)
        return [
            (rid, c) for rid in self.regimes if rid in wanted for c in self.regimes[rid].controls
        ]

    def control_rows(self, regimes: Iterable[str]) -> list[ControlInScope]:
        """Each control the listed regimes bring in, with the artifact that evidences it.

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
                artifact_title=self.artifacts[control.artifact].title,
                unsure=control.unsure,
            )
            for regime_id, control in self.controls_in_scope(regimes)
        ]

    def features(self, regimes: list[str]) -> list[str]:
        """Return the artifact ids a repo must contain: those always present and those in scope."""
        wanted: set[Feature] = {name for name, a in self.artifacts.items() if a.always}
        wanted |= {c.artifact for _, c in self.controls_in_scope(regimes)}
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
