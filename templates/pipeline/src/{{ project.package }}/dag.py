"""The pipeline as an Apache Airflow DAG: the stages of ``<name> run``, one TaskFlow task each.

``start → validate → train → publish → finish``, where ``finish`` runs whatever happened
before it (it records the run), exactly as :func:`.pipeline.run` chains :mod:`.stages`. The
tasks read the same settings from the same environment variables as the command line
(:meth:`.settings.Settings.from_env`), so both runners write the same outputs, lineage and
audit records; give the Airflow workers that environment, and an output folder they share.
With ``<PREFIX>DATABASE_URL`` every task writes to the one audit chain on PostgreSQL.

- Schedule: ``<PREFIX>SCHEDULE`` (a cron expression or an Airflow preset such as
  ``@hourly``; ``none`` for manual runs only), :data:`DEFAULT_SCHEDULE` by default (the
  deployment's CronJob schedule: spec.yaml has no schedule).
- Retries: :data:`RETRIES`, :data:`RETRY_DELAY` apart; refusals that a retry cannot change
  (a broken extract, a failed gate, a bad setting, an unmigrated database) fail at once. A
  database server that cannot be reached is retried.
- Time: each task stops after :data:`TASK_TIMEOUT` and a run after :data:`RUN_TIMEOUT`. When
  spec.yaml sets ``monitoring.latency_p95_ms``, a run not finished within it since it was
  queued is late: a deadline alert pages the operations owner (the run goes on).
- Failures page the operations owner from spec.yaml: an audit record and
  ``output/alerts/airflow-*.json`` (for the alert routing that reads them), and an e-mail
  through Airflow's SMTP connection when the owner is an e-mail address.
- The kill switch skips the run; the refusal is audited, as for ``<name> run``.
- A run scores only with the model a second person approved: with none approved yet the
  publish task is skipped (its candidate waits for promotion) and the run fails, as
  ``<name> run`` exits 3.

Airflow is an optional extra: ``pip install -e '.[airflow]'`` (see README.md).
"""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from airflow.sdk import DAG, get_current_context, task

# airflow.sdk exports these too, but its type stub does not list them
from airflow.sdk.definitions.callback import SyncCallback
from airflow.sdk.definitions.deadline import DeadlineAlert, DeadlineReference
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

from . import project, stages
from .contract import ContractError
from .database import DatabaseNotMigrated, DatabaseUnavailable
from .pipeline import refuse, stopped
from .promote import PromotionError
from .settings import PREFIX, RUNNER_ROLE, Settings, SettingsError
from .stages import AwaitingApproval
from .steps import GateError

SCHEDULE_ENV = PREFIX + "SCHEDULE"
DEFAULT_SCHEDULE = str((project.project().get("deploy") or {}).get("schedule") or "0 2 * * *")
"""When the DAG runs unless ``<PREFIX>SCHEDULE`` says otherwise: the CronJob's schedule in
deploy/ (spec.yaml has no schedule), daily at 02:00 UTC."""
START = datetime(2024, 1, 1, tzinfo=UTC)
"""The first day the schedule counts from; runs before today are never caught up."""
RETRIES = 2
RETRY_DELAY = timedelta(minutes=5)
TASK_TIMEOUT = timedelta(hours=6)
RUN_TIMEOUT = timedelta(hours=12)
TASK_FAILED_ACTION = "alert.task-failed"
RUN_LATE_ACTION = "alert.run-late"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_REFUSALS = (ContractError, GateError, PromotionError, SettingsError)
"""Failures a retry cannot change."""


def schedule() -> str | None:
    """Return the DAG's schedule: ``<PREFIX>SCHEDULE``, else :data:`DEFAULT_SCHEDULE`."""
    value = os.environ.get(SCHEDULE_ENV, "").strip() or DEFAULT_SCHEDULE
    return None if value.lower() == "none" else value


def objective() -> timedelta | None:
    """Return how long a run should take at most (spec.yaml's latency objective), if set."""
    seconds = project.pipeline().get("run_objective_seconds")
    return None if seconds is None else timedelta(seconds=float(seconds))


def paged() -> dict[str, Any]:
    """Return who a failure pages: the operations owner, and the escalation route."""
    spec = project.spec()
    boundary = spec.get("operating_boundary") or {}
    return {"operations": spec["owners"]["operations"], "escalation": boundary.get("escalation")}


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as err:
        raise AirflowFailException(str(err)) from err


@contextmanager
def _database() -> Iterator[None]:
    """Fail the task when the audit database cannot be used: retried only if unreachable.

    Its refusals end a command line (they are :class:`SystemExit`); a task raises instead.
    """
    try:
        yield
    except DatabaseNotMigrated as err:
        raise AirflowFailException(str(err.code)) from None
    except DatabaseUnavailable as err:
        raise RuntimeError(str(err.code)) from None


def _stage(name: str, run: str) -> str:
    """Run one stage of ``run``; a refusal fails the task without a retry."""
    settings = _settings()
    step = {"validate": stages.validate, "train": stages.train, "publish": stages.publish}[name]
    try:
        with _database():
            step(settings, run)
    except AwaitingApproval as err:
        raise AirflowSkipException(str(err)) from err
    except _REFUSALS as err:
        raise AirflowFailException(f"{type(err).__name__}: {err}") from err
    return run


def start() -> str:
    """Open the run (skipped while the kill switch is on); return its id for the next tasks."""
    settings = _settings()
    with _database(), settings.audit_log() as store:  # a run starts only where records are kept
        reason = stopped(settings, store)
        if reason:
            refuse(settings, store, f"kill switch: {reason}")
            raise AirflowSkipException(f"the kill switch is on ({reason}); nothing was run")
    context = get_current_context()
    dag_run = context.get("dag_run")
    orchestrator = {
        "name": "airflow",
        "dag_id": str(getattr(dag_run, "dag_id", "")),
        "dag_run_id": str(getattr(dag_run, "run_id", "")),
    }
    return stages.start(settings, orchestrator=orchestrator)


def validate(run: str) -> str:
    """Ingest the extract and check it against the contract."""
    return _stage("validate", run)


def train(run: str) -> str:
    """Split, fit the candidate and evaluate its gate."""
    return _stage("train", run)


def publish(run: str) -> str:
    """Keep the candidate; score with the approved model (skipped while none is approved)."""
    return _stage("publish", run)


def finish(run: str | None) -> None:
    """Record the run whatever happened before; fail the DAG run unless it published."""
    if run is None:
        raise AirflowSkipException("no run was started")
    with _database():
        outcome = stages.finish(_settings(), run)
    if not outcome.ok:
        raise AirflowFailException(outcome.summary())


def notify_failure(context: Mapping[str, Any]) -> None:
    """Page the operations owner about a failed task: an audit record and an alert file."""
    ti = context.get("ti")
    dag_run = context.get("dag_run")
    error = context.get("exception")
    _alert(
        TASK_FAILED_ACTION,
        {
            "dag_id": str(getattr(dag_run, "dag_id", "")),
            "dag_run_id": str(getattr(dag_run, "run_id", "")),
            "task_id": str(getattr(ti, "task_id", "")),
            "try_number": getattr(ti, "try_number", None),
            "error": f"{type(error).__name__}: {error}" if error is not None else None,
        },
    )


def notify_late(context: Mapping[str, Any] | None = None, **kwargs: Any) -> None:
    """Page the operations owner about a run not finished within spec.yaml's objective."""
    del kwargs  # Airflow passes the deadline's own arguments; the alert needs none
    dag_run = (context or {}).get("dag_run")
    limit = objective()
    _alert(
        RUN_LATE_ACTION,
        {
            "dag_run_id": str(getattr(dag_run, "run_id", "")),
            "objective_seconds": limit.total_seconds() if limit else None,
        },
    )


def _alert(action: str, details: dict[str, Any]) -> None:
    """Write the alert file, then its audit record (the file pages even without a database)."""
    settings = Settings.from_env()
    alert = {**details, **paged(), "at": datetime.now(UTC).isoformat()}
    path = settings.output_dir / "alerts" / f"airflow-{uuid.uuid4().hex}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(alert, indent=2, ensure_ascii=False), encoding="utf-8")
    with _database(), settings.audit_log() as store:
        store.record(
            actor=settings.runner,
            role=RUNNER_ROLE,
            action=action,
            resource="pipeline",
            outcome="raised",
            request_id=str(details.get("dag_run_id", "")),
            details=alert,
        )


def failure_callbacks() -> list[Any]:
    """The callbacks of a failed task: the alert, and an e-mail when the owner has an address."""
    callbacks: list[Any] = [notify_failure]
    owner = str(paged()["operations"])
    if _EMAIL.match(owner):
        from airflow.providers.smtp.notifications.smtp import SmtpNotifier

        callbacks.append(
            SmtpNotifier(
                to=owner,
                subject=f"{project.name()}: task {{{{ ti.task_id }}}} failed",
                html_content="Run {{ run_id }} failed at {{ ti.task_id }}; see docs/runbook.md.",
            )
        )
    return callbacks


def build_dag() -> Any:
    """Return the DAG: the run's stages as TaskFlow tasks, with retries, timeouts and alerts."""
    late = objective()
    deadline = (
        DeadlineAlert(
            reference=DeadlineReference.DAGRUN_QUEUED_AT,
            interval=late,
            callback=SyncCallback(notify_late),
        )
        if late is not None
        else None
    )
    with DAG(
        dag_id=project.name(),
        description=str(project.spec()["title"])[:200],
        schedule=schedule(),
        start_date=START,
        catchup=False,
        max_active_runs=1,
        dagrun_timeout=RUN_TIMEOUT,
        deadline=deadline,
        tags=["new-ai-project", "pipeline"],
        default_args={
            "owner": str(paged()["operations"]),
            "retries": RETRIES,
            "retry_delay": RETRY_DELAY,
            "execution_timeout": TASK_TIMEOUT,
            "on_failure_callback": failure_callbacks(),
        },
    ) as pipeline:
        run = task(task_id="start", retries=0)(start)()
        validated = task(task_id="validate")(validate)(run)
        trained = task(task_id="train")(train)(validated)
        published = task(task_id="publish")(publish)(trained)
        closed = task(task_id="finish", trigger_rule="all_done", retries=0, on_failure_callback=[])(
            finish
        )(run)
        published >> closed
    return pipeline
