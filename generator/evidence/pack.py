"""Writing an evidence pack into a folder atomically, with a digest manifest; verifying one.

The pack is built in a temporary folder beside its destination and moved into place, so a
failure leaves no half-written pack. ``SHA256SUMS`` lists every other file with its SHA-256
in the format ``sha256sum --check`` reads. With a key (``NEW_AI_PROJECT_EVIDENCE_KEY``),
``SHA256SUMS.sig`` holds an HMAC-SHA256 of the manifest: without the key nobody can change
a file and rewrite the manifest to match.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from generator._io import folder_beside, swap_into_place, write_target
from generator.errors import EvidenceError, UsageError
from generator.evidence.formats import FORMATS, render_evidence
from generator.evidence.model import EvidencePack

KEY_VARIABLE = "NEW_AI_PROJECT_EVIDENCE_KEY"
"""The environment variable that holds the signing key; the pack is signed when it is set."""
MIN_KEY_LENGTH = 32
MANIFEST = "SHA256SUMS"
SIGNATURE = "SHA256SUMS.sig"
PACK_FILES = tuple(f"evidence.{fmt}" for fmt in FORMATS)
_SIGNATURE_PREFIX = "hmac-sha256 "
_LINE = re.compile(r"^([0-9a-f]{64}) [ *]([^/\\]+)$")


@dataclass(frozen=True)
class PackFiles:
    """A pack on disk: its folder, its files (manifest included) and whether it is signed."""

    dest: Path
    files: list[str]
    signed: bool


@dataclass(frozen=True)
class VerifiedPack:
    """A pack whose every file matches its manifest (and its signature, when signed)."""

    dest: Path
    files: list[str]
    signed: bool
    pack: EvidencePack


def signing_key(environ: dict[str, str] | None = None) -> bytes | None:
    """The signing key from the environment, or None when it is not set.

    Raises:
        UsageError: the key is set but shorter than 32 characters.
    """
    value = (os.environ if environ is None else environ).get(KEY_VARIABLE, "")
    if not value:
        return None
    if len(value) < MIN_KEY_LENGTH:
        raise UsageError(
            f"{KEY_VARIABLE} is shorter than {MIN_KEY_LENGTH} characters; use a random key "
            "such as the output of `openssl rand -hex 32`"
        )
    return value.encode("utf-8")


def write_pack(pack: EvidencePack, dest: Path, *, key: bytes | None = None) -> PackFiles:
    """Write the pack's files, its manifest and (with a key) its signature into ``dest``.

    ``dest`` may be missing, empty, or an earlier pack, which is replaced as a whole; a
    link to such a folder stays a link, and the folder it points to is written.

    Raises:
        UsageError: ``dest`` is not a folder (a file, a device), or a folder holding
            something other than a pack.
        EvidenceError: the pack cannot be written; nothing was left behind.
    """
    dest = dest.expanduser().absolute()
    try:
        dest = write_target(dest)  # a link to a folder stays a link; the folder is replaced
    except (OSError, RuntimeError) as err:
        raise EvidenceError(f"{dest}: cannot write the evidence pack: {err}") from err
    if dest.exists() and not dest.is_dir():
        raise UsageError(f"{dest} is not a folder; choose a folder for the evidence pack")
    if dest.is_dir() and any(dest.iterdir()) and not _is_pack(dest):
        raise UsageError(
            f"{dest} is not empty and holds no evidence pack; choose an empty or new folder"
        )
    try:
        with folder_beside(dest, "evidence") as scratch:
            for name, fmt in zip(PACK_FILES, FORMATS, strict=True):
                (scratch / name).write_text(render_evidence(pack, fmt), encoding="utf-8")
            manifest = manifest_text(scratch, PACK_FILES)
            (scratch / MANIFEST).write_text(manifest, encoding="utf-8")
            files = [*PACK_FILES, MANIFEST]
            if key is not None:
                (scratch / SIGNATURE).write_text(signature_text(manifest, key), encoding="utf-8")
                files.append(SIGNATURE)
            swap_into_place(scratch, dest)  # an earlier pack goes only once this one is in
    except OSError as err:
        raise EvidenceError(f"{dest}: cannot write the evidence pack: {err.strerror}") from err
    return PackFiles(dest=dest, files=files, signed=key is not None)


def manifest_text(folder: Path, names: tuple[str, ...] | list[str]) -> str:
    """The ``sha256sum`` lines of the named files of ``folder``."""
    return "".join(f"{_digest(folder / name)}  {name}\n" for name in sorted(names))


def signature_text(manifest: str, key: bytes) -> str:
    """The signature file's text: an HMAC-SHA256 of the manifest under ``key``."""
    mac = hmac.new(key, manifest.encode("utf-8"), hashlib.sha256).hexdigest()
    return f"{_SIGNATURE_PREFIX}{mac}\n"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _is_pack(folder: Path) -> bool:
    names = {p.name for p in folder.iterdir()}
    return MANIFEST in names and names <= {*PACK_FILES, MANIFEST, SIGNATURE}


def verify_pack(folder: Path, *, key: bytes | None = None) -> VerifiedPack:
    """Check every file of a pack against its manifest, and the manifest's signature.

    A signed pack needs the key to be verified; with the key set, an unsigned pack is
    refused (a signature cannot be removed to hide a change).

    Raises:
        EvidenceError: one line per problem found: a changed, missing or extra file, a
            malformed manifest, a wrong or missing signature.
    """
    if not folder.is_dir():
        raise EvidenceError(f"{folder}: no such folder; give the evidence pack's folder")
    manifest_path = folder / MANIFEST
    try:
        manifest = manifest_path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise EvidenceError(
            f"{manifest_path}: cannot read the manifest; {folder} is not an evidence pack"
        ) from err
    listed = _parse_manifest(manifest, manifest_path)
    problems: list[str] = []
    for name, digest in listed.items():
        path = folder / name
        if not path.is_file():
            problems.append(f"{path}: listed in {MANIFEST} but missing")
        elif not hmac.compare_digest(_digest(path), digest):
            problems.append(f"{path}: changed since the pack was built (SHA-256 differs)")
    for path in sorted(folder.iterdir()):
        if path.name not in listed and path.name not in (MANIFEST, SIGNATURE):
            problems.append(f"{path}: not in {MANIFEST}; it was added after the pack was built")
    if "evidence.json" not in listed:
        problems.append(f"{manifest_path}: does not list evidence.json")
    signed = (folder / SIGNATURE).exists()
    problems += _signature_problems(folder, manifest, key, signed=signed)
    if problems:
        raise EvidenceError("\n".join(problems))
    return VerifiedPack(
        dest=folder, files=sorted(listed), signed=signed, pack=_load_pack(folder / "evidence.json")
    )


def _parse_manifest(text: str, path: Path) -> dict[str, str]:
    listed: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        match = _LINE.match(line)
        if match is None or match[2] in (".", "..") or match[2] in listed:
            raise EvidenceError(f"{path}:{number}: not a `SHA-256  file` line of a manifest")
        listed[match[2]] = match[1]
    if not listed:
        raise EvidenceError(f"{path}: the manifest lists no file")
    return listed


def _signature_problems(
    folder: Path, manifest: str, key: bytes | None, *, signed: bool
) -> list[str]:
    path = folder / SIGNATURE
    if not signed:
        if key is None:
            return []
        return [
            f"{folder}: the pack is not signed, but {KEY_VARIABLE} is set: a signed pack "
            "was expected (was the signature removed?)"
        ]
    if key is None:
        return [f"{path}: the pack is signed; set {KEY_VARIABLE} to the signing key to verify it"]
    try:
        found = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        found = ""
    if not hmac.compare_digest(found.encode("utf-8"), signature_text(manifest, key).encode()):
        return [f"{path}: the signature does not match {MANIFEST} under this key"]
    return []


def _load_pack(path: Path) -> EvidencePack:
    try:
        return EvidencePack.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError) as err:  # pydantic's ValidationError is a ValueError
        raise EvidenceError(
            f"{path}: its digest matches, but it is not an evidence pack of this version of "
            "new-ai-project; verify it with the version that built it"
        ) from err
