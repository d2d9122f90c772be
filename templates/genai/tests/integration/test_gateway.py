"""The model gateway: fallback chain, timeouts, budgets before the call, costs, spans."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anyio
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pydantic_ai import Agent
from pydantic_ai.exceptions import FallbackExceptionGroup, ModelAPIError
from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    TextPart,
    UserPromptPart,
)
from pydantic_ai.models.function import AgentInfo, FunctionModel
from pydantic_ai.usage import RequestUsage

from ..package import (
    BudgetExceeded,
    Caller,
    CallScope,
    Gateway,
    Link,
    ModelConnection,
    ModelRef,
    Price,
    Pricer,
    Runtime,
    estimate_prompt_tokens,
)
from tests.support import make_settings, records

PRICE = Price(input=2.0, output=8.0)
SECRET_QUESTION = "the-question-text-that-must-not-be-traced"


def answering(name: str, calls: list[str]) -> FunctionModel:
    """A model that answers with its name and counts its calls."""

    def reply(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        calls.append(name)
        return ModelResponse(
            parts=[TextPart(f"answer from {name}")],
            usage=RequestUsage(input_tokens=1000, output_tokens=500),
        )

    return FunctionModel(reply, model_name=name)


def failing(calls: list[str]) -> FunctionModel:
    """A model whose provider is down."""

    def reply(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        calls.append("down")
        raise ModelAPIError("down", "provider unavailable")

    return FunctionModel(reply, model_name="down")


def slow(calls: list[str]) -> FunctionModel:
    """A model that never answers in time."""

    async def reply(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        calls.append("slow")
        await anyio.sleep(30)
        return ModelResponse(parts=[TextPart("too late")])

    return FunctionModel(reply, model_name="slow")


def link(model_id: str, model: FunctionModel, timeout: float = 5.0) -> Link:
    """A chain link priced at PRICE."""
    ref = ModelRef(id=model_id, provider="openai", model=model.model_name, price=PRICE)
    return Link(ref, model, Pricer(ref), timeout)


def ask(runtime: Runtime, gateway: Gateway, actor: str = "alice") -> tuple[str, CallScope]:
    """Ask one question through ``gateway``; return the answer and the call scope."""
    scope = CallScope(Caller("req-1", actor, "user"))
    agent = Agent(gateway.model_for(scope), instructions="be brief")
    agent.instrument = gateway.instrumentation()
    return str(agent.run_sync(SECRET_QUESTION).output), scope


def chain(runtime: Runtime, *links: Link, **kwargs: Any) -> Gateway:
    """A gateway with these links and the runtime's budgets and metrics."""
    return Gateway(
        runtime.config,
        runtime.settings,
        metrics=runtime.metrics,
        budgets=runtime.budgets,
        links=list(links),
        **kwargs,
    )


@pytest.fixture
def spans() -> Iterator[tuple[TracerProvider, InMemorySpanExporter]]:
    """A tracer provider recording spans in memory."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield provider, exporter
    provider.shutdown()


def test_primary_answers_when_up(runtime: Runtime) -> None:
    """The chain's first model answers; no fallback is recorded."""
    calls: list[str] = []
    answer, scope = ask(
        runtime,
        chain(
            runtime, link("primary", answering("p", calls)), link("fallback", answering("f", calls))
        ),
    )
    assert answer == "answer from p"
    assert calls == ["p"]
    assert not scope.fallback_used


def test_fallback_answers_when_primary_is_down(runtime: Runtime) -> None:
    """A provider error moves on to the next model, and the fallback is counted."""
    calls: list[str] = []
    answer, scope = ask(
        runtime,
        chain(runtime, link("primary", failing(calls)), link("fallback", answering("f", calls))),
    )
    assert answer == "answer from f"
    assert scope.fallback_used
    assert runtime.metrics.fallbacks.labels("fallback")._value.get() == 1


def test_timeout_moves_on_to_the_fallback(runtime: Runtime) -> None:
    """A model slower than its timeout is abandoned for the next one."""
    calls: list[str] = []
    answer, scope = ask(
        runtime,
        chain(
            runtime,
            link("primary", slow(calls), timeout=0.2),
            link("fallback", answering("f", calls)),
        ),
    )
    assert answer == "answer from f"
    assert [r.outcome for r in scope.records] == ["timeout", "ok"]


def test_every_model_down_raises(runtime: Runtime) -> None:
    """When the whole chain fails, the error says so (the API answers 503)."""
    calls: list[str] = []
    with pytest.raises(FallbackExceptionGroup):
        ask(
            runtime,
            chain(runtime, link("primary", failing(calls)), link("fallback", failing(calls))),
        )
    assert calls == ["down", "down"]


def test_failed_call_gives_its_reservation_back(runtime: Runtime) -> None:
    """A call that failed costs nothing: its reservation is released."""
    calls: list[str] = []
    _, scope = ask(
        runtime,
        chain(runtime, link("primary", failing(calls)), link("fallback", answering("f", calls))),
    )
    keys = runtime.budgets.keys(scope.caller)
    expected = Pricer(ModelRef("x", "openai", "x", price=PRICE)).cost(1000, 500)
    assert runtime.budgets.committed("request", keys[0][1]) == pytest.approx(expected)


def test_cost_is_settled_from_token_counts(runtime: Runtime) -> None:
    """The settled cost is the tokens at the model's prices, and the metrics count both."""
    calls: list[str] = []
    _, scope = ask(runtime, chain(runtime, link("primary", answering("p", calls))))
    assert scope.totals()["cost_usd"] == pytest.approx((1000 * 2.0 + 500 * 8.0) / 1_000_000)
    assert runtime.metrics.tokens.labels("primary", "output")._value.get() == 500


def test_budget_refusal_comes_before_any_model_call(runtime: Runtime) -> None:
    """A daily budget smaller than the worst case refuses before the model is called, audited."""
    calls: list[str] = []
    runtime.budgets.caps["user-day"] = 0.000001
    with pytest.raises(BudgetExceeded):
        ask(
            runtime,
            chain(
                runtime,
                link("primary", answering("p", calls)),
                link("fallback", answering("f", calls)),
            ),
        )
    assert calls == []
    assert len(records(runtime.audit, "budget-refused")) == 1
    assert runtime.metrics.budget_refusals.labels("user-day")._value.get() == 1


def test_reservation_covers_max_output_tokens(runtime: Runtime) -> None:
    """The worst case reserved includes max_output_tokens at the output price."""
    calls: list[str] = []
    worst = runtime.config.limits.max_output_tokens * PRICE.output / 1_000_000
    runtime.budgets.caps["request"] = worst * 0.99
    with pytest.raises(BudgetExceeded, match="request budget"):
        ask(runtime, chain(runtime, link("primary", answering("p", calls))))
    assert calls == []


def test_spans_follow_the_genai_conventions_without_content(
    runtime: Runtime, spans: tuple[TracerProvider, InMemorySpanExporter]
) -> None:
    """Spans carry gen_ai.* model and token attributes, and no prompt or completion by default."""
    provider, exporter = spans
    calls: list[str] = []
    ask(runtime, chain(runtime, link("primary", answering("p", calls)), tracer_provider=provider))
    attributes = {
        k: v for span in exporter.get_finished_spans() for k, v in (span.attributes or {}).items()
    }
    assert attributes["gen_ai.request.model"] == "p"
    assert attributes["gen_ai.usage.input_tokens"] == 1000
    assert attributes["gen_ai.usage.output_tokens"] == 500
    assert SECRET_QUESTION not in str(attributes)
    assert "answer from p" not in str(attributes)


def test_trace_content_setting_puts_content_in_spans(
    runtime: Runtime, spans: tuple[TracerProvider, InMemorySpanExporter]
) -> None:
    """With TRACE_CONTENT on, the prompt appears in the spans (opt-in only)."""
    provider, exporter = spans
    runtime.settings = replace_settings(runtime, trace_content=True)
    ask(runtime, chain(runtime, link("primary", answering("p", [])), tracer_provider=provider))
    attributes = {
        k: v for span in exporter.get_finished_spans() for k, v in (span.attributes or {}).items()
    }
    assert SECRET_QUESTION in str(attributes)


def replace_settings(runtime: Runtime, **changes: Any) -> Any:
    """The runtime's settings with some fields changed."""
    return runtime.settings.model_copy(update=changes)


def test_no_provider_configured_means_the_fake_model(runtime: Runtime) -> None:
    """Without connections the chain is the fake model, priced like the primary (if known)."""
    assert runtime.gateway.fake
    primary = Pricer(runtime.config.models[0])
    expected = primary.cost(1_000_000, 0) if primary.priced() else 0.0
    assert runtime.gateway.links[0].pricer.cost(1_000_000, 0) == pytest.approx(expected)


def test_configured_providers_are_used_in_spec_order(runtime: Runtime, tmp_path: Any) -> None:
    """Connections make real pydantic-ai models of the spec's chain (no request is sent)."""
    connections = {
        ref.id: ModelConnection(api_key="k", base_url="http://127.0.0.1:9/v1", region="eu-west-1")
        for ref in runtime.config.models
    }
    settings = make_settings(tmp_path, models=connections)
    gateway = Gateway(runtime.config, settings, metrics=runtime.metrics, budgets=None)
    assert [item.ref.id for item in gateway.links] == [m.id for m in runtime.config.models]
    assert not gateway.fake


def test_real_provider_call_is_blocked_in_tests(runtime: Runtime, tmp_path: Any) -> None:
    """ALLOW_MODEL_REQUESTS is off: a configured provider cannot be called by a test."""
    connections = {
        ref.id: ModelConnection(api_key="k", base_url="http://127.0.0.1:9/v1", region="eu-west-1")
        for ref in runtime.config.models
    }
    settings = make_settings(tmp_path, models=connections)
    gateway = Gateway(runtime.config, settings, metrics=runtime.metrics, budgets=None)
    with pytest.raises(RuntimeError, match=r"ALLOW_MODEL_REQUESTS"):
        ask(runtime, gateway)


def test_bedrock_without_a_region_names_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    """A Bedrock model with no region anywhere is refused in one line naming the setting."""
    from ..package import connect_model

    for variable in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(variable, raising=False)
    ref = ModelRef("claude", "bedrock", "anthropic.claude-sonnet-4-5")
    with pytest.raises(ValueError, match=r"needs a region: .*MODELS__CLAUDE__REGION$"):
        connect_model(ref, ModelConnection(api_key="k"))


def test_fake_model_is_refused_in_production(tmp_path: Any) -> None:
    """ENVIRONMENT=production with no provider refuses to start, in one line."""
    from ..package import StartupRefused, open_runtime

    settings = make_settings(
        tmp_path, environment="production", privacy_salt="a-real-salt", tools_mode="live"
    )
    with pytest.raises(
        StartupRefused, match="production refuses to start on the fake model"
    ) as refused:
        open_runtime(settings)
    assert "\n" not in str(refused.value)


def test_prompt_estimates_measure_only_what_the_conversation_added() -> None:
    """An estimate kept up to date call by call equals one that measures the whole history."""
    known: list[tuple[ModelMessage, int, int]] = []
    history: list[ModelMessage] = []
    for n in range(6):
        history.append(ModelRequest.user_text_prompt(f"question {n} " * (n + 1)))
        history.append(ModelResponse(parts=[TextPart(f"answer {n} " * (n + 3))]))
        assert estimate_prompt_tokens(history, 0.3, known) == estimate_prompt_tokens(history, 0.3)
    history[3] = ModelResponse(parts=[TextPart("a much longer answer than before " * 40)])
    assert estimate_prompt_tokens(history, 0.3, known) == estimate_prompt_tokens(history, 0.3)
    history[0].parts = [*history[0].parts, UserPromptPart("one more part " * 30)]
    assert estimate_prompt_tokens(history, 0.3, known) == estimate_prompt_tokens(history, 0.3)
    shorter = history[:2]
    assert estimate_prompt_tokens(shorter, 0.3, known) == estimate_prompt_tokens(shorter, 0.3)
