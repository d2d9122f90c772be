"""The objects a running app shares between requests, kept on ``app.state``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from fastapi import Request

from .audit import AuditStore
from .genai_metrics import GenAIMetrics
from .reviews import Reviews
from .runtime import Runtime
from .settings import Settings

if TYPE_CHECKING:
    from .assistant import Assistant
    from .auth import DenialSummary
    from .runs import Runs
    from .worker import Worker


@dataclass
class Services:
    """The settings, the runtime and the kind's own parts (assistant, or runs and worker)."""

    settings: Settings
    runtime: Runtime
    audit: AuditStore
    metrics: GenAIMetrics
    denials: DenialSummary
    reviews: Reviews
    assistant: Assistant | None = None
    runs: Runs | None = None
    worker: Worker | None = None


def get_services(request: Request) -> Services:
    """Return the services of the app handling ``request``."""
    return cast(Services, request.app.state.services)


def request_id(request: Request) -> str:
    """Return the id of the current request (set by the request middleware)."""
    return str(getattr(request.state, "request_id", ""))
