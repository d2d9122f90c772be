"""The interview's answers so far, and the machinery that asks for the missing ones.

``Answers`` holds the partial spec (plain data, as it will be written), which parts are
finished, which the person chose to change, and why loaded values were refused. Its
helpers ask for one field, a list of short texts or a list of entries, saving the draft
after every answer; ``_sections`` uses them to ask section by section.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, get_args, get_origin

from pydantic import BaseModel

from generator.interview import _checks, prompts
from generator.interview._draft import Draft
from generator.interview.prompts import ask, say
from generator.spec import Monitoring, ProjectSpec, shape
from generator.spec.writer import model_of

Loc = tuple[str | int, ...]
ItemAsker = Callable[[dict[str, Any], int, bool], None]

_ID_KEYS = {s.key: str(s.id_key) for s in shape.listed_sections()}
"""The key that must be unique among the entries of each list."""


def dotted(loc: Loc) -> str:
    """Write a field location as ``users.0.role``."""
    return ".".join(str(part) for part in loc)


class Answers:
    """The answers of one interview: a partial spec plus what is finished."""

    def __init__(self, draft: Draft) -> None:
        self.draft = draft
        self.data: dict[str, Any] = {"schema_version": 1}
        self.done: set[str] = set()
        self.change: set[str] = set()
        self.reasons: dict[str, str] = {}
        self.based_on: Path | None = None
        self._heading: str | None = None
        self._opened: str | None = None

    def _save(self) -> None:
        """Write the answers so far to the draft."""
        self.draft.save(self.data, self.done)

    # --- loading existing answers ------------------------------------------------------

    def _clean(self, model: type[BaseModel], raw: Any, loc: Loc) -> dict[str, Any]:
        """Keep the answers that pass the model's rules; remember why the others did not."""
        if not isinstance(raw, dict):
            if loc:
                self.reasons[dotted(loc)] = "expected a mapping of keys"
            return {}
        kept: dict[str, Any] = {}
        for key, value in raw.items():
            if key not in model.model_fields or key == "schema_version":
                continue
            sub = model_of(model.model_fields[key].annotation)
            where = (*loc, key)
            if value is None and key != "baseline":
                continue
            if _is_list(model, key) and not isinstance(value, list):
                self.reasons[dotted(where)] = "expected a list"
            elif sub is not None and isinstance(value, list):
                kept[key] = self._unique(
                    [self._clean(sub, v, (*where, i)) for i, v in enumerate(value)], key
                )
            elif sub is not None:
                kept[key] = self._clean(sub, value, where)
            elif isinstance(value, list):
                items = [
                    v for v in value if _checks.check_value(model, key, v, where, item=True) is None
                ]
                kept[key] = [_checks.clean_value(model, key, v, item=True) for v in items]
            else:
                problem = _checks.check_value(model, key, value, where)
                if problem is None:
                    kept[key] = (
                        _checks.clean_value(model, key, value) if isinstance(value, str) else value
                    )
                else:
                    self.reasons[dotted(where)] = problem
        return kept

    def _unique(self, items: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
        """Drop a repeated id from later entries, so the interview asks for another one."""
        id_key = _ID_KEYS.get(key)
        seen: list[str] = []
        for index, item in enumerate(items):
            if id_key is None or id_key not in item:
                continue
            problem = _checks.check_unique([*seen, item[id_key]], key, id_key)
            if problem is None:
                seen.append(item[id_key])
            else:
                self.reasons[f"{key}.{index}.{id_key}"] = problem
                del item[id_key]
        return items

    def _complete_parts(self) -> set[str]:
        """The sections and list items of a loaded spec that are already complete."""
        done: set[str] = set()
        for key, value in self.data.items():
            if key == "schema_version" or not isinstance(value, dict | list):
                continue
            if isinstance(value, list):
                model = model_of(ProjectSpec.model_fields[key].annotation)
                for index, item in enumerate(value):
                    if model is not None and _checks.section_complete(model, item):
                        done.add(f"{key}.{index}")
            if value and _checks.field_complete(ProjectSpec, key, value):
                done.add(key)
        return done

    # --- asking ------------------------------------------------------------------------

    def _finished(self, marker: str) -> bool:
        """Say whether ``marker`` or a part holding it (``users.0`` for ``users.0.x``) is done."""
        return any(marker == d or marker.startswith(f"{d}.") for d in self.done)

    def _begin(self, key: str) -> None:
        """Remember to open ``key``'s section before its first question (once)."""
        if key != self._opened:
            self._heading = key

    def _open(self) -> None:
        if self._heading is not None:
            section = prompts.SECTIONS[self._heading]
            prompts.heading(section.title, section.intro)
            reason = self.reasons.pop(section.key, None)
            if reason:
                say(f"  ✗ {reason}", "fg:ansired")
            self._opened, self._heading = self._heading, None

    def _finish_part(self, key: str) -> None:
        """Mark a section finished: not asked again, not even when it was picked to change."""
        self.done.add(key)
        self.change.discard(key)
        self._save()

    def _ask(self, question: prompts.Question, **kwargs: Any) -> Any:
        self._open()
        return ask(question, **kwargs)

    def _field(
        self,
        container: dict[str, Any],
        model: type[BaseModel],
        loc: Loc,
        qkey: str,
        *,
        revisit: bool = False,
        default: Any = None,
        extra: prompts.Check | None = None,
        **kwargs: Any,
    ) -> Any:
        """Ask for one field unless it is answered already; store and save the answer."""
        key = str(loc[-1])
        if key in container and not revisit:
            problem = (
                extra(container[key]) if extra is not None and container[key] is not None else None
            )
            if problem is None:
                return container[key]
            self.reasons[dotted(loc)] = problem
            del container[key]

        def check(value: Any) -> str | None:
            problem = _checks.check_value(model, key, value, loc)
            return problem if problem is not None or extra is None else extra(value)

        self._open()
        reason = self.reasons.pop(dotted(loc), None)
        if reason:
            say(f"  ✗ {reason}", "fg:ansired")
        answer = ask(
            prompts.QUESTIONS[qkey], default=container.get(key, default), check=check, **kwargs
        )
        if answer is None and key != "baseline":
            container.pop(key, None)
        else:
            container[key] = (
                _checks.clean_value(model, key, answer) if isinstance(answer, str) else answer
            )
        self._save()
        return container.get(key)

    def _text_list(
        self,
        container: dict[str, Any],
        model: type[BaseModel],
        loc: Loc,
        qkey: str,
        *,
        revisit: bool,
        **kwargs: Any,
    ) -> None:
        """Ask for a list of short texts, one per answer, until an empty answer."""
        key, marker = str(loc[-1]), dotted(loc)
        items: list[Any] = list(container.get(key) or [])
        if self._finished(marker) and not revisit:
            return
        if items and revisit:
            self._open()
            for item in items:
                say(f"  • {item}")
            if ask(prompts.CONTROL["keep_list"], default=True):
                self.done.add(marker)
                return
            items = []
        while True:

            def check(value: Any, items: list[Any] = items) -> str | None:
                problem = _checks.check_value(model, key, value, (*loc, len(items)), item=True)
                if problem is None and model is Monitoring:
                    problem = _checks.check_section(
                        Monitoring, {**container, key: [*items, value]}, loc[:-1]
                    )
                return problem

            answer = self._ask(prompts.QUESTIONS[qkey], check=check, **kwargs)
            if answer is None:
                break
            items.append(_checks.clean_value(model, key, answer, item=True))
            container[key] = items
            self._save()
        if items:
            container[key] = items
        else:
            container.pop(key, None)
        self.done.add(marker)
        self._save()

    def _items(
        self, key: str, describe: Callable[[dict[str, Any]], str], ask_item: ItemAsker
    ) -> None:
        """Ask for a list of entries (users, metrics, ...): complete each, then offer more."""
        revisit = key in self.change
        if key in self.done and not revisit:
            return
        self._begin(key)
        items: list[dict[str, Any]] = self.data.setdefault(key, [])
        index = 0
        while index < len(items):
            item, marker = items[index], f"{key}.{index}"
            if revisit:
                action = self._ask(
                    prompts.CONTROL["item_action"],
                    message=f"{describe(item)}: keep, edit or remove it?",
                )
                if action == "remove":
                    del items[index]
                    self._forget_item(key, index)
                    self._save()
                    continue
                ask_item(item, index, action == "edit")
            elif marker not in self.done:
                ask_item(item, index, False)
            self.done.add(marker)
            self._save()
            index += 1
        while True:
            if items and not self._ask(prompts.QUESTIONS[f"{key}.more"], default=False):
                break
            items.append({})
            self._save()
            ask_item(items[-1], len(items) - 1, False)
            self.done.add(f"{key}.{len(items) - 1}")
            self._save()
        self._finish_part(key)

    def _forget_item(self, key: str, removed: int) -> None:
        """Shift the finished-item markers of a list after one entry was removed."""
        shifted: set[str] = set()
        prefix = f"{key}."
        for marker in self.done:
            head, _, rest = marker.removeprefix(prefix).partition(".")
            if not marker.startswith(prefix) or not head.isdigit():
                shifted.add(marker)
            elif int(head) != removed:
                index = int(head) - (int(head) > removed)
                shifted.add(f"{prefix}{index}" + (f".{rest}" if rest else ""))
        self.done = shifted


def loc_startswith(loc: tuple[Any, ...], marker: str) -> bool:
    """Say whether a finished-part marker covers the field at ``loc`` (so it is re-asked)."""
    parts = marker.split(".")
    return [str(p) for p in loc[: len(parts)]] == parts


def _is_list(model: type[BaseModel], key: str) -> bool:
    """Say whether ``model.key`` holds a list (possibly optional)."""
    annotation = model.model_fields[key].annotation
    return get_origin(annotation) is list or any(
        get_origin(a) is list for a in get_args(annotation)
    )
