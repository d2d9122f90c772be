"""The templates follow one approach: plain code stays plain, facts arrive as package data.

Unchanging code is plain ``.py`` (shared files are plain too and included verbatim); a
``.jinja`` file is one whose shape really depends on the spec. Feature names used by the
templates are the catalogue's ``Feature`` constants.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from generator.catalog import Feature, load_catalog
from tests.conftest import ROOT

TEMPLATES = ROOT / "templates"
JINJA = re.compile(r"\{\{|\{%|\{#")
FEATURE_USE = re.compile(
    r"""['"]([a-z0-9-]+)['"] in project\.features|has_feature\(\s*['"]([a-z0-9-]+)['"]\s*\)"""
)


def _files() -> list[Path]:
    return sorted(p for p in TEMPLATES.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


@pytest.mark.parametrize("path", [p for p in _files() if p.suffix == ".jinja"], ids=str)
def test_a_jinja_file_holds_template_syntax(path: Path) -> None:
    """A file rendered through Jinja has something to render; otherwise it is plain."""
    assert JINJA.search(path.read_text(encoding="utf-8")), path.relative_to(ROOT)


@pytest.mark.parametrize(
    "path", [p for p in _files() if "_shared" in p.parts and p.suffix != ".jinja"], ids=str
)
def test_shared_plain_files_hold_no_template_syntax(path: Path) -> None:
    """Shared plain files are included verbatim, so they must not contain Jinja syntax."""
    assert not JINJA.search(path.read_text(encoding="utf-8")), path.relative_to(ROOT)


def test_templates_name_only_catalogue_features() -> None:
    """Every feature a template tests (in a path or in code) is a catalogue Feature."""
    used: set[str] = set()
    for path in _files():
        for text in (str(path.relative_to(TEMPLATES)), path.read_text(encoding="utf-8")):
            used.update(a or b for a, b in FEATURE_USE.findall(text))
    assert {"kill-switch", "contest-path", "e-signature"} <= used  # the check sees them
    assert used - {f.value for f in Feature} == set()


CONDITIONAL = re.compile(
    r"^\{% if '([a-z0-9-]+)' in project\.features %\}(.+)\{% endif %\}(\.jinja)?$"
)


def test_each_conditional_file_is_what_the_catalogue_says_its_feature_brings() -> None:
    """A file made only with a feature is that feature's evidence file or test in the catalogue.

    The catalogue's ``file``/``test`` entries are the one statement of what a feature
    brings; a template path conditioned on another feature would contradict it.
    """
    catalog = load_catalog()
    checked = 0
    for kind in ("service", "pipeline"):
        root = TEMPLATES / kind
        for path in sorted(root.rglob("*")):
            match = CONDITIONAL.match(path.name)
            if not match:
                continue
            feature, name = Feature(match.group(1)), match.group(2)
            relative = (path.parent.relative_to(root) / name).as_posix()
            relative = relative.replace("{{ project.package }}", "{package}")
            evidence = catalog.artifacts[feature].evidence(kind)
            assert relative in {evidence.file, evidence.test}, (kind, feature, relative)
            checked += 1
    assert checked >= 30


INCLUDE_STUB = re.compile(r"\A\s*\{%-?\s*include\s+[\"'][^\"']+[\"']\s*-?%\}\s*\Z")


def test_no_template_file_is_a_one_line_include_stub() -> None:
    """A shared file reaches a kind by a symbolic link, never by a file that only includes it."""
    stubs = [
        p.relative_to(ROOT).as_posix()
        for p in _files()
        if p.suffix == ".jinja" and INCLUDE_STUB.match(p.read_text(encoding="utf-8"))
    ]
    assert stubs == []


PACKAGE_ONLY = re.compile(r"\{\{\s*project\.package\s*(\|\s*\w+\s*)?\}\}")
TEMPLATE_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#", re.DOTALL)
NAME_TAG = re.compile(r"\{%.*?%\}|\{\{.*?\}\}")


def _rendered_suffix(path: Path) -> str:
    """The suffix a template's file gets once rendered (``.jinja`` and name conditions gone)."""
    return Path(NAME_TAG.sub("", path.name.removesuffix(".jinja"))).suffix


def test_no_python_template_uses_jinja_only_for_the_package_name() -> None:
    """Python whose only Jinja is the package name is plain and imports it via tests/package.py.

    Generated code imports its package relatively and generated tests from the one module
    that names it (``tests/package.py``), so naming the package is no reason to be a
    template; conditional names (``{% if … %}test_x.py{% endif %}``) count as ``.py`` too.
    """
    package_only = [
        p.relative_to(ROOT).as_posix()
        for p in _files()
        if p.name.endswith(".jinja")
        and _rendered_suffix(p) == ".py"
        and (tags := TEMPLATE_TAG.findall(p.read_text(encoding="utf-8")))
        and all(PACKAGE_ONLY.fullmatch(tag) for tag in tags)
    ]
    assert package_only == []


def _links() -> list[Path]:
    return sorted(p for p in TEMPLATES.rglob("*") if p.is_symlink())


def test_links_are_relative_and_name_a_shared_file_or_folder() -> None:
    """Links are relative, resolve into templates/_shared and keep their target's suffix."""
    links = _links()
    assert len(links) >= 80  # the check sees the kinds' links
    shared = (TEMPLATES / "_shared").resolve()
    for link in links:
        named = link.readlink()
        target = link.resolve()
        assert not named.is_absolute(), link
        assert target.exists() and target.is_relative_to(shared), link
        if target.is_file():
            assert link.name.endswith(".jinja") == target.name.endswith(".jinja"), link
