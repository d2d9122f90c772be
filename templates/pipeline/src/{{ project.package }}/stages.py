"""One run as five stages over a run folder, shared by ``<name> run`` and the Airflow DAG.

``start`` opens the run (its record and the OpenLineage START event); ``validate`` ingests
and checks the extract; ``train`` fits a candidate model on it and evaluates the candidate's
gate; ``publish`` keeps the candidate (when it passed, for a person to promote) and the
quarantine file, then scores with the production model, the one a second person approved
(:func:`.promote.production_model`), when it also passes the gate on this run's data;
``finish`` closes the run whatever happened: the lineage record in the audit log and beside
the outputs, the gate alert, the metrics file and the OpenLineage COMPLETE or FAIL event.

Training yields a candidate, never a published score: with no approved model a run scores
nothing and says so (``no approved model; candidate m-... awaits promotion``).

Each stage reads what the one before it left in ``runs/<run id>/work/`` (the run record as
JSON, the checked rows as Arrow IPC files, the candidate model as a skops file), so the
command line runs them one after the other in one process and Airflow runs them as tasks,
possibly on different workers sharing the output folder, with the same result. ``finish``
removes the work folder.

The stages that write audit records (``validate``, ``publish``, ``finish``) take the audit
log the caller opened (:func:`.pipeline.run` opens one for the whole run), or open their
own for the stage, as an Airflow task does (:meth:`.settings.Settings.audit_log`).

A run is unattended (a scheduler starts it) and needs no credential, so it claims no person:
its records name the OS account running it as the runner, under the role
:data:`.settings.RUNNER_ROLE`, which holds no permission.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl

from . import __version__, project, run_events, steps
from .audit import AuditStore
from .contract import REASON, VERSION
from .lineage import (
    QUARANTINE_LISTED,
    RunRecord,
    append_run,
    file_sha256,
    utc_iso,
    write_run_file,
)
from .metrics import RunMetrics, write_textfile
from .model import Model
from .promote import production_model
from .settings import RUNNER_ROLE, Settings

DATA_READ = "data.read"
DATA_WRITE = "data.write"
ALERT_ACTION = "alert.gate-failed"
WORK = "work"
AWAITING = "awaiting-approval"
"""The outcome of a run with no approved model: its candidate waits, nothing is scored."""


class AwaitingApproval(RuntimeError):
    """No model is approved for production: nothing was scored (the candidate waits)."""


@dataclass(frozen=True)
class RunFolder:
    """Where one run keeps its outputs and, until it finishes, its work between stages."""

    settings: Settings
    run_id: str

    @property
    def out_dir(self) -> Path:
        """Return the run's output folder."""
        return self.settings.output_dir / "runs" / self.run_id

    @property
    def work(self) -> Path:
        """Return the folder of what one stage hands to the next."""
        return self.out_dir / WORK

    def load(self) -> RunRecord:
        """Read the run record as the last stage left it."""
        data = json.loads((self.work / "record.json").read_text(encoding="utf-8"))
        return RunRecord.from_dict(data)

    def save(self, record: RunRecord) -> None:
        """Keep the run record for the next stage."""
        self.work.mkdir(parents=True, exist_ok=True)
        (self.work / "record.json").write_text(json.dumps(record.as_dict()), encoding="utf-8")


@dataclass(frozen=True)
class RunOutcome:
    """What a run did: its record, where its outputs are, and its metrics file."""

    record: RunRecord
    out_dir: Path
    metrics_path: Path

    @property
    def ok(self) -> bool:
        """Tell whether the run published scores."""
        return self.record.outcome == "success"

    @property
    def awaiting_approval(self) -> bool:
        """Tell whether the run scored nothing because no model is approved yet."""
        return self.record.outcome == AWAITING

    def summary(self) -> str:
        """Describe the run in one line."""
        r = self.record
        head = f"run {r.run_id}: {r.rows_in} rows in, {r.rows_quarantined} quarantined"
        candidate = _candidate(r)
        if self.ok:
            return f"{head}, scored with model {r.model_version}, published to {self.out_dir}; {candidate}"
        if self.awaiting_approval:
            return f"no approved model; {candidate}; nothing scored ({head})"
        if r.outcome == "gate-failed":
            failed = r.gate or r.candidate.get("gate") or {"checks": []}
            failures = "; ".join(steps.GateResult.from_dict(failed).failures())
            which = f"model {r.model_version}" if r.gate else "candidate"
            return (
                f"evaluation gate failed for the {which} ({failures}); nothing published, "
                f"alert raised ({head})"
            )
        return f"run failed: {r.error} ({head})"


def _candidate(record: RunRecord) -> str:
    """What became of the run's candidate, in a few words."""
    version = record.candidate.get("version")
    if not version:
        return "no candidate was trained"
    if not (record.candidate.get("gate") or {}).get("passed"):
        return f"candidate {version} failed the gate"
    if version == record.model_version:
        return f"candidate {version} is the production model"
    return f"candidate {version} awaits promotion (`{project.name()} promote {version}`)"


def start(
    settings: Settings,
    *,
    input_path: Path | None = None,
    orchestrator: dict[str, str] | None = None,
) -> str:
    """Open a run: its record, its folder and the OpenLineage START event; return its id."""
    record = RunRecord(
        source=str(input_path or settings.input_path),
        code_version=f"{__version__}+{settings.code_version}",
        contract_version=VERSION,
        runner=settings.runner,
        orchestrator=dict(orchestrator or {}),
        parameters={"holdout_every": project.pipeline()["holdout_every"]},
    )
    RunFolder(settings, record.run_id).save(record)
    run_events.emit(settings, run_events.started(record))
    return record.run_id


@contextmanager
def _stage(folder: RunFolder, name: str) -> Iterator[RunRecord]:
    """Load the run record, let a stage fill it, and keep it, recording a failure and time."""
    record = folder.load()
    if record.outcome == "error":  # a retried stage starts again
        record.outcome, record.error = "running", None
    started = time.perf_counter()
    try:
        yield record
    except steps.GateError:
        record.outcome = "gate-failed"
        raise
    except AwaitingApproval:
        record.outcome = AWAITING
        raise
    except Exception as err:
        record.outcome, record.error = "error", f"{type(err).__name__}: {err}"
        raise
    finally:
        record.stage_seconds[name] = round(time.perf_counter() - started, 3)
        folder.save(record)


def validate(settings: Settings, run_id: str, *, store: AuditStore | None = None) -> None:
    """Ingest the extract and check it against the contract; keep both outcomes for later.

    Raises:
        OSError: the extract cannot be read.
        ContractError: the extract lacks contract fields or is not well-formed CSV.
    """
    folder = RunFolder(settings, run_id)
    with _stage(folder, "validate") as record:
        path = Path(record.source)
        extract = steps.ingest(path)
        record.inputs = {str(path): extract.sha256}
        validated = steps.validate(extract)
        validated.records.write_ipc(folder.work / "records.arrow")
        validated.quarantined.write_ipc(folder.work / "quarantine.arrow")
        record.rows_in = validated.rows_in
        record.rows_valid = validated.records.height
        record.rows_quarantined = validated.quarantined.height
        listed = validated.quarantined.head(QUARANTINE_LISTED).select("line", REASON)
        record.quarantined = listed.to_dicts()
        reasons = validated.quarantined.get_column(REASON).value_counts(name="n")
        record.quarantine_reasons = dict(
            zip(
                reasons.get_column(REASON).to_list(), reasons.get_column("n").to_list(), strict=True
            )
        )
        details = {"sha256": extract.sha256, "rows": record.rows_in}
        with _audit_log(settings, store) as log:
            _data_access(log, settings, record, DATA_READ, path, details)


def train(settings: Settings, run_id: str) -> None:
    """Split, fit the candidate model and evaluate its gate (it is only ever a candidate).

    Raises:
        ValueError: there is nothing to train on.
    """
    folder = RunFolder(settings, run_id)
    with _stage(folder, "train") as record:
        records = pl.read_ipc(folder.work / "records.arrow")
        split = steps.transform(records)
        model = steps.train(split.train)
        model.save(folder.work / "model.skops")
        gate = steps.evaluate(model, split)
        record.candidate = {
            "version": model.version,
            "sha256": model.sha256,
            "gate": gate.as_dict(),
        }
        record.parameters = {
            **record.parameters,
            **model.params,
            "task": model.task,
            "rows_train": split.train.height,
            "rows_holdout": split.holdout.height,
        }


def publish(settings: Settings, run_id: str, *, store: AuditStore | None = None) -> None:
    """Keep the candidate and the quarantine file; score with the production model, if any.

    Scores are published only by the model a second person approved, and only when it also
    passes the gate on this run's held-out records.

    Raises:
        AwaitingApproval: no model is approved yet; nothing was scored.
        GateError: the candidate failed its gate and nothing is approved, or the production
            model failed the gate on this run's data; nothing was scored.
        PromotionError: the approval in the audit log, or the approved file, does not verify.
    """
    folder = RunFolder(settings, run_id)
    with _stage(folder, "publish") as record, _audit_log(settings, store) as log:
        candidate = Model.load(folder.work / "model.skops")
        if candidate.version != record.candidate.get("version"):
            raise ValueError("the candidate model changed since it was evaluated")
        candidate_gate = steps.GateResult.from_dict(record.candidate["gate"])
        records = pl.read_ipc(folder.work / "records.arrow")
        quarantined = pl.read_ipc(folder.work / "quarantine.arrow")
        written = [steps.write_quarantine(folder.out_dir, quarantined, settings.salt)]
        if candidate_gate.passed:
            written += steps.keep_candidate(folder.out_dir, candidate, candidate_gate)
        try:
            live = production_model(log, settings.output_dir)
            scorer = live[1] if live is not None else candidate
            drift = steps.drift_report(scorer, records)
            record.drift, record.drift_unseen = drift.psi, drift.unseen
            if live is None:
                if not candidate_gate.passed:
                    raise steps.GateError(
                        "evaluation gate failed: " + "; ".join(candidate_gate.failures())
                    )
                raise AwaitingApproval(f"no approved model; {_candidate(record)}")
            model = live[1]
            gate = steps.evaluate(model, steps.transform(records))
            record.model_version, record.gate = model.version, gate.as_dict()
            written.append(
                steps.publish(folder.out_dir, gate=gate, scores=steps.score(model, records))
            )
            record.outcome = "success"
        finally:
            record.outputs = {str(p): file_sha256(p) for p in written}
            for p in written:
                details = {"sha256": record.outputs[str(p)]}
                _data_access(log, settings, record, DATA_WRITE, p, details)


def finish(settings: Settings, run_id: str, *, store: AuditStore | None = None) -> RunOutcome:
    """Close a run whatever its outcome: lineage, audit, alert, metrics, OpenLineage."""
    folder = RunFolder(settings, run_id)
    record = folder.load()
    if record.outcome == "running":
        record.outcome = "error"
        record.error = record.error or "the run stopped before it finished"
    record.finished_at = utc_iso()
    write_run_file(folder.out_dir, record)
    with _audit_log(settings, store) as log:
        append_run(log, record, actor=settings.runner, role=RUNNER_ROLE)
        candidate_failed = record.candidate and not (record.candidate.get("gate") or {}).get(
            "passed"
        )
        if record.outcome == "gate-failed" or candidate_failed:
            _raise_alert(log, settings, record)
    metrics_path = write_textfile(
        settings.output_dir / "metrics" / f"{project.package()}.prom",
        RunMetrics(
            duration_seconds=_seconds(record.started_at, record.finished_at),
            rows_in=record.rows_in,
            rows_quarantined=record.rows_quarantined,
            gate_passed=record.outcome in ("success", AWAITING),
            awaiting_approval=record.outcome == AWAITING,
            finished_at=time.time(),
            psi=record.drift,
            unseen=record.drift_unseen,
            measures={
                c["metric"]: c["value"]
                for c in (record.gate or record.candidate.get("gate") or {}).get("checks", [])
                if c["metric"]
            },
        ),
    )
    run_events.emit(settings, run_events.finished(record))
    shutil.rmtree(folder.work, ignore_errors=True)
    return RunOutcome(record, folder.out_dir, metrics_path)


def _seconds(started: str, finished: str) -> float:
    fmt = "%Y-%m-%dT%H:%M:%S.%fZ"
    return (datetime.strptime(finished, fmt) - datetime.strptime(started, fmt)).total_seconds()


def _audit_log(settings: Settings, store: AuditStore | None) -> AbstractContextManager[AuditStore]:
    """The caller's audit log, or one opened (and closed) for this stage."""
    return nullcontext(store) if store is not None else settings.audit_log()


def _data_access(
    store: AuditStore,
    settings: Settings,
    record: RunRecord,
    action: str,
    path: Path,
    details: dict[str, Any],
) -> None:
    store.record(
        actor=settings.runner,
        role=RUNNER_ROLE,
        action=action,
        resource=str(path),
        outcome="success",
        request_id=record.run_id,
        model_version=record.model_version or "",
        details={**details, "contract_version": record.contract_version},
    )


def _raise_alert(store: AuditStore, settings: Settings, record: RunRecord) -> Path:
    alert = {
        "run_id": record.run_id,
        "at": record.finished_at,
        "gate": record.gate,
        "candidate": record.candidate,
        "contract_version": record.contract_version,
        "escalation": (project.spec().get("operating_boundary") or {}).get("escalation"),
    }
    store.record(
        actor=settings.runner,
        role=RUNNER_ROLE,
        action=ALERT_ACTION,
        resource="pipeline",
        outcome="raised",
        request_id=record.run_id,
        model_version=record.model_version or "",
        details=alert,
    )
    path = settings.output_dir / "alerts" / f"{record.run_id}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(alert, indent=2, ensure_ascii=False), encoding="utf-8")
    return path
