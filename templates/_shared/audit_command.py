"""The ``<name>-audit`` command: verify the chain, write signed checkpoints, purge past retention.

- ``verify [--checkpoint FILE]``: check every record's link and MAC (key:
  :data:`.audit.AUDIT_KEY_ENV`), and with a checkpoint what it vouches for (key:
  :data:`.audit.CHECKPOINT_KEY_ENV`). Exit 1 naming the first bad record.
- ``checkpoint --out FILE`` or ``--dir DIR``: write the signed state of the chain to a new
  file, outside the database. With ``--dir`` (the CronJob in ``deploy/``) the chain is first
  checked against the newest checkpoint there, and nothing is written when it fails.
- ``purge --actor NAME [--days N]``: delete records past the retention period, as an
  operator proven by their secret (a refusal is audited) and under the database owner's
  credential (``--db`` or the database variable naming the owner's URL).

Exit codes: 0 done, 1 tampered or refused, 2 usage or configuration.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from . import checkpoint, project
from .audit import (
    AUDIT_KEY_ENV,
    CHECKPOINT_KEY_ENV,
    DB_ENV,
    DEFAULT_AUDIT_KEY,
    DEFAULT_DB,
    DEFAULT_SALT,
    PURGE_ACTION,
    RETENTION_DAYS,
    SALT_ENV,
    AuditStore,
    CheckpointError,
    DatabaseOption,
    PurgeRefused,
    VerifyResult,
)
from .environment import (
    DEFAULT_ENVIRONMENT,
    ENVIRONMENT_ENV,
    ENVIRONMENTS,
    database_problem,
    secret_problem,
)

NO_ROLE = "(none)"
"""The role recorded for a refused attempt: none was granted (the reason says why)."""


def build_parser(database: DatabaseOption | None) -> argparse.ArgumentParser:
    """Return the command's argument parser."""
    parser = argparse.ArgumentParser(
        prog=f"{project.name()}-audit",
        description="Verify the audit log's keyed chain (against a signed checkpoint), write a "
        "checkpoint, or purge records past retention (an operator proven by their secret, "
        "under the database owner's credential). Exit 0 done, 1 tampered or refused, 2 usage.",
    )
    parser.add_argument(
        "--db",
        default=database.default if database else os.environ.get(DB_ENV, str(DEFAULT_DB)),
        help=database.help
        if database
        else f"the audit database (default: ${DB_ENV} or {DEFAULT_DB})",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    verify = commands.add_parser(
        "verify", help=f"check every record's link and MAC (key: ${AUDIT_KEY_ENV})"
    )
    verify.add_argument(
        "--checkpoint",
        type=Path,
        metavar="FILE",
        help=f"also check what a signed checkpoint vouches for (key: ${CHECKPOINT_KEY_ENV})",
    )
    made = commands.add_parser(
        "checkpoint", help=f"write the signed state of the chain (key: ${CHECKPOINT_KEY_ENV})"
    )
    where = made.add_mutually_exclusive_group(required=True)
    where.add_argument("--out", type=Path, metavar="FILE", help="a new file")
    where.add_argument(
        "--dir",
        type=Path,
        metavar="DIR",
        help="a new file in DIR, after checking the chain against the newest one there",
    )
    purge = commands.add_parser("purge", help="delete records older than the retention period")
    purge.add_argument("--actor", required=True, help="the operator; their secret is asked for")
    purge.add_argument(
        "--days",
        type=int,
        default=RETENTION_DAYS,
        help=f"keep this many days (at least {RETENTION_DAYS}, the retention from spec.yaml)",
    )
    return parser


def main(argv: Sequence[str] | None = None, *, database: DatabaseOption | None = None) -> int:
    """Run ``<name>-audit``; return the exit code.

    Without ``database`` the log is a SQLite file: ``--db PATH``, default ``$DB_ENV``.
    """
    args = build_parser(database).parse_args(argv)
    key = os.environ.get(AUDIT_KEY_ENV) or DEFAULT_AUDIT_KEY
    problem = _configuration_problem(args, key)
    if problem is not None:
        sys.stderr.write(f"error: {problem}\n")
        return 2
    try:
        if database is not None:
            opened = database.open(args.db)
        elif Path(args.db).is_file():
            opened = AuditStore(Path(args.db), key=key).db
        else:
            raise FileNotFoundError(f"no audit database at {args.db}")
        store = AuditStore(opened, salt=os.environ.get(SALT_ENV) or DEFAULT_SALT, key=key)
    except (OSError, ValueError) as err:
        sys.stderr.write(f"error: {err}\n")
        return 2
    try:
        return _run(args, store)
    finally:
        store.db.close()


def _configuration_problem(args: argparse.Namespace, key: str) -> str | None:
    """What the environment may not run this command with, in one line (or None)."""
    environment = os.environ.get(ENVIRONMENT_ENV) or DEFAULT_ENVIRONMENT
    if environment not in ENVIRONMENTS:
        return f"{ENVIRONMENT_ENV} is {environment!r}; use one of {', '.join(ENVIRONMENTS)}"
    location = str(args.db)
    sqlite = not location.startswith(("postgresql:", "postgres:"))
    checks = [
        database_problem(DB_ENV, sqlite=sqlite, environment=environment),
        secret_problem(
            AUDIT_KEY_ENV,
            os.environ.get(AUDIT_KEY_ENV),
            default=DEFAULT_AUDIT_KEY,
            environment=environment,
        ),
    ]
    if args.command == "checkpoint" or getattr(args, "checkpoint", None) is not None:
        checks.append(
            secret_problem(
                CHECKPOINT_KEY_ENV,
                os.environ.get(CHECKPOINT_KEY_ENV),
                default=None,
                environment=environment,
            )
        )
    return next((problem for problem in checks if problem), None)


def _run(args: argparse.Namespace, store: AuditStore) -> int:
    signing = os.environ.get(CHECKPOINT_KEY_ENV, "").encode("utf-8")
    try:
        if args.command == "verify":
            return _verify(store, args.checkpoint, signing)
        if args.command == "checkpoint":
            return _checkpoint(store, args.out, args.dir, signing)
        return _purge(store, args.actor, args.days)
    except (CheckpointError, ValueError, OSError) as err:
        sys.stderr.write(f"error: {err}\n")
        return 2


def _verify(store: AuditStore, against: Path | None, key: bytes) -> int:
    if against is None:
        result = store.verify()
    else:
        if not key:
            raise CheckpointError(f"set {CHECKPOINT_KEY_ENV} to check a checkpoint")
        result = checkpoint.verify(store, checkpoint.read(against), key)
    return _report(result, against)


def _report(result: VerifyResult, against: Path | None) -> int:
    if result.ok:
        matching = f", matching {against}" if against is not None else ""
        older = (
            f" ({result.unkeyed} from before the chain was keyed, vouched for by its seal)"
            if result.unkeyed
            else ""
        )
        sys.stdout.write(f"ok: {result.checked} records{older}, chain intact{matching}\n")
        return 0
    where = f"record {result.first_bad_seq}: " if result.first_bad_seq is not None else ""
    sys.stdout.write(
        f"tampered: {where}{result.problem} ({result.checked} records before it are intact)\n"
    )
    return 1


def _checkpoint(store: AuditStore, out: Path | None, folder: Path | None, key: bytes) -> int:
    if not key:
        raise CheckpointError(f"no checkpoint key: set {CHECKPOINT_KEY_ENV}")
    store.seal()  # a log from before the key is vouched for first, then checked and signed
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
        previous = checkpoint.latest(folder)
        if previous is not None:
            held = checkpoint.verify(store, checkpoint.read(previous), key)
            if not held.ok:
                _report(held, previous)
                sys.stderr.write("error: no new checkpoint written: the chain fails the last one\n")
                return 1
    made = checkpoint.make(store, key)
    path = out if out is not None else (folder or Path()) / checkpoint.file_name(made)
    checkpoint.write_new(path, made)
    sys.stdout.write(
        f"checkpoint of {made['count']} records written to {path}; keep it in write-once storage\n"
    )
    return 0


def _purge(store: AuditStore, actor: str, days: int) -> int:
    from .identity import AccessDenied, prove

    if days < RETENTION_DAYS:  # refuse before asking anyone for a secret
        raise ValueError(f"retention of {days} days is below the required {RETENTION_DAYS} days")
    try:
        operator = prove(actor, "operate")
    except AccessDenied as err:
        store.record(
            actor=actor,
            role=NO_ROLE,
            action=PURGE_ACTION,
            resource="audit_log",
            outcome="denied",
            reason=str(err),
        )
        sys.stderr.write(f"error: {err}\n")
        return 1
    try:
        deleted = store.purge(actor=operator.actor, role=operator.role, retention_days=days)
    except PurgeRefused as err:
        store.record(
            actor=operator.actor,
            role=operator.role,
            action=PURGE_ACTION,
            resource="audit_log",
            outcome="refused",
            reason=str(err),
        )
        sys.stderr.write(f"error: {err}\n")
        return 1
    sys.stdout.write(f"purged {deleted} records older than {days} days\n")
    return 0
