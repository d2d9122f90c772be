"""Property: every everyday spec edit flows through ``update`` without a conflict.

Random valid specs of both kinds are rendered, committed, given the team's own edits (a
README note, a test), then taken through a random sequence of spec edits, each committed
and followed by ``new-ai-project update`` (``tests/spec_edits.py``). Every update must exit
0 and leave no conflict marker, ``.rej`` file or unmerged entry, and the team's edits must
survive. One sequence of ``NEW_AI_PROJECT_UPDATE_EDITS`` (default 4) distinct edits per kind
by default; ``NEW_AI_PROJECT_UPDATE_SPECS`` draws more. The seed is printed in the header.

A failing sequence is shrunk, and printed as a fixture file: save it under
``tests/fixtures/update-sequences/`` so every later run replays it. Sequences from specs
written through the interview are kept there too.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, note, seed, settings

from tests.conftest import FIXTURES, PROPERTY_SEED
from tests.spec_edits import Step, edit_sequences, load_sequence, replay, sequence_yaml

PER_KIND = int(os.environ.get("NEW_AI_PROJECT_UPDATE_SPECS", "1"))
EDITS = int(os.environ.get("NEW_AI_PROJECT_UPDATE_EDITS", "4"))
RECORDED = sorted((FIXTURES / "update-sequences").glob("*.yaml"))


@pytest.mark.parametrize("kind", ["service", "pipeline"])
def test_random_edit_sequences_update_cleanly(kind: str, tmp_path: Path) -> None:
    """Each edit of a random sequence updates with exit 0, no conflict; team edits survive."""

    @seed(PROPERTY_SEED + (kind == "pipeline"))
    @settings(
        max_examples=PER_KIND,
        deadline=None,
        database=None,
        print_blob=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(edit_sequences(kind, EDITS))
    def run(steps: list[Step]) -> None:
        note(
            "save as tests/fixtures/update-sequences/<name>.yaml to replay it on every run:\n"
            + sequence_yaml(steps, f"found by the property test (seed {PROPERTY_SEED})")
        )
        with tempfile.TemporaryDirectory(dir=tmp_path) as scratch:
            replay(steps, Path(scratch) / "repo", Path(scratch))

    run()


@pytest.mark.parametrize("path", RECORDED, ids=[p.stem for p in RECORDED])
def test_recorded_edit_sequence_updates_cleanly(path: Path, tmp_path: Path) -> None:
    """A kept sequence (a shrunk failure, or an interview spec's life) still updates cleanly."""
    replay(load_sequence(path), tmp_path / "repo", tmp_path)


def test_sequences_are_recorded_for_both_kinds() -> None:
    """The kept sequences cover both kinds (the interview's specs at least)."""
    kinds = {load_sequence(path)[0].spec["kind"] for path in RECORDED}
    assert kinds == {"service", "pipeline"}
