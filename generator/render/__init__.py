"""Rendering: the context every kind of template receives, template sources, the bundle, new.

Public on purpose: the names below. ``render_project`` writes a generated repository and
``read_repository`` is the one reader of one (its spec and Copier answers). Copier is
imported inside the functions that need it (it costs half a second at start-up).
"""

from generator.render.compiled import share_compiled_code, templates_compiled_once
from generator.render.context import build_context, in_render_order, spec_data
from generator.render.project import RenderResult, blocking_findings, render_project
from generator.render.repository import (
    ANSWERS_FILE,
    SPEC_FILE,
    Repository,
    is_repository,
    read_answers,
    read_repository,
)
from generator.render.sources import (
    TemplateSource,
    install_default_bundle,
    is_default_source,
    resolve_template,
)

__all__ = [
    "ANSWERS_FILE",
    "SPEC_FILE",
    "RenderResult",
    "Repository",
    "TemplateSource",
    "blocking_findings",
    "build_context",
    "in_render_order",
    "install_default_bundle",
    "is_default_source",
    "is_repository",
    "read_answers",
    "read_repository",
    "render_project",
    "resolve_template",
    "share_compiled_code",
    "spec_data",
    "templates_compiled_once",
]
