"""Human oversight: the review queue, approve and override (with a reason), and contest.

Reviewers list decisions waiting for a human, approve the model's label or override it
with their own label and a reason. Every change is audited with the value before and after.
When the spec's regimes give people the right to contest an automated decision (GDPR
Art. 22(3)), ``POST /v1/decisions/{id}/contest`` sends a decision back to the queue.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, status

from . import project
from .auth import Permission, Principal, require
from .decisions import audit_read, to_decision
from .schemas import ApproveRequest, ContestRequest, Decision, OverrideRequest
from .services import Services, get_services, request_id

router = APIRouter(tags=["review"])
FINAL = ("approved", "overridden")


def _found(services: Services, decision_id: str) -> dict[str, Any]:
    row = services.decisions.get(decision_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no such decision")
    return row


def _state(row: dict[str, Any]) -> dict[str, Any]:
    return {"status": row["status"], "label": row["final_label"]}


def _change(
    services: Services,
    request: Request,
    principal: Principal,
    row: dict[str, Any],
    *,
    action: str,
    new_status: str,
    final_label: str | None,
    reason: str | None,
) -> Decision:
    updated = services.decisions.resolve(
        row["decision_id"],
        status=new_status,
        final_label=final_label,
        actor=principal.actor,
        reason=reason,
    )
    services.audit.record(
        actor=principal.actor,
        role=principal.role,
        action=action,
        resource=f"decision/{row['decision_id']}",
        outcome="success",
        request_id=request_id(request),
        model_version=row["model_version"],
        before=_state(row),
        after=_state(updated),
        reason=reason,
    )
    services.metrics.review_queue.set(services.decisions.count_pending())
    return to_decision(updated)


@router.get("/v1/reviews", response_model=list[Decision])
def list_reviews(
    request: Request, principal: Annotated[Principal, Depends(require(Permission.REVIEW))]
) -> list[Decision]:
    """Return decisions waiting for a human, oldest first."""
    services = get_services(request)
    rows = services.decisions.pending()
    services.metrics.review_queue.set(len(rows))
    audit_read(services, principal, request, "reviews")
    return [to_decision(row) for row in rows]


@router.post("/v1/reviews/{decision_id}/approve", response_model=Decision)
def approve(
    decision_id: str,
    body: ApproveRequest,
    request: Request,
    principal: Annotated[Principal, Depends(require(Permission.REVIEW))],
) -> Decision:
    """Confirm the model's label of a decision waiting for review."""
    services = get_services(request)
    row = _found(services, decision_id)
    if row["status"] not in ("pending_review", "contested"):
        raise HTTPException(status.HTTP_409_CONFLICT, detail=f"decision is {row['status']}")
    return _change(
        services,
        request,
        principal,
        row,
        action="approve",
        new_status="approved",
        final_label=row["label"],
        reason=body.reason,
    )


@router.post("/v1/reviews/{decision_id}/override", response_model=Decision)
def override(
    decision_id: str,
    body: OverrideRequest,
    request: Request,
    principal: Annotated[Principal, Depends(require(Permission.REVIEW))],
) -> Decision:
    """Replace a decision's label; the reason is required and audited with before/after."""
    services = get_services(request)
    row = _found(services, decision_id)
    return _change(
        services,
        request,
        principal,
        row,
        action="override",
        new_status="overridden",
        final_label=body.label,
        reason=body.reason,
    )


def contest(
    decision_id: str,
    body: ContestRequest,
    request: Request,
    principal: Annotated[Principal, Depends(require(Permission.CONTEST))],
) -> Decision:
    """Contest a decision: it returns to the review queue for a human to decide."""
    services = get_services(request)
    row = _found(services, decision_id)
    if row["status"] == "contested":
        raise HTTPException(status.HTTP_409_CONFLICT, detail="decision is already contested")
    return _change(
        services,
        request,
        principal,
        row,
        action="contest",
        new_status="contested",
        final_label=None,
        reason=body.reason,
    )


if project.has_feature("contest-path"):
    router.add_api_route(
        "/v1/decisions/{decision_id}/contest",
        contest,
        methods=["POST"],
        response_model=Decision,
        tags=["review"],
    )
