"""The data contract: typed fields checked at the boundary with pandera; bad rows quarantined.

The fields come from spec.yaml through ``project.json``: the typed ``inputs`` when the spec
declares them (types, bounds, allowed values, required, personal), else the names and types
in the first data dependency's contract text. Keys and identifiers are always text. When
the upstream contract changes, change it in spec.yaml and run ``new-ai-project update``,
which also brings the sample data in step.

A chunk of raw text is checked in two vectorised passes: :func:`parse` turns each column
into the field's type (a value that does not parse is a breach), then :func:`schema`, a
pandera schema, checks what the types cannot say (missing values, bounds, allowed values,
text length, a 0/1 label). Each refused row keeps its line number and one reason: the first
breach in the contract's field order. A reason never shows a value of a field that
identifies a record or a person, or of a personal input.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Literal, get_args

import pandera.polars as pa
import polars as pl
from pandera.errors import SchemaErrors

from . import project

FieldType = Literal["int", "float", "str", "bool", "date"]
Role = Literal["key", "identifier", "feature", "category", "date", "label"]
IDENTIFYING_ROLES = frozenset({"key", "identifier"})
"""Roles of fields that identify a record or a person: no reason or quarantine file shows them."""
TEXT_MAX = 1000
"""The longest text a text input may hold (as at the service's boundary)."""
LINE = "line"
"""The column holding each row's line in the extract (the header is line 1)."""
REASON = "reason"
"""The column holding why a row was quarantined."""
_DTYPES: dict[str, pl.DataType] = {
    "int": pl.Int64(),
    "float": pl.Float64(),
    "str": pl.String(),
    "bool": pl.Boolean(),
    "date": pl.Date(),
}
_TRUE = ("true", "1", "yes", "y")
_FALSE = ("false", "0", "no", "n")
_SHOWN = 40
"""How much of a refused value a reason shows (never for identifying or personal fields)."""
HEALTH_DATA = "health" in (project.spec()["regulatory"].get("data_classes") or [])
"""Every value of a health record is protected health information: with health data in
spec.yaml no reason and no quarantine file shows any raw value, only lines and reasons."""


@dataclass(frozen=True)
class Field:
    """One contract field: its name, type and role, and what the spec bounds it by."""

    name: str
    type: FieldType
    role: Role
    required: bool = True
    personal: bool = False
    minimum: float | None = None
    maximum: float | None = None
    values: tuple[str, ...] | None = None
    input_type: str | None = None

    @property
    def identifying(self) -> bool:
        """Tell whether the field identifies a record or a person."""
        return self.role in IDENTIFYING_ROLES

    @property
    def hidden(self) -> bool:
        """Tell whether values of the field are never shown raw (identifying or personal)."""
        return self.identifying or self.personal

    @property
    def withheld(self) -> bool:
        """Tell whether a refused value of the field is left out of reasons and quarantine."""
        return self.hidden or HEALTH_DATA

    @property
    def dtype(self) -> pl.DataType:
        """Return the polars type of the field's values."""
        return _DTYPES[self.type]


def _fields() -> tuple[Field, ...]:
    """Read the contract's fields from package data, refusing an unknown type or role."""
    fields = []
    for item in project.pipeline()["fields"]:
        kind, role = item["type"], item["role"]
        if kind not in get_args(FieldType) or role not in get_args(Role):
            raise ValueError(f"project.json: field {item['name']!r} has type {kind}, role {role}")
        values = item.get("values")
        fields.append(
            Field(
                name=str(item["name"]),
                type=kind,
                role=role,
                required=bool(item.get("required", True)),
                personal=bool(item.get("personal", False)),
                minimum=item.get("min"),
                maximum=item.get("max"),
                values=tuple(str(v) for v in values) if values is not None else None,
                input_type=item.get("input_type"),
            )
        )
    return tuple(fields)


FIELDS = _fields()
KEY = str(project.pipeline()["key"])
"""The field that identifies a record in outputs."""
LABEL = str(project.pipeline()["label"])
"""The known outcome the model learns from (present in training extracts)."""
NAMES = tuple(f.name for f in FIELDS)
BY_NAME = {f.name: f for f in FIELDS}
VERSION = project.contract_version()
"""The contract's version (a hash of spec.yaml's inputs), recorded with every run."""


class ContractError(ValueError):
    """A whole file does not match the contract (a missing column, a malformed line)."""


@dataclass(frozen=True)
class Checked:
    """One chunk checked: typed rows that passed, and raw rows refused with their reasons."""

    valid: pl.DataFrame
    quarantined: pl.DataFrame


def check_header(columns: list[str]) -> None:
    """Refuse a file whose header lacks contract fields.

    Raises:
        ContractError: one or more contract fields are missing from the header.
    """
    present = set(columns)
    missing = [name for name in NAMES if name not in present]
    if missing:
        raise ContractError(f"input is missing contract fields: {', '.join(missing)}")


@cache
def schema() -> pa.DataFrameSchema:
    """Return the contract as a pandera schema over typed columns (see :func:`parse`)."""
    return pa.DataFrameSchema(
        {f.name: pa.Column(f.dtype, checks=_checks(f), nullable=not f.required) for f in FIELDS},
        strict=False,
        name="contract",
    )


def _checks(field: Field) -> list[pa.Check]:
    checks: list[pa.Check] = []
    if field.minimum is not None:
        checks.append(pa.Check.ge(field.minimum, error=f"below the minimum {field.minimum:g}"))
    if field.maximum is not None:
        checks.append(pa.Check.le(field.maximum, error=f"above the maximum {field.maximum:g}"))
    if field.values is not None:
        checks.append(pa.Check.isin(list(field.values), error="not one of the allowed values"))
    if field.input_type == "text":
        checks.append(
            pa.Check.str_length(max_value=TEXT_MAX, error=f"longer than {TEXT_MAX} characters")
        )
    if field.role == "label" and field.type == "int":
        checks.append(pa.Check.isin([0, 1], error="must be 0 or 1"))
    return checks


def parse(raw: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Turn raw text columns into the fields' types, vectorised.

    Returns the typed frame (a value that does not parse becomes null) and the breaches:
    one row per value that did not parse, with its row index, field order and reason.
    """
    text = raw.select(_stripped(name) for name in NAMES)
    typed = text.select(_typed(f) for f in FIELDS)
    breaches = [
        text.with_row_index("row")
        .filter(pl.col(f.name).is_not_null() & typed.get_column(f.name).is_null())
        .select(
            pl.col("row").cast(pl.Int64),
            pl.lit(order * 2, dtype=pl.Int64).alias("order"),
            _reason(f, f"not a valid {f.type}", pl.col(f.name)),
        )
        for order, f in enumerate(FIELDS)
    ]
    return typed, pl.concat(breaches)


def _stripped(name: str) -> pl.Expr:
    """A raw column without surrounding blanks; an empty value is a missing one."""
    value = pl.col(name).str.strip_chars()
    return pl.when(value.str.len_chars() > 0).then(value).otherwise(None).alias(name)


def _typed(field: Field) -> pl.Expr:
    column = pl.col(field.name)
    if field.type == "float":
        number = column.cast(pl.Float64, strict=False)
        return pl.when(number.is_finite()).then(number).otherwise(None).alias(field.name)
    if field.type == "int":
        return column.cast(pl.Int64, strict=False)
    if field.type == "bool":
        lowered = column.str.to_lowercase()
        return (
            pl.when(lowered.is_in(_TRUE))
            .then(True)
            .when(lowered.is_in(_FALSE))
            .then(False)
            .otherwise(None)
            .alias(field.name)
        )
    if field.type == "date":
        return column.str.to_date("%Y-%m-%d", strict=False)
    return column


def _reason(field: Field, message: str, value: pl.Expr) -> pl.Expr:
    """``<field>: <message>`` and, unless the field is hidden, the start of the bad value."""
    head = pl.lit(f"{field.name}: {message}")
    if field.withheld:
        return head.alias(REASON)
    shown = value.cast(pl.String).str.slice(0, _SHOWN)
    return pl.concat_str(head, pl.lit(": '"), shown, pl.lit("'")).alias(REASON)


def check(raw: pl.DataFrame) -> Checked:
    """Check one chunk of raw rows (text columns and their ``line``) against the contract.

    A row breaking the contract is quarantined (its raw text kept) with the first breach in
    field order as the reason; the others come back typed, with their ``line``.
    """
    typed, breaches = parse(raw)
    try:
        schema().validate(typed, lazy=True)
    except SchemaErrors as err:
        breaches = pl.concat([breaches, _schema_breaches(err.failure_cases)])
    typed = typed.with_columns(raw.get_column(LINE).cast(pl.Int64))
    if breaches.is_empty():
        return Checked(valid=typed, quarantined=empty_quarantine())
    first = breaches.sort("row", "order").unique("row", keep="first", maintain_order=True)
    refused = first.select("row", REASON)
    valid = _numbered(typed).join(refused, on="row", how="anti").drop("row")
    quarantined = (
        _numbered(raw)
        .join(refused, on="row", how="inner")
        .sort("row")
        .select(pl.col(LINE).cast(pl.Int64), REASON, *NAMES)
    )
    return Checked(valid=valid, quarantined=quarantined)


def empty_quarantine() -> pl.DataFrame:
    """Return a quarantine with no rows: line, reason and the contract's raw text columns."""
    return pl.DataFrame(
        schema={LINE: pl.Int64, REASON: pl.String, **dict.fromkeys(NAMES, pl.String)}
    )


def _numbered(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_row_index("row").with_columns(pl.col("row").cast(pl.Int64))


def _schema_breaches(cases: pl.DataFrame) -> pl.DataFrame:
    """Turn pandera's failure cases into breaches (row, field order, reason)."""
    order = pl.DataFrame(
        {"column": list(NAMES), "order": [2 * i + 1 for i in range(len(NAMES))]},
        schema={"column": pl.String, "order": pl.Int64},
    )
    found = cases.filter(pl.col("index").is_not_null()).join(order, on="column", how="inner")
    missing = pl.col("check") == "not_nullable"
    messages = pl.when(missing).then(pl.lit("missing value")).otherwise(pl.col("check"))
    hidden = [f.name for f in FIELDS if f.withheld]
    shown = pl.col("failure_case").cast(pl.String).str.slice(0, _SHOWN)
    reason = pl.concat_str(
        pl.col("column"),
        pl.lit(": "),
        messages,
        pl.when(missing | pl.col("column").is_in(hidden))
        .then(pl.lit(""))
        .otherwise(pl.concat_str(pl.lit(": '"), shown, pl.lit("'"))),
        ignore_nulls=True,
    )
    return found.select(pl.col("index").cast(pl.Int64).alias("row"), "order", reason.alias(REASON))
