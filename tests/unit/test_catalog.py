"""Tests for the regulatory catalogue data file and the functions that read it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.catalog import (
    CATALOG_PATH,
    REGIME_IDS,
    Catalog,
    Scope,
    load_catalog,
    minimum_retention,
)
from generator.errors import CatalogError


@pytest.fixture
def catalog() -> Catalog:
    """Return the packaged catalogue."""
    return load_catalog()


def _raw_catalog() -> dict[str, Any]:
    """Return the packaged catalogue as plain YAML data, for breaking in a copy."""
    data = yaml.safe_load(CATALOG_PATH.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _write(tmp_path: Path, data: dict[str, Any]) -> Path:
    """Write catalogue data to a file in tmp_path and return its path."""
    path = tmp_path / "catalog.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_catalog_loads(catalog: Catalog) -> None:
    """The packaged catalogue satisfies its model."""
    assert catalog.regimes


def test_regimes_are_exactly_the_known_ids_in_order(catalog: Catalog) -> None:
    """The catalogue lists every regime id of REGIME_IDS, in that order."""
    assert tuple(catalog.regimes) == REGIME_IDS


@pytest.mark.parametrize("regime_id", REGIME_IDS)
def test_every_control_names_an_existing_artifact(catalog: Catalog, regime_id: str) -> None:
    """Each control of a regime points at an artifact defined in the catalogue."""
    dangling = [
        c.id for c in catalog.regimes[regime_id].controls if c.artifact not in catalog.artifacts
    ]
    assert dangling == []


@pytest.mark.parametrize(
    ("regime_id", "days"),
    [("pci-dss", 365), ("eu-ai-act", 183), ("hipaa", 2190)],
)
def test_retention_matches_research(catalog: Catalog, regime_id: str, days: int) -> None:
    """Retention minima are the figures the research sources give."""
    retention = catalog.regimes[regime_id].retention
    assert retention is not None
    assert retention.days == days


def test_unverified_retention_is_marked_unsure(catalog: Catalog) -> None:
    """HIPAA's six years for raw audit logs is unconfirmed, so it is flagged unsure."""
    retention = catalog.regimes["hipaa"].retention
    assert retention is not None
    assert retention.unsure


def test_documentation_retention_sets_no_audit_floor(catalog: Catalog) -> None:
    """SEBI's proposed five years concern model documentation, not audit records."""
    assert catalog.regimes["sebi-ai"].retention is None


def test_part_11_has_no_fixed_retention(catalog: Catalog) -> None:
    """21 CFR Part 11 ties audit-trail retention to the record, so no figure is given."""
    regime = catalog.regimes["fda-21-cfr-11"]
    assert regime.retention is None
    assert regime.note is not None


def test_minimum_retention_picks_the_strictest() -> None:
    """The floor is the longest minimum among the listed regimes, named by its regime."""
    floor = minimum_retention(["gdpr", "eu-ai-act", "pci-dss"])
    assert floor is not None
    assert (floor.days, floor.regime) == (365, "PCI DSS")


def test_minimum_retention_is_none_without_a_figure() -> None:
    """Regimes without a retention figure impose no floor."""
    assert minimum_retention(["gdpr", "soc2"]) is None


def test_features_without_regimes_are_the_always_artifacts(catalog: Catalog) -> None:
    """With no regime in scope, a repo contains exactly the always-present artifacts."""
    always = [name for name, artifact in catalog.artifacts.items() if artifact.always]
    assert catalog.features(Scope(())) == always


@pytest.mark.parametrize(
    ("regime_id", "artifact"),
    [("fda-21-cfr-11", "e-signature"), ("gdpr", "dpia"), ("hipaa", "health-data-access-audit")],
)
def test_features_add_the_artifacts_of_a_regime(
    catalog: Catalog, regime_id: str, artifact: str
) -> None:
    """Listing a regime adds the artifacts its controls need."""
    assert artifact not in catalog.features(Scope(()))
    assert artifact in catalog.features(Scope((regime_id,)))


def test_dangling_artifact_raises_catalog_error(tmp_path: Path) -> None:
    """A control that names an unknown artifact makes the catalogue fail to load."""
    data = _raw_catalog()
    data["regimes"]["gdpr"]["controls"][0]["artifact"] = "no-such-artifact"
    with pytest.raises(CatalogError, match="no-such-artifact"):
        load_catalog(_write(tmp_path, data))


def test_missing_regime_raises_catalog_error(tmp_path: Path) -> None:
    """A catalogue without one of the known regimes fails to load."""
    data = _raw_catalog()
    del data["regimes"]["sebi-ai"]
    with pytest.raises(CatalogError, match="regimes must be exactly"):
        load_catalog(_write(tmp_path, data))


def test_missing_file_raises_catalog_error(tmp_path: Path) -> None:
    """A catalogue path that does not exist is reported as a CatalogError."""
    with pytest.raises(CatalogError):
        load_catalog(tmp_path / "absent.yaml")
