"""Human oversight: the review queue, approve and override (with a reason), and contest.

Reviewers (roles with ``review``) list decisions waiting for a human, approve the model's
label or override it with their own label and a reason. Four eyes: the person who
requested a decision can never approve or override it (403). Transitions are
compare-and-set inside one transaction with their audit record: a decision that is
already resolved answers 409, and of two reviewers acting at once exactly one succeeds.
When the spec's regimes give people the right to contest an automated decision (GDPR
Art. 22(3)), ``POST /v1/decisions/{id}/contest`` sends a decision back to the queue.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, status

from . import project
from .auth import Permission, Principal, forbid, require
from .decisions import audit_read, to_decision
from .schemas import ApproveRequest, ContestRequest, Decision, OverrideRequest
from .services import Services, get_services, request_id
from .store import RESOLVED_STATUSES, REVIEW_STATUSES

router = APIRouter(tags=["review"])
OVERRIDABLE = (*REVIEW_STATUSES, "applied")
"""A human may override a decision waiting for review, and one the model applied itself."""
CONTESTABLE = ("applied", *RESOLVED_STATUSES)


def _found(services: Services, decision_id: str) -> dict[str, Any]:
    row = services.decisions.get(decision_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no such decision")
    return row


def _state(row: dict[str, Any]) -> dict[str, Any]:
    return {"status": row["status"], "label": row["final_label"]}


def four_eyes(
    services: Services, request: Request, principal: Principal, row: dict[str, Any]
) -> None:
    """Refuse (403, audited) when the caller requested the decision they would resolve."""
    if row["requested_by"] and row["requested_by"] == principal.actor:
        forbid(
            services,
            request,
            principal,
            "review",
            "the requester of a decision may not resolve or sign it (four eyes)",
        )


def _change(
    services: Services,
    request: Request,
    principal: Principal,
    decision_id: str,
    *,
    action: str,
    allowed_from: Sequence[str],
    new_status: str,
    final_label: str | None,
    reason: str | None,
) -> Decision:
    """Move a decision if it is still in ``allowed_from``; audit it in the same transaction."""
    with services.db.transaction() as conn:
        before = services.decisions.get(decision_id, conn, for_update=True)
        if before is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no such decision")
        label = before["label"] if final_label == "" else final_label
        updated = services.decisions.transition(
            conn,
            decision_id,
            allowed_from=allowed_from,
            status=new_status,
            final_label=label,
            actor=principal.actor,
            reason=reason,
        )
        if updated is None:
            raise HTTPException(status.HTTP_409_CONFLICT, detail=f"decision is {before['status']}")
        services.audit.append(
            conn,
            actor=principal.actor,
            role=principal.role,
            action=action,
            resource=f"decision/{decision_id}",
            outcome="success",
            request_id=request_id(request),
            model_version=before["model_version"],
            before=_state(before),
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
    four_eyes(services, request, principal, _found(services, decision_id))
    return _change(
        services,
        request,
        principal,
        decision_id,
        action="approve",
        allowed_from=REVIEW_STATUSES,
        new_status="approved",
        final_label="",  # the model's label
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
    four_eyes(services, request, principal, _found(services, decision_id))
    return _change(
        services,
        request,
        principal,
        decision_id,
        action="override",
        allowed_from=OVERRIDABLE,
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
    _found(services, decision_id)
    return _change(
        services,
        request,
        principal,
        decision_id,
        action="contest",
        allowed_from=CONTESTABLE,
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
