"""The AI decision path: ``POST /v1/decisions`` asks the model and routes low confidence to a human.

A result whose confidence is below the review threshold of spec.yaml is stored with status
``pending_review`` and is not applied until a reviewer approves or overrides it (see
review.py). Every decision is audited with the model version and a hash of its inputs; the
subject is stored only pseudonymised.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status

from . import project
from .auth import Permission, Principal, require
from .privacy import fingerprint
from .schemas import Decision, DecisionRequest
from .services import Services, get_services, request_id

router = APIRouter(prefix="/v1/decisions", tags=["decisions"])
AI_DISCLOSURE_HEADER = "X-AI-Generated"


def to_decision(row: dict[str, Any]) -> Decision:
    """Turn a stored decision into the API's shape."""
    return Decision(
        decision_id=row["decision_id"],
        label=row["label"],
        confidence=row["confidence"],
        model_version=row["model_version"],
        status=row["status"],
        final_label=row["final_label"],
        review_threshold=project.review_threshold(),
        created_at=row["created_at"],
    )


def audit_read(services: Services, principal: Principal, request: Request, resource: str) -> None:
    """Audit a read of stored decisions when the spec's regimes require it (health data)."""
    if project.has_feature("health-data-access-audit"):
        services.audit.record(
            actor=principal.actor,
            role=principal.role,
            action="read",
            resource=resource,
            outcome="success",
            request_id=request_id(request),
        )


@router.post("", status_code=status.HTTP_201_CREATED, response_model=Decision)
def decide(
    body: DecisionRequest,
    request: Request,
    response: Response,
    principal: Annotated[Principal, Depends(require(Permission.DECIDE))],
) -> Decision:
    """Return the model's decision; below the review threshold it waits for a human."""
    services = get_services(request)
    if not services.model_enabled():
        services.audit.record(
            actor=principal.actor,
            role=principal.role,
            action="decide",
            resource="decision",
            outcome="refused",
            request_id=request_id(request),
            reason="kill switch engaged",
        )
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail="model path disabled")
    prediction = services.model.predict(body.inputs)
    routed = "pending_review" if prediction.confidence < project.review_threshold() else "applied"
    row = services.decisions.add(
        subject=services.audit.pseudonym(body.subject_id),
        inputs_sha256=fingerprint(body.inputs),
        label=prediction.label,
        confidence=prediction.confidence,
        model_version=prediction.model_version,
        status=routed,
    )
    services.audit.record(
        actor=principal.actor,
        role=principal.role,
        action="decide",
        resource=f"decision/{row['decision_id']}",
        outcome=routed,
        request_id=request_id(request),
        model_version=prediction.model_version,
        subject=body.subject_id,
        after={"label": prediction.label, "status": routed},
        details={"confidence": prediction.confidence, "inputs_sha256": row["inputs_sha256"]},
    )
    services.drift.observe(body.inputs)
    services.metrics.predictions.labels(prediction.model_version, routed).inc()
    services.metrics.cost.inc(services.settings.cost_per_prediction_usd)
    response.headers[AI_DISCLOSURE_HEADER] = "true"
    return to_decision(row)


@router.get("/{decision_id}", response_model=Decision)
def read_decision(
    decision_id: str,
    request: Request,
    principal: Annotated[Principal, Depends(require(Permission.READ))],
) -> Decision:
    """Return one decision."""
    services = get_services(request)
    row = services.decisions.get(decision_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no such decision")
    audit_read(services, principal, request, f"decision/{decision_id}")
    return to_decision(row)
