"""The interview's draft: every answer saved as it is given, beside the target spec file.

The draft is a partial spec in the same commented YAML as the final spec, plus one extra
key, ``x-interview``, that remembers which parts were finished (a list the person stopped
adding to, an optional section they skipped), so a resumed interview asks nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator._io import read_file, write_atomic
from generator.spec import read_spec_data
from generator.spec.writer import dump_spec

META_KEY = "x-interview"


def draft_path(target: Path) -> Path:
    """Return where the draft for ``target`` lives: ``spec.yaml`` → ``spec.draft.yaml``."""
    if target.suffix in {".yaml", ".yml"}:
        return target.with_name(f"{target.stem}.draft.yaml")
    return target.with_name(f"{target.name}.draft.yaml")


@dataclass
class Draft:
    """A draft file; ``saved`` says whether this run has written it."""

    path: Path
    saved: bool = field(default=False)

    def load(self) -> tuple[dict[str, Any], set[str]] | None:
        """Return the saved answers and finished parts, or None when there is no draft.

        Raises:
            SpecError: the draft exists but is not a readable YAML mapping.
        """
        if not self.path.exists():
            return None
        data = dict(read_spec_data(read_file(self.path, "draft"), str(self.path)).data)
        meta = data.pop(META_KEY, None)
        done_list = meta.get("done", []) if isinstance(meta, dict) else []
        done = (
            {item for item in done_list if isinstance(item, str)}
            if isinstance(done_list, list)
            else set()
        )
        return data, done

    def save(self, data: dict[str, Any], done: set[str]) -> None:
        """Write the answers so far, atomically."""
        write_atomic(self.path, dump_spec({**data, META_KEY: {"done": sorted(done)}}, draft=True))
        self.saved = True

    def discard(self) -> None:
        """Remove the draft once the spec is written."""
        self.path.unlink(missing_ok=True)


def count_answers(value: Any) -> int:
    """Count the answers held in spec data (leaf values, list items of text included)."""
    if isinstance(value, dict):
        return sum(
            count_answers(v) for k, v in value.items() if k not in {META_KEY, "schema_version"}
        )
    if isinstance(value, list):
        return sum(count_answers(v) for v in value) if value else 1
    return 1
