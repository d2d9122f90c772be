"""Rendering: the context both kinds of template receive, template sources, the bundle, new.

Public on purpose: ``render_project``, ``RenderResult``, ``build_context`` and
``blocking_findings``. Copier is
imported inside the functions that need it (it costs half a second at start-up).
"""

from generator.render.context import build_context
from generator.render.project import RenderResult, blocking_findings, render_project

__all__ = ["RenderResult", "blocking_findings", "build_context", "render_project"]
