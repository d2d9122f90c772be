"""Minimum retention per regime: the one catalogue fact that spec validation needs.

Kept apart from ``catalog.py`` so that ``spec validate`` neither loads nor validates the
whole catalogue (its start-up time is a budgeted figure). ``data/catalog.yaml`` remains the
source of truth: a test keeps ``RETENTION_FLOORS`` equal to it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RetentionFloor:
    """The longest minimum retention among a set of regimes, and who imposes it."""

    days: int
    regime: str
    citation: str
    tiers: tuple[str, ...] = ()
    """The EU AI Act risk tiers it binds at (none: every spec listing the regime)."""


RETENTION_FLOORS: dict[str, RetentionFloor] = {
    "eu-ai-act": RetentionFloor(
        183,
        "EU AI Act",
        "Art. 19(1) and Art. 26(6): logs of high-risk systems kept at least six months",
        ("high",),
    ),
    "hipaa": RetentionFloor(2190, "HIPAA", "45 CFR 164.316(b)(2)(i): documentation kept 6 years"),
    "pci-dss": RetentionFloor(365, "PCI DSS", "Req. 10.5.1: audit logs kept at least 12 months"),
}
"""Each regime's minimum retention (days, short name, citation) as ``data/catalog.yaml``
states it, for the regimes that state one."""


def minimum_retention(regimes: list[str], tier: str | None = None) -> RetentionFloor | None:
    """Return the strictest minimum retention the listed regimes imply, if any does.

    ``tier`` is the EU AI Act risk tier: a floor that binds only some tiers (the EU AI Act's
    log retention binds high-risk systems) counts when the tier is one of them, or unknown.
    """
    floor: RetentionFloor | None = None
    for regime_id in regimes:
        entry = RETENTION_FLOORS.get(regime_id)
        if entry is None or (entry.tiers and tier is not None and tier not in entry.tiers):
            continue
        if floor is None or entry.days > floor.days:
            floor = entry
    return floor
