"""The project spec's pydantic models: every rule of the design, in types and validators.

The keys and shapes follow ``spec-example.yaml``; the command line, the interview and the
review all validate with these models, so they apply the same rules.
"""

from __future__ import annotations

import keyword
import re
import sys
import unicodedata
from enum import StrEnum
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)
from pydantic_core import PydanticCustomError

from generator.spec.retention import minimum_retention
from generator.spec.shape import UNIQUE_ITEMS, listed_sections

SCHEMA_VERSION = 1
MAX_DRIFT_THRESHOLD = 5.0
"""A population stability index above 5 means the populations no longer overlap; no
sample reaches a higher threshold, so an alert set above it could never fire."""

# C0/C1 controls, lone surrogates, the Unicode line separators and non-characters: they
# corrupt terminals and YAML files, and no spec needs them.
_FORBIDDEN_CHARS = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]"
)
# Bidirectional embeddings, overrides and isolates make text display in another order
# than it is stored (the "Trojan Source" trick), in terminals, editors and review pages
# alike. Marks (U+200E, U+200F, U+061C) only set the direction and stay allowed.
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def _clean_text(value: str) -> str:
    """Strip surrounding blanks and refuse control characters in free text."""
    value = unicodedata.normalize("NFC", value).strip()
    if not value:
        raise PydanticCustomError("blank_text", "must not be blank")
    bad = _FORBIDDEN_CHARS.search(value)
    if bad:
        raise PydanticCustomError(
            "control_character",
            "contains the control character U+{code}; remove it",
            {"code": f"{ord(bad.group()):04X}"},
        )
    bidi = _BIDI_CONTROLS.search(value)
    if bidi:
        raise PydanticCustomError(
            "bidi_control",
            "contains the bidirectional control character U+{code}, which makes text show "
            "in another order than it is written; remove it (a right-to-left mark, U+200F, "
            "is allowed)",
            {"code": f"{ord(bidi.group()):04X}"},
        )
    return value


def _single_line(value: str) -> str:
    """Refuse line breaks where one line is meant (titles, names, owners)."""
    if "\n" in value or "\r" in value:
        raise PydanticCustomError("multi_line", "must fit on one line")
    return value


Text = Annotated[str, Field(max_length=4000), AfterValidator(_clean_text)]
"""Free text: any Unicode, several lines allowed, no control characters."""

Line = Annotated[
    str, Field(max_length=300), AfterValidator(_clean_text), AfterValidator(_single_line)
]
"""One line of free text."""

Slug = Annotated[
    str,
    StringConstraints(min_length=3, max_length=50, pattern=r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$"),
]
Role = Annotated[
    str,
    StringConstraints(min_length=2, max_length=40, pattern=r"^[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*$"),
]
Identifier = Annotated[
    str,
    StringConstraints(
        min_length=1, max_length=40, pattern=r"^[A-Za-z][A-Za-z0-9]*(?:[-_.][A-Za-z0-9]+)*$"
    ),
]
Feature = Annotated[
    str, StringConstraints(min_length=1, max_length=60, pattern=r"^[a-z_][a-z0-9_]*$")
]
Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]
PositiveNumber = Annotated[float, Field(strict=True, allow_inf_nan=False, gt=0)]
Confidence = Annotated[float, Field(strict=True, allow_inf_nan=False, ge=0, le=1)]


class Kind(StrEnum):
    """What kind of repository is generated."""

    SERVICE = "service"
    PIPELINE = "pipeline"


class Direction(StrEnum):
    """Whether a metric improves by going up or down."""

    INCREASE = "increase"
    DECREASE = "decrease"


class Layer(StrEnum):
    """The test layer that proves an acceptance criterion."""

    UNIT = "unit"
    INTEGRATION = "integration"
    E2E = "e2e"


class DataClass(StrEnum):
    """Classes of data the system handles."""

    PUBLIC = "public"
    INTERNAL = "internal"
    CONFIDENTIAL = "confidential"
    PERSONAL = "personal"
    HEALTH = "health"
    PAYMENT = "payment"


class RiskTier(StrEnum):
    """EU AI Act risk tiers; "unacceptable" is listed only to refuse it with the reason."""

    MINIMAL = "minimal"
    LIMITED = "limited"
    HIGH = "high"
    UNACCEPTABLE = "unacceptable"


class Permission(StrEnum):
    """What a user role may do in the generated system (least privilege, four eyes)."""

    REQUEST = "request"
    READ = "read"
    REVIEW = "review"
    CONTEST = "contest"
    SIGN = "sign"
    AUDIT = "audit"
    OPERATE = "operate"


DEFAULT_CAN = (Permission.REQUEST, Permission.READ)
"""What a role may do when spec.yaml does not say: request decisions and read them."""


class RegimeId(StrEnum):
    """Regime ids of the regulatory catalogue (checked against it by the tests)."""

    EU_AI_ACT = "eu-ai-act"
    GDPR = "gdpr"
    HIPAA = "hipaa"
    PCI_DSS = "pci-dss"
    SOC2 = "soc2"
    FDA_21_CFR_11 = "fda-21-cfr-11"
    US_BANK_MRM = "us-bank-mrm"
    ISO_42001 = "iso-42001"
    NIST_AI_RMF = "nist-ai-rmf"
    RBI_FREE_AI = "rbi-free-ai"
    SEBI_AI = "sebi-ai"


def slug_to_identifier(text: str) -> str:
    """Turn a slug or id into a lower-case Python identifier (``AC-1`` → ``ac_1``)."""
    return re.sub(r"[^0-9a-zA-Z]+", "_", text).strip("_").lower()


def _package_name(name: str) -> str:
    """Refuse project names whose Python package would shadow the standard library."""
    package = slug_to_identifier(name)
    if keyword.iskeyword(package) or package in sys.stdlib_module_names:
        raise PydanticCustomError(
            "reserved_name",
            "'{name}' would give the Python package '{package}', which is reserved by "
            "Python; choose a more specific name",
            {"name": name, "package": package},
        )
    return name


class _Model(BaseModel):
    """Base for all spec models: unknown keys refused, values frozen."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, use_enum_values=True, defer_build=True
    )  # defer_build: validators are built on first use (start-up of `spec validate`)


class BusinessGoal(_Model):
    """Why the project exists."""

    problem: Text = Field(description="the problem, as the people who have it would say it")
    outcome: Text = Field(description="what is different when the project succeeds")
    value: Text = Field(description="the value hypothesis, with a number where possible")
    non_goals: list[Text] = Field(default_factory=list, description="what the project will not do")


class Owners(_Model):
    """Who owns the project; the operations owner is paged."""

    business: Line = Field(description="the person or role accountable for the outcome")
    technical: Line = Field(description="the team or person accountable for the code")
    operations: Line = Field(description="who is paged when it breaks (a rota or address)")


class User(_Model):
    """A user role; each role becomes an auth role in the generated service."""

    role: Role = Field(description="a short slug such as 'adjuster'; it becomes an auth role")
    description: Text = Field(description="who these users are and what they do")
    needs: list[Text] = Field(default_factory=list, description="what they need from the system")
    can: list[Permission] = Field(
        default_factory=lambda: list(DEFAULT_CAN),
        validate_default=True,
        description="what the role may do: request, read, review, contest, sign, audit, "
        "operate (omitted: request and read)",
    )

    @model_validator(mode="after")
    def _check_can(self) -> Self:
        """Refuse a permission listed twice."""
        check_unique([str(p) for p in self.can], "can", UNIQUE_ITEMS["can"])
        return self


class SuccessMetric(_Model):
    """A number that says whether the project succeeds."""

    id: Identifier = Field(description="a stable id such as M-1; acceptance criteria refer to it")
    name: Line = Field(description="what is measured")
    baseline: Number | None = Field(default=None, description="today's value (null when unknown)")
    target: Number = Field(description="the number that counts as success")
    unit: Line = Field(description="the unit of the number (hours, ratio, EUR)")
    direction: Direction = Field(description="increase or decrease: which way is better")
    measurement: Text = Field(description="how and how often the number is measured")


class Regulatory(_Model):
    """Regulatory scope: regimes, risk tier, data classes, retention."""

    regimes: list[RegimeId] = Field(
        description="regime ids from the catalogue; [] is the explicit answer 'none apply'"
    )
    eu_ai_act_risk: RiskTier | None = Field(
        default=None, description="EU AI Act risk tier; required when eu-ai-act is listed"
    )
    data_classes: list[DataClass] = Field(
        default_factory=list, description="classes of data handled"
    )
    retention_days: Annotated[int, Field(strict=True, gt=0, le=36500)] | None = Field(
        default=None,
        description="days audit and event records are kept; not below any listed regime's minimum",
    )

    @model_validator(mode="after")
    def _check_scope(self) -> Self:
        """Apply the cross-field rules of the regulatory scope."""
        regimes = [str(r) for r in self.regimes]
        check_unique(regimes, "regimes", UNIQUE_ITEMS["regimes"])
        check_unique(
            [str(c) for c in self.data_classes], "data_classes", UNIQUE_ITEMS["data_classes"]
        )
        if "eu-ai-act" in regimes and self.eu_ai_act_risk is None:
            raise PydanticCustomError(
                "risk_required",
                "eu_ai_act_risk is required when eu-ai-act is listed: minimal, limited or high",
            )
        if "eu-ai-act" not in regimes and self.eu_ai_act_risk is not None:
            raise PydanticCustomError(
                "risk_without_regime",
                "eu_ai_act_risk is set but eu-ai-act is not in regimes; add the regime or "
                "remove the tier",
            )
        if self.eu_ai_act_risk == RiskTier.UNACCEPTABLE:
            raise PydanticCustomError(
                "prohibited_practice",
                "eu_ai_act_risk 'unacceptable' is a prohibited practice under EU AI Act "
                "Art. 5 and may not be built; redesign the use case",
            )
        if self.retention_days is not None:
            floor = minimum_retention(regimes)
            if floor is not None and self.retention_days < floor.days:
                raise PydanticCustomError(
                    "retention_too_short",
                    "retention_days {days} is below the {days_min} days {regime} requires "
                    "({citation}); keep records at least that long",
                    {
                        "days": self.retention_days,
                        "days_min": floor.days,
                        "regime": floor.regime,
                        "citation": floor.citation,
                    },
                )
        return self


class AcceptanceCriterion(_Model):
    """An observable condition of done, proved by a test at one layer."""

    id: Identifier = Field(description="a stable id such as AC-1; the test is traced by it")
    given: Text = Field(description="the situation before")
    when: Text = Field(description="the action or event")
    then: Text = Field(description="the observable outcome, with a threshold where one applies")
    layer: Layer = Field(description="the test layer that proves it: unit, integration or e2e")
    metric: Identifier | None = Field(default=None, description="the id of a success metric")


class OperatingBoundary(_Model):
    """Which actions are safe unattended and where a human decides."""

    review_below_confidence: Confidence | None = Field(
        default=None, description="below this confidence (0..1) a human decides"
    )
    requires_approval: list[Text] = Field(
        default_factory=list, description="actions that need a human approval"
    )
    escalation: Line | None = Field(default=None, description="where escalations go")


def _not_keyword(name: str) -> str:
    """Refuse an input name Python reserves (it becomes a field of generated code)."""
    if keyword.iskeyword(name) or name.startswith("model_"):
        raise PydanticCustomError(
            "reserved_name",
            "'{name}' is reserved by Python or pydantic; choose another name",
            {"name": name},
        )
    return name


InputName = Annotated[
    str,
    StringConstraints(min_length=1, max_length=60, pattern=r"^[a-z][a-z0-9_]*$"),
    AfterValidator(_not_keyword),
]
CategoryValue = Annotated[
    str, Field(max_length=100), AfterValidator(_clean_text), AfterValidator(_single_line)
]
Flag = Annotated[bool, Field(strict=True)]


class InputType(StrEnum):
    """The type of a model input, as every boundary enforces it."""

    NUMBER = "number"
    INTEGER = "integer"
    CATEGORY = "category"
    BOOLEAN = "boolean"
    TEXT = "text"


class Input(_Model):
    """One typed input of the model: the data contract, enforced at every boundary."""

    name: InputName = Field(description="the input's name, an identifier such as claim_amount")
    type: InputType = Field(description="number, integer, category, boolean or text")
    min: Number | None = Field(
        default=None, description="the smallest value allowed (number and integer inputs)"
    )
    max: Number | None = Field(
        default=None, description="the largest value allowed (number and integer inputs)"
    )
    values: list[CategoryValue] | None = Field(
        default=None, description="the values a category input may take"
    )
    required: Flag = Field(default=True, description="whether every request must give it")
    personal: Flag = Field(
        default=False,
        description="whether it identifies or describes a person (pseudonymised before logs, "
        "audit and quarantine)",
    )
    source: Line | None = Field(
        default=None, description="the data dependency that supplies it (its name)"
    )

    @model_validator(mode="after")
    def _check_type(self) -> Self:
        """Bounds only on numbers, consistent; values only, and always, on categories."""
        numeric = self.type in (InputType.NUMBER, InputType.INTEGER)
        bounds = [b for b in (self.min, self.max) if b is not None]
        if bounds and not numeric:
            raise PydanticCustomError(
                "bounds_on_non_number", "min and max apply to number and integer inputs only"
            )
        if self.type == InputType.INTEGER and any(not float(b).is_integer() for b in bounds):
            raise PydanticCustomError(
                "fractional_bound", "an integer input needs whole-number bounds"
            )
        if self.min is not None and self.max is not None and self.min > self.max:
            raise PydanticCustomError(
                "bounds_reversed",
                "min {low} is above max {high}",
                {"low": f"{self.min:g}", "high": f"{self.max:g}"},
            )
        if self.type == InputType.CATEGORY:
            if not self.values:
                raise PydanticCustomError(
                    "values_required", "a category input lists its values (values: [a, b])"
                )
            check_unique([str(v) for v in self.values], "values", "value")
        elif self.values is not None:
            raise PydanticCustomError(
                "values_on_non_category", "values apply to category inputs only"
            )
        return self


class DataDependency(_Model):
    """Upstream data or integration the project relies on."""

    name: Line = Field(description="the data source or integration")
    owner: Line = Field(description="who owns it upstream")
    contract: Text = Field(description="the contract: schema, version, fields")


class Monitoring(_Model):
    """Service levels and drift monitoring."""

    latency_p95_ms: PositiveNumber | None = Field(
        default=None, description="95th percentile latency objective"
    )
    availability_pct: (
        Annotated[float, Field(strict=True, gt=0, le=100, allow_inf_nan=False)] | None
    ) = Field(default=None, description="availability objective in percent")
    drift_features: list[Feature] = Field(
        default_factory=list, description="input features watched for drift"
    )
    drift_threshold: (
        Annotated[float, Field(strict=True, allow_inf_nan=False, gt=0, le=MAX_DRIFT_THRESHOLD)]
        | None
    ) = Field(
        default=None,
        description="population stability index that raises an alert (0.1-0.25 is usual; "
        f"at most {MAX_DRIFT_THRESHOLD:g})",
    )

    @model_validator(mode="after")
    def _check_features(self) -> Self:
        """Refuse repeated drift features."""
        check_unique(self.drift_features, "drift_features", UNIQUE_ITEMS["drift_features"])
        return self


class Budget(_Model):
    """The monthly cost ceiling."""

    monthly_usd: PositiveNumber = Field(description="compute and model-usage ceiling per month")


class ProjectSpec(_Model):
    """A complete project spec, the single source of truth of a generated repository."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        use_enum_values=True,
        title="new-ai-project spec",
        json_schema_extra={"$id": "https://new-ai-project.dev/schema/spec-v1.json"},
    )

    schema_version: Literal[1] = Field(description="the spec format version; always 1")
    name: Annotated[Slug, AfterValidator(_package_name)] = Field(
        description="slug: lowercase letters, digits, single hyphens; 3-50 characters"
    )
    title: Line = Field(description="the project's title")
    summary: Text = Field(description="one or two sentences on what the system does")
    kind: Kind = Field(description="service or pipeline")
    business_goal: BusinessGoal
    owners: Owners
    users: list[User] = Field(min_length=1, description="at least one user role")
    success_metrics: list[SuccessMetric] = Field(min_length=1, description="at least one metric")
    regulatory: Regulatory
    acceptance_criteria: list[AcceptanceCriterion] = Field(
        min_length=1, description="at least one acceptance criterion"
    )
    operating_boundary: OperatingBoundary | None = None
    data_dependencies: list[DataDependency] | None = None
    inputs: list[Input] | None = Field(
        default=None, description="the typed data contract of the model's inputs"
    )
    monitoring: Monitoring | None = None
    budget: Budget | None = None

    @model_validator(mode="after")
    def _check_references(self) -> Self:
        """Ids are unique, and acceptance criteria refer only to defined metrics."""
        for section in listed_sections():
            entries = getattr(self, section.key) or []
            ids = [str(getattr(entry, str(section.id_key))) for entry in entries]
            check_unique(ids, section.key, section.id_label)
        self._check_inputs()
        metric_ids = {m.id for m in self.success_metrics}
        for index, criterion in enumerate(self.acceptance_criteria):
            if criterion.metric is not None and criterion.metric not in metric_ids:
                known = ", ".join(sorted(metric_ids))
                raise PydanticCustomError(
                    "unknown_metric",
                    "acceptance_criteria.{index}.metric: '{metric}' names no success metric; "
                    "use one of: {known}",
                    {"index": index, "metric": criterion.metric, "known": known},
                )
        return self

    def _check_inputs(self) -> None:
        """Inputs name known sources, and drift features name inputs when inputs exist."""
        if self.inputs is None:
            return
        sources = {d.name for d in self.data_dependencies or []}
        for index, item in enumerate(self.inputs):
            if item.source is not None and item.source not in sources:
                known = ", ".join(sorted(sources)) or "none: add data_dependencies first"
                raise _at(
                    f"inputs.{index}.source",
                    "'{source}' names no data dependency; use one of: {known}",
                    source=item.source,
                    known=known,
                )
        names = {item.name for item in self.inputs}
        features = self.monitoring.drift_features if self.monitoring else []
        for index, feature in enumerate(features):
            if feature not in names:
                raise _at(
                    f"monitoring.drift_features.{index}",
                    "'{feature}' names no input; drift is watched on inputs: {known}",
                    feature=feature,
                    known=", ".join(sorted(names)) or "none",
                )

    @property
    def package(self) -> str:
        """The Python package name derived from ``name``."""
        return slug_to_identifier(self.name)


def _at(path: str, message: str, **context: Any) -> PydanticCustomError:
    """An error about the field at ``path`` (a rule that spans sections names its field)."""
    return PydanticCustomError("at_path", "{path}: " + message, {"path": path, **context})


def check_unique(values: list[str], where: str, what: str) -> None:
    """Refuse a value that appears twice (ids compared as the identifiers they become)."""
    seen: dict[str, str] = {}
    for value in values:
        key = slug_to_identifier(value)
        if key in seen:
            same = "" if seen[key] == value else f" (same as '{seen[key]}' once made an identifier)"
            raise PydanticCustomError(
                "duplicate",
                "{where}: {what} '{value}' appears twice{same}; ids must be unique",
                {"where": where, "what": what, "value": value, "same": same},
            )
        seen[key] = value
