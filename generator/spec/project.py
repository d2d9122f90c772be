"""The whole spec: its sections in order, the identity group, and the rules across sections.

``ProjectSpec`` is the single source of truth of a generated repository; the command line,
the interview and the review all validate with it, so they apply the same rules.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated, ClassVar, Literal, Self

from pydantic import AfterValidator, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from generator.spec.fields import Answers, Choice, Doc, Group, When
from generator.spec.genai import GENAI_DOC, GenAI, check_references
from generator.spec.model import (
    GENAI_KINDS,
    GENAI_REGIMES,
    Kind,
    Line,
    Slug,
    Text,
    _at,
    _Model,
    _package_name,
    slug_to_identifier,
)
from generator.spec.optional import Budget, DataDependency, Input, Monitoring, OperatingBoundary
from generator.spec.sections import (
    AcceptanceCriterion,
    BusinessGoal,
    Owners,
    Regulatory,
    SuccessMetric,
    User,
)

_SLUG = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")


def suggest_name(answers: Answers) -> str | None:
    """Suggest a project slug from the title (``Claims triage!`` gives ``claims-triage``)."""
    title = str(answers.entry.get("title") or "")
    ascii_text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    slug = re.sub(r"^[0-9-]+", "", slug)[:50].rstrip("-")
    if not _SLUG.fullmatch(slug):
        return None
    try:
        return _package_name(slug)
    except PydanticCustomError:
        return None


ABOUT = Group(
    "about",
    "The project",
    "A few words on what we are building.",
    "Identity: the slug names the repository and its Python package; kind is "
    "service (an HTTP API), pipeline (a batch job), assistant (answers from documents) or "
    "agent (acts with tools).",
    fields=("title", "kind", "name", "summary"),
)
"""The identity fields, presented (and asked, in this order) as one section."""


class ProjectSpec(_Model):
    """A complete project spec, the single source of truth of a generated repository."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        use_enum_values=True,
        title="new-ai-project spec",
        json_schema_extra={"$id": "https://new-ai-project.dev/schema/spec-v1.json"},
    )

    schema_version: Literal[1] = Field(
        description="the spec format version; always 1",
        json_schema_extra=Doc(
            "Spec format",
            comment="Spec format version; tools refuse versions they do not know.",
            asked=False,
            show="hidden",
        ),
    )
    name: Annotated[Slug, AfterValidator(_package_name)] = Field(
        description="slug: lowercase letters, digits, single hyphens; 3-50 characters",
        json_schema_extra=Doc(
            "Name",
            ask="Short name for the repository and package?",
            hint="lowercase letters, digits and single hyphens",
            example="claims-triage",
            suggest=suggest_name,
            group=ABOUT,
            show="header",
        ),
    )
    title: Line = Field(
        description="the project's title",
        json_schema_extra=Doc(
            "Title",
            ask="What is the project called?",
            hint="a title people will recognise",
            example="Claims triage assistant",
            group=ABOUT,
            show="header",
        ),
    )
    summary: Text = Field(
        description="one or two sentences on what the system does",
        json_schema_extra=Doc(
            "Summary",
            ask="In one or two sentences, what does it do?",
            example="Routes incoming insurance claims and sends complex ones to an adjuster.",
            group=ABOUT,
            show="text",
        ),
    )
    kind: Kind = Field(
        description="service, pipeline, assistant or agent",
        json_schema_extra=Doc(
            "Kind",
            ask="What kind of system is it?",
            group=ABOUT,
            show="header",
            choices=(
                Choice(
                    "service",
                    "an HTTP API that answers requests",
                    "Runs all the time and answers requests: FastAPI, auth roles, metrics, "
                    "health checks.",
                ),
                Choice(
                    "pipeline",
                    "a batch job that runs on a schedule",
                    "Reads inputs, writes outputs, records every run: scheduled or triggered "
                    "batch processing.",
                ),
                Choice(
                    "assistant",
                    "answers people from documents, with citations",
                    "A conversational service on generative models: retrieves passages, cites "
                    "them, hands off to a person when unsure, may call read-only tools.",
                ),
                Choice(
                    "agent",
                    "acts with tools towards a goal, writes wait for approval",
                    "A run starts from a request or an event, calls tools and ends in a report "
                    "with its evidence; a tool that changes something waits for an approval.",
                ),
            ),
        ),
    )
    business_goal: BusinessGoal = Field(
        description="why the project exists",
        json_schema_extra=Doc(
            "Business goal",
            intro="Why does it exist? Use the words of those affected.",
            comment="Why the project exists, in the words of the people who have the problem.",
        ),
    )
    owners: Owners = Field(
        description="who is accountable for the outcome, the code, and who is paged",
        json_schema_extra=Doc(
            "Owners",
            intro="Who is accountable once it runs?",
            comment="Who is accountable: for the outcome, for the code, and who is paged.",
        ),
    )
    users: list[User] = Field(
        min_length=1,
        description="at least one user role",
        json_schema_extra=Doc(
            "Users",
            intro="Who will use it? Each role becomes an access role in the code.",
            comment="Who uses it and what they need; each role becomes an auth role.",
            entry="User role {role}",
            more="Add another user role?",
        ),
    )
    success_metrics: list[SuccessMetric] = Field(
        min_length=1,
        description="at least one metric",
        json_schema_extra=Doc(
            "Success metrics",
            intro="How will we know it works? Measurable numbers.",
            comment="The numbers that say whether it works; acceptance criteria refer to "
            "their ids.",
            entry="Metric {id} {name}",
            more="Add another success metric?",
        ),
    )
    regulatory: Regulatory = Field(
        description="the regimes that apply, the EU AI Act risk tier, data classes, retention",
        json_schema_extra=Doc(
            "Regulatory scope",
            intro="The rules decide the controls the repository carries.",
            comment="Regulatory scope: regimes decide which controls and documents the "
            "repository carries.",
        ),
    )
    acceptance_criteria: list[AcceptanceCriterion] = Field(
        min_length=1,
        description="at least one acceptance criterion",
        json_schema_extra=Doc(
            "Acceptance criteria",
            intro="When is it done? Each becomes a test.",
            comment="Conditions of done; each becomes a test traced by its id.",
            entry="Criterion {id}: then {then}",
            more="Add another acceptance criterion?",
            layout="cards",
            group_by="layer",
        ),
    )
    operating_boundary: OperatingBoundary | None = Field(
        default=None,
        description="which actions are safe unattended and where a human decides",
        json_schema_extra=Doc(
            "Operating boundary",
            intro="Where should a human decide instead?",
            comment="Where a human decides instead of the system.",
            offer="Should a human review or approve some decisions?",
            offer_hint="a confidence threshold, actions needing approval, where escalations go",
        ),
    )
    data_dependencies: list[DataDependency] | None = Field(
        default=None,
        description="upstream data and integrations, with their owners and contracts",
        json_schema_extra=Doc(
            "Data dependencies",
            intro="Which upstream data does it rely on?",
            comment="Upstream data and integrations, with their owners and contracts.",
            offer="Does it depend on upstream data sources or integrations?",
            offer_hint="databases, feeds or APIs owned by someone else",
            entry="Dependency {name}",
            more="Add another data dependency?",
        ),
    )
    inputs: list[Input] | None = Field(
        default=None,
        description="the typed data contract of the model's inputs",
        json_schema_extra=Doc(
            "Inputs",
            intro="What the model reads, typed: the data contract every boundary enforces.",
            comment="The typed data contract of the model's inputs: enforced by the service's "
            "request schema and the pipeline's contract; drift features name inputs.",
            offer="Describe the model's inputs as a typed data contract now?",
            offer_hint="each input's type, bounds or values, and whether it is personal; "
            "enforced at every boundary",
            entry="Input {name} ({type})",
            more="Add another input?",
            when=When("kind", ("service", "pipeline"), root=True),
        ),
    )
    monitoring: Monitoring | None = Field(
        default=None,
        description="service levels and drift alerts",
        json_schema_extra=Doc(
            "Monitoring",
            intro="Service levels and drift alerts.",
            comment="Service levels and drift alerts.",
            offer="Set service levels or drift alerts now?",
            offer_hint="latency, availability, features watched for drift",
        ),
    )
    budget: Budget | None = Field(
        default=None,
        description="the monthly cost ceiling",
        json_schema_extra=Doc(
            "Budget",
            intro="A monthly cost ceiling.",
            comment="The monthly cost ceiling for compute and model usage.",
            offer="Is there a monthly budget for compute and model usage?",
        ),
    )

    genai: GenAI | None = Field(
        default=None,
        description="the models, prompts, retrieval, tools, limits, guardrails, evals and "
        "transparency of an assistant or an agent",
        json_schema_extra=GENAI_DOC,
    )

    is_root: ClassVar[bool] = True

    @model_validator(mode="after")
    def _check_references(self) -> Self:
        """Acceptance criteria refer only to defined metrics; inputs to known sources."""
        self._check_inputs()
        self._check_genai_regimes()
        check_references(
            self.genai,
            self.kind,
            self.users,
            [d.name for d in self.data_dependencies or []],
            [m.id for m in self.success_metrics],
        )
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

    def _check_genai_regimes(self) -> None:
        """The GenAI catalogues (OWASP LLM Top 10, NIST AI 600-1) apply to GenAI kinds only."""
        if self.kind in GENAI_KINDS:
            return
        for index, regime in enumerate(self.regulatory.regimes):
            if regime in GENAI_REGIMES:
                raise _at(
                    f"regulatory.regimes.{index}",
                    "{regime} covers generative AI, and a {kind} is none: remove it, or make "
                    "the project an assistant or an agent",
                    regime=regime,
                    kind=self.kind,
                )

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
