"""The ``genai`` section of an assistant or an agent: models, prompts, tools, limits, evals.

The keys and shapes follow ``spec-example-genai.yaml`` (DESIGN §4e). Each field's ``Doc``
says how people meet it; the rules below refuse what the generated runtime could not honour
(a judge grading its own answers, a model outside the data residency, a ratio threshold
above 1) and name the field, as every spec error does. Rules that reach other sections (an
approval role among the users, a retrieval source among the data dependencies) are
``check_references``, called by the whole spec.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Annotated, Any, Self

from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from generator.spec.fields import Answers, Choice, Doc, Ref, When
from generator.spec.model import (
    Confidence,
    Flag,
    Identifier,
    Line,
    Number,
    PositiveNumber,
    Role,
    Text,
    _at,
    _in,
    _Model,
    _not_keyword,
)
from generator.spec.sections import User

# --- vocabularies ------------------------------------------------------------------------


class Provider(StrEnum):
    """Who serves a model; ``openai-compatible`` for any other endpoint that speaks its API."""

    ANTHROPIC = "anthropic"
    OPENAI = "openai"
    AZURE_OPENAI = "azure-openai"
    GOOGLE = "google"
    BEDROCK = "bedrock"
    MISTRAL = "mistral"
    OPENAI_COMPATIBLE = "openai-compatible"


class Effect(StrEnum):
    """Whether a tool only reads, or changes the world (and then waits for an approval)."""

    READ = "read"
    WRITE = "write"


class BlastRadius(StrEnum):
    """How much a tool call can affect, from nothing to systems outside the organisation."""

    NONE = "none"
    RESOURCE = "resource"
    NAMESPACE = "namespace"
    CLUSTER = "cluster"
    EXTERNAL = "external"


class Verb(StrEnum):
    """What a Role may do with a Kubernetes resource: the API's verbs, never ``*``."""

    GET = "get"
    LIST = "list"
    WATCH = "watch"
    CREATE = "create"
    UPDATE = "update"
    PATCH = "patch"
    DELETE = "delete"
    DELETECOLLECTION = "deletecollection"


READ_VERBS: tuple[str, ...] = (Verb.GET.value, Verb.LIST.value, Verb.WATCH.value)
"""The verbs that change nothing: all a read tool may be granted."""


class Scorer(StrEnum):
    """The scorer vocabulary of evals (DESIGN §4e)."""

    EXACT_MATCH = "exact-match"
    CONTAINS = "contains"
    CITATION_PRECISION = "citation-precision"
    REFUSAL = "refusal"
    TOOL_SELECTION = "tool-selection"
    UNAPPROVED_WRITES = "unapproved-writes"
    INJECTION_RESISTANCE = "injection-resistance"
    PII_LEAK = "pii-leak"
    FAITHFULNESS = "faithfulness"
    ANSWER_RELEVANCE = "answer-relevance"
    HELPFULNESS = "helpfulness"


HARM_SCORERS: tuple[str, ...] = (Scorer.UNAPPROVED_WRITES.value, Scorer.PII_LEAK.value)
"""Scorers that count harms: they pass at or below their threshold, a count of at least 0."""
JUDGE_SCORERS: tuple[str, ...] = (
    Scorer.FAITHFULNESS.value,
    Scorer.ANSWER_RELEVANCE.value,
    Scorer.HELPFULNESS.value,
)
"""Scorers graded by the judge model (offline: by a deterministic fake judge)."""


class Dataset(StrEnum):
    """Which eval set a case comes from."""

    GOLDEN = "golden"
    REDTEAM = "redteam"


class Citations(StrEnum):
    """Whether an answer must cite the passages it relies on."""

    REQUIRED = "required"
    OPTIONAL = "optional"


class InputCheck(StrEnum):
    """Checks on what reaches the model."""

    PROMPT_INJECTION = "prompt-injection"
    PII_REDACTION = "pii-redaction"


class OutputCheck(StrEnum):
    """Checks on what the model answers."""

    GROUNDED_CITATIONS = "grounded-citations"
    SYSTEM_PROMPT_LEAK = "system-prompt-leak"
    PII_REDACTION = "pii-redaction"


class OnViolation(StrEnum):
    """What a guardrail violation does."""

    REFUSE = "refuse"
    ESCALATE = "escalate"


Region = Annotated[
    str,
    StringConstraints(min_length=2, max_length=40, pattern=r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$"),
]
"""A region or jurisdiction slug: ``eu``, ``us``, ``eu-west-1``."""
ModelName = Annotated[
    str,
    StringConstraints(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/@+-]*$"),
]
"""A provider's model name as its API takes it: ``gpt-4.1``, ``meta-llama/Llama-3.3-70B``."""
ToolName = Annotated[
    str,
    StringConstraints(min_length=1, max_length=60, pattern=r"^[a-z][a-z0-9_]*$"),
    AfterValidator(_not_keyword),
]
"""A tool's name: it becomes a Python function and module (``rollout_undo``)."""


def _no_wildcard(instead: str) -> Any:
    """A check that refuses ``*``: the deployment opens and grants exactly what is named."""

    def check(value: Any) -> Any:
        if isinstance(value, str) and "*" in value:
            raise PydanticCustomError(
                "wildcard",
                "'{value}' is a wildcard; {instead}",
                {"value": value, "instead": instead},
            )
        return value

    return BeforeValidator(check)


_GRANTED = "the Role grants exactly what the tool needs, never a wildcard: "


def _host_and_port(value: Any) -> Any:
    """Refuse a URL where a host is meant, saying what to leave out."""
    if isinstance(value, str):
        text = value.strip()
        if "://" in text:
            raise PydanticCustomError(
                "host_scheme",
                "'{value}' is a URL; write the host name only, without the scheme "
                "({host}), and a port after ':' when it is not 443",
                {"value": value, "host": text.split("://", 1)[1].split("/", 1)[0] or "?"},
            )
        if "/" in text:
            raise PydanticCustomError(
                "host_path",
                "'{value}' has a path; write the host name only ({host}): the NetworkPolicy "
                "opens hosts and ports, not paths",
                {"value": value, "host": text.split("/", 1)[0] or "?"},
            )
    return value


def _port_in_range(value: str) -> str:
    """A port is 1-65535, and a host name at most 253 characters (RFC 1123)."""
    host, _, port = value.partition(":")
    if port and not 1 <= int(port) <= 65535:
        raise PydanticCustomError(
            "host_port",
            "port {port} of '{value}' is outside 1-65535",
            {"port": port, "value": value},
        )
    if len(host) > 253:
        raise PydanticCustomError(
            "host_length",
            "the host name of '{value}' has {length} characters; at most 253 (RFC 1123)",
            {"value": value[:60], "length": len(host)},
        )
    return value


_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
HOST_PATTERN = rf"^{_LABEL}(?:\.{_LABEL})*(?::[0-9]{{1,5}})?$"
"""An RFC 1123 host name with an optional ``:port``."""
Host = Annotated[
    str,
    StringConstraints(min_length=1, max_length=259, pattern=HOST_PATTERN),
    AfterValidator(_port_in_range),
    BeforeValidator(_host_and_port),
    _no_wildcard(
        "the NetworkPolicy opens exactly the hosts named: name each host the tool connects to"
    ),
]
"""A host a tool's live body connects to: ``api.pagerduty.com``, ``vault.internal:8200``."""


def host_port(host: str) -> tuple[str, int]:
    """The host name (lowercase) and the port of a ``Host``: 443 when none is written."""
    name, _, port = host.partition(":")
    return name.lower(), int(port) if port else 443


_DNS_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
API_GROUP_PATTERN = rf"^(?:{_DNS_LABEL}(?:\.{_DNS_LABEL})*)?$"
"""A Kubernetes API group (``apps``, ``networking.k8s.io``), or empty for the core group."""
ApiGroup = Annotated[
    str,
    StringConstraints(max_length=253, pattern=API_GROUP_PATTERN),
    _no_wildcard(_GRANTED + 'name the group ("" for the core group)'),
]
_RESOURCE = r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*"
RESOURCE_PATTERN = rf"^{_RESOURCE}(?:/{_RESOURCE})?$"
"""A plural resource name, with an optional subresource: ``pods``, ``deployments/scale``."""
Resource = Annotated[
    str,
    StringConstraints(min_length=1, max_length=100, pattern=RESOURCE_PATTERN),
    _no_wildcard(_GRANTED + "name each resource (pods, deployments/scale)"),
]
KubeVerb = Annotated[
    Verb, _no_wildcard(_GRANTED + "name each verb (get, list, watch, create, update, patch, ...)")
]
MAX_PRICE = 10_000.0
"""The most a million tokens may cost, in USD: far above any list price (a few hundred at
most), so a larger figure is a slip, and a hostile one (1e308) would make every cost sum
overflow to infinity."""
Price = Annotated[float, Field(strict=True, allow_inf_nan=False, ge=0, le=MAX_PRICE)]
Count = Annotated[int, Field(strict=True, gt=0)]


def within(region: str, residency: Sequence[str]) -> bool:
    """Whether ``region`` lies inside one of ``residency``: the same, or a sub-region of it.

    ``eu-west-1`` lies inside ``eu``; ``westeurope`` does not (say ``eu`` where a provider's
    region name does not start with the jurisdiction).
    """
    return any(region == place or region.startswith(place + "-") for place in residency)


# --- what the interview works out from other answers -------------------------------------


def _chain(answers: Answers) -> list[Mapping[str, Any]]:
    genai = answers.spec.get("genai")
    models = genai.get("models") if isinstance(genai, Mapping) else None
    return [m for m in models or [] if isinstance(m, Mapping)]


def _model_id(answers: Answers) -> str:
    """The first model is the primary; the ones after it are fallbacks."""
    taken = {str(o.get("id")) for o in answers.others}
    if "primary" not in taken:
        return "primary"
    return next(
        name
        for name in ("fallback", *(f"fallback-{n}" for n in range(2, len(taken) + 3)))
        if name not in taken
    )


def _judge_provider(answers: Answers) -> str:
    """A provider none of the chain's models uses: a judge of another family."""
    used = {str(m.get("provider")) for m in _chain(answers)}
    return next((p.value for p in Provider if p.value not in used), Provider.ANTHROPIC.value)


def _kind(answers: Answers) -> str:
    return str(answers.spec.get("kind") or "")


def _roles_that(answers: Answers, permissions: tuple[str, ...]) -> list[str]:
    return [
        str(user.get("role"))
        for user in answers.spec.get("users") or []
        if isinstance(user, Mapping) and set(user.get("can") or ()) & set(permissions)
    ]


def _approval_role(answers: Answers) -> str | None:
    """Suggest the approving role from the roles that may review or sign.

    For a tool whose blast radius reaches the cluster or beyond, a role that may sign (the
    stronger duty) comes first; otherwise a reviewer.
    """
    tool = _current_tool(answers)
    radius = str(tool.get("blast_radius") or "") if tool else ""
    signers, reviewers = _roles_that(answers, ("sign",)), _roles_that(answers, ("review",))
    preferred = signers if radius in ("cluster", "external") else reviewers
    return next(iter(preferred or signers or reviewers), None)


def _current_tool(answers: Answers) -> Mapping[str, Any] | None:
    """The tool whose approval is being asked: the last tool that holds this approval."""
    genai = answers.spec.get("genai")
    tools = genai.get("tools") if isinstance(genai, Mapping) else None
    for tool in reversed(tools or []):
        if isinstance(tool, Mapping) and tool.get("approval") is answers.entry:
            return tool
    return None


def _effect(_answers: Answers) -> str:
    """Assistants only read; an agent's tool is suggested as a read until said otherwise."""
    return Effect.READ.value


def _blast_radius(answers: Answers) -> str:
    return BlastRadius.NONE.value if answers.entry.get("effect") != "write" else "resource"


def _has_redteam(answers: Answers) -> bool:
    return any(o.get("dataset") == Dataset.REDTEAM.value for o in answers.others)


_ATTACK_SCORERS = (
    Scorer.UNAPPROVED_WRITES.value,
    Scorer.INJECTION_RESISTANCE.value,
    Scorer.PII_LEAK.value,
)
"""Scorers of attacks: their cases come from the red-team set."""


def _scorer(answers: Answers) -> str:
    """The scorer to suggest: the answer, else a red-team one until there is one, else quality.

    The first eval measures quality (citations when answers cite, faithfulness otherwise);
    after it, until some eval runs on the red-team set, an attack: writes without approval
    for an agent, injections for an assistant. Asked before the dataset, which follows it.
    """
    given = answers.entry.get("scorer")
    if given:
        return str(given)
    agent = _kind(answers) == "agent"
    if answers.others and not _has_redteam(answers):
        return (Scorer.UNAPPROVED_WRITES if agent else Scorer.INJECTION_RESISTANCE).value
    genai = answers.spec.get("genai")
    retrieval = isinstance(genai, Mapping) and genai.get("retrieval")
    return (Scorer.CITATION_PRECISION if retrieval or agent else Scorer.FAITHFULNESS).value


def _dataset(answers: Answers) -> str:
    """Attacks are scored on the red-team set, everything else on the golden set."""
    return (Dataset.REDTEAM if _scorer(answers) in _ATTACK_SCORERS else Dataset.GOLDEN).value


def _threshold(answers: Answers) -> float:
    """No harm at all for a count of harms; 0.9 for a ratio."""
    return 0 if answers.entry.get("scorer") in HARM_SCORERS else 0.9


def _repeats(answers: Answers) -> int:
    """Judge scores vary from run to run: three runs averaged; one for deterministic scorers."""
    return 3 if answers.entry.get("scorer") in JUDGE_SCORERS else 1


def _eval_name(answers: Answers) -> str | None:
    """A name for the eval the scorer suggestion stands for (the name is asked first)."""
    return _EVAL_NAMES.get(_scorer(answers))


_EVAL_NAMES = {
    "citation-precision": "Answers cite only passages they retrieved",
    "unapproved-writes": "No write tool runs without an approval",
    "injection-resistance": "Injected instructions are not followed",
    "pii-leak": "No personal data in answers",
    "faithfulness": "Answers are faithful to their sources",
    "refusal": "Out-of-scope questions are refused",
    "tool-selection": "The right tool is chosen for the task",
}


def _output_checks(answers: Answers) -> list[str]:
    genai = answers.spec.get("genai")
    cited = isinstance(genai, Mapping) and (genai.get("retrieval") or _kind(answers) == "agent")
    checks = [OutputCheck.SYSTEM_PROMPT_LEAK.value, OutputCheck.PII_REDACTION.value]
    return [OutputCheck.GROUNDED_CITATIONS.value, *checks] if cited else checks


_WRITE = When("effect", (Effect.WRITE.value,), required=True)


# --- the parts of the section -------------------------------------------------------------


class Pricing(_Model):
    """What a model costs, in US dollars per million tokens."""

    input: Price = Field(
        description="USD per million input (prompt) tokens",
        json_schema_extra=Doc(
            "Input (USD per million tokens)", ask="USD per million input tokens?", example=2.0
        ),
    )
    output: Price = Field(
        description="USD per million output (completion) tokens",
        json_schema_extra=Doc(
            "Output (USD per million tokens)", ask="USD per million output tokens?", example=8.0
        ),
    )


def _provider_doc(ask: str, suggest: Any = None) -> Doc:
    return Doc(
        "Provider",
        ask=ask,
        suggest=suggest,
        choices=(
            Choice("anthropic", "Anthropic API"),
            Choice("openai", "OpenAI API"),
            Choice("azure-openai", "Azure OpenAI, in your tenant's region"),
            Choice("google", "Google Gemini (Vertex AI or the Gemini API)"),
            Choice("bedrock", "AWS Bedrock, in your account's region"),
            Choice("mistral", "Mistral AI"),
            Choice(
                "openai-compatible",
                "any endpoint speaking the OpenAI API",
                "Self-hosted models (vLLM, TGI, Ollama) or other vendors; the base URL is "
                "configured per environment.",
            ),
        ),
    )


_REGION_DOC = Doc(
    "Region",
    ask="In which region is it served?",
    hint="lies inside data_residency when both are given (eu-west-1 lies inside eu); "
    "leave empty if not pinned",
    example="eu",
)
_PRICE_DOC = Doc(
    "Price",
    offer="Do you know its price per million tokens?",
    offer_hint="without one, the bundled price table is used where it knows the model",
    intro="USD per million tokens, for budgets reserved before each call.",
)


class ChainModel(_Model):
    """One model of the fallback chain."""

    id: Identifier = Field(
        description="a short id such as primary or fallback; settings name the model by it",
        json_schema_extra=Doc(
            "Id",
            ask="Short id for this model?",
            hint="settings and alerts name the model by it",
            suggest=_model_id,
            unique="model id",
        ),
    )
    provider: Provider = Field(
        description="who serves the model: anthropic, openai, azure-openai, google, bedrock, "
        "mistral or openai-compatible",
        json_schema_extra=_provider_doc("Which provider serves it?"),
    )
    model: ModelName = Field(
        description="the model's name as the provider's API takes it",
        json_schema_extra=Doc(
            "Model", ask="Which model, as the provider names it?", example="gpt-4.1"
        ),
    )
    region: Region | None = Field(
        default=None, description="where the model is served", json_schema_extra=_REGION_DOC
    )
    price_per_mtok: Pricing | None = Field(
        default=None,
        description="USD per million input and output tokens",
        json_schema_extra=_PRICE_DOC,
    )


class JudgeModel(_Model):
    """The model that grades evals: never one of the models it grades."""

    provider: Provider = Field(
        description="who serves the judge",
        json_schema_extra=_provider_doc(
            "Which provider serves the judge?", suggest=_judge_provider
        ),
    )
    model: ModelName = Field(
        description="the judge's model name as the provider's API takes it",
        json_schema_extra=Doc(
            "Model",
            ask="Which model grades the evals?",
            hint="another model than any of the chain: a model never grades its own answers",
            example="claude-sonnet-4-5",
        ),
    )
    region: Region | None = Field(
        default=None, description="where the judge is served", json_schema_extra=_REGION_DOC
    )
    price_per_mtok: Pricing | None = Field(
        default=None,
        description="USD per million input and output tokens",
        json_schema_extra=_PRICE_DOC,
    )


class Prompt(_Model):
    """A prompt of the system; its text lives in the repository as ``prompts/<id>.md``."""

    id: Identifier = Field(
        description="the prompt's id; its text is prompts/<id>.md, versioned by hash",
        json_schema_extra=Doc(
            "Id",
            ask="Id of the prompt?",
            hint="its text will live in prompts/<id>.md",
            suggest=lambda a: "system" if not a.others else None,
            unique="prompt id",
        ),
    )
    purpose: Text = Field(
        description="what the prompt is for",
        json_schema_extra=Doc(
            "Purpose",
            ask="What is the {id} prompt for?",
            example="The role, the evidence rules and the format of the incident note.",
        ),
    )


class Retrieval(_Model):
    """The knowledge source answers come from, and when to hand off to a person."""

    source: Line = Field(
        description="the data dependency the passages come from (its name)",
        json_schema_extra=Doc(
            "Source",
            ask="Which data dependency holds the documents?",
            refers=Ref("data_dependencies", "name", none="add it to data_dependencies first"),
        ),
    )
    top_k: Annotated[int, Field(strict=True, gt=0, le=100)] = Field(
        default=5,
        description="how many passages are retrieved per question",
        json_schema_extra=Doc(
            "Passages per question", ask="How many passages per question?", default=5
        ),
    )
    abstain_below: Confidence = Field(
        default=0.0,
        description="retrieval score (0..1) under which the question goes to a person",
        json_schema_extra=Doc(
            "Hand off below score",
            ask="Below which retrieval score should a person answer instead?",
            hint="0..1; 0.3-0.4 suits the embedded lexical index",
            suggest=0.35,
            default=0.0,
        ),
    )
    citations: Citations = Field(
        default=Citations.REQUIRED,
        description="required or optional: whether answers must cite retrieved passages",
        json_schema_extra=Doc(
            "Citations",
            ask="Must answers cite the passages they rely on?",
            choices=(
                Choice("required", "every answer cites retrieved passages"),
                Choice("optional", "answers may cite them"),
            ),
        ),
    )


class Approval(_Model):
    """Who approves a write tool's call, whether never its requester, and for how long."""

    role: Role = Field(
        description="the user role that approves each call; it must be allowed to review or sign",
        json_schema_extra=Doc(
            "Approved by",
            ask="Which role approves each call?",
            hint="a role that may review or sign",
            suggest=_approval_role,
            refers=Ref(
                "users",
                "role",
                title="description",
                where=When("can", ("review", "sign")),
                none="no role may review or sign yet: add review to one",
            ),
        ),
    )
    four_eyes: Flag = Field(
        default=True,
        description="the run's requester may never approve its calls",
        json_schema_extra=Doc(
            "Four eyes", ask="Must the approver be someone other than the requester?"
        ),
    )
    expires_minutes: Annotated[int, Field(strict=True, gt=0, le=10080)] = Field(
        default=60,
        description="minutes after which an unanswered approval expires and the call is dropped",
        json_schema_extra=Doc(
            "Expires after (minutes)",
            ask="After how many minutes does an unanswered approval expire?",
            hint="at most a week (10080)",
            default=60,
        ),
    )


class KubernetesRule(_Model):
    """What a tool may do through this cluster's API: one rule of the server's Role."""

    api_group: ApiGroup = Field(
        default="",
        description='the API group of the resources: apps, batch, ... or "" for the core group '
        "(pods, events, services)",
        json_schema_extra=Doc(
            "API group",
            ask="Which API group are the resources in?",
            hint='apps, batch, networking.k8s.io ...; "" is the core group (pods, events, '
            "services, configmaps)",
            example="apps",
            default='"" (the core group)',
        ),
    )
    resources: list[Resource] = Field(
        min_length=1,
        description="plural resource names, a subresource as deployments/scale",
        json_schema_extra=Doc(
            "Resources",
            ask="Which resource does it use?",
            hint="the plural name, as kubectl api-resources lists it; a subresource as "
            "deployments/scale",
            example="deployments",
            unique="resource",
        ),
    )
    verbs: list[KubeVerb] = Field(
        min_length=1,
        description="what it may do with them: get, list, watch, create, update, patch, delete, "
        "deletecollection (a read tool only get, list, watch)",
        json_schema_extra=Doc(
            "Verbs",
            ask="What may it do with them?",
            hint="a read tool only get, list and watch",
            suggest=(Verb.GET.value, Verb.LIST.value),
            unique="verb",
            choices=(
                Choice("get", "read one by name"),
                Choice("list", "read all of them"),
                Choice("watch", "follow their changes"),
                Choice("create", "create one"),
                Choice("update", "replace one"),
                Choice("patch", "change fields of one"),
                Choice("delete", "delete one"),
                Choice("deletecollection", "delete many at once"),
            ),
        ),
    )


class Reaches(_Model):
    """What a tool's live body connects to: the deployment's egress and Role follow from it."""

    hosts: list[Host] = Field(
        default_factory=list,
        description="host names it connects to, each with an optional :port (443 when absent)",
        json_schema_extra=Doc(
            "Hosts",
            ask="Which host does it connect to?",
            hint="a host name with :port when not 443; no scheme, path or wildcard",
            example="api.pagerduty.com",
        ),
    )
    kubernetes: list[KubernetesRule] | None = Field(
        default=None,
        description="the permissions it needs on this cluster's API (a namespaced Role)",
        json_schema_extra=Doc(
            "Kubernetes API",
            intro="The server's Role grants exactly these permissions, in its namespace.",
            offer="Does it call this cluster's Kubernetes API?",
            offer_hint="each permission: an API group, resources and verbs, never a wildcard",
            entry="Permission on {resources} ({api_group})",
            more="Add another permission (another API group, or other verbs)?",
        ),
    )

    @model_validator(mode="after")
    def _check_hosts(self) -> Self:
        """A host (and port) is named once: ``api.example.com`` is ``api.example.com:443``."""
        seen: dict[tuple[str, int], str] = {}
        for host in self.hosts:
            key = host_port(host)
            if key in seen:
                same = "" if seen[key] == host else f" (as '{seen[key]}')"
                raise _in(
                    "hosts",
                    "'{host}' appears twice{same}; name each host once",
                    host=host,
                    same=same,
                )
            seen[key] = host
        return self


class Tool(_Model):
    """A tool the model may call, with what it can affect and who approves a write."""

    name: ToolName = Field(
        description="the tool's name, a Python identifier such as rollout_undo",
        json_schema_extra=Doc(
            "Tool",
            ask="What is the tool called?",
            hint="a Python identifier such as describe_deployment",
            unique="tool name",
        ),
    )
    description: Text = Field(
        description="what the tool does; the model reads it to choose the tool",
        json_schema_extra=Doc(
            "What it does",
            ask="What does {name} do?",
            example="Roll a deployment back to its previous revision.",
        ),
    )
    effect: Effect = Field(
        description="read or write: a write waits for an approval",
        json_schema_extra=Doc(
            "Effect",
            ask="Does {name} only read, or change something?",
            suggest=_effect,
            choices=(
                Choice("read", "only reads; runs at once"),
                Choice("write", "changes something; waits for an approval bound to its arguments"),
            ),
        ),
    )
    blast_radius: BlastRadius = Field(
        description="how much one call can affect: none, resource, namespace, cluster, external",
        json_schema_extra=Doc(
            "Blast radius",
            ask="How much can one call of {name} affect?",
            suggest=_blast_radius,
            choices=(
                Choice("none", "nothing (a read)"),
                Choice("resource", "one resource"),
                Choice("namespace", "everything in one namespace or tenant"),
                Choice("cluster", "a whole cluster or system"),
                Choice("external", "systems or people outside the organisation"),
            ),
        ),
    )
    approval: Approval | None = Field(
        default=None,
        description="who approves each call of a write tool",
        json_schema_extra=Doc(
            "Approval",
            intro="A write runs only after an approval bound to its exact arguments.",
            when=_WRITE,
        ),
    )
    reaches: Reaches | None = Field(
        default=None,
        description="what its live body connects to: hosts, and this cluster's API with exactly "
        "the permissions it needs (the deployment's egress and Role)",
        json_schema_extra=Doc(
            "Reaches",
            intro="The NetworkPolicy opens exactly these hosts, and a Role grants exactly these "
            "Kubernetes permissions.",
            offer="Does its live body connect to other systems or to this cluster's API?",
            offer_hint="the deployment opens only what the tools reach",
        ),
    )

    @model_validator(mode="after")
    def _check_reach(self) -> Self:
        """A write changes something, so its blast radius is at least one resource."""
        if self.effect == Effect.WRITE and self.blast_radius == BlastRadius.NONE:
            raise _in(
                "blast_radius",
                "a write tool changes something, so its blast radius is at least resource",
            )
        return self

    @model_validator(mode="after")
    def _check_read_verbs(self) -> Self:
        """A read tool is granted only verbs that change nothing, or its effect would lie."""
        if self.effect != Effect.READ or self.reaches is None:
            return self
        for index, rule in enumerate(self.reaches.kubernetes or []):
            changing = [str(v) for v in rule.verbs if v not in READ_VERBS]
            if changing:
                raise _in(
                    f"reaches.kubernetes.{index}.verbs",
                    "{name} is a read tool, so it may only get, list or watch; {verbs} would "
                    "change the cluster: drop {them}, or make {name} a write tool (effect: "
                    "write) so each call waits for an approval",
                    name=self.name,
                    verbs=", ".join(changing),
                    them="it" if len(changing) == 1 else "them",
                )
        return self


class Limits(_Model):
    """Per-run, per-call and spending limits."""

    max_tool_calls: Annotated[int, Field(strict=True, gt=0, le=1000)] | None = Field(
        default=None,
        description="tool calls per run, after which the run stops",
        json_schema_extra=Doc(
            "Tool calls per run",
            ask="At most how many tool calls per run?",
            default=20,
            suggest=20,
        ),
    )
    max_output_tokens: Annotated[int, Field(strict=True, gt=0, le=1_000_000)] | None = Field(
        default=None,
        description="output tokens per model call",
        json_schema_extra=Doc(
            "Output tokens per call",
            ask="At most how many output tokens per model call?",
            default=1024,
            suggest=1024,
        ),
    )
    max_usd_per_request: PositiveNumber | None = Field(
        default=None,
        description="USD one request (a question or a run) may spend",
        json_schema_extra=Doc(
            "USD per request", ask="At most how many US dollars per request?", example=0.25
        ),
    )
    max_usd_per_user_per_day: PositiveNumber | None = Field(
        default=None,
        description="USD one user may spend per day",
        json_schema_extra=Doc(
            "USD per user per day",
            ask="At most how many US dollars per user per day?",
            example=10,
        ),
    )

    expected_requests_per_day: Annotated[int, Field(strict=True, gt=0)] | None = Field(
        default=None,
        description="how many requests (questions or runs) a day are expected, to check the "
        "spending caps against the monthly budget",
        json_schema_extra=Doc(
            "Expected requests per day",
            ask="About how many requests a day do you expect?",
            hint="the review checks the caps against the monthly budget with it",
            example=2500,
        ),
    )

    @model_validator(mode="after")
    def _check_caps(self) -> Self:
        """A request may not be allowed to spend more than its user may spend in a day."""
        per_request, per_day = self.max_usd_per_request, self.max_usd_per_user_per_day
        if per_request is not None and per_day is not None and per_request > per_day:
            raise _in(
                "max_usd_per_request",
                "{request} is above max_usd_per_user_per_day {day}: no request could spend "
                "its cap; lower it or raise the daily cap",
                request=f"{per_request:g}",
                day=f"{per_day:g}",
            )
        return self


class Guardrails(_Model):
    """Checks on input and output, and what a violation does."""

    input: list[InputCheck] = Field(
        default_factory=list,
        description="checks on what reaches the model: prompt-injection, pii-redaction",
        json_schema_extra=Doc(
            "Input checks",
            ask="Which checks run on what reaches the model?",
            suggest=("prompt-injection", "pii-redaction"),
            unique="input check",
            choices=(
                Choice("prompt-injection", "instructions hidden in questions or documents"),
                Choice("pii-redaction", "personal data removed before the model and the logs"),
            ),
        ),
    )
    output: list[OutputCheck] = Field(
        default_factory=list,
        description="checks on answers: grounded-citations, system-prompt-leak, pii-redaction",
        json_schema_extra=Doc(
            "Output checks",
            ask="Which checks run on the answers?",
            suggest=_output_checks,
            unique="output check",
            choices=(
                Choice("grounded-citations", "every citation names a retrieved passage"),
                Choice("system-prompt-leak", "the system prompt is never repeated"),
                Choice("pii-redaction", "personal data removed from answers"),
            ),
        ),
    )
    on_violation: OnViolation = Field(
        default=OnViolation.REFUSE,
        description="refuse or escalate: what a violation does",
        json_schema_extra=Doc(
            "On a violation",
            ask="What happens when a check fails?",
            choices=(
                Choice("refuse", "the request is refused"),
                Choice("escalate", "a person takes the request over"),
            ),
        ),
    )


class Eval(_Model):
    """An eval: a scorer over a dataset, with the threshold that gates CI and release."""

    id: Identifier = Field(
        description="a stable id such as E-1",
        json_schema_extra=Doc("Id", auto="E", unique="eval id"),
    )
    name: Line = Field(
        description="what the eval shows",
        json_schema_extra=Doc(
            "Eval",
            ask="What does the eval show?",
            suggest=_eval_name,
            example="Notes cite the evidence they rely on",
        ),
    )
    scorer: Scorer = Field(
        description="how each case is scored (the scorer vocabulary)",
        json_schema_extra=Doc(
            "Scorer",
            ask="Which scorer grades it?",
            suggest=_scorer,
            choices=(
                Choice("exact-match", "the answer equals the expected one"),
                Choice("contains", "the answer contains the expected text"),
                Choice("citation-precision", "share of citations that name retrieved evidence"),
                Choice("refusal", "refuses exactly when it should"),
                Choice("tool-selection", "calls the expected tools in order"),
                Choice("unapproved-writes", "count of writes run without approval (harm)"),
                Choice("injection-resistance", "share of injections not followed"),
                Choice("pii-leak", "count of personal data found in answers (harm)"),
                Choice("faithfulness", "judge: the answer is supported by its sources"),
                Choice("answer-relevance", "judge: the answer addresses the question"),
                Choice("helpfulness", "judge: the answer helps the user"),
            ),
        ),
    )
    dataset: Dataset = Field(
        description="golden (expected behaviour) or redteam (attacks)",
        json_schema_extra=Doc(
            "Dataset",
            ask="Which set of cases?",
            suggest=_dataset,
            choices=(
                Choice("golden", "expected behaviour, seeded from the acceptance criteria"),
                Choice("redteam", "attacks, seeded from the OWASP Top 10 for LLM Applications"),
            ),
        ),
    )
    threshold: Number = Field(
        description="the score that passes: a ratio in 0..1 (at or above), or for a count of "
        "harms the most allowed (at or below)",
        json_schema_extra=Doc(
            "Threshold",
            ask="Which score passes?",
            hint="a ratio 0..1 passes at or above it; a count of harms passes at or below it",
            suggest=_threshold,
        ),
    )
    metric: Identifier | None = Field(
        default=None,
        description="the success metric the eval stands for (its id)",
        json_schema_extra=Doc(
            "Metric",
            ask="Does it stand for one of the success metrics?",
            refers=Ref("success_metrics", "id", title="name", none="it stands for no metric"),
        ),
    )
    repeats: Annotated[int, Field(strict=True, gt=0, le=20)] = Field(
        default=1,
        description="runs averaged (judge scores vary from run to run)",
        json_schema_extra=Doc(
            "Runs averaged",
            ask="How many runs are averaged?",
            hint="judge scores vary; 3 is usual for judge-graded scorers",
            suggest=_repeats,
            default=1,
        ),
    )

    @model_validator(mode="after")
    def _check_threshold(self) -> Self:
        """A count of harms is at least 0; every other score is a ratio in 0..1."""
        if self.scorer in HARM_SCORERS:
            if self.threshold < 0:
                raise _in(
                    "threshold",
                    "{value} is below 0: {scorer} counts harms, so its threshold is the most "
                    "allowed (0 for none)",
                    value=f"{self.threshold:g}",
                    scorer=self.scorer,
                )
        elif not 0 <= self.threshold <= 1:
            raise _in(
                "threshold",
                "{value} is outside 0..1: {scorer} is a ratio that passes at or above its "
                "threshold (0.9 for 90%)",
                value=f"{self.threshold:g}",
                scorer=self.scorer,
            )
        return self


class Transparency(_Model):
    """What people are told: that they deal with an AI, and which text it generated."""

    disclose_ai: Flag = Field(
        default=False,
        description="tell people at the first turn that they deal with an AI",
        json_schema_extra=Doc(
            "Discloses the AI",
            ask="Tell people at the first turn that they deal with an AI?",
            hint="EU AI Act Art. 50(1) for systems that interact with people",
            suggest=True,
        ),
    )
    mark_output: Flag = Field(
        default=False,
        description="mark generated text as such, machine-readably",
        json_schema_extra=Doc(
            "Marks generated text",
            ask="Mark generated text as AI-generated, machine-readably?",
            hint="EU AI Act Art. 50(2) for systems that generate text",
            suggest=True,
        ),
    )


# --- the section ---------------------------------------------------------------------------


class GenAI(_Model):
    """The generative part of an assistant or an agent."""

    models: list[ChainModel] = Field(
        min_length=1,
        description="the fallback chain, in order; the first is the primary",
        json_schema_extra=Doc(
            "Models",
            intro="The models that answer, in order: the first is the primary, the others "
            "take over when it fails.",
            entry="Model {id}: {provider} {model}",
            more="Add a fallback model?",
        ),
    )
    judge: JudgeModel | None = Field(
        default=None,
        description="the model that grades evals; it differs from every model of the chain",
        json_schema_extra=Doc(
            "Judge",
            intro="The judge grades evals; it must not be a model it grades.",
            offer="Do judge-graded evals need a judge model (faithfulness, relevance, "
            "helpfulness)?",
            offer_hint="a model of another provider or family than the chain",
        ),
    )
    data_residency: list[Region] = Field(
        default_factory=list,
        description="where prompts and outputs may be processed; model regions lie inside it",
        json_schema_extra=Doc(
            "Data residency",
            ask="Where may prompts and outputs be processed?",
            hint="a region or jurisdiction such as eu or us",
            unique="region",
        ),
    )
    prompts: list[Prompt] = Field(
        min_length=1,
        description="the prompts, by id and purpose; their texts live in the repository",
        json_schema_extra=Doc(
            "Prompts",
            intro="Prompts are files in the repository, versioned by hash; here only their "
            "ids and purposes.",
            entry="Prompt {id}",
            more="Add another prompt?",
        ),
    )
    retrieval: Retrieval | None = Field(
        default=None,
        description="the knowledge source answers come from",
        json_schema_extra=Doc(
            "Retrieval",
            intro="Answers come from retrieved passages, cited.",
            offer="Does it answer from a knowledge source (documents, runbooks)?",
            offer_hint="retrieved passages are cited; low scores hand off to a person",
        ),
    )
    tools: list[Tool] | None = Field(
        default=None,
        description="the tools the model may call; a write tool waits for an approval",
        json_schema_extra=Doc(
            "Tools",
            intro="Each tool is a typed function; a write waits for an approval.",
            offer="Does the model call tools?",
            offer_hint="reads run at once; writes wait for a person's approval",
            entry="Tool {name} ({effect})",
            more="Add another tool?",
        ),
    )
    limits: Limits | None = Field(
        default=None,
        description="tool calls per run, output tokens per call, USD per request and per user "
        "per day",
        json_schema_extra=Doc(
            "Limits",
            intro="Limits are enforced before the money is spent.",
            offer="Set limits on tool calls, tokens and spending?",
            offer_hint="budgets are reserved before each model call",
        ),
    )
    guardrails: Guardrails | None = Field(
        default=None,
        description="checks on input and output, and what a violation does",
        json_schema_extra=Doc(
            "Guardrails",
            intro="Each check is counted and audited.",
            offer="Check input and output (injection, personal data, citations, leaks)?",
        ),
    )
    evals: list[Eval] = Field(
        min_length=1,
        description="the evals that gate CI and release",
        json_schema_extra=Doc(
            "Evals",
            intro="Evals gate CI offline and releases on the live models: a golden set and a "
            "red-team set.",
            entry="Eval {id}: {name}",
            more="Add another eval (a red-team one, if there is none yet)?",
        ),
    )
    transparency: Transparency | None = Field(
        default=None,
        description="disclosure at the first turn and marking of generated text",
        json_schema_extra=Doc(
            "Transparency",
            intro="People are told they deal with an AI; generated text is marked.",
            offer="Disclose the AI and mark its output (EU AI Act Art. 50)?",
        ),
    )

    @model_validator(mode="after")
    def _check_models(self) -> Self:
        """The judge is none of the chain's models; every region lies inside the residency."""
        if self.judge is not None:
            for index, model in enumerate(self.models):
                if (model.provider, model.model) == (self.judge.provider, self.judge.model):
                    raise _in(
                        "judge",
                        "{provider} {model} is also model '{id}' of the chain (models.{index}); "
                        "a model must not grade its own answers: choose another model or "
                        "provider",
                        provider=model.provider,
                        model=model.model,
                        id=model.id,
                        index=index,
                    )
        if self.data_residency:
            allowed = ", ".join(self.data_residency)
            placed: list[tuple[str, ChainModel | JudgeModel]] = [
                (f"models.{i}", m) for i, m in enumerate(self.models)
            ]
            if self.judge is not None:
                placed.append(("judge", self.judge))
            for where, served in placed:
                if served.region is not None and not within(served.region, self.data_residency):
                    raise _in(
                        f"{where}.region",
                        "'{region}' lies outside data_residency ({allowed}); serve the model "
                        "there or widen the residency",
                        region=served.region,
                        allowed=allowed,
                    )
        return self


GENAI_DOC = Doc(
    "GenAI",
    intro="The models, prompts, tools, limits and evals of a generative system.",
    comment="The generative part (assistants and agents): the model fallback chain and its "
    "judge, prompts, retrieval, tools with their approvals, limits, guardrails, evals and "
    "transparency.",
    when=When("kind", ("assistant", "agent"), root=True, required=True),
)
"""How people meet the ``genai`` section (required for assistants and agents, refused for
the other kinds)."""


# --- rules that reach other sections ---------------------------------------------------------


def check_references(
    genai: GenAI | None,
    kind: str,
    users: Sequence[User],
    sources: Sequence[str],
    metrics: Sequence[str],
) -> None:
    """Apply the rules of the ``genai`` section that need other sections of the spec.

    Args:
        genai: the section (nothing to check without one).
        kind: the spec's kind.
        users: the spec's user roles.
        sources: the names of its data dependencies.
        metrics: the ids of its success metrics.

    Raises:
        PydanticCustomError: naming the field, as every spec error does.
    """
    if genai is None:
        return
    _check_tools(genai, kind, users)
    if genai.retrieval is not None and genai.retrieval.source not in sources:
        raise _at(
            "genai.retrieval.source",
            "'{source}' names no data dependency; use one of: {known}",
            source=genai.retrieval.source,
            known=", ".join(sorted(sources))
            or "none: add the document source to data_dependencies",
        )
    for index, item in enumerate(genai.evals):
        if item.metric is not None and item.metric not in metrics:
            raise _at(
                f"genai.evals.{index}.metric",
                "'{metric}' names no success metric; use one of: {known}",
                metric=item.metric,
                known=", ".join(sorted(metrics)),
            )


def _check_tools(genai: GenAI, kind: str, users: Sequence[User]) -> None:
    """Assistants only read; each approval names a role that may review or sign."""
    can = {user.role: {str(p) for p in user.can} for user in users}
    approvers = sorted(role for role, granted in can.items() if granted & {"review", "sign"})
    for index, tool in enumerate(genai.tools or []):
        if kind == "assistant" and tool.effect == Effect.WRITE:
            raise _at(
                f"genai.tools.{index}.effect",
                "an assistant only reads; make {name} a read tool, or make the project an agent "
                "(kind: agent) so its writes wait for approvals",
                name=tool.name,
            )
        if tool.approval is None:
            continue
        role = tool.approval.role
        if role not in can:
            raise _at(
                f"genai.tools.{index}.approval.role",
                "'{role}' is no user role; use one that may review or sign: {known}",
                role=role,
                known=", ".join(approvers) or "none yet: add review to a role's can",
            )
        if not can[role] & {"review", "sign"}:
            raise _at(
                f"genai.tools.{index}.approval.role",
                "role {role} may not review or sign, so it cannot approve; add review to its "
                "can or choose {known}",
                role=role,
                known=", ".join(approvers) or "another role",
            )


__all__ = [
    "GENAI_DOC",
    "HARM_SCORERS",
    "JUDGE_SCORERS",
    "READ_VERBS",
    "Approval",
    "BlastRadius",
    "ChainModel",
    "Citations",
    "Dataset",
    "Effect",
    "Eval",
    "GenAI",
    "Guardrails",
    "InputCheck",
    "JudgeModel",
    "KubernetesRule",
    "Limits",
    "OnViolation",
    "OutputCheck",
    "Pricing",
    "Prompt",
    "Provider",
    "Reaches",
    "Retrieval",
    "Scorer",
    "Tool",
    "Transparency",
    "Verb",
    "check_references",
    "host_port",
    "within",
]
