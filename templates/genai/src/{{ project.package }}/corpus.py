"""Reading a knowledge source: Markdown and text files become passages with stable ids.

A Markdown file is cut at its headings: each section is a passage titled by its heading
path ("Runbook > Rollback"); a long section is cut further at paragraph breaks. A text file
is cut at paragraph breaks. A passage's id is derived from its file's path inside the
folder, its heading path and its ordinal in the section, so re-ingesting an unchanged (or
lightly edited) file gives the same ids and old citations keep pointing at their passage.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SUFFIXES = (".md", ".markdown", ".txt")
MAX_PASSAGE_CHARS = 1200
MAX_FILE_BYTES = 5_000_000
_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^(```|~~~)")


@dataclass(frozen=True)
class Passage:
    """A piece of a document that retrieval returns and answers cite."""

    id: str
    source: str
    title: str
    text: str
    position: int


@dataclass(frozen=True)
class Skipped:
    """A file that was not ingested, and why."""

    path: str
    reason: str


def passage_id(source: str, title: str, ordinal: int) -> str:
    """The stable id of the ``ordinal``-th passage of a section."""
    key = f"{source}\n{title}\n{ordinal}".encode()
    return hashlib.sha256(key).hexdigest()[:16]


def _chunks(text: str) -> Iterator[str]:
    """Cut text at paragraph breaks into pieces of at most about MAX_PASSAGE_CHARS."""
    piece = ""
    for paragraph in re.split(r"\n\s*\n", text):
        paragraph = paragraph.strip()
        if not paragraph:
            continue
        while len(paragraph) > MAX_PASSAGE_CHARS:
            cut = paragraph.rfind(" ", 0, MAX_PASSAGE_CHARS)
            cut = cut if cut > 0 else MAX_PASSAGE_CHARS
            if piece:
                yield piece
                piece = ""
            yield paragraph[:cut].strip()
            paragraph = paragraph[cut:].strip()
        if piece and len(piece) + len(paragraph) + 2 > MAX_PASSAGE_CHARS:
            yield piece
            piece = ""
        piece = f"{piece}\n\n{paragraph}" if piece else paragraph
    if piece:
        yield piece


def _sections(text: str, fallback: str) -> Iterator[tuple[str, str]]:
    """(heading path, body) of each Markdown section; code fences are not headings."""
    path: list[tuple[int, str]] = []
    body: list[str] = []
    fenced = False

    def title() -> str:
        return " > ".join(h for _, h in path) or fallback

    for line in text.splitlines():
        if _FENCE.match(line.strip()):
            fenced = not fenced
        match = None if fenced else _HEADING.match(line)
        if match is None:
            body.append(line)
            continue
        yield title(), "\n".join(body)
        body = []
        level = len(match.group(1))
        path = [(lvl, h) for lvl, h in path if lvl < level] + [(level, match.group(2).strip())]
    yield title(), "\n".join(body)


def read_file(path: Path, source: str) -> list[Passage]:
    """The passages of one file (``source`` is its path inside the ingested folder)."""
    text = path.read_text(encoding="utf-8")
    stem = path.stem.replace("-", " ").replace("_", " ")
    markdown = path.suffix.lower() in (".md", ".markdown")
    sections = _sections(text, stem) if markdown else iter([(stem, text)])
    passages: list[Passage] = []
    used: dict[str, int] = {}  # a heading repeated in one file continues its ordinals
    for title, body in sections:
        for chunk in _chunks(body):
            ordinal = used.get(title, 0)
            used[title] = ordinal + 1
            passages.append(
                Passage(passage_id(source, title, ordinal), source, title, chunk, len(passages))
            )
    return passages


def read_folder(folder: Path) -> tuple[list[Passage], list[Skipped]]:
    """Every passage of the Markdown and text files under ``folder``, and the files skipped."""
    passages: list[Passage] = []
    skipped: list[Skipped] = []
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.suffix.lower() not in SUFFIXES:
            continue
        source = path.relative_to(folder).as_posix()
        if any(part.startswith(".") for part in path.relative_to(folder).parts):
            continue
        if path.stat().st_size > MAX_FILE_BYTES:
            skipped.append(Skipped(source, f"larger than {MAX_FILE_BYTES} bytes"))
            continue
        try:
            passages.extend(read_file(path, source))
        except UnicodeDecodeError:
            skipped.append(Skipped(source, "not UTF-8 text"))
    return passages, skipped
