"""The data contract at the API boundary: requests are validated here before any work.

Required inputs are the drift features of spec.yaml; extend :class:`DecisionRequest` with
the fields of the upstream contract (see docs/spec.md, data dependencies).
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, StringConstraints, field_validator

from . import project

_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,63}$")
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
InputValue = float | int | bool | Annotated[str, StringConstraints(max_length=1000)]
DecisionStatus = Literal["applied", "pending_review", "approved", "overridden", "contested"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DecisionRequest(_Strict):
    """A request for a decision."""

    subject_id: str = Field(
        min_length=1,
        max_length=200,
        description="the case or person the decision is about; stored only pseudonymised",
    )
    inputs: dict[str, InputValue] = Field(description="model inputs by name", max_length=200)

    @field_validator("inputs")
    @classmethod
    def _contract(cls, value: dict[str, InputValue]) -> dict[str, InputValue]:
        bad = [key for key in value if not _KEY.match(key)]
        if bad:
            raise ValueError(f"input names must be identifiers: {bad[:5]}")
        missing = [name for name in project.drift_features() if name not in value]
        if missing:
            raise ValueError(f"missing required inputs: {missing}")
        return value


class Decision(_Strict):
    """A decision as the API returns it."""

    decision_id: str
    label: str
    confidence: float
    model_version: str
    status: DecisionStatus
    final_label: str | None
    review_threshold: float
    created_at: str


class ApproveRequest(_Strict):
    """A reviewer confirms the model's label."""

    reason: Reason | None = None


class OverrideRequest(_Strict):
    """A reviewer replaces the model's label; the reason is required."""

    label: Label
    reason: Reason


class ContestRequest(_Strict):
    """The person affected contests a decision and asks for a human to decide."""

    reason: Reason


class KillSwitchRequest(_Strict):
    """Engage or release the kill switch, with the reason."""

    engaged: bool
    reason: Reason


class KillSwitchState(_Strict):
    """Whether the model path is disabled, and who changed it last."""

    engaged: bool
    changed_at: str | None
    changed_by: str | None
    reason: str | None


SignatureMeaning = Literal["authored", "reviewed", "approved", "responsible"]


class SignatureRequest(_Strict):
    """An e-signature: its meaning, and the signer's own signing secret (re-authentication)."""

    meaning: SignatureMeaning
    signing_secret: SecretStr = Field(
        description="the signer's signing secret, entered at signing; never the API key or token"
    )


class Signature(_Strict):
    """A signature record linked to the signed decision by its content hash."""

    signature_id: str
    decision_id: str
    signer: str
    role: str
    meaning: SignatureMeaning
    signed_at: str
    record_sha256: str
