"""OpenLineage run events: START when a run begins, COMPLETE or FAIL when it ends.

They go beside the audit chain (which stays the record of authority) so that Marquez,
DataHub or a cloud data catalogue can ingest each run: its job, its input extract with the
contract's schema, its row counts, and the files it published, each with its hash.

By default events are appended, one JSON object per line, to
``<output dir>/lineage/openlineage.jsonl`` (openlineage-python's file transport). Set
``OPENLINEAGE_URL`` (and ``OPENLINEAGE_API_KEY``), ``OPENLINEAGE_CONFIG`` or
``OPENLINEAGE__TRANSPORT__*`` to send them elsewhere, as OpenLineage documents;
``OPENLINEAGE_DISABLED=true`` turns them off. ``OPENLINEAGE_NAMESPACE`` names the job's
namespace (default: the project's name).
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.facet_v2 import (
    DatasetFacet,
    RunFacet,
    data_quality_metrics_input_dataset,
    dataset_version_dataset,
    error_message_run,
    job_type_job,
    output_statistics_output_dataset,
    schema_dataset,
)
from openlineage.client.transport.file import FileConfig, FileTransport

from . import __version__, project
from .contract import FIELDS
from .lineage import RunRecord
from .settings import Settings

COMPLETED = ("success", "awaiting-approval")
"""Run outcomes sent as COMPLETE (the other ones as FAIL)."""
PRODUCER = f"urn:{project.name()}:{__version__}"
"""Who produced the events: this pipeline and its version."""
_CONFIGURED = ("OPENLINEAGE_URL", "OPENLINEAGE_CONFIG")


def events_file(settings: Settings) -> Path:
    """Return the file events are appended to when no other transport is configured."""
    return settings.output_dir / "lineage" / "openlineage.jsonl"


def client(settings: Settings) -> OpenLineageClient:
    """Return a client: OpenLineage's own configuration if set, else the file transport."""
    if any(name in os.environ for name in _CONFIGURED) or any(
        name.startswith("OPENLINEAGE__") for name in os.environ
    ):
        return OpenLineageClient()
    path = events_file(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    return OpenLineageClient(
        transport=FileTransport(FileConfig(log_file_path=str(path), append=True))
    )


def started(record: RunRecord) -> RunEvent:
    """Return the START event of a run."""
    return RunEvent(
        eventType=RunState.START,
        eventTime=record.started_at,
        run=Run(runId=_run_id(record)),
        job=_job(),
        inputs=[_input(record)],
        producer=PRODUCER,
    )


def finished(record: RunRecord) -> RunEvent:
    """Return the COMPLETE event of a run that did its part, or the FAIL event of any other.

    A run that kept its candidate for approval (nothing approved to score with) completed:
    its outputs are the candidate and the quarantine.
    """
    facets: dict[str, RunFacet] = {}
    completed = record.outcome in COMPLETED
    if not completed:
        message = record.error or f"run outcome: {record.outcome}"
        facets["errorMessage"] = error_message_run.ErrorMessageRunFacet(
            message=message, programmingLanguage="python"
        )
    return RunEvent(
        eventType=RunState.COMPLETE if completed else RunState.FAIL,
        eventTime=record.finished_at or record.started_at,
        run=Run(runId=_run_id(record), facets=facets),
        job=_job(),
        inputs=[_input(record)],
        outputs=[_output(path, digest, record) for path, digest in sorted(record.outputs.items())],
        producer=PRODUCER,
    )


def emit(settings: Settings, event: RunEvent) -> None:
    """Send one event with the configured transport."""
    client(settings).emit(event)


def _run_id(record: RunRecord) -> str:
    return str(uuid.UUID(hex=record.run_id))


def _job() -> Job:
    return Job(
        namespace=os.environ.get("OPENLINEAGE_NAMESPACE") or project.name(),
        name=project.name(),
        facets={
            "jobType": job_type_job.JobTypeJobFacet(
                processingType="BATCH", integration="NEW_AI_PROJECT", jobType="JOB"
            )
        },
    )


def _input(record: RunRecord) -> InputDataset:
    schema = schema_dataset.SchemaDatasetFacet(
        fields=[
            schema_dataset.SchemaDatasetFacetFields(name=f.name, type=f.type, description=f.role)
            for f in FIELDS
        ]
    )
    facets: dict[str, DatasetFacet] = {"schema": schema}
    digest = record.inputs.get(record.source)
    if digest:
        facets["version"] = dataset_version_dataset.DatasetVersionDatasetFacet(
            datasetVersion=digest
        )
    quality = data_quality_metrics_input_dataset.DataQualityMetricsInputDatasetFacet(
        columnMetrics={}, rowCount=record.rows_in
    )
    return InputDataset(
        namespace="file",
        name=str(Path(record.source).resolve()),
        facets=facets,
        inputFacets={"dataQualityMetrics": quality},
    )


def _output(path: str, digest: str, record: RunRecord) -> OutputDataset:
    rows = {"scores.csv": record.rows_valid, "quarantine.csv": record.rows_quarantined}
    statistics = output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(
        rowCount=rows.get(Path(path).name), size=Path(path).stat().st_size
    )
    return OutputDataset(
        namespace="file",
        name=str(Path(path).resolve()),
        facets={
            "version": dataset_version_dataset.DatasetVersionDatasetFacet(datasetVersion=digest)
        },
        outputFacets={"outputStatistics": statistics},
    )
