"""The interview: asks for a spec section by section and writes it, losing no answer.

Every answer is checked with the spec model's own rules as it is given (``_checks``),
saved at once to a draft beside the target file (``_draft``), and the finished spec is
written as commented YAML (``_spec_writer``). A run can resume a draft, or start from an
existing, possibly partial spec and ask only what is missing or what the person wants to
change. Only ``prompts`` touches the terminal.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from generator._io import read_file, write_atomic
from generator.errors import GeneratorError, SpecError, UsageError
from generator.interview import _checks, prompts
from generator.interview._answers import dotted, loc_startswith
from generator.interview._draft import Draft, count_answers, draft_path
from generator.interview._sections import Sections
from generator.interview.prompts import Option, ask, say
from generator.spec import LoadedYaml, ProjectSpec, parse_spec, read_spec_data
from generator.spec.wording import spec_error_lines
from generator.spec.writer import dump_spec

DEFAULT_SPEC = Path("spec.yaml")
"""Where the interview writes when no file is named: ``spec.yaml`` in the current folder."""


class InterviewInterrupted(GeneratorError):
    """The person pressed Ctrl-C; the answers so far are in the draft."""

    exit_code = 130


def run_interview(
    target: Path = DEFAULT_SPEC, source: Path | None = None, *, require_tty: bool = True
) -> Path:
    """Interview the person, write the spec to ``target`` and return its path.

    Args:
        target: the spec file to write; its draft lives beside it.
        source: an existing, possibly partial spec to start from (``--from``).
        require_tty: refuse at once unless standard input is a terminal.

    Raises:
        UsageError: no terminal, or ``target`` is a folder.
        SpecError: ``source`` is not readable YAML.
        InterviewInterrupted: Ctrl-C; the draft holds every answer given.
        GeneratorError: the person chose not to replace an existing, different file.
    """
    if require_tty:
        prompts.require_terminal()
    if target.is_dir():
        raise UsageError(
            f"{target} is a folder; name the spec file to write, e.g. {target / 'spec.yaml'}"
        )
    interview = _Interview(Draft(draft_path(target)))
    try:
        interview.start(target, source)
        return interview.finish(target)
    except (KeyboardInterrupt, EOFError) as err:
        raise InterviewInterrupted(interview.interrupted_message()) from err


class _Interview(Sections):
    """One run of the interview: start (fresh, resumed or from a spec), ask, write."""

    # --- starting, finishing, saving ---------------------------------------------------

    def start(self, target: Path, source: Path | None) -> None:
        """Resume a draft, or start from ``source`` / an existing target, or from nothing."""
        saved = self._saved_draft()
        if saved is not None:
            data, done = saved
            count = count_answers(data)
            say(f"An unfinished interview is saved in {self.draft.path} ({count} answers).")
            if ask(prompts.CONTROL["resume"], default=True):
                self.data = {"schema_version": 1, **self._clean(ProjectSpec, data, ())}
                self.done = done
                self.based_on = self._based_on_from(done)
                return
            say("Starting over; the draft is replaced as you answer.")
        if source is None and target.exists():
            say(f"{target} already exists.")
            if ask(prompts.CONTROL["start_from_target"], default=True):
                source = target
        if source is not None:
            self._start_from(source)

    def _saved_draft(self) -> tuple[dict[str, Any], set[str]] | None:
        try:
            return self.draft.load()
        except SpecError as err:
            say(f"The draft cannot be read ({err.lines[0]}); it will be replaced.")
            return None

    def _based_on_from(self, done: set[str]) -> Path | None:
        marker = next((d for d in done if d.startswith("from:")), None)
        return Path(marker.removeprefix("from:")) if marker else None

    def _start_from(self, source: Path) -> None:
        """Load a possibly partial spec; ask which of its complete parts should change."""
        loaded = read_spec_data(read_file(source), str(source))
        self.data = {"schema_version": 1, **self._clean(ProjectSpec, loaded.data, ())}
        self.based_on = source.resolve()
        self.done = self._complete_parts() | {f"from:{self.based_on}"}
        present = [key for key in prompts.SECTIONS if key == "about" or key in self.data]
        say(f"Starting from {source}: {count_answers(self.data)} answers are already there.")
        options = [Option(key, prompts.SECTIONS[key].title) for key in present]
        self.change = set(ask(prompts.CONTROL["change"], default=[], options=options))
        self.done -= self.change
        self._save()

    def finish(self, target: Path) -> Path:
        """Ask until the spec is valid, then write it and remove the draft."""
        for _ in range(3):
            self._run()
            try:
                spec = ProjectSpec.model_validate(self.data)
                break
            except ValidationError as err:
                if not self._reopen(err):
                    lines = spec_error_lines(err, LoadedYaml(self.data), str(self.draft.path))
                    raise SpecError(lines) from err
        else:  # pragma: no cover - each round re-asks what was wrong; three rounds is a bug
            raise RuntimeError("the interview did not converge on a valid spec")
        text = dump_spec(self.data)
        if parse_spec(text, str(target)) != spec:
            raise RuntimeError("the spec text does not read back as answered; please report this")
        self._confirm_replace(target, text)
        write_atomic(target, text)
        self.draft.discard()
        return target

    def _reopen(self, err: ValidationError) -> bool:
        """Drop the answers the final check refused, so the next round asks them again."""
        reopened = False
        for detail in err.errors(include_url=False):
            loc = tuple(detail["loc"])
            if not loc:
                continue
            if detail["type"] == "missing":
                self.done = {d for d in self.done if not loc_startswith(loc, d)}
                reopened = True
                continue
            parent: Any = self.data
            try:
                for part in loc[:-1]:
                    parent = parent[part]
            except (KeyError, IndexError, TypeError):
                continue
            if isinstance(parent, dict) and loc[-1] in parent:
                del parent[loc[-1]]
                self.reasons[dotted(loc)] = _checks.describe(detail)
                self.done = {d for d in self.done if not loc_startswith(loc, d)}
                reopened = True
        self._save()
        return reopened

    def _confirm_replace(self, target: Path, text: str) -> None:
        if not target.exists() or (self.based_on is not None and self.based_on == target.resolve()):
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
