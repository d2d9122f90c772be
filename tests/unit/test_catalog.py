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


HIGH_RISK_ARTICLES = {"art-9", "art-10", "art-11", "art-12", "art-13", "art-14", "art-15"}


def _eu_controls(catalog: Catalog, kind: str, tier: str | None, people: bool) -> set[str]:
    scope = Scope(("eu-ai-act",), kind, tier, people)
    return {c.id for _, c in catalog.controls_in_scope(scope)}


@pytest.mark.parametrize("kind", ["service", "pipeline", "assistant", "agent"])
def test_minimal_tier_brings_only_ai_literacy(catalog: Catalog, kind: str) -> None:
    """A minimal-risk system gets Art. 4 (AI literacy) and no other EU AI Act control."""
    assert _eu_controls(catalog, kind, "minimal", people=True) == {"art-4"}


def test_limited_tier_assistant_gets_article_50_not_the_high_risk_articles(
    catalog: Catalog,
) -> None:
    """A limited-tier assistant gets Art. 4 and Art. 50(1)-(2), none of Arts. 9-15."""
    ids = _eu_controls(catalog, "assistant", "limited", people=True)
    assert ids == {"art-4", "art-50-1", "art-50-2"}
    assert not ids & HIGH_RISK_ARTICLES


@pytest.mark.parametrize("kind", ["service", "assistant", "agent"])
def test_high_tier_adds_article_50_where_people_interact(catalog: Catalog, kind: str) -> None:
    """A high-risk system gets Arts. 9-15 and, when people interact with it, Art. 50(1)."""
    with_people = _eu_controls(catalog, kind, "high", people=True)
    without = _eu_controls(catalog, kind, "high", people=False)
    assert with_people >= HIGH_RISK_ARTICLES and without >= HIGH_RISK_ARTICLES
    assert "art-50-1" in with_people and "art-50-1" not in without


def test_a_pipeline_never_gets_the_interaction_duty(catalog: Catalog) -> None:
    """A batch pipeline talks to nobody: no Art. 50(1), whatever the tier."""
    assert "art-50-1" not in _eu_controls(catalog, "pipeline", "high", people=True)


def test_output_marking_binds_generative_kinds_only(catalog: Catalog) -> None:
    """Art. 50(2) marking of generated text applies to assistants and agents, not a service."""
    assert "art-50-2" in _eu_controls(catalog, "agent", "limited", people=False)
    assert "art-50-2" not in _eu_controls(catalog, "service", "limited", people=True)


def test_a_draft_without_a_tier_is_shown_every_control(catalog: Catalog) -> None:
    """An unknown tier counts as every tier, so a draft sees the most the regime brings."""
    ids = _eu_controls(catalog, "assistant", None, people=True)
    assert HIGH_RISK_ARTICLES | {"art-4", "art-50-1", "art-50-2"} <= ids


def test_the_eu_log_retention_floor_binds_high_risk_only() -> None:
    """The six-month log retention of Arts. 19 and 26(6) binds high-risk systems only."""
    assert minimum_retention(["eu-ai-act"], "limited") is None
    floor = minimum_retention(["eu-ai-act"], "high")
    assert floor is not None and floor.days == 183


@pytest.mark.parametrize("regime_id", ["owasp-llm-top10", "nist-ai-600-1"])
def test_genai_regimes_apply_to_assistants_and_agents_only(
    catalog: Catalog, regime_id: str
) -> None:
    """The GenAI catalogues bring controls to assistants and agents, none to other kinds."""
    for kind in ("assistant", "agent"):
        assert catalog.controls_in_scope(Scope((regime_id,), kind))
    for kind in ("service", "pipeline"):
        assert catalog.controls_in_scope(Scope((regime_id,), kind)) == []


def test_owasp_covers_each_of_the_ten_risks_for_an_agent(catalog: Catalog) -> None:
    """Every OWASP LLM risk, LLM01 to LLM10, has at least one control for an agent."""
    cited = {
        c.citation.split(":")[0]
        for _, c in catalog.controls_in_scope(Scope(("owasp-llm-top10",), "agent"))
    }
    assert {f"LLM{n:02d}" for n in range(1, 11)} <= cited


def test_write_approval_controls_bind_agents_not_assistants(catalog: Catalog) -> None:
    """Excessive agency through writes (LLM06 approval) binds agents; assistants only read."""
    agent = {c.id for _, c in catalog.controls_in_scope(Scope(("owasp-llm-top10",), "agent"))}
    assistant = {
        c.id for _, c in catalog.controls_in_scope(Scope(("owasp-llm-top10",), "assistant"))
    }
    assert "llm06" in agent and "llm06" not in assistant


@pytest.mark.parametrize("kind", ["assistant", "agent"])
@pytest.mark.parametrize("regime_id", REGIME_IDS)
def test_every_control_of_a_genai_kind_has_genai_evidence(
    catalog: Catalog, kind: str, regime_id: str
) -> None:
    """Each control in scope of an assistant or agent names a file and test of templates/genai."""
    for _, control in catalog.controls_in_scope(Scope((regime_id,), kind, None, True)):
        evidence = catalog.artifacts[control.artifact].evidence(kind)
        assert evidence.file and evidence.test


def test_a_control_whose_artifact_lacks_a_kind_is_refused(tmp_path: Path) -> None:
    """A control applying to a kind its artifact has no evidence for fails to load."""
    data = _raw_catalog()
    del data["artifacts"]["tool-approval"]["genai"]
    with pytest.raises(CatalogError, match="tool-approval"):
        load_catalog(_write(tmp_path, data))
