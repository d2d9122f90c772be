"""What changed between two versions of a spec, for "what changed since the last meeting".

Each side is a file or a git reference ``REV:PATH`` (read with ``git show``, run without a
shell). Both sides are compared as written: a version that fails validation is still
compared, and the report notes it; only text that is not a YAML mapping is an error.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from generator._io import read_file, run_git_bytes
from generator.errors import GitError, SpecError
from generator.review._data import mapping, strings
from generator.review._text import md, one_line
from generator.review.contract import ContractChange, classify
from generator.review.readiness import ControlRow, controls_for
from generator.spec import GenAI, fields_of, listed_sections, read_spec_data, validate_spec_data

DiffFormat = Literal["text", "md", "json"]

_KEYED_SECTIONS: tuple[tuple[str, str, str], ...] = tuple(
    (s.key, str(s.id_key), s.title) for s in listed_sections()
)
"""The list sections whose entries are matched by their id (from the spec's shape)."""
_GENAI_LISTS: tuple[tuple[str, str, str], ...] = tuple(
    (spot.key, spot.id_key, spot.doc.label)
    for spot in fields_of(GenAI, "genai")
    if spot.id_key is not None
)
"""The lists of the genai section (models, prompts, tools, evals), matched by their id."""
_WIDER = ("none", "resource", "namespace", "cluster", "external")
"""Blast radii from the narrowest to the widest."""
_GIT_TIMEOUT_S = 30


@dataclass(frozen=True)
class FieldChange:
    """One field whose value differs; ``None`` stands for an absent field."""

    field: str
    old: Any
    new: Any


@dataclass(frozen=True)
class ItemChanges:
    """Items of a list section (criteria, metrics, ...) matched by their id."""

    added: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    removed: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    changed: list[tuple[str, list[FieldChange]]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed)


@dataclass(frozen=True)
class Callout:
    """A change of the genai section that needs review before it ships."""

    path: str
    what: str


@dataclass(frozen=True)
class SpecDiff:
    """Everything that differs between two versions of a spec."""

    old: str
    new: str
    sections: dict[str, ItemChanges]
    regimes_added: list[str]
    regimes_removed: list[str]
    controls_added: list[ControlRow]
    controls_dropped: list[ControlRow]
    regulatory: list[FieldChange]
    owners: list[FieldChange]
    other: list[FieldChange]
    invalid: dict[str, int]
    contract: list[ContractChange] = field(default_factory=list)
    """How the data contract changed for callers, breaking changes first."""
    genai: dict[str, ItemChanges] = field(default_factory=dict)
    """The lists of the genai section (models, prompts, tools, evals) by their ids."""
    genai_fields: list[FieldChange] = field(default_factory=list)
    """The other fields of the genai section (judge, limits, guardrails, ...)."""
    needs_review: list[Callout] = field(default_factory=list)
    """GenAI changes a person must look at: lost approvals, new writes, a new primary model."""

    @property
    def breaking(self) -> bool:
        """Return True when the data contract changed in a way callers must follow."""
        return any(c.impact == "breaking" for c in self.contract)

    @property
    def identical(self) -> bool:
        """Return True when nothing differs."""
        return not (
            any(self.sections.values()) or self.regimes_added or self.regimes_removed
            or self.regulatory or self.owners or self.other
            or any(self.genai.values()) or self.genai_fields
        )  # fmt: skip


# --- reading a side --------------------------------------------------------------------


def read_version(ref: str) -> bytes:
    """Read one version: a file, or ``REV:PATH`` from git in the current directory.

    Raises:
        SpecError: neither a readable file nor a git object that exists.
    """
    path = Path(ref)
    if path.is_file():
        return read_file(path)
    if ":" not in ref or path.exists():
        raise SpecError(
            [f"{ref}: no such file (for a git version write REV:PATH, e.g. HEAD~1:{ref})"]
        )
    rev, _, _ = ref.partition(":")
    if rev.startswith("-"):
        raise SpecError([f"{ref}: a git revision cannot start with '-'"])
    try:
        return run_git_bytes(None, "show", "--no-textconv", ref, timeout=_GIT_TIMEOUT_S)
    except GitError as err:
        raise SpecError([f"{ref}: cannot read this git version: {err}"]) from err


def _load(ref: str) -> tuple[dict[str, Any], int]:
    """Parse one version; return its data and how many schema problems it has."""
    loaded = read_spec_data(read_version(ref), ref)
    try:
        validate_spec_data(loaded, ref)
    except SpecError as err:
        return loaded.data, len(err.lines)
    return loaded.data, 0


# --- comparing -------------------------------------------------------------------------


def diff_specs(old_ref: str, new_ref: str) -> SpecDiff:
    """Compare two versions of a spec, each a file or a git reference ``REV:PATH``.

    Raises:
        SpecError: a version cannot be read or is not a YAML mapping (one line).
    """
    old, old_problems = _load(old_ref)
    new, new_problems = _load(new_ref)
    return compare(old, new, old_ref, new_ref, {"old": old_problems, "new": new_problems})


def compare(
    old: dict[str, Any],
    new: dict[str, Any],
    old_name: str = "old",
    new_name: str = "new",
    invalid: dict[str, int] | None = None,
) -> SpecDiff:
    """Compare two parsed specs (valid or not)."""
    sections = {
        key: _items_diff(old.get(key), new.get(key), id_key) for key, id_key, _ in _KEYED_SECTIONS
    }
    old_reg, new_reg = mapping(old.get("regulatory")), mapping(new.get("regulatory"))
    old_regimes, new_regimes = strings(old_reg.get("regimes")), strings(new_reg.get("regimes"))
    old_controls = {(c.regime, c.control): c for c in controls_for(old)}
    new_controls = {(c.regime, c.control): c for c in controls_for(new)}
    handled = {key for key, _, _ in _KEYED_SECTIONS} | {"regulatory", "owners", "genai"}
    old_genai, new_genai = mapping(old.get("genai")), mapping(new.get("genai"))
    lists = {key for key, _, _ in _GENAI_LISTS}
    return SpecDiff(
        old=old_name,
        new=new_name,
        sections=sections,
        regimes_added=[r for r in new_regimes if r not in old_regimes],
        regimes_removed=[r for r in old_regimes if r not in new_regimes],
        controls_added=[c for k, c in new_controls.items() if k not in old_controls],
        controls_dropped=[c for k, c in old_controls.items() if k not in new_controls],
        regulatory=_fields_diff(
            {k: v for k, v in old_reg.items() if k != "regimes"},
            {k: v for k, v in new_reg.items() if k != "regimes"},
        ),
        owners=_fields_diff(mapping(old.get("owners")), mapping(new.get("owners"))),
        other=_fields_diff(
            {k: v for k, v in old.items() if k not in handled},
            {k: v for k, v in new.items() if k not in handled},
        ),
        invalid={side: count for side, count in (invalid or {}).items() if count},
        contract=classify(old, new),
        genai={
            key: _items_diff(old_genai.get(key), new_genai.get(key), id_key)
            for key, id_key, _ in _GENAI_LISTS
        },
        genai_fields=_fields_diff(
            {k: v for k, v in old_genai.items() if k not in lists},
            {k: v for k, v in new_genai.items() if k not in lists},
        ),
        needs_review=needs_review(old_genai, new_genai),
    )


def needs_review(old: dict[str, Any], new: dict[str, Any]) -> list[Callout]:
    """The changes of the genai section that a person must review before they ship.

    A changed primary model (answers change, evals must be rerun), a new write tool or a
    tool that now writes, an approval removed, loosened (four eyes off), moved to another
    role, or left guarding a wider blast radius, and a tool that reaches more than before
    (Kubernetes permissions its Role gains, hosts its egress opens).
    """
    callouts: list[Callout] = []
    before_models, after_models = mapping_list(old.get("models")), mapping_list(new.get("models"))
    if before_models and after_models:
        was, now = _model_name(before_models[0]), _model_name(after_models[0])
        if was != now:
            callouts.append(
                Callout(
                    "genai.models.0",
                    f"the primary model changes from {was} to {now}: rerun the evals on it and "
                    "review the answers before release",
                )
            )
    before = _keyed(old.get("tools"), "name")
    for index, tool in enumerate(mapping_list(new.get("tools"))):
        name = str(tool.get("name") or f"#{index + 1}")
        callouts += _tool_callouts(f"genai.tools.{index}", name, before.get(name), tool)
        callouts += _reach_callouts(f"genai.tools.{index}", name, before.get(name), tool)
    return callouts


def _reach_callouts(
    path: str, name: str, old: dict[str, Any] | None, new: dict[str, Any]
) -> list[Callout]:
    """A tool that now reaches more: permissions on the cluster's API, or hosts it did not."""
    was, now = _reach_of(old or {}), _reach_of(new)
    callouts: list[Callout] = []
    granted = sorted(now[1] - was[1])
    if granted:
        shown = "; ".join(
            f"{verb} {resource} ({group or 'core'})" for group, resource, verb in granted
        )
        callouts.append(
            Callout(
                f"{path}.reaches.kubernetes",
                f"{name}: gains Kubernetes permissions its Role grants: {shown}: review them",
            )
        )
    hosts = sorted(now[0] - was[0])
    if hosts:
        callouts.append(
            Callout(
                f"{path}.reaches.hosts",
                f"{name}: now connects to {', '.join(hosts)}: review the egress it opens",
            )
        )
    return callouts


def _reach_of(tool: dict[str, Any]) -> tuple[set[str], set[tuple[str, str, str]]]:
    """What a tool reaches: its hosts (``host:port``, lowercase) and its permissions."""
    reaches = mapping(tool.get("reaches"))
    hosts = set()
    for host in reaches.get("hosts") or []:
        name, _, port = str(host).lower().partition(":")
        hosts.add(f"{name}:{port or 443}")
    granted = {
        (str(rule.get("api_group") or ""), str(resource), str(verb))
        for rule in mapping_list(reaches.get("kubernetes"))
        for resource in rule.get("resources") or []
        for verb in rule.get("verbs") or []
    }
    return hosts, granted


def _tool_callouts(
    path: str, name: str, old: dict[str, Any] | None, new: dict[str, Any]
) -> list[Callout]:
    """What needs review in one tool of the new version, against its old version."""
    if new.get("effect") != "write":
        return []
    radius = str(new.get("blast_radius") or "?")
    approval = mapping(new.get("approval"))
    if old is None or old.get("effect") != "write":
        what = "a new write tool" if old is None else "now writes (it only read)"
        by = f"approved by {approval.get('role')}" if approval else "with no approval"
        return [Callout(path, f"{name}: {what}, blast radius {radius}, {by}: review it")]
    callouts: list[Callout] = []
    was = mapping(old.get("approval"))
    if was and not approval:
        callouts.append(
            Callout(
                f"{path}.approval", f"{name}: its approval is removed, so its writes run unapproved"
            )
        )
    elif was and approval:
        if was.get("four_eyes", True) is not False and approval.get("four_eyes") is False:
            callouts.append(
                Callout(
                    f"{path}.approval.four_eyes",
                    f"{name}: four eyes is turned off, so a requester may approve their own call",
                )
            )
        if was.get("role") != approval.get("role"):
            callouts.append(
                Callout(
                    f"{path}.approval.role",
                    f"{name}: approvals move from role {was.get('role')} to {approval.get('role')}",
                )
            )
    old_radius = str(old.get("blast_radius") or "")
    if (
        radius in _WIDER
        and old_radius in _WIDER
        and _WIDER.index(radius) > _WIDER.index(old_radius)
    ):
        callouts.append(
            Callout(
                f"{path}.blast_radius",
                f"{name}: blast radius widens from {old_radius} to {radius}",
            )
        )
    return callouts


def _model_name(model: dict[str, Any]) -> str:
    return f"{model.get('provider')} {model.get('model')}"


def mapping_list(value: Any) -> list[dict[str, Any]]:
    """The mappings of a list (anything else in it, or a non-list, is skipped)."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _keyed(value: Any, id_key: str) -> dict[str, dict[str, Any]]:
    """Index the mappings of a list by their id (or position when they have none)."""
    items: dict[str, dict[str, Any]] = {}
    for index, item in enumerate(value if isinstance(value, list) else []):
        if not isinstance(item, dict):
            item = {"value": item}
        key = item.get(id_key)
        label = str(key) if isinstance(key, str | int | float) and str(key) else f"#{index + 1}"
        while label in items:
            label += "'"
        items[label] = item
    return items


def _items_diff(old: Any, new: Any, id_key: str) -> ItemChanges:
    before, after = _keyed(old, id_key), _keyed(new, id_key)
    changes = ItemChanges()
    for key, item in after.items():
        if key not in before:
            changes.added.append((key, item))
        else:
            fields = _fields_diff(before[key], item)
            if fields:
                changes.changed.append((key, fields))
    changes.removed.extend((key, item) for key, item in before.items() if key not in after)
    return changes


def _fields_diff(old: dict[str, Any], new: dict[str, Any], prefix: str = "") -> list[FieldChange]:
    """Compare two mappings field by field; nested mappings give dotted field names."""
    changes: list[FieldChange] = []
    for key in list(old) + [k for k in new if k not in old]:
        before, after = old.get(key), new.get(key)
        name = f"{prefix}{key}"
        if isinstance(before, dict) and isinstance(after, dict):
            changes.extend(_fields_diff(before, after, f"{name}."))
        elif before != after:
            changes.append(FieldChange(name, before, after))
    return changes


# --- rendering -------------------------------------------------------------------------


def render_diff(diff: SpecDiff, fmt: DiffFormat = "text") -> str:
    """Render a diff as plain text, Markdown or JSON."""
    if fmt == "json":
        return json.dumps(_as_json(diff), indent=2, ensure_ascii=False, default=str)
    return _as_lines(diff, markdown=fmt == "md")


def _as_json(diff: SpecDiff) -> dict[str, Any]:
    def fields(changes: list[FieldChange]) -> list[dict[str, Any]]:
        return [{"field": c.field, "old": c.old, "new": c.new} for c in changes]

    def controls(rows: list[ControlRow]) -> list[dict[str, Any]]:
        return [
            {"regime": c.regime, "control": c.control, "title": c.title, "citation": c.citation}
            for c in rows
        ]

    document: dict[str, Any] = {"old": diff.old, "new": diff.new, "identical": diff.identical}
    for key, _, _ in _KEYED_SECTIONS:
        section = diff.sections[key]
        document[key] = {
            "added": [item for _, item in section.added],
            "removed": [item for _, item in section.removed],
            "changed": [{"id": k, "changes": fields(c)} for k, c in section.changed],
        }
    document["regulatory"] = {
        "regimes_added": diff.regimes_added,
        "regimes_removed": diff.regimes_removed,
        "controls_added": controls(diff.controls_added),
        "controls_dropped": controls(diff.controls_dropped),
        "changes": fields(diff.regulatory),
    }
    document["contract"] = {
        "breaking": diff.breaking,
        "changes": [{"input": c.input, "impact": c.impact, "what": c.what} for c in diff.contract],
    }
    document["genai"] = {
        "needs_review": [{"path": c.path, "what": c.what} for c in diff.needs_review],
        **{
            key: {
                "added": [item for _, item in diff.genai[key].added],
                "removed": [item for _, item in diff.genai[key].removed],
                "changed": [{"id": k, "changes": fields(c)} for k, c in diff.genai[key].changed],
            }
            for key, _, _ in _GENAI_LISTS
        },
        "changes": fields(diff.genai_fields),
    }
    document["owners"] = fields(diff.owners)
    document["other"] = fields(diff.other)
    document["invalid"] = diff.invalid
    return document


def _as_lines(diff: SpecDiff, *, markdown: bool) -> str:
    def esc(value: Any) -> str:
        return md(value) if markdown else one_line(value)

    def show(value: Any) -> str:
        if value is None:
            return "(none)"
        if isinstance(value, str):
            return f'"{esc(value)}"'
        if isinstance(value, list):
            return "[" + ", ".join(show(v) for v in value) + "]"
        return esc(value)

    def summary(item: dict[str, Any]) -> str:
        return "; ".join(
            f"{esc(k)}: {show(v)}" for k, v in item.items() if k not in {"id", "role", "name"}
        )

    def mark(sign: str) -> str:
        return "" if markdown else f"{sign} "

    heading = "### " if markdown else ""
    bullet = "- " if markdown else "  "
    nested = "  - " if markdown else "      "
    lines = [f"{'## ' if markdown else ''}Spec changes: {esc(diff.old)} → {esc(diff.new)}"]
    for side, count in diff.invalid.items():
        lines.append(
            f"Note: the {side} version has {count} schema problem(s); compared as written."
        )
    if diff.identical:
        return "\n".join([*lines, "", "No changes."]) + "\n"

    def field_lines(changes: list[FieldChange], indent: str) -> list[str]:
        return [
            f"{indent}{mark('~')}{esc(c.field)}: {show(c.old)} → {show(c.new)}" for c in changes
        ]

    for key, _, title in _KEYED_SECTIONS:
        section = diff.sections[key]
        if not section:
            continue
        lines += ["", f"{heading}{title}"]
        lines += [
            f"{bullet}{mark('+')}added {esc(k)}: {summary(item)}" for k, item in section.added
        ]
        lines += [
            f"{bullet}{mark('-')}removed {esc(k)}: {summary(item)}" for k, item in section.removed
        ]
        for k, changes in section.changed:
            lines.append(f"{bullet}{mark('~')}changed {esc(k)}")
            lines += field_lines(changes, nested)
    if diff.regimes_added or diff.regimes_removed or diff.regulatory:
        lines += ["", f"{heading}Regulatory scope"]
        lines += [f"{bullet}{mark('+')}added regime {esc(r)}" for r in diff.regimes_added]
        lines += [f"{bullet}{mark('-')}removed regime {esc(r)}" for r in diff.regimes_removed]
        lines += field_lines(diff.regulatory, bullet)
        for sign, verb, rows in (
            ("+", "adds", diff.controls_added),
            ("-", "drops", diff.controls_dropped),
        ):
            if rows:
                lines.append(f"{bullet}{mark(sign)}the scope {verb} {len(rows)} control(s):")
                lines += [
                    f"{nested}{mark(sign)}{esc(c.regime_title)} {esc(c.control)}: {esc(c.title)} "
                    f"({esc(c.citation)})"
                    for c in rows
                ]
    if diff.contract:
        verdict = "breaking for callers" if diff.breaking else "compatible for callers"
        lines += ["", f"{heading}Data contract ({verdict})"]
        signs = {"breaking": "!", "compatible": "+", "neutral": "~"}
        lines += [
            f"{bullet}{mark(signs[c.impact])}{c.impact}: {esc(c.input)}: {esc(c.what)}"
            for c in diff.contract
        ]
    if diff.needs_review or any(diff.genai.values()) or diff.genai_fields:
        lines += ["", f"{heading}GenAI"]
        if diff.needs_review:
            lines.append(f"{bullet}{mark('!')}needs review:")
            lines += [
                f"{nested}{mark('!')}{esc(c.what)} ({esc(c.path)})" for c in diff.needs_review
            ]
        for key, _, title in _GENAI_LISTS:
            part = diff.genai[key]
            lines += [
                f"{bullet}{mark('+')}added {esc(title.lower())} {esc(k)}: {summary(item)}"
                for k, item in part.added
            ]
            lines += [
                f"{bullet}{mark('-')}removed {esc(title.lower())} {esc(k)}: {summary(item)}"
                for k, item in part.removed
            ]
            for k, changes in part.changed:
                lines.append(f"{bullet}{mark('~')}changed {esc(title.lower())} {esc(k)}")
                lines += field_lines(changes, nested)
        lines += field_lines(diff.genai_fields, bullet)
    if diff.owners:
        lines += ["", f"{heading}Owners", *field_lines(diff.owners, bullet)]
    if diff.other:
        lines += ["", f"{heading}Other changes", *field_lines(diff.other, bullet)]
    return "\n".join(lines) + "\n"
