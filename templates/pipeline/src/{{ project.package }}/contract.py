"""The data contract: typed fields, checked at the boundary; bad rows are quarantined.

The fields come from the spec's data dependencies, through ``project.json`` (names are
validated identifiers; types are declared or inferred from the names). When the upstream
contract changes, change it in spec.yaml and run ``new-ai-project update``, which also
brings the sample data in step.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Literal, get_args

from . import project

FieldType = Literal["int", "float", "str", "bool", "date"]
Role = Literal["key", "identifier", "feature", "category", "date", "label"]
IDENTIFYING_ROLES = frozenset({"key", "identifier"})
"""Roles of fields that identify a record or a person: no reason or quarantine file shows them."""
Value = int | float | str | bool | date
Record = dict[str, Value]
"""A row that passed the contract: every field present and of its declared type."""


@dataclass(frozen=True)
class Field:
    """One contract field: its name, type and role in the pipeline."""

    name: str
    type: FieldType
    role: Role

    @property
    def identifying(self) -> bool:
        """Tell whether the field identifies a record or a person (never shown raw in a reason)."""
        return self.role in IDENTIFYING_ROLES


def _fields() -> tuple[Field, ...]:
    """Read the contract's fields from package data, refusing an unknown type or role."""
    fields = []
    for item in project.pipeline()["fields"]:
        kind, role = item["type"], item["role"]
        if kind not in get_args(FieldType) or role not in get_args(Role):
            raise ValueError(f"project.json: field {item['name']!r} has type {kind}, role {role}")
        fields.append(Field(str(item["name"]), kind, role))
    return tuple(fields)


FIELDS = _fields()
KEY = str(project.pipeline()["key"])
"""The field that identifies a record in outputs."""
LABEL = str(project.pipeline()["label"])
"""The known outcome the model learns from (present in training extracts)."""
NAMES = tuple(f.name for f in FIELDS)
_TRUE = {"true", "1", "yes", "y"}
_FALSE = {"false", "0", "no", "n"}


class ContractError(ValueError):
    """A value, a row or a whole file does not match the contract."""


@dataclass(frozen=True)
class Quarantined:
    """A row refused by the contract, with the line it came from and the reason."""

    line: int
    reason: str
    row: Mapping[str, str | None]


def parse_value(field: Field, text: str | None) -> Value:
    """Parse one raw value into the field's type.

    Raises:
        ContractError: the value is missing or is not of the field's type.
    """
    raw = (text or "").strip()
    if not raw:
        raise ContractError(f"{field.name}: missing value")
    try:
        if field.type == "int":
            return int(raw)
        if field.type == "float":
            number = float(raw)
            if number != number or number in (float("inf"), float("-inf")):
                raise ValueError(raw)
            return number
        if field.type == "date":
            return date.fromisoformat(raw)
    except ValueError as err:
        raise ContractError(f"{field.name}: not a valid {field.type}{_shown(field, raw)}") from err
    if field.type == "bool":
        lowered = raw.lower()
        if lowered in _TRUE | _FALSE:
            return lowered in _TRUE
        raise ContractError(f"{field.name}: not a valid bool{_shown(field, raw)}")
    return raw


def _shown(field: Field, raw: str) -> str:
    """The start of a bad value for the reason; never a value that identifies a person."""
    return "" if field.identifying else f": {raw[:40]!r}"


def number(value: Value) -> float:
    """Return a numeric, boolean or label value as a float.

    Raises:
        ContractError: the value is a date or text that is not a number.
    """
    if isinstance(value, date):
        raise ContractError(f"not a number: {value}")
    try:
        return float(value)
    except ValueError as err:
        raise ContractError(f"not a number: {str(value)[:40]!r}") from err


def check_header(columns: Iterable[str]) -> None:
    """Refuse a file whose header lacks contract fields.

    Raises:
        ContractError: one or more contract fields are missing from the header.
    """
    missing = [name for name in NAMES if name not in set(columns)]
    if missing:
        raise ContractError(f"input is missing contract fields: {', '.join(missing)}")


def parse_row(row: Mapping[str, str | None], *, require_label: bool = True) -> Record:
    """Parse a raw row into a typed record.

    Raises:
        ContractError: the first field that breaks the contract, with the reason.
    """
    record: Record = {}
    for field in FIELDS:
        if field.role == "label" and not require_label and not (row.get(field.name) or "").strip():
            continue
        record[field.name] = parse_value(field, row.get(field.name))
    if field_value_is_label_out_of_range(record):
        raise ContractError(f"{LABEL}: must be 0 or 1")
    return record


def field_value_is_label_out_of_range(record: Record) -> bool:
    """Tell whether a classification label is something other than 0 or 1."""
    label = next(f for f in FIELDS if f.role == "label")
    return label.type == "int" and LABEL in record and record[LABEL] not in (0, 1)


def validate_rows(
    rows: Iterable[tuple[int, Mapping[str, str | None]]], *, require_label: bool = True
) -> tuple[list[Record], list[Quarantined]]:
    """Split rows into records that pass the contract and quarantined rows with reasons.

    A repeated key is quarantined too: the first row with a key wins.
    """
    records: list[Record] = []
    quarantined: list[Quarantined] = []
    seen: set[Value] = set()
    for line, row in rows:
        try:
            record = parse_row(row, require_label=require_label)
        except ContractError as err:
            quarantined.append(Quarantined(line, str(err), dict(row)))
            continue
        if record[KEY] in seen:
            quarantined.append(Quarantined(line, f"{KEY}: duplicate key", dict(row)))
            continue
        seen.add(record[KEY])
        records.append(record)
    return records, quarantined
