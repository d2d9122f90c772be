"""Prometheus metrics: requests, latency, errors, model usage and cost, budget, drift."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from ..package import METRICS_PREFIX as PREFIX
from ..package import QUEUE_COUNT_MAX_AGE_S, DecisionStore, QueueDepth, Settings, project
from tests.support import client_for, decide, headers, role_with, sample_inputs


def _metrics(client: TestClient) -> str:
    response = client.get("/metrics")
    assert response.status_code == 200
    return response.text


def test_requests_are_counted_by_route_and_status(client: TestClient) -> None:
    """Each request is counted with its route template and status."""
    client.get("/healthz")
    assert (
        f"{PREFIX}_http_requests_total" + '{method="GET",route="/healthz",status="200"} 1.0'
        in _metrics(client)
    )


def test_latency_histogram_is_exported(client: TestClient) -> None:
    """Request latency is exported as a histogram."""
    client.get("/healthz")
    assert (
        f"{PREFIX}_http_request_duration_seconds_bucket"
        + '{le="0.005",method="GET",route="/healthz"}'
        in _metrics(client)
    )


def test_model_usage_and_cost_are_counted(client: TestClient) -> None:
    """Each prediction is counted by model version and outcome, and its cost added."""
    body = decide(client)
    text = _metrics(client)
    assert f'model_version="{body["model_version"]}"' in text
    assert f"{PREFIX}_model_cost_usd_total 0.01" in text


def test_budget_gauge_holds_the_spec_budget(client: TestClient) -> None:
    """The monthly budget from spec.yaml is exported for the budget alert."""
    budget = project.budget_monthly_usd() or 0
    samples = {
        sample.name: sample.value
        for family in text_string_to_metric_families(_metrics(client))
        for sample in family.samples
    }
    assert samples[f"{PREFIX}_budget_monthly_usd"] == float(budget)


def test_client_errors_are_not_counted_as_errors(client: TestClient) -> None:
    """A 4xx response is counted as a request but not as a server error."""
    client.get("/v1/reviews")
    assert f"{PREFIX}_http_errors_total" + "{" not in _metrics(client)


def test_drift_scores_are_exported_per_feature(client: TestClient) -> None:
    """After enough decisions, PSI per drift feature is exported."""
    for n in range(60):
        client.post(
            "/v1/decisions",
            json={"subject_id": f"s{n}", "inputs": sample_inputs(float(n))},
            headers=headers(role_with("request")),
        )
    text = _metrics(client)
    for feature in project.drift_features():
        assert f"{PREFIX}_drift_psi" + '{feature="' + feature + '"}' in text


def test_a_scrape_does_not_count_the_decisions_each_time(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Scrapes every few seconds read a count at most every 15 s, not a query per scrape."""
    counted: list[int] = []
    original = DecisionStore.count_pending

    def counting(self: DecisionStore) -> int:
        counted.append(1)
        return original(self)

    monkeypatch.setattr(DecisionStore, "count_pending", counting)
    with client_for(settings) as client:
        for _ in range(5):
            assert client.get("/metrics").status_code == 200
    assert len(counted) == 1


def test_the_queue_depth_is_counted_again_once_old_or_changed() -> None:
    """A count serves until it is 15 s old, or until a review action changes the queue."""
    now = [0.0]
    counts = iter(range(10))
    depth = QueueDepth(lambda: next(counts), clock=lambda: now[0])
    assert (depth.get(), depth.get()) == (0, 0)
    now[0] = QUEUE_COUNT_MAX_AGE_S
    assert depth.get() == 1
    depth.invalidate()
    assert depth.get() == 2
