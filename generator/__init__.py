"""new-ai-project: render production-ready AI project repositories from one spec.

The public names are loaded on first use, so that ``new-ai-project --help`` does not
pay for pydantic or Copier.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__all__ = [
    "GeneratorError",
    "ProjectSpec",
    "SpecError",
    "UsageError",
    "__version__",
    "json_schema",
    "load_spec",
    "parse_spec",
]

_LAZY = {
    "GeneratorError": "generator.errors",
    "SpecError": "generator.errors",
    "UsageError": "generator.errors",
    "ProjectSpec": "generator.spec",
    "json_schema": "generator.spec",
    "load_spec": "generator.spec",
    "parse_spec": "generator.spec",
}


def __getattr__(name: str) -> Any:
    """Import a public name the first time it is asked for."""
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("new-ai-project")
        except PackageNotFoundError:  # a source tree that was never installed
            return "0.0.0+unknown"
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'generator' has no attribute {name!r}")
