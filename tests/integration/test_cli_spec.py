"""The command line for specs: help, version, validate and schema, in-process and as a process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from generator.cli import main
from generator.spec import json_schema, schema_path
from tests.conftest import EXAMPLE_SPECS, ROOT


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run the command line as a separate Python process."""
    return subprocess.run(
        [sys.executable, "-m", "generator", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        input=stdin,
        timeout=60,
        check=False,
    )


def test_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    """--help shows the commands and exits 0."""
    with pytest.raises(SystemExit) as caught:
        main(["--help"])
    assert caught.value.code == 0
    out = capsys.readouterr().out
    for command in ("new", "spec"):
        assert command in out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    """--version prints the package version."""
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("new-ai-project ")


def test_validate_all_examples(capsys: pytest.CaptureFixture[str]) -> None:
    """Every example spec is valid: exit 0 and one 'valid' line each."""
    assert main(["spec", "validate", *map(str, EXAMPLE_SPECS)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [f"{p}: valid" for p in EXAMPLE_SPECS]


def test_validate_reports_every_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """With one bad file among good ones, exit 1 and report both."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("schema_version: 1\nname: Bad Name\n", encoding="utf-8")
    assert main(["spec", "validate", str(EXAMPLE_SPECS[0]), str(bad)]) == 1
    out = capsys.readouterr().out
    assert f"{EXAMPLE_SPECS[0]}: valid" in out
    assert f'{bad}:2: name: "Bad Name" is not allowed' in out


def test_validate_without_files_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    """No file given is a usage error: exit 2 and a one-line message."""
    assert main(["spec", "validate"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("Error: the following arguments are required: FILE")
    assert len(err.strip().splitlines()) == 1


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    """A typo in a command name exits 2 with one line."""
    assert main(["spec", "valdate", "x"]) == 2
    assert "invalid choice" in capsys.readouterr().err


def test_schema_prints_the_shipped_schema(capsys: pytest.CaptureFixture[str]) -> None:
    """The schema command prints JSON equal to the model's schema."""
    assert main(["spec", "schema"]) == 0
    assert json.loads(capsys.readouterr().out) == json_schema()


def test_shipped_schema_file_is_current() -> None:
    """The shipped schema matches the model (regenerate: generator.spec.write_schema_file())."""
    assert json.loads(schema_path().read_text(encoding="utf-8")) == json_schema()


def test_schema_path(capsys: pytest.CaptureFixture[str]) -> None:
    """The schema command with --path names the shipped file, for editor comments."""
    assert main(["spec", "schema", "--path"]) == 0
    assert Path(capsys.readouterr().out.strip()) == schema_path()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("name: [unclosed\n", "bad.yaml:2: not valid YAML"),
        ("!!python/object/apply:os.system ['echo hacked']\n", "bad.yaml:1: the tag"),
        ("a: &a [*a, *a]\n", "bad.yaml:1: "),
        ("titel: x\n", "bad.yaml:1: titel: unknown key 'titel' — did you mean 'title'?"),
    ],
)
def test_bad_input_in_a_process_has_no_traceback(
    tmp_path: Path, content: str, expected: str
) -> None:
    """Hostile or broken files exit 1 with a FILE:LINE message and never a traceback."""
    bad = tmp_path / "bad.yaml"
    bad.write_text(content, encoding="utf-8")
    done = run("spec", "validate", str(bad))
    assert done.returncode == 1
    assert "Traceback" not in done.stdout + done.stderr
    assert expected.replace("bad.yaml", str(bad)) in done.stdout


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    """--debug lets a GeneratorError show its traceback for bug reports."""
    done = run("--debug", "new", str(tmp_path / "x"))
    assert done.returncode != 0
    assert "Traceback" in done.stderr


def test_new_without_spec_refuses_a_non_empty_dest_before_asking(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A non-empty DEST is refused before the interview asks anything."""
    dest = tmp_path / "busy"
    dest.mkdir()
    (dest / "keep.txt").write_text("mine", encoding="utf-8")
    assert main(["new", str(dest)]) == 2
    assert "is not empty" in capsys.readouterr().err
    assert not list(tmp_path.glob("*.draft.yaml"))
    assert (dest / "keep.txt").read_text(encoding="utf-8") == "mine"
