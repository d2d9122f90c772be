"""Kept sequences of spec edits flow through ``update`` without a conflict.

Each file in ``tests/fixtures/update-sequences/`` is a spec rendered, committed, given the
team's own edits (a README note, a test), then taken through a sequence of spec edits, each
committed and followed by ``new-ai-project update`` (``tests/spec_edits.py``). Every update
must exit 0 and leave no conflict marker, ``.rej`` file or unmerged entry, and the team's
edits must survive. Kept there: specs written through the interview, and any sequence the
random property test (``tests/e2e/test_update_sequences_repo.py``, which also installs the
repository it ends as and runs its suite) printed as failing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import FIXTURES
from tests.spec_edits import load_sequence, replay

RECORDED = sorted((FIXTURES / "update-sequences").glob("*.yaml"))


@pytest.mark.parametrize("path", RECORDED, ids=[p.stem for p in RECORDED])
def test_recorded_edit_sequence_updates_cleanly(path: Path, tmp_path: Path) -> None:
    """A kept sequence (a shrunk failure, or an interview spec's life) still updates cleanly."""
    replay(load_sequence(path), tmp_path / "repo", tmp_path)


def test_sequences_are_recorded_for_both_kinds() -> None:
    """The kept sequences cover both kinds (the interview's specs at least)."""
    kinds = {load_sequence(path)[0].spec["kind"] for path in RECORDED}
    assert kinds == {"service", "pipeline"}
