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
from generator.interview.prompts import Option, Question, QuestionKind
from generator.spec import Answers, Spot, bare, fields_of, item_type, spec_path

_KINDS: dict[Any, QuestionKind] = {bool: "confirm", int: "number", float: "number"}
ITEM_HINT = "one per answer; leave empty when done"
"""How a list of texts is answered: one item per answer."""


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


def instruction(spot: Spot, answers: Answers | None, *, item: bool = False) -> str:
    """The one hint shown with the question: how to answer, the field's hint, an example."""
    parts = [ITEM_HINT] if item else []
    hint = spot.hint(answers)
    if hint:
        parts.append(hint)
    if spot.doc.example is not None:
        parts.append(f"e.g. {spot.doc.example}")
    return "; ".join(parts)


def question_for(spot: Spot, answers: Answers, *, item: bool = False) -> Question:
    """The question for the field (for one item of it, with ``item``), with answers filled in."""
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
        wording(text, answers.entry),
        instruction(spot, answers, item=item),
        kind=kind,
        options=options,
        optional=item or not spot.required,
    )


def offer_question(spot: Spot) -> Question:
    """The yes/no question that opens an optional group or list of entries."""
    text = spot.doc.offer or f"Add {spot.doc.label.lower()}?"
    return Question(text, spot.doc.offer_hint, kind="confirm")


def more_question(spot: Spot) -> Question:
    """The yes/no question that offers another entry for a list of entries."""
    return Question(spot.doc.more or f"Add another to {spot.doc.label.lower()}?", kind="confirm")


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
