"""The command line: parse, call one core function, show its result, return the exit code."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from generator import _output
from generator.errors import GeneratorError, UsageError

DESCRIPTION = """\
Render production-ready AI project repositories from one spec, keep them current,
and review the spec in planning meetings.

Exit codes: 0 success, 1 the input or project is not acceptable, 2 usage error.
"""

Handler = Callable[[argparse.Namespace], int]


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors become UsageError (exit 2, one line)."""

    def error(self, message: str) -> None:  # type: ignore[override]  # noqa: D102 - argparse API
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

    spec = commands.add_parser("spec", help="write, validate and describe spec files")
    spec_commands = spec.add_subparsers(dest="spec_command", metavar="SUBCOMMAND", parser_class=_Parser)
    spec.set_defaults(handler=_needs_subcommand(spec))

    validate = spec_commands.add_parser(
        "validate",
        help="check spec files; print FILE:LINE: field.path: message per problem",
        description="Check spec files. Exit 0 when all are valid, 1 when any is not.",
    )
    validate.add_argument("files", nargs="+", type=Path, metavar="FILE")
    validate.set_defaults(handler=_spec_validate)

    schema = spec_commands.add_parser(
        "schema",
        help="print the spec's JSON Schema (for editors)",
        description="Print the JSON Schema of the spec on stdout. The same file ships in the "
        "package; `spec schema --path` prints where, for `# yaml-language-server: $schema=...`.",
    )
    schema.add_argument("--path", action="store_true", help="print the shipped schema file's path")
    schema.set_defaults(handler=_spec_schema)
    return parser


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
        if handler is None:
            build_parser().print_help()
            return 2
        return handler(args)
    except GeneratorError as err:
        if debug:
            raise
        _output.error(str(err))
        return err.exit_code
    except KeyboardInterrupt:
        _output.err("Interrupted; nothing was left half-written.")
        return 130
