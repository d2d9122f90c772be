"""The commands: serve the API, migrate the database, make an API key, and the GenAI commands.

prompts lock|check, ingest DIR and eval are the GenAI runtime's (see genai_cli.py).
%(prog)s-audit runs the audit log's commands (verify, checkpoint, purge) on the database the
settings name, like the API itself.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from . import project
from .audit import DB_ENV, DEFAULT_DB, DatabaseOption
from .audit import main as audit_main
from .auth import hash_key
from .helptext import describe
from .migrate import APP_ROLE_ENV
from .settings import ENV_PREFIX, Settings, first_error

PROG = project.name()
APP = f"{__package__}.app:create_app"
GENAI_COMMANDS = ("prompts", "ingest", "eval")


def main(argv: Sequence[str] | None = None) -> int:
    """Run a command; return the exit code."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list and args_list[0] in GENAI_COMMANDS:
        from .genai_cli import main as genai_main

        return genai_main(args_list)
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
        help="PostgreSQL: then grant ROLE, the role the API connects as, exactly what it "
        f"needs; run as the owner (default: ${APP_ROLE_ENV})",
    )
    key = commands.add_parser(
        "hash-key", help="make a new API key and print it with the SHA-256 digest to configure"
    )
    key.add_argument("--role", required=True, help="the role the key carries")
    key.add_argument("--actor", required=True, help="who the key belongs to")
    commands.add_parser("prompts", help="lock the prompts, or check them against the lock")
    commands.add_parser("ingest", help="index a folder of Markdown and text files")
    commands.add_parser(
        "eval", help="run the spec's evals; exit 1 when one that gates is below its threshold"
    )
    args = parser.parse_args(args_list)
    if args.command == "serve":
        import uvicorn

        uvicorn.run(APP, factory=True, host=args.host, port=args.port)
        return 0
    if args.command == "migrate":
        return _migrate(check=args.check, app_role=args.app_role)
    new_key = secrets.token_urlsafe(32)
    entry = {"sha256": hash_key(new_key), "actor": args.actor, "role": args.role}
    sys.stdout.write(f"API key (give it to the caller, store it nowhere else): {new_key}\n")
    sys.stdout.write(f"add to {ENV_PREFIX}API_KEYS: {json.dumps([entry])}\n")
    return 0


def _settings() -> Settings | str:
    try:
        return Settings()
    except ValidationError as err:
        return f"error: {first_error(err)}"


def _migrate(*, check: bool, app_role: str | None) -> int:
    """Apply (or with ``check`` only list) the pending migrations, then grant the app role."""
    from .database import StartupRefused, connect
    from .migrate import PrivilegeError, command

    settings = _settings()
    if isinstance(settings, str):
        sys.stderr.write(settings + "\n")
        return 2
    try:
        database = connect(settings.database_location(), settings=settings)
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
    """Run ``<name>-audit`` on the database: a SQLite file or a PostgreSQL URL."""
    from .database import open_location

    settings = _settings()
    if isinstance(settings, str):
        sys.stderr.write(settings + "\n")
        return 2
    option = DatabaseOption(
        default=settings.database_location(),
        help=f"a SQLite file or a postgresql:// URL (default: ${ENV_PREFIX}DATABASE_URL, "
        f"else ${DB_ENV}, else {DEFAULT_DB})",
        open=lambda location: open_location(location, settings=settings),
    )
    return audit_main(argv, database=option)


if __name__ == "__main__":
    raise SystemExit(main())
