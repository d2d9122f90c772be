"""Write spec data as YAML meant to be read in planning meetings.

Keys come in the order of ``spec-example.yaml`` (the order of the model's fields), each
top-level section is introduced by its comment (its field's ``Doc``), lists of short values
are written on one line, and every string is emitted by
PyYAML's own emitter, which quotes whatever its loader would otherwise read as something
else (``yes``, ``1.0``, ``- x``, ``{{ x }}``, ``a: b``, ``# x``). Multi-line text becomes a
literal block only when that is sure to read back the same; otherwise it is double-quoted.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Mapping
from functools import cache
from typing import Any

import yaml
from pydantic import BaseModel

from generator.spec.fields import fields_of, flow_list
from generator.spec.project import ProjectSpec
from generator.spec.shape import sections

HEADER = """\
# Project spec: the single source of truth for the generated repository.
# Review it in planning meetings; check it with `new-ai-project spec validate FILE`.
"""

DRAFT_HEADER = """\
# Draft of an unfinished interview: answers saved as they were given.
# Run the same command again to resume; this file is removed when the spec is written.
"""


@cache
def section_comments(model: type[BaseModel] = ProjectSpec) -> dict[str, str]:
    """The comment written above each top-level key that opens a section, by that key.

    A group of top-level fields (the identity block) is opened by its first key in the
    file's order (``name``).
    """
    order = list(model.model_fields)
    return {
        min(section.keys, key=order.index): section.comment
        for section in sections(model)
        if section.comment and all(key in order for key in section.keys)
    }


SECTION_COMMENTS = section_comments()

_LITERAL_SAFE = re.compile(r"[^\n\r\t\x85\u2028\u2029\ufeff]*")
_TOP_KEY = re.compile(r"^([a-z_]+):")


class _Flow(list[Any]):
    """A list written in flow style."""


class _Dumper(yaml.SafeDumper):
    """A safe dumper that indents lists under their key, as the example spec does."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:  # noqa: ARG002 - PyYAML API; lists are never indentless here
        super().increase_indent(flow, False)


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = None
    if "\n" in value and all(
        _LITERAL_SAFE.fullmatch(line) and line == line.rstrip(" ") for line in value.split("\n")
    ):
        style = "|"
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _represent_flow(dumper: yaml.SafeDumper, value: _Flow) -> yaml.Node:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=True)


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(_Flow, _represent_flow)


def order_data(value: Any, model: type[BaseModel] | None = ProjectSpec, flow: bool = False) -> Any:
    """Return ``value`` with mapping keys in the model's field order, unknown keys last.

    Lists of short values (``flow``, read from the field) are marked to go on one line.
    """
    if isinstance(value, Mapping):
        spots = {s.key: s for s in fields_of(model)} if model is not None else {}
        ordered = [k for k in spots if k in value] + [k for k in value if k not in spots]
        return {
            k: order_data(value[k], spots[k].model, flow_list(spots[k]))
            if k in spots
            else order_data(value[k], None)
            for k in ordered
        }
    if isinstance(value, list):
        items = [order_data(item, model) for item in value]
        return _Flow(items) if flow else items
    return value


def dump_spec(
    data: Mapping[str, Any], *, draft: bool = False, model: type[BaseModel] = ProjectSpec
) -> str:
    """Return spec data (complete or partial) as commented YAML text.

    ``model`` gives the key order (a spec model with more fields than ``ProjectSpec`` keeps
    its own order).
    """
    body = yaml.dump(
        order_data(data, model),
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=float("inf"),
        indent=2,
    )
    lines: list[str] = [DRAFT_HEADER if draft else HEADER]
    comments = section_comments(model)
    first = next(iter(model.model_fields), None)
    for line in body.splitlines():
        match = _TOP_KEY.match(line)
        if match and match.group(1) in comments:
            key = match.group(1)
            if key != first:
                lines.append("")
            lines.extend(f"# {part}" for part in textwrap.wrap(comments[key], 86))
        lines.append(line)
    return "\n".join(lines) + "\n"
