"""Compile each Jinja template once per process, whichever Copier render asks for it.

Copier makes a new Jinja environment for every render, so every render compiles every
template file and every templated path again: 40% of a render's time, and an ``update``
renders the template up to three times (the old version, the new one, and the project as
it was). While :func:`templates_compiled_once` is active, each environment Copier makes
keeps the code Jinja compiles in one process-wide table and takes it from there when the
same source comes again under the same name and the same environment settings.

The code of a template depends only on its source, its name and the settings that change
how it parses and compiles (delimiters, whitespace rules, extensions, and the filters and
tests known, which the optimiser may apply to constants); all of these are in the key.
The file name is not (Copier renders each version from a checkout of its own), so the
code is returned under the caller's file name, which tracebacks show. Should a Copier
release stop making its environment where this expects, the render goes on uncached.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable, Iterator
from contextlib import contextmanager
from functools import cached_property
from types import CodeType
from typing import Any

MAX_ENTRIES = 8192
"""Compiled sources kept (the templates of a few versions and their paths, many times over);
the least recently used go first."""

_codes: OrderedDict[Hashable, CodeType] = OrderedDict()
_lock = threading.Lock()
_active = 0
_original: cached_property[Any] | None = None


def _settings(env: Any) -> tuple[Hashable, ...]:
    """What, besides the source and name, decides the code Jinja compiles."""
    return (
        type(env).__qualname__,
        env.block_start_string,
        env.block_end_string,
        env.variable_start_string,
        env.variable_end_string,
        env.comment_start_string,
        env.comment_end_string,
        env.line_statement_prefix,
        env.line_comment_prefix,
        env.trim_blocks,
        env.lstrip_blocks,
        env.newline_sequence,
        env.keep_trailing_newline,
        env.optimized,
        env.autoescape if isinstance(env.autoescape, bool) else id(env.autoescape),
        env.finalize is not None,
        tuple(sorted(env.extensions)),
        tuple(sorted(env.filters)),
        tuple(sorted(env.tests)),
    )


def share_compiled_code(env: Any) -> None:
    """Make ``env.compile`` take code from, and add code to, the process-wide table."""
    compile_uncached = env.compile
    settings = _settings(env)

    def compile_once(
        source: Any,
        name: str | None = None,
        filename: str | None = None,
        raw: bool = False,
        defer_init: bool = False,
    ) -> Any:
        if raw or not isinstance(source, str):
            return compile_uncached(source, name, filename, raw, defer_init)
        key = (settings, source, name, defer_init)
        with _lock:
            code = _codes.get(key)
            if code is not None:
                _codes.move_to_end(key)
        if code is None:
            code = compile_uncached(source, name, filename, raw, defer_init)
            with _lock:
                _codes[key] = code
                while len(_codes) > MAX_ENTRIES:
                    _codes.popitem(last=False)
        wanted = "<template>" if filename is None else filename
        return code if code.co_filename == wanted else code.replace(co_filename=wanted)

    env.compile = compile_once


@contextmanager
def templates_compiled_once() -> Iterator[None]:
    """While active, Jinja environments Copier makes share compiled templates (see above)."""
    global _active, _original
    try:
        from copier._main import Worker as _Worker
    except ImportError:  # a Copier that moved its Worker: render uncached
        yield
        return
    worker: type[Any] = _Worker
    with _lock:
        if _active == 0:
            original = worker.__dict__.get("jinja_env")
            if isinstance(original, cached_property):  # else render uncached
                _original = original
                make = original.func

                def jinja_env(self: Any) -> Any:
                    env = make(self)
                    share_compiled_code(env)
                    return env

                patched = cached_property(jinja_env)
                patched.__set_name__(worker, "jinja_env")
                worker.jinja_env = patched
        _active += 1
    try:
        yield
    finally:
        with _lock:
            _active -= 1
            if _active == 0 and _original is not None:
                worker.jinja_env = _original
                _original = None
