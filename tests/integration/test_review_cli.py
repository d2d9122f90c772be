"""The review and diff commands, called in-process: one spec, a portfolio; diff against git."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from generator.cli import main

ROOT = Path(__file__).resolve().parents[2]
CLAIMS = ROOT / "specs" / "claims-triage.yaml"
PLANTED = ROOT / "tests" / "fixtures" / "review" / "planted-problems.yaml"

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def test_review_prints_markdown_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    """Without --format the review is Markdown on stdout, and a ready spec exits 0."""
    code = main(["review", str(CLAIMS)])
    out = capsys.readouterr().out
    assert (code, out.startswith("## Readiness review: Claims triage assistant")) == (0, True)


def test_review_json_is_parseable(capsys: pytest.CaptureFixture[str]) -> None:
    """--format json prints one JSON document."""
    main(["review", str(PLANTED), "--format", "json"])
    assert json.loads(capsys.readouterr().out)["verdict"] == "not-ready"


def test_blockers_exit_0_without_strict() -> None:
    """A schema-valid spec with blockers exits 0 unless --strict is given."""
    assert main(["review", str(PLANTED)]) == 0


def test_blockers_exit_1_with_strict() -> None:
    """--strict exits 1 when any finding blocks."""
    assert main(["review", str(PLANTED), "--strict"]) == 1


def test_ready_spec_exits_0_with_strict() -> None:
    """--strict exits 0 when nothing blocks."""
    assert main(["review", str(CLAIMS), "--strict"]) == 0


def test_schema_errors_exit_1_and_still_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A draft with schema errors prints its report and exits 1."""
    draft = tmp_path / "draft.yaml"
    draft.write_text(CLAIMS.read_text(encoding="utf-8").replace("kind: service", "kind: robot"))
    code = main(["review", str(draft)])
    assert (code, "| blocker | schema | kind" in capsys.readouterr().out) == (1, True)


def test_missing_file_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file that does not exist gives one error line and exit 1."""
    code = main(["review", str(tmp_path / "nope.yaml")])
    err = capsys.readouterr().err
    assert (code, len(err.splitlines()), err.startswith("Error: ")) == (1, 1, True)


def test_review_writes_html_to_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """-o writes the HTML page to the file and reports where."""
    target = tmp_path / "review.html"
    main(["review", str(CLAIMS), "--format", "html", "-o", str(target)])
    page = target.read_text(encoding="utf-8")
    assert (page.startswith("<!DOCTYPE html>"), str(target) in capsys.readouterr().out) == (
        True,
        True,
    )


def test_review_output_replaces_an_existing_file(tmp_path: Path) -> None:
    """-o replaces an earlier report and leaves no temporary file."""
    target = tmp_path / "review.md"
    target.write_text("old", encoding="utf-8")
    main(["review", str(CLAIMS), "-o", str(target)])
    assert ([p.name for p in tmp_path.iterdir()], target.read_text()[:2]) == (["review.md"], "##")


def test_review_output_to_a_fifo_writes_into_it(tmp_path: Path) -> None:
    """-o on a named pipe writes the report into the pipe, which stays a pipe."""
    fifo = tmp_path / "review.fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    assert main(["review", str(CLAIMS), "-o", str(fifo)]) == 0
    reader.join(timeout=30)
    assert received and received[0].startswith(b"## Readiness review")
    assert stat.S_ISFIFO(fifo.stat().st_mode)


def test_review_output_through_a_symlink_keeps_the_link(tmp_path: Path) -> None:
    """-o on a link writes the file it points to; the link is still a link."""
    real = tmp_path / "reports" / "review.md"
    real.parent.mkdir()
    real.write_text("old\n", encoding="utf-8")
    link = tmp_path / "review.md"
    link.symlink_to(real)
    assert main(["review", str(CLAIMS), "-o", str(link)]) == 0
    assert (link.is_symlink(), real.read_text(encoding="utf-8")[:2]) == (True, "##")


def test_review_output_to_a_folder_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """-o on a folder is a one-line usage error (exit 2); the folder is left as it was."""
    code = main(["review", str(CLAIMS), "-o", str(tmp_path)])
    err = capsys.readouterr().err
    assert (code, err) == (
        2,
        f"Error: {tmp_path} is a folder; name a file to write the report to\n",
    )
    assert list(tmp_path.iterdir()) == []


def test_a_closed_pipe_ends_quietly_with_the_sigpipe_status(tmp_path: Path) -> None:
    """`review ... | head -1`: once the reader has gone, exit 141 with nothing on stderr."""
    files = [str(p) for p in sorted(CLAIMS.parent.glob("*.yaml"))] * 4  # about 200 kB
    process = subprocess.Popen(  # output far larger than a pipe's buffer: a write must fail
        [sys.executable, "-m", "generator", "review", *files, "--format", "html"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
    )
    assert process.stdout is not None and process.stderr is not None
    first = process.stdout.readline()  # what `head -1` reads, then it exits
    process.stdout.close()
    error = process.stderr.read()
    process.stderr.close()
    assert (first, process.wait(timeout=60), error) == (b"<!DOCTYPE html>\n", 141, b"")


def test_several_specs_make_one_portfolio_page(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Several files write one page with a row per spec and say how many are ready."""
    target = tmp_path / "meeting.html"
    code = main(["review", str(CLAIMS), str(PLANTED), "--format", "html", "-o", str(target)])
    out = capsys.readouterr().out
    assert (code, "Wrote the review of 2 specs: 1 ready, 1 not ready" in out) == (0, True)
    assert target.read_text(encoding="utf-8").count('<article id="spec-') == 2


def test_an_invalid_spec_does_not_stop_the_portfolio(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An invalid draft and a missing file are rows of the page; the exit code is 1."""
    draft = tmp_path / "draft.yaml"
    draft.write_text(CLAIMS.read_text(encoding="utf-8").replace("kind: service", "kind: robot"))
    code = main(
        ["review", str(CLAIMS), str(draft), str(tmp_path / "nope.yaml"), "--format", "json"]
    )
    document = json.loads(capsys.readouterr().out)
    verdicts = [spec["verdict"] for spec in document["specs"]]
    assert (code, verdicts) == (1, ["ready", "not-ready", "not-ready"])


@pytest.mark.parametrize(
    ("specs", "code"), [((CLAIMS, PLANTED), 1), ((CLAIMS, CLAIMS), 0)], ids=["blocker", "ready"]
)
def test_strict_portfolio_fails_when_any_spec_has_a_blocker(
    specs: tuple[Path, ...], code: int, tmp_path: Path
) -> None:
    """--strict with several specs exits 1 when any of them has a blocker, else 0."""
    assert main(["review", *map(str, specs), "--strict", "-o", str(tmp_path / "out.md")]) == code


def test_unknown_format_is_a_usage_error() -> None:
    """An unknown --format exits 2."""
    assert main(["review", str(CLAIMS), "--format", "pdf"]) == 2


def test_diff_prints_changes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The diff command prints what changed and exits 0."""
    new = tmp_path / "new.yaml"
    new.write_text(CLAIMS.read_text(encoding="utf-8").replace("target: 4 ", "target: 3 "))
    code = main(["diff", str(CLAIMS), str(new)])
    assert (code, "target: 4 → 3" in capsys.readouterr().out) == (0, True)


def test_diff_json(capsys: pytest.CaptureFixture[str]) -> None:
    """The diff command with --format json prints a JSON document."""
    main(["diff", str(CLAIMS), str(CLAIMS), "--format", "json"])
    assert json.loads(capsys.readouterr().out)["identical"] is True


def test_review_and_diff_do_not_import_copier() -> None:
    """The review and diff commands stay fast: copier is never imported."""
    code = (
        "import sys; from generator.cli import main; "
        f"main(['review', {str(CLAIMS)!r}, '--format', 'html']); "
        f"main(['diff', {str(CLAIMS)!r}, {str(CLAIMS)!r}]); "
        "assert 'copier' not in sys.modules, 'copier was imported'"
    )
    import sys

    done = subprocess.run([sys.executable, "-c", code], capture_output=True, check=False)
    assert done.returncode == 0, done.stderr.decode()


# --- git references --------------------------------------------------------------------


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git repository with two commits of spec.yaml; the current directory is inside it."""
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    _git(repo, "config", "user.name", "Test")
    _git(repo, "config", "user.email", "test@example.com")
    spec = repo / "spec.yaml"
    spec.write_text(CLAIMS.read_text(encoding="utf-8"), encoding="utf-8")
    _git(repo, "add", "spec.yaml")
    _git(repo, "commit", "-q", "-m", "first")
    spec.write_text(
        spec.read_text(encoding="utf-8").replace(
            "regimes: [eu-ai-act, gdpr]", "regimes: [eu-ai-act, gdpr, soc2]"
        )
    )
    _git(repo, "commit", "-q", "-am", "second")
    monkeypatch.chdir(repo)
    return repo


@needs_git
@pytest.mark.usefixtures("repo")
def test_diff_between_git_revisions(capsys: pytest.CaptureFixture[str]) -> None:
    """HEAD~1:spec.yaml against HEAD:spec.yaml names the regime added in between."""
    code = main(["diff", "HEAD~1:spec.yaml", "HEAD:spec.yaml"])
    assert (code, "added regime soc2" in capsys.readouterr().out) == (0, True)


@needs_git
@pytest.mark.usefixtures("repo")
def test_diff_git_revision_against_file(capsys: pytest.CaptureFixture[str]) -> None:
    """A git reference can be compared with the working file."""
    main(["diff", "HEAD~1:spec.yaml", "spec.yaml", "--format", "json"])
    assert json.loads(capsys.readouterr().out)["regulatory"]["regimes_added"] == ["soc2"]


@needs_git
@pytest.mark.usefixtures("repo")
def test_unknown_git_revision_is_a_one_line_error(capsys: pytest.CaptureFixture[str]) -> None:
    """A revision git does not know gives one error line and exit 1."""
    code = main(["diff", "HEAD~5:spec.yaml", "spec.yaml"])
    err = capsys.readouterr().err
    assert (code, len(err.splitlines()), "HEAD~5:spec.yaml" in err) == (1, 1, True)
