"""The app in-process against a real database: health, readiness, auth, decisions."""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ..package import AuditStore, Database, FixedModel, Prediction, Settings, project
from tests.support import (
    UNKNOWN_ROLE,
    client_for,
    count,
    decide,
    headers,
    make_token,
    role_with,
    sample_inputs,
)


def test_healthz_answers_without_credentials(client: TestClient) -> None:
    """Liveness needs no credentials."""
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_is_ready_with_credentials_configured(client: TestClient) -> None:
    """Readiness passes when the stores answer and callers can authenticate."""
    assert client.get("/readyz").status_code == 200


def test_readyz_is_not_ready_without_credentials(settings: Settings) -> None:
    """A service nobody can call is not ready."""
    bare_settings = settings.model_copy(update={"api_keys": [], "jwt_key": None})
    with client_for(bare_settings) as bare:
        response = bare.get("/readyz")
    assert response.status_code == 503


def test_request_id_is_echoed(client: TestClient) -> None:
    """A caller's request id comes back in the response."""
    response = client.get("/healthz", headers={"X-Request-ID": "req-123"})
    assert response.headers["X-Request-ID"] == "req-123"


def test_no_credentials_is_401(client: TestClient) -> None:
    """A call without credentials is unauthenticated (401), asking for a bearer token."""
    response = client.post("/v1/decisions", json={"subject_id": "s", "inputs": sample_inputs()})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_bad_api_key_is_401(client: TestClient) -> None:
    """A wrong API key is unauthenticated (401)."""
    response = client.get("/v1/reviews", headers={"X-API-Key": "wrong"})
    assert response.status_code == 401


def test_role_without_permission_is_403(client: TestClient) -> None:
    """A valid caller whose role is not in spec.yaml is forbidden (403), not unauthenticated."""
    response = client.get("/v1/reviews", headers=headers(UNKNOWN_ROLE))
    assert response.status_code == 403


def test_refused_calls_are_audited(client: TestClient, audit: AuditStore) -> None:
    """A failed authentication and a forbidden call are both in the audit log."""
    client.get("/v1/reviews", headers={"X-API-Key": "wrong"})
    client.get("/v1/reviews", headers=headers(UNKNOWN_ROLE))
    outcomes = [r.outcome for r in audit.records()]
    assert outcomes == ["denied", "forbidden"]


def test_a_flood_of_unauthenticated_calls_writes_one_summary(
    client: TestClient, audit: AuditStore
) -> None:
    """401s are counted, and audited as a bounded summary naming routes, not request paths."""
    for n in range(60):
        client.get(f"/v1/decisions/attacker-chosen-{n}", headers={"X-API-Key": "wrong"})
    records = audit.records(action="authenticate")
    assert len(records) == 1
    assert "attacker-chosen" not in (records[0].details or "")
    metrics = client.get("/metrics").text
    assert f"{project.package()}_auth_failures_total 60.0" in metrics


def test_jwt_bearer_token_is_accepted(client: TestClient) -> None:
    """A verified bearer token with a role that may request can request a decision."""
    token = make_token({"sub": "alice", "role": role_with("request")})
    response = client.post(
        "/v1/decisions",
        json={"subject_id": "s", "inputs": sample_inputs()},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 201


def test_decision_carries_confidence_and_model_version(client: TestClient) -> None:
    """A decision returns a label, a confidence in [0, 1] and the model version."""
    body = decide(client)
    assert 0 <= body["confidence"] <= 1
    assert body["model_version"]
    assert body["review_threshold"] == project.review_threshold()


def test_stub_model_is_deterministic(client: TestClient) -> None:
    """The same inputs give the same result (stable tests until the real model is plugged in)."""
    first, second = decide(client), decide(client)
    assert (first["label"], first["confidence"]) == (second["label"], second["confidence"])


def test_confident_decision_is_applied(confident_client: TestClient) -> None:
    """A decision at or above the review threshold is applied."""
    assert decide(confident_client)["status"] == "applied"


def test_decision_is_disclosed_as_ai_generated(client: TestClient) -> None:
    """Responses with a model decision say that AI produced them."""
    response = client.post(
        "/v1/decisions",
        json={"subject_id": "s", "inputs": sample_inputs()},
        headers=headers(role_with("request")),
    )
    assert response.headers["X-AI-Generated"] == "true"


def test_invalid_request_is_422_and_not_decided(client: TestClient, audit: AuditStore) -> None:
    """A request outside the data contract is refused before the model runs."""
    response = client.post(
        "/v1/decisions", json={"inputs": {}}, headers=headers(role_with("request"))
    )
    assert response.status_code == 422
    assert audit.records(action="decide") == []


def test_a_refusal_never_echoes_the_values_sent(client: TestClient) -> None:
    """A 422 names the refused field but not its value, which may be personal data."""
    personal = "Jane Example, born 1970-01-01, " + "x" * 300
    response = client.post(
        "/v1/decisions",
        json={"subject_id": personal, "inputs": sample_inputs()},
        headers=headers(role_with("request")),
    )
    assert response.status_code == 422
    assert "subject_id" in response.text
    assert "Jane Example" not in response.text


@pytest.mark.parametrize("confidence", [math.nan, math.inf, -0.1, 1.5])
def test_a_model_confidence_outside_0_to_1_is_a_502_and_stores_nothing(
    settings: Settings, database: Database, confidence: float
) -> None:
    """A model that breaks its contract is an upstream fault (502); no decision is stored."""
    with client_for(settings, FixedModel("positive", confidence)) as broken:
        response = broken.post(
            "/v1/decisions",
            json={"subject_id": "s", "inputs": sample_inputs()},
            headers=headers(role_with("request")),
        )
    assert response.status_code == 502
    assert count(database, "SELECT COUNT(*) AS n FROM decisions") == 0


def test_a_retry_with_the_same_idempotency_key_returns_the_first_decision(
    client: TestClient, audit: AuditStore
) -> None:
    """The same key and body give the first decision back; only one is stored and audited."""
    role = role_with("request")
    body = {"subject_id": "s", "inputs": sample_inputs()}
    key = {"Idempotency-Key": "retry-7f3a", **headers(role)}
    first = client.post("/v1/decisions", json=body, headers=key)
    again = client.post("/v1/decisions", json=body, headers=key)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["decision_id"] == first.json()["decision_id"]
    assert len(audit.records(action="decide")) == 1


class _TogetherModel(FixedModel):
    """A model that answers only when every racing request has reached it."""

    def __init__(self, parties: int) -> None:
        super().__init__("positive", 1.0)
        self._together = threading.Barrier(parties, timeout=30)

    def predict(self, inputs: Mapping[str, Any]) -> Prediction:
        self._together.wait()
        return super().predict(inputs)


def test_concurrent_retries_with_one_idempotency_key_make_one_decision(
    settings: Settings, audit: AuditStore
) -> None:
    """Retries racing each other (as across replicas) all get the one decision they made."""
    body = {"subject_id": "s", "inputs": sample_inputs()}
    key = {"Idempotency-Key": "raced-retry", **headers(role_with("request"))}
    warm = settings.model_copy(update={"database_pool_min": 4})  # no request waits for one
    with (
        client_for(warm, _TogetherModel(4)) as raced,
        ThreadPoolExecutor(max_workers=4) as pool,
    ):
        answers = list(
            pool.map(lambda _: raced.post("/v1/decisions", json=body, headers=key), range(4))
        )
    assert [answer.status_code for answer in answers] == [201] * 4
    assert len({answer.json()["decision_id"] for answer in answers}) == 1
    assert len(audit.records(action="decide")) == 1


def test_an_idempotency_key_reused_for_another_request_is_refused(client: TestClient) -> None:
    """A key already used with a different body is 422, never a silent replay."""
    role = role_with("request")
    key = {"Idempotency-Key": "reused", **headers(role)}
    client.post("/v1/decisions", json={"subject_id": "s", "inputs": sample_inputs()}, headers=key)
    other = client.post(
        "/v1/decisions", json={"subject_id": "t", "inputs": sample_inputs()}, headers=key
    )
    assert other.status_code == 422


def test_a_refused_personal_input_is_never_echoed(client: TestClient) -> None:
    """A personal input of the wrong shape is refused by name; its value is not sent back."""
    personal = sorted(project.personal_inputs())
    if not personal:
        pytest.skip("the contract marks no input personal")
    inputs = {**sample_inputs(), personal[0]: {"name": "Jane Example", "born": "1970-01-01"}}
    response = client.post(
        "/v1/decisions",
        json={"subject_id": "s", "inputs": inputs},
        headers=headers(role_with("request")),
    )
    assert response.status_code == 422
    assert personal[0] in response.text
    assert "Jane Example" not in response.text


def test_each_decision_records_the_contract_version(client: TestClient, audit: AuditStore) -> None:
    """A reviewer can tell which data contract a decision was made under."""
    body = decide(client)
    assert body["contract_version"] == project.contract_version()
    (record,) = audit.records(action="decide")
    assert record.value("details")["contract_version"] == project.contract_version()
