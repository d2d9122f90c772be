"""The audit log under concurrent writers: every record committed once, in one intact chain.

Writers are threads of one process and, as replicas are, processes of their own, each with
its own connections; on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import threading
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier

import pytest

from ..package import AuditRecord, AuditStore, Database, Settings, connect
from tests.processes import fresh_processes
from tests.support import AUDIT_KEY

WRITERS = 8
RECORDS_EACH = 25
PROCESSES = 2
THREADS_EACH = 4


@pytest.fixture
def audit(database: Database) -> AuditStore:
    """The audit log in the test's database, keyed as the writers below key it."""
    return AuditStore(database, key=AUDIT_KEY)


def test_concurrent_writers_keep_one_intact_chain(audit: AuditStore) -> None:
    """Records written by many threads at once are all stored, each once, and the chain verifies."""
    returned: list[AuditRecord] = []
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        try:
            for n in range(RECORDS_EACH):
                returned.append(
                    audit.record(
                        actor=f"worker-{worker}",
                        role="tester",
                        action="write",
                        resource=f"item/{n}",
                        outcome="ok",
                    )
                )
        except BaseException as err:  # reported by the assertion below
            errors.append(err)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    stored = audit.records(action="write")
    assert len(stored) == WRITERS * RECORDS_EACH
    assert sorted(r.seq for r in returned) == [r.seq for r in stored]
    assert {r.hash for r in returned} == {r.hash for r in stored}
    assert audit.verify().ok


def _write_in_a_process(
    location: str, worker: int, start: Barrier, hashes: Queue[list[str]]
) -> None:
    """Append records from threads of a process of its own, as another replica would."""
    database = connect(location)
    store = AuditStore(database, key=AUDIT_KEY)
    written: list[str] = []

    def write(thread: int) -> None:
        for n in range(RECORDS_EACH):
            record = store.record(
                actor=f"process-{worker}-{thread}",
                role="tester",
                action="write",
                resource=f"{n}",
                outcome="ok",
            )
            written.append(record.hash)

    try:
        start.wait(timeout=120)  # every process writes at the same time
        threads = [threading.Thread(target=write, args=(t,)) for t in range(THREADS_EACH)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        database.close()
        hashes.put(written)


def test_writers_in_several_processes_keep_one_intact_chain(
    settings: Settings, audit: AuditStore
) -> None:
    """Processes with connections of their own append at once: one chain holds every record."""
    context = fresh_processes(__name__)
    start = context.Barrier(PROCESSES)
    hashes: Queue[list[str]] = context.Queue()
    processes = [
        context.Process(
            target=_write_in_a_process, args=(settings.database_location(), w, start, hashes)
        )
        for w in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    written = [hashes.get(timeout=300) for _ in processes]
    for process in processes:
        process.join(timeout=60)
    stored = audit.records(action="write")
    assert len(stored) == PROCESSES * THREADS_EACH * RECORDS_EACH
    assert {h for chunk in written for h in chunk} == {r.hash for r in stored}
    assert audit.verify().ok


def test_a_returned_record_is_already_stored(settings: Settings, audit: AuditStore) -> None:
    """When record() returns, a connection of its own already reads the record."""
    record = audit.record(actor="a", role="r", action="write", resource="x", outcome="ok")
    elsewhere: Database = connect(settings.database_location())
    try:
        with elsewhere.connect() as conn:
            found = conn.execute(
                "SELECT hash FROM audit_log WHERE seq = ?", (record.seq,)
            ).fetchone()
    finally:
        elsewhere.close()
    assert found["hash"] == record.hash


def test_record_inside_a_transaction_is_refused(database: Database, audit: AuditStore) -> None:
    """record() commits by itself: inside a transaction it refuses, pointing to append()."""
    with pytest.raises(RuntimeError, match="append"), database.transaction():
        audit.record(actor="a", role="r", action="write", resource="x", outcome="ok")
    assert audit.records() == []
