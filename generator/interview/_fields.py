"""How a spec field is asked, read from its type and its ``Doc``: form, question, options.

A nested model is a group of questions (offered first when it is optional), a list of
models a list of entries, a list of texts one text per answer, a list of an enum's values
one checkbox, anything else one question (a number, a yes/no, a choice among an enum's
values, text). The wording, hint, example, suggestion and condition come from the field's
``Doc``; the one thing a field cannot say about itself is the regulatory catalogue's
description of each regime, which ``CATALOGUE_CHOICES`` adds.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from typing import Any, get_origin

from pydantic import BaseModel

from generator.catalog import load_catalog
from generator.interview._draft import Loc
from generator.interview.prompts import WHEN_DONE, Option, Question, QuestionKind
from generator.spec import Answers, Spot, bare, fields_of, item_type, spec_path

_KINDS: dict[Any, QuestionKind] = {bool: "confirm", int: "number", float: "number"}


def question_key(loc: Loc) -> str:
    """The key of a location in requests: ``("users", 0, "role")`` gives ``users.*.role``."""
    return spec_path(loc)


def spot_at(model: type[BaseModel], loc: Loc) -> Spot:
    """The field at ``loc`` of ``model`` (the model holding it), with its place in the spec.

    Raises:
        StopIteration: ``model`` has no field ``loc[-1]``.
    """
    key = str(loc[-1])
    return next(s for s in fields_of(model, spec_path(loc[:-1])) if s.key == key)


def spot_from_top(model: type[BaseModel], loc: Loc) -> Spot:
    """The field at ``loc`` from the top of the spec (``("users", 0, "role")``).

    Raises:
        KeyError: no such field.
        StopIteration: a model on the way has no such field.
    """
    current: type[BaseModel] = model
    for depth, part in enumerate(loc):
        if isinstance(part, int):
            continue
        spot = spot_at(current, loc[: depth + 1])
        if depth == len(loc) - 1:
            return spot
        if spot.model is None:
            raise KeyError(loc)
        current = spot.model
    raise KeyError(loc)


def first_free(prefix: str, key: str, others: list[dict[str, Any]]) -> str:
    """The first id ``PREFIX-n`` no other entry has (``M-1``, then ``M-2``...)."""
    taken = {other.get(key) for other in others}
    return next(f"{prefix}-{n}" for n in range(1, len(taken) + 2) if f"{prefix}-{n}" not in taken)


def _regime_options(_answers: Answers) -> list[Option]:
    return [
        Option(
            rid,
            f"{r.short:<16} {r.jurisdiction}, {'binding' if r.binding else 'voluntary'}",
            f"{r.title}. {r.summary}",
        )
        for rid, r in load_catalog().regimes.items()
    ]


CATALOGUE_CHOICES: dict[str, Callable[[Answers], list[Option]]] = {
    "regulatory.regimes": _regime_options,
}
"""Fields whose values the regulatory catalogue describes, not the model."""


def referenced(spot: Spot, answers: Answers) -> dict[str, str]:
    """The names the field may refer to (``M-1``) with their titles, from the answers.

    Only entries the reference admits are named (an approval's role: those that may review
    or sign).
    """
    ref = spot.doc.refers
    if ref is None:
        return {}
    entries: Any = answers.spec
    for part in ref.section.split("."):
        entries = entries.get(part) if isinstance(entries, Mapping) else None
    found: dict[str, str] = {}
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, Mapping) and entry.get(ref.key) is not None and ref.admits(entry):
            found[str(entry[ref.key])] = str(entry.get(ref.title, "")) if ref.title else ""
    return found


def options_for(spot: Spot, answers: Answers) -> tuple[Option, ...]:
    """The choices of a select or checkbox question, each with what it means."""
    special = CATALOGUE_CHOICES.get(spot.path)
    if special is not None:
        return tuple(special(answers))
    if spot.doc.refers is not None:
        names = referenced(spot, answers)
        width = max((len(n) for n in [*names, "none"]), default=4) + 2
        none = () if spot.required else (Option("", f"{'none':<{width}}{spot.doc.refers.none}"),)
        return (*none, *(Option(n, f"{n:<{width}}{title}".rstrip()) for n, title in names.items()))
    if spot.doc.choices:
        width = max(len(c.value) for c in spot.doc.choices) + 2
        return tuple(
            Option(c.value, f"{c.value:<{width}}{c.means}", c.details) for c in spot.doc.choices
        )
    return tuple(Option(value, value) for value in spot.values)


def instruction(spot: Spot, answers: Answers | None) -> str:
    """What the answer is, from the field's ``Doc``: its hint, then an example.

    How the answer is given (Enter for a suggestion, leaving it empty) is added to this by
    ``prompts.hint``, the one place that composes the hint a question shows.
    """
    parts = []
    hint = spot.hint(answers)
    if hint:
        parts.append(hint)
    if spot.doc.example is not None:
        parts.append(f"e.g. {spot.doc.example}")
    return "; ".join(parts)


def empty_means(spot: Spot, *, item: bool = False) -> str:
    """What leaving the answer empty means: the list is done, unknown, the default, or none."""
    if item:
        return WHEN_DONE
    if spot.doc.null:
        return f"if {spot.doc.null}"
    if spot.doc.default is not None:
        return f"for the default, {_shown(spot.doc.default)}"
    return "for none"


def _shown(value: Any) -> str:
    """A default as people write it: ``0.7``, ``365``, ``yes``."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def counter(spec: Mapping[str, Any], loc: Loc, *, items: int | None = None) -> str:
    """Where a question stands in the lists that hold it: ``(2 of 3)``, ``(2 of 3, item 4)``.

    Each list index in ``loc`` counts among that list's entries (shown once a list holds
    more than one); ``items`` counts the items of a list of texts given so far.
    """
    parts: list[str] = []
    box: Any = spec
    for part in loc:
        if isinstance(part, int) and isinstance(box, list):
            if len(box) > 1:
                parts.append(f"{part + 1} of {len(box)}")
            box = box[part] if 0 <= part < len(box) else None
        else:
            box = box.get(part) if isinstance(box, Mapping) else None
    if items:
        parts.append(f"item {items + 1}")
    return f"({', '.join(parts)}) " if parts else ""


def question_for(spot: Spot, answers: Answers, *, item: bool = False, place: str = "") -> Question:
    """The question for the field (for one item of it, with ``item``), with answers filled in.

    ``place`` (a ``counter``) goes before the question's wording.
    """
    annotation = item_type(spot.info.annotation) if item else bare(spot.info.annotation)
    listed = get_origin(annotation) is list
    options = options_for(spot, answers)
    if listed:
        kind: QuestionKind = "checkbox"
    elif options or spot.values:
        kind = "select"
    else:
        kind = _KINDS.get(annotation, "text")
    text = spot.doc.ask or f"{spot.doc.label}?"
    return Question(
        place + wording(text, answers.entry),
        instruction(spot, answers),
        kind=kind,
        options=options,
        optional=item or not spot.required,
        empty=empty_means(spot, item=item),
    )


def offer_question(spot: Spot) -> Question:
    """The yes/no question that opens an optional group or list of entries."""
    text = spot.doc.offer or f"Add {spot.doc.label.lower()}?"
    return Question(text, spot.doc.offer_hint, kind="confirm")


def more_question(spot: Spot, count: int = 0) -> Question:
    """The yes/no question that offers another entry for a list of ``count`` entries."""
    text = spot.doc.more or f"Add another to {spot.doc.label.lower()}?"
    return Question(text, f"{count} so far" if count else "", kind="confirm")


def confirm_empty_question(spot: Spot) -> Question:
    """The question that confirms an empty answer to a list that may be empty."""
    return Question(
        spot.doc.confirm_empty,
        f"the spec will record {spot.key}: [] as an explicit answer",
        kind="confirm",
    )


def wording(template: str, entry: Mapping[str, Any]) -> str:
    """Fill a question's ``{names}`` with the entry's answers (``?`` for one not given yet)."""
    return template.format_map(defaultdict(lambda: "?", entry))
