"""Rendering a bundle's version from the cache of checkouts gives what Copier gives itself.

``new`` renders the shipped bundle from a checked-out version kept per bundle digest
instead of letting Copier clone the bundle on every run; the project must not tell the
difference: same files, same bytes, same modes, the same ``_src_path`` and ``_commit``.
"""

from __future__ import annotations

import multiprocessing
import os
import stat
import time
import warnings
from pathlib import Path

import pytest
import yaml

from generator.render import build_context, render_project
from generator.render.checkout import STALE_SECONDS, checkout, latest_release
from generator.render.sources import checkouts_dir, default_template
from generator.spec import load_spec
from tests.conftest import SPECS


def _tree(root: Path) -> dict[str, tuple[int, bytes]]:
    """Every file under ``root`` (outside .git) with its mode and bytes."""
    return {
        p.relative_to(root).as_posix(): (stat.S_IMODE(p.stat().st_mode), p.read_bytes())
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


def _bare_copier(src: str, dest: Path, spec: Path, vcs_ref: str | None = None) -> None:
    """What a user gets from ``copier copy`` of the same source with the same answers."""
    import copier

    parsed = load_spec(spec)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        copier.run_copy(
            src,
            str(dest),
            data={"kind": str(parsed.kind), "project": build_context(parsed)},
            vcs_ref=vcs_ref,
            defaults=True,
            quiet=True,
        )
    (dest / "spec.yaml").write_bytes(spec.read_bytes())


@pytest.mark.parametrize("spec", ["claims-triage.yaml", "trial-safety-signals.yaml"])
def test_new_equals_a_bare_copier_copy_of_the_bundle(spec: str, tmp_path: Path) -> None:
    """Files, bytes, modes and the recorded source and version are Copier's own."""
    render_project(SPECS / spec, tmp_path / "new", git=False)
    source = default_template()
    _bare_copier(source.src_path, tmp_path / "copier", SPECS / spec)
    assert _tree(tmp_path / "new") == _tree(tmp_path / "copier")
    assert list(checkouts_dir().iterdir()), "the version came from the cache of checkouts"


def test_an_older_version_renders_from_its_own_checkout(tmp_path: Path) -> None:
    """--vcs-ref picks the version: its checkout is kept apart and recorded by its tag."""
    render_project(SPECS / "claims-triage.yaml", tmp_path / "new", vcs_ref="v0.3.0", git=False)
    answers = yaml.safe_load((tmp_path / "new" / ".copier-answers.yml").read_text("utf-8"))
    assert answers["_commit"] == "v0.3.0"
    _bare_copier(
        default_template().src_path, tmp_path / "copier", SPECS / "claims-triage.yaml", "v0.3.0"
    )
    assert _tree(tmp_path / "new") == _tree(tmp_path / "copier")


def test_latest_release_follows_copier() -> None:
    """The highest final PEP 440 tag; pre-releases and other tags are skipped; else HEAD."""
    tags = ["v0.2.0", "v0.10.0rc1", "v0.4.0.post2", "v0.4.0", "nightly", "v0.3.0"]
    assert latest_release(tags) == "v0.4.0.post2"
    assert latest_release(["nightly"]) == "HEAD"


def _checkout_in_process(bundle: str, digest: str, cache: str) -> str:
    return str(checkout(Path(bundle), digest, None, Path(cache)).path)


def test_concurrent_renders_share_one_checkout(tmp_path: Path) -> None:
    """Four processes asking at once all get the same complete checkout, nothing left over."""
    source = default_template()
    assert source.bundle is not None
    digest = "f" * 64
    cache = tmp_path / "checkouts"
    context = multiprocessing.get_context("spawn")
    with context.Pool(4) as pool:
        places = pool.starmap(_checkout_in_process, [(str(source.bundle), digest, str(cache))] * 4)
    assert len(set(places)) == 1
    assert [p.name for p in cache.iterdir()] == [Path(places[0]).name]
    assert (Path(places[0]) / "copier.yml").is_file()


def test_a_new_bundle_gets_its_own_checkout_and_stale_ones_go(tmp_path: Path) -> None:
    """The cache is keyed by the bundle's digest; a checkout unused for a day is removed."""
    source = default_template()
    assert source.bundle is not None
    cache = tmp_path / "checkouts"
    first = checkout(source.bundle, "a" * 64, None, cache)
    second = checkout(source.bundle, "b" * 64, None, cache)
    assert first.path != second.path and first.commit == second.commit
    assert first.path.is_dir(), "a render may still read it"
    day_ago = time.time() - STALE_SECONDS - 60
    os.utime(first.path, (day_ago, day_ago))
    third = checkout(source.bundle, "c" * 64, None, cache)
    assert sorted(p.name for p in cache.iterdir()) == sorted([second.path.name, third.path.name])


def _stage_in_process(cache: str) -> str:
    os.environ["XDG_CACHE_HOME"] = cache
    from generator.render.sources import shipped_template_dir

    return str(shipped_template_dir())


def test_source_templates_are_staged_once_and_never_pulled_from_under_a_render(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Concurrent renders from a source checkout share one staged copy; nobody replaces it."""
    context = multiprocessing.get_context("spawn")
    with context.Pool(4) as pool:
        places = pool.map(_stage_in_process, [str(tmp_path)] * 4)
    assert len(set(places)) == 1
    staged = Path(places[0])
    kept = sorted(p.relative_to(staged) for p in staged.rglob("*"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert _stage_in_process(str(tmp_path)) == places[0]
    assert sorted(p.relative_to(staged) for p in staged.rglob("*")) == kept
    assert [p.name for p in staged.parent.iterdir()] == [staged.name], "no half-made copies"
