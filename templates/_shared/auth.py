"""Authentication (API keys and JWT bearer tokens) and least privilege, deny by default.

- API keys are configured by their SHA-256 digest and compared in constant time; the key
  itself is never stored or logged.
- JWTs are verified against the configured issuer, audience and algorithm allowlist, with
  a key or a JWKS URL from the settings; the role is read from one claim. An unknown key id
  refetches the JWKS at most once a minute, so forged tokens cannot make the service
  hammer the identity provider.
- Permissions come from spec.yaml only (``users[].can``, through ``project.json``): a role
  holds exactly the permissions listed there.
- 401 means "who are you?" (no or bad credentials), 403 means "you may not do this". A 403
  is audited with the caller; 401s are counted in a metric and audited in bounded summaries
  (at most one record a minute per process, naming the route, never the requested path),
  so unauthenticated traffic cannot flood the audit log.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

import jwt
from fastapi import HTTPException, Request, status

from . import project
from .services import Services, get_services, request_id
from .settings import Settings

API_KEY_HEADER = "X-API-Key"
_DECISION_ID = re.compile(r"^[A-Za-z0-9-]{1,64}$")
JWKS_MIN_REFRESH_S = 60.0
DENIAL_SUMMARY_S = 60.0


@dataclass(frozen=True)
class Principal:
    """An authenticated caller."""

    actor: str
    role: str
    method: Literal["api-key", "jwt"]


class Permission(StrEnum):
    """What a caller may do (the vocabulary of ``users[].can`` in spec.yaml)."""

    REQUEST = "request"
    READ = "read"
    REVIEW = "review"
    CONTEST = "contest"
    SIGN = "sign"
    AUDIT = "audit"
    OPERATE = "operate"


def allowed(role: str, permission: Permission) -> bool:
    """Tell whether ``role`` holds ``permission`` (unknown roles hold nothing)."""
    return project.allowed(role, str(permission))


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


class JwksKeys:
    """Signing keys from a JWKS URL, refetched on an unknown key id at most once a minute."""

    def __init__(self, url: str, *, clock: Callable[[], float] = time.monotonic) -> None:
        """Fetch lazily from ``url``."""
        self._client = jwt.PyJWKClient(url, cache_keys=False, cache_jwk_set=False)
        self._clock = clock
        self._keys: dict[str, Any] = {}
        self._fetched_at: float | None = None
        self._lock = threading.Lock()

    def key(self, token: str) -> Any | None:
        """Return the key that signed ``token``, or None for an unknown key id."""
        kid = jwt.get_unverified_header(token).get("kid")
        if not isinstance(kid, str):
            return None
        with self._lock:
            now = self._clock()
            stale = self._fetched_at is None or now - self._fetched_at >= JWKS_MIN_REFRESH_S
            if kid not in self._keys and stale:
                self._fetched_at = now
                keys = self._client.get_signing_keys(refresh=True)
                self._keys = {k.key_id: k.key for k in keys if k.key_id}
            return self._keys.get(kid)


_JWKS: dict[str, JwksKeys] = {}
_JWKS_LOCK = threading.Lock()


def _jwks(url: str) -> JwksKeys:
    with _JWKS_LOCK:
        return _JWKS.setdefault(url, JwksKeys(url))


def principal_from_jwt(token: str, settings: Settings) -> Principal | None:
    """Return the caller a bearer token names, or None when it does not verify."""
    try:
        if settings.jwt_jwks_url:
            key: Any = _jwks(settings.jwt_jwks_url).key(token)
            if key is None:
                return None
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


def authenticate(request: Request, settings: Settings) -> Principal | None:
    """Return the caller of ``request``, or None when it brings no valid credentials.

    The guard (guard.py) authenticates every request before its body is read and keeps the
    caller on the request; it is read from there.
    """
    found = getattr(request.state, "principal", None)
    if isinstance(found, Principal):
        return found
    return authenticate_headers(request.headers, settings)


def authenticate_headers(headers: Mapping[str, str], settings: Settings) -> Principal | None:
    """Return the caller that request headers name, or None without valid credentials."""
    key = headers.get(API_KEY_HEADER)
    if key:
        return principal_from_api_key(key, settings)
    scheme, _, token = headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token:
        return principal_from_jwt(token.strip(), settings)
    return None


class DenialSummary:
    """Failed authentications, audited as one summary record per period and process."""

    def __init__(
        self, period_s: float = DENIAL_SUMMARY_S, clock: Callable[[], float] = time.monotonic
    ) -> None:
        """Summarise every ``period_s`` seconds."""
        self._period = period_s
        self._clock = clock
        self._lock = threading.Lock()
        self._routes: Counter[str] = Counter()
        self._since: float | None = None

    def add(self, services: Services, route: str) -> None:
        """Count one denial; write the summary when the period has passed (or it is the first)."""
        with self._lock:
            now = self._clock()
            self._routes[route] += 1
            due = self._since is None or now - self._since >= self._period
            if not due:
                return
            routes, self._routes = dict(self._routes), Counter()
            self._since = now
        self.write(services, routes)

    def flush(self, services: Services) -> None:
        """Write what is counted and not yet audited (at shutdown)."""
        with self._lock:
            routes, self._routes = dict(self._routes), Counter()
        if routes:
            self.write(services, routes)

    @staticmethod
    def write(services: Services, routes: dict[str, int]) -> None:
        """Write one summary record of failed authentications."""
        services.audit.record(
            actor="anonymous",
            role="",
            action="authenticate",
            resource="api",
            outcome="denied",
            reason="missing or invalid credentials",
            details={"count": sum(routes.values()), "routes": dict(sorted(routes.items())[:50])},
        )


def _route(request: Request) -> str:
    route = request.scope.get("route")
    return str(getattr(route, "path", "unmatched"))


def resource_of(request: Request) -> str:
    """What a request acts on, for its audit record: ``decision/<id>``, else its route."""
    decision_id = str(request.path_params.get("decision_id", ""))
    if _DECISION_ID.match(decision_id):
        return f"decision/{decision_id}"
    return _route(request)


def require(permission: Permission) -> Callable[[Request], Principal]:
    """Return a dependency that admits only callers holding ``permission``."""

    def dependency(request: Request) -> Principal:
        services = get_services(request)
        principal = authenticate(request, services.settings)
        if principal is None:
            services.metrics.auth_failures.inc()
            services.denials.add(services, _route(request))
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                detail="authentication required",
                headers={"WWW-Authenticate": "Bearer"},
            )
        if not allowed(principal.role, permission):
            forbid(services, request, principal, str(permission), f"role lacks {permission}")
        return principal

    return dependency


def forbid(
    services: Services, request: Request, principal: Principal, action: str, reason: str
) -> None:
    """Audit a refused act of an authenticated caller and answer 403.

    Raises:
        HTTPException: always, 403.
    """
    services.audit.record(
        actor=principal.actor,
        role=principal.role,
        action=action,
        resource=resource_of(request),
        outcome="forbidden",
        request_id=request_id(request),
        reason=reason,
    )
    raise HTTPException(status.HTTP_403_FORBIDDEN, detail=f"forbidden: {reason}")
