"""The objects a running app shares between requests, kept on ``app.state``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

from fastapi import Request

from .audit import AuditStore, Database
from .drift import DriftMonitor
from .metrics import Metrics
from .model import Model
from .settings import Settings
from .store import DecisionStore

if TYPE_CHECKING:
    from .auth import DenialSummary


def _always_enabled() -> bool:
    return True


@dataclass
class Services:
    """Settings, the database and its stores, model and monitors of one app instance."""

    settings: Settings
    db: Database
    audit: AuditStore
    decisions: DecisionStore
    metrics: Metrics
    model: Model
    drift: DriftMonitor
    denials: DenialSummary
    model_enabled: Callable[[], bool] = field(default=_always_enabled)


def get_services(request: Request) -> Services:
    """Return the services of the app handling ``request``."""
    return cast(Services, request.app.state.services)


def request_id(request: Request) -> str:
    """Return the id of the current request (set by the request middleware)."""
    return str(getattr(request.state, "request_id", ""))
