"""Write spec data as YAML meant to be read in planning meetings.

Keys come in the order of ``spec-example.yaml`` (the order of the model's fields), each
top-level section is introduced by its comment from ``shape.py``, and every string is emitted by
PyYAML's own emitter, which quotes whatever its loader would otherwise read as something
else (``yes``, ``1.0``, ``- x``, ``{{ x }}``, ``a: b``, ``# x``). Multi-line text becomes a
literal block only when that is sure to read back the same; otherwise it is double-quoted.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Mapping
from types import UnionType
from typing import Any, Union, get_args, get_origin

import yaml
from pydantic import BaseModel

from generator.spec.model import ProjectSpec
from generator.spec.shape import FLOW_LISTS, SECTIONS

HEADER = """\
# Project spec: the single source of truth for the generated repository.
# Review it in planning meetings; check it with `new-ai-project spec validate FILE`.
"""

DRAFT_HEADER = """\
# Draft of an unfinished interview: answers saved as they were given.
# Run the same command again to resume; this file is removed when the spec is written.
"""


def _comments() -> dict[str, str]:
    """Each section's comment, keyed by its first top-level key in the file's order."""
    order = list(ProjectSpec.model_fields)
    return {
        min(section.keys, key=order.index): section.comment
        for section in SECTIONS
        if all(key in order for key in section.keys)
    }


SECTION_COMMENTS = _comments()
"""The comment written above each top-level key that opens a section (``name`` opens the
identity block)."""

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


def model_of(annotation: Any) -> type[BaseModel] | None:
    """Find the model inside ``X``, ``list[X]`` or ``X | None``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) in (list, Union, UnionType):
        for arg in get_args(annotation):
            found = model_of(arg)
            if found is not None:
                return found
    return None


def order_data(value: Any, model: type[BaseModel] | None = ProjectSpec, key: str = "") -> Any:
    """Return ``value`` with mapping keys in the model's field order, unknown keys last."""
    if isinstance(value, Mapping):
        fields = model.model_fields if model is not None else {}
        ordered = [k for k in fields if k in value] + [k for k in value if k not in fields]
        return {
            k: order_data(value[k], model_of(fields[k].annotation) if k in fields else None, k)
            for k in ordered
        }
    if isinstance(value, list):
        items = [order_data(item, model, key) for item in value]
        return _Flow(items) if key in FLOW_LISTS else items
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
    for line in body.splitlines():
        match = _TOP_KEY.match(line)
        if match and match.group(1) in SECTION_COMMENTS:
            key = match.group(1)
            if key != "schema_version":
                lines.append("")
            lines.extend(f"# {part}" for part in textwrap.wrap(SECTION_COMMENTS[key], 86))
        lines.append(line)
    return "\n".join(lines) + "\n"
