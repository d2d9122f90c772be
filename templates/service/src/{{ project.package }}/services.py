"""The objects a running app shares between requests, kept on ``app.state``."""

from __future__ import annotations

import threading
import time
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


QUEUE_COUNT_MAX_AGE_S = 15.0
"""How long a count of the review queue serves scrapes before the database is asked again."""


class QueueDepth:
    """How many decisions wait for a human, counted at most once per :data:`QUEUE_COUNT_MAX_AGE_S`.

    Prometheus scrapes every few seconds, from every replica: a count per scrape would make
    the scrape's cost grow with the queue. A review action makes the next scrape count anew.
    """

    def __init__(
        self,
        count: Callable[[], int],
        *,
        max_age: float = QUEUE_COUNT_MAX_AGE_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Count with ``count``; keep a count for ``max_age`` seconds."""
        self._count = count
        self._max_age = max_age
        self._clock = clock
        self._lock = threading.Lock()
        self._value: int | None = None
        self._at = 0.0

    def get(self) -> int:
        """Return the depth, counting again only when the last count is too old."""
        with self._lock:
            now = self._clock()
            if self._value is None or now - self._at >= self._max_age:
                self._value, self._at = self._count(), now
            return self._value

    def invalidate(self) -> None:
        """Forget the count: the queue changed."""
        with self._lock:
            self._value = None


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
    queue: QueueDepth = field(init=False)

    def __post_init__(self) -> None:
        """Count the review queue through the decision store, sparingly."""
        self.queue = QueueDepth(self.decisions.count_pending)


def get_services(request: Request) -> Services:
    """Return the services of the app handling ``request``."""
    return cast(Services, request.app.state.services)


def request_id(request: Request) -> str:
    """Return the id of the current request (set by the request middleware)."""
    return str(getattr(request.state, "request_id", ""))
