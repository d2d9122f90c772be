"""Promotion of a candidate model to production: by proven people, always with four eyes.

A run trains a candidate; it never publishes scores with it. Scores come only from the
production model: a candidate that passed the evaluation gate (its run's record in the
audit log says so), promoted by a person whose
role may ``operate`` and approved by a second person whose role may ``review`` (never the
promoter). Under electronic-signature rules (21 CFR Part 11) the approval carries the
approver's signature bound to the model's SHA-256.

The audit log is the only record of what is in production: :func:`production` reads the
latest approval there and accepts it only when its MAC was made with the audit key (nobody
who can merely write the database can add one), its approver is not its promoter, and the
model file still has the approved SHA-256. No file in the output folder says what is live.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from . import project
from .audit import AuditStore
from .credentials import Identity
from .lineage import RUN_ACTION, utc_iso
from .settings import authorize

if TYPE_CHECKING:
    # the model module imports numpy, polars, pandera and, to load, scikit-learn and skops
    # (2-4 s): only a run loads a model, so promote, approve and the audit commands start
    # without them
    from .model import Model

SIGNATURE_REQUIRED = project.has_feature("e-signature")
"""Each approval carries an electronic signature record (21 CFR Part 11)."""
REQUEST_ACTION = "model.promote-request"
PROMOTE_ACTION = "model.promote"
APPROVE_ACTION = "model.approve"


class PromotionError(RuntimeError):
    """The model cannot be promoted (not found, gate not passed, approval missing)."""


@dataclass(frozen=True)
class Promotion:
    """A model approved for production: who promoted it, who approved it, where its file is."""

    model_version: str
    model_sha256: str
    actor: str
    approver: str
    reason: str
    promoted_at: str
    path: str
    """The model file, relative to the output folder (every runner finds it there)."""
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


@dataclass(frozen=True)
class GatedModel:
    """A candidate model file that passed the evaluation gate, known by its SHA-256."""

    sha256: str

    @property
    def version(self) -> str:
        """Return the model version: ``m-`` and the first 12 hex digits of the SHA-256."""
        return "m-" + self.sha256[:12]


Signer = Callable[[PromotionRequest], Mapping[str, Any]]
"""Signs a pending promotion for the approver and returns the signature record."""


def find_candidate(output_dir: Path, model_version: str) -> Path:
    """Return the candidate model file of this version (a run whose candidate passed the gate).

    Raises:
        PromotionError: no run holds that candidate.
    """
    if "/" in model_version or "\\" in model_version:
        raise PromotionError(f"not a model version: {model_version!r}")
    matches = sorted((output_dir / "runs").glob(f"*/model-{model_version}.skops"))
    if not matches:
        raise PromotionError(f"no candidate model {model_version} under {output_dir / 'runs'}")
    return matches[-1]


def promote(
    model_path: Path, *, output_dir: Path, store: AuditStore, by: Identity, reason: str
) -> PromotionRequest:
    """Ask for a candidate to go live; a second person approves it (:func:`approve`).

    Raises:
        AccessDenied: the person's role may not promote.
        PromotionError: the model did not pass the evaluation gate.
    """
    authorize(by, "promote")
    model = _gated_model(store, model_path)
    request = PromotionRequest(
        uuid.uuid4().hex,
        model.version,
        model.sha256,
        _relative(model_path, output_dir),
        by.actor,
        reason,
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
    if not store.authentic(latest):
        raise PromotionError(f"the promotion request of {model_version} does not verify")
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
    """Approve a pending promotion as the second person: the model becomes the production one.

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
    model_path = output_dir / request.path
    model = _gated_model(store, model_path)
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
        path=request.path,
        signature=signature,
    )
    store.record(
        actor=by.actor,
        role=by.role,
        action=PROMOTE_ACTION,
        resource=f"model/{promotion.model_version}",
        outcome="success",
        request_id=request.request_id,
        model_version=promotion.model_version,
        reason=reason or promotion.reason,
        details=asdict(promotion),
    )
    return promotion


def production(store: AuditStore) -> Promotion | None:
    """Return the model in production: the latest approval in the audit log, or None.

    An approval counts only when its record carries a MAC made with the audit key, names an
    approver other than the promoter and, under electronic-signature rules, the approver's
    signature of the model.

    Raises:
        PromotionError: the latest approval record fails one of those checks (it was
            written by someone without the key, or is not an approval at all).
    """
    approvals = store.records(action=PROMOTE_ACTION)
    if not approvals:
        return None
    latest = approvals[-1]
    version = latest.resource.removeprefix("model/")
    if not store.authentic(latest):
        raise PromotionError(
            f"the approval of {version} in the audit log does not verify (added without the "
            "audit key?); run `audit verify`, then promote and approve a model again"
        )
    details = latest.value("details") or {}
    try:
        promotion = Promotion(**{f.name: details[f.name] for f in fields(Promotion)})
    except (KeyError, TypeError) as err:
        raise PromotionError(
            f"the approval of {version} predates four-eyes promotion; promote and approve a "
            "model again"
        ) from err
    if not promotion.approver or promotion.approver == promotion.actor:
        raise PromotionError(f"the approval of {version} names no second person")
    if SIGNATURE_REQUIRED and not (promotion.signature or {}).get("subject_sha256"):
        raise PromotionError(f"the approval of {version} carries no signature")
    return promotion


def production_model(store: AuditStore, output_dir: Path) -> tuple[Promotion, Model] | None:
    """Return the production model, loaded and checked against its approval, or None.

    Raises:
        PromotionError: see :func:`production`; or the model file is missing, not a model,
            or not the bytes that were approved.
    """
    promotion = production(store)
    if promotion is None:
        return None
    path = output_dir / promotion.path
    from .model import Model, ModelFileError

    try:
        model = Model.load(path)
    except (OSError, ModelFileError) as err:
        raise PromotionError(
            f"the production model {promotion.model_version} cannot be loaded: {err}"
        ) from err
    if model.sha256 != promotion.model_sha256:
        raise PromotionError(
            f"the production model file {path} is not the approved {promotion.model_version}"
        )
    return promotion, model


def _relative(model_path: Path, output_dir: Path) -> str:
    """The model file's path under the output folder (runners may differ in working folder)."""
    try:
        return model_path.resolve().relative_to(output_dir.resolve()).as_posix()
    except ValueError as err:
        raise PromotionError(f"{model_path} is not a candidate under {output_dir}") from err


def _gated_model(store: AuditStore, model_path: Path) -> GatedModel:
    """Return the SHA-256 and version of a candidate file a run's record says passed the gate.

    The run's record is the evidence, not a file beside the model: it carries a MAC made
    with the audit key, which nobody who can only write the output folder has. The file is
    hashed, not loaded: bytes with the SHA-256 of a gated candidate are that candidate, and
    any other file (one skops does not trust included) matches no record. The run that
    scores with it loads it, checking every type it holds first (:func:`production_model`).
    """
    try:
        data = model_path.read_bytes()
    except OSError as err:
        raise PromotionError(f"the model file cannot be promoted: {err}") from err
    model = GatedModel(hashlib.sha256(data).hexdigest())
    for record in reversed(store.records(action=RUN_ACTION)):
        candidate = (record.value("details") or {}).get("candidate") or {}
        if (
            candidate.get("sha256") == model.sha256
            and (candidate.get("gate") or {}).get("passed") is True
            and store.authentic(record)
        ):
            return model
    raise PromotionError(
        f"no run in the audit log passed {model.version} through the evaluation gate; "
        "it cannot be promoted"
    )


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
