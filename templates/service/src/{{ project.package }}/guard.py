"""The door: who is calling is settled, and the body measured, before the body is read.

A plain ASGI middleware, in front of the routes:

1. A request to anything but the public operations routes (:data:`PUBLIC`) must bring valid
   credentials in its headers (an API key or a bearer token): otherwise it is answered 401
   at once and not one byte of its body is read. Unauthenticated traffic costs a header
   check, never the memory of its body.
2. A body larger than ``<PREFIX>MAX_BODY_BYTES`` (1 MiB by default) is answered 413: at once
   when its ``Content-Length`` says so, and as soon as a chunked body without one passes
   the limit. The body is read here, bounded, and handed to the route as it came.

The caller found here is kept on the request (``request.state.principal``) for the
permission check of the route (:func:`.auth.require`).
"""

from __future__ import annotations

import json

from starlette.datastructures import Headers
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .auth import authenticate_headers
from .services import Services

PUBLIC = frozenset({"/healthz", "/readyz", "/metrics", "/docs", "/docs/oauth2-redirect", "/redoc"})
"""Routes anyone may call: probes, the metrics scrape and the API's documentation."""


class GuardMiddleware:
    """Authenticate from the headers, then read the body within its limit, then route."""

    def __init__(self, app: ASGIApp) -> None:
        """Guard ``app``."""
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI call; only HTTP requests are guarded."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        app = scope["app"]
        services: Services = app.state.services
        route = _route(app.router.routes, scope)
        if route is not None:
            scope["route"] = route  # names the route in metrics and audit, whatever happens
        path = str(getattr(route, "path", "unmatched"))
        headers = Headers(scope=scope)
        public = path in PUBLIC or path == app.openapi_url
        if not public:
            principal = authenticate_headers(headers, services.settings)
            if principal is None:
                services.metrics.auth_failures.inc()
                services.denials.add(services, path)
                extra = {"WWW-Authenticate": "Bearer"}
                if headers.get("content-length", "0") != "0" or "transfer-encoding" in headers:
                    extra["Connection"] = "close"  # its body is never read
                await _answer(send, 401, "authentication required", extra)
                return
            scope.setdefault("state", {})["principal"] = principal
        limit = services.settings.max_body_bytes
        declared = headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            status = 413 if declared.isdigit() else 400
            await _answer(
                send, status, _too_large(limit) if status == 413 else "bad Content-Length"
            )
            return
        body = await _read(receive, limit)
        if body is None:
            await _answer(send, 413, _too_large(limit))
            return
        await self.app(scope, _replay(body, receive), send)


def _route(routes: list[BaseRoute], scope: Scope) -> BaseRoute | None:
    """The route a request is for (whatever its method), or None."""
    for route in routes:
        match, _ = route.matches(scope)
        if match is not Match.NONE:
            return route
    return None


async def _read(receive: Receive, limit: int) -> list[bytes] | None:
    """Read the whole body unless it passes ``limit`` bytes (then None, reading no further)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":  # the client left: hand that on
            return chunks
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks


def _replay(chunks: list[bytes], receive: Receive) -> Receive:
    """A ``receive`` that gives the body already read, then what the client sends next."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
        return await receive()

    return replay


def _too_large(limit: int) -> str:
    return f"request body too large: at most {limit} bytes"


async def _answer(
    send: Send, status: int, detail: str, extra: dict[str, str] | None = None
) -> None:
    body = json.dumps({"detail": detail}).encode("utf-8")
    fields = {"content-type": "application/json", "content-length": str(len(body))}
    if status == 413:
        fields["connection"] = "close"  # the rest of the body is never read
    fields |= {name.lower(): value for name, value in (extra or {}).items()}
    headers = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in fields.items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
