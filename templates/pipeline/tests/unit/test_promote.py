"""Unit tests for promotion: only gated candidates, by a proven operator, always four eyes."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import skops.io as sio

from ..package import (
    APPROVE_ACTION,
    PROMOTE_ACTION,
    RUN_ACTION,
    SIGNATURE_REQUIRED,
    AccessDenied,
    AuditStore,
    Identity,
    Model,
    Promotion,
    PromotionError,
    PromotionRequest,
    Settings,
    Signer,
    approve,
    find_candidate,
    production,
    promote,
    steps,
)
from tests.support import identity, role_with, role_without


@pytest.fixture
def path(settings: Settings, candidate: Model) -> Path:
    """The file of the candidate a run trained and kept (its gate passed)."""
    return find_candidate(settings.output_dir, candidate.version)


def _approver() -> Identity:
    """A second person who may approve (and sign, when signatures are required)."""
    permissions = ("review", "sign") if SIGNATURE_REQUIRED else ("review",)
    return identity(role_with(*permissions), "b")


def _signed_by(by: Identity) -> Signer:
    """A signer standing in for the e-signature step: it signs for ``by``, bound to the model."""

    def sign(request: PromotionRequest) -> Mapping[str, Any]:
        return {"signer": by.actor, "subject_sha256": request.model_sha256}

    return sign


def _request(path: Path, settings: Settings, store: AuditStore, by: Identity) -> PromotionRequest:
    return promote(path, output_dir=settings.output_dir, store=store, by=by, reason="better")


def _approve(
    request: PromotionRequest, settings: Settings, store: AuditStore, by: Identity
) -> Promotion:
    return approve(
        request.model_version,
        output_dir=settings.output_dir,
        store=store,
        by=by,
        signer=_signed_by(by),
    )


def test_a_model_no_run_passed_through_the_gate_cannot_be_promoted(
    settings: Settings, store: AuditStore, records: pl.DataFrame
) -> None:
    """A model file beside a passing gate.json is not enough: the run record must say so."""
    model = steps.train(records.head(records.height // 2))
    folder = settings.output_dir / "runs" / "forged"
    steps.keep_candidate(folder, model, steps.evaluate(model, steps.transform(records)))
    path = find_candidate(settings.output_dir, model.version)
    with pytest.raises(PromotionError, match="evaluation gate"):
        _request(path, settings, store, identity(role_with("operate")))
    assert store.records(action=RUN_ACTION) == []


def test_a_model_file_holding_untrusted_types_cannot_be_promoted(
    path: Path, settings: Settings, store: AuditStore
) -> None:
    """A file skops does not trust matches no gated run's SHA-256: refused, never loaded."""
    path.write_bytes(sio.dumps({"estimator": Path("smuggled")}))
    with pytest.raises(PromotionError, match="cannot be promoted"):
        _request(path, settings, store, identity(role_with("operate")))
    assert production(store) is None


def test_an_unknown_model_version_is_not_found(tmp_path: Path) -> None:
    """Promoting a version that was never kept fails clearly."""
    with pytest.raises(PromotionError, match="no candidate model"):
        find_candidate(tmp_path, "m-000000000000")


def test_a_role_that_may_not_operate_cannot_promote(
    path: Path, settings: Settings, store: AuditStore
) -> None:
    """Promotion is for roles holding ``operate`` in spec.yaml only."""
    with pytest.raises(AccessDenied):
        _request(path, settings, store, identity(role_without("operate")))


def test_a_promotion_waits_for_a_second_person(
    path: Path, settings: Settings, store: AuditStore
) -> None:
    """The promoter's request changes nothing until someone else approves it."""
    promoter = identity(role_with("operate"))
    request = _request(path, settings, store, promoter)
    assert production(store) is None
    approver = _approver()
    done = _approve(request, settings, store, approver)
    assert (done.actor, done.approver) == (promoter.actor, approver.actor)
    live = production(store)
    assert live is not None and live.approver == approver.actor
    (record,) = store.records(action=PROMOTE_ACTION)
    assert store.authentic(record)


def test_the_promoter_cannot_approve_their_own_promotion(
    path: Path, settings: Settings, store: AuditStore
) -> None:
    """The same person in a reviewing role is refused, the refusal audited, nothing promoted."""
    request = _request(path, settings, store, identity(role_with("operate")))
    same_person = Identity(actor=request.promoter, role=role_with("review"))
    with pytest.raises(PromotionError, match="promoter may not approve"):
        _approve(request, settings, store, same_person)
    assert production(store) is None
    (denied,) = store.records(action=APPROVE_ACTION)
    assert (denied.actor, denied.outcome) == (request.promoter, "denied")


def test_a_role_without_review_cannot_approve(
    path: Path, settings: Settings, store: AuditStore
) -> None:
    """Approving is for roles holding ``review`` in spec.yaml only."""
    request = _request(path, settings, store, identity(role_with("operate")))
    with pytest.raises(AccessDenied):
        _approve(request, settings, store, identity(role_without("review"), "b"))
    assert production(store) is None


def test_an_approved_promotion_cannot_be_approved_again(
    path: Path, settings: Settings, store: AuditStore
) -> None:
    """A resolved request stays resolved."""
    request = _request(path, settings, store, identity(role_with("operate")))
    approver = _approver()
    _approve(request, settings, store, approver)
    with pytest.raises(PromotionError, match="already approved"):
        _approve(request, settings, store, approver)


def test_a_model_changed_after_the_request_is_refused(
    path: Path, settings: Settings, store: AuditStore, records: pl.DataFrame
) -> None:
    """The approval is for the model that was requested, byte for byte."""
    request = _request(path, settings, store, identity(role_with("operate")))
    other = steps.train(records.head(records.height // 2))  # another valid model
    assert other.version != request.model_version
    path.write_bytes(other.data)
    with pytest.raises(PromotionError):
        _approve(request, settings, store, _approver())
    assert production(store) is None


def test_no_promotion_request_means_nothing_to_approve(
    candidate: Model, settings: Settings, store: AuditStore
) -> None:
    """An approval without a request is refused."""
    with pytest.raises(PromotionError, match="awaits approval"):
        approve(
            candidate.version,
            output_dir=settings.output_dir,
            store=store,
            by=identity(role_with("review")),
        )
