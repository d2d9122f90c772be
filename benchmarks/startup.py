"""Start-up figures: `--help` vs `python -c pass`; `spec validate` vs the bare imports."""

from __future__ import annotations

import sys
from functools import partial

from benchmarks._core import SPEC, Figure, interleaved, timed, tool_command

BARE_IMPORTS = "import pydantic, yaml"
MODEL_IMPORTS = "from pydantic import BaseModel; import yaml"
ONE_MODEL = (
    "from pydantic import BaseModel; import yaml\n"
    "class M(BaseModel):\n    x: int\n"
    "M.model_validate({'x': 1})"
)


def measure(repetitions: int) -> list[Figure]:
    """Measure the help and validate figures (whole processes, alternated)."""
    tool = tool_command()
    python = sys.executable
    times = interleaved(
        {
            "help": partial(timed, [*tool, "--help"]),
            "pass": partial(timed, [python, "-c", "pass"]),
            "validate": partial(timed, [*tool, "spec", "validate", SPEC]),
            "imports": partial(timed, [python, "-c", BARE_IMPORTS]),
            "model_imports": partial(timed, [python, "-c", MODEL_IMPORTS]),
            "one_model": partial(timed, [python, "-c", ONE_MODEL]),
        },
        repetitions,
    )
    return [
        Figure(
            key="help",
            title="`new-ai-project --help`",
            a_label="--help",
            b_label="`python -c pass`",
            unit="s",
            a=times["help"],
            b=times["pass"],
            budget=6.0,
            budget_op="<=",
        ),
        Figure(
            key="validate",
            title="`spec validate claims-triage.yaml`",
            a_label="validate",
            b_label=f"`{BARE_IMPORTS}`",
            unit="s",
            a=times["validate"],
            b=times["imports"],
            budget=1.5,
            budget_op="<=",
            notes=[
                "`import pydantic` is lazy: it loads no validator machinery. Validating "
                "with pydantic needs at least `from pydantic import BaseModel`; the next "
                "row measures against that."
            ],
        ),
        Figure(
            key="validate_vs_basemodel",
            title="`spec validate` vs BaseModel import",
            a_label="validate",
            b_label=f"`{MODEL_IMPORTS}`",
            unit="s",
            a=times["validate"],
            b=times["model_imports"],
        ),
        Figure(
            key="validate_vs_one_model",
            title="`spec validate` vs the pydantic floor",
            a_label="validate",
            b_label="a process that builds and validates a one-field model",
            unit="s",
            a=times["validate"],
            b=times["one_model"],
            notes=[
                "the least any process validating with pydantic pays: BaseModel machinery, "
                "the plugin loader (importlib.metadata) and one schema build"
            ],
        ),
    ]
