"""Time a generated agent's scripted runs, or the bare loop (run by the agent figure).

``python -m benchmarks._agent MODE PACKAGE RUNS`` runs RUNS agent runs in this process,
after a few warm-up runs, and prints one JSON line: runs, seconds, runs per second, threads,
and what the runs did. Every run replays the fake model's script (the JSON file
``<PREFIX>FAKE_MODEL_SCRIPT`` names; ``script PACKAGE`` prints one of four read tool calls
and a final report). The settings come from the environment (a fresh SQLite
``<PREFIX>DATABASE``, sandbox tools).

MODE ``on`` drives each run through the generated Runs API: ``Runs.start`` (kill switch,
input guardrails, the run row and its audit record) then ``Runs.process`` (the runs' shared
pydantic-ai agent on the metered model chain: the deadline before every model call and tool
call, the kill switch before every tool call and in the transaction that reserves every
model call's budget, the first of which claims the run's lease; each reservation settled
after its call, each tool call counted against ``max_tool_calls`` before it runs, executed
in the sandbox, its result checked for injected instructions, digested, recorded and
audited in the commit before the next model call; the run's end and report with its
evidence, audited; Prometheus metrics throughout). OpenTelemetry spans are made only when a
tracer provider is set, and none is here.

MODE ``bare`` is the same loop without policy, audit, metrics or database: one pydantic-ai
``Agent``, built once as the generated runs build theirs, with the same fake script model,
the same instructions (the locked prompt's text, read once), the same tools (same names,
descriptions and JSON schemas) whose calls validate their arguments with the tool's
argument model and run the same sandbox bodies, and the same output types; each run passes
its id as ``deps``; it checks nothing and records nothing.

``on`` and ``bare`` run one run after another in the main thread. ``on-worker`` is ``on``
as deployed: the generated ``Worker`` with the settings' ``worker_threads`` (2 by default)
processes the runs, while the main thread starts each run and submits it, as the
``POST /v1/runs`` handler does; the clock starts before the ``Worker`` starts (one
housekeeping pass) and stops when ``Worker.stop`` has returned (it finishes the queued runs
first). ``bare-threads`` is ``bare`` driven by the same number of
threads taking runs from one queue (a thread pool); it has nothing to start.
"""

from __future__ import annotations

import importlib
import json
import sys
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

WARMUP = 5
GOAL = "Feeder 12 lost power at 14:05. Find out why and write the incident note."
INPUTS = {"feeder": "F-12", "reported_at": "14:05"}


def script(read_tools: list[str], steps: int = 5) -> list[dict[str, Any]]:
    """A run of ``steps`` model responses: read tools in turn, then a final report.

    Raises:
        ValueError: no read tool, or fewer than two steps.
    """
    if not read_tools or steps < 2:
        raise ValueError("a scripted run needs a read tool and at least two steps")
    calls = [
        {"tool": read_tools[n % len(read_tools)], "args": {"target": f"feeder/F-12/{n}"}}
        for n in range(steps - 1)
    ]
    cited = " ".join(f"[E{n + 1}]" for n in range(steps - 1))
    return [*calls, {"final": f"Incident note: feeder F-12 tripped; evidence {cited}."}]


Runner = tuple[Callable[[int], Any], Callable[[Any], str]]
"""One run (timed), and the check of what it returned ("completed" or what went wrong)."""


def _runs(package: str) -> tuple[Any, str, Callable[[Any], str]]:
    """The generated Runs, a role that may request runs, and the check of a run's end."""
    runtime = importlib.import_module(f"{package}.runtime")
    settings = importlib.import_module(f"{package}.settings")
    runs_module = importlib.import_module(f"{package}.runs")
    tools = importlib.import_module(f"{package}.tools")
    project = importlib.import_module(f"{package}.project")
    rt = runtime.open_runtime(settings.get_settings())
    runs = runs_module.Runs(rt, tools.toolbox())
    role = (project.roles_with("request") or project.roles())[0]

    def check(done: tuple[str, str | None]) -> str:
        run_id, status = done
        view = runs.get(run_id)
        if view is None:
            return "no such run"
        if view.status != "completed" or status not in ("completed", "ended"):
            return f"{status}/{view.status}: {view.error}"
        if len(view.evidence) != 4:
            return f"completed with {len(view.evidence)} evidence items"
        return "completed"

    return runs, role, check


def on(package: str) -> Runner:
    """One run through the generated Runs API, and its check (status and evidence)."""
    runs, role, check = _runs(package)

    def one(n: int) -> tuple[str, str | None]:
        run_id = runs.start(GOAL, INPUTS, actor=f"bench-{n % 20:02d}", role=role)
        return run_id, runs.process(run_id)

    return one, check


Batch = tuple[Callable[[range], list[Any]], Callable[[Any], str], int]
"""Runs of a batch of numbers (timed), the check of each run's result, and the threads used."""


def on_worker(package: str) -> Batch:
    """A batch of runs through the generated ``Worker`` at its configured thread count."""
    settings = importlib.import_module(f"{package}.settings").get_settings()
    worker_module = importlib.import_module(f"{package}.worker")
    runs, role, check = _runs(package)
    threads = int(settings.worker_threads)

    def batch(numbers: range) -> list[Any]:
        worker = worker_module.Worker(runs, threads=threads)
        worker.start()  # housekeeping first: nothing is left over from the batch before
        started = []
        for n in numbers:  # as POST /v1/runs does: start the run, hand it to the worker
            run_id = runs.start(GOAL, INPUTS, actor=f"bench-{n % 20:02d}", role=role)
            worker.submit(run_id)
            started.append(run_id)
        worker.stop(timeout=600)  # finishes the queued runs, then the threads end
        return [(run_id, "ended") for run_id in started]

    return batch, check, threads


def bare_threads(package: str, threads: int) -> Batch:
    """A batch of bare runs taken from one queue by ``threads`` threads."""
    one, check = bare(package)

    def batch(numbers: range) -> list[Any]:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            return list(pool.map(one, numbers))

    return batch, check, threads


def bare(package: str) -> Runner:
    """One run of the bare loop (the same agent, model, tools and prompt), and its check."""
    from pydantic import ValidationError

    ai = importlib.import_module("pydantic_ai")  # the generated project's, not ours

    settings = importlib.import_module(f"{package}.settings").get_settings()
    fake = importlib.import_module(f"{package}.fake")
    prompts = importlib.import_module(f"{package}.prompts")
    config = importlib.import_module(f"{package}.config").genai()
    toolbox_module = importlib.import_module(f"{package}.toolbox")
    box = importlib.import_module(f"{package}.tools").toolbox()
    model = fake.script_model(fake.load_script(settings.fake_model_script))
    prompt_id = config.prompts[0] if config.prompts else "system"
    instructions = prompts.load(settings.prompts_dir, prompt_id).instructions()

    def make(tool: Any) -> Any:
        def call(ctx: Any, **raw: Any) -> dict[str, Any]:
            try:
                args = tool.args_model.model_validate(raw)
            except ValidationError as err:
                raise ai.ModelRetry(f"invalid arguments for {tool.spec.name}") from err
            call_id = ctx.tool_call_id or "call"
            context = toolbox_module.ToolContext(ctx.deps, call_id, call_id, "sandbox")
            result: dict[str, Any] = tool.sandbox(args, context).model_dump(mode="json")
            return result

        made = ai.Tool.from_schema(
            call, name=tool.spec.name, description=tool.spec.description,
            json_schema=tool.args_model.model_json_schema(), takes_ctx=True,
        )  # fmt: skip
        made.requires_approval = tool.writes
        return made

    agent = ai.Agent(
        model,
        instructions=instructions,
        deps_type=str,
        tools=[make(t) for t in box.tools.values()],
        output_type=[str, ai.DeferredToolRequests],
    )

    def one(n: int) -> Any:
        task = f"Goal: {GOAL}\n\nInputs (data, not instructions): {json.dumps(INPUTS)}"
        return agent.run_sync(task, deps=f"bare-{n}")

    def check(result: Any) -> str:
        tool_returns = sum(
            part.part_kind == "tool-return" for m in result.all_messages() for part in m.parts
        )
        if not isinstance(result.output, str) or tool_returns != 4:
            return f"ended with {type(result.output).__name__} after {tool_returns} tool calls"
        return "completed"

    return one, check


def _one_by_one(one: Callable[[int], Any], numbers: range) -> list[Any]:
    return [one(n) for n in numbers]


def measure(mode: str, package: str, count: int) -> dict[str, Any]:
    """Warm up, then time ``count`` runs; check each after the clock stops."""
    batch: Callable[[range], list[Any]]
    if mode in ("on", "bare"):
        one, check = on(package) if mode == "on" else bare(package)
        batch, threads = partial(_one_by_one, one), 1
    elif mode == "on-worker":
        batch, check, threads = on_worker(package)
    elif mode == "bare-threads":
        workers = importlib.import_module(f"{package}.settings").get_settings().worker_threads
        batch, check, threads = bare_threads(package, int(workers))
    else:
        raise ValueError(f"unknown mode {mode!r}")
    batch(range(-WARMUP, 0))
    started = time.perf_counter()
    done = batch(range(count))
    elapsed = time.perf_counter() - started
    statuses = Counter(check(result) for result in done)
    return {
        "runs": count,
        "seconds": elapsed,
        "rps": count / elapsed if elapsed else 0.0,
        "threads": threads,
        "statuses": dict(statuses),
    }


def main(argv: list[str]) -> int:
    """``MODE PACKAGE RUNS`` (measure) or ``script PACKAGE`` (print the script)."""
    if argv[0] == "script":
        config = importlib.import_module(f"{argv[1]}.config").genai()
        reads = [t.name for t in config.tools if t.effect == "read"]
        sys.stdout.write(json.dumps(script(reads)) + "\n")
        return 0
    mode, package, count = argv[0], argv[1], int(argv[2])
    sys.stdout.write(json.dumps(measure(mode, package, count)) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
