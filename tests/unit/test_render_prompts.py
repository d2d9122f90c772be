"""The prompt files `new` writes for assistants and agents: texts, lock, nothing overwritten."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from generator.render.prompts import digest, prompt_text, write_prompts


def _context(kind: str = "assistant", ids: tuple[str, ...] = ("system",)) -> dict[str, Any]:
    prompts = [{"id": i, "purpose": f"What {i}\nis for.\r\n"} for i in ids]
    return {"kind": kind, "spec": {"title": "Help desk"}, "genai": {"prompts": prompts}}


def test_a_kind_without_a_genai_section_gets_no_prompts(tmp_path: Path) -> None:
    """A service's context writes nothing."""
    assert write_prompts(tmp_path, {"kind": "service", "spec": {}}) == []
    assert not (tmp_path / "prompts").exists()


def test_each_prompt_is_written_and_locked_at_version_one(tmp_path: Path) -> None:
    """One file per prompt id; the lock holds each file's SHA-256 at version 1."""
    written = write_prompts(tmp_path, _context(ids=("system", "notice")))
    assert [p.name for p in written] == ["system.md", "notice.md"]
    lock = json.loads((tmp_path / "prompts" / "prompts.lock").read_text(encoding="utf-8"))
    assert lock["format"] == 1
    for name in ("system", "notice"):
        text = (tmp_path / "prompts" / f"{name}.md").read_bytes()
        assert lock["prompts"][name] == {"sha256": hashlib.sha256(text).hexdigest(), "version": 1}


def test_an_existing_prompt_is_kept_and_locked_as_it_is(tmp_path: Path) -> None:
    """A prompt the team already wrote is never overwritten; the lock takes its text."""
    folder = tmp_path / "prompts"
    folder.mkdir()
    (folder / "system.md").write_text("Our own words.\n", encoding="utf-8")
    assert write_prompts(tmp_path, _context()) == []
    assert (folder / "system.md").read_text(encoding="utf-8") == "Our own words.\n"
    lock = json.loads((folder / "prompts.lock").read_text(encoding="utf-8"))
    assert lock["prompts"]["system"]["sha256"] == digest("Our own words.\n")


def test_text_carries_the_purpose_on_one_line_and_the_kinds_rules() -> None:
    """The purpose's line breaks are folded; an agent's text adds the approval rule."""
    assistant = prompt_text("assistant", "Help desk", "system", "Answer\r\nbriefly.")
    agent = prompt_text("agent", "Help desk", "system", "Act.")
    assert "from spec.yaml: Answer briefly.\n" in assistant
    assert "approval" in agent and "approval" not in assistant
    assert "\r" not in assistant


def test_digest_normalises_line_endings() -> None:
    """CRLF and LF texts have the same digest, as the generated prompts.py computes it."""
    assert digest("a\r\nb\n") == digest("a\nb\n")
