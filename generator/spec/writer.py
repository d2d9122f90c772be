"""Write spec data as YAML meant to be read in planning meetings.

Keys come in the order of ``spec-example.yaml`` (the order of the model's fields), each
top-level section is introduced by a short comment, and every string is emitted by
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

HEADER = """\
# Project spec: the single source of truth for the generated repository.
# Review it in planning meetings; check it with `new-ai-project spec validate FILE`.
"""

DRAFT_HEADER = """\
# Draft of an unfinished interview: answers saved as they were given.
# Run the same command again to resume; this file is removed when the spec is written.
"""

SECTION_COMMENTS: dict[str, str] = {
    "schema_version": "Spec format version; tools refuse versions they do not know.",
    "name": "Identity: the slug names the repository and its Python package; kind is "
    "service (an HTTP API) or pipeline (a batch job).",
    "business_goal": "Why the project exists, in the words of the people who have the problem.",
    "owners": "Who is accountable: for the outcome, for the code, and who is paged.",
    "users": "Who uses it and what they need; each role becomes an auth role.",
    "success_metrics": "The numbers that say whether it works; acceptance criteria refer to "
    "their ids.",
    "regulatory": "Regulatory scope: regimes decide which controls and documents the "
    "repository carries.",
    "acceptance_criteria": "Conditions of done; each becomes a test traced by its id.",
    "operating_boundary": "Where a human decides instead of the system.",
    "data_dependencies": "Upstream data and integrations, with their owners and contracts.",
    "monitoring": "Service levels and drift alerts.",
    "budget": "The monthly cost ceiling for compute and model usage.",
}
"""The comment written above each top-level key (``name`` opens the identity block)."""

_FLOW_LISTS = {"regimes", "data_classes", "drift_features"}
"""Lists of short ids, written on one line as in the example: ``[eu-ai-act, gdpr]``."""

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
        return _Flow(items) if key in _FLOW_LISTS else items
    return value


def dump_spec(data: Mapping[str, Any], *, draft: bool = False) -> str:
    """Return spec data (complete or partial) as commented YAML text."""
    body = yaml.dump(
        order_data(data),
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
