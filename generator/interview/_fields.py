"""How a model field is asked, read from its type: its form, its question, its place.

A nested model is a group of questions, a list of models a list of entries, a list of
texts one text per answer, a list of an enum's values one checkbox, anything else one
question (a number, a choice among an enum's values, text). The question comes from
``prompts.QUESTIONS`` when it is there, else it is made from the field's description, so a
new optional field needs nothing but the model. Fields are asked in the model's order,
except that those the question table lists take the table's order among themselves.
"""

from __future__ import annotations

import enum
from dataclasses import replace
from types import UnionType
from typing import Annotated, Any, Literal, TypeGuard, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from generator.interview._draft import Loc
from generator.interview.prompts import QUESTIONS, SECTIONS, Option, Question, QuestionKind
from generator.spec import shape
from generator.spec.shape import Section

Form = Literal["group", "entries", "texts", "choices", "value"]

_PLACE = {key.removesuffix(".*"): place for place, key in enumerate(QUESTIONS)}
_LISTS = {section.key: section for section in shape.listed_sections()}
_KINDS: dict[Any, QuestionKind] = {bool: "confirm", int: "number", float: "number"}


def bare(annotation: Any) -> Any:
    """Strip ``Annotated`` and ``| None``: ``list[Text] | None`` → ``list[Text]``."""
    while True:
        args = get_args(annotation)
        if get_origin(annotation) is Annotated:
            annotation = args[0]
        elif get_origin(annotation) in (Union, UnionType) and len(args) == 2 and type(None) in args:
            annotation = args[0] if args[1] is type(None) else args[1]
        else:
            return annotation


def _is_model(annotation: Any) -> TypeGuard[type[BaseModel]]:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _values(annotation: Any) -> tuple[str, ...]:
    """The fixed values a type allows (an enum's or a Literal's), or none."""
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return tuple(str(member.value) for member in annotation)
    if get_origin(annotation) is Literal:
        return tuple(str(arg) for arg in get_args(annotation))
    return ()


def _item(annotation: Any) -> Any:
    """The type of one item of a list type."""
    return bare(get_args(annotation)[0])


def form_of(info: FieldInfo) -> tuple[Form, type[BaseModel] | None]:
    """Say how a field is asked, and the model of its entries or group if it has one."""
    annotation = bare(info.annotation)
    if get_origin(annotation) is list:
        item = _item(annotation)
        if _is_model(item):
            return "entries", item
        return ("choices" if _values(item) else "texts"), None
    if _is_model(annotation):
        return "group", annotation
    return "value", None


def question_key(loc: Loc) -> str:
    """The key of a location in the question tables: ``("users", 0, "role")`` → ``users.*.role``."""
    return ".".join("*" if isinstance(part, int) else part for part in loc)


def list_section(loc: Loc) -> Section | None:
    """The section of the spec's list of entries at ``loc`` (``("users",)``), if it is one."""
    return _LISTS.get(str(loc[0])) if len(loc) == 1 else None


def asking_order(model: type[BaseModel], loc: Loc) -> list[str]:
    """The fields of the ``model`` at ``loc`` in the order they are asked.

    The model's order, except that the fields the question table lists take the table's
    order among themselves (a metric asks its unit before its baseline).
    """
    if not loc:
        return [key for s in SECTIONS.values() for key in s.keys if key in model.model_fields]
    prefix = question_key(loc)
    listed = iter(
        sorted(
            (f for f in model.model_fields if f"{prefix}.{f}" in _PLACE),
            key=lambda f: _PLACE[f"{prefix}.{f}"],
        )
    )
    return [next(listed) if f"{prefix}.{f}" in _PLACE else f for f in model.model_fields]


def question_for(model: type[BaseModel], loc: Loc, *, item: bool = False) -> Question:
    """The question for the field at ``loc`` (for one item of it, with ``item``)."""
    info = model.model_fields[str(loc[-1])]
    annotation = _item(bare(info.annotation)) if item else bare(info.annotation)
    listed = get_origin(annotation) is list
    values = _values(_item(annotation) if listed else annotation)
    options = tuple(Option(value, value) for value in values)
    known = QUESTIONS.get(question_key(loc) + (".*" if item else ""))
    if known is not None:
        return replace(known, options=known.options or options)
    text = info.description or shape.label(question_key(loc))
    kind = "checkbox" if listed else "select" if values else _KINDS.get(annotation, "text")
    return Question(
        f"{text[:1].upper()}{text[1:]}?",
        "one per answer; leave empty when done" if item else "",
        kind=kind,
        options=options,
        optional=item or not info.is_required(),
    )


def more_question(loc: Loc) -> Question:
    """The yes/no question that offers another entry for the list at ``loc``."""
    key = question_key(loc)
    return QUESTIONS.get(f"{key}.more") or Question(f"Add another to {key}?", kind="confirm")
