"""Check answers with the spec model's own rules, so there is one source of truth.

A field is checked with a ``TypeAdapter`` built from the model field's own annotation and
metadata; a partly answered section is checked with its model, ignoring fields not
answered yet, so cross-field rules (the regulatory scope's) apply as soon as they can.
Messages are worded by ``generator.spec`` exactly as ``spec validate`` words them. A spec
loaded to start from keeps the answers these checks accept, and says why it drops others.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Annotated, Any, get_args

from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic_core import ErrorDetails, PydanticCustomError

from generator import spec
from generator.interview._draft import Loc
from generator.interview._fields import referenced, spot_at
from generator.interview.prompts import Check
from generator.spec import (
    Answers,
    Spot,
    asking_order,
    bare,
    depended_on,
    describe_error,
    fields_of,
    form_of,
    spec_path,
)


@cache
def _adapter(model: type[BaseModel], field: str, item: bool) -> TypeAdapter[Any]:
    """Build a validator for one field of ``model`` (or one item of a list field)."""
    info = model.model_fields[field]
    annotation: Any = info.annotation
    if item:
        return TypeAdapter(get_args(bare(annotation))[0])
    return TypeAdapter(Annotated[annotation, *info.metadata] if info.metadata else annotation)


def _errors(validate: Callable[[Any], object], value: Any) -> list[ErrorDetails]:
    try:
        validate(value)
    except ValidationError as err:
        return err.errors(include_url=False)
    return []


def _message(details: list[ErrorDetails], loc: Loc) -> str | None:
    """Word the first error, missing fields aside, located at ``loc``."""
    for detail in details:
        if detail["type"] not in ("missing", "missing_when"):  # asked later, not wrong
            return describe({**detail, "loc": (*loc, *detail["loc"])})
    return None


def describe(detail: ErrorDetails) -> str:
    """Word one pydantic error the way ``spec validate`` does."""
    return describe_error(detail)[1]


def check_value(
    model: type[BaseModel], field: str, value: Any, loc: Loc, *, item: bool = False
) -> str | None:
    """Return why ``value`` is not acceptable for ``model.field`` (or one item of it), or None."""
    return _message(_errors(_adapter(model, field, item).validate_python, value), loc)


def clean_value(model: type[BaseModel], field: str, value: Any, *, item: bool = False) -> Any:
    """Return ``value`` as the model stores it (text stripped and normalised)."""
    if not isinstance(value, str):
        return value
    return str(_adapter(model, field, item).validate_python(value))


def check_unique(values: list[str], where: str, what: str) -> str | None:
    """Return why ``values`` repeat an id (compared as identifiers), or None."""
    try:
        spec.check_unique(values, where, what)  # the spec's own rule, not a copy
    except PydanticCustomError as err:
        return err.message()
    return None


def answer_check(
    model: type[BaseModel],
    loc: Loc,
    box: dict[str, Any],
    others: list[dict[str, Any]],
    *,
    extra: Check | None = None,
    items: list[Any] | None = None,
) -> Check:
    """Build the check of an answer for the field at ``loc`` (of one item, given ``items``).

    For one item, None (an empty answer) ends the list: the list as given so far is checked
    with the entry's rules (a category input lists at least one value). Otherwise the
    answer is checked alone; then, if it identifies a list entry, against the other
    entries (``others``), and if it is an item of a list whose items must not repeat,
    against the items before it; then by ``extra``; then with the answers before it in
    ``box``, for the entry's cross-field rules, unless a later field's question depends on
    it (those rules need that later field).
    """
    key = str(loc[-1])
    prefix = spec_path(loc[:-1])
    order = asking_order(model, prefix)
    earlier = order[: order.index(key)] if key in order else []
    spot = spot_at(model, loc)
    entries = len(loc) >= 3 and isinstance(loc[-2], int)
    alone = key in depended_on(model, prefix)

    def check(value: Any) -> str | None:
        if items is not None and value is None:  # the list ends: check it as it is
            answered = {name: box[name] for name in earlier if name in box}
            if items:
                answered[key] = items
            return _message(_errors(model.model_validate, answered), loc[:-1])
        if value in ("", None) and not spot.required:
            return None  # "none" chosen among options, or an optional answer left empty
        problem = check_value(model, key, value, loc, item=items is not None)
        if problem is None and entries and spot.doc.unique and spot.form == "value":
            ids = [str(entry[key]) for entry in others if key in entry]
            problem = check_unique([*ids, value], str(loc[-3]), spot.doc.unique)
        if problem is None and items is not None and spot.doc.unique and spot.form == "texts":
            problem = check_unique([*map(str, items), str(value)], key, spot.doc.unique)
        if problem is None and extra is not None:
            problem = extra(value)
        if problem is None and not alone:
            answered = {name: box[name] for name in earlier if name in box}
            whole = value if items is None else [*items, value]
            answered[key] = whole
            problem = _message(_errors(model.model_validate, answered), loc[:-1])
        return problem

    return check


def complete_parts(model: type[BaseModel], data: dict[str, Any], loc: Loc = ()) -> set[Loc]:
    """The parts of loaded spec data that are complete: sections, entries, lists of texts."""
    done: set[Loc] = set()
    for key, value in data.items():
        if key not in model.model_fields or not value:
            continue
        where, (form, sub) = (*loc, key), form_of(model.model_fields[key])
        if sub is not None and form == "group":
            done |= complete_parts(sub, value, where)
        elif sub is not None and form == "entries":
            for i, entry in enumerate(value):
                done |= complete_parts(sub, entry, (*where, i))
                if not _errors(sub.model_validate, entry):
                    done.add((*where, i))
        if form == "texts" or (
            sub and not _errors(_adapter(model, key, False).validate_python, value)
        ):
            done.add(where)
    return done


def keep_valid(
    model: type[BaseModel],
    raw: Any,
    loc: Loc,
    reasons: dict[Loc, str],
    null_is_answer: Callable[[Loc], bool],
) -> dict[str, Any]:
    """Keep the answers of ``raw`` that pass the model's rules; put why others did in ``reasons``.

    A null is left out (so it is asked), unless ``null_is_answer`` says it means "unknown".
    """
    if not isinstance(raw, dict):
        if loc:
            reasons[loc] = "expected a mapping of keys"
        return {}
    kept: dict[str, Any] = {}
    for key, value in raw.items():
        where = (*loc, key)
        if key == "schema_version" or key not in model.model_fields:
            continue
        if value is None and not null_is_answer(where):
            continue
        form, sub = form_of(model.model_fields[key])
        if form in {"entries", "texts", "choices"} and not isinstance(value, list):
            reasons[where] = "expected a list"
        elif sub is not None and form == "entries":
            entries = [
                keep_valid(sub, v, (*where, i), reasons, null_is_answer)
                for i, v in enumerate(value)
            ]
            spot = spot_at(model, where)
            kept[key] = _unique_ids(entries, where, reasons, spot.id_key, spot.id_label)
        elif sub is not None:
            kept[key] = keep_valid(sub, value, where, reasons, null_is_answer)
        elif form != "value":  # a bad item is left out, the others kept
            good = [v for v in value if check_value(model, key, v, where, item=True) is None]
            kept[key] = [clean_value(model, key, v, item=True) for v in good]
        elif (problem := check_value(model, key, value, where)) is None:
            kept[key] = clean_value(model, key, value)
        else:
            reasons[where] = problem
    return kept


def _unique_ids(
    entries: list[dict[str, Any]],
    spot_loc: Loc,
    reasons: dict[Loc, str],
    id_key: str | None,
    what: str,
) -> list[dict[str, Any]]:
    """Drop a repeated id from later entries, so that the interview asks for another one."""
    if id_key is None:
        return entries
    seen: list[str] = []
    for index, entry in enumerate(entries):
        value = entry.get(id_key)
        if value is None:
            continue
        problem = check_unique([*seen, value], str(spot_loc[-1]), what)
        if problem is None:
            seen.append(value)
        else:
            reasons[(*spot_loc, index, id_key)] = problem
            del entry[id_key]
    return entries


def reference_check(spot: Spot, answers: Answers) -> Check:
    """Refuse a name that none of the entries the field refers to has (a criterion's metric)."""

    def check(value: Any) -> str | None:
        if value in (None, "") or str(value) in referenced(spot, answers):
            return None
        owner = answers.entry.get("id") or answers.entry.get("name") or "this entry"
        return f"{owner} named the {spot.doc.label.lower()} {value}, which is not defined"

    return check


def refused(model: type[BaseModel], data: dict[str, Any]) -> list[Loc]:
    """Where loaded answers name an entry that does not exist (a criterion's metric)."""
    found: list[Loc] = []

    def visit(value: Any, inner: type[BaseModel], loc: Loc) -> None:
        if not isinstance(value, dict):
            return
        for spot in fields_of(inner, spec_path(loc)):
            item = value.get(spot.key)
            where = (*loc, spot.key)
            named = spot.doc.refers is not None and item not in (None, "")
            if named and str(item) not in referenced(spot, Answers(data, value)):
                found.append(where)
            if spot.model is not None and spot.form == "group":
                visit(item, spot.model, where)
            elif spot.model is not None and isinstance(item, list):
                for index, entry in enumerate(item):
                    visit(entry, spot.model, (*where, index))

    visit(data, model, ())
    return found
