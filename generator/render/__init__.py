"""Rendering: the context both kinds of template receive, template sources, the bundle, new.

Public on purpose: ``render_project``, ``RenderResult`` and ``build_context``. Copier is
imported inside the functions that need it (it costs half a second at start-up).
"""

from generator.render.context import build_context
from generator.render.project import RenderResult, render_project

__all__ = ["RenderResult", "build_context", "render_project"]
