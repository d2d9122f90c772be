"""Tools as typed Python functions, registered with the spec's effect, blast radius and approval.

Every tool of spec.yaml has an entry here. Its policy (``effect``, ``blast_radius``,
``approval``) comes from the spec and cannot be changed in code. Its bodies come from the
modules of ``tools/`` (see ``tools/__init__.py``); a tool without one gets the defaults:
arguments :class:`TargetArgs`, a *live* body that raises :class:`ToolNotConnected` naming
the file to write, and a *sandbox* body that records the call and returns a plausible
:class:`ToolResult`. ``<PREFIX>TOOLS_MODE=sandbox`` selects the sandbox bodies (tests, evals,
local runs); production refuses it at start-up.

Arguments are fingerprinted in canonical JSON (:func:`args_digest`): an approval is bound
to that digest, and the approved call runs only with arguments that hash to it.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .config import ToolSpec

Mode = Literal["live", "sandbox"]
Scalar = str | int | float | bool | None


class ToolNotConnected(RuntimeError):
    """A tool's live body was never written."""


class TargetArgs(BaseModel):
    """Default arguments of a tool: what it acts on, and a few named parameters."""

    model_config = ConfigDict(extra="forbid")

    target: str = Field(min_length=1, max_length=300, description="what the tool acts on")
    parameters: dict[str, Scalar] = Field(default_factory=dict, description="named options")


class ToolResult(BaseModel):
    """What a tool returns to the model (and, as a digest, to the audit record)."""

    model_config = ConfigDict(extra="forbid")

    tool: str
    ok: bool
    summary: str
    data: dict[str, Any] = Field(default_factory=dict)
    sandbox: bool = False


@dataclass(frozen=True)
class ToolContext:
    """Who and what a tool call is for; ``idempotency_key`` is the approval id for writes."""

    run_id: str
    call_id: str
    idempotency_key: str
    mode: Mode


Body = Callable[[Any, ToolContext], ToolResult]


@dataclass(frozen=True)
class SandboxCall:
    """A call a sandbox body received (for tests and evals)."""

    tool: str
    args: dict[str, Any]
    idempotency_key: str


@dataclass(frozen=True)
class RegisteredTool:
    """A spec tool with its argument type and bodies."""

    spec: ToolSpec
    args_model: type[BaseModel]
    live: Body
    sandbox: Body

    @property
    def writes(self) -> bool:
        """Whether the tool changes the world (and so waits for an approval)."""
        return self.spec.effect == "write"


def canonical_args(args: Mapping[str, Any]) -> str:
    """Arguments as canonical JSON: sorted keys, no spaces, UTF-8."""
    return json.dumps(args, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def args_digest(args: Mapping[str, Any]) -> str:
    """The SHA-256 an approval is bound to."""
    return canonical_digest(canonical_args(args))


def canonical_digest(canonical: str) -> str:
    """The SHA-256 of arguments already in canonical JSON (:func:`canonical_args`)."""
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _not_connected(package: str, name: str) -> Body:
    def live(args: Any, ctx: ToolContext) -> ToolResult:
        raise ToolNotConnected(
            f"tool {name!r} is not connected: write its live body in "
            f"src/{package}/tools/{name}.py (see src/{package}/tools/__init__.py)"
        )

    return live


@dataclass
class Toolbox:
    """The project's tools: one per spec tool."""

    specs: tuple[ToolSpec, ...]
    package: str
    tools: dict[str, RegisteredTool] = field(default_factory=dict)
    sandbox_calls: list[SandboxCall] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        """Give every spec tool its default bodies."""
        for spec in self.specs:
            self.tools[spec.name] = RegisteredTool(
                spec,
                TargetArgs,
                _not_connected(self.package, spec.name),
                self._default_sandbox(spec),
            )

    def _default_sandbox(self, spec: ToolSpec) -> Body:
        def sandbox(args: Any, ctx: ToolContext) -> ToolResult:
            target = getattr(args, "target", "")
            verb = "would change" if spec.effect == "write" else "read"
            return ToolResult(
                tool=spec.name,
                ok=True,
                summary=f"sandbox: {spec.name} {verb} {target}",
                data={"target": target, "status": "ok", "events": ["sandbox event"]},
                sandbox=True,
            )

        return sandbox

    def register(
        self,
        name: str,
        *,
        args: type[BaseModel],
        live: Body,
        sandbox: Body,
    ) -> None:
        """Give the spec tool ``name`` its argument type and bodies.

        Raises:
            KeyError: spec.yaml has no tool ``name`` (a tool cannot exist outside the spec).
        """
        if name not in self.tools:
            raise KeyError(f"tool {name!r} is not in spec.yaml's genai.tools")
        self.tools[name] = RegisteredTool(self.tools[name].spec, args, live, sandbox)

    def get(self, name: str) -> RegisteredTool:
        """The registered tool ``name``.

        Raises:
            KeyError: no such tool.
        """
        return self.tools[name]

    def execute(self, name: str, args: BaseModel, ctx: ToolContext) -> ToolResult:
        """Run the tool's body for the context's mode; sandbox calls are recorded."""
        tool = self.tools[name]
        if ctx.mode == "sandbox":
            with self._lock:
                self.sandbox_calls.append(
                    SandboxCall(name, args.model_dump(mode="json"), ctx.idempotency_key)
                )
            return tool.sandbox(args, ctx)
        return tool.live(args, ctx)
