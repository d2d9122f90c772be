"""Governance gates the path that acts: scores come only from a model two people put live.

Attacks from a security review, each refused: a run that scores with the model it just
trained, a promotion without a second person, a file naming a "production" model, an
approval written into the database without the audit key. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from ..package import (
    PROMOTE_ACTION,
    AuditStore,
    Database,
    Model,
    Settings,
    find_candidate,
    production,
    promote,
    run,
)
from tests.support import (
    Cli,
    approve_model,
    identity,
    role_with,
    run_with_an_approved_model,
)


def _scored(settings: Settings) -> list[Path]:
    return sorted((settings.output_dir / "runs").glob("*/scores.csv"))


def test_the_first_run_scores_nothing_and_says_the_candidate_awaits_promotion(
    cli: Cli, settings: Settings
) -> None:
    """Training yields a candidate, never a published score: exit 3, nothing scored."""
    done = cli(["run"])
    assert done.code == 3, done.out + done.err
    assert "no approved model; candidate m-" in done.out and "awaits promotion" in done.out
    assert _scored(settings) == []
    (kept,) = (settings.output_dir / "runs").glob("*/model-*.skops")  # the candidate, kept
    assert kept.is_file()


def test_a_promotion_nobody_approved_scores_nothing(
    settings: Settings, store: AuditStore, candidate: Model
) -> None:
    """One person's promotion is only a request: the next run still scores nothing."""
    path = find_candidate(settings.output_dir, candidate.version)
    promote(
        path,
        output_dir=settings.output_dir,
        store=store,
        by=identity(role_with("operate")),
        reason="mine",
    )
    assert run(settings).awaiting_approval
    assert _scored(settings) == []


def test_a_file_naming_a_production_model_is_not_read(settings: Settings, candidate: Model) -> None:
    """Writing models/production.json (the pointer versions 0.4 trusted) puts nothing live."""
    pointer = settings.output_dir / "models" / "production.json"
    pointer.parent.mkdir(parents=True, exist_ok=True)
    pointer.write_text(
        json.dumps(
            {
                "model_version": candidate.version,
                "path": str(find_candidate(settings.output_dir, candidate.version)),
                "approver": "someone",
            }
        ),
        encoding="utf-8",
    )
    assert run(settings).awaiting_approval
    assert _scored(settings) == []


def test_an_approval_added_without_the_key_is_refused(
    settings: Settings, store: AuditStore, database: Database, candidate: Model
) -> None:
    """An approval record inserted with the database's own credentials scores nothing."""
    latest = store.records()[-1]
    details = {
        "model_version": candidate.version,
        "model_sha256": candidate.sha256,
        "actor": "op",
        "approver": "rev",
        "reason": "forged",
        "promoted_at": "2026-01-01T00:00:00.000000Z",
        "path": str(
            find_candidate(settings.output_dir, candidate.version).relative_to(settings.output_dir)
        ),
        "signature": {"signer": "rev", "subject_sha256": candidate.sha256},
    }
    row = {
        "event_id": "forged-approval",
        "ts": "2026-01-01T00:00:00.000000Z",
        "actor": "rev",
        "role": "reviewer",
        "action": PROMOTE_ACTION,
        "resource": f"model/{candidate.version}",
        "outcome": "success",
        "request_id": "",
        "model_version": candidate.version,
        "subject": None,
        "before": None,
        "after": None,
        "reason": "forged",
        "details": json.dumps(details, sort_keys=True),
        "prev_hash": latest.hash,
        "hash": "hmac-sha256:" + "0" * 64,
    }
    with database.transaction() as conn:
        columns, marks = ", ".join(row), ", ".join(f":{name}" for name in row)
        conn.execute(f"INSERT INTO audit_log ({columns}) VALUES ({marks})", row)  # noqa: S608 - test constants
    outcome = run(settings)
    assert not outcome.ok and "does not verify" in str(outcome.record.error)
    assert _scored(settings) == []


def test_scores_come_from_the_approved_model_not_the_new_candidate(
    settings: Settings, store: AuditStore, tmp_path: Path
) -> None:
    """Once approved, a model scores later runs; their own candidates wait for approval."""
    approved = run_with_an_approved_model(settings)
    version = approved.record.model_version
    with settings.input_path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    other = tmp_path / "other.csv"
    with other.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows[: len(rows) * 3 // 4])  # other data: another candidate
    later = run(settings, input_path=other)
    assert later.ok, later.summary()
    assert later.record.model_version == version
    assert later.record.candidate["version"] != version
    assert "awaits promotion" in later.summary()
    live = production(store)
    assert live is not None and live.model_version == version


def test_a_changed_production_model_file_scores_nothing(settings: Settings) -> None:
    """The approval binds the file's SHA-256: a model swapped on disk is refused."""
    first = run(settings)
    version = str(first.record.candidate["version"])
    approve_model(settings, version)
    path = find_candidate(settings.output_dir, version)
    path.write_bytes(path.read_bytes() + b"tampered")
    outcome = run(settings)
    error = str(outcome.record.error)
    assert not outcome.ok and ("cannot be loaded" in error or "not the approved" in error)
    assert _scored(settings) == []
