"""The spec's ``genai`` section as typed, immutable objects, read once from ``project.json``.

spec.yaml is validated by new-ai-project before it is rendered; this module only gives the
section a shape code can rely on (defaults filled in, prices as numbers) and never embeds
spec text. Everything else reads the section through :func:`genai`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from . import project

Effect = Literal["read", "write"]
BlastRadius = Literal["none", "resource", "namespace", "cluster", "external"]
HARM_SCORERS = frozenset({"unapproved-writes", "pii-leak"})
"""Scorers that count harms: they pass at or below their threshold; the others at or above."""


@dataclass(frozen=True)
class Price:
    """USD per million tokens, for input (prompt) and output (completion) tokens."""

    input: float
    output: float


@dataclass(frozen=True)
class ModelRef:
    """One model of the fallback chain (or the judge)."""

    id: str
    provider: str
    model: str
    region: str | None = None
    price: Price | None = None


@dataclass(frozen=True)
class Retrieval:
    """Where answers come from, how many passages, and when to hand off to a person."""

    source: str
    top_k: int = 5
    abstain_below: float = 0.0
    citations: Literal["required", "optional"] = "required"


@dataclass(frozen=True)
class Approval:
    """Who may approve a write tool's call, whether never its requester, and for how long."""

    role: str
    four_eyes: bool = True
    expires_minutes: int = 60


@dataclass(frozen=True)
class ToolSpec:
    """A tool of the spec: its effect, blast radius and approval rule."""

    name: str
    description: str
    effect: Effect
    blast_radius: BlastRadius
    approval: Approval | None = None


@dataclass(frozen=True)
class Limits:
    """Per-run, per-call and spending limits (``None``: not limited by the spec)."""

    max_tool_calls: int = 20
    max_output_tokens: int = 1024
    max_usd_per_request: float | None = None
    max_usd_per_user_per_day: float | None = None


@dataclass(frozen=True)
class Guardrails:
    """Checks on input and output, and what a violation does."""

    input: tuple[str, ...] = ()
    output: tuple[str, ...] = ()
    on_violation: Literal["refuse", "escalate"] = "refuse"


@dataclass(frozen=True)
class EvalSpec:
    """One eval: its scorer, dataset, threshold and how many runs are averaged."""

    id: str
    name: str
    scorer: str
    dataset: Literal["golden", "redteam"]
    threshold: float
    repeats: int = 1
    metric: str | None = None

    @property
    def counts_harms(self) -> bool:
        """Whether the scorer counts harms (pass at or below the threshold)."""
        return self.scorer in HARM_SCORERS


@dataclass(frozen=True)
class Transparency:
    """Disclosure at the first turn and machine-readable marking of generated text."""

    disclose_ai: bool = False
    mark_output: bool = False


@dataclass(frozen=True)
class GenAI:
    """The whole ``genai`` section."""

    models: tuple[ModelRef, ...]
    judge: ModelRef | None
    data_residency: tuple[str, ...]
    prompts: tuple[str, ...]
    retrieval: Retrieval | None
    tools: tuple[ToolSpec, ...]
    limits: Limits
    guardrails: Guardrails
    evals: tuple[EvalSpec, ...]
    transparency: Transparency
    monthly_budget_usd: float | None

    def tool(self, name: str) -> ToolSpec:
        """Return the spec tool called ``name``.

        Raises:
            KeyError: the spec has no such tool.
        """
        for item in self.tools:
            if item.name == name:
                return item
        raise KeyError(name)


def _price(data: Any) -> Price | None:
    if not data:
        return None
    return Price(input=float(data["input"]), output=float(data["output"]))


def _model(data: dict[str, Any], default_id: str) -> ModelRef:
    return ModelRef(
        id=str(data.get("id") or default_id),
        provider=str(data["provider"]),
        model=str(data["model"]),
        region=data.get("region"),
        price=_price(data.get("price_per_mtok")),
    )


def _tool(data: dict[str, Any]) -> ToolSpec:
    approval = data.get("approval")
    return ToolSpec(
        name=str(data["name"]),
        description=str(data.get("description") or ""),
        effect=data.get("effect", "read"),
        blast_radius=data.get("blast_radius", "none"),
        approval=None
        if not approval
        else Approval(
            role=str(approval["role"]),
            four_eyes=bool(approval.get("four_eyes", True)),
            expires_minutes=int(approval.get("expires_minutes") or 60),
        ),
    )


def parse(section: dict[str, Any], monthly_budget_usd: float | None = None) -> GenAI:
    """Build :class:`GenAI` from the section as data (absent optional parts get defaults)."""
    retrieval = section.get("retrieval")
    limits = section.get("limits") or {}
    guardrails = section.get("guardrails") or {}
    transparency = section.get("transparency") or {}
    judge = section.get("judge")
    return GenAI(
        models=tuple(_model(m, f"model-{i}") for i, m in enumerate(section["models"])),
        judge=None if not judge else _model(judge, "judge"),
        data_residency=tuple(section.get("data_residency") or ()),
        prompts=tuple(str(p["id"]) for p in section.get("prompts") or ()),
        retrieval=None
        if not retrieval
        else Retrieval(
            source=str(retrieval["source"]),
            top_k=int(retrieval.get("top_k") or 5),
            abstain_below=float(retrieval.get("abstain_below") or 0.0),
            citations=retrieval.get("citations", "required"),
        ),
        tools=tuple(_tool(t) for t in section.get("tools") or ()),
        limits=Limits(
            max_tool_calls=int(limits.get("max_tool_calls") or 20),
            max_output_tokens=int(limits.get("max_output_tokens") or 1024),
            max_usd_per_request=limits.get("max_usd_per_request"),
            max_usd_per_user_per_day=limits.get("max_usd_per_user_per_day"),
        ),
        guardrails=Guardrails(
            input=tuple(guardrails.get("input") or ()),
            output=tuple(guardrails.get("output") or ()),
            on_violation=guardrails.get("on_violation", "refuse"),
        ),
        evals=tuple(
            EvalSpec(
                id=str(e["id"]),
                name=str(e.get("name") or e["id"]),
                scorer=str(e["scorer"]),
                dataset=e.get("dataset", "golden"),
                threshold=float(e["threshold"]),
                repeats=max(1, int(e.get("repeats") or 1)),
                metric=e.get("metric"),
            )
            for e in section.get("evals") or ()
        ),
        transparency=Transparency(
            disclose_ai=bool(transparency.get("disclose_ai", False)),
            mark_output=bool(transparency.get("mark_output", False)),
        ),
        monthly_budget_usd=monthly_budget_usd,
    )


@cache
def genai() -> GenAI:
    """Return this project's ``genai`` section (``project.json``'s copy of spec.yaml)."""
    data = project.project()
    section = data.get("genai") or project.spec()["genai"]
    return parse(section, project.budget_monthly_usd())


def is_agent() -> bool:
    """Tell whether this project is an agent (runs with tools) rather than an assistant."""
    return project.kind() == "agent"
