"""The spec's sections, in order, read from the model's own field descriptions.

A section is a top-level field of the spec (its ``Doc`` gives the title, the line the
interview opens it with, the comment above it in a spec file, how one of its entries is
named), or a ``Group`` of top-level fields presented together (the identity fields). The
interview, the writer, the review, the diff and the verdict read this table; nothing here
is written by hand, so a section added to the model is a section everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from pydantic import BaseModel

from generator.spec.fields import Doc, Spot, fields_of, find, walk
from generator.spec.project import ProjectSpec


@dataclass(frozen=True)
class Section:
    """One part of the spec as people meet it (in the interview, the file and reports)."""

    key: str
    """The top-level key; a group of top-level fields has its own (``about``)."""
    title: str
    intro: str
    """One line on why the interview asks it."""
    comment: str
    """Written above the section in a spec file."""
    fields: tuple[str, ...]
    """The top-level keys it holds, in asking order."""
    spot: Spot | None = None
    """The top-level field it is, unless it is a group."""

    @property
    def keys(self) -> tuple[str, ...]:
        """The top-level keys of the spec this section holds."""
        return self.fields

    @property
    def grouped(self) -> bool:
        """True for a group of top-level fields (asked field by field, never offered)."""
        return self.spot is None

    @property
    def doc(self) -> Doc | None:
        """The top-level field's description (none for a group)."""
        return self.spot.doc if self.spot else None

    @property
    def optional(self) -> bool:
        """Whether the spec may leave the section out."""
        return self.spot is not None and not self.spot.required

    @property
    def asked(self) -> bool:
        """Whether the interview asks the section at all (not the format version)."""
        return self.spot is None or self.spot.doc.asked

    @property
    def id_key(self) -> str | None:
        """For a list of entries: the field that must be unique among them."""
        return self.spot.id_key if self.spot else None

    @property
    def id_label(self) -> str:
        """What that field is called in the message about a repeated one."""
        return self.spot.id_label if self.spot else ""

    def name_entry(self, entry: Mapping[str, Any]) -> str:
        """Name one entry of a list section, such as ``User role adjuster``."""
        return self.spot.doc.name_entry(entry) if self.spot else self.title


@cache
def sections(model: type[BaseModel] = ProjectSpec) -> tuple[Section, ...]:
    """The sections of ``model`` in its field order (a group where its first field is)."""
    found: list[Section] = []
    for spot in fields_of(model):
        group = spot.doc.group
        if group is None:
            doc = spot.doc
            found.append(Section(spot.key, doc.label, doc.intro, doc.comment, (spot.key,), spot))
        elif all(s.key != group.key for s in found):
            found.append(Section(group.key, group.title, group.intro, group.comment, group.fields))
    return tuple(found)


SECTIONS: tuple[Section, ...] = sections()
"""The sections in the order of ``spec-example.yaml``: the interview asks them in this
order and spec files present them in it."""


def section(key: str, model: type[BaseModel] = ProjectSpec) -> Section:
    """Return the section holding the top-level key ``key`` (or named ``key``).

    Raises:
        KeyError: no section holds it.
    """
    for candidate in sections(model):
        if key == candidate.key or key in candidate.keys:
            return candidate
    raise KeyError(key)


def listed_sections(model: type[BaseModel] = ProjectSpec) -> tuple[Section, ...]:
    """The sections that are lists of entries with an identifying field."""
    return tuple(s for s in sections(model) if s.id_key is not None)


def label(path: str, fallback: str | None = None, model: type[BaseModel] = ProjectSpec) -> str:
    """Return how reports name the field at ``path`` (``monitoring.drift_threshold``)."""
    spot = find(path, model)
    if spot is not None:
        return spot.doc.label
    return fallback or path.rsplit(".", 1)[-1].replace("_", " ").capitalize()


@cache
def defaults(model: type[BaseModel] = ProjectSpec) -> dict[str, Any]:
    """What a generated repository assumes for each field the spec may leave out, by path."""
    return {s.path: s.doc.default for s in walk(model) if s.doc.default is not None}


DEFAULTS = defaults()
"""What a generated repository assumes when the spec leaves a value out, by field path."""
