"""Readiness rules: each rule finds its problem and stays silent on the example specs."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from generator.catalog import minimum_retention
from generator.review import rules
from generator.spec import read_spec_data

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "specs").glob("*.yaml"))
CLAIMS = ROOT / "specs" / "claims-triage.yaml"


def _data(path: Path = CLAIMS) -> dict[str, Any]:
    data = read_spec_data(path.read_bytes(), str(path)).data
    assert isinstance(data, dict)
    return copy.deepcopy(data)


def _rule_ids(rule: rules.Rule, data: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(f.rule, f.severity, f.path) for f in rule(data)]


@pytest.mark.parametrize(
    "then",
    [
        "the page loads fast",
        "the form is user-friendly and intuitive",
        "results are good",
        "the flow is seamless",
        "errors, warnings etc. are shown",
    ],
)
def test_vague_then_is_a_blocker(then: str) -> None:
    """A "then" with a vague word and no number blocks."""
    data = _data()
    data["acceptance_criteria"][1]["then"] = then
    assert ("vague-criterion", "blocker", "acceptance_criteria.1.then") in _rule_ids(
        rules.vague_criteria, data
    )


def test_vague_then_with_threshold_is_a_warning() -> None:
    """A vague word next to a threshold only warns: the number already says it."""
    data = _data()
    data["acceptance_criteria"][0]["then"] = "a fast decision is returned within 2 seconds"
    assert _rule_ids(rules.vague_criteria, data) == [
        ("vague-criterion", "warning", "acceptance_criteria.0.then")
    ]


def test_vague_word_inside_another_word_is_not_flagged() -> None:
    """'breakfast' and 'goodwill' do not contain the vague words 'fast' and 'good'."""
    data = _data()
    data["acceptance_criteria"][0]["then"] = "the breakfast order and goodwill credit are recorded"
    assert _rule_ids(rules.vague_criteria, data) == []


@pytest.mark.parametrize(
    "then", ["it works as expected", "the user is happy", "it is handled correctly"]
)
def test_unobservable_then_is_a_blocker(then: str) -> None:
    """A "then" that names no observable outcome blocks."""
    data = _data()
    data["acceptance_criteria"][2]["then"] = then
    assert _rule_ids(rules.unobservable_then, data) == [
        ("unobservable-then", "blocker", "acceptance_criteria.2.then")
    ]


def test_observable_then_with_success_word_passes() -> None:
    """'successfully' next to a concrete outcome is not flagged."""
    data = _data()
    data["acceptance_criteria"][2]["then"] = (
        "the override record is saved successfully with its reason"
    )
    assert _rule_ids(rules.unobservable_then, data) == []


def test_metric_without_baseline_warns() -> None:
    """A metric with baseline null gets a warning on its baseline field."""
    data = _data()
    assert _rule_ids(rules.metric_baseline, data) == [
        ("metric-no-baseline", "warning", "success_metrics.1.baseline")
    ]


@pytest.mark.parametrize("text", ["TBD", "tbd", "n/a", "N/A", "to be defined", "?", "TBD later"])
def test_measurement_that_is_not_a_method_blocks(text: str) -> None:
    """A measurement such as 'TBD' is not a method and blocks."""
    data = _data()
    data["success_metrics"][0]["measurement"] = text
    assert _rule_ids(rules.metric_measurement, data) == [
        ("measurement-not-method", "blocker", "success_metrics.0.measurement")
    ]


def test_metric_without_criterion_is_noted() -> None:
    """A metric no criterion refers to gets an info finding."""
    assert _rule_ids(rules.metric_unchecked, _data()) == [
        ("metric-unchecked", "info", "success_metrics.1")
    ]


@pytest.mark.parametrize("kind", ["service", "pipeline"])
def test_system_without_e2e_criterion_blocks(kind: str) -> None:
    """A service or pipeline whose criteria are all unit or integration blocks."""
    data = _data()
    data["kind"] = kind
    data["acceptance_criteria"][0]["layer"] = "unit"
    assert _rule_ids(rules.e2e_criterion, data) == [
        ("no-e2e-criterion", "blocker", "acceptance_criteria")
    ]


@pytest.mark.parametrize(
    ("regimes", "classes", "index"),
    [
        (["hipaa"], ["public"], 0),
        (["soc2", "pci-dss"], ["personal"], 1),
        (["gdpr"], ["internal", "confidential"], 0),
    ],
)
def test_regime_without_its_data_class_blocks(
    regimes: list[str], classes: list[str], index: int
) -> None:
    """HIPAA without health, PCI DSS without payment and GDPR without personal data block."""
    data = _data()
    data["regulatory"] = {"regimes": regimes, "data_classes": classes}
    assert ("regime-without-data", "blocker", f"regulatory.regimes.{index}") in _rule_ids(
        rules.regime_data_classes, data
    )


def test_gdpr_with_health_data_is_consistent() -> None:
    """Health data is personal data under GDPR: no contradiction."""
    data = _data()
    data["regulatory"] = {"regimes": ["gdpr"], "data_classes": ["health"]}
    assert _rule_ids(rules.regime_data_classes, data) == []


@pytest.mark.parametrize("data_class", ["health", "personal", "payment"])
def test_sensitive_data_without_regime_warns(data_class: str) -> None:
    """Health, personal or payment data with no regime that covers it warns."""
    data = _data()
    data["regulatory"] = {"regimes": [], "data_classes": [data_class]}
    assert _rule_ids(rules.regime_data_classes, data) == [
        ("data-without-regime", "warning", "regulatory.regimes")
    ]


def test_high_risk_without_boundary_blocks() -> None:
    """A high-risk EU AI Act system with no operating boundary blocks."""
    data = _data()
    del data["operating_boundary"]
    assert _rule_ids(rules.high_risk_oversight, data) == [
        ("high-risk-no-boundary", "blocker", "operating_boundary")
    ]


def test_high_risk_without_review_threshold_blocks() -> None:
    """A high-risk EU AI Act system without review_below_confidence blocks."""
    data = _data()
    del data["operating_boundary"]["review_below_confidence"]
    assert _rule_ids(rules.high_risk_oversight, data) == [
        ("high-risk-no-review-threshold", "blocker", "operating_boundary.review_below_confidence")
    ]


def test_limited_risk_without_boundary_is_not_flagged() -> None:
    """Only the high-risk tier needs the boundary."""
    data = _data()
    data["regulatory"]["eu_ai_act_risk"] = "limited"
    del data["operating_boundary"]
    assert _rule_ids(rules.high_risk_oversight, data) == []


def test_one_person_holding_every_owner_role_blocks() -> None:
    """The same owner (ignoring case) in all three roles blocks."""
    data = _data()
    data["owners"] = {"business": "Alex Kim", "technical": "alex kim", "operations": "ALEX KIM"}
    assert _rule_ids(rules.owners, data) == [("one-owner", "blocker", "owners")]


def test_missing_owner_blocks() -> None:
    """A draft with an owner role left empty gets a blocker on that role."""
    data = _data()
    data["owners"]["operations"] = ""
    assert _rule_ids(rules.owners, data) == [("missing-owner", "blocker", "owners.operations")]


def test_no_budget_warns() -> None:
    """A spec without a budget warns."""
    data = _data()
    del data["budget"]
    assert _rule_ids(rules.budget, data) == [("no-budget", "warning", "budget")]


def test_no_drift_features_warns() -> None:
    """A spec without drift features warns."""
    data = _data()
    data["monitoring"]["drift_features"] = []
    assert _rule_ids(rules.monitoring, data) == [
        ("no-drift-features", "warning", "monitoring.drift_features")
    ]


def test_service_without_slo_warns() -> None:
    """A service with neither a latency nor an availability objective warns."""
    data = _data()
    data["monitoring"] = {"drift_features": ["claim_amount"]}
    assert _rule_ids(rules.monitoring, data) == [("no-slo", "warning", "monitoring")]


def test_pipeline_without_slo_is_not_flagged() -> None:
    """Latency and availability objectives are asked of services only."""
    data = _data()
    data["kind"] = "pipeline"
    data["monitoring"] = {"drift_features": ["claim_amount"]}
    assert _rule_ids(rules.monitoring, data) == []


def test_retention_close_to_the_minimum_warns() -> None:
    """Retention within 10% above a regime's minimum warns."""
    floor = minimum_retention(["hipaa"])
    assert floor is not None
    data = _data()
    data["regulatory"] = {"regimes": ["hipaa"], "data_classes": ["health"]}
    data["regulatory"]["retention_days"] = floor.days + 1
    assert _rule_ids(rules.retention, data) == [
        ("retention-near-minimum", "warning", "regulatory.retention_days")
    ]


def test_retention_with_margin_is_not_flagged() -> None:
    """Retention well above the minimum passes."""
    floor = minimum_retention(["hipaa"])
    assert floor is not None
    data = _data()
    data["regulatory"] = {"regimes": ["hipaa"], "data_classes": ["health"]}
    data["regulatory"]["retention_days"] = floor.days * 2
    assert _rule_ids(rules.retention, data) == []


def test_rules_tolerate_wrong_types_in_drafts() -> None:
    """Every rule reads a malformed draft without raising."""
    draft: dict[str, Any] = {
        "kind": ["service"],
        "owners": "everyone",
        "users": "x",
        "success_metrics": [None, 3, {"id": 5, "measurement": None}],
        "acceptance_criteria": {"id": "AC-1"},
        "regulatory": {"regimes": "hipaa", "data_classes": None, "retention_days": "long"},
        "operating_boundary": [],
        "monitoring": "yes",
        "business_goal": None,
    }
    findings = rules.run_rules(draft)
    assert {f.rule for f in findings} >= {"missing-owner", "no-budget"}


# --- no false positives on the example specs ------------------------------------------

SILENT_ON_EXAMPLES: tuple[rules.Rule, ...] = (
    rules.vague_criteria,
    rules.unobservable_then,
    rules.metric_measurement,
    rules.e2e_criterion,
    rules.high_risk_oversight,
    rules.owners,
)


@pytest.mark.parametrize("rule", SILENT_ON_EXAMPLES, ids=lambda r: r.__name__)
@pytest.mark.parametrize("spec", EXAMPLES, ids=lambda p: p.stem)
def test_rule_is_silent_on_example_specs(rule: rules.Rule, spec: Path) -> None:
    """The example specs are well formed: these rules find nothing in them."""
    assert _rule_ids(rule, _data(spec)) == []


@pytest.mark.parametrize("spec", EXAMPLES, ids=lambda p: p.stem)
def test_example_specs_have_no_regime_contradiction(spec: Path) -> None:
    """No example lists a regime without the data class it governs."""
    ids = {f.rule for f in rules.regime_data_classes(_data(spec))}
    assert "regime-without-data" not in ids


@pytest.mark.parametrize("spec", EXAMPLES, ids=lambda p: p.stem)
def test_example_specs_have_no_blocker(spec: Path) -> None:
    """No rule finds a blocker in any example spec."""
    assert [f for f in rules.run_rules(_data(spec)) if f.severity == "blocker"] == []


def test_no_role_that_may_review_is_a_blocker() -> None:
    """Decisions wait for a human but nobody may review them: blocked, naming users."""
    data = _data()
    for user in data["users"]:
        user["can"] = [p for p in user.get("can", ["request", "read"]) if p != "review"]
    assert _rule_ids(rules.separation_of_duties, data) == [("no-reviewer", "blocker", "users")]


def test_a_role_without_can_may_not_review() -> None:
    """A role that says nothing may request and read only, so it is no reviewer."""
    data = _data()
    for user in data["users"]:
        user.pop("can", None)
    assert ("no-reviewer", "blocker", "users") in _rule_ids(rules.separation_of_duties, data)


def test_a_pipeline_always_needs_a_reviewer() -> None:
    """A model scores only once a second person approves it: a pipeline nobody may review is blocked."""
    data = _data(ROOT / "specs" / "weekly-demand-forecast.yaml")
    assert _rule_ids(rules.separation_of_duties, data) == []
    data.pop("operating_boundary", None)
    for user in data["users"]:
        user["can"] = [p for p in user.get("can", ["request", "read"]) if p != "review"]
    findings = list(rules.separation_of_duties(data))
    assert [(f.rule, f.severity) for f in findings] == [("no-reviewer", "blocker")]
    assert "second person approves" in findings[0].message


def test_a_criterion_naming_a_metric_the_gate_cannot_measure_blocks_a_pipeline() -> None:
    """The gate enforces every target a criterion names; one it cannot measure is a blocker."""
    data = _data(ROOT / "specs" / "trial-safety-signals.yaml")
    assert _rule_ids(rules.gated_criteria, data) == []
    data["acceptance_criteria"][0]["metric"] = "M-1"  # median days: no measure on held-out rows
    findings = list(rules.gated_criteria(data))
    assert [(f.rule, f.severity, f.path) for f in findings] == [
        ("criterion-metric-ungated", "blocker", "acceptance_criteria.0.metric")
    ]
    assert "M-1" in findings[0].message and "AC-1" in findings[0].message


def test_a_service_criterion_naming_any_metric_is_not_a_gate_matter() -> None:
    """Services have no training gate: the rule is for pipelines only."""
    assert _rule_ids(rules.gated_criteria, _data()) == []


def test_an_invalid_spec_is_left_to_the_schema_findings() -> None:
    """The gate rule says nothing about a spec that does not validate."""
    data = _data(ROOT / "specs" / "trial-safety-signals.yaml")
    data["acceptance_criteria"][0]["metric"] = "NO-SUCH-METRIC"
    assert _rule_ids(rules.gated_criteria, data) == []


def test_one_role_requesting_and_reviewing_is_a_warning() -> None:
    """Four eyes still holds per person, but the team should know the role needs two people."""
    data = _data()
    data["users"][0]["can"] = ["request", "read", "review"]
    assert _rule_ids(rules.separation_of_duties, data) == [
        ("requester-reviews", "warning", "users.0.can")
    ]


def test_a_contest_path_nobody_may_use_is_a_warning() -> None:
    """GDPR brings a contest path; with no role that may contest, the review says so."""
    data = _data()
    for user in data["users"]:
        user["can"] = [p for p in user.get("can", ["request", "read"]) if p != "contest"]
    assert ("no-contest-role", "warning", "users") in _rule_ids(rules.separation_of_duties, data)


def test_a_personal_input_without_a_privacy_regime_is_a_warning() -> None:
    """Personal inputs with neither GDPR nor HIPAA in scope: the review asks which law applies."""
    data = _data()
    data["regulatory"]["regimes"] = ["eu-ai-act"]
    found = _rule_ids(rules.data_contract, data)
    assert ("personal-input-without-privacy-regime", "warning", "inputs.2.personal") in found


def test_a_single_value_category_is_a_warning() -> None:
    """A category with one value tells the model nothing."""
    data = _data()
    data["inputs"][1]["values"] = ["web"]
    assert ("single-value-category", "warning", "inputs.1.values") in _rule_ids(
        rules.data_contract, data
    )


def test_a_data_dependency_that_supplies_no_input_is_a_warning() -> None:
    """With inputs, each data dependency should be the source of at least one."""
    data = _data()
    for item in data["inputs"]:
        item.pop("source", None)
    assert ("dependency-supplies-no-input", "warning", "data_dependencies.0") in _rule_ids(
        rules.data_contract, data
    )


def test_examples_under_a_privacy_regime_have_no_data_contract_finding() -> None:
    """The GDPR and HIPAA examples with inputs are consistent (the US lender gets a warning)."""
    for name in ("claims-triage.yaml", "trial-safety-signals.yaml"):
        assert _rule_ids(rules.data_contract, _data(ROOT / "specs" / name)) == []
