"""The spec's optional sections: where a human decides, upstream data, inputs, monitoring, budget.

Each field's ``Doc`` says how people meet it; a section left out of a spec is offered by the
interview with its ``offer`` question, and generated repositories assume each field's
``default``.
"""

from __future__ import annotations

from typing import Annotated, Any, Self

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from generator.spec.fields import Answers, Choice, Doc, Ref, When
from generator.spec.model import (
    MAX_DRIFT_THRESHOLD,
    CategoryValue,
    Confidence,
    Feature,
    Flag,
    InputName,
    InputType,
    Line,
    Number,
    PositiveNumber,
    Text,
    _Model,
)


def _escalation(answers: Answers) -> Any:
    owners = answers.spec.get("owners")
    return owners.get("operations") if isinstance(owners, dict) else None


_SERVICE = When("kind", ("service", "assistant", "agent"), root=True)
"""The kinds that answer requests all the time, with service levels."""
_PREDICTIVE = When("kind", ("service", "pipeline"), root=True)
"""The kinds whose model reads typed inputs and gives a confidence (not generative ones)."""
_NUMERIC = When("type", ("number", "integer"))


class OperatingBoundary(_Model):
    """Which actions are safe unattended and where a human decides."""

    review_below_confidence: Confidence | None = Field(
        default=None,
        description="below this confidence (0..1) a human decides",
        json_schema_extra=Doc(
            "A human decides below confidence",
            ask="Below which confidence should a human decide?",
            hint="a number between 0 and 1 such as 0.8",
            default=0.7,
            when=_PREDICTIVE,
        ),
    )
    requires_approval: list[Text] = Field(
        default_factory=list,
        description="actions that need a human approval",
        json_schema_extra=Doc(
            "Needs approval",
            ask="Which action needs a human approval?",
            example="Rejecting a claim.",
        ),
    )
    escalation: Line | None = Field(
        default=None,
        description="where escalations go",
        json_schema_extra=Doc(
            "Escalation",
            ask="Where do escalations go?",
            example="claims-oncall@example.com",
            suggest=_escalation,
        ),
    )


class Input(_Model):
    """One typed input of the model: the data contract, enforced at every boundary."""

    name: InputName = Field(
        description="the input's name, an identifier such as claim_amount",
        json_schema_extra=Doc(
            "Input",
            ask="What is the input called?",
            hint="an identifier such as claim_amount or channel",
            unique="input name",
        ),
    )
    type: InputType = Field(
        description="number, integer, category, boolean or text",
        json_schema_extra=Doc(
            "Type",
            ask="Which type is it?",
            choices=(
                Choice("number", "a decimal number, e.g. an amount"),
                Choice("integer", "a whole number, e.g. an age or a count"),
                Choice("category", "one of a fixed list of values"),
                Choice("boolean", "true or false"),
                Choice("text", "free text or an identifier"),
            ),
        ),
    )
    min: Number | None = Field(
        default=None,
        description="the smallest value allowed (number and integer inputs)",
        json_schema_extra=Doc(
            "Min",
            ask="Smallest value allowed?",
            hint="a plain number",
            when=_NUMERIC,
        ),
    )
    max: Number | None = Field(
        default=None,
        description="the largest value allowed (number and integer inputs)",
        json_schema_extra=Doc(
            "Max",
            ask="Largest value allowed?",
            hint="a plain number",
            when=_NUMERIC,
        ),
    )
    values: list[CategoryValue] | None = Field(
        default=None,
        description="the values a category input may take",
        json_schema_extra=Doc(
            "Values",
            ask="Which values may it take?",
            unique="value",
            when=When("type", ("category",)),
        ),
    )
    required: Flag = Field(
        default=True,
        description="whether every request must give it",
        json_schema_extra=Doc("Required", ask="Must every request give it?"),
    )
    personal: Flag = Field(
        default=False,
        description="whether it identifies or describes a person (pseudonymised before logs, "
        "audit and quarantine)",
        json_schema_extra=Doc(
            "Personal",
            ask="Does it identify or describe a person?",
            hint="personal inputs are pseudonymised before logs, audit and quarantine",
        ),
    )
    source: Line | None = Field(
        default=None,
        description="the data dependency that supplies it (its name)",
        json_schema_extra=Doc(
            "Source",
            ask="Which data dependency supplies it?",
            refers=Ref("data_dependencies", "name"),
        ),
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
        elif self.values is not None:
            raise PydanticCustomError(
                "values_on_non_category", "values apply to category inputs only"
            )
        return self


class DataDependency(_Model):
    """Upstream data or integration the project relies on."""

    name: Line = Field(
        description="the data source or integration",
        json_schema_extra=Doc(
            "Source",
            ask="Which data source or integration?",
            example="claims-db",
            unique="name",
        ),
    )
    owner: Line = Field(
        description="who owns it upstream",
        json_schema_extra=Doc("Owner", ask="Who owns it upstream?", example="Claims Data team"),
    )
    contract: Text = Field(
        description="the contract: schema, version, fields",
        json_schema_extra=Doc(
            "Contract",
            ask="What is the contract?",
            hint="schema, version, fields",
            example="Claim record schema v3 (claim_id, amount)",
        ),
    )


class Monitoring(_Model):
    """Service levels and drift monitoring."""

    latency_p95_ms: PositiveNumber | None = Field(
        default=None,
        description="95th percentile latency objective",
        json_schema_extra=Doc(
            "p95 latency (ms)",
            ask="95th percentile latency objective, in milliseconds?",
            example=2000,
            default=1000.0,
            when=_SERVICE,
        ),
    )
    availability_pct: (
        Annotated[float, Field(strict=True, gt=0, le=100, allow_inf_nan=False)] | None
    ) = Field(
        default=None,
        description="availability objective in percent",
        json_schema_extra=Doc(
            "Availability (%)",
            ask="Availability objective, in percent?",
            example=99.5,
            default=99.0,
            when=_SERVICE,
        ),
    )
    drift_features: list[Feature] = Field(
        default_factory=list,
        description="input features watched for drift",
        json_schema_extra=Doc(
            "Drift features",
            ask="Which input feature should be watched for drift?",
            example="claim_amount",
            unique="drift feature",
            when=_PREDICTIVE,
        ),
    )
    drift_threshold: (
        Annotated[float, Field(strict=True, allow_inf_nan=False, gt=0, le=MAX_DRIFT_THRESHOLD)]
        | None
    ) = Field(
        default=None,
        description="population stability index that raises an alert (0.1-0.25 is usual; "
        f"at most {MAX_DRIFT_THRESHOLD:g})",
        json_schema_extra=Doc(
            "Drift threshold (PSI)",
            ask="Population stability index that raises a drift alert?",
            hint="0.2 is a common choice",
            default=0.2,
            suggest=0.2,
            when=When("drift_features"),
        ),
    )


class Budget(_Model):
    """The monthly cost ceiling."""

    monthly_usd: PositiveNumber = Field(
        description="compute and model-usage ceiling per month",
        json_schema_extra=Doc(
            "Monthly budget (USD)",
            ask="Monthly ceiling in US dollars?",
            hint="a plain number such as 2000",
        ),
    )
