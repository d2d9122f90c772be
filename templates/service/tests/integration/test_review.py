"""Human review: low-confidence results wait for a reviewer; four eyes; one resolution only."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from fastapi.testclient import TestClient

from ..package import AuditStore
from tests.support import actor, decide, headers, role_with, role_without


def _approve(client: TestClient, decision_id: str, role: str, who: str = "a") -> int:
    response = client.post(
        f"/v1/reviews/{decision_id}/approve", json={}, headers=headers(role, who)
    )
    return response.status_code


def test_low_confidence_result_waits_for_review(unsure_client: TestClient) -> None:
    """A result below the review threshold is not applied and appears in the review queue."""
    body = decide(unsure_client)
    assert body["status"] == "pending_review"
    assert body["final_label"] is None
    queue = unsure_client.get("/v1/reviews", headers=headers(role_with("review"))).json()
    assert [item["decision_id"] for item in queue] == [body["decision_id"]]


def test_approve_applies_the_model_label(unsure_client: TestClient, audit: AuditStore) -> None:
    """Approving sets the final label to the model's and leaves the queue; it is audited."""
    reviewer = role_with("review")
    body = decide(unsure_client)
    response = unsure_client.post(
        f"/v1/reviews/{body['decision_id']}/approve", json={}, headers=headers(reviewer, "b")
    )
    assert response.json()["status"] == "approved"
    assert response.json()["final_label"] == body["label"]
    assert unsure_client.get("/v1/reviews", headers=headers(reviewer)).json() == []
    (record,) = audit.records(action="approve")
    assert record.value("after") == {"status": "approved", "label": body["label"]}


def test_override_records_before_after_and_reason(
    unsure_client: TestClient, audit: AuditStore
) -> None:
    """An override is audited with who, the old and new value, and the reason."""
    reviewer = role_with("review")
    body = decide(unsure_client)
    response = unsure_client.post(
        f"/v1/reviews/{body['decision_id']}/override",
        json={"label": "negative", "reason": "Documents show the opposite."},
        headers=headers(reviewer, "b"),
    )
    assert response.json()["final_label"] == "negative"
    (record,) = audit.records(action="override")
    assert record.actor == actor(reviewer, "b")
    assert record.value("before") == {"status": "pending_review", "label": None}
    assert record.value("after") == {"status": "overridden", "label": "negative"}
    assert record.reason == "Documents show the opposite."


def test_override_without_reason_is_refused_and_not_written(
    unsure_client: TestClient, audit: AuditStore
) -> None:
    """An override without a reason is refused with 422 and nothing changes."""
    reviewer = role_with("review")
    body = decide(unsure_client)
    response = unsure_client.post(
        f"/v1/reviews/{body['decision_id']}/override",
        json={"label": "negative"},
        headers=headers(reviewer, "b"),
    )
    assert response.status_code == 422
    assert audit.records(action="override") == []
    status = unsure_client.get(
        f"/v1/decisions/{body['decision_id']}", headers=headers(role_with("read"))
    )
    assert status.status_code == 200
    assert status.json()["status"] == "pending_review"


def test_the_requester_cannot_approve_their_own_decision(
    unsure_client: TestClient, audit: AuditStore
) -> None:
    """Four eyes: the same person, even under a role that may review, is refused (403)."""
    body = decide(unsure_client, who="self")
    assert _approve(unsure_client, body["decision_id"], role_with("review"), "self") == 403
    response = unsure_client.post(
        f"/v1/reviews/{body['decision_id']}/override",
        json={"label": "negative", "reason": "mine"},
        headers=headers(role_with("review"), "self"),
    )
    assert response.status_code == 403
    forbidden = audit.records(action="review")
    assert [r.outcome for r in forbidden] == ["forbidden", "forbidden"]


def test_a_role_without_review_cannot_resolve(unsure_client: TestClient) -> None:
    """A role whose can does not list review is refused (403), whatever else it may do."""
    body = decide(unsure_client)
    assert _approve(unsure_client, body["decision_id"], role_without("review"), "b") == 403


def test_a_resolved_decision_is_not_resolved_again(unsure_client: TestClient) -> None:
    """Approving, then approving or overriding again answers 409; the first result stands."""
    reviewer = role_with("review")
    body = decide(unsure_client)
    assert _approve(unsure_client, body["decision_id"], reviewer, "b") == 200
    assert _approve(unsure_client, body["decision_id"], reviewer, "b") == 409
    response = unsure_client.post(
        f"/v1/reviews/{body['decision_id']}/override",
        json={"label": "negative", "reason": "late"},
        headers=headers(reviewer, "b"),
    )
    assert response.status_code == 409


def test_concurrent_reviewers_get_exactly_one_success(unsure_client: TestClient) -> None:
    """Reviewers approving the same decision at once: one 200, the others 409."""
    reviewer = role_with("review")
    body = decide(unsure_client)
    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(
            pool.map(
                lambda _: _approve(unsure_client, body["decision_id"], reviewer, "b"), range(8)
            )
        )
    assert sorted(codes) == [200] + [409] * 7


def test_applied_decision_cannot_be_approved(confident_client: TestClient) -> None:
    """Only decisions waiting for review can be approved."""
    body = decide(confident_client)
    assert _approve(confident_client, body["decision_id"], role_with("review"), "b") == 409


def test_unknown_decision_is_404(client: TestClient) -> None:
    """Reviewing a decision that does not exist is 404."""
    assert _approve(client, "nope", role_with("review")) == 404


def test_an_override_label_must_be_one_of_the_models_labels(
    unsure_client: TestClient, audit: AuditStore
) -> None:
    """A reviewer cannot invent a label: any other string is refused (422), nothing changes."""
    body = decide(unsure_client)
    response = unsure_client.post(
        f"/v1/reviews/{body['decision_id']}/override",
        json={"label": "approved; DROP TABLE decisions", "reason": "mine"},
        headers=headers(role_with("review"), "b"),
    )
    assert response.status_code == 422
    assert audit.records(action="override") == []


def test_a_forbidden_approve_is_audited_with_the_decision(
    unsure_client: TestClient, audit: AuditStore
) -> None:
    """A role that may not review, approving, leaves a record naming the decision it tried."""
    body = decide(unsure_client)
    assert _approve(unsure_client, body["decision_id"], role_without("review"), "b") == 403
    (refused,) = [r for r in audit.records() if r.outcome == "forbidden"]
    assert refused.resource == f"decision/{body['decision_id']}"


def test_a_reviewer_losing_a_race_is_audited(unsure_client: TestClient, audit: AuditStore) -> None:
    """The attempts that answer 409 are audit records too: who tried, on what, and why not."""
    reviewer = role_with("review")
    body = decide(unsure_client)
    assert _approve(unsure_client, body["decision_id"], reviewer, "b") == 200
    assert _approve(unsure_client, body["decision_id"], reviewer, "b") == 409
    outcomes = [(r.outcome, r.resource) for r in audit.records(action="approve")]
    assert outcomes == [
        ("success", f"decision/{body['decision_id']}"),
        ("conflict", f"decision/{body['decision_id']}"),
    ]


def test_every_read_of_a_decision_is_audited(client: TestClient, audit: AuditStore) -> None:
    """Who read which decision, and who listed the review queue, is on record."""
    body = decide(client)
    reader = role_with("read")
    assert client.get(f"/v1/decisions/{body['decision_id']}", headers=headers(reader)).is_success
    (read,) = audit.records(action="read")
    assert (read.actor, read.resource) == (actor(reader), f"decision/{body['decision_id']}")
