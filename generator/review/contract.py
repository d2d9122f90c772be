"""How a change of the data contract (``inputs``) affects callers: breaking or compatible.

Breaking: an input removed, a type changed, bounds narrowed, a category value removed, an
optional input made required, a new required input, a contract introduced where requests
were untyped. Compatible: an optional input added, bounds widened, a category value added,
a required input made optional. Anything else (personal flag, source) is neutral. Reads
plain data, so drafts that fail validation are classified as far as they can be read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from generator.review._data import mappings

Impact = Literal["breaking", "compatible", "neutral"]
IMPACTS: tuple[Impact, ...] = ("breaking", "compatible", "neutral")


@dataclass(frozen=True)
class ContractChange:
    """One change of the data contract and what it means for callers."""

    input: str
    impact: Impact
    what: str


def _by_name(value: Any) -> dict[str, dict[str, Any]]:
    return {
        str(item["name"]): item for item in mappings(value) if isinstance(item.get("name"), str)
    }


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _required(item: dict[str, Any]) -> bool:
    return item.get("required", True) is not False


def _bound(name: str, side: str, old: float | None, new: float | None) -> ContractChange | None:
    if old == new:
        return None
    tighter = new is not None and (old is None or (new > old if side == "min" else new < old))
    shown = {"min": "minimum", "max": "maximum"}[side]
    was = "none" if old is None else f"{old:.12g}"
    now = "none" if new is None else f"{new:.12g}"
    impact: Impact = "breaking" if tighter else "compatible"
    verb = "narrowed" if tighter else "widened"
    return ContractChange(name, impact, f"{shown} {verb}: {was} → {now}")


def _changed(name: str, old: dict[str, Any], new: dict[str, Any]) -> list[ContractChange]:
    changes: list[ContractChange] = []
    if old.get("type") != new.get("type"):
        changes.append(
            ContractChange(name, "breaking", f"type changed: {old.get('type')} → {new.get('type')}")
        )
        return changes
    for side in ("min", "max"):
        change = _bound(name, side, _number(old.get(side)), _number(new.get(side)))
        if change is not None:
            changes.append(change)
    before = [str(v) for v in old.get("values") or []]
    after = [str(v) for v in new.get("values") or []]
    changes += [
        ContractChange(name, "breaking", f"value {v} removed") for v in before if v not in after
    ]
    changes += [
        ContractChange(name, "compatible", f"value {v} added") for v in after if v not in before
    ]
    if _required(old) != _required(new):
        if _required(new):
            changes.append(ContractChange(name, "breaking", "optional input made required"))
        else:
            changes.append(ContractChange(name, "compatible", "required input made optional"))
    for key in ("personal", "source"):
        if old.get(key) != new.get(key):
            changes.append(
                ContractChange(name, "neutral", f"{key}: {old.get(key)} → {new.get(key)}")
            )
    return changes


def classify(old_spec: dict[str, Any], new_spec: dict[str, Any]) -> list[ContractChange]:
    """Every change of the data contract between two versions of a spec, breaking first."""
    old_inputs, new_inputs = old_spec.get("inputs"), new_spec.get("inputs")
    if old_inputs is None and new_inputs is None:
        return []
    if old_inputs is None:
        changes = [ContractChange("*", "breaking", "a typed contract is introduced")]
    elif new_inputs is None:
        return [ContractChange("*", "compatible", "the typed contract is removed")]
    else:
        changes = []
    before, after = _by_name(old_inputs), _by_name(new_inputs)
    for name, item in before.items():
        if name not in after:
            changes.append(ContractChange(name, "breaking", "input removed"))
        else:
            changes += _changed(name, item, after[name])
    for name, item in after.items():
        if name not in before and old_inputs is not None:
            if _required(item):
                changes.append(ContractChange(name, "breaking", "required input added"))
            else:
                changes.append(ContractChange(name, "compatible", "optional input added"))
    return sorted(changes, key=lambda c: IMPACTS.index(c.impact))


__all__ = ["IMPACTS", "ContractChange", "Impact", "classify"]
