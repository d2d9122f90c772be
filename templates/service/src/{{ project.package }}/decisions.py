"""The AI decision path: ``POST /v1/decisions`` asks the model and routes low confidence to a human.

A result whose confidence is below the review threshold of spec.yaml is stored with status
``pending_review`` and is not applied until a reviewer approves or overrides it (see
review.py). The decision and its audit record (model version, a hash of the inputs, the
subject pseudonymised, the data contract's version) commit in one transaction; no input
value is written, only a keyed digest of them. With an ``Idempotency-Key`` header a
retried request returns the decision it made the first time instead of a second one, also
when the retry reaches another replica while the first is still being stored.
"""

from __future__ import annotations

import json
import math
import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Request, Response, status

from . import project
from .audit import Connection
from .auth import Permission, Principal, require
from .schemas import Decision, DecisionRequest
from .services import Services, get_services, request_id

router = APIRouter(prefix="/v1/decisions", tags=["decisions"])
AI_DISCLOSURE_HEADER = "X-AI-Generated"
REPLAYED_HEADER = "Idempotent-Replayed"
_IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")


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
        contract_version=row["contract_version"],
    )


def audit_read(services: Services, principal: Principal, request: Request, resource: str) -> None:
    """Audit a read of stored decisions: who read what, when (HIPAA's access audit among others)."""
    services.audit.record(
        actor=principal.actor,
        role=principal.role,
        action="read",
        resource=resource,
        outcome="success",
        request_id=request_id(request),
    )


def _refuse(
    services: Services, request: Request, principal: Principal, code: int, reason: str
) -> HTTPException:
    services.audit.record(
        actor=principal.actor,
        role=principal.role,
        action="decide",
        resource="decision",
        outcome="refused",
        request_id=request_id(request),
        reason=reason,
    )
    return HTTPException(code, detail=reason)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=Decision)
def decide(
    body: DecisionRequest,
    request: Request,
    response: Response,
    principal: Annotated[Principal, Depends(require(Permission.REQUEST))],
    idempotency_key: Annotated[str | None, Header()] = None,
) -> Decision:
    """Return the model's decision; below the review threshold it waits for a human."""
    services = get_services(request)
    if idempotency_key is not None and not _IDEMPOTENCY_KEY.match(idempotency_key):
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST,
            detail="Idempotency-Key: 1 to 200 visible ASCII characters",
        )
    request_sha256 = services.audit.pseudonym(
        json.dumps(body.model_dump(mode="json", by_alias=True), sort_keys=True)
    )
    if idempotency_key is not None:
        replay = _replay(services, principal, idempotency_key, request_sha256)
        if replay is not None:
            response.headers[REPLAYED_HEADER] = "true"
            response.headers[AI_DISCLOSURE_HEADER] = "true"
            return replay
    if not services.model_enabled():
        raise _refuse(services, request, principal, 503, "kill switch engaged")
    inputs = body.input_values()
    prediction = services.model.predict(inputs)
    if not valid_confidence(prediction.confidence):
        # the model broke its contract: a fault upstream of this service, nothing is stored
        raise _refuse(services, request, principal, 502, "the model returned an invalid confidence")
    routed = "pending_review" if prediction.confidence < project.review_threshold() else "applied"
    # keyed, so a digest of a few personal values cannot be reversed by trying them all
    inputs_sha256 = services.audit.pseudonym(json.dumps(inputs, sort_keys=True, default=str))
    with services.db.transaction() as conn:
        if idempotency_key is not None:  # a concurrent retry may have committed meanwhile
            # retries with one key take turns, on every replica, until the first commits
            services.db.lock(conn, f"idempotency:{principal.actor}:{idempotency_key}")
            replay = _replay(services, principal, idempotency_key, request_sha256, conn)
            if replay is not None:
                response.headers[REPLAYED_HEADER] = "true"
                response.headers[AI_DISCLOSURE_HEADER] = "true"
                return replay
        row = services.decisions.add(
            conn,
            subject=services.audit.pseudonym(body.subject_id),
            inputs_sha256=inputs_sha256,
            label=prediction.label,
            confidence=prediction.confidence,
            model_version=prediction.model_version,
            status=routed,
            requested_by=principal.actor,
            contract_version=project.contract_version(),
        )
        if idempotency_key is not None:
            services.decisions.remember(
                conn, principal.actor, idempotency_key, request_sha256, row["decision_id"]
            )
        services.audit.append(
            conn,
            actor=principal.actor,
            role=principal.role,
            action="decide",
            resource=f"decision/{row['decision_id']}",
            outcome=routed,
            request_id=request_id(request),
            model_version=prediction.model_version,
            subject=body.subject_id,
            after={"label": prediction.label, "status": routed},
            details={
                "confidence": prediction.confidence,
                "inputs_sha256": inputs_sha256,
                "contract_version": project.contract_version(),
            },
        )
    services.drift.observe(inputs)
    services.metrics.predictions.labels(prediction.model_version, routed).inc()
    services.metrics.cost.inc(services.settings.cost_per_prediction_usd)
    response.headers[AI_DISCLOSURE_HEADER] = "true"
    return to_decision(row)


def valid_confidence(value: object) -> bool:
    """Tell whether a model's confidence is a finite number within 0..1."""
    return (
        isinstance(value, float | int)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and 0.0 <= value <= 1.0
    )


def _replay(
    services: Services,
    principal: Principal,
    key: str,
    request_sha256: str,
    conn: Connection | None = None,
) -> Decision | None:
    """The decision an earlier request with this key made, or None; 422 if it asked otherwise."""
    if conn is None:
        with services.db.connect() as fresh:
            return _replay(services, principal, key, request_sha256, fresh)
    remembered = services.decisions.remembered(conn, principal.actor, key)
    if remembered is None:
        return None
    earlier_sha256, decision_id = remembered
    if earlier_sha256 != request_sha256:
        raise HTTPException(
            422,
            detail="Idempotency-Key was already used for a different request",
        )
    row = services.decisions.get(decision_id, conn)
    if row is None:  # pragma: no cover - the key and its decision commit together
        raise HTTPException(status.HTTP_500_INTERNAL_SERVER_ERROR, detail="lost decision")
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
