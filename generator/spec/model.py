"""The spec's value types, fixed vocabularies and base model: the rules every field shares.

Free text, one-line text, slugs, ids and numbers are typed here once (``Text``, ``Line``,
``Slug``...), with the fixed vocabularies (``Kind``, ``Layer``, ``RegimeId``...) and the
base model that refuses unknown keys and repeated ids. The sections are ``sections.py``,
the whole spec ``project.py``; each of their fields also says how people meet it
(``fields.Doc``).
"""

from __future__ import annotations

import keyword
import re
import sys
import unicodedata
from collections.abc import Iterator, Mapping
from enum import StrEnum
from functools import cache
from typing import Annotated, Any, ClassVar, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)
from pydantic_core import PydanticCustomError

from generator.spec.fields import Answers, When, fields_of

SCHEMA_VERSION = 1
MAX_DRIFT_THRESHOLD = 5.0
"""A population stability index above 5 means the populations no longer overlap; no
sample reaches a higher threshold, so an alert set above it could never fire."""

# C0/C1 controls, lone surrogates, the Unicode line separators and non-characters: they
# corrupt terminals and YAML files, and no spec needs them.
_FORBIDDEN_CHARS = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]"
)
# Bidirectional embeddings, overrides and isolates make text display in another order
# than it is stored (the "Trojan Source" trick), in terminals, editors and review pages
# alike. Marks (U+200E, U+200F, U+061C) only set the direction and stay allowed.
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def _clean_text(value: str) -> str:
    """Strip surrounding blanks and refuse control characters in free text."""
    value = unicodedata.normalize("NFC", value).strip()
    if not value:
        raise PydanticCustomError("blank_text", "must not be blank")
    bad = _FORBIDDEN_CHARS.search(value)
    if bad:
        raise PydanticCustomError(
            "control_character",
            "contains the control character U+{code}; remove it",
            {"code": f"{ord(bad.group()):04X}"},
        )
    bidi = _BIDI_CONTROLS.search(value)
    if bidi:
        raise PydanticCustomError(
            "bidi_control",
            "contains the bidirectional control character U+{code}, which makes text show "
            "in another order than it is written; remove it (a right-to-left mark, U+200F, "
            "is allowed)",
            {"code": f"{ord(bidi.group()):04X}"},
        )
    return value


def _single_line(value: str) -> str:
    """Refuse line breaks where one line is meant (titles, names, owners)."""
    if "\n" in value or "\r" in value:
        raise PydanticCustomError("multi_line", "must fit on one line")
    return value


Text = Annotated[str, Field(max_length=4000), AfterValidator(_clean_text)]
"""Free text: any Unicode, several lines allowed, no control characters."""

Line = Annotated[
    str, Field(max_length=300), AfterValidator(_clean_text), AfterValidator(_single_line)
]
"""One line of free text."""

Slug = Annotated[
    str,
    StringConstraints(min_length=3, max_length=50, pattern=r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$"),
]
Role = Annotated[
    str,
    StringConstraints(min_length=2, max_length=40, pattern=r"^[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*$"),
]
Identifier = Annotated[
    str,
    StringConstraints(
        min_length=1, max_length=40, pattern=r"^[A-Za-z][A-Za-z0-9]*(?:[-_.][A-Za-z0-9]+)*$"
    ),
]
Feature = Annotated[
    str, StringConstraints(min_length=1, max_length=60, pattern=r"^[a-z_][a-z0-9_]*$")
]
Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]
PositiveNumber = Annotated[float, Field(strict=True, allow_inf_nan=False, gt=0)]
Confidence = Annotated[float, Field(strict=True, allow_inf_nan=False, ge=0, le=1)]


class Kind(StrEnum):
    """What kind of repository is generated."""

    SERVICE = "service"
    PIPELINE = "pipeline"
    ASSISTANT = "assistant"
    AGENT = "agent"


GENAI_KINDS: tuple[str, ...] = (Kind.ASSISTANT.value, Kind.AGENT.value)
"""The kinds built on generative models: they carry the ``genai`` section (DESIGN §4e)."""


class Direction(StrEnum):
    """Whether a metric improves by going up or down."""

    INCREASE = "increase"
    DECREASE = "decrease"


class Layer(StrEnum):
    """The test layer that proves an acceptance criterion."""

    UNIT = "unit"
    INTEGRATION = "integration"
    E2E = "e2e"


class DataClass(StrEnum):
    """Classes of data the system handles."""

    PUBLIC = "public"
    INTERNAL = "internal"
    CONFIDENTIAL = "confidential"
    PERSONAL = "personal"
    HEALTH = "health"
    PAYMENT = "payment"


class RiskTier(StrEnum):
    """EU AI Act risk tiers; "unacceptable" is listed only to refuse it with the reason."""

    MINIMAL = "minimal"
    LIMITED = "limited"
    HIGH = "high"
    UNACCEPTABLE = "unacceptable"


class Permission(StrEnum):
    """What a user role may do in the generated system (least privilege, four eyes)."""

    REQUEST = "request"
    READ = "read"
    REVIEW = "review"
    CONTEST = "contest"
    SIGN = "sign"
    AUDIT = "audit"
    OPERATE = "operate"


DEFAULT_CAN = (Permission.REQUEST, Permission.READ)
"""What a role may do when spec.yaml does not say: request decisions and read them."""


class RegimeId(StrEnum):
    """Regime ids of the regulatory catalogue (checked against it by the tests)."""

    EU_AI_ACT = "eu-ai-act"
    GDPR = "gdpr"
    HIPAA = "hipaa"
    PCI_DSS = "pci-dss"
    SOC2 = "soc2"
    FDA_21_CFR_11 = "fda-21-cfr-11"
    US_BANK_MRM = "us-bank-mrm"
    ISO_42001 = "iso-42001"
    NIST_AI_RMF = "nist-ai-rmf"
    RBI_FREE_AI = "rbi-free-ai"
    SEBI_AI = "sebi-ai"
    OWASP_LLM_TOP10 = "owasp-llm-top10"
    NIST_AI_600_1 = "nist-ai-600-1"


GENAI_REGIMES: tuple[str, ...] = (RegimeId.OWASP_LLM_TOP10.value, RegimeId.NIST_AI_600_1.value)
"""Regimes about generative AI only: listed for an assistant or an agent, never for a service
or a pipeline (the catalogue's ``kinds`` says the same; a test keeps them equal)."""


def slug_to_identifier(text: str) -> str:
    """Turn a slug or id into a lower-case Python identifier (``AC-1`` → ``ac_1``)."""
    return re.sub(r"[^0-9a-zA-Z]+", "_", text).strip("_").lower()


def _package_name(name: str) -> str:
    """Refuse project names whose Python package would shadow the standard library."""
    package = slug_to_identifier(name)
    if keyword.iskeyword(package) or package in sys.stdlib_module_names:
        raise PydanticCustomError(
            "reserved_name",
            "'{name}' would give the Python package '{package}', which is reserved by "
            "Python; choose a more specific name",
            {"name": name, "package": package},
        )
    return name


def _not_keyword(name: str) -> str:
    """Refuse an input name Python reserves (it becomes a field of generated code)."""
    if keyword.iskeyword(name) or name.startswith("model_"):
        raise PydanticCustomError(
            "reserved_name",
            "'{name}' is reserved by Python or pydantic; choose another name",
            {"name": name},
        )
    return name


InputName = Annotated[
    str,
    StringConstraints(min_length=1, max_length=60, pattern=r"^[a-z][a-z0-9_]*$"),
    AfterValidator(_not_keyword),
]
CategoryValue = Annotated[
    str, Field(max_length=100), AfterValidator(_clean_text), AfterValidator(_single_line)
]
Flag = Annotated[bool, Field(strict=True)]


class InputType(StrEnum):
    """The type of a model input, as every boundary enforces it."""

    NUMBER = "number"
    INTEGER = "integer"
    CATEGORY = "category"
    BOOLEAN = "boolean"
    TEXT = "text"


class _Model(BaseModel):
    """Base for all spec models: unknown keys refused, values frozen, repeats refused."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, use_enum_values=True, defer_build=True
    )  # defer_build: validators are built on first use (start-up of `spec validate`)

    is_root: ClassVar[bool] = False
    """True for the whole spec: conditions on a path from the top are checked there."""

    @model_validator(mode="after")
    def _check_repeats(self) -> Self:
        """Refuse a repeated item of a list, or a repeated id among a list's entries."""
        for key, what, id_key in _unique_lists(type(self)):
            values = getattr(self, key) or []
            ids = [str(getattr(v, id_key) if id_key else v) for v in values]
            try:
                check_unique(ids, key, what)
            except PydanticCustomError as err:  # located at the list, wherever it is nested
                raise _in(key, "{repeat}", repeat=err.message().split(": ", 1)[1]) from None
        return self

    @model_validator(mode="after")
    def _check_conditions(self) -> Self:
        """A field whose condition makes it required is given where it holds, and only there.

        Conditions on a path from the top of the spec are checked by the whole spec
        (``is_root``), the others by the model that holds the field.
        """
        for key, when in _required_when(type(self)):
            if when.root and not self.is_root:
                continue
            here = _Fields(self)
            holds = when.holds(Answers(here, here))
            given = getattr(self, key) is not None
            anchor = when.key if when.root or when.key in type(self).model_fields else key
            if holds and not given:
                description = type(self).model_fields[key].description or key
                raise PydanticCustomError(
                    "missing_when",  # a "missing" of its own: the interview asks it later
                    "{field}: required when {condition}: give {description}",
                    {
                        "field": key,
                        "condition": when.describe(),
                        "description": description,
                        "anchor": anchor,
                    },
                )
            if given and not holds:
                raise PydanticCustomError(
                    "at_field",
                    "{field}: applies only when {condition}, and {key} is {actual}: remove it "
                    "or change {key}",
                    {
                        "field": key,
                        "condition": when.describe(),
                        "key": when.key,
                        "actual": _shown(here, when.key),
                    },
                )
        return self


class _Fields(Mapping[str, Any]):
    """A model's fields read as a mapping (nested models too), for ``When`` conditions."""

    def __init__(self, model: BaseModel) -> None:
        self._model = model

    def __getitem__(self, key: str) -> Any:
        if key not in type(self._model).model_fields:
            raise KeyError(key)
        value = getattr(self._model, key)
        return _Fields(value) if isinstance(value, BaseModel) else value

    def __iter__(self) -> Iterator[str]:
        return iter(type(self._model).model_fields)

    def __len__(self) -> int:
        return len(type(self._model).model_fields)


def _shown(fields: Mapping[str, Any], path: str) -> str:
    """The value at a dotted path, as a message shows it (``none`` when absent)."""
    value: Any = fields
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return "none" if value in (None, "", []) else str(value)


@cache
def _required_when(model: type[BaseModel]) -> tuple[tuple[str, When], ...]:
    """The fields of ``model`` whose condition makes them required (``When.required``)."""
    return tuple(
        (spot.key, spot.doc.when)
        for spot in fields_of(model)
        if spot.doc.when is not None and spot.doc.when.required
    )


@cache
def _unique_lists(model: type[BaseModel]) -> tuple[tuple[str, str, str | None], ...]:
    """The lists of ``model`` whose items (or entries' ids) must not repeat: key, noun, id."""
    found: list[tuple[str, str, str | None]] = []
    for spot in fields_of(model):
        if spot.form == "entries" and spot.id_key is not None:
            found.append((spot.key, spot.id_label, spot.id_key))
        elif spot.form in ("texts", "choices") and spot.doc.unique:
            found.append((spot.key, spot.doc.unique, None))
    return tuple(found)


def _at(path: str, message: str, **context: Any) -> PydanticCustomError:
    """An error about the field at ``path`` (a rule that spans sections names its field)."""
    return PydanticCustomError("at_path", "{path}: " + message, {"path": path, **context})


def _in(field: str, message: str, **context: Any) -> PydanticCustomError:
    """An error about one field of the model being validated (``models.1.region``).

    The location is the model's own plus ``field``, so a rule of a nested section names the
    field wherever the section sits in the spec.
    """
    return PydanticCustomError("at_field", "{field}: " + message, {"field": field, **context})


def check_unique(values: list[str], where: str, what: str) -> None:
    """Refuse a value that appears twice (ids compared as the identifiers they become)."""
    seen: dict[str, str] = {}
    for value in values:
        key = slug_to_identifier(value)
        if key in seen:
            same = "" if seen[key] == value else f" (same as '{seen[key]}' once made an identifier)"
            raise PydanticCustomError(
                "duplicate",
                "{where}: {what} '{value}' appears twice{same}; ids must be unique",
                {"where": where, "what": what, "value": value, "same": same},
            )
        seen[key] = value
