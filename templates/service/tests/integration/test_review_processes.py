"""Reviewers in several processes (replicas, workers) resolving one decision: one wins.

On PostgreSQL the processes are replicas in all but the host: each has its own pool.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ..package import AuditStore, FixedModel, Settings, project
from tests.processes import fresh_processes
from tests.support import client_for, decide, headers, make_settings, role_with


def _approve_in_a_process(
    tmp: str, url: str | None, decision_id: str, reviewer: str, who: str
) -> int:
    """Build a separate app on the same database, as another worker would, and approve."""
    with client_for(make_settings(Path(tmp), url)) as client:
        response = client.post(
            f"/v1/reviews/{decision_id}/approve", json={}, headers=headers(reviewer, who)
        )
    return response.status_code


def test_reviewers_in_several_processes_get_exactly_one_success(
    tmp_path: Path, settings: Settings, database_url: str | None, audit: AuditStore
) -> None:
    """Four processes approve the same decision at once: one 200, three 409, all audited."""
    reviewer = role_with("review")
    if project.review_threshold() <= 0:
        pytest.skip("spec.yaml sets review_below_confidence to 0: nothing waits for review")
    with client_for(settings, FixedModel("positive", 0.0)) as client:
        decision = decide(client)
        assert decision["status"] == "pending_review"
    context = fresh_processes(__name__)
    with context.Pool(4) as pool:
        codes = pool.starmap(
            _approve_in_a_process,
            [(str(tmp_path), database_url, decision["decision_id"], reviewer, "b")] * 4,
        )
    assert sorted(codes) == [200, 409, 409, 409]
    outcomes = sorted(r.outcome for r in audit.records(action="approve"))
    assert outcomes == ["conflict", "conflict", "conflict", "success"]  # losers audited too
    assert audit.verify().ok
