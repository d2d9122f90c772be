"""Check single answers with the spec model's own rules, so there is one source of truth.

A field is checked with a ``TypeAdapter`` built from the model field's own annotation and
metadata; a partly answered section is checked with its sub-model, ignoring fields not
answered yet, so cross-field rules (the regulatory scope's) apply as soon as they can.
Messages are worded by ``generator.spec`` exactly as ``spec validate`` words them.
"""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any, get_args

from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic_core import ErrorDetails, PydanticCustomError

from generator import spec
from generator.spec.wording import describe_error

Loc = tuple[str | int, ...]


@cache
def _adapter(model: type[BaseModel], field: str, item: bool) -> TypeAdapter[Any]:
    """Build a validator for one field of ``model`` (or one item of a list field)."""
    info = model.model_fields[field]
    annotation: Any = info.annotation
    if info.metadata:
        annotation = Annotated[annotation, *info.metadata]
    if item:
        annotation = get_args(info.annotation)[0]
    return TypeAdapter(annotation)


def _message(details: list[ErrorDetails], loc: Loc) -> str | None:
    """Word the first error the way ``spec validate`` does, located at ``loc``."""
    for detail in details:
        if detail["type"] == "missing":
            continue
        located: ErrorDetails = {**detail, "loc": (*loc, *detail["loc"])}
        return describe_error(located)[1]  # the spec's own wording
    return None


def describe(detail: ErrorDetails) -> str:
    """Word one pydantic error the way ``spec validate`` does."""
    return describe_error(detail)[1]  # the spec's own wording


def check_value(
    model: type[BaseModel], field: str, value: Any, loc: Loc, *, item: bool = False
) -> str | None:
    """Return why ``value`` is not acceptable for ``model.field`` (or one item of it), or None."""
    try:
        _adapter(model, field, item).validate_python(value)
    except ValidationError as err:
        return _message(err.errors(include_url=False), loc)
    return None


def clean_value(model: type[BaseModel], field: str, value: Any, *, item: bool = False) -> Any:
    """Return ``value`` as the model stores it (text stripped and normalised)."""
    result = _adapter(model, field, item).validate_python(value)
    return str(result) if isinstance(result, str) else result


def check_section(model: type[BaseModel], data: dict[str, Any], loc: Loc) -> str | None:
    """Return why a partly answered section breaks a rule of ``model``, ignoring gaps."""
    try:
        model.model_validate(data)
    except ValidationError as err:
        return _message(err.errors(include_url=False), loc)
    return None


def field_complete(model: type[BaseModel], field: str, value: Any) -> bool:
    """Say whether ``value`` is a complete, valid ``model.field`` (nothing missing)."""
    try:
        _adapter(model, field, False).validate_python(value)
    except ValidationError:
        return False
    return True


def section_complete(model: type[BaseModel], data: Any) -> bool:
    """Say whether ``data`` is a complete, valid ``model``."""
    try:
        model.model_validate(data)
    except ValidationError:
        return False
    return True


def check_unique(values: list[str], where: str, what: str) -> str | None:
    """Return why ``values`` repeat an id (compared as identifiers), or None."""
    try:
        spec.check_unique(values, where, what)  # the spec's own rule, not a copy
    except PydanticCustomError as err:
        return err.message()
    return None
