"""The spec's required sections: one model per part of the spec, each field with its ``Doc``.

The keys and shapes follow ``spec-example.yaml``. Each field's ``Doc`` says how people meet
it (label, question, hint, example, default, where reports show it); the computed
suggestions and hints below work from the answers given so far.
"""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from generator.spec.fields import Answers, Choice, Doc, Ref, When
from generator.spec.model import (
    DEFAULT_CAN,
    DataClass,
    Direction,
    Identifier,
    Layer,
    Line,
    Number,
    Permission,
    RegimeId,
    RiskTier,
    Role,
    Text,
    _Model,
)
from generator.spec.retention import minimum_retention

# --- what the interview works out from other answers -------------------------------------


def _better_direction(answers: Answers) -> str:
    """A metric gets better by decreasing when its target is below its baseline."""
    baseline, target = answers.entry.get("baseline"), answers.entry.get("target")
    if isinstance(baseline, int | float) and isinstance(target, int | float):
        return "decrease" if target < baseline else "increase"
    return "increase"


def _regimes(answers: Answers) -> list[str]:
    return [str(regime) for regime in answers.entry.get("regimes") or []]


def _tier(answers: Answers) -> str | None:
    tier = answers.entry.get("eu_ai_act_risk")
    return str(tier) if tier else None


def _retention_floor(answers: Answers) -> int | None:
    floor = minimum_retention(_regimes(answers), _tier(answers))
    return floor.days if floor else None


def _retention_hint(answers: Answers) -> str:
    floor = minimum_retention(_regimes(answers), _tier(answers))
    if floor is None:
        return "a whole number of days"
    return f"at least {floor.days} days for {floor.regime} ({floor.citation})"


# --- the required sections ------------------------------------------------------------------------


class BusinessGoal(_Model):
    """Why the project exists."""

    problem: Text = Field(
        description="the problem, as the people who have it would say it",
        json_schema_extra=Doc(
            "Problem",
            ask="What problem does it solve, as the people who have it would say it?",
            example="Adjusters spend about 40% of their week routing claims by hand.",
            show="text",
        ),
    )
    outcome: Text = Field(
        description="what is different when the project succeeds",
        json_schema_extra=Doc(
            "Outcome",
            ask="What is different when it succeeds?",
            hint="the observable change",
            example="Routine claims are routed automatically.",
            show="text",
        ),
    )
    value: Text = Field(
        description="the value hypothesis, with a number where possible",
        json_schema_extra=Doc(
            "Value",
            ask="What is that worth, in numbers where you can?",
            example="Median routing time falls from 48 to 4 hours, freeing 12 FTEs.",
            show="text",
        ),
    )
    non_goals: list[Text] = Field(
        default_factory=list,
        description="what the project will not do",
        json_schema_extra=Doc(
            "Non-goals",
            ask="Anything it will deliberately NOT do?",
            example="Deciding claim payouts.",
        ),
    )


class Owners(_Model):
    """Who owns the project; the operations owner is paged."""

    business: Line = Field(
        description="the person or role accountable for the outcome",
        json_schema_extra=Doc(
            "Business (accountable for the outcome)",
            ask="Who is accountable for the business outcome?",
            hint="a person or role",
            example="Head of Claims Operations",
        ),
    )
    technical: Line = Field(
        description="the team or person accountable for the code",
        json_schema_extra=Doc(
            "Technical (accountable for the code)",
            ask="Which team or person owns the code?",
            example="Claims Platform team",
        ),
    )
    operations: Line = Field(
        description="who is paged when it breaks (a rota or address)",
        json_schema_extra=Doc(
            "Operations (paged when it breaks)",
            ask="Who gets paged when it breaks?",
            hint="a rota or address",
            example="claims-oncall@example.com",
        ),
    )


class User(_Model):
    """A user role; each role becomes an auth role in the generated service."""

    role: Role = Field(
        description="a short slug such as 'adjuster'; it becomes an auth role",
        json_schema_extra=Doc(
            "Role",
            ask="What is the role called?",
            hint="a short slug such as adjuster or auditor; it becomes an access role",
            unique="role",
        ),
    )
    description: Text = Field(
        description="who these users are and what they do",
        json_schema_extra=Doc(
            "Who they are",
            ask="Who are the {role} users and what do they do?",
            example="Reviews routing suggestions and overrides them.",
        ),
    )
    needs: list[Text] = Field(
        default_factory=list,
        description="what they need from the system",
        json_schema_extra=Doc(
            "What they need",
            ask="What do {role} users need from the system?",
            example="See why a claim was routed the way it was.",
        ),
    )
    can: list[Permission] = Field(
        default_factory=lambda: list(DEFAULT_CAN),
        validate_default=True,
        description="what the role may do: request, read, review, contest, sign, audit, "
        "operate (omitted: request and read)",
        json_schema_extra=Doc(
            "May do",
            ask="What may {role} users do?",
            hint="least privilege: a requester never reviews their own decision",
            unique="permission",
            choices=(
                Choice("request", "ask the system for decisions"),
                Choice("read", "see decisions and their history"),
                Choice("review", "approve or override decisions a human must check"),
                Choice("contest", "contest a decision on behalf of the person affected"),
                Choice("sign", "sign records electronically (21 CFR Part 11)"),
                Choice("audit", "read and verify the audit log"),
                Choice("operate", "run the system: kill switch, purges, promotions"),
            ),
        ),
    )


class SuccessMetric(_Model):
    """A number that says whether the project succeeds."""

    id: Identifier = Field(
        description="a stable id such as M-1; acceptance criteria refer to it",
        json_schema_extra=Doc("Id", auto="M", unique="metric id"),
    )
    name: Line = Field(
        description="what is measured",
        json_schema_extra=Doc(
            "Metric",
            ask="What do you measure?",
            example="Median routing time, or Routing accuracy on audited claims",
        ),
    )
    baseline: Number | None = Field(
        default=None,
        description="today's value (null when unknown)",
        json_schema_extra=Doc(
            "Baseline",
            ask="What is “{name}” today, in {unit}?",
            hint="a plain number such as 48",
            null="unknown",
        ),
    )
    target: Number = Field(
        description="the number that counts as success",
        json_schema_extra=Doc(
            "Target",
            ask="Which value of “{name}” counts as success, in {unit}?",
            hint="a plain number such as 4 or 0.95",
        ),
    )
    unit: Line = Field(
        description="the unit of the number (hours, ratio, EUR)",
        json_schema_extra=Doc(
            "Unit", ask="In which unit?", example="hours, ratio, EUR, claims per day"
        ),
    )
    direction: Direction = Field(
        description="increase or decrease: which way is better",
        json_schema_extra=Doc(
            "Better when it goes",
            ask="Which way is better?",
            suggest=_better_direction,
            choices=(
                Choice("increase", "higher is better", "e.g. accuracy, throughput, revenue"),
                Choice("decrease", "lower is better", "e.g. routing time, error rate, cost"),
            ),
        ),
    )
    measurement: Text = Field(
        description="how and how often the number is measured",
        json_schema_extra=Doc(
            "Measurement",
            ask="How and how often is it measured?",
            hint="the source and the cadence",
            example="Claim-system timestamps, reported weekly.",
        ),
    )


class Regulatory(_Model):
    """Regulatory scope: regimes, risk tier, data classes, retention."""

    regimes: list[RegimeId] = Field(
        description="regime ids from the catalogue; [] is the explicit answer 'none apply'",
        json_schema_extra=Doc(
            "Regimes",
            ask="Which regulations or frameworks apply?",
            hint="select none if none apply",
            unique="regime",
            confirm_empty="No regime selected: is it right that none applies?",
            show="custom",
        ),
    )
    eu_ai_act_risk: RiskTier | None = Field(
        default=None,
        description="EU AI Act risk tier; required when eu-ai-act is listed",
        json_schema_extra=Doc(
            "EU AI Act risk tier",
            ask="Which EU AI Act risk tier fits the use case?",
            hint="decides the duties; Art. 5 lists what is prohibited, Annex III what is high-risk",
            when=When("regimes", ("eu-ai-act",)),
            choices=(
                Choice(
                    "minimal",
                    "no specific duties",
                    "Most AI systems: spam filters, recommendations, internal tooling without "
                    "effect on people's rights.",
                ),
                Choice(
                    "limited",
                    "transparency duties",
                    "Chatbots and generated content: people must be told they deal with AI "
                    "(Art. 50).",
                ),
                Choice(
                    "high",
                    "full high-risk duties",
                    "Annex III uses such as credit scoring, insurance pricing, hiring, access "
                    "to essential services, or safety components of regulated products "
                    "(Annex I).",
                ),
                Choice(
                    "unacceptable",
                    "prohibited practice (Art. 5)",
                    "Social scoring, manipulation, exploiting vulnerabilities, untargeted face "
                    "scraping and the other Art. 5 practices: these may not be built at all.",
                ),
            ),
        ),
    )
    data_classes: list[DataClass] = Field(
        default_factory=list,
        description="classes of data handled",
        json_schema_extra=Doc(
            "Data classes",
            ask="Which kinds of data will it handle?",
            unique="data class",
            choices=(
                Choice("public", "published, no restrictions"),
                Choice("internal", "internal business data"),
                Choice("confidential", "trade secrets, contracts"),
                Choice("personal", "anything about an identifiable person"),
                Choice("health", "medical or health information"),
                Choice("payment", "card or bank account data"),
            ),
        ),
    )
    retention_days: Annotated[int, Field(strict=True, gt=0, le=36500)] | None = Field(
        default=None,
        description="days audit and event records are kept; not below any listed regime's minimum",
        json_schema_extra=Doc(
            "Retention (days)",
            ask="How many days should audit and event records be kept?",
            hint=_retention_hint,
            default=365,
            suggest=_retention_floor,
            show="custom",
        ),
    )

    @model_validator(mode="after")
    def _check_scope(self) -> Self:
        """Apply the cross-field rules of the regulatory scope."""
        regimes = [str(r) for r in self.regimes]
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
            floor = minimum_retention(regimes, self.eu_ai_act_risk)
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

    id: Identifier = Field(
        description="a stable id such as AC-1; the test is traced by it",
        json_schema_extra=Doc("Id", auto="AC", unique="criterion id"),
    )
    given: Text = Field(
        description="the situation before",
        json_schema_extra=Doc(
            "Given",
            ask="Given… (the situation before)",
            example="a routine claim with all required fields",
        ),
    )
    when: Text = Field(
        description="the action or event",
        json_schema_extra=Doc(
            "When",
            ask="When… (the action or event)",
            example="it is submitted to the routing endpoint",
        ),
    )
    then: Text = Field(
        description="the observable outcome, with a threshold where one applies",
        json_schema_extra=Doc(
            "Then",
            ask="Then… (what can be observed)",
            hint="with a threshold where one applies",
            example="a decision is returned within 2 seconds",
        ),
    )
    layer: Layer = Field(
        description="the test layer that proves it: unit, integration or e2e",
        json_schema_extra=Doc(
            "Layer",
            ask="Which kind of test proves it?",
            choices=(
                Choice("unit", "one function or rule in isolation"),
                Choice("integration", "components together, in process"),
                Choice("e2e", "the running system, from the outside"),
            ),
        ),
    )
    metric: Identifier | None = Field(
        default=None,
        description="the id of a success metric",
        json_schema_extra=Doc(
            "Metric",
            ask="Does it prove one of the success metrics?",
            refers=Ref("success_metrics", "id", title="name", none="it is not tied to a metric"),
        ),
    )
