"""How people meet each spec field, described once on the field, and the walk that reads it.

Every field of the spec model carries a ``Doc`` as its pydantic ``json_schema_extra``, next
to its ``description``: the label reports print, the question the interview asks (with a
hint and an example), the value a generated repository assumes when it is left out, what the
interview suggests, when it is asked at all, and where reviews and documents show it. A
nested model or a list of models is described the same way (its label is its section's
title; it may carry an intro, the question that offers an optional group, how one entry is
named, the question that offers another entry). ``Doc`` is callable so that pydantic adds
the label (and an example) to the JSON Schema for editors.

Views never name fields: the interview, the spec writer, the review (Markdown and HTML),
``docs/spec.md`` of generated repositories and the property-based strategies walk the model
with ``fields_of`` / ``walk`` and read the ``Doc``. So an optional field added to a model,
with its ``Doc``, is asked, written, reviewed, documented and drawn without another change;
``tests/unit/test_spec_fields.py`` fails for a field that lacks what a view needs.
"""

from __future__ import annotations

import enum
import string
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from types import UnionType
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeGuard, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

if TYPE_CHECKING:
    from pydantic.config import JsonDict

Show = Literal["row", "text", "list", "header", "custom", "hidden"]
"""Where a field is shown in reviews and documents, inside its section or entry.

``row``: a labelled value in the section's table (a column of a table of entries). ``text``:
a labelled paragraph, for long text. ``list``: a labelled bullet list. ``header``: in the
page's header (name, title, kind), not in a section. ``custom``: a view shows it its own way
(the regimes, with the catalogue's titles and the controls they bring); a view without one
shows it as a row. ``hidden``: nowhere."""
Layout = Literal["table", "cards"]
"""How a list of entries is shown: one table row per entry, or one card per entry (long
text, such as acceptance criteria)."""
Form = Literal["group", "entries", "texts", "choices", "value"]
"""How a field is built: a nested model, a list of models, a list of plain values typed one
per answer, a list of fixed values chosen together, or one value."""


@dataclass(frozen=True)
class Answers:
    """What a computed suggestion or hint sees: every answer so far and the entry asked."""

    spec: Mapping[str, Any]
    """The whole spec as answered so far."""
    entry: Mapping[str, Any]
    """The mapping that holds the field: a section, a list entry, or the spec itself."""
    others: Sequence[Mapping[str, Any]] = ()
    """The other entries of the list that holds ``entry``."""


Computed = Callable[[Answers], Any]
"""A value worked out from other answers (a suggestion, a hint)."""


@dataclass(frozen=True)
class When:
    """A condition on another answer that decides whether a field is asked and applies.

    ``key`` names a field of the same entry (``type``), or with ``root`` a path from the top
    of the spec (``kind``). With ``values`` the condition holds when that answer is one of
    them (for a list answer: when it holds one of them); without, when it is given and not
    empty.

    With ``required`` the field is required where the condition holds and refused where it
    does not, although its type is optional: the ``genai`` section of an assistant or an
    agent, the approval of a write tool. The spec model enforces it (``check_required``),
    the interview asks the field instead of offering it, and the strategies always draw it.
    """

    key: str
    values: tuple[str, ...] = ()
    root: bool = False
    required: bool = False

    def describe(self) -> str:
        """Say the condition in words: ``kind is assistant or agent``."""
        if not self.values:
            return f"{self.key} is given"
        return f"{self.key} is {' or '.join(self.values)}"

    def holds(self, answers: Answers) -> bool:
        """Tell whether the condition holds for these answers."""
        value: Any = answers.spec if self.root else answers.entry
        for part in self.key.split(".") if self.root else (self.key,):
            value = value.get(part) if isinstance(value, Mapping) else None
        if not self.values:
            return value not in (None, "", [], {})
        if isinstance(value, list):
            return any(str(item) in self.values for item in value)
        return value is not None and str(value) in self.values


@dataclass(frozen=True)
class Ref:
    """The field names an entry of a list elsewhere in the spec (a metric id, a source).

    The interview offers the entries there (asking nothing while there are none) and
    refuses a name that is not among them.
    """

    section: str
    """The path of the list from the top of the spec: ``success_metrics``."""
    key: str
    """The field of its entries that is named: ``id``."""
    title: str = ""
    """A field of its entries shown beside the name when choosing: ``name``."""
    none: str = "not said"
    """How "none" reads among the choices, when the field is optional."""
    where: When | None = None
    """Only the entries for which this holds may be named (roles that may review or sign)."""

    def admits(self, entry: Mapping[str, Any]) -> bool:
        """Tell whether an entry of the list may be named (``where`` holds for it)."""
        return self.where is None or self.where.holds(Answers({}, entry))


@dataclass(frozen=True)
class Choice:
    """What one of a field's fixed values means, for choosing it."""

    value: str
    means: str
    """A few words shown beside the value."""
    details: str = ""
    """A longer explanation, shown while the value is highlighted."""


@dataclass(frozen=True)
class Group:
    """Top-level fields presented together as one section (the identity fields)."""

    key: str
    title: str
    intro: str
    """One line on why the interview asks it."""
    comment: str
    """Written above the group in a spec file."""
    fields: tuple[str, ...]
    """The top-level keys it holds, in asking order."""


@dataclass(frozen=True)
class Doc:
    """How people meet one field: its label, its question, its default, where it shows.

    Pass it as ``Field(description=..., json_schema_extra=Doc(...))``.
    """

    label: str
    """How reports, documents and the interview name it; a section's title."""
    ask: str = ""
    """The interview's question. It may name answers of the same entry, ``{role}``: the
    field is then asked after them. For a list of plain values, the question of one item."""
    hint: str | Computed = ""
    """One hint shown with the question (computed from other answers, or fixed)."""
    example: Any = None
    """A typical answer, shown with the question as "e.g. ..." and in the JSON Schema."""
    default: Any = None
    """What a generated repository assumes when the field is left out."""
    suggest: Any = None
    """What the interview offers before an answer is given: a value, or ``Computed``. Without
    one it offers the model's own default, if that is not empty."""
    when: When | None = None
    """Asked, and applicable, only when this holds."""
    refers: Ref | None = None
    choices: tuple[Choice, ...] = ()
    """What the field's fixed values mean (an enum's or a Literal's), for choosing them."""
    auto: str = ""
    """An id assigned instead of asked, the first free ``AUTO-n`` (``M`` gives ``M-1``)."""
    null: str = ""
    """What an explicit null means when it is an answer of its own (``unknown``)."""
    unique: str = ""
    """A list whose items must not repeat, or a field of entries that identifies them among
    the other entries: what one is called in the message about a repeated one."""
    confirm_empty: str = ""
    """For a list that may be empty: the question that confirms an empty answer."""
    show: Show | None = None
    """Where reviews and documents show it; by default a row (a bullet list for a list of
    texts, nothing for a field whose ``null``/``auto`` makes it bookkeeping)."""
    group: Group | None = None
    """For a top-level field: the section it is presented in, when not its own."""
    intro: str = ""
    """For a group or a list of entries: one line the interview opens it with."""
    offer: str = ""
    """For an optional group or list of entries: the yes/no question that opens it."""
    offer_hint: str = ""
    comment: str = ""
    """For a top-level field: the comment written above it in a spec file."""
    entry: str = ""
    """For a list of entries: how one is named, a format string over its fields."""
    more: str = ""
    """For a list of entries: the question that offers another one."""
    layout: Layout = "table"
    group_by: str = ""
    """For a list of entries shown as cards: the field whose values group them."""
    asked: bool = True
    """False for a field the interview never asks (``schema_version``)."""

    def __call__(self, schema: JsonDict) -> None:
        """Give the field's JSON Schema its label as title, and its example."""
        schema["title"] = self.label
        if self.example is None:
            return
        any_of = schema.get("anyOf")
        alternatives = any_of if isinstance(any_of, list) else []
        types = [schema, *(s for s in alternatives if isinstance(s, dict))]
        listed = any(s.get("type") == "array" for s in types)
        schema["examples"] = [[self.example] if listed else self.example]

    def name_entry(self, entry: Mapping[str, Any]) -> str:
        """Name one entry of this list, such as ``User role adjuster`` (``?`` for a gap)."""
        return string.Formatter().vformat(self.entry or self.label, (), _Shown(entry))

    def placeholders(self) -> tuple[str, ...]:
        """The answers the question names: ``{role}`` gives ``("role",)``."""
        return tuple(name for _, name, _, _ in string.Formatter().parse(self.ask) if name)


class _Shown(dict[str, Any]):
    """Entry fields for naming; a missing one shows as '?'."""

    def __init__(self, entry: Mapping[str, Any]) -> None:
        super().__init__({k: v for k, v in entry.items() if v is not None})

    def __missing__(self, key: str) -> str:
        return "?"


# --- reading types ---------------------------------------------------------------------


def bare(annotation: Any) -> Any:
    """Strip ``Annotated`` and ``| None``: ``list[Text] | None`` gives ``list[Text]``."""
    while True:
        args = get_args(annotation)
        if get_origin(annotation) is Annotated:
            annotation = args[0]
        elif get_origin(annotation) in (Union, UnionType) and len(args) == 2 and type(None) in args:
            annotation = args[0] if args[1] is type(None) else args[1]
        else:
            return annotation


def is_model(annotation: Any) -> TypeGuard[type[BaseModel]]:
    """Tell whether ``annotation`` is a pydantic model class."""
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def fixed_values(annotation: Any) -> tuple[str, ...]:
    """The fixed values a type allows (an enum's or a Literal's), or none."""
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return tuple(str(member.value) for member in annotation)
    if get_origin(annotation) is Literal:
        return tuple(str(arg) for arg in get_args(annotation))
    return ()


def item_type(annotation: Any) -> Any:
    """The type of one item of a list type (``Annotated`` and ``None`` stripped)."""
    return bare(get_args(bare(annotation))[0])


def form_of(info: FieldInfo) -> tuple[Form, type[BaseModel] | None]:
    """Say how a field is built, and the model of its entries or group if it has one."""
    annotation = bare(info.annotation)
    if get_origin(annotation) is list:
        item = item_type(annotation)
        if is_model(item):
            return "entries", item
        return ("choices" if fixed_values(item) else "texts"), None
    if is_model(annotation):
        return "group", annotation
    return "value", None


# --- the walk --------------------------------------------------------------------------


class MissingDoc(LookupError):
    """A field of the spec model carries no ``Doc``: every view needs one."""


@dataclass(frozen=True)
class Spot:
    """One field of a model with what every view needs to know about it."""

    key: str
    path: str
    """Its place from the top of the spec, ``*`` for a list index: ``users.*.role``."""
    info: FieldInfo
    doc: Doc
    form: Form
    model: type[BaseModel] | None
    """The model of its group or of its entries."""
    owner: type[BaseModel]
    """The model that holds it."""
    values: tuple[str, ...] = field(default=())
    """The fixed values it (or one of its items) may take."""

    @property
    def required(self) -> bool:
        """Whether the model requires the field."""
        return self.info.is_required()

    def required_in(self, answers: Answers) -> bool:
        """Whether the field must be given here: required by type, or by its condition."""
        when = self.doc.when
        return self.required or (when is not None and when.required and when.holds(answers))

    @property
    def show(self) -> Show:
        """Where reviews and documents show it (the ``Doc``'s choice, else by its form)."""
        if self.doc.show is not None:
            return self.doc.show
        return "list" if self.form == "texts" and not flow_list(self) else "row"

    @property
    def id_key(self) -> str | None:
        """For a list of entries: the field that identifies an entry among the others.

        A field of one value; a list of an entry whose items must not repeat (a rule's
        resources) identifies nothing.
        """
        if self.form != "entries" or self.model is None:
            return None
        return next(
            (s.key for s in fields_of(self.model) if s.doc.unique and s.form == "value"), None
        )

    @property
    def id_label(self) -> str:
        """What that identifying field is called in the message about a repeated one."""
        if self.model is None or self.id_key is None:
            return ""
        return doc_of(self.model.model_fields[self.id_key], self.id_key).unique

    def suggestion(self, answers: Answers) -> Any:
        """What the interview offers before an answer: the ``Doc``'s, else the model's default."""
        suggest = self.doc.suggest
        if callable(suggest):
            return suggest(answers)
        if suggest is not None:
            return list(suggest) if isinstance(suggest, tuple) else suggest
        if self.info.is_required():
            return None
        default = self.info.get_default(call_default_factory=True)
        if default in (None, [], {}):
            return None
        return [str(v) for v in default] if isinstance(default, list) else default

    def hint(self, answers: Answers | None) -> str:
        """The hint shown with the question (computed from the answers when it is computed)."""
        hint = self.doc.hint
        if callable(hint):
            return str(hint(answers)) if answers is not None else ""
        return hint


def doc_of(info: FieldInfo, key: str = "?") -> Doc:
    """The ``Doc`` of a model field.

    Raises:
        MissingDoc: the field carries none.
    """
    doc = info.json_schema_extra
    if not isinstance(doc, Doc):
        raise MissingDoc(f"the field {key} has no Doc: give it json_schema_extra=Doc(...)")
    return doc


@cache
def fields_of(model: type[BaseModel], prefix: str = "") -> tuple[Spot, ...]:
    """The fields of ``model`` in its order, ``prefix`` being its place in the spec.

    Raises:
        MissingDoc: a field carries no ``Doc``.
    """
    spots = []
    for key, info in model.model_fields.items():
        form, sub = form_of(info)
        annotation = bare(info.annotation)
        item = item_type(annotation) if get_origin(annotation) is list else annotation
        path = f"{prefix}.{key}" if prefix else key
        doc = _inherited_doc(model, key) or doc_of(info, path)
        spots.append(Spot(key, path, info, doc, form, sub, model, fixed_values(item)))
    return tuple(spots)


def _inherited_doc(model: type[BaseModel], key: str) -> Doc | None:
    """The ``Doc`` of ``key`` in ``model`` or in the nearest base that gives one.

    A subclass that re-declares a field with a wider model (``owners: OwnersPlus``) keeps
    the field's description without repeating it.
    """
    for base in model.__mro__:
        fields = getattr(base, "model_fields", None)
        if isinstance(fields, dict) and key in fields:
            doc = fields[key].json_schema_extra
            if isinstance(doc, Doc):
                return doc
    return None


def children(spot: Spot) -> tuple[Spot, ...]:
    """The fields of a group or of one entry of a list (none for other fields)."""
    if spot.model is None:
        return ()
    return fields_of(spot.model, spot.path + (".*" if spot.form == "entries" else ""))


def walk(model: type[BaseModel], prefix: str = "") -> Iterator[Spot]:
    """Every field of ``model`` and of its groups and entries, depth first, in model order."""
    for spot in fields_of(model, prefix):
        yield spot
        if spot.model is not None:
            yield from walk(spot.model, spot.path + (".*" if spot.form == "entries" else ""))


def find(path: str, model: type[BaseModel]) -> Spot | None:
    """The field at ``path`` (``users.0.role`` or ``users.*.role``), if the model has it."""
    spot: Spot | None = None
    current: type[BaseModel] | None = model
    prefix = ""
    for part in path.split("."):
        if part == "*" or part.isdigit():
            if spot is None or spot.form != "entries":
                return None
            prefix += ".*"
            continue
        if current is None or part not in current.model_fields:
            return None
        spot = next(s for s in fields_of(current, prefix) if s.key == part)
        prefix, current = spot.path, spot.model
    return spot


def asking_order(model: type[BaseModel], prefix: str = "") -> list[str]:
    """The fields of ``model`` in the order the interview asks them.

    The model's order, except that a field waits for the answers of the same entry that its
    question names or its condition reads: a metric's baseline, asked "in {unit}?", comes
    after its unit.
    """
    spots = {s.key: s for s in fields_of(model, prefix)}
    needs = {
        key: {
            name
            for name in (
                *spot.doc.placeholders(),
                *((spot.doc.when.key,) if spot.doc.when and not spot.doc.when.root else ()),
            )
            if name in spots and name != key
        }
        for key, spot in spots.items()
    }
    order: list[str] = []
    waiting = list(spots)
    while waiting:
        ready = next((k for k in waiting if needs[k] <= set(order)), waiting[0])
        order.append(ready)
        waiting.remove(ready)
    return order


def depended_on(model: type[BaseModel], prefix: str = "") -> frozenset[str]:
    """Fields of ``model`` whose answer decides whether a later field of it is asked.

    Such a field is checked without its entry's cross-field rules: those need the later
    field (a category input lists its values, asked once its type is known).
    """
    return frozenset(
        s.doc.when.key for s in fields_of(model, prefix) if s.doc.when and not s.doc.when.root
    )


def spec_path(loc: Sequence[str | int]) -> str:
    """The path of a location, list indexes as ``*``.

    ``("users", 0, "role")`` gives ``users.*.role``.
    """
    return ".".join("*" if isinstance(part, int) else part for part in loc)


def flow_list(spot: Spot) -> bool:
    """Whether a list is written on one line (``[eu-ai-act, gdpr]``): short values only.

    A list of fixed values, or of text of at most 100 characters; a list of free text is
    written one item per line.
    """
    if spot.form == "choices":
        return True
    if spot.form != "texts":
        return False
    limit = _max_length(get_args(bare(spot.info.annotation))[0])
    return limit is not None and limit <= 100


def _max_length(annotation: Any) -> int | None:
    """The ``max_length`` an ``Annotated`` string type declares, if it declares one."""
    if get_origin(annotation) is not Annotated:
        return None
    for meta in get_args(annotation)[1:]:
        for part in (meta, *getattr(meta, "metadata", ())):
            limit = getattr(part, "max_length", None)
            if isinstance(limit, int):
                return limit
    return None
