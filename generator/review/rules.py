"""Readiness rules: each looks at spec data and returns findings that say what to change.

The rules read plain parsed data (dicts and lists from the YAML), not the validated model,
so a draft that fails validation is still reviewed: every rule tolerates missing keys and
values of the wrong type, and simply says nothing about what it cannot read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from generator.catalog import Scope, load_catalog, minimum_retention
from generator.review._data import mapping, strings
from generator.review._finding import SEVERITIES, Finding, Rule, Severity
from generator.review.genai_rules import GENAI_RULES

__all__ = ["RULES", "SEVERITIES", "Finding", "Rule", "Severity", "run_rules"]

VAGUE_WORDS: tuple[str, ...] = (
    "fast", "faster", "quick", "quickly", "easy", "easily", "user-friendly", "user friendly",
    "good", "better", "best", "nice", "intuitive", "seamless", "seamlessly", "robust",
    "efficient", "efficiently", "simple", "smooth", "smoothly", "scalable", "flexible",
    "optimal", "optimized", "performant", "reasonable", "appropriate", "appropriately",
    "adequate", "sufficient", "high quality", "state of the art", "as needed", "and so on",
    "etc", "as soon as possible", "asap", "responsive", "modern",
)  # fmt: skip
"""Words that sound like a requirement but give nothing a test can check."""

_VAGUE_RE = re.compile(
    r"(?<![\w-])("
    + "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in VAGUE_WORDS)
    + r")(?![\w-])",
    re.IGNORECASE,
)

_UNOBSERVABLE_RE = re.compile(
    r"(?<![\w-])(works?(?:\s+(?:well|fine|correctly|properly))?|as expected|is handled|handles it"
    r"|succeeds|is successful|successfully|properly|correctly|is improved|improves"
    r"|(?:is|are|feels?) (?:happy|satisfied|pleased)|is processed|behaves)(?![\w-])",
    re.IGNORECASE,
)
"""Phrases that name no observable outcome when nothing else in the sentence does."""

_FILLER = frozenset(
    (
        *("a", "an", "the", "it", "its", "this", "that", "is", "are", "be", "been", "will"),
        *("should", "shall", "must", "can", "and", "or", "then", "system", "service"),
        *("pipeline", "application", "app", "user", "users", "everything", "all", "things"),
    )
)

_NOT_A_METHOD_RE = re.compile(
    r"^\s*(?:tbd|tbc|tba|todo|n/?a|none|unknown|pending|later|-+|\?+|"
    r"to be (?:defined|determined|decided|confirmed|agreed|discussed))\s*[.!]*\s*$"
    r"|(?<![\w-])(?:tbd|tbc|todo|to be (?:defined|determined|decided|confirmed))(?![\w-])",
    re.IGNORECASE,
)

_PRIVACY_REGIMES = ("gdpr", "hipaa")
_REGIME_NEEDS_DATA: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("hipaa", ("health",), "health"),
    ("pci-dss", ("payment",), "payment"),
    ("gdpr", ("personal", "health"), "personal or health"),
)
_DATA_NEEDS_REGIME: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("health", ("hipaa", "gdpr"), "hipaa (US) or gdpr (EU)"),
    ("personal", _PRIVACY_REGIMES, "gdpr (EU) or another privacy regime"),
    ("payment", ("pci-dss",), "pci-dss"),
)
_GENAI_KINDS = ("assistant", "agent")
RETENTION_MARGIN = 0.10
"""Retention within this fraction above a regime minimum is flagged as close to it."""


# --- reading raw data ------------------------------------------------------------------


def _items(value: Any) -> list[tuple[int, dict[str, Any]]]:
    """Return (index, mapping) for the mappings of a list, skipping anything else."""
    if not isinstance(value, list):
        return []
    return [(i, item) for i, item in enumerate(value) if isinstance(item, dict)]


def _text(value: Any) -> str:
    """Return a value as stripped text; non-text values (None, lists) give ''."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool) or value is None or isinstance(value, dict | list):
        return ""
    return str(value)


def _label(item: dict[str, Any], index: int, key: str = "id") -> str:
    return _text(item.get(key)) or f"#{index + 1}"


def _has_number(text: str) -> bool:
    return bool(re.search(r"\d", text))


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- rules -----------------------------------------------------------------------------


def vague_criteria(data: dict[str, Any]) -> Iterator[Finding]:
    """Acceptance criteria that use words a test cannot check ("fast", "user-friendly", "etc.")."""
    for i, criterion in _items(data.get("acceptance_criteria")):
        label = _label(criterion, i)
        for field in ("given", "when", "then"):
            text = _text(criterion.get(field))
            words = sorted({m.group(1).lower() for m in _VAGUE_RE.finditer(text)})
            if not words:
                continue
            quoted = ", ".join(f"'{w}'" for w in words)
            if field == "then" and not _has_number(text):
                severity: Severity = "blocker"
                advice = "replace it with an observable outcome and a threshold (e.g. 'within 2 s')"
            elif field == "then":
                severity = "warning"
                advice = "drop it; the number already says what is required"
            else:
                severity = "warning"
                advice = "describe the situation or action concretely"
            yield Finding(
                rule="vague-criterion",
                severity=severity,
                path=f"acceptance_criteria.{i}.{field}",
                message=f"{label} {field} says {quoted}, which no test can check; {advice}",
                question=f"What exactly makes {label} pass, instead of {quoted}?",
            )


def unobservable_then(data: dict[str, Any]) -> Iterator[Finding]:
    """A "then" that names no observable outcome ("it works", "the user is happy")."""
    for i, criterion in _items(data.get("acceptance_criteria")):
        text = _text(criterion.get("then"))
        if not text or _has_number(text) or _VAGUE_RE.search(text):
            continue  # empty is a schema problem; vague words are reported by vague-criterion
        label = _label(criterion, i)
        match = _UNOBSERVABLE_RE.search(text)
        rest = _UNOBSERVABLE_RE.sub(" ", text).lower()
        content = [w for w in re.findall(r"[\w'-]+", rest) if w not in _FILLER]
        if match and len(content) < 2:
            yield Finding(
                rule="unobservable-then",
                severity="blocker",
                path=f"acceptance_criteria.{i}.then",
                message=f"{label} then '{_short(text)}' names no observable outcome "
                f"('{match.group(1).lower()}'); say what a test sees: a response, a record, "
                "a state, a number",
                question=f"What would a tester see when {label} is met?",
            )
        elif len(text.split()) < 3:
            yield Finding(
                rule="unobservable-then",
                severity="warning",
                path=f"acceptance_criteria.{i}.then",
                message=f"{label} then '{_short(text)}' is too short to check; say what is "
                "returned, recorded or shown",
                question=f"What would a tester see when {label} is met?",
            )


def metric_baseline(data: dict[str, Any]) -> Iterator[Finding]:
    """Metrics without today's value cannot show improvement."""
    for i, metric in _items(data.get("success_metrics")):
        if metric.get("baseline") is None:
            label = _label(metric, i)
            name = _text(metric.get("name")) or label
            yield Finding(
                rule="metric-no-baseline",
                severity="warning",
                path=f"success_metrics.{i}.baseline",
                message=f"{label} ({_short(name, 40)}) has no baseline; measure today's value "
                "before building, or plan when it will be measured",
                question=f"What is today's value of {label} ({_short(name, 40)}), "
                "and who measures it?",
            )


def metric_measurement(data: dict[str, Any]) -> Iterator[Finding]:
    """A measurement must be a method (source and cadence), not "TBD"."""
    for i, metric in _items(data.get("success_metrics")):
        if "measurement" not in metric:
            continue  # a missing field is a schema problem
        text = _text(metric.get("measurement"))
        label = _label(metric, i)
        if not text or _NOT_A_METHOD_RE.search(text):
            yield Finding(
                rule="measurement-not-method",
                severity="blocker",
                path=f"success_metrics.{i}.measurement",
                message=f"{label} measurement '{_short(text)}' is not a method; say where the "
                "number comes from and how often it is measured",
                question=f"How is {label} measured, from which data, by whom and how often?",
            )
        elif len(text.split()) < 3:
            yield Finding(
                rule="measurement-not-method",
                severity="warning",
                path=f"success_metrics.{i}.measurement",
                message=f"{label} measurement '{_short(text)}' is too short to be a method; name "
                "the data source and the cadence",
                question=f"How is {label} measured, from which data, by whom and how often?",
            )


def metric_unchecked(data: dict[str, Any]) -> Iterator[Finding]:
    """A metric no acceptance criterion refers to is never checked before release."""
    used = {_text(c.get("metric")) for _, c in _items(data.get("acceptance_criteria"))}
    evals = mapping(data.get("genai")).get("evals")  # an eval gates a metric too
    used |= {_text(e.get("metric")) for _, e in _items(evals)}
    for i, metric in _items(data.get("success_metrics")):
        label = _label(metric, i)
        if _text(metric.get("id")) and label not in used:
            yield Finding(
                rule="metric-unchecked",
                severity="info",
                path=f"success_metrics.{i}",
                message=f"no acceptance criterion refers to {label}; add one with "
                f"'metric: {label}' so a test tracks it",
            )


def e2e_criterion(data: dict[str, Any]) -> Iterator[Finding]:
    """A service or pipeline needs one criterion proved end to end."""
    kind = _text(data.get("kind"))
    criteria = _items(data.get("acceptance_criteria"))
    if kind not in {"service", "pipeline", "assistant", "agent"} or not criteria:
        return
    if not any(_text(c.get("layer")) == "e2e" for _, c in criteria):
        yield Finding(
            rule="no-e2e-criterion",
            severity="blocker",
            path="acceptance_criteria",
            message=f"no acceptance criterion has layer e2e; add one that proves the {kind} "
            "works as a whole (request in, decision or output out)",
            question=f"Which end-to-end behaviour shows the {kind} is done?",
        )


def regime_data_classes(data: dict[str, Any]) -> Iterator[Finding]:
    """Regimes that contradict the data classes, in both directions."""
    regulatory = mapping(data.get("regulatory"))
    regimes = strings(regulatory.get("regimes"))
    if not isinstance(regulatory.get("regimes"), list):
        return
    classes = set(strings(regulatory.get("data_classes")))
    for regime, needed, words in _REGIME_NEEDS_DATA:
        if regime in regimes and not classes & set(needed):
            yield Finding(
                rule="regime-without-data",
                severity="blocker",
                path=f"regulatory.regimes.{regimes.index(regime)}",
                message=f"{regime} is listed but data_classes has no {words} data; add the "
                f"data class the system really handles or remove {regime}",
                question=f"Does the system handle {words} data? If not, why is {regime} in scope?",
            )
    for data_class, covering, advice in _DATA_NEEDS_REGIME:
        if data_class in classes and not set(regimes) & set(covering):
            yield Finding(
                rule="data-without-regime",
                severity="warning",
                path="regulatory.regimes",
                message=f"{data_class} data is handled but no regime covers it; add {advice}, "
                "or record why none applies",
                question=f"Which law governs the {data_class} data, in which jurisdictions?",
            )


def high_risk_oversight(data: dict[str, Any]) -> Iterator[Finding]:
    """A high-risk EU AI Act system needs an operating boundary and a review threshold."""
    regulatory = mapping(data.get("regulatory"))
    if "eu-ai-act" not in strings(regulatory.get("regimes")):
        return
    if _text(regulatory.get("eu_ai_act_risk")) != "high":
        return
    boundary = data.get("operating_boundary")
    generative = _text(data.get("kind")) in _GENAI_KINDS
    if not isinstance(boundary, dict):
        wanted = (
            "requires_approval and escalation"
            if generative
            else ("review_below_confidence, requires_approval and escalation")
        )
        yield Finding(
            rule="high-risk-no-boundary",
            severity="blocker",
            path="operating_boundary",
            message="a high-risk EU AI Act system needs human oversight (Art. 14): add "
            f"operating_boundary with {wanted}",
            question="Which decisions may the system take alone, and where does a human decide?",
        )
        return
    if generative:
        yield from _high_risk_genai_handoff(data)
    elif boundary.get("review_below_confidence") is None:
        yield Finding(
            rule="high-risk-no-review-threshold",
            severity="blocker",
            path="operating_boundary.review_below_confidence",
            message="a high-risk EU AI Act system needs a review threshold: set "
            "review_below_confidence (0..1) below which a human decides",
            question="Below which confidence must a human review the decision?",
        )
    if not _text(boundary.get("escalation")):
        yield Finding(
            rule="high-risk-no-escalation",
            severity="warning",
            path="operating_boundary.escalation",
            message="no escalation is named; say where reviewers escalate (a rota or address)",
            question="Where do reviewers escalate a decision they cannot take?",
        )


def _high_risk_genai_handoff(data: dict[str, Any]) -> Iterator[Finding]:
    """A high-risk assistant hands a question it cannot ground to a person (Art. 14)."""
    if _text(data.get("kind")) != "assistant":
        return  # an agent's writes wait for approvals, which the validation requires
    retrieval = mapping(mapping(data.get("genai")).get("retrieval"))
    threshold = retrieval.get("abstain_below")
    if not isinstance(threshold, int | float) or isinstance(threshold, bool) or threshold <= 0:
        yield Finding(
            rule="high-risk-no-handoff",
            severity="blocker",
            path="genai.retrieval.abstain_below",
            message="a high-risk EU AI Act assistant needs human oversight (Art. 14): set "
            "retrieval.abstain_below (0..1) under which a person answers instead",
            question="Below which retrieval score must a person answer instead?",
        )


_DEFAULT_CAN = ("request", "read")
_FEATURE_DUTIES = (
    ("contest-path", "contest", "a contest path for the people affected"),
    ("e-signature", "sign", "electronic signatures"),
)
"""Features a regime brings that some role must be allowed to use."""


def _can(user: dict[str, Any]) -> list[str]:
    """What a user role may do: its ``can``, or request and read when it says nothing."""
    return strings(user["can"]) if "can" in user else list(_DEFAULT_CAN)


def separation_of_duties(data: dict[str, Any]) -> Iterator[Finding]:
    """Someone can review what waits for a human; warn where one role requests and reviews."""
    users = _items(data.get("users"))
    boundary = mapping(data.get("operating_boundary"))
    threshold = boundary.get("review_below_confidence")
    if _text(data.get("kind")) in _GENAI_KINDS:
        service_reviews, waiting = _genai_handoffs(data), "hand-offs to a person wait"
    else:
        service_reviews = _text(data.get("kind")) != "pipeline" and not (
            isinstance(threshold, int | float)
            and not isinstance(threshold, bool)
            and threshold <= 0
        )
        waiting = "decisions below the review threshold wait"
    pipeline = _text(data.get("kind")) == "pipeline"
    approvals = pipeline or bool(strings(boundary.get("requires_approval")))
    if (
        users
        and (service_reviews or approvals)
        and not any("review" in _can(user) for _, user in users)
    ):
        waits = (
            waiting
            if service_reviews
            else "a model scores only once a second person approves it; approvals wait"
            if pipeline
            else "approvals wait"
        )
        yield Finding(
            rule="no-reviewer",
            severity="blocker",
            path="users",
            message=f"{waits} for a human, but no role may review: add review to the can of "
            "the role that checks them",
            question="Who reviews the decisions the system may not take alone?",
        )
    features = set(load_catalog().features(Scope.of(data)))
    for feature, permission, what in _FEATURE_DUTIES:
        if users and feature in features and not any(permission in _can(u) for _, u in users):
            yield Finding(
                rule=f"no-{permission}-role",
                severity="warning",
                path="users",
                message=f"the regimes in scope bring {what}, but no role may {permission}: add "
                f"{permission} to the can of the role that does it",
                question=f"Who may {permission}, as {what} requires?",
            )
    for index, user in users:
        can = _can(user)
        if "request" in can and "review" in can:
            yield Finding(
                rule="requester-reviews",
                severity="warning",
                path=f"users.{index}.can",
                message=f"role {_label(user, index, 'role')} may both request and review "
                "decisions; nobody may review their own request (four eyes), so the role needs "
                "two people on duty",
                question=f"Are there always two {_label(user, index, 'role')} users, so one "
                "can check the other?",
            )


def gated_criteria(data: dict[str, Any]) -> Iterator[Finding]:
    """A pipeline's gate enforces every success-metric target an acceptance criterion names."""
    if _text(data.get("kind")) != "pipeline":
        return
    from generator.spec import ProjectSpec, gate_of  # the gate the pipeline will have

    try:
        spec = ProjectSpec.model_validate(data)
    except ValueError:  # an invalid spec: its schema errors are findings already
        return
    criteria = {c.id: index for index, c in enumerate(spec.acceptance_criteria)}
    for entry in gate_of(spec)[2]:
        if entry["gated"]:
            continue
        first = entry["criteria"][0]
        yield Finding(
            rule="criterion-metric-ungated",
            severity="blocker",
            path=f"acceptance_criteria.{criteria[first]}.metric",
            message=f"{', '.join(entry['criteria'])} name(s) metric {entry['metric']}, whose "
            f"target the pipeline's evaluation gate cannot enforce: {entry['reason']}; name a "
            "measure it computes in the metric, or drop `metric` from the criterion",
            question=f"How is {entry['metric']} measured before a model goes live?",
        )


def _genai_handoffs(data: dict[str, Any]) -> bool:
    """Whether an assistant or agent hands work to a person: abstention or escalation."""
    genai = mapping(data.get("genai"))
    threshold = mapping(genai.get("retrieval")).get("abstain_below")
    abstains = (
        isinstance(threshold, int | float) and not isinstance(threshold, bool) and threshold > 0
    )
    escalates = mapping(genai.get("guardrails")).get("on_violation") == "escalate"
    return abstains or escalates


def data_contract(data: dict[str, Any]) -> Iterator[Finding]:
    """Personal inputs under a privacy regime; categories that can vary; sources that supply."""
    inputs = _items(data.get("inputs"))
    if not inputs:
        return
    regimes = strings(mapping(data.get("regulatory")).get("regimes"))
    for index, item in inputs:
        name = _label(item, index, "name")
        if item.get("personal") is True and not set(_PRIVACY_REGIMES) & set(regimes):
            yield Finding(
                rule="personal-input-without-privacy-regime",
                severity="warning",
                path=f"inputs.{index}.personal",
                message=f"input {name} is personal, but no privacy regime ("
                f"{', '.join(_PRIVACY_REGIMES)}) is in scope: add the one that applies",
                question=f"Which privacy law covers {name}, and who answers for it?",
            )
        if item.get("type") == "category" and len(strings(item.get("values"))) == 1:
            yield Finding(
                rule="single-value-category",
                severity="warning",
                path=f"inputs.{index}.values",
                message=f"category input {name} has one value, so it tells the model nothing: "
                "list its other values or drop it",
            )
    supplied = {_text(item.get("source")) for _, item in inputs}
    for index, dependency in _items(data.get("data_dependencies")):
        if _text(dependency.get("name")) not in supplied:
            yield Finding(
                rule="dependency-supplies-no-input",
                severity="warning",
                path=f"data_dependencies.{index}",
                message=f"data dependency {_label(dependency, index, 'name')} supplies no input: "
                "name it as the source of the inputs it feeds, or remove it",
                question=f"What does {_label(dependency, index, 'name')} feed into the model?",
            )


def owners(data: dict[str, Any]) -> Iterator[Finding]:
    """Every owner role is filled, and not all by the same person."""
    value = data.get("owners")
    if not isinstance(value, dict):
        yield Finding(
            rule="missing-owner",
            severity="blocker",
            path="owners",
            message="no owners are named; give the business, technical and operations owner",
            question="Who is accountable for the outcome, the code and the pager?",
        )
        return
    names = {role: _text(value.get(role)) for role in ("business", "technical", "operations")}
    for role, name in names.items():
        if not name:
            yield Finding(
                rule="missing-owner",
                severity="blocker",
                path=f"owners.{role}",
                message=f"the {role} owner is missing; name a person, team or rota",
                question=f"Who is the {role} owner?",
            )
    filled = [n.casefold() for n in names.values() if n]
    if len(filled) == 3 and len(set(filled)) == 1:
        yield Finding(
            rule="one-owner",
            severity="blocker",
            path="owners",
            message=f"'{_short(names['business'], 40)}' holds every owner role; separate the "
            "business, technical and operations owners so that decisions are checked and "
            "someone else can be paged",
            question="Who else owns the outcome, the code and the on-call duty?",
        )


def budget(data: dict[str, Any]) -> Iterator[Finding]:
    """Without a budget nobody is alerted when costs run away."""
    if not isinstance(data.get("budget"), dict):
        yield Finding(
            rule="no-budget",
            severity="warning",
            path="budget",
            message="no budget is set; add budget.monthly_usd so cost alerts have a ceiling",
            question="What may the system cost per month in compute and model usage?",
        )


def monitoring(data: dict[str, Any]) -> Iterator[Finding]:
    """Drift features for every system, and service-level objectives for services."""
    value = mapping(data.get("monitoring"))
    generative = _text(data.get("kind")) in _GENAI_KINDS  # free text drifts meaninglessly
    if not generative and not strings(value.get("drift_features")):
        yield Finding(
            rule="no-drift-features",
            severity="warning",
            path="monitoring.drift_features",
            message="no drift features are listed; name the input features whose drift "
            "should raise an alert",
            question="Which inputs, if their distribution shifts, make the model unreliable?",
        )
    is_service = _text(data.get("kind")) in {"service", *_GENAI_KINDS}
    if is_service and value.get("latency_p95_ms") is None and value.get("availability_pct") is None:
        yield Finding(
            rule="no-slo",
            severity="warning",
            path="monitoring",
            message="no service-level objective is set; add latency_p95_ms and availability_pct "
            "so alerts and the runbook have targets",
            question="How fast and how available must the service be (p95 latency, uptime)?",
        )


def retention(data: dict[str, Any]) -> Iterator[Finding]:
    """Retention close to (or unset under) a regime's minimum for audit records."""
    regulatory = mapping(data.get("regulatory"))
    regimes = [r for r in strings(regulatory.get("regimes")) if r in load_catalog().regimes]
    tier = regulatory.get("eu_ai_act_risk")
    floor = minimum_retention(regimes, tier if isinstance(tier, str) else None)
    if floor is None:
        return
    days = regulatory.get("retention_days")
    if days is None:
        yield Finding(
            rule="retention-unset",
            severity="info",
            path="regulatory.retention_days",
            message=f"retention_days is not set; {floor.regime} requires at least {floor.days} "
            f"days ({floor.citation}); set the period explicitly",
            question="How long must audit and event records be kept?",
        )
    elif (
        isinstance(days, int)
        and not isinstance(days, bool)
        and floor.days <= days < floor.days * (1 + RETENTION_MARGIN)
    ):
        yield Finding(
            rule="retention-near-minimum",
            severity="warning",
            path="regulatory.retention_days",
            message=f"retention_days {days} is within {RETENTION_MARGIN:.0%} of the "
            f"{floor.days} days {floor.regime} requires ({floor.citation}); leave a margin "
            "for clock skew and purge schedules",
            question="Is keeping records barely longer than the legal minimum intended?",
        )


def gaps(data: dict[str, Any]) -> Iterator[Finding]:
    """Optional sections whose absence a planning meeting should notice."""
    if not strings(mapping(data.get("business_goal")).get("non_goals")):
        yield Finding(
            rule="no-non-goals",
            severity="info",
            path="business_goal.non_goals",
            message="no non-goals are listed; say what the project will not do",
            question="What will the project explicitly not do?",
        )
    if not _items(data.get("data_dependencies")):
        yield Finding(
            rule="no-data-dependencies",
            severity="info",
            path="data_dependencies",
            message="no data dependencies are listed; name the upstream sources, their owners "
            "and contracts",
            question="Which upstream data does the system depend on, and who owns it?",
        )


RULES: tuple[Rule, ...] = (
    vague_criteria,
    unobservable_then,
    metric_baseline,
    metric_measurement,
    metric_unchecked,
    e2e_criterion,
    regime_data_classes,
    high_risk_oversight,
    separation_of_duties,
    gated_criteria,
    data_contract,
    owners,
    budget,
    monitoring,
    retention,
    gaps,
    *GENAI_RULES,
)
"""Every readiness rule, in the order their findings are reported (those of assistants and
agents are in ``genai_rules``)."""


def run_rules(data: dict[str, Any]) -> list[Finding]:
    """Apply every readiness rule to spec data."""
    return [finding for rule in RULES for finding in rule(data)]
