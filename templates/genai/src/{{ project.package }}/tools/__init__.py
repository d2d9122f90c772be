"""The project's tool bodies: one module per spec tool, ``tools/<tool name>.py``.

A module here defines ``register(toolbox)`` and in it calls ``toolbox.register(NAME,
args=ArgsModel, live=live_body, sandbox=sandbox_body)`` for its spec tool: typed arguments
(a pydantic model), the live body that calls the real system (use ``ctx.idempotency_key``
so a retried write is not done twice), and a sandbox body that returns a plausible result
without touching anything. Tools without a module keep the defaults of
:mod:`..toolbox`: their live body raises "not connected", naming the file to write.
"""

from __future__ import annotations

import importlib
import pkgutil

from .. import project
from ..config import genai
from ..toolbox import Toolbox


def toolbox() -> Toolbox:
    """A toolbox with every spec tool and the bodies the modules of this package register."""
    box = Toolbox(genai().tools, project.package())
    for module in pkgutil.iter_modules(__path__):
        loaded = importlib.import_module(f"{__name__}.{module.name}")
        register = getattr(loaded, "register", None)
        if callable(register):
            register(box)
    return box
