"""The service's commands: serve, migrate the database, make an API key, check evaluations.

%(prog)s-audit runs the audit log's commands (verify, checkpoint, purge) on the database the
settings name, like the service itself.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import secrets
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from . import project
from .audit import DB_ENV, DEFAULT_DB, DatabaseOption
from .audit import main as audit_main
from .auth import hash_key
from .evaluation import evaluate
from .helptext import describe
from .migrate import APP_ROLE_ENV
from .settings import ENV_PREFIX, DatabaseSettings, first_error

PROG = project.name()
APP = f"{__package__}.app:create_app"


def main(argv: Sequence[str] | None = None) -> int:
    """Run a command; return the exit code."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        # the module docstring is plain text: it is the description --help shows
        description=describe(__doc__, PROG),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the API with uvicorn")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    migrations = commands.add_parser(
        "migrate",
        help=f"apply the database's pending schema migrations (${ENV_PREFIX}DATABASE_URL, "
        f"else ${DB_ENV})",
    )
    migrations.add_argument(
        "--check", action="store_true", help="only list pending migrations; exit 1 if any"
    )
    migrations.add_argument(
        "--app-role",
        metavar="ROLE",
        default=os.environ.get(APP_ROLE_ENV) or None,
        help="PostgreSQL: then grant ROLE, the role the service connects as, exactly what it "
        "needs (never UPDATE or DELETE on audit records, never ownership); run as the owner "
        f"(default: ${APP_ROLE_ENV})",
    )
    key = commands.add_parser(
        "hash-key", help="make a new API key and print it with the SHA-256 digest to configure"
    )
    key.add_argument(
        "--role",
        required=True,
        choices=[*project.roles(), project.admin_role()],
        help="the role the key carries (one of spec.yaml's roles, or the admin role)",
    )
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
    if args.command == "migrate":
        return _migrate(check=args.check, app_role=args.app_role)
    if args.command == "hash-key":
        new_key = secrets.token_urlsafe(32)
        entry = {"sha256": hash_key(new_key), "actor": args.actor, "role": args.role}
        sys.stdout.write(f"API key (give it to the caller, store it nowhere else): {new_key}\n")
        sys.stdout.write(f"add to {ENV_PREFIX}API_KEYS: {json.dumps(entry)}\n")
        only = shlex.quote(json.dumps([entry]))
        sys.stdout.write(f"or, as the only key: export {ENV_PREFIX}API_KEYS={only}\n")
        return 0
    try:
        measured = _measured(args.results)
    except (OSError, ValueError) as err:
        sys.stderr.write(f"error: {args.results}: {err}\n")
        return 2
    results = evaluate(measured)
    for result in results:
        verdict = "met" if result.met else "MISSED"
        sys.stdout.write(
            f"{result.metric_id}: {verdict} (target {result.target}, {result.direction}, "
            f"measured {result.measured})\n"
        )
    return 0 if all(result.met for result in results) else 1


def _migrate(*, check: bool, app_role: str | None) -> int:
    """Apply (or with ``check`` only list) the pending migrations, then grant the app role."""
    from .database import StartupRefused, connect
    from .migrate import PrivilegeError, command

    try:
        settings = DatabaseSettings()
        database = connect(settings.database_location(), settings=settings)
    except ValidationError as err:
        sys.stderr.write(f"error: {first_error(err)}\n")
        return 2
    except StartupRefused as err:
        sys.stderr.write(f"{err.code}\n")
        return 1
    try:
        code, lines = command(database, check=check, app_role=app_role)
    except PrivilegeError as err:
        sys.stderr.write(f"error: {err}\n")
        return 1
    finally:
        database.close()
    for line in lines:
        sys.stdout.write(line + "\n")
    return code


def audit(argv: Sequence[str] | None = None) -> int:
    """Run ``<name>-audit`` on the service database: a SQLite file or a PostgreSQL URL."""
    from .database import open_location

    try:
        settings = DatabaseSettings()
    except ValidationError as err:
        sys.stderr.write(f"error: {first_error(err)}\n")
        return 2
    option = DatabaseOption(
        default=settings.database_location(),
        help=f"a SQLite file or a postgresql:// URL (default: ${ENV_PREFIX}DATABASE_URL, "
        f"else ${DB_ENV}, else {DEFAULT_DB})",
        open=lambda location: open_location(location, settings=settings),
    )
    return audit_main(argv, database=option)


def _measured(path: Path) -> dict[str, float]:
    """Read measured values (JSON: metric id -> finite number).

    Raises:
        ValueError: not such a mapping (NaN, infinities and text are refused).
    """
    data = json.loads(path.read_text(encoding="utf-8"), parse_constant=_no_constant)
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object of metric id -> measured value")
    values: dict[str, float] = {}
    for key, value in data.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{key}: the measured value must be a number")
        if not math.isfinite(value):
            raise ValueError(f"{key}: the measured value must be finite")
        values[str(key)] = float(value)
    return values


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not a measured value")


if __name__ == "__main__":
    raise SystemExit(main())
