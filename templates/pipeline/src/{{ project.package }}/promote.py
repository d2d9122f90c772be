"""Promotion of a candidate model to production, by proven people, with four eyes.

Only a model that passed the evaluation gate (it was published with a ``gate.json`` that
passed) can be promoted, by a person whose role may ``operate``. When the operating
boundary in spec.yaml lists approvals, or signatures are required (21 CFR Part 11), the
promotion is only a request until a second person, whose role may ``review``, approves it:
never the promoter. Under electronic-signature rules the approval carries a signature
bound to the model's SHA-256, and the signer must not be the promoter either.

The requests, approvals and refusals are audit records; the audit log, not a file in the
output folder, says who asked for a promotion, so nobody can name another promoter.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, NoReturn

from . import project
from .audit import AuditStore
from .credentials import Identity
from .lineage import utc_iso
from .model import Model, ModelFileError
from .settings import authorize

APPROVAL_REQUIRED = bool(project.pipeline()["approval_required"])
"""A second person approves each promotion (the operating boundary lists approvals)."""
SIGNATURE_REQUIRED = project.has_feature("e-signature")
"""Each promotion carries an electronic signature record (21 CFR Part 11)."""
SECOND_PERSON_REQUIRED = APPROVAL_REQUIRED or SIGNATURE_REQUIRED
"""A promotion waits for a second person (the signer may not be the promoter)."""
REQUEST_ACTION = "model.promote-request"
PROMOTE_ACTION = "model.promote"
APPROVE_ACTION = "model.approve"


class PromotionError(RuntimeError):
    """The model cannot be promoted (not found, gate not passed, approval missing)."""


@dataclass(frozen=True)
class Promotion:
    """A model promoted to production, who promoted it and who approved it."""

    model_version: str
    model_sha256: str
    actor: str
    approver: str | None
    reason: str
    promoted_at: str
    signature: dict[str, Any] | None = None


@dataclass(frozen=True)
class PromotionRequest:
    """A promotion waiting for a second person's approval."""

    request_id: str
    model_version: str
    model_sha256: str
    path: str
    promoter: str
    reason: str


Signer = Callable[[PromotionRequest], Mapping[str, Any]]
"""Signs a pending promotion for the approver and returns the signature record."""


def find_candidate(output_dir: Path, model_version: str) -> Path:
    """Return the published model file of this version.

    Raises:
        PromotionError: no published run holds that model.
    """
    if "/" in model_version or "\\" in model_version:
        raise PromotionError(f"not a model version: {model_version!r}")
    matches = sorted((output_dir / "runs").glob(f"*/model-{model_version}.skops"))
    if not matches:
        raise PromotionError(f"no published model {model_version} under {output_dir / 'runs'}")
    return matches[-1]


def promote(
    model_path: Path, *, output_dir: Path, store: AuditStore, by: Identity, reason: str
) -> Promotion | PromotionRequest:
    """Promote a published model, or ask for a second person's approval when one is required.

    Raises:
        AccessDenied: the person's role may not promote.
        PromotionError: the model did not pass the evaluation gate.
    """
    authorize(by, "promote")
    model = _gated_model(model_path)
    if SECOND_PERSON_REQUIRED:
        request = PromotionRequest(
            uuid.uuid4().hex, model.version, model.sha256, str(model_path), by.actor, reason
        )
        store.record(
            actor=by.actor,
            role=by.role,
            action=REQUEST_ACTION,
            resource=f"model/{model.version}",
            outcome="pending",
            request_id=request.request_id,
            model_version=model.version,
            reason=reason,
            details=asdict(request),
        )
        return request
    promotion = Promotion(model.version, model.sha256, by.actor, None, reason, utc_iso())
    _go_live(store, promotion, model_path, output_dir, by=by, request_id="")
    return promotion


def pending(store: AuditStore, model_version: str) -> PromotionRequest:
    """Return the latest promotion request of a model that is still waiting for approval.

    Raises:
        PromotionError: nobody asked to promote this model, or it was already approved.
    """
    resource = f"model/{model_version}"
    requests = store.records(action=REQUEST_ACTION, resource=resource)
    if not requests:
        raise PromotionError(f"no promotion of {model_version} awaits approval: promote it first")
    latest = requests[-1]
    done = store.records(action=PROMOTE_ACTION, resource=resource)
    if any(r.request_id == latest.request_id for r in done):
        raise PromotionError(f"the promotion of {model_version} was already approved")
    details = latest.value("details")
    return PromotionRequest(**{f.name: str(details[f.name]) for f in fields(PromotionRequest)})


def approve(
    model_version: str,
    *,
    output_dir: Path,
    store: AuditStore,
    by: Identity,
    reason: str = "",
    signer: Signer | None = None,
) -> Promotion:
    """Approve a pending promotion as the second person and make the model the production one.

    Under electronic-signature rules ``signer`` is called (after the four-eyes check) for a
    signature by the approver bound to the model's SHA-256.

    Raises:
        AccessDenied: the person's role may not approve.
        PromotionError: nothing to approve, the approver is the promoter (audited), the
            model changed or lost its gate since the request, or the signature is missing
            or does not bind this approver to this model.
    """
    authorize(by, "approve")
    request = pending(store, model_version)
    if by.actor == request.promoter:
        _refuse(store, by, request, "the promoter may not approve their own promotion")
    model_path = Path(request.path)
    model = _gated_model(model_path)
    if model.sha256 != request.model_sha256:
        _refuse(store, by, request, "the model file changed since the promotion was requested")
    signature: dict[str, Any] | None = None
    if SIGNATURE_REQUIRED:
        signature = dict(signer(request)) if signer is not None else None
        if (
            signature is None
            or signature.get("subject_sha256") != model.sha256
            or signature.get("signer") != by.actor
        ):
            _refuse(store, by, request, "the approval needs the approver's signature of this model")
    promotion = Promotion(
        model_version=model.version,
        model_sha256=model.sha256,
        actor=request.promoter,
        approver=by.actor,
        reason=request.reason,
        promoted_at=utc_iso(),
        signature=signature,
    )
    _go_live(
        store, promotion, model_path, output_dir, by=by, request_id=request.request_id, note=reason
    )
    return promotion


def production(output_dir: Path) -> dict[str, Any] | None:
    """Return the production pointer, or None when no model was promoted yet."""
    pointer = output_dir / "models" / "production.json"
    if not pointer.is_file():
        return None
    data: dict[str, Any] = json.loads(pointer.read_text(encoding="utf-8"))
    return data


def _gated_model(model_path: Path) -> Model:
    gate_file = model_path.parent / "gate.json"
    if not gate_file.is_file() or not json.loads(gate_file.read_text(encoding="utf-8"))["passed"]:
        raise PromotionError("the model did not pass the evaluation gate; it cannot be promoted")
    try:
        return Model.load(model_path)
    except ModelFileError as err:
        raise PromotionError(f"the model file cannot be promoted: {err}") from err


def _refuse(store: AuditStore, by: Identity, request: PromotionRequest, why: str) -> NoReturn:
    store.record(
        actor=by.actor,
        role=by.role,
        action=APPROVE_ACTION,
        resource=f"model/{request.model_version}",
        outcome="denied",
        request_id=request.request_id,
        model_version=request.model_version,
        reason=why,
    )
    raise PromotionError(why)


def _go_live(
    store: AuditStore,
    promotion: Promotion,
    model_path: Path,
    output_dir: Path,
    *,
    by: Identity,
    request_id: str,
    note: str = "",
) -> None:
    """Record the promotion, then point production at the model."""
    store.record(
        actor=by.actor,
        role=by.role,
        action=PROMOTE_ACTION,
        resource=f"model/{promotion.model_version}",
        outcome="success",
        request_id=request_id,
        model_version=promotion.model_version,
        reason=note or promotion.reason,
        details=asdict(promotion),
    )
    pointer = output_dir / "models" / "production.json"
    pointer.parent.mkdir(parents=True, exist_ok=True)
    pointer.write_text(
        json.dumps({**asdict(promotion), "path": str(model_path)}, indent=2), encoding="utf-8"
    )
