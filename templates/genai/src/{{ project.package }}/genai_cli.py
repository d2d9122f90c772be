"""The GenAI commands: ``prompts lock|check``, ``ingest DIR`` and ``eval``.

Each returns an exit code (0 ok, 1 not acceptable, 2 usage) and prints one line per
problem, never a traceback for bad input. The project's console script dispatches here.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from . import project
from .config import genai
from .database import StartupRefused
from .prompts import PromptError, check, lock
from .settings import get_settings


def _prompts(args: argparse.Namespace) -> int:
    folder = args.dir or get_settings().prompts_dir
    ids = genai().prompts
    if args.action == "lock":
        try:
            entries = lock(folder, ids)
        except PromptError as err:
            sys.stderr.write(f"error: {err}\n")
            return 1
        for prompt_id, entry in sorted(entries.items()):
            sys.stdout.write(f"{prompt_id}: version {entry['version']}\n")
        return 0
    problems = check(folder, ids)
    for line in problems:
        sys.stderr.write(f"error: {line}\n")
    if not problems:
        sys.stdout.write(f"ok: {len(ids)} prompts match {folder / 'prompts.lock'}\n")
    return 1 if problems else 0


def _ingest(args: argparse.Namespace) -> int:
    from .ingest import IngestError, ingest
    from .runtime import open_runtime

    runtime = open_runtime(get_settings())
    try:
        done = ingest(runtime, args.folder, actor=args.actor, role="operator")
    except IngestError as err:
        sys.stderr.write(f"error: {err}\n")
        return 1
    finally:
        runtime.close()
    for item in done.skipped:
        sys.stderr.write(f"skipped {item.path}: {item.reason}\n")
    sys.stdout.write(f"ingested {done.passages} passages from {done.files} files\n")
    return 0


def _eval(args: argparse.Namespace) -> int:
    from .evals import run_evals, write_report
    from .scorers import SAFETY_SCORERS

    report = run_evals(get_settings(), datasets=args.datasets)
    write_report(report, args.out)
    for item in report["evals"]:
        if not item["passed"]:
            failed = item["errors"]
            mark, note = "FAIL", f", {failed} case(s) failed to run" if failed else ""
        elif item["met"]:
            mark, note = "pass", ""
        else:
            mark, note = "info", ": measures the model; gates on the live models"
        sys.stdout.write(
            f"{mark} {item['id']} {item['scorer']}: {item['value']:.3f} "
            f"({'<=' if item['counts_harms'] else '>='} {item['threshold']}){note}\n"
        )
    if report["model"] == "fake":
        sys.stdout.write(
            "offline: the fake model stands in, so only the safety evals "
            f"({', '.join(sorted(SAFETY_SCORERS))}) gate here; every eval gates on the live models\n"
        )
    sys.stdout.write(f"report written to {args.out}\n")
    return 0 if report["passed"] else 1


def main(argv: Sequence[str] | None = None) -> int:
    """Run one GenAI command; return its exit code."""
    parser = argparse.ArgumentParser(prog=project.name(), description="GenAI runtime commands")
    commands = parser.add_subparsers(dest="command", required=True)
    prompts = commands.add_parser(
        "prompts", help="lock the prompts, or check them against the lock"
    )
    prompts.add_argument("action", choices=("lock", "check"))
    prompts.add_argument("--dir", type=Path, default=None, help="the prompts folder")
    ingest = commands.add_parser("ingest", help="index a folder of Markdown and text files")
    ingest.add_argument("folder", type=Path)
    ingest.add_argument("--actor", required=True, help="who ingests (for the audit record)")
    evals = commands.add_parser(
        "eval", help="run the spec's evals; exit 1 when one that gates is below its threshold"
    )
    evals.add_argument("--out", type=Path, default=Path("eval_report.json"))
    evals.add_argument("--datasets", type=Path, default=Path("evals"))
    args = parser.parse_args(argv)
    try:
        if args.command == "prompts":
            return _prompts(args)
        if args.command == "ingest":
            return _ingest(args)
        return _eval(args)
    except StartupRefused as err:
        sys.stderr.write(f"{err}\n")
        return 2
