"""Integration tests: every privileged command proves its person; variables prove nothing.

Attacks from a security review, each refused: ``<PREFIX>ACTOR`` / ``<PREFIX>ROLE`` naming an
administrator, a wrong secret, one person promoting and approving, a role without
``review`` approving. Refusals are audited and change nothing.
"""

from __future__ import annotations

import pytest

from ..package import PREFIX, RUNNER_ROLE, AuditStore, Model, Settings, production, project, run
from tests.support import (
    Cli,
    person,
    role_with,
    role_without,
    secret,
    signing_secret,
)


def _promote(cli: Cli, model: Model, actor: str) -> int:
    args = ["promote", model.version, "--actor", actor, "--reason", "better"]
    return cli(args, secrets=[secret(actor)]).code


def _approve_args(model: Model, actor: str) -> list[str]:
    return ["approve", model.version, "--actor", actor]


@pytest.mark.parametrize("command", ["promote", "approve"])
def test_actor_and_role_variables_grant_nothing(
    command: str,
    cli: Cli,
    candidate: Model,
    settings: Settings,
    store: AuditStore,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An administrator named in ACTOR and ROLE is still asked to prove it, and cannot."""
    monkeypatch.setenv(PREFIX + "ACTOR", "admin")
    monkeypatch.setenv(PREFIX + "ROLE", project.admin_role())
    args = [command, candidate.version, "--actor", "admin"]
    if command == "promote":
        args += ["--reason", "r"]
    done = cli(args, secrets=["guessed-secret-123"])
    assert done.code == 1 and "could not be proven" in done.err
    assert production(store) is None
    denied = store.records()[-1]
    assert (denied.actor, denied.action, denied.outcome) == ("admin", command, "denied")


@pytest.mark.usefixtures("credentials")
def test_a_wrong_secret_is_refused(
    cli: Cli, candidate: Model, settings: Settings, store: AuditStore
) -> None:
    """A real operator's name with the wrong secret promotes nothing."""
    actor = person(role_with("operate"))
    args = ["promote", candidate.version, "--actor", actor, "--reason", "r"]
    done = cli(args, secrets=["not-the-secret-at-all"])
    assert done.code == 1 and "could not be proven" in done.err
    assert production(store) is None


@pytest.mark.usefixtures("credentials")
def test_promote_then_approve_by_the_same_person_is_refused(
    cli: Cli, candidate: Model, settings: Settings, store: AuditStore
) -> None:
    """The promoter cannot be the second person: refused, audited, exit 1, nothing promoted."""
    actor = person(role_with("operate"))
    assert _promote(cli, candidate, actor) == 0
    done = cli(_approve_args(candidate, actor), secrets=[secret(actor), signing_secret(actor)])
    assert done.code == 1 and done.err.startswith("error: ")
    assert production(store) is None
    assert store.records()[-1].outcome == "denied"


@pytest.mark.usefixtures("credentials")
def test_approve_by_a_role_without_review_is_refused(
    cli: Cli, candidate: Model, settings: Settings, store: AuditStore
) -> None:
    """A proven person whose role may not review cannot approve a promotion."""
    assert _promote(cli, candidate, person(role_with("operate"))) == 0
    approver = person(role_without("review"), "b")
    secrets = [secret(approver), signing_secret(approver)]
    done = cli(_approve_args(candidate, approver), secrets=secrets)
    assert done.code == 1 and "may not review" in done.err
    assert production(store) is None


@pytest.mark.usefixtures("credentials")
def test_two_proven_people_promote_a_model(
    cli: Cli, candidate: Model, settings: Settings, store: AuditStore
) -> None:
    """An operator promotes; another person approves (and signs, where spec.yaml asks it)."""
    promoter = person(role_with("operate"))
    assert _promote(cli, candidate, promoter) == 0
    assert production(store) is None  # a request changes nothing yet
    permissions = ("review", "sign") if project.has_feature("e-signature") else ("review",)
    approver = person(role_with(*permissions), "b")
    secrets = [secret(approver), signing_secret(approver)]
    done = cli(_approve_args(candidate, approver), secrets=secrets)
    assert done.code == 0, done.err
    live = production(store)
    assert live is not None
    assert (live.model_version, live.actor, live.approver) == (
        candidate.version,
        promoter,
        approver,
    )


def test_an_unattended_run_claims_no_person(settings: Settings, store: AuditStore) -> None:
    """A run's records name the OS account as runner, under a role holding no permission."""
    outcome = run(settings)
    assert outcome.awaiting_approval
    assert outcome.record.runner == settings.runner
    assert {(r.actor, r.role) for r in store.records()} == {(settings.runner, RUNNER_ROLE)}
