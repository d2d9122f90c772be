"""Request bodies cost nothing before authentication, and never more than the limit.

Attacks from a security review: unauthenticated 60 MB bodies made the server hold them in
memory before answering 401. These tests drive the app at the ASGI level, counting every
body chunk it asks the client for.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from starlette.types import Message

from ..package import Settings, create_app
from tests.support import headers, role_with, sample_inputs

MIB = 1024 * 1024


class Client:
    """Sends one request straight to the ASGI app, in chunks, and counts the chunks it read."""

    def __init__(self, app: FastAPI) -> None:
        """Talk to ``app``."""
        self.app = app

    def post(
        self,
        path: str,
        chunks: list[bytes],
        *,
        auth: dict[str, str] | None = None,
        length: int | None = None,
    ) -> tuple[int, int, dict[str, Any]]:
        """POST ``chunks``; return the status, how many chunks the app read, and the body."""
        raw_headers = [(b"content-type", b"application/json")]
        raw_headers += [(k.lower().encode(), v.encode()) for k, v in (auth or {}).items()]
        if length is not None:
            raw_headers.append((b"content-length", str(length).encode()))
        else:
            raw_headers.append((b"transfer-encoding", b"chunked"))
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": raw_headers,
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
        }
        read = 0
        sent: list[Message] = []

        async def receive() -> Message:
            nonlocal read
            if read < len(chunks):
                read += 1
                return {
                    "type": "http.request",
                    "body": chunks[read - 1],
                    "more_body": read < len(chunks),
                }
            await asyncio.sleep(3600)  # the client has nothing more to send
            return {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            sent.append(message)

        async def call() -> None:
            await asyncio.wait_for(self.app(scope, receive, send), timeout=30)

        asyncio.run(call())
        status = next(m["status"] for m in sent if m["type"] == "http.response.start")
        body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
        return status, read, json.loads(body or b"{}")


@pytest.fixture
def limited(settings: Settings) -> Iterator[Client]:
    """The app with the default body limit (1 MiB)."""
    app = create_app(settings)
    yield Client(app)
    app.state.services.db.close()


def _decision(padding: int = 0) -> bytes:
    body: dict[str, Any] = {"subject_id": "s-1", "inputs": sample_inputs()}
    if padding:
        body["pad"] = "x" * padding
    return json.dumps(body).encode()


def test_an_unauthenticated_body_is_never_read(limited: Client) -> None:
    """401 comes from the headers alone: not one chunk of a 60 MB body is read."""
    chunk = b"x" * MIB
    status, read, _ = limited.post("/v1/decisions", [chunk] * 60, length=60 * MIB)
    assert (status, read) == (401, 0)


def test_an_unauthenticated_chunked_body_is_never_read(limited: Client) -> None:
    """A body without Content-Length is not read before authentication either."""
    status, read, _ = limited.post("/v1/decisions", [b"x" * MIB] * 60)
    assert (status, read) == (401, 0)


def test_a_declared_body_over_the_limit_is_413_before_it_is_read(limited: Client) -> None:
    """An authenticated caller declaring more than the limit is refused at once."""
    auth = headers(role_with("request"))
    status, read, body = limited.post(
        "/v1/decisions", [b"x" * MIB] * 60, auth=auth, length=60 * MIB
    )
    assert (status, read) == (413, 0)
    assert "too large" in body["detail"]


def test_a_chunked_body_over_the_limit_is_413_once_it_passes_it(limited: Client) -> None:
    """Without Content-Length, reading stops at the first chunk past the limit."""
    auth = headers(role_with("request"))
    status, read, _ = limited.post("/v1/decisions", [b"x" * (256 * 1024)] * 240, auth=auth)
    assert status == 413
    assert read <= 5  # 1 MiB and one chunk more, never the 60 MB


def test_a_body_within_the_limit_is_decided(limited: Client) -> None:
    """The guard hands the body on as it came: an ordinary request is decided."""
    body = _decision()
    auth = headers(role_with("request"))
    status, _, decided = limited.post("/v1/decisions", [body], auth=auth, length=len(body))
    assert status == 201, decided
    chunked = [body[: len(body) // 2], body[len(body) // 2 :]]
    assert limited.post("/v1/decisions", chunked, auth=auth)[0] == 201


def test_the_body_limit_is_a_setting(settings: Settings) -> None:
    """``<PREFIX>MAX_BODY_BYTES`` sets the limit: a body over it is refused, under it is read."""
    app = create_app(settings.model_copy(update={"max_body_bytes": 4096}))
    try:
        client = Client(app)
        auth = headers(role_with("request"))
        big = _decision(padding=8000)
        assert client.post("/v1/decisions", [big], auth=auth, length=len(big))[0] == 413
        small = _decision()
        assert client.post("/v1/decisions", [small], auth=auth, length=len(small))[0] != 413
    finally:
        app.state.services.db.close()
