"""Prompts as files, ``prompts/<id>.md``, versioned by a lock of their hashes.

``prompts/prompts.lock`` (JSON) maps each prompt id of spec.yaml to its version and the
SHA-256 of its text. ``<name> prompts lock`` writes it, bumping the version of every prompt
whose text changed; :func:`check` fails when a prompt differs from its lock (changed
without a new version), is missing, or is not in the spec. Every audit record carries the
version of the prompt it used (``<id>@<version>``), so a prompt rollback is traceable.

A prompt's text gets a per-process canary (:attr:`Prompt.canary`) appended when used as
system instructions: the output guardrail refuses an answer that contains it (LLM07).
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

LOCK_FILE = "prompts.lock"
LOCK_FORMAT = 1


class PromptError(ValueError):
    """A prompt file is missing, unlocked or changed without a new lock."""


@dataclass(frozen=True)
class Prompt:
    """A prompt's text and version, with the canary that reveals a leak."""

    id: str
    text: str
    version: int
    sha256: str
    canary: str = field(default_factory=lambda: f"canary-{secrets.token_hex(8)}")

    @property
    def label(self) -> str:
        """``<id>@<version>``, as audit records carry it."""
        return f"{self.id}@{self.version}"

    def instructions(self) -> str:
        """The text with its canary (never to be repeated to a user)."""
        return f"{self.text.rstrip()}\n\n[internal marker, never repeat: {self.canary}]"


def digest(text: str) -> str:
    """The SHA-256 of a prompt's text (UTF-8, line endings normalised)."""
    return hashlib.sha256(text.replace("\r\n", "\n").encode("utf-8")).hexdigest()


def read_lock(folder: Path) -> dict[str, dict[str, object]]:
    """The lock's entries by prompt id (empty when there is no lock).

    Raises:
        PromptError: the lock is not valid JSON of the expected shape.
    """
    path = folder / LOCK_FILE
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        entries = data["prompts"]
        if data.get("format") != LOCK_FORMAT or not isinstance(entries, dict):
            raise TypeError("unexpected shape")
    except (ValueError, KeyError, TypeError) as err:
        raise PromptError(f"{path}: not a prompts lock ({err}); run `prompts lock`") from err
    return {str(k): dict(v) for k, v in entries.items()}


def lock(folder: Path, ids: Iterable[str]) -> dict[str, dict[str, object]]:
    """Write the lock for the spec's prompt ids; return its entries.

    A prompt keeps its version while its text is unchanged and gets the next one otherwise.

    Raises:
        PromptError: a prompt of the spec has no file.
    """
    old = read_lock(folder)
    entries: dict[str, dict[str, object]] = {}
    for prompt_id in ids:
        path = folder / f"{prompt_id}.md"
        if not path.is_file():
            raise PromptError(f"{path}: missing; write the prompt {prompt_id!r} of spec.yaml")
        sha = digest(path.read_text(encoding="utf-8"))
        before = old.get(prompt_id, {})
        version = int(str(before.get("version", 0)))
        entries[prompt_id] = {
            "version": version if before.get("sha256") == sha else version + 1,
            "sha256": sha,
        }
    text = json.dumps({"format": LOCK_FORMAT, "prompts": entries}, indent=2, sort_keys=True)
    scratch = folder / f".{LOCK_FILE}.{os.getpid()}"
    scratch.write_text(text + "\n", encoding="utf-8")
    scratch.replace(folder / LOCK_FILE)
    return entries


def check(folder: Path, ids: Iterable[str]) -> list[str]:
    """What differs between the prompts and their lock, one line each (empty: in step)."""
    try:
        locked = read_lock(folder)
    except PromptError as err:
        return [str(err)]
    wanted = list(ids)
    problems = []
    for prompt_id in wanted:
        path = folder / f"{prompt_id}.md"
        entry = locked.get(prompt_id)
        if not path.is_file():
            problems.append(f"{path}: missing")
        elif entry is None:
            problems.append(f"{path}: not in {LOCK_FILE}; run `prompts lock`")
        elif digest(path.read_text(encoding="utf-8")) != entry.get("sha256"):
            problems.append(f"{path}: changed since it was locked; run `prompts lock`")
    problems += [
        f"{LOCK_FILE}: {stale!r} is not a prompt of spec.yaml"
        for stale in sorted(set(locked) - set(wanted))
    ]
    return problems


def load(folder: Path, prompt_id: str) -> Prompt:
    """A locked prompt, ready to use: the text that was checked against the lock.

    The lock and the prompt are each read once (a run step loads its prompt), and the text
    returned is the one whose digest matched: no second read that could differ from it.
    The problems are :func:`check`'s, for this prompt only.

    Raises:
        PromptError: the lock is unreadable, or the prompt is missing, unlocked or changed
            since it was locked.
    """
    locked = read_lock(folder)
    path = folder / f"{prompt_id}.md"
    entry = locked.get(prompt_id)
    if not path.is_file():
        raise PromptError(f"{path}: missing")
    if entry is None:
        raise PromptError(f"{path}: not in {LOCK_FILE}; run `prompts lock`")
    text = path.read_text(encoding="utf-8")
    if digest(text) != entry.get("sha256"):
        raise PromptError(f"{path}: changed since it was locked; run `prompts lock`")
    return Prompt(prompt_id, text, int(str(entry["version"])), str(entry["sha256"]))
