"""The changes an update announces to a reviewer: access, controls, criteria, retention."""

from __future__ import annotations

import copy
from typing import Any

import yaml

from generator.render import build_context
from generator.spec import parse_spec
from generator.update.changes import review_notes
from tests.conftest import SPECS

BASE: dict[str, Any] = yaml.safe_load((SPECS / "claims-triage.yaml").read_text(encoding="utf-8"))


def context_of(data: dict[str, Any]) -> dict[str, Any]:
    """The render context of spec data."""
    return build_context(parse_spec(yaml.safe_dump(data, sort_keys=False), "spec.yaml"))


def notes_between(before: dict[str, Any], after: dict[str, Any]) -> list[tuple[str, str]]:
    """(kind, subject) of every note from the spec ``before`` to the spec ``after``."""
    return [(n.kind, n.subject) for n in review_notes(context_of(before), context_of(after))]


def edited(**changes: Any) -> dict[str, Any]:
    """The example spec with top-level sections replaced."""
    data = copy.deepcopy(BASE)
    data.update(changes)
    return data


def test_nothing_to_announce_for_the_same_spec() -> None:
    """An unchanged spec gives no note."""
    assert notes_between(BASE, BASE) == []


def test_a_permission_gained_and_one_lost_are_named() -> None:
    """A role whose can changes gains and loses the named permissions."""
    after = copy.deepcopy(BASE)
    after["users"][0]["can"] = ["read", "contest"]  # adjuster: was read, review
    notes = review_notes(context_of(BASE), context_of(after))
    assert [(n.kind, n.subject) for n in notes] == [
        ("permission-gained", "adjuster"),
        ("permission-lost", "adjuster"),
    ]
    assert notes[0].message == "role `adjuster` gains contest"
    assert notes[1].message == "role `adjuster` loses review (may now read, contest)"


def test_a_role_added_and_a_role_removed_are_announced() -> None:
    """A new role says what it may do; a removed one says what it could do."""
    after = copy.deepcopy(BASE)
    removed = after["users"].pop(2)["role"]
    after["users"].append({"role": "supervisor", "description": "Oversees.", "can": ["review"]})
    assert notes_between(BASE, after) == [("role-added", "supervisor"), ("role-removed", removed)]


def test_a_regime_added_announces_its_controls() -> None:
    """Adding SOC 2 announces each of its controls, naming the regime and the control."""
    after = copy.deepcopy(BASE)
    after["regulatory"]["regimes"].append("soc2")
    notes = review_notes(context_of(BASE), context_of(after))
    assert notes and all(n.kind == "control-added" for n in notes)
    assert "soc2/cc6-1" in {n.subject for n in notes}
    assert any(n.message.startswith("control SOC 2 cc6-1 added: ") for n in notes)


def test_a_regime_removed_drops_its_controls() -> None:
    """Removing GDPR announces each of its controls as dropped."""
    after = copy.deepcopy(BASE)
    after["regulatory"]["regimes"].remove("gdpr")
    kinds = {kind for kind, subject in notes_between(BASE, after) if subject.startswith("gdpr/")}
    assert kinds == {"control-dropped"}


def test_a_criterion_removed_and_one_added_are_announced() -> None:
    """A removed criterion and an added one are named by id."""
    after = copy.deepcopy(BASE)
    gone = after["acceptance_criteria"].pop(0)
    after["acceptance_criteria"].append({**gone, "id": "AC-99"})
    assert notes_between(BASE, after) == [
        ("criterion-added", "AC-99"),
        ("criterion-removed", gone["id"]),
    ]


def test_shorter_retention_is_announced() -> None:
    """Keeping records for fewer days is announced with both figures."""
    after = copy.deepcopy(BASE)
    after["regulatory"]["retention_days"] = 3650
    (note,) = review_notes(context_of(BASE), context_of(after))
    assert note.kind == "retention-changed"
    assert "3650 days instead of 730" in note.message


def test_a_service_from_before_users_can_gets_least_privilege_announced() -> None:
    """A service recorded before permissions existed: every role's lost grants are named."""
    legacy = context_of(BASE)
    del legacy["permissions"]
    notes = review_notes(legacy, context_of(BASE))
    lost = {n.subject: n.message for n in notes if n.kind == "permission-lost"}
    assert lost["adjuster"] == "role `adjuster` loses request, contest, sign (may now read, review)"
    assert "admin" in lost and set(lost) >= {"adjuster", "intake-clerk", "auditor"}


def test_a_pipeline_from_before_users_can_announces_its_new_checks() -> None:
    """A pipeline recorded before permissions existed: each role's new limits are named."""
    pipeline = edited(kind="pipeline")
    legacy = context_of(pipeline)
    del legacy["permissions"]
    notes = review_notes(legacy, context_of(pipeline))
    assert {n.subject for n in notes} >= {"adjuster", "auditor", "admin"}
    assert all("enforces users[].can" in n.message for n in notes)


def test_an_unreadable_record_announces_nothing() -> None:
    """A recorded answer that is not a mapping gives no note (and no error)."""
    assert review_notes("not a context", context_of(BASE)) == ()
    assert review_notes({"controls": "x", "criteria": [1], "permissions": []}, {}) == ()
