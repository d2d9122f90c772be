"""The data contract at the API boundary: requests are validated here before any work.

With ``inputs`` in spec.yaml, the request's ``inputs`` are exactly those, typed: numbers
are numbers (no numeric strings, no NaN or infinity) within their bounds, categories one of
their values, booleans true or false; an unknown input is refused and an optional one may
be absent. Each refusal is a 422 naming the input (and never echoing its value). Without
``inputs``, the drift features of spec.yaml are required and other inputs pass, but
numbers are finite there too: NaN, infinities (``1e309`` overflows to one) and text that
spells them (``"NaN"``, ``"inf"``) are refused. Reasons and labels are text a person reads:
control characters (NUL, terminal escape codes) and bidirectional overrides are refused.
"""

from __future__ import annotations

import math
import re
import unicodedata
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    FiniteFloat,
    SecretStr,
    StringConstraints,
    create_model,
    field_validator,
)

from . import project

_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,63}$")
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def readable(value: str) -> str:
    """Refuse control characters (but tab and newline) and bidirectional overrides."""
    for char in value:
        if char in _BIDI or (unicodedata.category(char) == "Cc" and char not in "\t\n"):
            raise ValueError("control characters and bidirectional overrides are not allowed")
    return value


def finite_text(value: str) -> str:
    """Refuse text that spells a number that is not finite (``NaN``, ``inf``, ``1e309``)."""
    try:
        number = float(value)
    except ValueError:
        return value
    if not math.isfinite(number):
        raise ValueError("numbers must be finite: NaN and infinities are refused")
    return value


Reason = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=2000),
    AfterValidator(readable),
]
Label = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(readable),
]
InputValue = (
    FiniteFloat
    | int
    | bool
    | Annotated[str, StringConstraints(max_length=1000), AfterValidator(finite_text)]
)
DecisionStatus = Literal["applied", "pending_review", "approved", "overridden", "contested"]
TEXT_MAX = 1000


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _annotation(item: dict[str, Any]) -> Any:
    """The strict type of one input of the contract."""
    kind = item["type"]
    low: float | None = item.get("min")
    high: float | None = item.get("max")
    if kind == "number":
        return Annotated[float, Field(strict=True, allow_inf_nan=False, ge=low, le=high)]
    if kind == "integer":
        return Annotated[int, Field(strict=True, ge=low, le=high)]
    if kind == "category":
        return Literal[tuple(item["values"])]
    if kind == "boolean":
        return Annotated[bool, Field(strict=True)]
    return Annotated[str, Field(strict=True, max_length=TEXT_MAX)]


def _typed_inputs() -> type[BaseModel]:
    """The request's inputs as spec.yaml's contract types them (fields aliased by name)."""
    fields: dict[str, Any] = {}
    for index, item in enumerate(project.contract()["inputs"]):
        annotation = _annotation(item)
        if item.get("required", True):
            fields[f"input_{index}"] = (annotation, Field(alias=item["name"]))
        else:
            fields[f"input_{index}"] = (annotation | None, Field(default=None, alias=item["name"]))
    model: type[BaseModel] = create_model(
        "Inputs", __config__=ConfigDict(extra="forbid", frozen=True), **fields
    )
    return model


class _UntypedInputs(BaseModel):
    """Inputs without a contract: the drift features of spec.yaml are required."""

    model_config = ConfigDict(extra="allow", frozen=True)

    @classmethod
    def check(cls, value: dict[str, InputValue]) -> dict[str, InputValue]:
        """Refuse names that are not identifiers and missing drift features."""
        bad = [key for key in value if not _KEY.match(key)]
        if bad:
            raise ValueError(f"input names must be identifiers: {bad[:5]}")
        missing = [name for name in project.drift_features() if name not in value]
        if missing:
            raise ValueError(f"missing required inputs: {missing}")
        return value


if TYPE_CHECKING:
    Inputs = dict[str, Any]
elif project.contract()["typed"]:
    Inputs = _typed_inputs()
else:
    Inputs = dict[str, InputValue]


class DecisionRequest(_Strict):
    """A request for a decision."""

    subject_id: str = Field(
        min_length=1,
        max_length=200,
        description="the case or person the decision is about; stored only pseudonymised",
    )
    inputs: Inputs = Field(description="model inputs by name (spec.yaml's data contract)")

    @field_validator("inputs", mode="before")
    @classmethod
    def _contract(cls, value: Any) -> Any:
        if project.contract()["typed"] or not isinstance(value, dict):
            return value
        if len(value) > 200:
            raise ValueError("at most 200 inputs")
        return _UntypedInputs.check(value)

    def input_values(self) -> dict[str, Any]:
        """Return the inputs by their names in spec.yaml (absent optional ones left out)."""
        if isinstance(self.inputs, dict):
            return dict(self.inputs)
        values: dict[str, Any] = self.inputs.model_dump(by_alias=True, exclude_none=True)
        return values


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
    contract_version: str


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
