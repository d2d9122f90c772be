"""Render one template file in process, the way Copier does, for tests of generated documents.

Copier renders with a sandboxed Jinja environment, the Ansible core filters and the
template repository's root as the loader's root (``templates/_shared/...`` includes). Here
undefined names are errors, so a template that names a key the context lacks fails loudly
instead of rendering an empty string.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from generator.render import build_context
from generator.spec import ProjectSpec
from tests.conftest import ROOT

SPEC_DOCUMENT = "templates/_shared/spec.md.jinja"


@cache
def _environment() -> SandboxedEnvironment:
    return SandboxedEnvironment(
        loader=jinja2.FileSystemLoader(ROOT),
        extensions=["jinja2_ansible_filters.AnsibleCoreFiltersExtension"],
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def render_template(path: str, context: dict[str, Any]) -> str:
    """Render the template file at ``path`` (from the repository root) with ``project``."""
    project = json.loads(json.dumps(context))  # as Copier records and reads it back
    return _environment().get_template(path).render(project=project)


def spec_document(spec: ProjectSpec) -> str:
    """``docs/spec.md`` as a generated repository of ``spec`` has it."""
    return render_template(SPEC_DOCUMENT, build_context(spec))
