"""``new`` skips Copier's per-file git index sync only while it renders a fresh copy."""

from __future__ import annotations

import pytest
from copier import _main

from generator.render.project import INDEX_SYNC, _no_index_sync_in_a_fresh_copy


def test_the_pinned_copier_still_has_the_sync_new_skips() -> None:
    """A Copier release that renames the method fails here, not silently slower."""
    assert callable(getattr(_main.Worker, INDEX_SYNC))


def test_the_sync_is_a_no_op_inside_and_restored_after() -> None:
    """Inside the context the method does nothing; afterwards it is Copier's again."""
    original = getattr(_main.Worker, INDEX_SYNC)
    with _no_index_sync_in_a_fresh_copy():
        assert getattr(_main.Worker, INDEX_SYNC) is not original
    assert getattr(_main.Worker, INDEX_SYNC) is original


def test_the_sync_is_restored_when_the_render_fails() -> None:
    """An exception inside the render still gives Copier its method back."""
    original = getattr(_main.Worker, INDEX_SYNC)
    with pytest.raises(RuntimeError), _no_index_sync_in_a_fresh_copy():
        raise RuntimeError("render failed")
    assert getattr(_main.Worker, INDEX_SYNC) is original
