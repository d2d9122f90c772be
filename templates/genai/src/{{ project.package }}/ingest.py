"""``<name> ingest DIR``: make a folder of Markdown and text files the knowledge source.

The folder's passages replace the index's in one transaction; the audit record says how
many passages came from how many files and which files were skipped (by path, never by
content), how retrieval works (full-text, or hybrid with pgvector and which embedding model)
and how many passages were embedded (those new, changed, or embedded by another model).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .corpus import Skipped, read_folder
from .runtime import Runtime


class IngestError(ValueError):
    """The folder cannot be ingested."""


@dataclass(frozen=True)
class Ingested:
    """What an ingest did."""

    passages: int
    files: int
    skipped: tuple[Skipped, ...]


def ingest(runtime: Runtime, folder: Path, *, actor: str, role: str) -> Ingested:
    """Index every Markdown and text file under ``folder``.

    Raises:
        IngestError: the folder does not exist or holds no passage.
    """
    if not folder.is_dir():
        raise IngestError(f"{folder}: not a folder")
    passages, skipped = read_folder(folder)
    if not passages:
        raise IngestError(f"{folder}: no Markdown or text passage to ingest")
    runtime.index.replace(str(folder), passages)
    files = len({p.source for p in passages})
    runtime.audit.record(
        actor=actor,
        role=role,
        action="ingest",
        resource="retrieval/passages",
        outcome="success",
        details={
            "passages": len(passages),
            "files": files,
            "skipped": [{"path": s.path, "reason": s.reason} for s in skipped],
            "retrieval": runtime.index.mode(),
            "embedded": runtime.index.last_embedded,
        },
    )
    return Ingested(len(passages), files, tuple(skipped))
