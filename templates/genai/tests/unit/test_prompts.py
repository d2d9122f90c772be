"""Prompts are locked by hash: a change without a new lock fails, a new lock bumps the version."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ..package import PromptError, check, genai, load, lock
from tests.support import REPO


@pytest.fixture
def prompts(tmp_path: Path) -> Path:
    """A copy of the repository's prompts folder."""
    return Path(shutil.copytree(REPO / "prompts", tmp_path / "prompts"))


def test_shipped_prompts_match_their_lock() -> None:
    """Every prompt of spec.yaml is in prompts/ and unchanged since prompts.lock was written."""
    assert check(REPO / "prompts", genai().prompts) == []


def test_changed_prompt_fails_the_check(prompts: Path) -> None:
    """Editing a prompt without `prompts lock` is reported, naming the file."""
    first = genai().prompts[0]
    (prompts / f"{first}.md").write_text("Something else entirely.\n", encoding="utf-8")
    problems = check(prompts, genai().prompts)
    assert len(problems) == 1
    assert f"{first}.md: changed since it was locked" in problems[0]


def test_changed_prompt_cannot_be_loaded(prompts: Path) -> None:
    """The runtime refuses a prompt that changed without a new lock."""
    first = genai().prompts[0]
    (prompts / f"{first}.md").write_text("Tampered.\n", encoding="utf-8")
    with pytest.raises(PromptError, match="changed since it was locked"):
        load(prompts, first)


def test_lock_bumps_only_changed_prompts(prompts: Path) -> None:
    """A new lock gives a changed prompt the next version and keeps the others'."""
    first = genai().prompts[0]
    before = load(prompts, first).version
    lock(prompts, genai().prompts)
    assert load(prompts, first).version == before
    (prompts / f"{first}.md").write_text("A new text.\n", encoding="utf-8")
    lock(prompts, genai().prompts)
    assert load(prompts, first).version == before + 1
    assert check(prompts, genai().prompts) == []


def test_stale_lock_entry_is_reported(prompts: Path) -> None:
    """A lock entry for a prompt the spec no longer has is reported."""
    (prompts / "retired.md").write_text("old\n", encoding="utf-8")
    lock(prompts, [*genai().prompts, "retired"])
    assert check(prompts, genai().prompts) == [
        "prompts.lock: 'retired' is not a prompt of spec.yaml"
    ]


def test_missing_prompt_cannot_be_locked(prompts: Path) -> None:
    """Locking a spec prompt that has no file names the missing file."""
    with pytest.raises(PromptError, match=r"absent\.md: missing"):
        lock(prompts, ["absent"])


def test_label_and_canary_are_set(prompts: Path) -> None:
    """A loaded prompt is labelled id@version and its instructions carry its canary."""
    first = genai().prompts[0]
    prompt = load(prompts, first)
    assert prompt.label == f"{first}@{prompt.version}"
    assert prompt.canary in prompt.instructions()
    assert prompt.canary != load(prompts, first).canary
