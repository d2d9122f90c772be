"""Promotion of a candidate model to production, with the approval the spec requires.

Only a model that passed the evaluation gate (it was published with a ``gate.json`` that
passed) can be promoted. When the operating boundary in spec.yaml lists approvals, a second
person must approve; under electronic-signature rules the approval is a signature bound to
the model's SHA-256. Every promotion is an audit record.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import project
from .audit import AuditStore
from .lineage import utc_iso
from .model import Model

APPROVAL_REQUIRED = bool(project.pipeline()["approval_required"])
"""A second person approves each promotion (the operating boundary lists approvals)."""
SIGNATURE_REQUIRED = project.has_feature("e-signature")
"""Each promotion carries an electronic signature record (21 CFR Part 11)."""
PROMOTE_ACTION = "model.promote"


class PromotionError(RuntimeError):
    """The model cannot be promoted (not found, gate not passed, approval missing)."""


@dataclass(frozen=True)
class Promotion:
    """A model promoted to production and who approved it."""

    model_version: str
    model_sha256: str
    actor: str
    approver: str | None
    reason: str
    promoted_at: str
    signature: dict[str, Any] | None = None


def find_candidate(output_dir: Path, model_version: str) -> Path:
    """Return the published model file of this version.

    Raises:
        PromotionError: no published run holds that model.
    """
    matches = sorted((output_dir / "runs").glob(f"*/model-{model_version}.json"))
    if not matches or "/" in model_version:
        raise PromotionError(f"no published model {model_version} under {output_dir / 'runs'}")
    return matches[-1]


def promote(
    model_path: Path,
    *,
    output_dir: Path,
    store: AuditStore,
    actor: str,
    role: str,
    reason: str,
    approver: str | None = None,
    signature: dict[str, Any] | None = None,
) -> Promotion:
    """Make a published model the production model and record who approved it.

    Raises:
        PromotionError: the gate did not pass, the approval or signature is missing or
            does not match the model.
    """
    gate_file = model_path.parent / "gate.json"
    if not gate_file.is_file() or not json.loads(gate_file.read_text(encoding="utf-8"))["passed"]:
        raise PromotionError("the model did not pass the evaluation gate; it cannot be promoted")
    model = Model.from_json(model_path.read_text(encoding="utf-8"))
    if APPROVAL_REQUIRED and (not approver or approver == actor):
        raise PromotionError("promotion needs the approval of a second person: pass --approver")
    signed_hash = (signature or {}).get("subject_sha256")
    if SIGNATURE_REQUIRED and signed_hash != model.sha256:
        raise PromotionError("promotion needs an electronic signature bound to this model")
    promotion = Promotion(
        model_version=model.version,
        model_sha256=model.sha256,
        actor=actor,
        approver=approver,
        reason=reason,
        promoted_at=utc_iso(),
        signature=signature,
    )
    store.record(
        actor=actor,
        role=role,
        action=PROMOTE_ACTION,
        resource=f"model/{model.version}",
        outcome="success",
        model_version=model.version,
        reason=reason,
        details=promotion.__dict__,
    )
    pointer = output_dir / "models" / "production.json"
    pointer.parent.mkdir(parents=True, exist_ok=True)
    pointer.write_text(
        json.dumps({**promotion.__dict__, "path": str(model_path)}, indent=2), encoding="utf-8"
    )
    return promotion


def production(output_dir: Path) -> dict[str, Any] | None:
    """Return the production pointer, or None when no model was promoted yet."""
    pointer = output_dir / "models" / "production.json"
    if not pointer.is_file():
        return None
    data: dict[str, Any] = json.loads(pointer.read_text(encoding="utf-8"))
    return data
