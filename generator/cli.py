"""The command line: parse, call one core function, show its result, return the exit code."""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from generator import _output
from generator.errors import GeneratorError, UsageError

DESCRIPTION = """\
Render production-ready AI project repositories from one spec, keep them current,
and review the spec in planning meetings.

Without a command: an interview asks for the spec (saved as spec.yaml in the current
folder), then renders the project into ./NAME. In scripts, use `new DEST --spec FILE`.

Exit codes: 0 success, 1 the input or project is not acceptable, 2 usage error,
130 interrupted (interview answers are kept in a draft).
"""

Handler = Callable[[argparse.Namespace], int]


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors become UsageError (exit 2, one line)."""

    def error(self, message: str) -> None:  # type: ignore[override]  # argparse declares NoReturn
        """Raise a usage error instead of printing and exiting."""
        raise UsageError(f"{message} (see `{self.prog} --help`)")


def build_parser() -> argparse.ArgumentParser:
    """Build the parser for every command."""
    parser = _Parser(
        prog="new-ai-project",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="store_true", help="show the version and exit")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    new = commands.add_parser(
        "new",
        help="render a new project repository from a spec",
        description="Render a production-ready repository from a spec file into DEST: "
        "spec.yaml, .copier-answers.yml, code, tests, CI and docs; then git init and a first "
        "commit. A spec with blocking findings is refused (exit 1) unless --draft is given. "
        "Rendering is atomic: on failure or Ctrl-C nothing is left behind.",
    )
    new.add_argument("dest", type=Path, metavar="DEST", help="the folder to create")
    new.add_argument(
        "--spec",
        type=Path,
        metavar="FILE",
        help="the spec file to render; its review's verdict is printed, nothing is asked "
        "(without it, an interview writes DEST.spec.yaml first and asks before rendering a spec "
        "that is not ready)",
    )
    new.add_argument("--force", action="store_true", help="render into a non-empty DEST")
    new.add_argument("--no-git", action="store_true", help="skip git init and the first commit")
    new.add_argument(
        "--draft",
        action="store_true",
        help="render a spec that has blocking findings (it is refused otherwise); the "
        "repository's CI gets a readiness job that fails until they are gone",
    )
    _template_options(new)
    new.set_defaults(handler=_new)

    spec = commands.add_parser("spec", help="write, validate and describe spec files")
    spec_commands = spec.add_subparsers(
        dest="spec_command", metavar="SUBCOMMAND", parser_class=_Parser
    )
    spec.set_defaults(handler=_needs_subcommand(spec))

    validate = spec_commands.add_parser(
        "validate",
        help="check spec files; print FILE:LINE: field.path: message per problem",
        description="Check spec files. Exit 0 when all are valid, 1 when any is not.",
    )
    validate.add_argument("files", nargs="+", type=Path, metavar="FILE")
    validate.set_defaults(handler=_spec_validate)

    spec_new = spec_commands.add_parser(
        "new",
        help="write a spec file by answering questions (an interview)",
        description="Ask for the spec question by question, check each answer as it is "
        "given, and write FILE (default: spec.yaml in the current folder). `<` (or the up "
        "arrow on an empty answer) goes back to the previous question. Every answer is saved "
        "at once to a draft beside FILE (spec.yaml -> spec.draft.yaml); after Ctrl-C, run the "
        "same command again to resume. Before writing, it shows the review's verdict with its "
        "blockers, warnings, notes and questions, and offers to revisit any section; a spec "
        "that is not ready may also be written anyway, or the interview stopped with the "
        "draft kept (exit 1). FILE may be a symbolic link (its target is written) or a named "
        "pipe. Needs a terminal: in scripts, write the spec file yourself and use "
        "`new DEST --spec FILE`.",
    )
    spec_new.add_argument(
        "file",
        type=Path,
        nargs="?",
        default=Path("spec.yaml"),
        metavar="FILE",
        help="the spec file to write (default: spec.yaml)",
    )
    spec_new.add_argument(
        "--from",
        dest="source",
        type=Path,
        metavar="SPEC",
        help="start from an existing, possibly partial spec: ask only what is missing "
        "or what you choose to change",
    )
    spec_new.set_defaults(handler=_spec_new)

    schema = spec_commands.add_parser(
        "schema",
        help="print the spec's JSON Schema (for editors)",
        description="Print the JSON Schema of the spec on stdout. The same file ships in the "
        "package; `spec schema --path` prints where, for `# yaml-language-server: $schema=...`.",
    )
    schema.add_argument("--path", action="store_true", help="print the shipped schema file's path")
    schema.set_defaults(handler=_spec_schema)

    review = commands.add_parser(
        "review",
        help="judge whether a spec is ready to build (Markdown, HTML or JSON report)",
        description="Review a spec for a planning meeting: findings (blocker, warning, info), "
        "a verdict and score, the controls its regulatory scope brings, and questions to "
        "settle. Drafts are fine: schema errors become blocking findings. Several files make "
        "one portfolio for deciding what goes next: a row per spec (verdict, score, blockers, "
        "warnings, kind, regimes, EU AI Act risk tier, value, monthly budget, controls, owner; "
        "sortable by any column in HTML) linking to its full review; a file that is invalid "
        "or unreadable is marked so in its row and does not stop the others. Exit 1 when a "
        "spec has schema errors (or, with --strict, any blocker); otherwise 0.",
    )
    review.add_argument(
        "files", nargs="+", type=Path, metavar="FILE", help="the spec file(s) to review"
    )
    review.add_argument("--format", choices=["md", "html", "json"], default="md")
    review.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="OUT",
        help="write the report to this file (atomically; a symbolic link's target, a device "
        "such as /dev/null or a named pipe is written in place, never replaced)",
    )
    review.add_argument("--strict", action="store_true", help="exit 1 on any blocking finding")
    review.set_defaults(handler=_review)

    diff = commands.add_parser(
        "diff",
        help="show what changed between two versions of a spec",
        description="Compare two versions of a spec: criteria, metrics, users, owners, "
        "regulatory scope with the controls it adds or drops, and other fields. OLD and NEW "
        "are files or git references such as HEAD~1:spec.yaml (the path after the colon is "
        "relative to the repository root; start it with ./ for the current folder).",
    )
    diff.add_argument("old", metavar="OLD", help="the earlier version: FILE or REV:PATH")
    diff.add_argument("new", metavar="NEW", help="the later version: FILE or REV:PATH")
    diff.add_argument("--format", choices=["text", "md", "json"], default="text")
    diff.set_defaults(handler=_diff)

    update = commands.add_parser(
        "update",
        help="bring template releases and spec.yaml changes into generated repos",
        description="Re-apply the template to generated repos with a three-way merge: "
        "template changes and spec.yaml changes arrive, your own edits stay. A dirty "
        "working tree (untracked files included) is refused untouched; conflicts are listed "
        "per file; nothing is committed. Changes a reviewer must see (permissions, controls, "
        "acceptance criteria, retention) are listed as review: lines. PROJECT may be a repo "
        "or a folder of repos (default: the current folder); several run in parallel. Exit 0 "
        "when all are current or updated, 1 when any is behind (--check), refused, "
        "conflicting or failed.",
    )
    update.add_argument("projects", nargs="*", type=Path, metavar="PROJECT")
    update.add_argument(
        "--check",
        action="store_true",
        help="change nothing; exit 1 when a repo is behind its template or its spec.yaml",
    )
    update.add_argument("--format", choices=["text", "json"], default="text")
    _template_options(update)
    update.set_defaults(handler=_update)

    evidence = commands.add_parser(
        "evidence",
        help="build a release evidence pack from a generated repo's test results",
        usage="%(prog)s [PROJECT] --junit FILE... [--traceability FILE] [-o DIR] "
        "[--format json|html|md] [--strict]\n       %(prog)s verify DIR\n       %(prog)s schema",
        description="Tie a release of a generated repository to its evidence: the spec's "
        "SHA-256, template version and commit; each acceptance criterion with its test and "
        "result (passed, failed, pending, skipped, missing); each control of each regime in "
        "scope with its citation, evidence file and test result; and a readiness verdict. "
        "With -o DIR, the pack (evidence.json, evidence.html, evidence.md, SHA256SUMS, and "
        f"SHA256SUMS.sig when {_EVIDENCE_KEY} holds a key) is written atomically and a "
        "summary is printed; without it, the report is printed in --format (default md). "
        "`evidence verify DIR` checks a pack's digests and signature; `evidence schema` "
        "prints the JSON Schema of evidence.json. Exit 1 on bad input, a tampered pack, or, "
        "with --strict, a pack that is not ready.",
    )
    evidence.add_argument(
        "words",
        nargs="*",
        metavar="PROJECT",
        help="the generated repository (default: the current folder)",
    )
    evidence.add_argument(
        "--junit",
        nargs="+",
        action="extend",
        type=Path,
        metavar="FILE",
        help="JUnit XML reports of the repo's test run (pytest --junitxml=FILE)",
    )
    evidence.add_argument(
        "--traceability",
        type=Path,
        metavar="FILE",
        help="the acceptance traceability report (pytest --traceability-report=FILE)",
    )
    evidence.add_argument("-o", "--output", type=Path, metavar="DIR", help="write the pack here")
    evidence.add_argument(
        "--format",
        choices=["json", "html", "md"],
        help="print the report in this format (default: md without -o, a summary with it)",
    )
    evidence.add_argument(
        "--strict",
        action="store_true",
        help="exit 1 while a criterion has not passed or a control's test failed or is missing",
    )
    evidence.set_defaults(handler=_evidence)
    return parser


def _template_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--template",
        metavar="SRC",
        help="template source: a path or git URL of a repository laid out like new-ai-project "
        "(default: the templates shipped with the package)",
    )
    parser.add_argument("--vcs-ref", metavar="REF", help="template version (git tag or commit)")


def _new(args: argparse.Namespace) -> int:
    spec: Path | None = args.spec
    if spec is None:
        dest = args.dest.absolute()
        if not args.force and dest.exists() and (dest.is_file() or any(dest.iterdir())):
            # say so before the interview, not after the user has answered everything
            raise UsageError(f"{dest} is not empty; choose an empty folder or pass --force")
        written = _interview(dest.with_name(f"{dest.name}.spec.yaml"), renders=True)
        if isinstance(written, int):
            return written
        spec = written
        draft = True  # the person saw the verdict and chose to render
    else:
        _output.out(_verdict_line(spec))
        draft = args.draft
    return _render(
        spec,
        args.dest,
        template=args.template,
        vcs_ref=args.vcs_ref,
        force=args.force,
        git=not args.no_git,
        draft=draft,
    )


def _render(
    spec: Path,
    dest: Path,
    *,
    template: str | None = None,
    vcs_ref: str | None = None,
    force: bool = False,
    git: bool = True,
    draft: bool = False,
) -> int:
    from generator.render import render_project

    result = render_project(
        spec, dest, template=template, vcs_ref=vcs_ref, force=force, git=git, draft=draft
    )
    _output.out(f"Rendered the {result.kind} project into {result.dest} ({result.files} files).")
    if result.blockers:
        _output.out(
            f"It is a draft: the spec has {result.blockers} blocking finding(s), and the "
            "repository's CI readiness job fails until they are gone "
            "(`new-ai-project review spec.yaml --strict`)."
        )
    if result.commit:
        _output.out(f"Made the first commit {result.commit}.")
    _output.out("Next steps:")
    for step in result.next_steps:
        _output.out(f"  {step}")
    return 0


def _verdict_line(spec: Path) -> str:
    """The review's verdict on a spec file, in one line (``new --spec`` asks nothing)."""
    from generator.review import review_file

    report = review_file(spec)
    return (
        f"Review of {spec}: {report.verdict}, score {report.score}/100, "
        f"{report.count('blocker')} blocker(s), {report.count('warning')} warning(s) "
        f"(details: `new-ai-project review {spec}`)."
    )


def _interview(target: Path, source: Path | None = None, *, renders: bool = False) -> Path | int:
    """Run the interview; return the spec to go on with, or the exit code to stop with.

    With ``renders``, a spec the person chose to write without rendering stops with 1.
    """
    from generator.errors import InterviewInterrupted
    from generator.interview import run_interview

    try:
        result = run_interview(target, source, renders=renders)
    except InterviewInterrupted as err:  # Ctrl-C (130), or stopped at the verdict (1)
        _output.err(str(err))
        return err.exit_code
    _output.out(f"Wrote the spec to {result.path}.")
    if renders and not result.render:
        _output.out(
            "Not rendered, as chosen: the spec is not ready. Settle its blockers "
            f"(`new-ai-project review {result.path}`), then render it with "
            f"`new-ai-project new DEST --spec {result.path}`."
        )
        return 1
    return result.path


def _interview_and_new(_args: argparse.Namespace) -> int:
    """No command: interview into ./spec.yaml, then render the project into ./NAME."""
    spec_path = _interview(Path("spec.yaml"), renders=True)
    if isinstance(spec_path, int):
        return spec_path
    from generator.spec import load_spec

    return _render(spec_path, Path(load_spec(spec_path).name), draft=True)


def _spec_new(args: argparse.Namespace) -> int:
    path = _interview(args.file, args.source)
    if isinstance(path, int):
        return path
    _output.out(
        f"Next: `new-ai-project review {path}`, then `new-ai-project new DEST --spec {path}`."
    )
    return 0


def _needs_subcommand(parser: argparse.ArgumentParser) -> Handler:
    def handler(_args: argparse.Namespace) -> int:
        raise UsageError(f"choose a subcommand (see `{parser.prog} --help`)")

    return handler


def _spec_validate(args: argparse.Namespace) -> int:
    from generator.spec import validate_files

    report = validate_files(args.files)
    for line in report.lines:
        _output.out(line)
    return 0 if report.ok else 1


def _spec_schema(args: argparse.Namespace) -> int:
    from generator.spec import schema_path

    path = schema_path()
    _output.out(str(path) if args.path else path.read_text(encoding="utf-8").rstrip("\n"))
    return 0


def _review(args: argparse.Namespace) -> int:
    from generator.review import (
        render_portfolio,
        render_report,
        review_file,
        review_files,
        write_report,
    )

    if len(args.files) == 1:
        report = review_file(args.files[0])
        reports, text = [report], render_report(report, args.format)
        written = (
            f"the review of {args.files[0]}: {report.verdict}, score {report.score}, "
            f"{report.count('blocker')} blocker(s)"
        )
    else:
        portfolio = review_files(args.files)
        reports, text = portfolio.reports, render_portfolio(portfolio, args.format)
        written = (
            f"the review of {len(reports)} specs: {portfolio.ready} ready, "
            f"{len(reports) - portfolio.ready} not ready, {portfolio.blockers} blocker(s)"
        )
    if args.output is None:
        _output.out(text.rstrip("\n"))
    else:
        write_report(args.output, text)
        _output.out(f"Wrote {written} to {args.output}.")
    if not all(report.schema_valid for report in reports):
        return 1
    return 1 if args.strict and any(report.count("blocker") for report in reports) else 0


def _diff(args: argparse.Namespace) -> int:
    from generator.review import diff_specs, render_diff

    _output.out(render_diff(diff_specs(args.old, args.new), args.format).rstrip("\n"))
    return 0


def _update(args: argparse.Namespace) -> int:
    from generator.update import UpdateResult, exit_code, report, update_many

    def progress(result: UpdateResult, done: int, total: int) -> None:
        if total > 1:
            _output.err(report.progress_line(result, done, total))

    results = update_many(
        args.projects or [Path.cwd()],
        check=args.check,
        template=args.template,
        vcs_ref=args.vcs_ref,
        on_result=progress,
    )
    if args.format == "json":
        _output.out(report.to_json(results))
    elif args.check:
        for result in results:
            _output.out(report.check_line(result))
    else:
        for line in report.details(results):
            _output.out(line)
        _output.out(report.summary_table(results))
    return exit_code(results)


_EVIDENCE_KEY = "NEW_AI_PROJECT_EVIDENCE_KEY"  # evidence.KEY_VARIABLE; --help must not import it


def _evidence(args: argparse.Namespace) -> int:
    from generator import evidence

    words: list[str] = args.words
    building = args.junit or args.traceability or args.output or args.format or args.strict
    if words[:1] in (["verify"], ["schema"]):
        if building or len(words) != (2 if words[0] == "verify" else 1):
            raise UsageError("use `evidence verify DIR` or `evidence schema`, without options")
        if words[0] == "schema":
            _output.out(evidence.schema_path().read_text(encoding="utf-8").rstrip("\n"))
            return 0
        checked = evidence.verify_pack(Path(words[1]), key=evidence.signing_key())
        signature = "its HMAC signature is valid" if checked.signed else "it is not signed"
        _output.out(
            f"{checked.dest}: intact: {len(checked.files)} files match {evidence.MANIFEST}; "
            f"{signature}. {checked.pack.identity.name}: {evidence.headline(checked.pack)}."
        )
        return 0
    if len(words) > 1:
        raise UsageError("give one PROJECT folder (see `new-ai-project evidence --help`)")
    if not args.junit:
        raise UsageError("--junit FILE is required: the repo's test results (--junitxml)")
    project = Path(words[0]) if words else Path.cwd()
    pack = evidence.build_evidence(project, args.junit, args.traceability)
    if args.output is not None:
        written = evidence.write_pack(pack, args.output, key=evidence.signing_key())
        signed = "signed" if written.signed else f"not signed ({evidence.KEY_VARIABLE} unset)"
        _output.out(
            f"Wrote the evidence pack of {pack.identity.name} to {written.dest} "
            f"({', '.join(written.files)}; {signed})."
        )
    if args.format is not None or args.output is None:
        _output.out(evidence.render_evidence(pack, args.format or "md").rstrip("\n"))
    else:
        _output.out(evidence.headline(pack))
        for blocker in pack.readiness.blockers:
            _output.out(f"  blocker: {blocker}")
    return 1 if args.strict and pack.readiness.verdict != "ready" else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    try:
        args = build_parser().parse_args(argv)
        if args.version:
            from generator import __version__

            _output.out(f"new-ai-project {__version__}")
            return 0
        handler: Handler | None = getattr(args, "handler", None)
        code = _interview_and_new(args) if handler is None else handler(args)
        _output.flush()  # inside the try: a reader that has gone shows here, not at exit
        return code
    except BrokenPipeError:
        # the reader of the output has gone (`review ... | head -1`): end quietly, with the
        # status a process killed by SIGPIPE has, as the shell expects
        _output.drop_closed_output()
        return 128 + int(getattr(signal, "SIGPIPE", 13))
    except GeneratorError as err:
        if debug:
            raise
        _output.error(str(err))
        return err.exit_code
    except KeyboardInterrupt:
        _output.err("Interrupted; nothing was left half-written.")
        return 130
