"""Human oversight: the review queue, approve and override (with a reason), and contest.

Reviewers (roles with ``review``) list decisions waiting for a human, approve the model's
label or override it with one of the model's labels and a reason. Four eyes: the person who
requested a decision can never approve or override it (403). Transitions are
compare-and-set inside one transaction with their audit record: a decision that is
already resolved answers 409, and of two reviewers acting at once exactly one succeeds
(the others' attempts are audited as conflicts). When the spec's regimes give people the
right to contest an automated decision (GDPR Art. 22(3)),
``POST /v1/decisions/{id}/contest`` sends a decision back to the queue, where a reviewer
other than the one who decided it decides again.
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


def _state(row: dict[str, Any]) -> dict[str, Any]:
    return {"status": row["status"], "label": row["final_label"]}


def four_eyes(
    services: Services, request: Request, principal: Principal, row: dict[str, Any]
) -> None:
    """Refuse (403, audited) when the caller requested the decision they would resolve."""
    reason = four_eyes_reason(principal, row)
    if reason is not None:
        forbid(services, request, principal, "review", reason)


def four_eyes_reason(principal: Principal, row: dict[str, Any]) -> str | None:
    """Why the caller may not resolve this decision (four eyes), or None when they may.

    The requester never resolves (or signs) their own decision; a contested decision goes to
    a reviewer other than the one who decided it.
    """
    if row["requested_by"] and row["requested_by"] == principal.actor:
        return "the requester of a decision may not resolve or sign it (four eyes)"
    if row["status"] == "contested" and row["reviewed_by"] == principal.actor:
        return "a contested decision goes to a reviewer other than the one who decided it"
    return None


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
    resolves: bool = True,
) -> Decision:
    """Move a decision if it is still in ``allowed_from``; audit it in the same transaction.

    With ``resolves`` the caller decides the decision: four eyes is checked on the locked
    row and they become its reviewer. A refusal or a lost race leaves the decision as it
    was, and is audited.
    """
    refused: str | None = None
    with services.db.transaction() as conn:
        before = services.decisions.get(decision_id, conn, for_update=True)
        if before is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no such decision")
        refused = four_eyes_reason(principal, before) if resolves else None
        updated = None
        if refused is None:
            label = before["label"] if final_label == "" else final_label
            updated = services.decisions.transition(
                conn,
                decision_id,
                allowed_from=allowed_from,
                status=new_status,
                final_label=label,
                reviewer=principal.actor if resolves else None,
                reason=reason,
            )
        if updated is not None:
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
    if refused is not None:
        forbid(services, request, principal, "review", refused)
    if updated is None:  # another reviewer was first, or the decision is not open
        services.audit.record(
            actor=principal.actor,
            role=principal.role,
            action=action,
            resource=f"decision/{decision_id}",
            outcome="conflict",
            request_id=request_id(request),
            reason=f"decision is {before['status']}",
        )
        raise HTTPException(status.HTTP_409_CONFLICT, detail=f"decision is {before['status']}")
    services.queue.invalidate()
    return to_decision(updated)


@router.get("/v1/reviews", response_model=list[Decision])
def list_reviews(
    request: Request, principal: Annotated[Principal, Depends(require(Permission.REVIEW))]
) -> list[Decision]:
    """Return decisions waiting for a human, oldest first."""
    services = get_services(request)
    rows = services.decisions.pending()
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
    """Replace a decision's label by one of the model's; the reason is required and audited."""
    services = get_services(request)
    if body.label not in services.model.labels:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail=f"label must be one of the model's labels: {', '.join(services.model.labels)}",
        )
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
        resolves=False,  # who decided it stays on record: they may not decide it again
    )


if project.has_feature("contest-path"):
    router.add_api_route(
        "/v1/decisions/{decision_id}/contest",
        contest,
        methods=["POST"],
        response_model=Decision,
        tags=["review"],
    )
