"""The interview: asks for a spec by walking its shape, and writes it, losing no answer.

``Interview`` walks the sections of ``spec.shape`` in order and, inside each, the fields of
the spec model: how a field is asked follows from its type (``_fields``), the few special
cases are a table (``_special``). Every answer is checked with the model's own rules as it
is given (``_checks``) and saved at once to a draft beside the target file (``_draft``). A
run can resume a draft, or start from an existing, possibly partial spec and ask only what
is missing or what the person wants to change. Before the spec is written, the review's
verdict, blockers and questions are shown (``_verdict``); a spec that is not ready offers
to revisit the section a blocker points at, to write anyway, or to stop with the draft kept.
Only ``prompts`` touches the terminal.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from generator._io import read_file, write_atomic
from generator.errors import (
    GeneratorError,
    InterviewInterrupted,
    InterviewStopped,
    SpecError,
    UsageError,
)
from generator.interview import prompts
from generator.interview._checks import (
    answer_check,
    clean_value,
    complete_parts,
    describe,
    keep_valid,
)
from generator.interview._draft import Draft, Loc, Progress, count_answers, draft_path
from generator.interview._fields import (
    asking_order,
    form_of,
    list_section,
    more_question,
    question_for,
)
from generator.interview._special import Here, refused, special
from generator.interview._verdict import RENDER, STOP, WRITE, WRITE_ONLY, choices, verdict_lines
from generator.interview.prompts import Option, ask, say
from generator.review import review_text
from generator.spec import (
    SCHEMA_VERSION,
    LoadedYaml,
    ProjectSpec,
    dump_spec,
    read_spec_data,
    spec_error_lines,
)
from generator.spec.shape import Section

DEFAULT_SPEC = Path("spec.yaml")
"""Where the interview writes when no file is named: ``spec.yaml`` in the current folder."""

ROUNDS = 3
"""Each round re-asks what the final check refused; needing a fourth would be a bug."""


@dataclass(frozen=True)
class InterviewResult:
    """What the interview wrote, the review's verdict on it, and whether to render it next."""

    path: Path
    verdict: str
    render: bool
    """False when the person chose to write a spec that is not ready without rendering it."""


def run_interview(
    target: Path = DEFAULT_SPEC,
    source: Path | None = None,
    *,
    require_tty: bool = True,
    model: type[ProjectSpec] = ProjectSpec,
    renders: bool = False,
) -> InterviewResult:
    """Interview the person, show the review's verdict, write the spec to ``target``.

    Args:
        target: the spec file to write; its draft lives beside it.
        source: an existing, possibly partial spec to start from (``--from``).
        require_tty: refuse at once unless standard input is a terminal.
        model: the spec model whose fields are asked (a model derived from ``ProjectSpec``
            asks its added fields too).
        renders: the project is rendered from the spec next (``new``): a spec that is not
            ready asks whether to render it anyway.

    Raises:
        UsageError: no terminal, or ``target`` is a folder.
        SpecError: ``source`` is not readable YAML.
        InterviewInterrupted: Ctrl-C; the draft holds every answer given.
        InterviewStopped: the person stopped at the verdict; the draft holds every answer.
        GeneratorError: the person chose not to replace an existing, different file.
    """
    if require_tty:
        prompts.require_terminal()
    if target.is_dir():
        raise UsageError(
            f"{target} is a folder; name the spec file to write, e.g. {target / 'spec.yaml'}"
        )
    interview = Interview(Draft(draft_path(target), model), model)
    try:
        interview.start(target, source)
        return interview.finish(target, renders=renders)
    except (KeyboardInterrupt, EOFError) as err:
        raise InterviewInterrupted(interview.interrupted_message()) from err


class Interview:
    """One run of the interview: start (fresh, resumed or from a spec), walk the shape, write."""

    def __init__(self, draft: Draft, model: type[ProjectSpec] = ProjectSpec) -> None:
        self.draft, self.model = draft, model
        self.data: dict[str, Any] = {"schema_version": SCHEMA_VERSION}
        self.progress = Progress()
        self.reasons: dict[Loc, str] = {}
        """Why a loaded or a finally refused answer was dropped; shown when it is asked again."""
        self._pending: Section | None = None
        self._opened: str | None = None

    # --- starting and finishing --------------------------------------------------------

    def start(self, target: Path, source: Path | None) -> None:
        """Resume a draft, or start from ``source`` / an existing target, or from nothing."""
        try:
            saved = self.draft.load()
        except SpecError as err:
            say(f"The draft cannot be read ({err.lines[0]}); it will be replaced.")
            saved = None
        if saved is not None:
            count = count_answers(saved[0])
            say(f"An unfinished interview is saved in {self.draft.path} ({count} answers).")
            if ask(prompts.CONTROL["resume"], default=True):
                self._keep(saved[0])
                self.progress = saved[1]
                return
            say("Starting over; the draft is replaced as you answer.")
        if source is None and target.exists():
            say(f"{target} already exists.")
            if ask(prompts.CONTROL["start_from_target"], default=True):
                source = target
        if source is not None:
            self._start_from(source)

    def _keep(self, raw: dict[str, Any]) -> None:
        kept = keep_valid(
            self.model, raw, (), self.reasons, lambda loc: special(loc).null_is_answer
        )
        self.data = {"schema_version": SCHEMA_VERSION, **kept}

    def _start_from(self, source: Path) -> None:
        """Load a possibly partial spec; ask which of its parts should change."""
        self._keep(read_spec_data(read_file(source), str(source)).data)
        self.progress = Progress(complete_parts(self.model, self.data), based_on=source.resolve())
        for loc in [*self.reasons, *refused(self.data)]:
            self.progress.reopen(loc)  # a part holding a refused answer asks for it again
        say(f"Starting from {source}: {count_answers(self.data)} answers are already there.")
        present = [s for s in prompts.SECTIONS.values() if s.fields or s.key in self.data]
        options = [Option(s.key, s.title) for s in present]
        self.progress.change = set(ask(prompts.CONTROL["change"], default=[], options=options))
        self.progress.finished -= {(key,) for key in self.progress.change}
        self._save()

    def finish(self, target: Path, *, renders: bool = False) -> InterviewResult:
        """Ask until the spec is valid, show the verdict, then write it and remove the draft.

        Raises:
            InterviewStopped: the spec is not ready and the person chose to stop.
        """
        while True:
            text = self._complete(target)
            report = review_text(text, str(target))
            prompts.show(verdict_lines(report, str(target)))
            if report.verdict == "ready":
                choice = RENDER if renders else WRITE
                break
            choice = ask(prompts.CONTROL["not_ready"], options=choices(report, renders=renders))
            if choice in (WRITE, RENDER, WRITE_ONLY):
                break
            if choice == STOP:
                self._save()
                raise InterviewStopped(
                    f"Stopped before writing {target}; your answers are saved in "
                    f"{self.draft.path}. Run the same command again to resume."
                )
            self.progress.change.add(choice)  # revisit the section, then judge again
            self._opened = None
            self._save()
        self._confirm_replace(target, text)
        write_atomic(target, text)
        self.draft.discard()
        return InterviewResult(target, report.verdict, render=choice == RENDER)

    def _complete(self, target: Path) -> str:
        """Walk the shape until the answers make a valid spec; return the spec's text."""
        for _ in range(ROUNDS):
            self._walk()
            try:
                spec = self.model.model_validate(self.data)
                break
            except ValidationError as err:
                if not self._reopen(err):
                    lines = spec_error_lines(err, LoadedYaml(self.data), str(self.draft.path))
                    raise SpecError(lines) from err
        else:  # pragma: no cover - each round re-asks what was wrong
            raise RuntimeError("the interview did not converge on a valid spec")
        text = dump_spec(self.data, model=self.model)
        if self.model.model_validate(read_spec_data(text, str(target)).data) != spec:
            raise RuntimeError("the spec text does not read back as answered; please report this")
        return text

    def _reopen(self, err: ValidationError) -> bool:
        """Drop the answers the final check refused, so that the next round asks them again."""
        reopened = False
        for detail in err.errors(include_url=False):
            loc = tuple(detail["loc"])
            if detail["type"] != "missing":
                parent: Any = self.data
                try:
                    for part in loc[:-1]:
                        parent = parent[part]
                except (KeyError, IndexError, TypeError):
                    continue
                if not loc or not isinstance(parent, dict) or loc[-1] not in parent:
                    continue  # a rule across sections, or a value that is not there
                del parent[loc[-1]]
                self.reasons[loc] = describe(detail)
            self.progress.reopen(loc)
            reopened = reopened or bool(loc)
        self._save()
        return reopened

    def _confirm_replace(self, target: Path, text: str) -> None:
        if not target.exists() or self.progress.based_on == target.resolve():
            return
        if target.read_text(encoding="utf-8", errors="replace") == text:
            return
        say(f"{target} already exists and differs from the new spec.")
        if not ask(prompts.CONTROL["overwrite"], default=False):
            raise GeneratorError(
                f"{target} was left as it was; your answers are kept in {self.draft.path}: run "
                f"`new-ai-project spec new OTHER.yaml --from {self.draft.path}` to write them "
                "elsewhere"
            )

    def interrupted_message(self) -> str:
        """Say where the answers are, for the one line shown after Ctrl-C."""
        if self.draft.saved or self.draft.path.exists():
            return (
                f"Interrupted; your answers are saved in {self.draft.path}. "
                "Run the same command again to resume."
            )
        return "Interrupted before any answer was given; nothing was saved."

    # --- walking the shape -------------------------------------------------------------

    def _walk(self) -> None:
        """Ask every section in turn; finished ones are skipped unless chosen to change."""
        for section in prompts.SECTIONS.values():
            key, revisit = section.key, section.key in self.progress.change
            # the heading shows before the section's first question, if it asks any
            self._pending = section if key != self._opened else None
            if section.fields:
                for name in section.fields:
                    self._ask_for(self.data, self.model, (name,), revisit)
            elif revisit or not self.progress.covers((key,)):
                offer = section.optional and (key not in self.data or revisit)
                wanted = not offer or self._ask(
                    prompts.OPTIONAL_SECTIONS[key], default=key in self.data
                )
                if wanted:
                    self._ask_for(self.data, self.model, (key,), revisit)
                if section.optional and not (wanted and self.data.get(key)):
                    self.data.pop(key, None)  # skipped, or left empty
                self._finish((key,))
            self.progress.change.discard(key)

    def _ask_for(
        self,
        box: dict[str, Any],
        model: type[BaseModel],
        loc: Loc,
        revisit: bool,
        others: list[dict[str, Any]] | None = None,
    ) -> None:
        """Ask for the field at ``loc``, held in ``box``, as its type says."""
        key = str(loc[-1])
        form, sub = form_of(model.model_fields[key])
        if sub is not None and form == "group":
            for name in asking_order(sub, loc):
                self._ask_for(box.setdefault(key, {}), sub, (*loc, name), revisit)
        elif sub is not None:
            self._entries(box.setdefault(key, []), sub, loc, revisit)
        elif form == "texts":
            self._texts(box, model, loc, revisit)
        else:
            self._field(box, model, loc, revisit, others or [])

    def _entries(
        self, entries: list[dict[str, Any]], model: type[BaseModel], loc: Loc, revisit: bool
    ) -> None:
        """Ask for a list of entries: complete (or keep, edit, remove) each, then offer more."""
        index = 0
        while index < len(entries) or not entries or self._ask(more_question(loc), default=False):
            action = "add" if index == len(entries) else "keep"
            if action == "add":
                entries.append({})
                self._save()
            elif revisit:
                section = list_section(loc)
                name = section.name_entry(entries[index]) if section else f"Entry {index + 1}"
                action = self._ask(
                    prompts.CONTROL["item_action"], message=f"{name}: keep, edit or remove it?"
                )
            if action == "remove":
                del entries[index]
                self.progress.forget(loc, index)
                self._save()
                continue
            if action != "keep" or revisit or not self.progress.covers((*loc, index)):
                others = entries[:index] + entries[index + 1 :]
                for name in asking_order(model, (*loc, index)):
                    self._ask_for(
                        entries[index], model, (*loc, index, name), action == "edit", others
                    )
            self._finish((*loc, index))
            index += 1

    def _texts(self, box: dict[str, Any], model: type[BaseModel], loc: Loc, revisit: bool) -> None:
        """Ask for a list of texts, one per answer, until an empty answer."""
        key = str(loc[-1])
        if self.progress.covers(loc) and not revisit:
            return
        items: list[Any] = list(box.get(key) or [])
        self._open()
        if items and revisit:
            for item in items:
                say(f"  • {item}")
            if ask(prompts.CONTROL["keep_list"], default=True):
                self._finish(loc)
                return
            items = []
        check = answer_check(model, loc, box, [], items=items)
        message = _wording(special(loc).message, box)
        self._show_reason(loc)
        question = question_for(model, loc, item=True)
        while (answer := ask(question, check=check, message=message)) is not None:
            items.append(clean_value(model, key, answer, item=True))
            box[key] = items
            self._save()
        if not items:
            box.pop(key, None)
        self._finish(loc)

    def _field(
        self,
        box: dict[str, Any],
        model: type[BaseModel],
        loc: Loc,
        revisit: bool,
        others: list[dict[str, Any]],
    ) -> None:
        """Ask for one value unless it is answered already and its answer is still accepted."""
        key, rule, here = str(loc[-1]), special(loc), Here(self.data, box, others)
        extra = partial(rule.check, here) if rule.check else None
        check = answer_check(model, loc, box, others, extra=extra, alone=rule.alone)
        problem = check(box[key]) if box.get(key) is not None else None
        if rule.auto is not None:
            if key not in box or problem is not None:
                box[key] = rule.auto(here)
            return
        asked = rule.when is None or rule.when(here)
        if problem is not None:
            del box[key]  # refused as loaded, or since an earlier answer changed
            if asked:
                self.reasons[loc] = problem
        while asked:
            if key not in box or revisit:
                revisit = False
                self._open()
                self._show_reason(loc)
                answer = ask(
                    question_for(model, loc),
                    default=box.get(key, rule.default(here) if rule.default else None),
                    check=check,
                    options=rule.options(here) if rule.options else None,
                    message=_wording(rule.message, box),
                    instruction=rule.instruction(here) if rule.instruction else None,
                )
                if answer not in (None, "") or rule.null_is_answer:
                    box[key] = None if answer in (None, "") else clean_value(model, key, answer)
                else:
                    box.pop(key, None)
                self._save()
            confirm = rule.confirm_empty
            if confirm is None or box.get(key) != [] or loc in self.progress.empty_confirmed:
                return
            if self._ask(prompts.QUESTIONS[confirm], default=False):
                self.progress.empty_confirmed.add(loc)
                self._save()
                return
            del box[key]

    # --- headings, saving --------------------------------------------------------------

    def _open(self) -> None:
        """Show the pending section's heading (once, before its first question)."""
        if self._pending is not None:
            section, self._pending = self._pending, None
            self._opened = section.key
            prompts.heading(section.title, section.intro)
            self._show_reason((section.key,))

    def _show_reason(self, loc: Loc) -> None:
        reason = self.reasons.pop(loc, None)
        if reason:
            say(f"  ✗ {reason}", "fg:ansired")

    def _ask(self, question: prompts.Question, **kwargs: Any) -> Any:
        self._open()
        return ask(question, **kwargs)

    def _finish(self, loc: Loc) -> None:
        self.progress.finished.add(loc)
        self._save()

    def _save(self) -> None:
        self.draft.save(self.data, self.progress)


def _wording(template: str | None, entry: dict[str, Any]) -> str | None:
    """Fill a run-time wording with the entry's answers (``?`` for one not given yet)."""
    return None if template is None else template.format_map(defaultdict(lambda: "?", entry))
