"""Signed checkpoints of the audit chain, kept outside the database they vouch for.

A chain alone cannot show that records were cut off at its end, that all of them were
deleted, or that the whole log was replaced by someone who can write the database. A
checkpoint states, at one moment, how many records the log held and which were its first
and last (sequence number and hash), and where the chain started (its anchor), signed with
HMAC-SHA-256 under a key of its own (:data:`.audit.CHECKPOINT_KEY_ENV`, held by whoever
takes checkpoints, not by the service). Kept in write-once storage (object lock, WORM), it
lets :func:`verify` fail on:

- a last record missing (the end cut off) or a first record missing (the start deleted),
  unless a purge past retention removed it (its keyed record vouches for the anchor);
- a first or last record whose hash changed (rewritten);
- a count between the two that is not the checkpoint's (deleted or added in between);
- an anchor that moved back, or that no purge record vouches for (see
  :meth:`.audit.AuditStore.verify`).

``<name>-audit checkpoint --dir DIR`` (the CronJob in ``deploy/``) first checks the chain
against the newest checkpoint in DIR, and writes a new one only when it holds.

Checkpoints written before these fields existed (version 1: the head and the count) are
still checked for what they hold: the head record must be there, unchanged.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from .audit import (
    GENESIS,
    TS_FORMAT,
    Anchor,
    AuditStore,
    CheckpointError,
    VerifyResult,
)

VERSION = 2
PREFIX = "checkpoint-"
"""Checkpoint files in a folder are named ``checkpoint-<UTC time>-<last seq>.json``."""


def sign(body: Mapping[str, Any], key: bytes) -> str:
    """Return the HMAC-SHA-256 of a checkpoint's body in canonical JSON."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":")).encode("utf-8")
    return hmac.new(key, canonical, hashlib.sha256).hexdigest()


def make(store: AuditStore, key: bytes) -> dict[str, Any]:
    """Return a signed statement of the chain as it is: count, first and last record, anchor.

    Raises:
        CheckpointError: the key is empty, or the chain does not verify (a checkpoint never
            vouches for a chain that is already broken).
    """
    if not key:
        raise CheckpointError("no checkpoint key: set the checkpoint key variable")
    result = store.verify()
    if not result.ok:
        raise CheckpointError(f"the chain does not verify, no checkpoint written: {_say(result)}")
    with store.db.connect() as conn:
        count = int(conn.execute("SELECT COUNT(*) AS n FROM audit_log").fetchone()["n"])
        first = conn.execute("SELECT seq, hash FROM audit_log ORDER BY seq LIMIT 1").fetchone()
        last = conn.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    anchor = store.anchor()
    body: dict[str, Any] = {
        "version": VERSION,
        "count": count,
        "first": None if first is None else {"seq": int(first["seq"]), "hash": first["hash"]},
        "last": None if last is None else {"seq": int(last["seq"]), "hash": last["hash"]},
        "anchor": anchor.as_dict(),
        "ts": store.now(),
    }
    return {**body, "signature": sign(body, key)}


def verify(store: AuditStore, checkpoint: Mapping[str, Any], key: bytes) -> VerifyResult:
    """Verify the chain, then that it still holds what ``checkpoint`` vouches for.

    Raises:
        CheckpointError: the checkpoint lacks a field or is not a checkpoint.
    """
    try:
        version = int(checkpoint["version"])
        fields = _FIELDS[version]
        body = {name: checkpoint[name] for name in fields}
        signature = str(checkpoint["signature"])
        datetime.strptime(str(body["ts"]), TS_FORMAT)  # a time, or not a checkpoint
    except (KeyError, TypeError, ValueError) as err:
        raise CheckpointError(f"not a checkpoint: {err}") from err
    if not key or not hmac.compare_digest(sign(body, key), signature):
        return VerifyResult(False, 0, None, "the checkpoint's signature does not match its key")
    chain = store.verify()
    if not chain.ok:
        return chain
    try:
        if version == 1:
            return _against_head(store, chain, body)
        return _against(store, chain, body)
    except (KeyError, TypeError, ValueError) as err:
        raise CheckpointError(f"not a checkpoint: {err}") from err


_FIELDS = {
    1: ("version", "seq", "hash", "count", "ts"),
    VERSION: ("version", "count", "first", "last", "anchor", "ts"),
}


def _against(store: AuditStore, chain: VerifyResult, body: Mapping[str, Any]) -> VerifyResult:
    anchor = store.anchor()
    then = Anchor(int(body["anchor"]["seq"]), str(body["anchor"]["hash"]))
    if anchor.seq < then.seq:
        return _bad(chain, None, f"the anchor moved back from record {then.seq} to {anchor.seq}")
    count = int(body["count"])
    if count == 0:
        return chain
    first, last = body["first"], body["last"]
    first_seq, last_seq = int(first["seq"]), int(last["seq"])
    for end, seq, expected in (
        ("last", last_seq, last["hash"]),
        ("first", first_seq, first["hash"]),
    ):
        found = _hash_at(store, seq)
        if found is None:
            if anchor.seq < seq:  # not purged: the chain vouches for every purge
                where = "at the end (truncated)" if end == "last" else "at the start"
                return _bad(
                    chain, seq, f"the checkpoint's {end} record is missing: deleted {where}"
                )
        elif found != expected:
            return _bad(chain, seq, f"the checkpoint's {end} record was rewritten since")
    if anchor.seq < first_seq:  # nothing purged in between: every record is still there
        with store.db.connect() as conn:
            now = int(
                conn.execute(
                    "SELECT COUNT(*) AS n FROM audit_log WHERE seq BETWEEN ? AND ?",
                    (first_seq, last_seq),
                ).fetchone()["n"]
            )
        if now != count:
            return _bad(
                chain,
                None,
                f"{now} records from the checkpoint's first to its last, where it counted {count}",
            )
    return chain


def _against_head(store: AuditStore, chain: VerifyResult, body: Mapping[str, Any]) -> VerifyResult:
    """A version 1 checkpoint: the record at its head is there and unchanged (or purged)."""
    seq = int(body["seq"])
    found = _hash_at(store, seq)
    anchor = store.anchor()
    if found is not None:
        if found != body["hash"]:
            return _bad(chain, seq, "rewritten since the checkpoint")
        return chain
    if seq == 0 and body["hash"] == GENESIS:
        return chain
    if seq <= anchor.seq:  # purged past retention: the chain vouches for every purge
        return chain
    return _bad(chain, seq, "records the checkpoint covers are missing (truncated)")


def _hash_at(store: AuditStore, seq: int) -> str | None:
    with store.db.connect() as conn:
        row = conn.execute("SELECT hash FROM audit_log WHERE seq = ?", (seq,)).fetchone()
    return None if row is None else str(row["hash"])


def _bad(chain: VerifyResult, seq: int | None, problem: str) -> VerifyResult:
    return VerifyResult(False, chain.checked, seq, problem, chain.unkeyed)


def _say(result: VerifyResult) -> str:
    where = f"record {result.first_bad_seq}: " if result.first_bad_seq is not None else ""
    return f"{where}{result.problem}"


def read(path: Path) -> dict[str, Any]:
    """Read a checkpoint file.

    Raises:
        CheckpointError: the file is not JSON.
        OSError: it cannot be read.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as err:
        raise CheckpointError(f"{path} is not a checkpoint: {err}") from err
    if not isinstance(data, dict):
        raise CheckpointError(f"{path} is not a checkpoint")
    return data


def latest(directory: Path) -> Path | None:
    """Return the newest checkpoint file in ``directory`` (names sort by time), if any."""
    found = sorted(directory.glob(f"{PREFIX}*.json"))
    return found[-1] if found else None


def file_name(checkpoint: Mapping[str, Any]) -> str:
    """Name a checkpoint file by its time and last record, so names sort by time."""
    stamp = str(checkpoint["ts"]).replace("-", "").replace(":", "").split(".")[0]
    last = checkpoint.get("last") or {}
    return f"{PREFIX}{stamp}Z-{int(last.get('seq', 0))}.json"


def write_new(path: Path, checkpoint: Mapping[str, Any]) -> None:
    """Write a checkpoint to a file that must not exist yet (one is never overwritten).

    Raises:
        FileExistsError: the file exists.
    """
    text = json.dumps(checkpoint, indent=2) + "\n"
    with path.open("x", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
