"""Authentication (API keys and JWT bearer tokens) and role-based access, deny by default.

- API keys are configured by their SHA-256 digest and compared in constant time; the key
  itself is never stored or logged.
- JWTs are verified against the configured issuer, audience and algorithm allowlist, with
  a key or a JWKS URL from the settings; the role is read from one claim.
- 401 means "who are you?" (no or bad credentials), 403 means "you may not do this" (a
  valid caller whose role lacks the permission). Both are written to the audit log.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Any, Literal

import jwt
from fastapi import HTTPException, Request, status

from . import project
from .services import get_services, request_id
from .settings import Settings

API_KEY_HEADER = "X-API-Key"


@dataclass(frozen=True)
class Principal:
    """An authenticated caller."""

    actor: str
    role: str
    method: Literal["api-key", "jwt"]


class Permission(StrEnum):
    """What a caller may do; each endpoint requires exactly one permission."""

    DECIDE = "decide"
    READ = "read"
    REVIEW = "review"
    CONTEST = "contest"
    SIGN = "sign"
    OPERATE = "operate"


def permissions() -> dict[Permission, frozenset[str]]:
    """Return which roles hold which permission.

    Every role of spec.yaml may request decisions, read, review, contest and sign; only
    the admin role operates the service (kill switch). Narrow these sets to the roles
    that should hold them: a role missing here is denied.
    """
    users = frozenset(project.roles())
    admin = frozenset({project.admin_role()})
    return {
        Permission.DECIDE: users | admin,
        Permission.READ: users | admin,
        Permission.REVIEW: users | admin,
        Permission.CONTEST: users | admin,
        Permission.SIGN: users,
        Permission.OPERATE: admin,
    }


def allowed(role: str, permission: Permission) -> bool:
    """Tell whether ``role`` holds ``permission`` (unknown roles hold nothing)."""
    return role in permissions().get(permission, frozenset())


def hash_key(key: str) -> str:
    """Return the SHA-256 hex digest under which an API key is configured."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def principal_from_api_key(key: str, settings: Settings) -> Principal | None:
    """Return the owner of an API key, comparing digests in constant time."""
    digest = hash_key(key)
    found: Principal | None = None
    for entry in settings.api_keys:
        if hmac.compare_digest(digest, entry.sha256) and found is None:
            found = Principal(actor=entry.actor, role=entry.role, method="api-key")
    return found


@cache
def _jwks_client(url: str) -> jwt.PyJWKClient:
    return jwt.PyJWKClient(url, cache_keys=True)


def principal_from_jwt(token: str, settings: Settings) -> Principal | None:
    """Return the caller a bearer token names, or None when it does not verify."""
    try:
        if settings.jwt_jwks_url:
            key: Any = _jwks_client(settings.jwt_jwks_url).get_signing_key_from_jwt(token).key
        elif settings.jwt_key is not None:
            key = settings.jwt_key.get_secret_value()
        else:
            return None
        claims = jwt.decode(
            token,
            key,
            algorithms=settings.jwt_algorithms,
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            options={"require": ["exp", "iss", "aud", "sub"]},
        )
    except jwt.PyJWTError:
        return None
    role = claims.get(settings.jwt_role_claim)
    if not isinstance(role, str) or not role:
        return None
    return Principal(actor=str(claims["sub"]), role=role, method="jwt")


def authenticate_credential(credential: str, settings: Settings) -> Principal | None:
    """Resolve a raw credential (an API key or a JWT) to a caller."""
    if credential.count(".") == 2:
        found = principal_from_jwt(credential, settings)
        if found is not None:
            return found
    return principal_from_api_key(credential, settings)


def authenticate(request: Request, settings: Settings) -> Principal | None:
    """Return the caller of ``request``, or None when it brings no valid credentials."""
    key = request.headers.get(API_KEY_HEADER)
    if key:
        return principal_from_api_key(key, settings)
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token:
        return principal_from_jwt(token.strip(), settings)
    return None


def require(permission: Permission) -> Callable[[Request], Principal]:
    """Return a dependency that admits only callers holding ``permission``."""

    def dependency(request: Request) -> Principal:
        services = get_services(request)
        principal = authenticate(request, services.settings)
        resource = f"{request.method} {request.url.path}"
        if principal is None:
            services.audit.record(
                actor="anonymous",
                role="",
                action="authenticate",
                resource=resource,
                outcome="denied",
                request_id=request_id(request),
                reason="missing or invalid credentials",
            )
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                detail="authentication required",
                headers={"WWW-Authenticate": "Bearer"},
            )
        if not allowed(principal.role, permission):
            services.audit.record(
                actor=principal.actor,
                role=principal.role,
                action=str(permission),
                resource=resource,
                outcome="forbidden",
                request_id=request_id(request),
                reason=f"role lacks the {permission} permission",
            )
            raise HTTPException(status.HTTP_403_FORBIDDEN, detail="forbidden for this role")
        return principal

    return dependency
