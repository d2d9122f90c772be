"""The interview's questions, as plain data, and ``ask()``: the only code that uses the terminal.

Each question is keyed by the spec field it answers (``users.*.role``: ``*`` stands for a
list index). The wording is meant to sound like a careful product manager: what is asked,
why it matters, an example. Checking answers is not done here: ``ask()`` takes a ``check``
callable built from the spec model (see ``generator._checks``).

A suggested text answer is never pre-filled text that typing would append to: it is shown
greyed in the empty answer, Enter takes it, typing replaces it, and Tab puts it in the line
to edit it. After a refused answer, the up arrow brings that answer back to correct it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from generator.errors import UsageError
from generator.spec import shape
from generator.spec.shape import Section

QuestionKind = Literal["text", "number", "select", "checkbox", "confirm"]
Check = Callable[[Any], str | None]

NONE_ANSWER = "-"
"""Typed for an optional question that suggests an answer: none, instead of the suggestion."""


@dataclass(frozen=True)
class Option:
    """One choice of a select or checkbox question."""

    value: str
    title: str
    description: str = ""


@dataclass(frozen=True)
class Question:
    """One question: what is asked, a short instruction, and how the answer is read."""

    message: str
    instruction: str = ""
    kind: QuestionKind = "text"
    options: tuple[Option, ...] = ()
    optional: bool = False
    """An empty answer means "none" (returned as None) instead of being checked."""


def _options(*items: tuple[str, str, str]) -> tuple[Option, ...]:
    return tuple(Option(value, title, description) for value, title, description in items)


SECTIONS: dict[str, Section] = {s.key: s for s in shape.SECTIONS if s.asked}
"""The sections in the order the interview (and the spec file) presents them."""

OPTIONAL_SECTIONS: dict[str, Question] = {
    "operating_boundary": Question(
        "Should a human review or approve some decisions?",
        "a confidence threshold, actions needing approval, where escalations go",
        kind="confirm",
    ),
    "data_dependencies": Question(
        "Does it depend on upstream data sources or integrations?",
        "databases, feeds or APIs owned by someone else",
        kind="confirm",
    ),
    "inputs": Question(
        "Describe the model's inputs as a typed data contract now?",
        "each input's type, bounds or values, and whether it is personal; enforced at every "
        "boundary",
        kind="confirm",
    ),
    "monitoring": Question(
        "Set service levels or drift alerts now?",
        "latency, availability, features watched for drift",
        kind="confirm",
    ),
    "budget": Question("Is there a monthly budget for compute and model usage?", kind="confirm"),
}
"""The yes/no question that opens each optional section."""

QUESTIONS: dict[str, Question] = {
    "title": Question(
        "What is the project called?",
        "a title people will recognise, e.g. Claims triage assistant",
    ),
    "kind": Question(
        "What kind of system is it?",
        "use the arrow keys, Enter to choose",
        kind="select",
        options=_options(
            (
                "service",
                "service   an HTTP API that answers requests",
                "Runs all the time and "
                "answers requests: FastAPI, auth roles, metrics, health checks.",
            ),
            (
                "pipeline",
                "pipeline  a batch job that runs on a schedule",
                "Reads inputs, "
                "writes outputs, records every run: scheduled or triggered batch processing.",
            ),
        ),
    ),
    "name": Question(
        "Short name for the repository and package?",
        "lowercase letters, digits and single hyphens, e.g. claims-triage",
    ),
    "summary": Question(
        "In one or two sentences, what does it do?",
        "e.g. Routes incoming insurance claims and sends complex ones to an adjuster.",
    ),
    "business_goal.problem": Question(
        "What problem does it solve, as the people who have it would say it?",
        "e.g. Adjusters spend about 40% of their week routing claims by hand.",
    ),
    "business_goal.outcome": Question(
        "What is different when it succeeds?",
        "the observable change, e.g. Routine claims are routed automatically.",
    ),
    "business_goal.value": Question(
        "What is that worth, in numbers where you can?",
        "e.g. Median routing time falls from 48 to 4 hours, freeing 12 FTEs.",
    ),
    "business_goal.non_goals.*": Question(
        "Anything it will deliberately NOT do?",
        "one per answer; leave empty when done. e.g. Deciding claim payouts.",
        optional=True,
    ),
    "owners.business": Question(
        "Who is accountable for the business outcome?",
        "a person or role, e.g. Head of Claims Operations",
    ),
    "owners.technical": Question(
        "Which team or person owns the code?", "e.g. Claims Platform team"
    ),
    "owners.operations": Question(
        "Who gets paged when it breaks?", "a rota or address, e.g. claims-oncall@example.com"
    ),
    "users.*.role": Question(
        "What is the role called?",
        "a short slug such as adjuster or auditor; it becomes an access role",
    ),
    "users.*.description": Question(
        "Who are they and what do they do?",
        "e.g. Reviews routing suggestions and overrides them.",
    ),
    "users.*.needs.*": Question(
        "What do they need from the system?",
        "one need per answer; leave empty when done",
        optional=True,
    ),
    "users.*.can": Question(
        "What may they do?",
        "Space to select, Enter to confirm; least privilege: a requester never reviews their "
        "own decision",
        kind="checkbox",
        options=_options(
            ("request", "request   ask the system for decisions", ""),
            ("read", "read      see decisions and their history", ""),
            ("review", "review    approve or override decisions a human must check", ""),
            ("contest", "contest   contest a decision on behalf of the person affected", ""),
            ("sign", "sign      sign records electronically (21 CFR Part 11)", ""),
            ("audit", "audit     read and verify the audit log", ""),
            ("operate", "operate   run the system: kill switch, purges, promotions", ""),
        ),
    ),
    "users.more": Question("Add another user role?", kind="confirm"),
    "success_metrics.*.name": Question(
        "What do you measure?", "e.g. Median routing time, or Routing accuracy on audited claims"
    ),
    "success_metrics.*.unit": Question("In which unit?", "e.g. hours, ratio, EUR, claims per day"),
    "success_metrics.*.baseline": Question(
        "What is the value today?",
        "a plain number such as 48; leave empty if nobody knows yet",
        kind="number",
        optional=True,
    ),
    "success_metrics.*.target": Question(
        "Which value counts as success?", "a plain number such as 4 or 0.95", kind="number"
    ),
    "success_metrics.*.direction": Question(
        "Which way is better?",
        kind="select",
        options=_options(
            ("increase", "increase  higher is better", "e.g. accuracy, throughput, revenue"),
            ("decrease", "decrease  lower is better", "e.g. routing time, error rate, cost"),
        ),
    ),
    "success_metrics.*.measurement": Question(
        "How and how often is it measured?",
        "the source and the cadence, e.g. Claim-system timestamps, reported weekly.",
    ),
    "success_metrics.more": Question("Add another success metric?", kind="confirm"),
    "regulatory.regimes": Question(
        "Which regulations or frameworks apply?",
        "Space to select, Enter to confirm; select none if none apply",
        kind="checkbox",
    ),
    "regulatory.no_regimes": Question(
        "No regime selected: is it right that none applies?",
        "the spec will record regimes: [] as an explicit answer",
        kind="confirm",
    ),
    "regulatory.eu_ai_act_risk": Question(
        "Which EU AI Act risk tier fits the use case?",
        "decides the duties; Art. 5 lists what is prohibited, Annex III what is high-risk",
        kind="select",
        options=_options(
            (
                "minimal",
                "minimal       no specific duties",
                "Most AI systems: spam filters, "
                "recommendations, internal tooling without effect on people's rights.",
            ),
            (
                "limited",
                "limited       transparency duties",
                "Chatbots and generated content: people must be told they deal with AI (Art. 50).",
            ),
            (
                "high",
                "high          full high-risk duties",
                "Annex III uses such as credit "
                "scoring, insurance pricing, hiring, access to essential services, or safety "
                "components of regulated products (Annex I).",
            ),
            (
                "unacceptable",
                "unacceptable  prohibited practice (Art. 5)",
                "Social scoring, "
                "manipulation, exploiting vulnerabilities, untargeted face scraping and the other "
                "Art. 5 practices: these may not be built at all.",
            ),
        ),
    ),
    "regulatory.data_classes": Question(
        "Which kinds of data will it handle?",
        "Space to select, Enter to confirm",
        kind="checkbox",
        options=_options(
            ("public", "public        published, no restrictions", ""),
            ("internal", "internal      internal business data", ""),
            ("confidential", "confidential  trade secrets, contracts", ""),
            ("personal", "personal      anything about an identifiable person", ""),
            ("health", "health        medical or health information", ""),
            ("payment", "payment       card or bank account data", ""),
        ),
    ),
    "regulatory.retention_days": Question(
        "How many days should audit and event records be kept?",
        "a whole number of days; leave empty to decide later",
        kind="number",
        optional=True,
    ),
    "acceptance_criteria.*.given": Question(
        "Given… (the situation before)", "e.g. a routine claim with all required fields"
    ),
    "acceptance_criteria.*.when": Question(
        "When… (the action or event)", "e.g. it is submitted to the routing endpoint"
    ),
    "acceptance_criteria.*.then": Question(
        "Then… (what can be observed)",
        "with a threshold where one applies, e.g. a decision is returned within 2 seconds",
    ),
    "acceptance_criteria.*.layer": Question(
        "Which kind of test proves it?",
        kind="select",
        options=_options(
            ("unit", "unit         one function or rule in isolation", ""),
            ("integration", "integration  components together, in process", ""),
            ("e2e", "e2e          the running system, from the outside", ""),
        ),
    ),
    "acceptance_criteria.*.metric": Question(
        "Does it prove one of the success metrics?", kind="select"
    ),
    "acceptance_criteria.more": Question("Add another acceptance criterion?", kind="confirm"),
    "operating_boundary.review_below_confidence": Question(
        "Below which confidence should a human decide?",
        "a number between 0 and 1 such as 0.8; leave empty for none",
        kind="number",
        optional=True,
    ),
    "operating_boundary.requires_approval.*": Question(
        "Which action needs a human approval?",
        "one per answer; leave empty when done. e.g. Rejecting a claim.",
        optional=True,
    ),
    "operating_boundary.escalation": Question(
        "Where do escalations go?",
        "e.g. claims-oncall@example.com; leave empty for none",
        optional=True,
    ),
    "data_dependencies.*.name": Question("Which data source or integration?", "e.g. claims-db"),
    "data_dependencies.*.owner": Question("Who owns it upstream?", "e.g. Claims Data team"),
    "data_dependencies.*.contract": Question(
        "What is the contract?",
        "schema, version, fields, e.g. Claim record schema v3 (claim_id, amount)",
    ),
    "data_dependencies.more": Question("Add another data dependency?", kind="confirm"),
    "inputs.*.name": Question(
        "What is the input called?", "an identifier such as claim_amount or channel"
    ),
    "inputs.*.type": Question(
        "Which type is it?",
        kind="select",
        options=_options(
            ("number", "number    a decimal number, e.g. an amount", ""),
            ("integer", "integer   a whole number, e.g. an age or a count", ""),
            ("category", "category  one of a fixed list of values", ""),
            ("boolean", "boolean   true or false", ""),
            ("text", "text      free text or an identifier", ""),
        ),
    ),
    "inputs.*.min": Question(
        "Smallest value allowed?",
        "a plain number; leave empty for no bound",
        kind="number",
        optional=True,
    ),
    "inputs.*.max": Question(
        "Largest value allowed?",
        "a plain number; leave empty for no bound",
        kind="number",
        optional=True,
    ),
    "inputs.*.values": Question(
        "Which values may it take?", "one per answer; leave empty when done", optional=True
    ),
    "inputs.*.required": Question("Must every request give it?", kind="confirm"),
    "inputs.*.personal": Question(
        "Does it identify or describe a person?",
        "personal inputs are pseudonymised before logs, audit and quarantine",
        kind="confirm",
    ),
    "inputs.*.source": Question("Which data dependency supplies it?", kind="select"),
    "inputs.more": Question("Add another input?", kind="confirm"),
    "monitoring.latency_p95_ms": Question(
        "95th percentile latency objective, in milliseconds?",
        "e.g. 2000; leave empty for none",
        kind="number",
        optional=True,
    ),
    "monitoring.availability_pct": Question(
        "Availability objective, in percent?",
        "e.g. 99.5; leave empty for none",
        kind="number",
        optional=True,
    ),
    "monitoring.drift_features.*": Question(
        "Which input feature should be watched for drift?",
        "one per answer, like claim_amount; leave empty when done",
        optional=True,
    ),
    "monitoring.drift_threshold": Question(
        "Population stability index that raises a drift alert?",
        "0.2 is a common choice; leave empty for none",
        kind="number",
        optional=True,
    ),
    "budget.monthly_usd": Question(
        "Monthly ceiling in US dollars?", "a plain number such as 2000", kind="number"
    ),
}
"""Every question of the interview, keyed by the spec field it answers."""

CONTROL = {
    "resume": Question("Resume where you left off?", kind="confirm"),
    "start_from_target": Question("Start from it and change only what you need?", kind="confirm"),
    "change": Question(
        "Which parts do you want to change?",
        "Space to select, Enter to confirm; select nothing to keep everything",
        kind="checkbox",
    ),
    "keep_list": Question("Keep these as they are?", kind="confirm"),
    "item_action": Question(
        "Keep, edit or remove it?",
        kind="select",
        options=_options(("keep", "keep", ""), ("edit", "edit", ""), ("remove", "remove", "")),
    ),
    "overwrite": Question("Replace it with the new spec?", kind="confirm"),
    "not_ready": Question(
        "The spec is not ready to build. What now?",
        "use the arrow keys, Enter to choose",
        kind="select",
    ),
}
"""Questions about the interview itself rather than the spec."""


# --- the terminal ------------------------------------------------------------------------


def require_terminal() -> None:
    """Refuse at once when nobody can answer: standard input is not a terminal.

    Raises:
        UsageError: standard input is a pipe, a file or closed.
    """
    stdin = sys.stdin
    if stdin is None or stdin.closed or not stdin.isatty():
        raise UsageError(
            "the interview needs a terminal, and standard input is not one; give a spec "
            "file instead: `new-ai-project new DEST --spec FILE` (start from specs/ in the "
            "repository, check it with `new-ai-project spec validate FILE`)"
        )


def say(text: str, style: str = "") -> None:
    """Show a line of the interview (section intros, reasons an answer was refused)."""
    from prompt_toolkit import print_formatted_text
    from prompt_toolkit.formatted_text import FormattedText

    print_formatted_text(FormattedText([(style, text)]))


def heading(title: str, intro: str) -> None:
    """Open a section: a blank line, its title and one line on why it is asked."""
    say("")
    say(f"── {title} ──", "bold")
    say(intro, "italic")


STYLES = {
    "heading": "bold",
    "blocker": "fg:ansired",
    "ready": "fg:ansigreen bold",
    "not-ready": "fg:ansired bold",
}
"""How the verdict's lines are shown, by the kind of line."""


def show(lines: Sequence[tuple[str, str]]) -> None:
    """Show lines tagged with what they are (``STYLES`` keys; other tags are shown plainly)."""
    for kind, text in lines:
        say(text, STYLES.get(kind, ""))


def _read_number(text: str) -> Any:
    """Read a typed number; anything else is returned as text for the check to refuse."""
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text


def ask(
    question: Question,
    *,
    default: Any = None,
    check: Check | None = None,
    options: Sequence[Option] | None = None,
    message: str | None = None,
    instruction: str | None = None,
) -> Any:
    """Ask one question until the answer passes ``check``; show the reason when it does not.

    Args:
        question: what to ask.
        default: the answer offered: a suggestion Enter takes and typing replaces (text and
            numbers), the option pre-selected, or the options pre-checked.
        check: returns why an answer is not acceptable, or None when it is.
        options: choices computed at run time (overrides ``question.options``).
        message: the question's wording with run-time details (overrides ``question.message``).
        instruction: a run-time hint (overrides ``question.instruction``).

    Returns:
        str, int/float, None (an optional question left empty), list[str] or bool.

    Raises:
        KeyboardInterrupt: the person pressed Ctrl-C (or Ctrl-D).
    """
    recall: str | None = None
    while True:
        answer = _ask_once(question, default, options, message, instruction, recall)
        problem = check(answer) if check is not None and answer is not None else None
        if problem is None:
            return answer
        say(f"  ✗ {problem}", "fg:ansired")
        if question.kind in ("text", "number"):
            recall = _as_text(answer)  # the suggestion stays; the up arrow recalls the answer
        else:
            default = answer


def _ask_once(
    question: Question,
    default: Any,
    options: Sequence[Option] | None,
    message: str | None,
    hint: str | None,
    recall: str | None = None,
) -> Any:
    import questionary

    text = message or question.message
    hint = hint or question.instruction
    instruction = f"({hint})" if hint else None
    choices = options if options is not None else question.options
    if question.kind == "confirm":
        prompt = questionary.confirm(
            text, default=bool(default), instruction=_confirm_hint(bool(default), instruction)
        )
        answer = prompt.unsafe_ask()
        if answer is None:  # Ctrl-C inside questionary's own handler
            raise KeyboardInterrupt
        return bool(answer)
    if question.kind == "select":
        select_choices = [
            questionary.Choice(o.title, value=o.value, description=o.description or None)
            for o in choices
        ]
        fallback = default if any(o.value == default for o in choices) else None
        answer = questionary.select(
            text, select_choices, default=fallback, instruction=instruction
        ).unsafe_ask()
        if answer is None:
            raise KeyboardInterrupt
        return answer
    if question.kind == "checkbox":
        chosen = set(default or ())
        box_choices = [
            questionary.Choice(
                o.title, value=o.value, checked=o.value in chosen, description=o.description or None
            )
            for o in choices
        ]
        answer = questionary.checkbox(text, box_choices, instruction=instruction).unsafe_ask()
        if answer is None:
            raise KeyboardInterrupt
        chosen_values = list(answer)
        say(f"  → {', '.join(chosen_values) if chosen_values else 'none'}", "fg:ansicyan")
        return chosen_values
    suggestion = "" if default is None else _as_text(default)
    typed = _text_prompt(text, hint, suggestion, recall, optional=question.optional)
    if not typed or (question.optional and suggestion and typed == NONE_ANSWER):
        return None if question.optional else ""
    return _read_number(typed) if question.kind == "number" else typed


def _text_prompt(
    text: str, hint: str, suggestion: str, recall: str | None, *, optional: bool
) -> str:
    """Read one line; an empty line takes ``suggestion``, shown greyed until typing starts."""
    import questionary
    from prompt_toolkit.formatted_text import FormattedText
    from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent

    keys = KeyBindings()

    @keys.add("enter", eager=True)
    def _accept(event: KeyPressEvent) -> None:
        buffer = event.current_buffer
        if not buffer.text.strip() and suggestion:
            buffer.text = suggestion  # so that the echoed answer shows what was taken
        buffer.validate_and_handle()

    @keys.add("tab")
    def _edit(event: KeyPressEvent) -> None:
        if not event.current_buffer.text:
            event.current_buffer.insert_text(suggestion)

    @keys.add("up")
    def _recall(event: KeyPressEvent) -> None:
        if recall and not event.current_buffer.text:
            event.current_buffer.insert_text(recall)

    parts = [hint] if hint else []
    if suggestion:
        parts.append("Enter takes the grey suggestion, Tab edits it")
        if optional:
            parts.append(f"{NONE_ANSWER} for none")
    if recall:
        parts.append("↑ brings back your answer")
    typed = questionary.text(
        text,
        instruction=f"({'; '.join(parts)})" if parts else None,
        placeholder=FormattedText([("fg:ansibrightblack", suggestion)]) if suggestion else None,
        key_bindings=keys,
    ).unsafe_ask()
    if typed is None:
        raise KeyboardInterrupt
    return str(typed).strip()


def _as_text(value: Any) -> str:
    """Show a number as typed (``4``, not ``4.0``)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _confirm_hint(default: bool, instruction: str | None) -> str:
    """Put the y/n hint after the explanation, as questionary shows it for confirms."""
    hint = "(Y/n)" if default else "(y/N)"
    return f"{instruction} {hint} " if instruction else f"{hint} "
