"""The spec's JSON Schema, for editors and other tools, shipped as package data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from generator._io import write_atomic
from generator.spec.project import ProjectSpec


def json_schema() -> dict[str, Any]:
    """Return the JSON Schema of the spec, for editors and other tools."""
    schema = ProjectSpec.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


def schema_path() -> Path:
    """Return the path of the JSON Schema file shipped in the package."""
    return Path(__file__).parent.parent / "data" / "spec.schema.json"


def write_schema_file() -> Path:
    """Regenerate the shipped JSON Schema file from the model (run after changing the model)."""
    path = schema_path()
    write_atomic(path, json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n")
    return path
