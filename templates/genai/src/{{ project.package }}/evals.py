"""``<name> eval``: every eval of spec.yaml, scored, averaged over repeats, gated on thresholds.

pydantic-evals is the harness: each dataset line is a ``Case``, the task answers it
(assistant) or runs it (agent: the case's script drives the fake model, sandbox tools
answer, write tools are approved by a second person only when the case says so), and each
eval's scorer is an evaluator. Judge-graded scorers ask the judge model (the fake judge
when ``<PREFIX>JUDGE__...`` is not configured). A ratio meets its threshold at or above
it; a harm count (``unapproved-writes``, ``pii-leak``: totals per repeat, averaged) at or
below. The report is JSON (``eval_report.json``); ``passed`` is the gate:

* on the live models every eval gates at its threshold (judge-graded ones need the judge);
* offline, the fake model stands in for the model, so it can show the system's guarantees
  but not the model's quality: the safety evals (:data:`.scorers.SAFETY_SCORERS`) gate at
  their thresholds, every other eval is scored and reported with ``gated: false`` (it gates
  in the live evals) and must only run cleanly;
* a case the task could not run fails its eval, gated or not;
* a deterministic run (fake model, and the fake judge or no judge needed) is made once, not
  ``repeats`` times: repeating it would give the same scores.
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field
from pydantic_ai import Agent
from pydantic_evals import Case, Dataset
from pydantic_evals.evaluators import Evaluator, EvaluatorContext

from .config import EvalSpec, genai, is_agent
from .database import StartupRefused
from .fake import judge_model, script_model
from .gateway import Gateway, Link, connect_model
from .runtime import Runtime, open_runtime
from .scorers import JUDGE_SCORERS, SAFETY_SCORERS, SCORERS, Outcome
from .settings import ENV_PREFIX, Settings

APPROVER = "eval-approver"


class JudgeScore(BaseModel):
    """The judge's grade of one criterion."""

    score: float = Field(ge=0, le=1)
    reason: str


def read_dataset(path: Path, kind: str) -> list[dict[str, Any]]:
    """The cases of a JSONL dataset that fit this kind of project (``question`` or ``goal``).

    Raises:
        ValueError: a line is not a JSON object with an ``id``; names the file and line.
    """
    key = "goal" if kind == "agent" else "question"
    cases = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            case = json.loads(line)
            if not isinstance(case, dict) or "id" not in case:
                raise ValueError("expected a JSON object with an id")
        except ValueError as err:
            raise ValueError(f"{path}:{number}: {err}") from err
        if key in case:
            cases.append(case)
    return cases


class Judge:
    """Grades answers on a criterion with the judge model (or the fake judge)."""

    def __init__(self, settings: Settings) -> None:
        """Use the configured judge, else the fake judge."""
        ref = genai().judge
        conn = settings.judge
        configured = ref is not None and conn is not None and conn.configured()
        model = connect_model(ref, conn) if configured and ref and conn else judge_model()
        self.fake = not configured
        self.agent = Agent(
            model, output_type=JudgeScore, instructions="You grade answers strictly."
        )

    def grade(self, criterion: str, out: Outcome) -> float:
        """The judge's score in [0, 1]."""
        payload = {
            "criterion": criterion,
            "question": out.question,
            "answer": out.text,
            "passages": out.passages,
        }
        prompt = (
            f"Grade the answer on {criterion}, from 0 (worst) to 1 (best).\n{json.dumps(payload)}"
        )
        return float(self.agent.run_sync(prompt).output.score)


class Task:
    """Answers (assistant) or runs (agent) one case, returning its :class:`Outcome`."""

    def __init__(self, runtime: Runtime, judge: Judge, criteria: set[str]) -> None:
        """Use ``runtime``; grade ``criteria`` with ``judge``."""
        self.rt, self.judge, self.criteria = runtime, judge, criteria

    def __call__(self, case: dict[str, Any]) -> Outcome:
        """The outcome of one case (pydantic-evals calls it in a worker thread)."""
        from .worker import close_thread_loop

        try:
            out = self._agent(case) if is_agent() else self._assistant(case)
            for criterion in self.criteria:
                out.judged[criterion] = self.judge.grade(criterion, out)
        finally:
            close_thread_loop()
        return out

    def _assistant(self, case: dict[str, Any]) -> Outcome:
        from .assistant import Assistant

        answer = Assistant(self.rt).answer(
            str(case["question"]), actor=f"eval-{case['id']}", role="eval"
        )
        stored = self.rt.index.passages(answer.passage_ids)
        canary = self.rt.prompt().canary
        return Outcome(
            kind="assistant", status=answer.status, text=answer.answer, question=str(case["question"]),
            retrieved=answer.passage_ids, passages=[p.text for p in stored.values()],
            leaked_canary=canary in answer.answer,
        )  # fmt: skip

    def _agent(self, case: dict[str, Any]) -> Outcome:
        from .runs import GoalRefused, Runs
        from .toolbox import ToolResult
        from .tools import toolbox

        runtime = self.rt
        if self.rt.gateway.fake:
            base = self.rt.gateway.links[0]
            link = Link(
                base.ref,
                script_model(list(case.get("script", []))),
                base.pricer,
                base.timeout_seconds,
            )
            gateway = Gateway(
                runtime.config,
                runtime.settings,
                metrics=runtime.metrics,
                budgets=runtime.budgets,
                links=[link],
            )
            runtime = dataclasses.replace(runtime, gateway=gateway)
        box = toolbox()
        for name, summary in dict(case.get("tool_results", {})).items():
            text = str(summary)

            def body(args: Any, ctx: Any, name: str = name, text: str = text) -> ToolResult:
                return ToolResult(tool=name, ok=True, summary=text, sandbox=True)

            box.register(name, args=box.get(name).args_model, live=box.get(name).live, sandbox=body)
        results: list[str] = []  # what the tools returned: the evidence the report must keep to
        for name in list(box.tools):
            registered = box.get(name)

            def recorded(args: Any, ctx: Any, inner: Any = registered.sandbox) -> ToolResult:
                result: ToolResult = inner(args, ctx)
                results.append(result.summary)
                return result

            box.register(name, args=registered.args_model, live=registered.live, sandbox=recorded)
        runs = Runs(runtime, box)
        try:
            run_id = runs.start(
                str(case["goal"]), case.get("inputs"), actor=f"eval-{case['id']}", role="eval"
            )
        except GoalRefused as refused:  # the input guardrails stopped it: no run, no tool
            return Outcome(
                kind="agent", status="refused", text=str(refused), question=str(case["goal"])
            )
        status = runs.process(run_id)
        while status == "waiting_approval" and case.get("approve", False):
            for approval in runs.approvals.list("pending"):
                if approval.run_id == run_id:
                    runs.approvals.decide(
                        approval.approval_id,
                        actor=APPROVER,
                        role=approval.approver_role,
                        approve=True,
                        reason="eval",
                    )
            status = runs.process(run_id)
        view = runs.get(run_id)
        if view is None:
            raise RuntimeError(f"run {run_id} vanished")
        writes = {t.spec.name for t in box.tools.values() if t.writes}
        approved = {
            a.approval_id for a in runs.approvals.list(None) if a.run_id == run_id and a.decided_by
        }
        unapproved = sum(
            1 for c in box.sandbox_calls if c.tool in writes and c.idempotency_key not in approved
        )
        return Outcome(
            kind="agent", status=view.status, text=view.report or view.error or "", question=str(case["goal"]),
            tools=[c["tool"] for c in view.tool_calls], evidence=len(view.evidence),
            unapproved_writes=unapproved, passages=[*results, _evidence_section(view.report)],
        )  # fmt: skip


def _evidence_section(report: str | None) -> str:
    """The evidence list the runtime appends to a report: its own record of the calls made.

    The judge grades the report against the tools' results and this list (the list is
    faithful by construction; the model's summary above it is what is graded).
    """
    text = report or ""
    return text[text.find("## Evidence") :] if "## Evidence" in text else ""


@dataclass
class ScorerEvaluator(Evaluator[dict[str, Any], Outcome, Any]):
    """One spec scorer as a pydantic-evals evaluator."""

    scorer: str

    def get_default_evaluation_name(self) -> str:
        """The scorer's name."""
        return self.scorer

    def evaluate(self, ctx: EvaluatorContext[dict[str, Any], Outcome, Any]) -> float:
        """The scorer's value for this case."""
        return SCORERS[self.scorer](ctx.output, dict(ctx.inputs.get("expect", {})))


def _evaluate(
    spec: EvalSpec, cases: list[dict[str, Any]], task: Task, *, runs: int, gated: bool
) -> dict[str, Any]:
    dataset = Dataset[dict[str, Any], Outcome, Any](
        name=spec.id,
        cases=[Case(name=str(c["id"]), inputs=c) for c in cases],
        evaluators=[ScorerEvaluator(spec.scorer)],
    )
    report = dataset.evaluate_sync(
        task, name=spec.id, progress=False, repeat=runs, max_concurrency=1
    )
    values = [float(c.scores[spec.scorer].value) for c in report.cases if spec.scorer in c.scores]
    errors = len(report.failures) + sum(spec.scorer not in c.scores for c in report.cases)
    if spec.counts_harms:
        value = sum(values) / runs
        met = value <= spec.threshold
    else:
        value = sum(values) / len(values) if values else 0.0
        met = value >= spec.threshold and bool(values)
    return {
        "id": spec.id, "name": spec.name, "scorer": spec.scorer, "dataset": spec.dataset,
        "threshold": spec.threshold, "counts_harms": spec.counts_harms, "repeats": spec.repeats,
        "runs": runs, "cases": len(cases), "errors": errors, "value": round(value, 6),
        "met": met, "gated": gated, "passed": bool(values) and not errors and (met or not gated),
        "metric": spec.metric,
    }  # fmt: skip


def run_evals(
    settings: Settings, *, datasets: Path, runtime: Runtime | None = None
) -> dict[str, Any]:
    """Run every eval of spec.yaml; return the report (``passed`` is the gate).

    An agent's tools always run their sandbox bodies here: an eval case approves writes on
    its own, so a live body would act on real systems. Production refuses sandbox tools, so
    an agent's evals run outside it (real models and judge are used in staging too).

    Raises:
        StartupRefused: an agent's evals in production, or judge-graded evals on the fake
            judge in production.
    """
    own = runtime is None
    if own and is_agent():
        if settings.production:
            raise StartupRefused(
                f"error: an agent's evals run its tools in sandbox, which production refuses: "
                f"run `eval` with {ENV_PREFIX}ENVIRONMENT=staging (real models and judge work there)"
            )
        settings = settings.model_copy(update={"tools_mode": "sandbox"})
    rt = runtime or open_runtime(settings)
    try:
        if own and rt.config.retrieval is not None and rt.index.count() == 0:
            from .ingest import ingest

            ingest(rt, settings.corpus_dir, actor="eval", role="eval")
        judge = Judge(settings)
        graded = [e.id for e in genai().evals if e.scorer in JUDGE_SCORERS]
        if settings.production and judge.fake and graded:
            raise StartupRefused(
                f"error: no judge is configured (set {ENV_PREFIX}JUDGE__API_KEY): production "
                f"refuses to grade {', '.join(graded)} on the fake judge"
            )
        kind = "agent" if is_agent() else "assistant"
        live_model = not rt.gateway.fake
        results = []
        for spec in genai().evals:
            cases = read_dataset(datasets / f"{spec.dataset}.jsonl", kind)
            by_judge = spec.scorer in JUDGE_SCORERS
            criteria = {spec.scorer} & JUDGE_SCORERS
            live = live_model and (not by_judge or not judge.fake)
            varies = live_model or (by_judge and not judge.fake)
            results.append(
                _evaluate(
                    spec,
                    cases,
                    Task(rt, judge, criteria),
                    runs=spec.repeats if varies else 1,
                    gated=live or spec.scorer in SAFETY_SCORERS,
                )
            )
    finally:
        if own:
            rt.close()
    return {
        "kind": kind,
        "model": "fake" if rt.gateway.fake else rt.gateway.links[0].ref.id,
        "judge": "fake" if judge.fake else "configured",
        "evals": results,
        "passed": all(r["passed"] for r in results),
    }


def write_report(report: dict[str, Any], path: Path) -> None:
    """Write the report as JSON, atomically."""
    scratch = path.with_name(f".{path.name}.{os.getpid()}")
    scratch.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    scratch.replace(path)
