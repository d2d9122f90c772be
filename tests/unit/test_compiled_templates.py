"""Jinja code compiled once per process is shared by later environments, never mixed up."""

from __future__ import annotations

from functools import cached_property

from copier._main import Worker
from jinja2 import Environment
from jinja2.sandbox import SandboxedEnvironment

from generator.render import share_compiled_code, templates_compiled_once

SOURCE = "{% for x in items %}[{{ x | upper }}]{% endfor %}"


def _shared(env: Environment) -> Environment:
    share_compiled_code(env)
    return env


def test_a_second_environment_takes_the_code_the_first_compiled() -> None:
    """The same source, name and settings compile once: the second gets the same code."""
    first = _shared(SandboxedEnvironment()).compile(SOURCE, "same.txt.jinja", "/a/same.txt.jinja")
    second = _shared(SandboxedEnvironment()).compile(SOURCE, "same.txt.jinja", "/a/same.txt.jinja")
    assert first is second


def test_shared_code_renders_as_freshly_compiled_code() -> None:
    """A template built from shared code renders exactly what an unshared one renders."""
    _shared(SandboxedEnvironment()).from_string(SOURCE).render(items=["warm"])
    shared = _shared(SandboxedEnvironment()).from_string(SOURCE).render(items=["a", "b"])
    assert shared == SandboxedEnvironment().from_string(SOURCE).render(items=["a", "b"]) == "[A][B]"


def test_other_delimiters_compile_their_own_code() -> None:
    """An environment parsing with other delimiters never gets another's code for a source."""
    text = "<< name >> {{ name }}"
    _shared(SandboxedEnvironment()).from_string(text).render(name="x")
    other = _shared(SandboxedEnvironment(variable_start_string="<<", variable_end_string=">>"))
    assert other.from_string(text).render(name="x") == "x {{ name }}"


def test_other_filters_compile_their_own_code() -> None:
    """An environment knowing other filters compiles its own code (the optimiser uses them)."""
    plain = _shared(SandboxedEnvironment())
    extra = SandboxedEnvironment()
    extra.filters["shout"] = lambda value: f"{value}!"
    _shared(extra)
    first = plain.compile(SOURCE, "f.jinja")
    assert extra.compile(SOURCE, "f.jinja") is not first


def test_shared_code_carries_the_callers_file_name() -> None:
    """A template's file name (shown in tracebacks) is the caller's, not the first compiler's."""
    _shared(SandboxedEnvironment()).compile(SOURCE, "t.jinja", "/checkout-1/t.jinja")
    code = _shared(SandboxedEnvironment()).compile(SOURCE, "t.jinja", "/checkout-2/t.jinja")
    assert code.co_filename == "/checkout-2/t.jinja"


def test_copier_workers_share_code_only_while_the_context_is_active() -> None:
    """Copier's Worker.jinja_env is patched inside the (nestable) context and restored after."""
    original = Worker.__dict__["jinja_env"]
    with templates_compiled_once():
        patched = Worker.__dict__["jinja_env"]
        assert isinstance(patched, cached_property) and patched is not original
        with templates_compiled_once():
            assert Worker.__dict__["jinja_env"] is patched
        assert Worker.__dict__["jinja_env"] is patched
    assert Worker.__dict__["jinja_env"] is original
