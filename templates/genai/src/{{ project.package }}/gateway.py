"""The one gateway to models: the spec's fallback chain, per-call timeouts, budgets, costs.

Each model of ``genai.models`` that has a connection in the settings becomes a *link*,
tried in the spec's order through pydantic-ai's ``FallbackModel``. Every link is metered
(:class:`MeteredModel`): before the call it reserves the worst case (prompt estimate plus
``max_output_tokens`` at the link's prices) against the budgets, then calls with its
timeout (expiry moves on to the next link), then settles the real cost from the token
counts and records the call (:class:`CallRecord`). A refused budget is not a provider
failure: nothing further is tried.

No link configured: the deterministic fake model (:mod:`.fake`) stands in for the primary
and is priced like it, so budgets are exercised offline; production refuses it.

Tracing: pydantic-ai's OpenTelemetry instrumentation, pinned to :data:`INSTRUMENTATION_VERSION`
(the OpenTelemetry GenAI semantic conventions, status "Development": ``gen_ai.request.model``,
``gen_ai.usage.input_tokens``, ``gen_ai.usage.output_tokens``, ``execute_tool`` spans), with
prompt and completion content left out unless ``<PREFIX>TRACE_CONTENT`` is true.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import anyio
from opentelemetry.trace import (
    NoOpTracerProvider,
    ProxyTracerProvider,
    TracerProvider,
    get_tracer_provider,
)
from pydantic_ai.exceptions import ModelTimeoutError
from pydantic_ai.messages import ModelMessage, ModelResponse
from pydantic_ai.models import Model, ModelRequestParameters
from pydantic_ai.models.fallback import FallbackModel
from pydantic_ai.models.instrumented import InstrumentationSettings
from pydantic_ai.models.wrapper import WrapperModel
from pydantic_ai.settings import ModelSettings

from .audit import Connection
from .budgets import BudgetExceeded, Budgets, Caller, Reservation
from .config import GenAI, ModelRef, Price
from .fake import FAKE_MODEL_NAME, assistant_model, load_script, script_model
from .genai_metrics import GenAIMetrics
from .pricing import FixedPricer, Pricer
from .settings import ENV_PREFIX, ModelConnection, Settings

INSTRUMENTATION_VERSION: Literal[5] = 5
"""pydantic-ai's instrumentation format followed (GenAI semantic conventions as it emits them)."""
FAKE_ID = "fake"


@dataclass(frozen=True)
class Link:
    """One usable model of the chain."""

    ref: ModelRef
    model: Model
    pricer: Pricer
    timeout_seconds: float


@dataclass(frozen=True)
class CallRecord:
    """What one model call did: for the audit record, never with its content."""

    model_id: str
    model: str
    outcome: str
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0


@dataclass
class CallScope:
    """The request a model call belongs to, and the calls made for it so far."""

    caller: Caller
    before_call: Callable[[], None] | None = None
    """Checked before each call, in memory (a run's deadline): raise to stop."""
    guard: Callable[[Connection | None], BaseException | None] | None = None
    """Checked in the transaction that reserves each call, before its reservation (a run's
    lease claim and kill switch): an exception it returns is raised once that transaction,
    with the settlements and writes before it, has committed, and the call is not made.
    Without budgets it is given no connection and checks in a transaction of its own."""
    records: list[CallRecord] = field(default_factory=list)
    primary_id: str = ""
    defer_settlement: bool = False
    """Keep each call's settlement for the scope's next write (the next call's reservation,
    or a transaction of its owner, which settles :attr:`unsettled` and clears it once
    committed) instead of a commit of its own. One never written (a crashed process) is
    settled at its worst case by the sweeper."""
    unsettled: list[tuple[Reservation, float]] = field(default_factory=list)
    """Reservations of calls that answered, with their real cost, not settled yet."""
    sizes: list[tuple[ModelMessage, int, int]] = field(default_factory=list, repr=False)
    """What the last prompt estimate measured (:func:`estimate_prompt_tokens`)."""
    writes: list[Callable[[Connection], object]] = field(default_factory=list)
    """The owner's writes waiting for its next commit (a run's read tool calls, each with its
    audit record): the next call's reservation commits them before the model is asked, so a
    model never sees what was not recorded; the owner's own next transaction takes the rest."""

    @property
    def answered_by(self) -> CallRecord | None:
        """The last successful call."""
        return next((r for r in reversed(self.records) if r.outcome == "ok"), None)

    @property
    def fallback_used(self) -> bool:
        """Whether a model other than the chain's first answered."""
        last = self.answered_by
        return last is not None and last.model_id != self.primary_id

    def totals(self) -> dict[str, Any]:
        """Token counts and cost summed over the calls (for audit records).

        Token counts sit under ``usage``: a key naming "token" is taken for a secret and
        redacted by the audit chain.
        """
        return {
            "usage": {
                "input": sum(r.input_tokens for r in self.records),
                "output": sum(r.output_tokens for r in self.records),
            },
            "cost_usd": round(sum(r.cost_usd for r in self.records), 8),
            "calls": [f"{r.model_id}:{r.outcome}" for r in self.records],
        }


def estimate_prompt_tokens(
    messages: list[ModelMessage],
    per_char: float,
    known: list[tuple[ModelMessage, int, int]] | None = None,
) -> int:
    """An over-estimate of a request's prompt tokens from its characters.

    ``known`` holds what the last estimate of the same conversation measured (each message,
    its number of parts and their characters) and is brought up to date: a message that is
    the same object with as many parts is not measured again, so a conversation's estimates
    cost what it adds, not its whole history at every call.
    """
    cache: list[tuple[ModelMessage, int, int]] = [] if known is None else known
    size = 0
    for n, message in enumerate(messages):
        parts = len(message.parts)
        if n < len(cache) and cache[n][0] is message and cache[n][1] == parts:
            size += cache[n][2]
            continue
        measured = sum(len(str(part)) for part in message.parts)
        del cache[n:]
        cache.append((message, parts, measured))
        size += measured
    del cache[len(messages) :]
    return max(1, int(size * per_char) + 1)


class MeteredModel(WrapperModel):
    """A link wrapped with its budget reservation, timeout, cost and metrics."""

    def __init__(self, link: Link, gateway: Gateway, scope: CallScope) -> None:
        """Meter ``link``'s calls for ``scope``."""
        super().__init__(link.model)
        self.link, self.gateway, self.scope = link, gateway, scope

    async def request(
        self,
        messages: list[ModelMessage],
        model_settings: ModelSettings | None,
        model_request_parameters: ModelRequestParameters,
    ) -> ModelResponse:
        """Reserve, call within the timeout, settle; raise ``ModelTimeoutError`` on expiry."""
        if self.scope.before_call is not None:
            self.scope.before_call()
        gw, link, ref = self.gateway, self.link, self.link.ref
        max_out = gw.config.limits.max_output_tokens
        prompt = estimate_prompt_tokens(
            messages, gw.settings.prompt_tokens_per_char, self.scope.sizes
        )
        reservation = None
        if gw.budgets is not None:
            earlier, writes = list(self.scope.unsettled), list(self.scope.writes)
            stopped: list[BaseException] = []
            guard = self.scope.guard

            def check(conn: Connection) -> BaseException | None:
                stop = None if guard is None else guard(conn)
                if stop is not None:
                    stopped.append(stop)
                return stop

            try:
                reservation = gw.budgets.reserve(
                    self.scope.caller, ref.id, link.pricer.cost(prompt, max_out),
                    settle=earlier, also=writes, check=check,
                )  # fmt: skip
            except BudgetExceeded as err:  # refused, but the earlier calls are settled
                del self.scope.unsettled[: len(earlier)], self.scope.writes[: len(writes)]
                gw.metrics.budget_refusals.labels(err.scope).inc()
                raise
            except BaseException as err:
                if stopped and err is stopped[-1]:  # stopped, but what came before committed
                    del self.scope.unsettled[: len(earlier)], self.scope.writes[: len(writes)]
                raise
            del self.scope.unsettled[: len(earlier)], self.scope.writes[: len(writes)]
        elif self.scope.guard is not None:
            stop = self.scope.guard(None)
            if stop is not None:
                raise stop
        settings: ModelSettings = {**(model_settings or {}), "max_tokens": max_out}
        if ref.provider != FAKE_ID:
            settings["timeout"] = link.timeout_seconds
        try:
            with anyio.fail_after(link.timeout_seconds):
                response = await self.wrapped.request(messages, settings, model_request_parameters)
        except BaseException as err:
            if reservation is not None and gw.budgets is not None:
                gw.budgets.release(reservation)
            outcome = "timeout" if isinstance(err, TimeoutError) else "error"
            gw.metrics.calls.labels(ref.id, outcome).inc()
            self.scope.records.append(CallRecord(ref.id, ref.model, outcome))
            if isinstance(err, TimeoutError):
                raise ModelTimeoutError(
                    ref.model, f"no answer within {link.timeout_seconds:g} s"
                ) from err
            raise
        usage = response.usage
        cost = link.pricer.cost(usage.input_tokens, usage.output_tokens)
        if reservation is not None and gw.budgets is not None:
            if self.scope.defer_settlement:
                self.scope.unsettled.append((reservation, cost))
            else:
                gw.budgets.settle(reservation, cost)
        gw.metrics.calls.labels(ref.id, "ok").inc()
        gw.metrics.tokens.labels(ref.id, "input").inc(usage.input_tokens)
        gw.metrics.tokens.labels(ref.id, "output").inc(usage.output_tokens)
        gw.metrics.cost.labels(ref.id).inc(cost)
        if ref.id != self.scope.primary_id:
            gw.metrics.fallbacks.labels(ref.id).inc()
        self.scope.records.append(
            CallRecord(ref.id, ref.model, "ok", usage.input_tokens, usage.output_tokens, cost)
        )
        return response

    @property
    def model_name(self) -> str:
        """The wrapped model's name."""
        return self.wrapped.model_name

    @property
    def system(self) -> str:
        """The wrapped model's provider system."""
        return self.wrapped.system


def connect_model(ref: ModelRef, conn: ModelConnection) -> Model:
    """The pydantic-ai model for one spec model and its connection (no hand-written clients).

    Raises:
        ValueError: the connection lacks what the provider needs.
    """
    key = conn.api_key.get_secret_value() if conn.api_key else None
    if ref.provider in ("openai", "openai-compatible"):
        from pydantic_ai.models.openai import OpenAIChatModel
        from pydantic_ai.providers.openai import OpenAIProvider

        if ref.provider == "openai-compatible" and not conn.base_url:
            raise ValueError(f"model {ref.id!r} (openai-compatible) needs a base_url setting")
        return OpenAIChatModel(
            ref.model, provider=OpenAIProvider(base_url=conn.base_url, api_key=key)
        )
    if ref.provider == "azure-openai":
        from pydantic_ai.models.openai import OpenAIChatModel
        from pydantic_ai.providers.azure import AzureProvider

        if not conn.base_url:
            raise ValueError(f"model {ref.id!r} (azure-openai) needs base_url (the endpoint)")
        provider = AzureProvider(
            azure_endpoint=conn.base_url, api_version=conn.api_version, api_key=key
        )
        return OpenAIChatModel(ref.model, provider=provider)
    if ref.provider == "anthropic":
        from pydantic_ai.models.anthropic import AnthropicModel
        from pydantic_ai.providers.anthropic import AnthropicProvider

        return AnthropicModel(ref.model, provider=AnthropicProvider(api_key=key))
    if ref.provider == "google":
        from pydantic_ai.models.google import GoogleModel
        from pydantic_ai.providers.google import GoogleProvider

        return GoogleModel(ref.model, provider=GoogleProvider(api_key=key))
    if ref.provider == "bedrock":
        from pydantic_ai.models.bedrock import BedrockConverseModel
        from pydantic_ai.providers.bedrock import BedrockProvider

        # the region of the connection, else the spec's, else the AWS environment's; a key is
        # a Bedrock API key (bearer token), else boto3's own credentials (role, environment)
        region = (
            conn.region
            or ref.region
            or os.environ.get("AWS_REGION")
            or os.environ.get("AWS_DEFAULT_REGION")
        )
        if not region:
            raise ValueError(
                f"model {ref.id!r} (bedrock) needs a region: give genai.models[].region in "
                f"spec.yaml or set {ENV_PREFIX}MODELS__{ref.id.upper()}__REGION"
            )
        bedrock = (
            BedrockProvider(region_name=region, api_key=key, base_url=conn.base_url)
            if key
            else BedrockProvider(region_name=region, base_url=conn.base_url)
        )
        return BedrockConverseModel(ref.model, provider=bedrock)
    if ref.provider == "mistral":
        from pydantic_ai.models.mistral import MistralModel
        from pydantic_ai.providers.mistral import MistralProvider

        return MistralModel(ref.model, provider=MistralProvider(api_key=key))
    raise ValueError(f"model {ref.id!r}: unknown provider {ref.provider!r}")


class Gateway:
    """The model chain of this project, with its budgets and metrics."""

    def __init__(
        self,
        config: GenAI,
        settings: Settings,
        *,
        metrics: GenAIMetrics,
        budgets: Budgets | None,
        agent: bool = False,
        links: list[Link] | None = None,
        tracer_provider: TracerProvider | None = None,
    ) -> None:
        """Build the chain from ``config`` and the connections in ``settings``.

        ``links`` replaces the chain (tests, evals); ``tracer_provider`` the global one.
        """
        self.config, self.settings, self.metrics, self.budgets = config, settings, metrics, budgets
        self.tracer_provider = tracer_provider
        self.links = links if links is not None else self._links(agent)
        self.fake = all(link.ref.provider == FAKE_ID for link in self.links)

    def _links(self, agent: bool) -> list[Link]:
        links = []
        for ref in self.config.models:
            conn = self.settings.connection(ref.id)
            if conn is not None:
                links.append(Link(ref, connect_model(ref, conn), Pricer(ref), conn.timeout_seconds))
        if links:
            return links
        primary = self.config.models[0]
        stand_in = Pricer(primary)
        pricer = stand_in if stand_in.priced() else FixedPricer(primary, Price(0.0, 0.0))
        if agent:
            script = self.settings.fake_model_script
            model = script_model(load_script(script) if script is not None else [])
        else:
            model = assistant_model()
        ref = ModelRef(id=FAKE_ID, provider=FAKE_ID, model=FAKE_MODEL_NAME, price=primary.price)
        return [Link(ref, model, pricer, 60.0)]

    def problems(self) -> list[str]:
        """What keeps this chain out of production, one line each (empty: fine)."""
        found = []
        if self.fake:
            found.append("no model is configured: the fake model stands in")
        found += [
            f"model {link.ref.id!r} has no price: budgets cannot be enforced"
            for link in self.links
            if not link.pricer.priced()
            and self.budgets is not None
            and any(cap is not None for cap in self.budgets.caps.values())
        ]
        return found

    def model_for(self, scope: CallScope) -> Model:
        """The chain, metered for one request."""
        scope.primary_id = self.links[0].ref.id
        metered = [MeteredModel(link, self, scope) for link in self.links]
        if len(metered) == 1:
            return metered[0]
        return FallbackModel(metered[0], *metered[1:])

    def tracing(self) -> bool:
        """Whether spans go anywhere: a tracer provider was given, or one is set globally.

        With neither, OpenTelemetry's default provider drops every span, and instrumenting
        the calls would only compute attributes that nobody receives.
        """
        if self.tracer_provider is not None:
            return True
        return not isinstance(get_tracer_provider(), ProxyTracerProvider | NoOpTracerProvider)

    def instrumentation(self) -> InstrumentationSettings:
        """OpenTelemetry settings: the pinned format, content only when asked for."""
        return InstrumentationSettings(
            tracer_provider=self.tracer_provider,
            include_content=self.settings.trace_content,
            include_binary_content=False,
            version=INSTRUMENTATION_VERSION,
        )
