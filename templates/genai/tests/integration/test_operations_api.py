"""What every GenAI API has: health, readiness, metrics, request ids, limits, production refusals."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from ..package import Runtime, Settings, StartupRefused, create_app
from tests.api import api_keys, client
from tests.support import make_settings


@pytest.fixture
def settings(tmp_path: Path, database_url: str | None) -> Settings:
    """Test settings with an API key for two people of each role."""
    return make_settings(tmp_path, database_url, api_keys=api_keys())


def test_health_and_readiness(runtime: Runtime) -> None:
    """/healthz answers; /readyz is ready (database, prompts, credentials) and says how it retrieves."""
    with client(runtime) as api:
        assert api.get("/healthz").json() == {"status": "ok"}
        ready = api.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["retrieval"] == runtime.index.mode()  # full-text, or hybrid


def test_readiness_fails_without_credentials(tmp_path: Path) -> None:
    """No API key and no JWT configured: not ready (503), saying why."""
    settings = make_settings(tmp_path)
    app = create_app(settings, start_worker=False)
    from fastapi.testclient import TestClient

    with TestClient(app) as api:
        response = api.get("/readyz")
    assert response.status_code == 503
    assert "no credentials" in response.text


def test_metrics_are_exposed_with_request_counts(runtime: Runtime) -> None:
    """/metrics serves the Prometheus text with the HTTP and GenAI metrics."""
    with client(runtime) as api:
        api.get("/healthz")
        text = api.get("/metrics").text
    assert "_http_requests_total" in text
    assert "_genai_kill_switch_engaged" in text


def test_request_id_is_echoed_or_made(runtime: Runtime) -> None:
    """A well-formed X-Request-ID comes back; a malformed one is replaced."""
    with client(runtime) as api:
        kept = api.get("/healthz", headers={"X-Request-ID": "abc-123"})
        replaced = api.get("/healthz", headers={"X-Request-ID": "bad id;drop"})
    assert kept.headers["X-Request-ID"] == "abc-123"
    assert replaced.headers["X-Request-ID"] != "bad id;drop"


def test_oversized_body_is_refused_before_reading(runtime: Runtime) -> None:
    """A declared body above max_body_bytes is answered 413."""
    with client(runtime) as api:
        too_big = b"x" * (runtime.settings.max_body_bytes + 1)
        response = api.post("/v1/kill-switch", content=too_big)
    assert response.status_code == 413


def test_production_refuses_to_start_on_the_fake_model(tmp_path: Path) -> None:
    """ENVIRONMENT=production with no model configured: the app refuses to start."""
    settings = make_settings(
        tmp_path,
        environment="production",
        privacy_salt=SecretStr("a-production-salt-of-enough-length"),
        tools_mode="live",
    )
    with pytest.raises(StartupRefused, match="fake model"):
        create_app(settings, start_worker=False)
