"""Deterministic fake models for tests, evals and local runs (pydantic-ai ``FunctionModel``).

* :func:`assistant_model` answers from the passages framed in the prompt: the first
  sentence of each of the best two, each cited; with no passage it says it cannot answer.
* :func:`script_model` replays a script, a JSON list of steps ``{"tool": NAME, "args":
  {...}}`` or ``{"final": TEXT}``; the step is the number of responses already in the
  conversation, so a run resumed after an approval continues where it stopped.
* :func:`judge_model` grades with fixed heuristics (see :func:`judge_score`).

Production refuses all of them (:func:`.settings.refusal`).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    TextPart,
    ToolCallPart,
    UserPromptPart,
)
from pydantic_ai.models.function import AgentInfo, FunctionModel
from pydantic_ai.usage import RequestUsage

from .framing import citations, unframe, without_citations

FAKE_MODEL_NAME = "fake"
NO_ANSWER = "I cannot answer this from the knowledge source."
SCRIPT_ENDED = "The script has no further steps."
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_WORD = re.compile(r"[a-z0-9]{3,}")


class ScriptError(ValueError):
    """The fake model's script is unreadable or has a malformed step."""


def _prompt_text(messages: list[ModelMessage]) -> str:
    parts: list[str] = []
    for message in messages:
        if isinstance(message, ModelRequest):
            parts.extend(
                p.content
                for p in message.parts
                if isinstance(p, UserPromptPart) and isinstance(p.content, str)
            )
    return "\n".join(parts)


def _usage(messages: list[ModelMessage], output: str) -> RequestUsage:
    size = sum(len(str(part)) for message in messages for part in message.parts)
    return RequestUsage(input_tokens=max(1, size // 4), output_tokens=max(1, len(output) // 4))


def compose_answer(prompt: str) -> str:
    """The fake assistant's answer to a prompt with framed passages."""
    passages = unframe(prompt)
    if not passages:
        return NO_ANSWER
    sentences = []
    for passage in passages[:2]:
        first = _SENTENCE.split(passage.text.strip(), maxsplit=1)[0].strip()
        sentences.append(f"{first} [p:{passage.id}]")
    return " ".join(sentences)


def _answer(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    text = compose_answer(_prompt_text(messages))
    return ModelResponse(parts=[TextPart(text)], usage=_usage(messages, text))


def assistant_model() -> FunctionModel:
    """The fake assistant model."""
    return FunctionModel(_answer, model_name=FAKE_MODEL_NAME)


def load_script(path: Path) -> list[dict[str, Any]]:
    """Read and check a script file.

    Raises:
        ScriptError: the file is missing, not JSON, or a step is neither a tool call nor final.
    """
    try:
        steps = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ScriptError(f"fake model script {path}: {err}") from err
    if not isinstance(steps, list):
        raise ScriptError(f"fake model script {path}: expected a JSON list of steps")
    for index, step in enumerate(steps):
        ok_tool = (
            isinstance(step, dict)
            and set(step) <= {"tool", "args"}
            and isinstance(step.get("tool"), str)
            and isinstance(step.get("args", {}), dict)
        )
        ok_final = (
            isinstance(step, dict) and set(step) == {"final"} and isinstance(step["final"], str)
        )
        if not (ok_tool or ok_final):
            raise ScriptError(
                f'fake model script {path}: step {index}: expected {{"tool": NAME, "args": {{...}}}} '
                'or {"final": TEXT}'
            )
    return steps


def script_model(steps: list[dict[str, Any]]) -> FunctionModel:
    """A fake agent model replaying ``steps``."""

    def replay(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        done = sum(isinstance(m, ModelResponse) for m in messages)
        if done >= len(steps):
            return ModelResponse(
                parts=[TextPart(SCRIPT_ENDED)], usage=_usage(messages, SCRIPT_ENDED)
            )
        step = steps[done]
        if "final" in step:
            return ModelResponse(
                parts=[TextPart(step["final"])], usage=_usage(messages, step["final"])
            )
        args = dict(step.get("args", {}))
        return ModelResponse(
            parts=[ToolCallPart(step["tool"], args, tool_call_id=f"call-{done}")],
            usage=_usage(messages, json.dumps(args)),
        )

    return FunctionModel(replay, model_name=FAKE_MODEL_NAME)


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


def judge_score(criterion: str, question: str, answer: str, passages: list[str]) -> float:
    """The fake judge's score in [0, 1] for one criterion.

    ``faithfulness``: share of the answer's sentences whose words are mostly (60 %) in the
    passages. ``answer-relevance``: share of the question's words the answer uses.
    ``helpfulness``: 1 for a cited answer, 0.5 uncited, 0 for none or a refusal.
    """
    body = without_citations(answer)
    if criterion == "faithfulness":
        source = _words(" ".join(passages))
        sentences = [s for s in _SENTENCE.split(body) if _words(s)]
        if not sentences:
            return 0.0
        good = sum(len(_words(s) & source) >= 0.6 * len(_words(s)) for s in sentences)
        return good / len(sentences)
    if criterion == "answer-relevance":
        asked = _words(question)
        return 1.0 if not asked else len(asked & _words(body)) / len(asked)
    if criterion == "helpfulness":
        if not body or body == NO_ANSWER:
            return 0.0
        return 1.0 if citations(answer) else 0.5
    raise ValueError(f"unknown judge criterion {criterion!r}")


def _judge(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    data = json.loads(_prompt_text(messages).split("\n", 1)[1])
    score = judge_score(data["criterion"], data["question"], data["answer"], data["passages"])
    args = {"score": score, "reason": f"fake judge heuristic for {data['criterion']}"}
    tool = info.output_tools[0].name
    return ModelResponse(parts=[ToolCallPart(tool, args)], usage=_usage(messages, json.dumps(args)))


def judge_model() -> FunctionModel:
    """The fake judge: structured output ``{"score", "reason"}`` from :func:`judge_score`."""
    return FunctionModel(_judge, model_name="fake-judge")
