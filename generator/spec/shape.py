"""The spec's shape, described once: its sections in order and what each is called.

The model (``model.py``) holds the fields and their rules; this table says how people meet
them: the order of the sections, their titles, the line the interview opens each with, the
comment written above each in a spec file, the field that identifies a list's entries, how
an entry is named, which lists are written on one line, the labels reports use and the
defaults the templates fall back on. The interview, the writer, the review, the diff and
the uniqueness checks all read it.

Adding an optional field to a section means adding it to the model (with a description)
and, where people should see it under another name than its description, a label here.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Section:
    """One part of the spec as people meet it (in the interview, the file and reports)."""

    key: str
    """The top-level key; ``about`` groups the identity fields, which have none."""
    title: str
    intro: str
    """One line on why the interview asks it."""
    comment: str
    """Written above the section in a spec file."""
    fields: tuple[str, ...] = ()
    """For ``about`` and ``schema_version``: the top-level keys it holds, in asking order."""
    id_key: str | None = None
    """For a list of entries: the field that must be unique among them."""
    id_label: str = ""
    """What that field is called in the message about a repeated one."""
    entry: str = ""
    """How one entry is named, a format string over its fields (missing ones show '?')."""
    optional: bool = False
    asked: bool = True

    @property
    def keys(self) -> tuple[str, ...]:
        """The top-level keys of the spec this section holds."""
        return self.fields or (self.key,)

    def name_entry(self, entry: Mapping[str, Any]) -> str:
        """Name one entry of a list section, such as ``User role adjuster``."""
        return string.Formatter().vformat(self.entry, (), _Shown(entry))


class _Shown(dict[str, Any]):
    """Entry fields for naming; a missing one shows as '?'."""

    def __init__(self, entry: Mapping[str, Any]) -> None:
        super().__init__({k: v for k, v in entry.items() if v is not None})

    def __missing__(self, key: str) -> str:
        return "?"


SECTIONS: tuple[Section, ...] = (
    Section(
        "schema_version",
        "Spec format",
        "",
        "Spec format version; tools refuse versions they do not know.",
        fields=("schema_version",),
        asked=False,
    ),
    Section(
        "about",
        "The project",
        "A few words on what we are building.",
        "Identity: the slug names the repository and its Python package; kind is "
        "service (an HTTP API) or pipeline (a batch job).",
        fields=("title", "kind", "name", "summary"),
    ),
    Section(
        "business_goal",
        "Business goal",
        "Why does it exist? Use the words of those affected.",
        "Why the project exists, in the words of the people who have the problem.",
    ),
    Section(
        "owners",
        "Owners",
        "Who is accountable once it runs?",
        "Who is accountable: for the outcome, for the code, and who is paged.",
    ),
    Section(
        "users",
        "Users",
        "Who will use it? Each role becomes an access role in the code.",
        "Who uses it and what they need; each role becomes an auth role.",
        id_key="role",
        id_label="role",
        entry="User role {role}",
    ),
    Section(
        "success_metrics",
        "Success metrics",
        "How will we know it works? Measurable numbers.",
        "The numbers that say whether it works; acceptance criteria refer to their ids.",
        id_key="id",
        id_label="metric id",
        entry="Metric {id} {name}",
    ),
    Section(
        "regulatory",
        "Regulatory scope",
        "The rules decide the controls the repository carries.",
        "Regulatory scope: regimes decide which controls and documents the repository carries.",
    ),
    Section(
        "acceptance_criteria",
        "Acceptance criteria",
        "When is it done? Each becomes a test.",
        "Conditions of done; each becomes a test traced by its id.",
        id_key="id",
        id_label="criterion id",
        entry="Criterion {id}: then {then}",
    ),
    Section(
        "operating_boundary",
        "Operating boundary",
        "Where should a human decide instead?",
        "Where a human decides instead of the system.",
        optional=True,
    ),
    Section(
        "data_dependencies",
        "Data dependencies",
        "Which upstream data does it rely on?",
        "Upstream data and integrations, with their owners and contracts.",
        id_key="name",
        id_label="name",
        entry="Dependency {name}",
        optional=True,
    ),
    Section(
        "inputs",
        "Inputs",
        "What the model reads, typed: the data contract every boundary enforces.",
        "The typed data contract of the model's inputs: enforced by the service's request "
        "schema and the pipeline's contract; drift features name inputs.",
        id_key="name",
        id_label="input name",
        entry="Input {name} ({type})",
        optional=True,
    ),
    Section(
        "monitoring",
        "Monitoring",
        "Service levels and drift alerts.",
        "Service levels and drift alerts.",
        optional=True,
    ),
    Section(
        "budget",
        "Budget",
        "A monthly cost ceiling.",
        "The monthly cost ceiling for compute and model usage.",
        optional=True,
    ),
)
"""The sections in the order of ``spec-example.yaml``: the interview asks them in this
order and spec files present them in it."""

FLOW_LISTS = frozenset({"regimes", "data_classes", "drift_features", "can", "values"})
"""Lists of short ids, written on one line as in the example: ``[eu-ai-act, gdpr]``."""

UNIQUE_ITEMS: dict[str, str] = {
    "regimes": "regime",
    "data_classes": "data class",
    "drift_features": "drift feature",
    "can": "permission",
}
"""Lists of plain values whose items must not repeat, and what an item is called."""

LABELS: dict[str, str] = {
    "business_goal.problem": "Problem",
    "business_goal.outcome": "Outcome",
    "business_goal.value": "Value",
    "regulatory.eu_ai_act_risk": "EU AI Act risk tier",
    "regulatory.data_classes": "Data classes",
    "regulatory.retention_days": "Retention (days)",
    "monitoring.latency_p95_ms": "p95 latency (ms)",
    "monitoring.availability_pct": "Availability (%)",
    "monitoring.drift_features": "Drift features",
    "monitoring.drift_threshold": "Drift threshold (PSI)",
    "budget.monthly_usd": "Monthly budget (USD)",
}
"""How reports name a field, where its key would read poorly."""

DEFAULTS: dict[str, float | int] = {
    "operating_boundary.review_below_confidence": 0.7,
    "regulatory.retention_days": 365,
    "monitoring.latency_p95_ms": 1000.0,
    "monitoring.availability_pct": 99.0,
    "monitoring.drift_threshold": 0.2,
}
"""What a generated repository assumes when the spec leaves a value out (the interview
offers the same value)."""


def section(key: str) -> Section:
    """Return the section holding the top-level key ``key``.

    Raises:
        KeyError: no section holds it.
    """
    for candidate in SECTIONS:
        if key == candidate.key or key in candidate.keys:
            return candidate
    raise KeyError(key)


def listed_sections() -> tuple[Section, ...]:
    """The sections that are lists of entries with an identifying field."""
    return tuple(s for s in SECTIONS if s.id_key is not None)


def label(path: str, fallback: str | None = None) -> str:
    """Return how reports name the field at ``path`` (``monitoring.drift_threshold``)."""
    return LABELS.get(path) or fallback or path.rsplit(".", 1)[-1].replace("_", " ").capitalize()
