"""Tool calls inside a run: counted, recorded, executed once, checked and audited.

:meth:`ToolCalls.make` turns a registered tool into a pydantic-ai tool for one run. A read
tool's call is counted against ``limits.max_tool_calls``, recorded, executed and its result
checked for injected instructions (withheld from the model when the spec says refuse). A
write tool is declared ``requires_approval``; when pydantic-ai executes it after approval,
the call must first claim its approval with arguments that hash to the approved digest
(:meth:`.approvals.Approvals.claim`): otherwise nothing runs. The approval id is the
idempotency key the tool's body receives.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from pydantic_ai import ModelRetry, RunContext, Tool

from .approvals import Approvals
from .audit import TS_FORMAT
from .privacy import fingerprint
from .runtime import Runtime
from .toolbox import RegisteredTool, Toolbox, ToolContext, args_digest, canonical_args

WITHHELD = "[withheld: the tool result contained instructions addressed to the assistant]"


class RunStopped(Exception):
    """A limit stops the run at this step (kill switch, deadline, tool calls, budget)."""

    def __init__(self, limit: str) -> None:
        """Name the limit."""
        self.limit = limit
        super().__init__(f"stopped by {limit}")


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
    """A time as the database keeps it (ISO 8601, UTC)."""
    return value.astimezone(UTC).strftime(TS_FORMAT)


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

    def make(
        self, tool: RegisteredTool, row: dict[str, Any], check: Callable[[], None]
    ) -> Tool[Any]:
        """The pydantic-ai tool for ``tool`` in the run ``row``; ``check`` runs before each call."""
        run_id = str(row["run_id"])

        def call(ctx: RunContext[Any], **raw: Any) -> dict[str, Any]:
            check()
            call_id = ctx.tool_call_id or str(uuid.uuid4())
            try:
                args = tool.args_model.model_validate(raw)
            except ValidationError as err:
                raise ModelRetry(
                    f"invalid arguments for {tool.spec.name}: {err.error_count()} errors"
                ) from err
            plain = args.model_dump(mode="json")
            key = call_id
            if tool.writes:
                approval_id = self.approvals.claim(run_id, call_id, plain)
                if approval_id is None:
                    with self.rt.db.transaction() as conn:
                        self.record(conn, run_id, call_id, tool, plain, "refused")
                        self._audit(conn, row, call_id, tool, plain, None, "refused", None, [])
                    return {
                        "ok": False,
                        "summary": "not executed: no valid approval for these exact arguments",
                    }
                key = approval_id
            else:
                with self.rt.db.transaction() as conn:
                    self.count(conn, run_id)
                    self.record(conn, run_id, call_id, tool, plain, "running")
            ctx_ = ToolContext(run_id, call_id, key, self.rt.settings.tools_mode)
            try:
                result = self.toolbox.execute(tool.spec.name, args, ctx_).model_dump(mode="json")
            except Exception:
                with self.rt.db.transaction() as conn:
                    if tool.writes:
                        self.approvals.finish(conn, key, ok=False)
                    self._audit(
                        conn, row, call_id, tool, plain, key if tool.writes else None, "failed",
                        None, [],
                    )  # fmt: skip
                raise
            verdict = self.rt.guard.check_untrusted(
                json.dumps(result), "tool-result", tool.spec.name
            )
            digest = fingerprint(result)
            with self.rt.db.transaction() as conn:  # the call's state and its record, together
                conn.execute(
                    "UPDATE tool_calls SET status = 'executed', result = ?, result_sha256 = ?, finished_at = ?"
                    " WHERE run_id = ? AND call_id = ?",
                    (json.dumps(result), digest, stamp(self._clock()), run_id, call_id),
                )
                if tool.writes:
                    self.approvals.finish(conn, key, ok=True)
                self._audit(
                    conn, row, call_id, tool, plain, key if tool.writes else None, "executed",
                    digest, [verdict.as_record()],
                )  # fmt: skip
            self.rt.metrics.tool_calls.labels(tool.spec.name, "executed").inc()
            if verdict.outcome == "violation" and self.rt.guard.refuses:
                return {"ok": result.get("ok", True), "summary": WITHHELD}
            return result

        made = Tool[Any].from_schema(
            call, name=tool.spec.name, description=tool.spec.description,
            json_schema=tool.args_model.model_json_schema(), takes_ctx=True,
        )  # fmt: skip
        made.requires_approval = tool.writes
        return made

    def _audit(
        self, conn: Any, row: dict[str, Any], call_id: str, tool: RegisteredTool, args: dict[str, Any],
        approval_id: str | None, outcome: str, result_sha256: str | None, verdicts: list[dict[str, object]],
    ) -> None:  # fmt: skip
        """Append the call's audit record in ``conn``: it commits with the call's state."""
        self.rt.audit.append(
            conn, actor=self.worker_id, role="system", action="tool-call",
            resource=f"run/{row['run_id']}/tool/{tool.spec.name}", outcome=outcome, request_id=str(row["run_id"]),
            details={"call_id": call_id, "tool": tool.spec.name, "effect": tool.spec.effect,
                     "blast_radius": tool.spec.blast_radius, "args_sha256": args_digest(args),
                     "approval_id": approval_id, "result_sha256": result_sha256,
                     "prompt": self.rt.prompt().label, "verdicts": verdicts},
        )  # fmt: skip
