"""Test helpers: settings, spec variants and small readers of what the runtime stored."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from pathlib import Path
from typing import Any

import psycopg
from pydantic import SecretStr
from pydantic_ai.models.function import FunctionModel

from .package import (
    AuditRecord,
    AuditStore,
    Connection,
    Database,
    Gateway,
    Link,
    PostgresDatabase,
    Price,
    Pricer,
    Retrieval,
    Runtime,
    Settings,
    SQLiteDatabase,
    assistant_model,
)

REPO = Path(__file__).resolve().parents[1]
"""The repository: prompts/, corpus/ and evals/ are read from here."""
AUDIT_KEY = "test-only-audit-key-" + "k" * 40
"""The audit chain's key in the shared audit tests (their settings and stores agree)."""
DATABASE_ERRORS = (sqlite3.DatabaseError, psycopg.DatabaseError)
"""What either backend raises when the database refuses a statement."""


def as_insider(database: Database, conn: Connection) -> None:
    """Lift the database's refusal to change audit records, as someone who owns it can.

    On PostgreSQL only the tables' owner can: ``database`` must be opened as the owner.
    """
    if database.dialect == "sqlite":
        conn.execute("DROP TRIGGER audit_no_update")
        conn.execute("DROP TRIGGER audit_no_delete")
    else:
        conn.execute("ALTER TABLE audit_log DISABLE TRIGGER USER")


def make_settings(tmp: Path, database_url: str | None = None, **changes: Any) -> Settings:
    """Settings for a test: database under ``tmp`` (or at a URL), fake model, sandbox tools."""
    values: dict[str, Any] = {
        "environment": "test",
        "database": tmp / "genai.sqlite3",
        "database_url": None if database_url is None else SecretStr(database_url),
        "privacy_salt": SecretStr("test-salt"),
        "prompts_dir": REPO / "prompts",
        "corpus_dir": REPO / "corpus",
        "tools_mode": "sandbox",
        "models": {},
    }
    values.update(changes)
    return Settings(_env_file=None, **values)


def records(audit: AuditStore, action: str) -> list[AuditRecord]:
    """The audit records of one action."""
    return audit.records(action=action)


def details(record: AuditRecord) -> dict[str, Any]:
    """A record's details, decoded."""
    value: dict[str, Any] = record.value("details") or {}
    return value


def count(database: Database, sql: str, *parameters: Any) -> int:
    """The single number a ``SELECT COUNT(*) AS n ...`` query answers."""
    with database.connect() as conn:
        return int(conn.execute(sql, parameters).fetchone()["n"])


def replace(obj: Any, **changes: Any) -> Any:
    """A frozen dataclass with some fields changed (spec variants in tests)."""
    return dataclasses.replace(obj, **changes)


def write_script(path: Path, steps: list[dict[str, Any]]) -> Path:
    """Write a fake-model script; return its path."""
    path.write_text(json.dumps(steps), encoding="utf-8")
    return path


def where(database: Database) -> str:
    """The location another process opens the same database with (a path or a URL)."""
    if isinstance(database, SQLiteDatabase):
        return str(database.path)
    if isinstance(database, PostgresDatabase):
        return database.url
    raise TypeError(type(database).__name__)


def fake_link(runtime: Runtime, model: FunctionModel) -> Link:
    """A chain link for a fake model, priced like the spec's primary model."""
    base = runtime.gateway.links[0]
    return Link(base.ref, model, base.pricer, base.timeout_seconds)


def use_priced_model(runtime: Runtime, model: FunctionModel) -> Runtime:
    """Make ``model`` the only model, at 1 USD per million tokens each way.

    For the budget tests: a spec may price its model at zero, and a free call can never
    exceed a budget.
    """
    base = runtime.gateway.links[0]
    ref = dataclasses.replace(base.ref, price=Price(input=1.0, output=1.0))
    link = Link(ref, model, Pricer(ref), base.timeout_seconds)
    runtime.gateway = Gateway(
        runtime.config,
        runtime.settings,
        metrics=runtime.metrics,
        budgets=runtime.budgets,
        links=[link],
    )
    return runtime


def use_model(runtime: Runtime, model: FunctionModel) -> Runtime:
    """Make ``model`` the runtime's only model (budgets and metrics kept)."""
    runtime.gateway = Gateway(
        runtime.config,
        runtime.settings,
        metrics=runtime.metrics,
        budgets=runtime.budgets,
        links=[fake_link(runtime, model)],
    )
    return runtime


def as_assistant(runtime: Runtime) -> Runtime:
    """The runtime answering with the fake assistant model (whatever the project's kind)."""
    return use_model(runtime, assistant_model())


def with_guardrails(runtime: Runtime, **changes: Any) -> Runtime:
    """The runtime with some guardrail settings changed (refuse or escalate, checks)."""
    runtime.guard.config = dataclasses.replace(runtime.guard.config, **changes)
    return runtime


def dump_text(database: Database) -> str:
    """Every row of the tables a test may look into for data that must not be stored."""
    lines = []
    with database.connect() as conn:
        for table in (
            "audit_log",
            "handoffs",
            "budget_reservations",
            "runs",
            "tool_calls",
            "approvals",
        ):
            for row in conn.execute(f"SELECT * FROM {table}").fetchall():  # noqa: S608 - constant names
                lines.append(json.dumps(dict(row), default=str))
    return "\n".join(lines)


ANSWERING_THRESHOLD = 0.35
"""The hand-off threshold of tests whose subject is not the threshold (the spec's may be set so
high that every question goes to a person; ``test_retrieval.py`` tests the spec's own)."""


def with_retrieval(runtime: Runtime) -> Runtime:
    """The runtime with retrieval (the spec's, or a default) that answers what the corpus covers.

    The spec's source, passages per question and citation rule are kept; its hand-off
    threshold is lowered to :data:`ANSWERING_THRESHOLD` when it is higher.
    """
    spec = runtime.config.retrieval or Retrieval(
        source="sample", top_k=5, abstain_below=ANSWERING_THRESHOLD, citations="required"
    )
    answering = dataclasses.replace(
        spec, abstain_below=min(spec.abstain_below, ANSWERING_THRESHOLD)
    )
    runtime.config = dataclasses.replace(runtime.config, retrieval=answering)
    return runtime
