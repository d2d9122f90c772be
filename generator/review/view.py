"""What a review shows of the spec, section by section, found by walking the spec model.

No field is named here. Each section of the spec (``spec.sections``) becomes a list of
blocks that every format draws alike (Markdown and HTML): labelled paragraphs for long
text, a table of labelled values, bullet lists, a table of entries (one column per field)
or cards grouped by a field (acceptance criteria by layer), nested groups recursively.
Where each field goes comes from its ``Doc`` (``show``, ``layout``, ``group_by``, ``null``,
``default``, ``when``); a field a view shows its own way (``show="custom"``: the regimes,
with the catalogue's titles) is drawn by a function the caller passes. The data may be a
draft that fails validation, so every value is read defensively.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel

from generator.review._data import items, mapping, mappings
from generator.review._text import clean
from generator.spec import Answers, ProjectSpec, Spot, fields_of, sections

Block = dict[str, Any]
"""One thing drawn in a section: ``{"kind": "text" | "rows" | "list" | "table" | "cards" |
"group" | <custom>, ...}``."""
Custom = Callable[[Any], Block]
"""Draws a ``show="custom"`` field from its value."""

MISSING = "missing"
"""Shown for a required value a draft has not given yet."""


def spec_sections(
    data: Mapping[str, Any],
    *,
    custom: Mapping[str, Custom] | None = None,
    extra: Mapping[str, Callable[[], list[Block]]] | None = None,
    model: type[BaseModel] = ProjectSpec,
) -> list[dict[str, Any]]:
    """Every section of the spec with the blocks that show it.

    Args:
        data: spec data, possibly a draft that fails validation.
        custom: how a view draws a ``show="custom"`` field, by its path (``regulatory.regimes``).
        extra: blocks a view adds at the end of a section, by the section's key (the
            controls the regulatory scope brings).
        model: the spec model to walk.
    """
    custom, extra = custom or {}, extra or {}
    shown = []
    for section in sections(model):
        spots = [s for s in fields_of(model) if s.key in section.keys]
        if all(s.show == "hidden" for s in spots) or _not_for(section.spot, data):
            continue
        blocks = _blocks(spots, data, data, custom)
        if len(blocks) == 1 and blocks[0]["kind"] == "group" and not section.grouped:
            blocks = blocks[0]["blocks"]  # a section that is one group shows its fields
        blocks += extra.get(section.key, list)()
        shown.append(
            {
                "key": section.key,
                "title": section.title,
                "blocks": blocks,
                "empty": "Not stated (optional)." if section.optional else "Nothing stated yet.",
            }
        )
    return shown


def _not_for(spot: Spot | None, data: Mapping[str, Any]) -> bool:
    """A section this kind of system does not have (``genai`` of a service), left empty."""
    if spot is None or spot.doc.when is None or not spot.doc.when.root:
        return False
    return data.get(spot.key) in (None, [], {}) and not spot.doc.when.holds(Answers(data, data))


def _blocks(
    spots: list[Spot],
    box: Mapping[str, Any],
    spec: Mapping[str, Any],
    custom: Mapping[str, Custom],
) -> list[Block]:
    """The blocks of the fields ``spots`` held in ``box``, consecutive rows merged."""
    blocks: list[Block] = []
    for spot in spots:
        if spot.show in ("header", "hidden"):
            continue
        value = box.get(spot.key)
        applies = spot.doc.when is None or spot.doc.when.holds(Answers(spec, box))
        if value in (None, [], {}, "") and not (applies and _fills(spot)):
            continue
        block = _block(spot, value, spec, custom)
        if block is None:
            continue
        if block["kind"] == "rows" and blocks and blocks[-1]["kind"] == "rows":
            blocks[-1]["rows"].extend(block["rows"])
        else:
            blocks.append(block)
    return blocks


def _fills(spot: Spot) -> bool:
    """Whether an absent value still shows: required (as missing), or with its default."""
    scalar = spot.form in ("value", "choices") and spot.model is None
    return scalar and (spot.required or spot.doc.default is not None or bool(spot.doc.null))


def _block(
    spot: Spot, value: Any, spec: Mapping[str, Any], custom: Mapping[str, Custom]
) -> Block | None:
    """The block of one field."""
    label = spot.doc.label
    if spot.show == "custom" and spot.path in custom:
        return custom[spot.path](value)
    if spot.form == "group" and spot.model is not None:
        inner = _blocks(list(fields_of(spot.model, spot.path)), mapping(value), spec, custom)
        # a table inside a group (the models, tools, evals of genai) gets its own heading
        inner = [
            {"kind": "group", "title": b["title"], "blocks": [b]} if b["kind"] == "table" else b
            for b in inner
        ]
        return {"kind": "group", "title": label, "blocks": inner} if inner else None
    if spot.form == "entries" and spot.model is not None:
        return _entries(spot, mappings(value))
    if spot.form == "texts" and spot.show == "list":
        shown = [clean(v) for v in items(value)]
        return {"kind": "list", "label": label, "items": shown} if shown else None
    if spot.show == "text":
        return {"kind": "text", "label": label, "text": clean(value)}
    return {"kind": "rows", "rows": [(label, display(spot, value))]}


def effective(spot: Spot, value: Any) -> Any:
    """The value a spec means: a field left out means the model's own default, if any."""
    if value is None and not spot.required and spot.info.default_factory is None:
        return spot.info.default
    if value is None and spot.info.default_factory is not None:
        return spot.info.get_default(call_default_factory=True)
    return value


def display(spot: Spot, value: Any) -> str:
    """One value as text: a null's meaning, a default assumed, a nested group's labels."""
    value = effective(spot, value)
    if value is None or value == "" or value == []:
        if spot.doc.null:
            return spot.doc.null
        if spot.doc.default is not None:
            return f"not set ({clean(spot.doc.default)} assumed)"
        return MISSING if spot.required else ""
    if spot.model is not None and isinstance(value, dict):
        inner = fields_of(spot.model, spot.path)
        return "; ".join(
            f"{s.doc.label}: {display(s, value.get(s.key))}"
            for s in inner
            if value.get(s.key) not in (None, [], "")
        )
    if spot.model is not None and isinstance(value, list):  # entries in a cell: one (...) each
        return ", ".join(f"({display(spot, v)})" for v in value)
    return clean(value)


def _cell(spot: Spot, value: Any) -> str | list[str]:
    """One value in a table of entries: a list of texts stays a list (bullets in HTML)."""
    value = effective(spot, value)
    if spot.show == "list" and isinstance(value, list):
        return [clean(v) for v in value]
    if value in (None, "", []) and not spot.doc.null:
        return ""
    return display(spot, value)


def _entries(spot: Spot, entries: list[dict[str, Any]]) -> Block | None:
    """A table of entries, or cards grouped by a field, for a list of entries."""
    if not entries or spot.model is None:
        return None
    inner = [
        s
        for s in fields_of(spot.model, spot.path + ".*")
        if s.show not in ("header", "hidden") and s.key != spot.doc.group_by
    ]
    # a column no entry fills (bounds when no input is a number) is left out
    inner = [s for s in inner if any(_cell(s, e.get(s.key)) not in ("", []) for e in entries)]
    if spot.doc.layout == "cards":
        return _cards(spot, inner, entries)
    return {
        "kind": "table",
        "title": spot.doc.label,
        "columns": [s.doc.label for s in inner],
        "rows": [[_cell(s, e.get(s.key)) for s in inner] for e in entries],
    }


def _cards(spot: Spot, inner: list[Spot], entries: list[dict[str, Any]]) -> Block:
    """One card per entry (its id, then its fields), grouped by ``Doc.group_by``."""
    id_key = spot.id_key
    by = spot.doc.group_by
    order: list[str] = []
    if by and spot.model is not None:
        grouping = next(s for s in fields_of(spot.model, spot.path + ".*") if s.key == by)
        order = list(grouping.values)
    present = [clean(e.get(by)) if by else "" for e in entries]
    headings = [v for v in order if v in present] + sorted(set(present) - set(order))
    groups = []
    for heading in headings:
        cards = [
            {
                "id": clean(e.get(id_key)) if id_key else "",
                "rows": [
                    (s.doc.label, display(s, e.get(s.key)))
                    for s in inner
                    if s.key != id_key and e.get(s.key) not in (None, "", [])
                ],
            }
            for e, group in zip(entries, present, strict=True)
            if group == heading
        ]
        groups.append((heading or (f"no {by}" if by else ""), cards))
    return {"kind": "cards", "title": spot.doc.label, "groups": groups}
