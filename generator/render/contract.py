"""The pipeline's data contract: its fields, from typed ``inputs`` or from contract text.

With ``inputs`` in the spec, the contract is exactly those inputs (type, bounds, allowed
values, required, personal), plus the record key and the label the pipeline needs. Without
them, field names (and declared types) are parsed from the first data dependency's contract
text, as before. Field names reach generated code, so only names matching
``[a-z_][a-z0-9_]*`` survive parsing; every other piece of spec text stays data.

Keys and identifiers are always text: an identifier is a label, never a quantity, so
leading zeros and long digit strings must survive exactly, whatever type the contract text
declares for them.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass
from typing import Any

from generator.spec import Input, ProjectSpec

_GROUP = re.compile(r"\(([^()]*)\)")
_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,59}$")
_TYPES = {"int", "float", "str", "bool", "date"}
_INPUT_TYPES = {"number": "float", "integer": "int", "category": "str", "boolean": "bool"}
DEFAULT_FIELDS = [
    ("record_id", "str"),
    ("segment", "str"),
    ("feature_a", "float"),
    ("feature_b", "float"),
]
"""The contract of a spec that names no fields at all."""


@dataclass(frozen=True)
class Field:
    """One contract field: a validated identifier, its type, its role and its limits.

    ``input`` is the spec's typed input the field comes from (None for the key, the label
    and fields parsed from contract text).
    """

    name: str
    type: str  # int | float | str | bool | date
    role: str  # key | identifier | feature | category | date | label
    required: bool = True
    personal: bool = False
    minimum: float | None = None
    maximum: float | None = None
    values: tuple[str, ...] | None = None
    input: Input | None = None

    @property
    def informative(self) -> bool:
        """Tell whether synthetic values of this field can carry signal for the label."""
        if self.role == "category":
            return self.input is None or len(self.values or ()) > 1
        if self.role != "feature":
            return False
        return not (self.minimum is not None and self.minimum == self.maximum)

    def as_dict(self) -> dict[str, Any]:
        """Return the field as the generated package reads it (``project.json``)."""
        return {
            "name": self.name,
            "type": self.type,
            "role": self.role,
            "required": self.required,
            "personal": self.personal,
            "min": self.minimum,
            "max": self.maximum,
            "values": list(self.values) if self.values is not None else None,
            "input_type": str(self.input.type) if self.input is not None else None,
        }


def parse_contract_names(text: str) -> list[tuple[str, str | None]]:
    """Field names (and declared types) from contract text such as ``"CSV (a, b: int)"``.

    The first parenthesised group holding at least one valid lower-case identifier (alone or
    followed by a type) wins; other tokens are dropped, so hostile text yields no code.
    """
    for group in _GROUP.findall(text):
        found: list[tuple[str, str | None]] = []
        for token in group.split(","):
            words = [w for w in re.split(r"[\s:]+", token.strip().lower()) if w]
            if not words or len(words) > 2 or (len(words) == 2 and words[1] not in _TYPES):
                continue
            name = words[0]
            declared = words[1] if len(words) == 2 else None
            if _NAME.fullmatch(name) and name not in {n for n, _ in found}:
                found.append((name, declared))
        if found:
            return found
    return []


def infer_type(name: str) -> str:
    """A sensible type for a field from its name alone."""
    parts = name.split("_")
    if is_identifier_name(name) or parts[-1] == "code":
        return "str"
    if parts[0] in {"is", "has"} or parts[-1] == "flag":
        return "bool"
    if name in {"date", "day", "week"} or parts[-1] in {"date", "at", "on"}:
        return "date"
    if parts[-1] in {"age", "days", "count", "quantity", "qty", "units", "year", "years", "hours"}:
        return "int"
    if parts[0] in {"n", "num"}:
        return "int"
    floats = {
        "amount",
        "price",
        "cost",
        "usd",
        "eur",
        "rate",
        "score",
        "ratio",
        "weight",
        "pct",
        "value",
        "sales",
        "revenue",
        "temperature",
        "distance",
        "duration",
        "latency",
        "income",
    }
    if parts[-1] in floats or parts[0] in floats:
        return "float"
    return "str"


def is_identifier_name(name: str) -> bool:
    """Tell whether a name says the field identifies a record or a person (``*_id``, ``key``)."""
    return name in {"id", "key"} or name.split("_")[-1] in {"id", "key", "uuid"}


def contract_fields(spec: ProjectSpec, task: str) -> list[Field]:
    """The contract's fields: the typed inputs if the spec has them, else parsed from text.

    Either way the contract gets a text key (the first identifier, else ``record_id``), at
    least one field that can carry signal, and a label (``label``, 0 or 1, or ``target``).
    """
    fields = _typed_fields(spec) if spec.inputs is not None else _parsed_fields(spec)
    if not any(f.role == "key" for f in fields):
        key = _first_identifier_name(spec, fields)
        fields.insert(0, Field(key, "str", "key"))
    if not any(f.informative for f in fields):
        fields.append(Field(_free_name("feature_a", fields), "float", "feature"))
    label = "target" if task == "regression" else "label"
    kind = "float" if task == "regression" else "int"
    fields.append(Field(_free_name(label, fields), kind, "label"))
    return fields


def _typed_fields(spec: ProjectSpec) -> list[Field]:
    """Fields from the spec's typed inputs: features, categories and identifiers."""
    fields: list[Field] = []
    for item in spec.inputs or []:
        kind = _INPUT_TYPES.get(str(item.type), "str")
        if str(item.type) == "text":
            role = "identifier" if is_identifier_name(item.name) else "category"
        elif str(item.type) == "category":
            role = "category"
        else:
            role = "feature"
        fields.append(
            Field(
                name=item.name,
                type=kind,
                role=role,
                required=item.required,
                personal=item.personal,
                minimum=item.min,
                maximum=item.max,
                values=tuple(item.values) if item.values is not None else None,
                input=item,
            )
        )
    return fields


def _parsed_fields(spec: ProjectSpec) -> list[Field]:
    """Fields parsed from the first data dependency's contract text (or the default set)."""
    parsed: list[tuple[str, str | None]] = []
    if spec.data_dependencies:
        parsed = parse_contract_names(spec.data_dependencies[0].contract)
    if not parsed:
        parsed = list(DEFAULT_FIELDS)
    drift = list(spec.monitoring.drift_features) if spec.monitoring else []
    for feature in drift:
        if feature not in {n for n, _ in parsed}:
            parsed.append((feature, "float"))
    fields: list[Field] = []
    key_taken = False
    for name, declared in parsed:
        kind = declared or infer_type(name)
        if is_identifier_name(name):
            role = "identifier" if key_taken else "key"
            key_taken = True
            kind = "str"  # an identifier is text, whatever the contract text declares
        elif kind == "date":
            role = "date"
        elif kind == "str":
            role = "category"
        else:
            role = "feature"
        fields.append(Field(name, kind, role))
    return fields


def _first_identifier_name(spec: ProjectSpec, fields: list[Field]) -> str:
    """The key's name: the first identifier of the contract text that is not an input."""
    taken = {f.name for f in fields}
    if spec.inputs is not None and spec.data_dependencies:
        for name, _ in parse_contract_names(spec.data_dependencies[0].contract):
            if is_identifier_name(name) and name not in taken:
                return name
    return _free_name("record_id", fields)


def _free_name(name: str, fields: list[Field]) -> str:
    taken = {f.name for f in fields}
    while name in taken or keyword.iskeyword(name):
        name += "_"
    return name
