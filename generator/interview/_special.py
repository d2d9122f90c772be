"""The special cases, as data: what a field's type cannot say about asking for it.

``SPECIAL`` is keyed like ``prompts.QUESTIONS`` (``*`` stands for a list index). An entry
may give a default computed from other answers, a condition for asking, the question's
wording with answers filled in, a run-time instruction, options or an extra check, a value
assigned instead of asked, or a question that confirms an empty list. Every field without
an entry is asked as its type says (``_fields``) and checked by the model's rules.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from generator.catalog import load_catalog, minimum_retention
from generator.interview._checks import check_value
from generator.interview._draft import Loc
from generator.interview._fields import question_key
from generator.interview.prompts import Option
from generator.spec import DEFAULT_CAN, ProjectSpec, shape


@dataclass(frozen=True)
class Here:
    """What a special case sees: every answer so far, the entry asked, its siblings."""

    spec: Mapping[str, Any]
    entry: Mapping[str, Any]
    """The mapping that holds the field: a section, a list entry, or the spec itself."""
    others: Sequence[Mapping[str, Any]] = ()
    """The other entries of the list that holds ``entry``."""


@dataclass(frozen=True)
class Special:
    """How one field is asked, beyond what its type says."""

    default: Callable[[Here], Any] | None = None
    """The answer offered when there is none yet."""
    when: Callable[[Here], bool] | None = None
    """Ask only when this holds; otherwise an answer is kept only if the rules accept it."""
    message: str | None = None
    """The question's wording with the entry's answers filled in (``{name}``)."""
    instruction: Callable[[Here], str | None] | None = None
    options: Callable[[Here], list[Option]] | None = None
    check: Callable[[Here, Any], str | None] | None = None
    """A rule beyond the model's: returns why an answer is refused."""
    auto: Callable[[Here], Any] | None = None
    """Assigned instead of asked, whenever the field is missing or refused."""
    confirm_empty: str | None = None
    """The question (in ``prompts.QUESTIONS``) that confirms an empty list."""
    null_is_answer: bool = False
    """An empty answer is kept as null ("unknown") instead of being left out."""
    alone: bool = False
    """Not checked with the section's cross-field rules: they need a field asked later."""


def suggest_name(title: str) -> str | None:
    """Suggest a project slug from a title (``Claims triage!`` → ``claims-triage``)."""
    ascii_text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    slug = re.sub(r"^[0-9-]+", "", slug)[:50].rstrip("-")
    return slug if check_value(ProjectSpec, "name", slug, ("name",)) is None else None


def _first_free(prefix: str) -> Callable[[Here], str]:
    """Assign the first id ``PREFIX-n`` no other entry has."""

    def assign(here: Here) -> str:
        taken = {other.get("id") for other in here.others}
        return next(
            f"{prefix}-{n}" for n in range(1, len(taken) + 2) if f"{prefix}-{n}" not in taken
        )

    return assign


def _direction(here: Here) -> str:
    baseline, target = here.entry.get("baseline"), here.entry.get("target")
    if isinstance(baseline, int | float) and isinstance(target, int | float):
        return "decrease" if target < baseline else "increase"
    return "increase"


def _regimes(here: Here) -> list[str]:
    return [str(regime) for regime in here.entry.get("regimes") or []]


def _regime_options(_here: Here) -> list[Option]:
    return [
        Option(
            rid,
            f"{r.short:<16} {r.jurisdiction}, {'binding' if r.binding else 'voluntary'}",
            f"{r.title}. {r.summary}",
        )
        for rid, r in load_catalog().regimes.items()
    ]


def _retention_default(here: Here) -> int | None:
    floor = minimum_retention(_regimes(here))
    return floor.days if floor else None


def _retention_instruction(here: Here) -> str | None:
    floor = minimum_retention(_regimes(here))
    if floor is None:
        return None
    days = floor.days
    return f"at least {days} days for {floor.regime} ({floor.citation}); Enter keeps {days}"


def _metrics(here: Here) -> dict[str, str]:
    return {m["id"]: m.get("name", "") for m in here.spec.get("success_metrics", []) if "id" in m}


def _metric_options(here: Here) -> list[Option]:
    options = [Option("", "none       it is not tied to a metric")]
    return options + [Option(mid, f"{mid:<10} {name}") for mid, name in _metrics(here).items()]


def _defined_metric(here: Here, metric: Any) -> str | None:
    if metric in _metrics(here):
        return None
    return f"{here.entry.get('id')} named the metric {metric}, which is not defined"


def _numeric(here: Here) -> bool:
    return here.entry.get("type") in ("number", "integer")


def _source_options(here: Here) -> list[Option]:
    names = [str(d["name"]) for d in here.spec.get("data_dependencies") or [] if "name" in d]
    return [Option("", "none      not said"), *(Option(n, n) for n in names)]


def _is_service(here: Here) -> bool:
    return here.spec.get("kind") == "service"


SPECIAL: dict[str, Special] = {
    "name": Special(default=lambda h: suggest_name(str(h.entry.get("title", "")))),
    "users.*.description": Special(message="Who are the {role} users and what do they do?"),
    "users.*.needs": Special(message="What do {role} users need from the system?"),
    "users.*.can": Special(
        message="What may {role} users do?",
        default=lambda _h: [str(p) for p in DEFAULT_CAN],  # what an omitted `can` means
    ),
    "success_metrics.*.id": Special(auto=_first_free("M")),
    "success_metrics.*.baseline": Special(
        message="What is “{name}” today, in {unit}?", null_is_answer=True
    ),
    "success_metrics.*.target": Special(
        message="Which value of “{name}” counts as success, in {unit}?"
    ),
    "success_metrics.*.direction": Special(default=_direction),
    "regulatory.regimes": Special(
        options=_regime_options, confirm_empty="regulatory.no_regimes", alone=True
    ),
    "regulatory.eu_ai_act_risk": Special(when=lambda h: "eu-ai-act" in _regimes(h)),
    "regulatory.retention_days": Special(
        default=_retention_default, instruction=_retention_instruction
    ),
    "acceptance_criteria.*.id": Special(auto=_first_free("AC")),
    "acceptance_criteria.*.metric": Special(options=_metric_options, check=_defined_metric),
    "operating_boundary.escalation": Special(
        default=lambda h: h.spec.get("owners", {}).get("operations")
    ),
    "inputs.*.min": Special(when=_numeric),
    "inputs.*.max": Special(when=_numeric),
    "inputs.*.values": Special(when=lambda h: h.entry.get("type") == "category"),
    "inputs.*.required": Special(default=lambda _h: True),
    "inputs.*.source": Special(
        when=lambda h: bool(h.spec.get("data_dependencies")), options=_source_options
    ),
    "monitoring.latency_p95_ms": Special(when=_is_service),
    "monitoring.availability_pct": Special(when=_is_service),
    "monitoring.drift_threshold": Special(
        when=lambda h: bool(h.entry.get("drift_features")),
        default=lambda _h: shape.DEFAULTS["monitoring.drift_threshold"],
    ),
}
"""The fields asked in a way their type does not say, keyed like ``prompts.QUESTIONS``."""

_PLAIN = Special()


def special(loc: Loc) -> Special:
    """Return how the field at ``loc`` is asked beyond its type (nothing special, mostly)."""
    return SPECIAL.get(question_key(loc), _PLAIN)


def refused(spec: dict[str, Any]) -> list[Loc]:
    """Where the answers of loaded spec data break a special rule (a criterion's metric)."""

    def walk(value: Any, loc: Loc, others: list[Any]) -> list[Loc]:
        found: list[Loc] = []
        if isinstance(value, list):
            for i, item in enumerate(value):
                found += walk(item, (*loc, i), value[:i] + value[i + 1 :])
        elif isinstance(value, dict):
            for key, item in value.items():
                check = special((*loc, key)).check
                if check and item is not None and check(Here(spec, value, others), item):
                    found.append((*loc, key))
                found += walk(item, (*loc, key), [])
        return found

    return walk(spec, (), [])
