"""Writing an output file: atomic for files, in place for devices and FIFOs, never clobbering.

Every ``-o``, ``spec new FILE``, the interview's drafts and the shipped schemas are written
by ``write_atomic``: a regular file through a temporary file and a rename; a symbolic link
through to its target (the link stays); a FIFO or device opened and written in place (so
``-o /dev/null`` as root never replaces ``/dev/null``); a folder refused in one line.
"""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from generator._io import is_special, write_atomic
from generator.errors import GeneratorError, UsageError

TEXT = "# report\n" + "line\n" * 20_000
"""More than a pipe's buffer (64 KiB), so a FIFO's reader must really read it all."""


class FifoReader(threading.Thread):
    """Opens a FIFO for reading and collects everything written into it."""

    def __init__(self, fifo: Path) -> None:
        """Prepare to read ``fifo`` (a daemon: a test that failed must not hang)."""
        super().__init__(daemon=True)
        self.fifo = fifo
        self.data = b""

    def run(self) -> None:
        """Read until the writer closes."""
        with self.fifo.open("rb") as handle:
            self.data = handle.read()


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    """A named pipe in the temporary folder."""
    path = tmp_path / "out.fifo"
    os.mkfifo(path)
    return path


def test_a_regular_file_is_replaced_and_no_temporary_is_left(tmp_path: Path) -> None:
    """A regular file gets the new text; only it is left in the folder."""
    target = tmp_path / "review.md"
    target.write_text("old\n", encoding="utf-8")
    write_atomic(target, TEXT)
    assert (target.read_text(encoding="utf-8"), [p.name for p in tmp_path.iterdir()]) == (
        TEXT,
        ["review.md"],
    )


def test_a_replaced_file_keeps_its_permissions(tmp_path: Path) -> None:
    """A private file stays private when it is rewritten."""
    target = tmp_path / "spec.yaml"
    target.write_text("old\n", encoding="utf-8")
    target.chmod(0o600)
    write_atomic(target, "new\n")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_a_fifo_is_written_in_place_and_stays_a_fifo(fifo: Path) -> None:
    """A named pipe's reader receives the whole text; the pipe is not replaced by a file."""
    reader = FifoReader(fifo)
    reader.start()
    write_atomic(fifo, TEXT)
    reader.join(timeout=30)
    assert (reader.is_alive(), reader.data.decode("utf-8")) == (False, TEXT)
    assert stat.S_ISFIFO(fifo.stat().st_mode)


def test_a_fifo_leaves_no_temporary_beside_it(fifo: Path) -> None:
    """Writing into a FIFO makes no temporary file in its folder."""
    reader = FifoReader(fifo)
    reader.start()
    write_atomic(fifo, "short\n")
    reader.join(timeout=30)
    assert [p.name for p in fifo.parent.iterdir()] == [fifo.name]


def test_dev_null_is_written_to_and_stays_a_character_device(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``/dev/null`` takes the text and is still the character device afterwards.

    Tests run as root in CI: should a regression try the temporary-file-and-rename path, the
    temporary file is refused before anything in ``/dev`` could be replaced.
    """

    def no_temporary(*_args: object, **_kwargs: object) -> tuple[int, str]:
        raise AssertionError("a temporary file beside /dev/null: it would be replaced")

    monkeypatch.setattr("generator._io.tempfile.mkstemp", no_temporary)
    devnull = Path(os.devnull)
    before = devnull.stat()
    write_atomic(devnull, TEXT, what="report")
    after = devnull.stat()
    assert stat.S_ISCHR(after.st_mode)
    assert (after.st_ino, after.st_rdev) == (before.st_ino, before.st_rdev)


def test_a_symlink_stays_a_link_and_its_target_gets_the_text(tmp_path: Path) -> None:
    """Writing to a link writes the file it points to; the link is still a link to it."""
    real = tmp_path / "reports" / "review.md"
    real.parent.mkdir()
    real.write_text("old\n", encoding="utf-8")
    link = tmp_path / "latest.md"
    link.symlink_to(Path("reports") / "review.md")
    write_atomic(link, TEXT)
    assert (link.is_symlink(), link.readlink()) == (True, Path("reports") / "review.md")
    assert real.read_text(encoding="utf-8") == TEXT
    assert sorted(p.name for p in real.parent.iterdir()) == ["review.md"]


def test_a_dangling_symlink_creates_its_target(tmp_path: Path) -> None:
    """A link to a file not there yet is written through: the target appears, the link stays."""
    link = tmp_path / "latest.md"
    link.symlink_to(tmp_path / "new.md")
    write_atomic(link, "text\n")
    assert (link.is_symlink(), (tmp_path / "new.md").read_text(encoding="utf-8")) == (
        True,
        "text\n",
    )


def test_a_chain_of_links_is_followed_to_its_end(tmp_path: Path) -> None:
    """A link to a link to a file writes the file; both links stay."""
    real = tmp_path / "real.md"
    real.write_text("old\n", encoding="utf-8")
    (tmp_path / "middle.md").symlink_to(real)
    (tmp_path / "outer.md").symlink_to(tmp_path / "middle.md")
    write_atomic(tmp_path / "outer.md", "new\n")
    assert [(tmp_path / n).is_symlink() for n in ("outer.md", "middle.md")] == [True, True]
    assert real.read_text(encoding="utf-8") == "new\n"


def test_a_symlink_to_a_fifo_writes_into_the_fifo(fifo: Path) -> None:
    """A link to a named pipe writes into the pipe; neither is replaced."""
    link = fifo.parent / "link"
    link.symlink_to(fifo)
    reader = FifoReader(fifo)
    reader.start()
    write_atomic(link, "through the link\n")
    reader.join(timeout=30)
    assert reader.data == b"through the link\n"
    assert (link.is_symlink(), stat.S_ISFIFO(fifo.stat().st_mode)) == (True, True)


def test_a_folder_is_a_one_line_usage_error(tmp_path: Path) -> None:
    """A folder as the output is refused in one line (exit 2) and left untouched."""
    (tmp_path / "keep.txt").write_text("x", encoding="utf-8")
    with pytest.raises(UsageError) as caught:
        write_atomic(tmp_path, "text\n", what="report")
    assert (str(caught.value), caught.value.exit_code) == (
        f"{tmp_path} is a folder; name a file to write the report to",
        2,
    )
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_a_symlink_to_a_folder_is_refused_too(tmp_path: Path) -> None:
    """A link pointing at a folder is refused like the folder; the link stays."""
    (tmp_path / "folder").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "folder")
    with pytest.raises(UsageError, match="is a folder"):
        write_atomic(tmp_path / "link", "text\n")
    assert (tmp_path / "link").is_symlink()


def test_a_loop_of_links_is_a_one_line_error(tmp_path: Path) -> None:
    """Links that point at each other fail in one line, not with a traceback."""
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    with pytest.raises(GeneratorError, match="cannot write the report"):
        write_atomic(tmp_path / "a", "text\n", what="report")


@pytest.mark.parametrize(
    ("make", "special"),
    [("fifo", True), ("file", False), ("folder", False), ("missing", False)],
)
def test_only_what_is_neither_file_nor_folder_is_special(
    make: str, special: bool, tmp_path: Path
) -> None:
    """A FIFO is special (written in place, never read back); files and folders are not."""
    path = tmp_path / "x"
    if make == "fifo":
        os.mkfifo(path)
    elif make == "file":
        path.write_text("x", encoding="utf-8")
    elif make == "folder":
        path.mkdir()
    assert is_special(path) is special
