"""The in-process worker: threads that process queued runs, resuming after a restart.

Runs are durable (:mod:`.runs`): the queue here only says what to work on now. On start the
worker queues every run a restart left queued or whose lease expired, so nothing is lost;
its housekeeping thread then expires overdue approvals (their runs go on, told the call was
denied), settles reservations a crashed process left open and picks up resumable runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading

from .runs import Runs

_log = logging.getLogger(__name__)


def close_thread_loop() -> None:
    """Close the event loop pydantic-ai's ``run_sync`` left in this thread (not the main one).

    ``run_sync`` outside the main thread makes the thread an event loop and leaves it open; a
    thread of a pool would otherwise leak one per thread. The next ``run_sync`` makes a new one.
    """
    if threading.current_thread() is threading.main_thread():
        return
    with contextlib.suppress(RuntimeError):
        loop = asyncio.get_event_loop_policy().get_event_loop()
        if not loop.is_running():
            loop.close()


class Worker:
    """Threads that process queued runs; on start, it resumes what a restart left behind."""

    def __init__(self, runs: Runs, *, threads: int = 2, housekeeping_seconds: float = 30.0) -> None:
        """Work on ``runs`` with ``threads`` threads; tidy up every ``housekeeping_seconds``."""
        self.runs, self.threads, self.interval = runs, threads, housekeeping_seconds
        self._tidy = threading.Event()
        self._queue: list[str] = []
        self._ready = threading.Condition()
        self._stopping = False
        self._pool: list[threading.Thread] = []

    def submit(self, run_id: str) -> None:
        """Queue a run for processing."""
        with self._ready:
            self._queue.append(run_id)
            self._ready.notify()

    def start(self) -> None:
        """Resume durable work (housekeeping once), then start the threads."""
        self.housekeeping()
        for n in range(self.threads):
            thread = threading.Thread(target=self._loop, name=f"run-worker-{n}", daemon=True)
            thread.start()
            self._pool.append(thread)
        keeper = threading.Thread(target=self._housekeeping, name="run-housekeeping", daemon=True)
        keeper.start()
        self._pool.append(keeper)

    def housekeeping(self) -> None:
        """Expire overdue approvals, settle abandoned reservations, queue resumable runs."""
        self.runs.approvals.expire_due()
        self.runs.rt.sweep()
        with self._ready:
            queued = set(self._queue)
        for run_id in self.runs.resumable():
            if run_id not in queued:
                self.submit(run_id)

    def _housekeeping(self) -> None:
        while not self._tidy.wait(self.interval):
            try:
                self.housekeeping()
            except Exception:  # a database hiccup: try again at the next interval
                _log.exception("housekeeping failed")

    def _loop(self) -> None:
        try:
            self._work()
        finally:
            close_thread_loop()

    def _work(self) -> None:
        while True:
            with self._ready:
                while not self._queue and not self._stopping:
                    self._ready.wait()
                if self._stopping and not self._queue:
                    return
                run_id = self._queue.pop(0)
            try:
                self.runs.process(run_id)
            except Exception:  # the thread lives on; the run's lease expires and it is resumed
                _log.exception("run %s: unexpected error", run_id)

    def stop(self, timeout: float = 30.0) -> None:
        """Finish queued work and stop the threads."""
        self._tidy.set()
        with self._ready:
            self._stopping = True
            self._ready.notify_all()
        for thread in self._pool:
            thread.join(timeout)
