"""The deployment part of the render context: replicas and the pipeline's schedule.

The Kubernetes manifests under ``deploy/`` place these values; every other setting in them
is a default documented in the generated README and runbook. Values follow from the spec
where the spec says something relevant (the availability objective sets how many replicas
production keeps); the rest are the defaults below, decided here and nowhere else.
"""

from __future__ import annotations

from typing import Any

STAGING_REPLICAS = (2, 4)
"""Staging's (minimum, maximum): two, so staging runs several replicas on one database as
production does."""
PRODUCTION_MAX_REPLICAS = 10
HIGH_AVAILABILITY_PCT = 99.9
"""From this availability objective on, production keeps three replicas at least: one can
be drained or replaced while two still serve."""
DEFAULT_SCHEDULE = "0 2 * * *"
"""When a pipeline runs (cron, in :data:`SCHEDULE_TIME_ZONE`) while the spec names no
schedule: daily at 02:00, inside the two days after which ``PipelineRunStale`` pages."""
SCHEDULE_TIME_ZONE = "Etc/UTC"
CHECKPOINT_SCHEDULE = "23 * * * *"
"""When the audit chain's signed checkpoint is taken (cron, in :data:`SCHEDULE_TIME_ZONE`):
hourly, so at most an hour of records is vouched for by the chain alone."""


def deploy_context(availability_pct: float) -> dict[str, Any]:
    """Return what the manifests need: replicas per environment and the pipeline schedule."""
    production_min = 3 if availability_pct >= HIGH_AVAILABILITY_PCT else 2
    return {
        "replicas": {
            "staging": {"min": STAGING_REPLICAS[0], "max": STAGING_REPLICAS[1]},
            "production": {"min": production_min, "max": PRODUCTION_MAX_REPLICAS},
        },
        "schedule": DEFAULT_SCHEDULE,
        "time_zone": SCHEDULE_TIME_ZONE,
        "checkpoint_schedule": CHECKPOINT_SCHEDULE,
    }
