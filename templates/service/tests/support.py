"""Test helpers: credentials per role and person, test settings, inputs and request shortcuts.

Roles get their permissions from spec.yaml (``users[].can``) only, so tests pick roles by
what they may do (:func:`role_with`) and skip, saying why, when spec.yaml gives no role that
permission. Each role has two people (``a`` and ``b``) for four-eyes tests, and one person,
``self``, holds a key for every role: the same human in two roles.
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
import time
from pathlib import Path
from typing import Any

import jwt
import psycopg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr

from .package import (
    ApiKey,
    Connection,
    Database,
    Model,
    Settings,
    create_app,
    hash_key,
    hash_secret,
    project,
)

JWT_SECRET = "test-only-hs256-secret-" + "x" * 48
AUDIT_KEY = "test-only-audit-key-" + "k" * 40
"""The audit chain's key in tests (the app's settings and the test's own store agree)."""
JWT_ISSUER = "https://issuer.test"
JWT_AUDIENCE = project.name()
ADMIN_ROLE = project.admin_role()
UNKNOWN_ROLE = "no-such-role"
ROLES = (*project.roles(), ADMIN_ROLE, UNKNOWN_ROLE)
PEOPLE = ("a", "b", "self")
SAME_PERSON = "same-person"
"""The actor behind every role's ``self`` key: one human holding several roles."""
DATABASE_ERRORS = (sqlite3.DatabaseError, psycopg.DatabaseError)
"""What either backend raises when the database refuses a statement."""


def role_with(permission: str) -> str:
    """Return a role that may ``permission`` (spec roles first); skip the test when none may."""
    roles = project.roles_with(permission)
    if not roles:
        pytest.skip(f"spec.yaml gives no role the {permission!r} permission")
    return roles[0]


def role_without(permission: str) -> str:
    """Return a configured role that may not ``permission`` (the unknown role at worst)."""
    return next(role for role in ROLES if not project.allowed(role, permission))


def api_key(role: str, who: str = "a") -> str:
    """Return the test API key of a role's person ``who``."""
    return f"test-key-for-{role}-{who}"


def actor(role: str, who: str = "a") -> str:
    """Return the actor a test API key belongs to."""
    return SAME_PERSON if who == "self" else f"{role}-{who}"


def headers(role: str, who: str = "a") -> dict[str, str]:
    """Return request headers authenticating as person ``who`` of ``role``."""
    return {"X-API-Key": api_key(role, who)}


def signing_secret(person: str) -> str:
    """Return the signing secret of an actor (distinct from every API key)."""
    return f"signing-secret-of-{person}"


def make_token(claims: dict[str, Any], secret: str = JWT_SECRET, algorithm: str = "HS256") -> str:
    """Return a signed JWT with sensible defaults for the missing registered claims."""
    now = int(time.time())
    payload = {
        "iss": JWT_ISSUER,
        "aud": JWT_AUDIENCE,
        "sub": "jwt-user",
        "iat": now,
        "exp": now + 300,
    }
    payload.update(claims)
    return jwt.encode(payload, secret, algorithm=algorithm)


def valid_value(item: dict[str, Any], value: float = 50.0) -> Any:
    """A value the contract accepts for one input (near ``value`` where bounds allow)."""
    kind = item["type"]
    if kind in ("number", "integer"):
        low = float(item["min"]) if item.get("min") is not None else -1e12
        high = float(item["max"]) if item.get("max") is not None else 1e12
        number = min(max(value, low), high)
        if kind == "integer":
            whole = round(number)
            return int(min(max(whole, math.ceil(low)), math.floor(high)))
        return float(number)
    if kind == "category":
        return item["values"][int(value) % len(item["values"])]
    if kind == "boolean":
        return int(value) % 2 == 0
    return f"{item['name']}-{int(value)}"


def sample_inputs(value: float = 50.0) -> dict[str, Any]:
    """Return valid model inputs: every input of the contract, or every drift feature."""
    if project.contract()["typed"]:
        return {item["name"]: valid_value(item, value) for item in project.contract()["inputs"]}
    inputs: dict[str, Any] = dict.fromkeys(project.drift_features(), value)
    inputs["example_field"] = 1.0
    return inputs


def make_settings(tmp: Path, database_url: str | None = None) -> Settings:
    """Return test settings: the database under ``tmp`` or at a URL, keys per person, JWTs."""
    signers = {actor(role, who) for role in ROLES for who in PEOPLE}
    credentials = tmp / "signing-credentials.json"
    scratch = tmp / f".signing-credentials.{os.getpid()}.json"
    scratch.write_text(
        json.dumps(
            {
                person: {"secret": hash_secret(signing_secret(person), iterations=1000)}
                for person in sorted(signers)
            }
        ),
        encoding="utf-8",
    )
    scratch.replace(credentials)  # other processes building settings never read half a file
    return Settings(
        environment="test",
        database=tmp / "service.sqlite3",
        database_url=None if database_url is None else SecretStr(database_url),
        privacy_salt=SecretStr("test-salt"),
        audit_key=SecretStr(AUDIT_KEY),
        api_keys=[
            ApiKey(sha256=hash_key(api_key(r, who)), actor=actor(r, who), role=r)
            for r in ROLES
            for who in PEOPLE
        ],
        signing_credentials=credentials,
        jwt_issuer=JWT_ISSUER,
        jwt_audience=JWT_AUDIENCE,
        jwt_algorithms=["HS256"],
        jwt_key=SecretStr(JWT_SECRET),
        cost_per_prediction_usd=0.01,
    )


def client_for(settings: Settings, model: Model | None = None) -> TestClient:
    """Return a test client for an app built from ``settings`` and ``model``."""
    app: FastAPI = create_app(settings, model=model)
    return TestClient(app)


def decide(
    client: TestClient, role: str | None = None, who: str = "a", subject: str = "subject-1"
) -> dict[str, Any]:
    """Request a decision and return the response body (asserting it was created)."""
    response = client.post(
        "/v1/decisions",
        json={"subject_id": subject, "inputs": sample_inputs()},
        headers=headers(role or role_with("request"), who),
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def count(database: Database, sql: str, *parameters: Any) -> int:
    """Return the single number a ``SELECT COUNT(*) AS n ...`` query answers."""
    with database.connect() as conn:
        return int(conn.execute(sql, parameters).fetchone()["n"])


def tables(database: Database) -> list[str]:
    """Return the names of the tables the service's migrations made."""
    with database.connect() as conn:
        if database.dialect == "sqlite":
            sql = "SELECT name FROM sqlite_master WHERE type = 'table'"
        else:
            sql = (
                "SELECT table_name AS name FROM information_schema.tables "
                "WHERE table_schema = current_schema()"
            )
        return sorted(str(row["name"]) for row in conn.execute(sql).fetchall())


def dump(database: Database) -> str:
    """Return every row of every table as text (to look for what must never be stored)."""
    lines = []
    with database.connect() as conn:
        for table in tables(database):
            for row in conn.execute(f"SELECT * FROM {table}").fetchall():  # noqa: S608 - names from the schema
                lines.append(json.dumps(dict(row), default=str))
    return "\n".join(lines)


def as_insider(database: Database, conn: Connection) -> None:
    """Lift the database's refusal to change audit records, as someone who owns it can.

    On PostgreSQL only the tables' owner can: ``database`` must be opened as the owner.
    """
    if database.dialect == "sqlite":
        conn.execute("DROP TRIGGER audit_no_update")
        conn.execute("DROP TRIGGER audit_no_delete")
    else:
        conn.execute("ALTER TABLE audit_log DISABLE TRIGGER USER")
