"""The interview: asks for a spec by walking the spec model, and writes it, losing no answer.

``Interview`` walks the spec's sections in order (``spec.sections``) and, inside each, the
fields of the spec model: how a field is asked follows from its type and its ``Doc`` (the
question, hint, example, suggestion, condition, the list it refers to; ``_fields``). Every
answer is checked with the model's own rules as it is given (``_checks``) and saved at
once to a draft beside the target file (``_draft``). A run can resume a draft, or start
from an existing, possibly partial spec and ask only what is missing or what the person
wants to change. Before the spec is written, the review's verdict, blockers and questions
are shown (``_verdict``) with its warnings and notes, and any section can be revisited
before the spec is written (a spec that is not ready also offers to write anyway, or to stop
with the draft kept). Every question goes through a ``Prompt`` (the terminal's, unless a
test gives another), keyed by the field it answers.

Going back: a ``BACK`` answer returns to the previous question. The walk is a function of
the answers given, so the interview starts it again from where this run began and replays
every answer but the last without asking (and without showing or saving anything), then
asks the last question again with its earlier answer offered.
"""

from __future__ import annotations

import copy
from collections import deque
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from generator._io import is_special, read_file, write_atomic
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
    reference_check,
    refused,
)
from generator.interview._draft import Draft, Loc, Progress, count_answers, draft_path
from generator.interview._fields import (
    confirm_empty_question,
    counter,
    first_free,
    more_question,
    offer_question,
    question_for,
    question_key,
    referenced,
    spot_at,
    spot_from_top,
)
from generator.interview._verdict import (
    OTHER,
    RENDER,
    STOP,
    WRITE,
    WRITE_ONLY,
    choices,
    verdict_lines,
)
from generator.interview.prompts import BACK, Option, Prompt, Request, TerminalPrompt
from generator.review import review_text
from generator.spec import (
    SCHEMA_VERSION,
    Answers,
    LoadedYaml,
    ProjectSpec,
    Section,
    Spot,
    asking_order,
    dump_spec,
    read_spec_data,
    sections,
    spec_error_lines,
)

DEFAULT_SPEC = Path("spec.yaml")
"""Where the interview writes when no file is named: ``spec.yaml`` in the current folder."""

ROUNDS = 3
"""Each round re-asks what the final check refused; needing a fourth would be a bug."""


class _Back(Exception):
    """Unwinds the walk to go back one question (``Interview.finish`` catches it)."""


@dataclass(frozen=True)
class _State:
    """Everything the walk's next question depends on, to start it again from here."""

    data: dict[str, Any]
    progress: Progress
    reasons: dict[Loc, str]
    opened: str | None


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
    prompt: Prompt | None = None,
) -> InterviewResult:
    """Interview the person, show the review's verdict, write the spec to ``target``.

    Args:
        target: the spec file to write; its draft lives beside it.
        source: an existing, possibly partial spec to start from (``--from``).
        require_tty: refuse at once unless standard input is a terminal (ignored with a
            ``prompt`` of one's own).
        model: the spec model whose fields are asked (a model derived from ``ProjectSpec``
            asks its added fields too).
        renders: the project is rendered from the spec next (``new``): a spec that is not
            ready asks whether to render it anyway.
        prompt: who answers; the person at the terminal unless given.

    Raises:
        UsageError: no terminal, or ``target`` is a folder.
        SpecError: ``source`` is not readable YAML.
        InterviewInterrupted: Ctrl-C; the draft holds every answer given.
        InterviewStopped: the person stopped at the verdict; the draft holds every answer.
        GeneratorError: the person chose not to replace an existing, different file.
    """
    if prompt is None:
        if require_tty:
            prompts.require_terminal()
        prompt = TerminalPrompt()
    if target.is_dir():
        raise UsageError(
            f"{target} is a folder; name the spec file to write, e.g. {target / 'spec.yaml'}"
        )
    interview = Interview(Draft(draft_path(target), model), model, prompt)
    try:
        interview.start(target, source)
        return interview.finish(target, renders=renders)
    except (KeyboardInterrupt, EOFError) as err:
        raise InterviewInterrupted(interview.interrupted_message()) from err


class Interview:
    """One run of the interview: start (fresh, resumed or from a spec), walk the model, write."""

    def __init__(
        self,
        draft: Draft,
        model: type[ProjectSpec] = ProjectSpec,
        prompt: Prompt | None = None,
    ) -> None:
        self.draft, self.model = draft, model
        self.prompt: Prompt = prompt or TerminalPrompt()
        self.data: dict[str, Any] = {"schema_version": SCHEMA_VERSION}
        self.progress = Progress()
        self.reasons: dict[Loc, str] = {}
        """Why a loaded or a finally refused answer was dropped; shown when it is asked again."""
        self.sections = {s.key: s for s in sections(model) if s.asked}
        self._pending: Section | None = None
        self._opened: str | None = None
        self.answers: list[tuple[str, Any]] = []
        """The questions answered since the walk began in this run, by key, in order."""
        self.replay: deque[tuple[str, Any]] = deque()
        """Answers to give again without asking, after going back."""
        self.again: tuple[str, Any] | None = None
        """The question gone back to, with its earlier answer to offer."""

    # --- talking -------------------------------------------------------------------------

    def say(self, text: str, style: str = "") -> None:
        """Show one line through the prompt (nothing while earlier answers are replayed)."""
        if not self.replay:
            self.prompt.say(text, style)

    def put(self, request: Request) -> Any:
        """Put one question: every question of the interview goes through here.

        While replaying after going back, the earlier answer is given without asking. The
        question gone back to offers its earlier answer. A ``BACK`` answer unwinds the walk
        (``_Back``) to ask the question before this one again.
        """
        if self.replay:
            key, answer = self.replay.popleft()
            if key == request.key:
                self.answers.append((key, answer))
                if not self.replay:
                    self._save()  # the draft catches up with the answers replayed
                return answer
            self.replay.clear()  # the walk went another way: ask from here
            self._save()
        if self.again is not None:
            key, earlier = self.again
            self.again = None
            if key == request.key:
                request = replace(request, default=earlier)
        while (answer := self.prompt.ask(request)) is BACK:
            if self.answers:
                raise _Back
            self.say("  This is the first question; there is nothing before it to go back to.")
        self.answers.append((request.key, answer))
        return answer

    def control(self, key: str, **kwargs: Any) -> Any:
        """Ask one of the questions about the interview itself (``prompts.CONTROL``)."""
        question = prompts.CONTROL[key]
        message, options = kwargs.pop("message", None), kwargs.pop("options", None)
        if message is not None or options is not None:
            question = replace(
                question,
                message=message or question.message,
                options=tuple(options) if options is not None else question.options,
            )
        return self.put(Request(f"control.{key}", question, **kwargs))

    # --- starting and finishing --------------------------------------------------------

    def start(self, target: Path, source: Path | None) -> None:
        """Resume a draft, or start from ``source`` / an existing target, or from nothing."""
        try:
            saved = self.draft.load()
        except SpecError as err:
            self.say(f"The draft cannot be read ({err.lines[0]}); it will be replaced.")
            saved = None
        if saved is not None:
            count = count_answers(saved[0])
            self.say(f"An unfinished interview is saved in {self.draft.path} ({count} answers).")
            if self.control("resume", default=True):
                self._keep(saved[0])
                self.progress = saved[1]
                return
            self.say("Starting over; the draft is replaced as you answer.")
        if source is None and target.exists() and not is_special(target):
            self.say(f"{target} already exists.")
            if self.control("start_from_target", default=True):
                source = target
        if source is not None:
            self._start_from(source)

    def _keep(self, raw: dict[str, Any]) -> None:
        kept = keep_valid(self.model, raw, (), self.reasons, self._null_is_answer)
        self.data = {"schema_version": SCHEMA_VERSION, **kept}

    def _null_is_answer(self, loc: Loc) -> bool:
        try:
            return bool(spot_from_top(self.model, loc).doc.null)
        except (StopIteration, KeyError):
            return False

    def _start_from(self, source: Path) -> None:
        """Load a possibly partial spec; ask which of its parts should change."""
        self._keep(read_spec_data(read_file(source), str(source)).data)
        self.progress = Progress(complete_parts(self.model, self.data), based_on=source.resolve())
        for loc in [*self.reasons, *refused(self.model, self.data)]:
            self.progress.reopen(loc)  # a part holding a refused answer asks for it again
        self.say(f"Starting from {source}: {count_answers(self.data)} answers are already there.")
        present = [s for s in self.sections.values() if s.grouped or s.key in self.data]
        options = [Option(s.key, s.title) for s in present]
        self.progress.change = set(self.control("change", default=[], options=options))
        self.progress.finished -= {(key,) for key in self.progress.change}
        self._save()

    def finish(self, target: Path, *, renders: bool = False) -> InterviewResult:
        """Ask until the spec is valid, show the verdict, then write it and remove the draft.

        Going back (``BACK``) starts the walk again from where it began in this run and
        replays every answer but the last, which is asked again.

        Raises:
            InterviewStopped: the person chose to stop at the verdict.
        """
        origin = self._state()
        self.answers = []
        self.say("(Type < or press ↑ on an empty answer to go back to the previous question.)")
        while True:
            try:
                return self._decide(target, renders=renders)
            except _Back:
                given, self.answers = self.answers, []
                self._restore(origin)
                self.replay = deque(given[:-1])
                self.again = given[-1]
                if not self.replay:
                    self._save()

    def _state(self) -> _State:
        return _State(
            copy.deepcopy(self.data),
            copy.deepcopy(self.progress),
            dict(self.reasons),
            self._opened,
        )

    def _restore(self, state: _State) -> None:
        self.data = copy.deepcopy(state.data)
        self.progress = copy.deepcopy(state.progress)
        self.reasons = dict(state.reasons)
        self._opened, self._pending = state.opened, None

    def _decide(self, target: Path, *, renders: bool) -> InterviewResult:
        """Walk, show the verdict, and act on the person's choice until the spec is written."""
        while True:
            text = self._complete(target)
            report = review_text(text, str(target), self.model)
            prompts.show(self, verdict_lines(report, str(target), self.model))
            options = choices(report, renders=renders, model=self.model)
            choice = self.control("verdict", options=options)
            if choice == OTHER:
                others = [Option(s.key, s.title) for s in self.sections.values()]
                choice = self.control("section", options=others)
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
        """Walk the model until the answers make a valid spec; return the spec's text."""
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
        if not target.exists() or is_special(target) or self.progress.based_on == target.resolve():
            return
        if target.read_text(encoding="utf-8", errors="replace") == text:
            return
        self.say(f"{target} already exists and differs from the new spec.")
        if not self.control("overwrite", default=False):
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

    # --- walking the model -------------------------------------------------------------

    def _walk(self) -> None:
        """Ask every section in turn; finished ones are skipped unless chosen to change."""
        for section in self.sections.values():
            key, revisit = section.key, section.key in self.progress.change
            # the heading shows before the section's first question, if it asks any
            self._pending = section if key != self._opened else None
            if section.grouped:
                for name in section.fields:
                    self._ask_for(self.data, self.model, (name,), revisit)
            elif revisit or not self.progress.covers((key,)):
                self._ask_for(self.data, self.model, (key,), revisit)
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
        """Ask for the field at ``loc``, held in ``box``, as its type and ``Doc`` say."""
        key = str(loc[-1])
        spot = spot_at(model, loc)
        if spot.model is None:
            if spot.form == "texts":
                when = spot.doc.when
                if when is not None and not when.holds(Answers(self.data, box)):
                    box.pop(key, None)  # a list that does not apply here
                    return
                self._texts(box, model, spot, loc, revisit)
            else:
                self._field(box, model, spot, loc, revisit, others or [])
            return
        answers = Answers(self.data, box)
        if spot.doc.when is not None and not spot.doc.when.holds(answers):
            box.pop(key, None)  # a part that does not apply (to this kind, say)
            return
        required = spot.required_in(answers)  # by type, or by its condition (genai for agents)
        offer = not required and (key not in box or revisit)
        if offer:
            question = offer_question(spot)
            wanted = self._ask(Request(f"{spot.path}.offer", question, key in box, loc=loc))
            if not wanted:
                box.pop(key, None)
                return
        if spot.form == "group":
            inner = box.setdefault(key, {})
            for name in asking_order(spot.model, spot.path):
                self._ask_for(inner, spot.model, (*loc, name), revisit)
        else:
            self._entries(box.setdefault(key, []), spot, loc, revisit)
        if not required and not box.get(key):
            box.pop(key, None)  # left empty: an optional part is left out

    def _entries(self, entries: list[dict[str, Any]], spot: Spot, loc: Loc, revisit: bool) -> None:
        """Ask for a list of entries: complete (or keep, edit, remove) each, then offer more."""
        assert spot.model is not None
        index = 0
        while (
            index < len(entries)
            or not entries
            or self._ask(
                Request(f"{spot.path}.more", more_question(spot, len(entries)), False, loc=loc)
            )
        ):
            action = "add" if index == len(entries) else "keep"
            if action == "add":
                entries.append({})
                self._save()
            elif revisit:
                name = spot.doc.name_entry(entries[index])
                action = self._ask_control(
                    "item_action", message=f"{name}: keep, edit or remove it?"
                )
            if action == "remove":
                del entries[index]
                self.progress.forget(loc, index)
                self._save()
                continue
            if action != "keep" or revisit or not self.progress.covers((*loc, index)):
                others = entries[:index] + entries[index + 1 :]
                for name in asking_order(spot.model, spot.path + ".*"):
                    self._ask_for(
                        entries[index], spot.model, (*loc, index, name), action == "edit", others
                    )
            self._finish((*loc, index))
            index += 1

    def _texts(
        self, box: dict[str, Any], model: type[BaseModel], spot: Spot, loc: Loc, revisit: bool
    ) -> None:
        """Ask for a list of texts, one per answer, until an empty answer."""
        key = spot.key
        if self.progress.covers(loc) and not revisit:
            return
        items: list[Any] = list(box.get(key) or [])
        self._open()
        if items and revisit:
            for item in items:
                self.say(f"  • {item}")
            if self._ask_control("keep_list", default=True):
                self._finish(loc)
                return
            items = []
        self._show_reason(loc)
        while True:
            check = answer_check(model, loc, box, [], items=items)
            place = counter(self.data, loc, items=len(items))
            question = question_for(spot, Answers(self.data, box), item=True, place=place)
            answer = self.put(Request(f"{spot.path}.*", question, check=check, loc=loc))
            if answer is None:  # the check has accepted the list as it is
                break
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
        spot: Spot,
        loc: Loc,
        revisit: bool,
        others: list[dict[str, Any]],
    ) -> None:
        """Ask for one value unless it is answered already and its answer is still accepted."""
        key, doc = spot.key, spot.doc
        answers = Answers(self.data, box, others)
        extra = reference_check(spot, answers) if doc.refers else None
        check = answer_check(model, loc, box, others, extra=extra)
        problem = check(box[key]) if box.get(key) is not None else None
        if doc.auto:
            if key not in box or problem is not None:
                box[key] = first_free(doc.auto, key, others)
            return
        asked = doc.asked and (doc.when is None or doc.when.holds(answers))
        if doc.refers is not None and not referenced(spot, answers):
            asked = False  # nothing to refer to yet
        if problem is not None:
            del box[key]  # refused as loaded, or since an earlier answer changed
            if asked:
                self.reasons[loc] = problem
        while asked:
            if key not in box or revisit:
                revisit = False
                self._open()
                self._show_reason(loc)
                suggestion = box.get(key, spot.suggestion(answers))
                question = question_for(spot, answers, place=counter(self.data, loc))
                answer = self.put(Request(question_key(loc), question, suggestion, check, loc))
                if answer not in (None, "") or doc.null:
                    box[key] = None if answer in (None, "") else clean_value(model, key, answer)
                else:
                    box.pop(key, None)
                self._save()
            if not doc.confirm_empty or box.get(key) != [] or loc in self.progress.empty_confirmed:
                return
            confirm = Request(f"{spot.path}.empty", confirm_empty_question(spot), False, loc=loc)
            if self._ask(confirm):
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
            prompts.heading(self, section.title, section.intro)
            self._show_reason((section.key,))

    def _show_reason(self, loc: Loc) -> None:
        reason = self.reasons.pop(loc, None)
        if reason:
            self.say(f"  ✗ {reason}", "fg:ansired")

    def _ask(self, request: Request) -> Any:
        self._open()
        return self.put(request)

    def _ask_control(self, key: str, **kwargs: Any) -> Any:
        self._open()
        return self.control(key, **kwargs)

    def _finish(self, loc: Loc) -> None:
        self.progress.finished.add(loc)
        self._save()

    def _save(self) -> None:
        if not self.replay:  # replaying earlier answers: saved once they are all given
            self.draft.save(self.data, self.progress)
