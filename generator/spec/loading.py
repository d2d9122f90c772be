"""Loading spec files: safe YAML, then the model; one ``FILE:LINE: field: message`` each."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from generator._io import read_file
from generator.errors import SpecError
from generator.spec._yaml import LoadedYaml, YamlProblem, decode_text, parse_yaml
from generator.spec.project import ProjectSpec
from generator.spec.wording import spec_error_lines


def load_spec(path: Path) -> ProjectSpec:
    """Read and validate a spec file.

    Raises:
        SpecError: with one ``FILE:LINE: field.path: message`` line per problem.
    """
    return parse_spec(read_file(path), str(path))


def parse_spec(raw: bytes | str, source: str = "<spec>") -> ProjectSpec:
    """Validate spec text, reporting every problem at once with its line.

    Raises:
        SpecError: with one ``FILE:LINE: field.path: message`` line per problem.
    """
    loaded = read_spec_data(raw, source)
    return validate_spec_data(loaded, source)


def read_spec_data(raw: bytes | str, source: str = "<spec>") -> LoadedYaml:
    """Parse spec text into plain data with lines, without checking it against the model.

    Raises:
        SpecError: the text is not a readable YAML mapping.
    """
    try:
        text = decode_text(raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw)
        loaded = parse_yaml(text)
    except YamlProblem as err:
        raise SpecError([f"{source}:{err.line}: {err.message}"]) from err
    if not isinstance(loaded.data, dict):
        kind = "a list" if isinstance(loaded.data, list) else "a single value"
        raise SpecError([f"{source}:1: the spec must be a mapping of keys, not {kind}"])
    return loaded


def validate_spec_data(
    loaded: LoadedYaml, source: str = "<spec>", model: type[ProjectSpec] = ProjectSpec
) -> ProjectSpec:
    """Validate already-parsed spec data (with ``model``, a spec model derived from ours).

    Raises:
        SpecError: with one line per problem, each naming file, line and field.
    """
    try:
        return model.model_validate(loaded.data)
    except ValidationError as err:
        raise SpecError(spec_error_lines(err, loaded, source)) from err


@dataclass(frozen=True)
class ValidationReport:
    """The outcome of validating several spec files: one line per file or problem."""

    lines: list[str]
    ok: bool


def validate_files(paths: list[Path]) -> ValidationReport:
    """Validate each file; report every problem of every file, and which files are valid."""
    lines: list[str] = []
    ok = True
    for path in paths:
        try:
            load_spec(path)
        except SpecError as err:
            ok = False
            lines.extend(err.lines)
        else:
            lines.append(f"{path}: valid")
    return ValidationReport(lines=lines, ok=ok)
