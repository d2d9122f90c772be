"""Tool calls inside a run: counted, executed once, checked, recorded and audited.

:class:`ToolCalls` turns each registered tool into a pydantic-ai tool once per process; a
call learns its run from ``ctx.deps``, the run's :class:`Step`. Before a call runs, the kill
switch and the deadline are checked and, for a read tool, the call is counted against
``limits.max_tool_calls``. Its result is checked for injected instructions (withheld from the
model when the spec says refuse) and its record (the run's count, the call with its result
digest, the audit record) waits for the step's next commit: the next model call's budget
reservation, which commits before the model is asked, or the step's end. So the model never
sees a result that is not recorded, and a read costs no commit of its own. A read changes
nothing, so it keeps no durable "running" row: a process that dies during one left no trace
of it and nothing to undo, and the resumed run calls it again, recorded.

A write tool is declared ``requires_approval``; when pydantic-ai executes it after approval,
the call must first claim its approval with arguments that hash to the approved digest
(:meth:`.approvals.Approvals.claim`, committed before the body runs): otherwise nothing
runs. The approval id is the idempotency key the tool's body receives, and the call's
outcome commits with its approval's end and audit record at once.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any

import anyio
from pydantic import ValidationError
from pydantic_ai import ModelRetry, RunContext, Tool

from .approvals import Approvals
from .audit import Connection
from .gateway import CallScope
from .privacy import fingerprint
from .runtime import Runtime
from .toolbox import (
    RegisteredTool,
    Toolbox,
    ToolContext,
    args_digest,
    canonical_args,
    canonical_digest,
)

WITHHELD = "[withheld: the tool result contained instructions addressed to the assistant]"


class RunStopped(Exception):
    """A limit stops the run at this step (kill switch, deadline, tool calls, budget)."""

    def __init__(self, limit: str) -> None:
        """Name the limit."""
        self.limit = limit
        super().__init__(f"stopped by {limit}")


class NotClaimed(Exception):
    """Another worker claimed the run first: this one leaves it, having written nothing."""

    def __init__(self, run_id: str) -> None:
        """Name the run."""
        self.run_id = run_id
        super().__init__(f"run {run_id} is claimed by another worker")


def normalised(tool: RegisteredTool, args: dict[str, Any]) -> dict[str, Any]:
    """The arguments as the tool will receive them (defaults filled in): what is approved.

    Arguments that do not validate are kept as given: they can be approved, never run.
    """
    try:
        plain: dict[str, Any] = tool.args_model.model_validate(args).model_dump(mode="json")
    except ValidationError:
        return args
    return plain


def stamp(value: datetime) -> str:
    """A time as the database keeps it (ISO 8601, UTC, as :data:`.audit.TS_FORMAT` writes it)."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


@dataclass
class Step:
    """One slice of a run's work (:meth:`.runs.Runs.process`): what its tool calls see as deps.

    What the step's model calls and read calls leave for its next commit sits in ``scope``
    (``unsettled``, ``writes``); :meth:`ToolCalls.transaction` commits it first.
    """

    row: dict[str, Any]
    """The run's row as the step claimed it."""
    scope: CallScope
    check: Callable[[], None]
    """The kill switch and the deadline: raises :class:`RunStopped`."""
    claim: Callable[[Connection], bool] | None = None
    """The run's lease claim, still to be made in the step's first commit (None: made): a
    fresh run is claimed in the transaction that reserves its first model call."""
    prompt: str = ""
    """The label (``<id>@<version>``) of the prompt the step's model is given."""
    calls: int = 0
    """The run's tool calls so far: the stored count plus the step's read calls."""
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    """Taken to count a call and around the step's own transactions (parallel tool calls)."""

    @property
    def run_id(self) -> str:
        """The run's id."""
        return str(self.row["run_id"])

    def claim_in(self, conn: Connection) -> bool:
        """Make the run's lease claim in ``conn`` if it is still to be made; False: lost."""
        if self.claim is None:
            return True
        if not self.claim(conn):
            return False
        self.claim = None
        return True

    def count(self, limit: int) -> None:
        """Count one more tool call before it runs, or stop the run at ``limit``.

        Raises:
            RunStopped: the run made ``limit`` calls already.
        """
        with self.lock:
            if self.calls >= limit:
                raise RunStopped("max-tool-calls")
            self.calls += 1


class ToolCalls:
    """The tool calls of runs, on one runtime and toolbox."""

    def __init__(
        self,
        runtime: Runtime,
        toolbox: Toolbox,
        approvals: Approvals,
        *,
        clock: Callable[[], datetime],
        worker_id: str,
    ) -> None:
        """Execute ``toolbox``'s tools with ``runtime``'s guardrails, audit and metrics."""
        self.rt, self.toolbox, self.approvals = runtime, toolbox, approvals
        self._clock, self.worker_id = clock, worker_id

    def count(self, conn: Any, run_id: str) -> None:
        """Count one more tool call of the run, or stop it at ``limits.max_tool_calls``."""
        row = conn.execute("SELECT tool_calls FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        if int(row["tool_calls"]) >= self.rt.config.limits.max_tool_calls:
            raise RunStopped("max-tool-calls")
        conn.execute("UPDATE runs SET tool_calls = tool_calls + 1 WHERE run_id = ?", (run_id,))

    def record(
        self,
        conn: Any,
        run_id: str,
        call_id: str,
        tool: RegisteredTool,
        args: dict[str, Any],
        status: str,
    ) -> None:
        """Insert (or update the status of) a tool call's row."""
        conn.execute(
            "INSERT INTO tool_calls (record_id, run_id, call_id, tool, effect, args, args_sha256, status,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, call_id) DO UPDATE"
            " SET status = excluded.status",
            (str(uuid.uuid4()), run_id, call_id, tool.spec.name, tool.spec.effect, canonical_args(args),
             args_digest(args), status, stamp(self._clock())),
        )  # fmt: skip

    @contextmanager
    def transaction(self, step: Step) -> Iterator[Connection]:
        """A write transaction of ``step`` that first commits what the step left for it.

        The run's lease claim, if the step has not made it yet, goes first; then the
        settlements of its model calls and the records of its read calls, in the order they
        were left; they are let go only once committed.

        Raises:
            NotClaimed: another worker claimed the run (nothing is written).
        """
        with step.lock:
            unsettled, writes = list(step.scope.unsettled), list(step.scope.writes)
            with self.rt.db.transaction() as conn:
                if not step.claim_in(conn):
                    raise NotClaimed(step.run_id)
                self.rt.budgets.settle_in(conn, unsettled)
                for write in writes:
                    write(conn)
                yield conn
            del step.scope.unsettled[: len(unsettled)], step.scope.writes[: len(writes)]

    def tools(self) -> list[Tool[Step]]:
        """The pydantic-ai tools, one per registered tool (built once: runs pass their Step)."""
        return [self.make(tool) for tool in self.toolbox.tools.values()]

    def make(self, tool: RegisteredTool) -> Tool[Step]:
        """The pydantic-ai tool for ``tool``: checks, counts, runs and records each call."""

        async def call(ctx: RunContext[Step], **raw: Any) -> dict[str, Any]:
            # on the run's event loop thread, whose connection made the step's last commit
            # (SQLite keeps its cache: the read is cheap); the call itself runs in a thread
            ctx.deps.check()
            return await anyio.to_thread.run_sync(partial(checked, ctx, raw))

        def checked(ctx: RunContext[Step], raw: dict[str, Any]) -> dict[str, Any]:
            step = ctx.deps
            call_id = ctx.tool_call_id or str(uuid.uuid4())
            try:
                args = tool.args_model.model_validate(raw)
            except ValidationError as err:
                raise ModelRetry(
                    f"invalid arguments for {tool.spec.name}: {err.error_count()} errors"
                ) from err
            plain = args.model_dump(mode="json")
            if tool.writes:
                approval_id = self.approvals.claim(step.run_id, call_id, plain)
                if approval_id is None:
                    with self.transaction(step) as conn:
                        self.record(conn, step.run_id, call_id, tool, plain, "refused")
                        self._audit(
                            conn, step, call_id, tool, args_digest(plain), None, "refused", None, []
                        )
                    return {
                        "ok": False,
                        "summary": "not executed: no valid approval for these exact arguments",
                    }
                return self._write(step, call_id, tool, args, approval_id)
            step.count(self.rt.config.limits.max_tool_calls)
            return self._read(step, call_id, tool, args)

        made = Tool[Step].from_schema(
            call, name=tool.spec.name, description=tool.spec.description,
            json_schema=tool.args_model.model_json_schema(), takes_ctx=True,
        )  # fmt: skip
        made.requires_approval = tool.writes
        return made

    def _read(self, step: Step, call_id: str, tool: RegisteredTool, args: Any) -> dict[str, Any]:
        """Run a counted read call; its record waits for the step's next commit.

        The arguments' canonical JSON and digest, and the result's JSON text, are made once
        and shared by the guardrail check, the stored row and the audit record.
        """
        text = canonical_args(args.model_dump(mode="json"))
        call_args = (text, canonical_digest(text))
        started = stamp(self._clock())
        context = ToolContext(step.run_id, call_id, call_id, self.rt.settings.tools_mode)
        try:
            result = self.toolbox.execute(tool.spec.name, args, context).model_dump(mode="json")
        except Exception:
            with self.transaction(step) as conn:
                self._store(conn, step, call_id, tool, call_args, started, "failed", None)
                self._audit(conn, step, call_id, tool, call_args[1], None, "failed", None, [])
            raise
        result_json = json.dumps(result)
        verdict, digest, shown = self._checked(tool, result, result_json)
        finished = stamp(self._clock())
        outcome = (result_json, digest, finished)

        def write(conn: Connection) -> None:
            self._store(conn, step, call_id, tool, call_args, started, "executed", outcome)
            self._audit(
                conn, step, call_id, tool, call_args[1], None, "executed", digest, [verdict]
            )

        with step.lock:
            step.scope.writes.append(write)
        self.rt.metrics.tool_calls.labels(tool.spec.name, "executed").inc()
        return shown

    def _write(
        self, step: Step, call_id: str, tool: RegisteredTool, args: Any, approval_id: str
    ) -> dict[str, Any]:
        """Run a claimed write call once; its outcome commits with its approval's end at once."""
        call_sha = args_digest(args.model_dump(mode="json"))
        context = ToolContext(step.run_id, call_id, approval_id, self.rt.settings.tools_mode)
        try:
            result = self.toolbox.execute(tool.spec.name, args, context).model_dump(mode="json")
        except Exception:
            with self.transaction(step) as conn:
                conn.execute(
                    "UPDATE tool_calls SET status = 'failed' WHERE run_id = ? AND call_id = ?",
                    (step.run_id, call_id),
                )
                self.approvals.finish(conn, approval_id, ok=False)
                self._audit(conn, step, call_id, tool, call_sha, approval_id, "failed", None, [])
            raise
        result_json = json.dumps(result)
        verdict, digest, shown = self._checked(tool, result, result_json)
        with self.transaction(step) as conn:  # the call's state, its approval's end, its record
            conn.execute(
                "UPDATE tool_calls SET status = 'executed', result = ?, result_sha256 = ?, finished_at = ?"
                " WHERE run_id = ? AND call_id = ?",
                (result_json, digest, stamp(self._clock()), step.run_id, call_id),
            )
            self.approvals.finish(conn, approval_id, ok=True)
            self._audit(
                conn, step, call_id, tool, call_sha, approval_id, "executed", digest, [verdict]
            )
        self.rt.metrics.tool_calls.labels(tool.spec.name, "executed").inc()
        return shown

    def _checked(
        self, tool: RegisteredTool, result: dict[str, Any], result_json: str
    ) -> tuple[dict[str, object], str, dict[str, Any]]:
        """The result's guardrail verdict (on its JSON text), its digest, and what the model is shown."""
        verdict = self.rt.guard.check_untrusted(result_json, "tool-result", tool.spec.name)
        shown = result
        if verdict.outcome == "violation" and self.rt.guard.refuses:
            shown = {"ok": result.get("ok", True), "summary": WITHHELD}
        return verdict.as_record(), fingerprint(result), shown

    def _store(
        self, conn: Connection, step: Step, call_id: str, tool: RegisteredTool, args: tuple[str, str],
        started: str, status: str, outcome: tuple[str, str, str] | None,
    ) -> None:  # fmt: skip
        """Store a read call, counted, with its result.

        ``args``: the arguments' canonical JSON and digest; ``outcome``: the result's JSON
        text, its digest and the end time.
        """
        result, digest, finished = outcome or (None, None, None)
        conn.execute("UPDATE runs SET tool_calls = tool_calls + 1 WHERE run_id = ?", (step.run_id,))
        conn.execute(
            "INSERT INTO tool_calls (record_id, run_id, call_id, tool, effect, args, args_sha256, status,"
            " result, result_sha256, created_at, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (run_id, call_id) DO UPDATE SET args = excluded.args,"
            " args_sha256 = excluded.args_sha256, status = excluded.status, result = excluded.result,"
            " result_sha256 = excluded.result_sha256, finished_at = excluded.finished_at",
            (str(uuid.uuid4()), step.run_id, call_id, tool.spec.name, tool.spec.effect, args[0], args[1],
             status, result, digest, started, finished),
        )  # fmt: skip

    def _audit(
        self, conn: Any, step: Step, call_id: str, tool: RegisteredTool, args_sha256: str,
        approval_id: str | None, outcome: str, result_sha256: str | None, verdicts: list[dict[str, object]],
    ) -> None:  # fmt: skip
        """Append the call's audit record in ``conn``: it commits with the call's state."""
        self.rt.audit.append(
            conn, actor=self.worker_id, role="system", action="tool-call",
            resource=f"run/{step.run_id}/tool/{tool.spec.name}", outcome=outcome, request_id=step.run_id,
            details={"call_id": call_id, "tool": tool.spec.name, "effect": tool.spec.effect,
                     "blast_radius": tool.spec.blast_radius, "args_sha256": args_sha256,
                     "approval_id": approval_id, "result_sha256": result_sha256,
                     "prompt": step.prompt, "verdicts": verdicts},
        )  # fmt: skip
