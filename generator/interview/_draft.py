"""The interview's progress record, and the draft that keeps it with every answer given.

The draft is a partial spec in the same commented YAML as the final spec, plus one key,
``x-interview``, holding the ``Progress`` record so that a resumed interview asks nothing
twice. Locations are written there as error messages write them: ``users.0.needs``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from generator._io import is_special, read_file, write_atomic
from generator.spec import ProjectSpec, dump_spec, read_spec_data

Loc = tuple[str | int, ...]
"""Where a value lives in the spec: ``("users", 0, "needs")``."""

META_KEY = "x-interview"


@dataclass
class Progress:
    """How far an interview got, beyond the answers themselves."""

    finished: set[Loc] = field(default_factory=set)
    """Parts not to ask again: sections (skipped optional ones too), entries, lists of texts."""
    change: set[str] = field(default_factory=set)
    """Sections the person chose to change: asked again, the current answers as defaults."""
    based_on: Path | None = None
    """The spec the interview started from; writing over that file needs no confirmation."""
    empty_confirmed: set[Loc] = field(default_factory=set)
    """Lists left empty on purpose and confirmed so, such as "no regime applies"."""

    def covers(self, loc: Loc) -> bool:
        """Say whether the part at ``loc``, or a part holding it, is finished."""
        return any(loc[: len(part)] == part for part in self.finished)

    def reopen(self, loc: Loc) -> None:
        """Unfinish every part holding ``loc``, so that it is asked again."""
        self.finished = {part for part in self.finished if loc[: len(part)] != part}

    def forget(self, items: Loc, index: int) -> None:
        """Forget entry ``index`` of the list at ``items``; later entries move up by one."""

        def moved(loc: Loc) -> Loc | None:
            at = loc[len(items)] if len(loc) > len(items) and loc[: len(items)] == items else None
            if not isinstance(at, int) or at < index:
                return loc
            return None if at == index else (*items, at - 1, *loc[len(items) + 1 :])

        self.finished = {new for loc in self.finished if (new := moved(loc)) is not None}
        self.empty_confirmed = {
            new for loc in self.empty_confirmed if (new := moved(loc)) is not None
        }

    def to_meta(self) -> dict[str, Any]:
        """Return the record as the draft holds it."""
        return {
            "finished": sorted(map(_dotted, self.finished)),
            "change": sorted(self.change),
            "based_on": None if self.based_on is None else str(self.based_on),
            "empty_confirmed": sorted(map(_dotted, self.empty_confirmed)),
        }

    @classmethod
    def from_meta(cls, meta: Any) -> Progress:
        """Read the record from a draft; what cannot be read counts as not done yet."""
        meta = meta if isinstance(meta, dict) else {}
        based_on = meta.get("based_on")
        return cls(
            {_loc(text) for text in _texts(meta.get("finished"))},
            set(_texts(meta.get("change"))),
            Path(based_on) if isinstance(based_on, str) else None,
            {_loc(text) for text in _texts(meta.get("empty_confirmed"))},
        )


def _dotted(loc: Loc) -> str:
    return ".".join(map(str, loc))


def _loc(text: str) -> Loc:
    return tuple(int(part) if part.isdigit() else part for part in text.split("."))


def _texts(value: Any) -> list[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def draft_path(target: Path) -> Path:
    """Return where the draft for ``target`` lives: ``spec.yaml`` → ``spec.draft.yaml``.

    Beside the target, except for a target that is not a file (``/dev/null``, a named
    pipe): its draft is kept in the current folder, never in ``/dev``.
    """
    if is_special(target):
        target = Path(target.name)
    if target.suffix in {".yaml", ".yml"}:
        return target.with_name(f"{target.stem}.draft.yaml")
    return target.with_name(f"{target.name}.draft.yaml")


@dataclass
class Draft:
    """A draft file; ``saved`` says whether this run has written it."""

    path: Path
    model: type[BaseModel] = ProjectSpec
    """The spec model whose field order the draft is written in."""
    saved: bool = False

    def load(self) -> tuple[dict[str, Any], Progress] | None:
        """Return the saved answers and progress, or None when there is no draft.

        Raises:
            SpecError: the draft exists but is not a readable YAML mapping.
        """
        if not self.path.exists():
            return None
        data = dict(read_spec_data(read_file(self.path, "draft"), str(self.path)).data)
        return data, Progress.from_meta(data.pop(META_KEY, None))

    def save(self, data: dict[str, Any], progress: Progress) -> None:
        """Write the answers so far and the progress, atomically."""
        text = dump_spec({**data, META_KEY: progress.to_meta()}, draft=True, model=self.model)
        write_atomic(self.path, text)
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
