"""Processes that stand in for replicas in tests: fresh, with no connection or state."""

from __future__ import annotations

import multiprocessing


def fresh_processes(
    preload: str,
) -> multiprocessing.context.ForkServerContext | multiprocessing.context.SpawnContext:
    """A context whose processes are fresh (no connection, no state), as replicas are.

    Where the platform has it, processes fork from a server that has imported ``preload``
    once (``forkserver``): each starts in a fraction of a second instead of importing its
    libraries again. Elsewhere they are spawned.
    """
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([preload])
    return context
