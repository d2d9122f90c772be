"""How ``update`` results are shown: progress lines, check lines, a summary table, JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from generator.update.project import UpdateResult


def display_path(path: Path) -> str:
    """The path relative to the current folder when inside it, else as it is."""
    try:
        rel = path.relative_to(Path.cwd())
    except ValueError:
        return str(path)
    return str(rel) if str(rel) != "." else f"{path.name} (.)"


def _versions(result: UpdateResult) -> str:
    if result.version_from is None and result.version_to is None:
        return "-"
    if result.version_from == result.version_to or result.version_to is None:
        return str(result.version_from)
    return f"{result.version_from} -> {result.version_to}"


def progress_line(result: UpdateResult, done: int, total: int) -> str:
    """One line per finished repository, for standard error while the others run."""
    return f"[{done}/{total}] {display_path(result.path)}: {result.status}"


def check_line(result: UpdateResult) -> str:
    """``--check``: a line per repository saying whether and why it is behind.

    The changes a reviewer must see follow, one indented line each.
    """
    name = display_path(result.path)
    if result.status in {"current", "behind"}:
        head = f"{name}: {result.status}: {result.message}"
    else:
        head = f"{name}: {result.status}: {_first_line(result.message)}"
    return "\n".join([head, *review_lines(result)])


def review_lines(result: UpdateResult) -> list[str]:
    """The changes of an update that a reviewer must see, one indented line each."""
    return [f"  review: {note.message}" for note in result.review]


def _first_line(text: str) -> str:
    lines = text.splitlines()
    return lines[0] if lines else ""


def summary_table(results: Sequence[UpdateResult]) -> str:
    """A plain aligned table: repository, outcome, template version, spec, details."""
    header = ("REPOSITORY", "STATUS", "TEMPLATE", "SPEC", "DETAILS")
    rows = [header]
    for r in results:
        spec = (
            "changed"
            if r.spec_edited
            else "derived"
            if r.spec_changed
            else ("current" if r.version_to else "-")
        )
        detail = _short_detail(r)
        rows.append((display_path(r.path), r.status, _versions(r), spec, detail))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
    lines = [
        "  ".join([*(cell.ljust(w) for cell, w in zip(row[:-1], widths, strict=True)), row[-1]])
        for row in rows
    ]
    counts: dict[str, int] = {}
    for r in results:
        counts[r.status] = counts.get(r.status, 0) + 1
    lines.append("")
    lines.append(", ".join(f"{n} {status}" for status, n in counts.items()) or "no repositories")
    return "\n".join(line.rstrip() for line in lines)


def _short_detail(result: UpdateResult) -> str:
    if result.conflicts:
        return ", ".join(result.conflicts)
    if result.status == "updated":
        return f"{result.changed_files} file(s) changed, not committed"
    if result.status == "current":
        return "nothing to do"
    line = _first_line(result.message)
    return line if len(line) <= 72 else line[:71] + "…"


def details(results: Sequence[UpdateResult]) -> list[str]:
    """Longer messages worth reading in full: refusals, failures, conflicts per file.

    After them, the changes a reviewer must see (permissions, controls, criteria, retention).
    """
    out: list[str] = []
    for r in results:
        if r.status in {"current", "behind"}:
            continue
        out.append(f"{display_path(r.path)}: {r.status}")
        out.extend(f"  {line}" for line in r.message.splitlines())
        out.extend(f"  conflict: {name}" for name in r.conflicts)
        out.extend(review_lines(r))
    return out


def to_json(results: Sequence[UpdateResult]) -> str:
    """The results as a JSON document for tools."""
    return json.dumps(
        {"ok": all(r.ok for r in results), "repositories": [r.to_json() for r in results]},
        indent=2,
        ensure_ascii=False,
    )
