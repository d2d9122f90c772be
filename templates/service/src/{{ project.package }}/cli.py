"""The service's command: serve the API, make an API key, check evaluation results."""

from __future__ import annotations

import argparse
import json
import secrets
import sys
from collections.abc import Sequence
from pathlib import Path

from . import project
from .auth import hash_key
from .evaluation import evaluate
from .settings import ENV_PREFIX

PROG = project.name()
APP = f"{__package__}.app:create_app"


def main(argv: Sequence[str] | None = None) -> int:
    """Run a command; return the exit code."""
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the API with uvicorn")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    key = commands.add_parser(
        "hash-key", help="make a new API key and print it with the SHA-256 digest to configure"
    )
    key.add_argument("--role", required=True, help="the role the key carries")
    key.add_argument("--actor", required=True, help="who the key belongs to")
    check = commands.add_parser(
        "evaluate", help="check measured values (JSON: metric id -> value) against the targets"
    )
    check.add_argument("results", type=Path)
    args = parser.parse_args(argv)
    if args.command == "serve":
        import uvicorn

        uvicorn.run(APP, factory=True, host=args.host, port=args.port)
        return 0
    if args.command == "hash-key":
        new_key = secrets.token_urlsafe(32)
        entry = {"sha256": hash_key(new_key), "actor": args.actor, "role": args.role}
        sys.stdout.write(f"API key (give it to the caller, store it nowhere else): {new_key}\n")
        sys.stdout.write(f"add to {ENV_PREFIX}API_KEYS: {json.dumps(entry)}\n")
        return 0
    measured = json.loads(args.results.read_text(encoding="utf-8"))
    results = evaluate({str(k): float(v) for k, v in measured.items()})
    for result in results:
        verdict = "met" if result.met else "MISSED"
        sys.stdout.write(
            f"{result.metric_id}: {verdict} (target {result.target}, {result.direction}, "
            f"measured {result.measured})\n"
        )
    return 0 if all(result.met for result in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
