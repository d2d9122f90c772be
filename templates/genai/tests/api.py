"""Test helpers of the HTTP API: one API key per role and person, and a client on a runtime."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient

from .package import ApiKey, Runtime, create_app, hash_key, project

PEOPLE = (1, 2)
"""Two people per role: four eyes needs someone other than the requester in the same role."""


def actor(role: str, person: int = 1) -> str:
    """The actor name of a person holding ``role``."""
    return f"{role}-person-{person}"


def headers(role: str, person: int = 1) -> dict[str, str]:
    """The API key header of a person holding ``role``."""
    return {"X-API-Key": f"test-key-{role}-{person}"}


def api_keys() -> list[ApiKey]:
    """A key for each person of each role of spec.yaml and of the built-in admin role."""
    return [
        ApiKey(sha256=hash_key(headers(role, n)["X-API-Key"]), actor=actor(role, n), role=role)
        for role in (*project.roles(), project.admin_role())
        for n in PEOPLE
    ]


def role_with(permission: str) -> str:
    """A role holding ``permission`` (skip when spec.yaml gives it to nobody)."""
    found = project.roles_with(permission)
    if not found:
        pytest.skip(f"no role of spec.yaml may {permission}")
    return found[0]


def role_without(permission: str) -> str:
    """A role lacking ``permission`` (skip when every role of spec.yaml holds it)."""
    found = [r for r in project.roles() if not project.allowed(r, permission)]
    if not found:
        pytest.skip(f"every role of spec.yaml may {permission}")
    return found[0]


@contextmanager
def client(runtime: Runtime) -> Iterator[TestClient]:
    """A client of the app on ``runtime``; its worker is not started (tests drive the runs)."""
    app = create_app(runtime=runtime, start_worker=False)
    with TestClient(app) as test_client:
        yield test_client
