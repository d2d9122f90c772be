"""The retention table that spec validation reads must match the regulatory catalogue."""

from __future__ import annotations

from generator.catalog import load_catalog
from generator.spec.retention import RETENTION_FLOORS, RetentionFloor


def test_retention_floors_match_the_catalogue() -> None:
    """RETENTION_FLOORS holds exactly each regime's retention as data/catalog.yaml states it."""
    catalog = load_catalog()
    expected = {
        regime_id: RetentionFloor(
            regime.retention.days, regime.short, regime.retention.citation, regime.retention.tiers
        )
        for regime_id, regime in catalog.regimes.items()
        if regime.retention is not None
    }
    assert expected == RETENTION_FLOORS
