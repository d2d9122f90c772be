"""Hatch build hook: put the template history into the wheel as a git bundle.

Copier can update a project only from a git source with version tags, so the wheel ships
``generator/_template/templates.bundle``: one tagged commit per template version derived
from the history of ``templates/VERSION`` (see ``generator/render/bundle.py``). Without git
history (a build from an sdist) the bundle holds the single version in the working tree.
"""

from __future__ import annotations

import importlib.util
import sys
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

BUNDLE_IN_WHEEL = "generator/_template/templates.bundle"


class TemplateBundleHook(BuildHookInterface):  # type: ignore[misc]
    """Build the template bundle and force-include it into the wheel."""

    PLUGIN_NAME = "custom"

    def initialize(self, _version: str, build_data: dict[str, Any]) -> None:
        """Build the bundle into a scratch folder and add it to the wheel."""
        if self.target_name != "wheel":
            return
        root = Path(self.root)
        bundle_module = _load_bundle_module(root)
        self._scratch = tempfile.TemporaryDirectory(prefix="nap-build-")
        out = Path(self._scratch.name) / "templates.bundle"
        try:
            tags = bundle_module.build_bundle(root, out)
        except bundle_module.BundleError as err:
            self.app.display_warning(
                f"no template bundle in this wheel ({err}); projects rendered with it "
                "from the default templates cannot be updated"
            )
            return
        self.app.display_info(f"template bundle: {', '.join(tags)}")
        build_data["force_include"][str(out)] = BUNDLE_IN_WHEEL

    def finalize(self, _version: str, _build_data: dict[str, Any], _artifact_path: str) -> None:
        """Remove the scratch folder once the wheel is written."""
        scratch = getattr(self, "_scratch", None)
        if scratch is not None:
            scratch.cleanup()


def _load_bundle_module(root: Path) -> Any:
    """Import generator/render/bundle.py from the source tree (the package is not installed).

    The module needs only the standard library, ``packaging`` and ``generator._io``; the
    source root goes on ``sys.path`` for the latter, and the module is loaded by path so that
    ``generator.render``'s own imports (pydantic, Copier) are not needed at build time.
    """
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    path = root / "generator" / "render" / "bundle.py"
    spec = importlib.util.spec_from_file_location("_nap_template_bundle", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module
