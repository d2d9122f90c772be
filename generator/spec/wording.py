"""Error lines for spec files: pydantic's errors turned into ``FILE:LINE: field: message``.

Each message names the offending value and says what to write instead; an unknown key
names the key that was probably meant. The spec model itself lives in ``generator.spec``.
"""

from __future__ import annotations

import difflib
import json
import re
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from generator.spec._yaml import LoadedYaml
from generator.spec.project import ProjectSpec


def spec_error_lines(err: ValidationError, loaded: LoadedYaml, source: str) -> list[str]:
    """Turn a pydantic error into ``FILE:LINE: field.path: message`` lines, in file order."""
    problems: list[tuple[int, str]] = []
    seen: set[str] = set()
    details = err.errors(include_url=False)
    explained = _misspelt_keys(details)
    for detail in details:
        if detail["type"] == "missing" and tuple(detail["loc"]) in explained:
            continue  # the unknown-key line already says "did you mean ..."
        loc, message = describe_error(detail)
        path = ".".join(_show_key(p) for p in loc) or "(top)"
        line = loaded.line_of(_line_loc(detail, loc))
        text = f"{source}:{line}: {path}: {message}"
        if text not in seen:
            seen.add(text)
            problems.append((line, text))
    problems.sort(key=lambda item: item[0])
    return [text for _, text in problems]


_FIELD_RULES = ("at_field", "missing_when")
"""Errors a section's rule raises about one of its fields (``_in``, a condition's field)."""


def _line_loc(detail: ErrorDetails, loc: tuple[str | int, ...]) -> tuple[str | int, ...]:
    """Where the line of an error is: the field's, or the anchor's a rule names.

    A field required by another answer (``genai`` by ``kind``) is missing from the file, so
    its line is that of the answer that requires it.
    """
    ctx = detail.get("ctx") or {}
    anchor = ctx.get("anchor")
    if detail["type"] not in _FIELD_RULES or not anchor:
        return loc
    base = loc[: len(loc) - len(_parts(str(ctx["field"])))]
    return (*base, *_parts(str(anchor)))


def _parts(path: str) -> tuple[str | int, ...]:
    """A dotted path as location parts, list indexes as numbers."""
    return tuple(int(p) if p.isdigit() else p for p in path.split("."))


def _misspelt_keys(details: list[ErrorDetails]) -> set[tuple[str | int, ...]]:
    """Locations of missing keys that an unknown key beside them was probably meant to be."""
    found: set[tuple[str | int, ...]] = set()
    for detail in details:
        if detail["type"] != "extra_forbidden":
            continue
        loc = tuple(detail["loc"])
        model = _model_at(loc[:-1])
        if model is not None:
            close = difflib.get_close_matches(str(loc[-1]), list(model.model_fields), 1, 0.6)
            found.update((*loc[:-1], key) for key in close)
    return found


def describe_error(detail: ErrorDetails) -> tuple[tuple[str | int, ...], str]:
    """Give one pydantic error a location (without union/validator noise) and a message."""
    kind = detail["type"]
    loc = tuple(p for p in detail["loc"] if not _is_noise(p))
    if kind in {"missing", "extra_forbidden"} and detail["loc"]:
        # the last part is a key (one the user wrote, or a field), even one named like noise
        loc = (*(p for p in detail["loc"][:-1] if not _is_noise(p)), detail["loc"][-1])
    message = str(detail["msg"])
    if message.startswith("Value error, "):
        message = message.removeprefix("Value error, ")
    if kind == "missing":
        description = _field_description(loc)
        message = "field required" + (f" — give {description}" if description else "")
    elif kind == "extra_forbidden":
        message = _unknown_key_message(loc)
    elif kind == "unknown_metric":
        # the message names the exact field; point the location at it too
        ctx = detail.get("ctx") or {}
        loc = ("acceptance_criteria", int(ctx["index"]), "metric")
        message = message.split(": ", 1)[1]
    elif kind == "at_path":
        # a rule across sections names the field it is about: point the location at it
        ctx = detail.get("ctx") or {}
        loc = _parts(str(ctx["path"]))
        message = message.split(": ", 1)[1]
    elif kind in _FIELD_RULES:
        # a rule of a section names which of its fields it is about
        ctx = detail.get("ctx") or {}
        loc = (*loc, *_parts(str(ctx["field"])))
        message = message.split(": ", 1)[1]
    elif kind in {"enum", "literal_error"}:
        message = f"{_input_repr(detail['input'])} is not allowed; {_rule(message)}"
    elif kind in {"float_type", "int_type", "float_parsing", "int_parsing"}:
        message = (
            f"{_input_repr(detail['input'])} is not a number; "
            "write a plain number such as 4 or 0.95"
        )
    elif kind == "string_pattern_mismatch" or (
        kind in {"string_too_short", "string_too_long"}
        and (loc == ("name",) or loc[-1:] == ("role",))
    ):
        message = _pattern_message(loc, detail["input"])
    elif kind in {"string_too_short", "string_too_long"}:
        ctx = detail.get("ctx") or {}
        limit = ctx.get("max_length", ctx.get("min_length"))
        word = "at most" if kind == "string_too_long" else "at least"
        message = f"must have {word} {limit} characters (it has {len(str(detail['input']))})"
    elif kind == "string_type":
        message = (
            f"{_input_repr(detail['input'])} is not text; put it in quotes if it is meant as text"
        )
    elif kind in {"list_type", "model_type", "dict_type"}:
        expected = "a list" if kind == "list_type" else "a mapping of keys"
        message = f"expected {expected}, got {_input_repr(detail['input'])}"
    elif kind == "less_than_equal" and loc[-1:] == ("drift_threshold",):
        message = (
            f"{_input_repr(detail['input'])} is above {message.rsplit(' ', 1)[-1]}: a population "
            "stability index that high is never reached, so the drift alert could never fire; "
            "0.1-0.25 are the usual thresholds"
        )
    elif kind in {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}:
        message = f"{_input_repr(detail['input'])} is not allowed; {_rule(message)}"
    elif kind == "too_short" and isinstance(detail["input"], list):
        message = "must list at least one entry"
    return loc, message


def _is_noise(part: str | int) -> bool:
    """Pydantic adds union branch names to error locations; users never wrote those."""
    return isinstance(part, str) and (
        part.startswith("function-")
        or part in {"float", "int", "none", "list[...]"}
        or (part.endswith("]") and "[" in part)
    )


def _rule(message: str) -> str:
    """Pydantic's "Input should be ..." as "it must be ...": a field may be named input."""
    if message.startswith("Input should be"):
        return "it must be" + message[len("Input should be") :]
    return message[0].lower() + message[1:]


def _input_repr(value: Any) -> str:
    """Show the offending value briefly."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def _pattern_message(loc: tuple[str | int, ...], value: Any) -> str:
    """Explain what an identifier field accepts."""
    field = next((p for p in reversed(loc) if isinstance(p, str)), "")
    rules = {
        "name": "a slug of lowercase letters, digits and single hyphens, starting with a letter, "
        "3-50 characters (no spaces, slashes or '..')",
        "role": "a slug of lowercase letters, digits, '-' or '_', starting with a letter",
        "id": "letters and digits joined by '-', '_' or '.', starting with a letter (AC-1, M-2)",
        "metric": "the id of a success metric, such as M-1",
        "drift_features": "a feature name of lowercase letters, digits and '_' (claim_amount)",
        "hosts": "a host name (RFC 1123: letters, digits and '-' in labels joined by '.') with "
        "an optional :port, such as api.pagerduty.com or vault.internal:8200",
        "resources": "a plural resource name in lowercase, a subresource after '/' (pods, "
        "deployments/scale)",
        "api_group": 'an API group in lowercase (apps, networking.k8s.io), or "" for the '
        "core group",
    }
    return f"{_input_repr(value)} is not allowed; use {rules.get(field, 'a simple identifier')}"


def _model_at(loc: tuple[str | int, ...]) -> type[BaseModel] | None:
    """Find the model whose fields live at ``loc`` (the parent of an unknown/missing key)."""
    model: type[BaseModel] = ProjectSpec
    for part in loc:
        if isinstance(part, int):
            continue
        info = model.model_fields.get(part)
        if info is None:
            return None
        inner = _model_in(info.annotation)
        if inner is None:
            return None
        model = inner
    return model


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """Find a model class inside an annotation such as ``list[User] | None``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _field_description(loc: tuple[str | int, ...]) -> str:
    model = _model_at(loc[:-1])
    if model is None:
        return ""
    info = model.model_fields.get(str(loc[-1]))
    return (info.description or "") if info else ""


def _unknown_key_message(loc: tuple[str | int, ...]) -> str:
    """Name the unknown key and, where one is close, the key that was probably meant."""
    key = str(loc[-1])
    model = _model_at(loc[:-1])
    allowed = list(model.model_fields) if model else []
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    if close:
        return f"unknown key {_show_key(key, quote=True)} — did you mean '{close[0]}'?"
    listing = ", ".join(allowed)
    shown = _show_key(key, quote=True)
    return f"unknown key {shown}" + (f"; allowed here: {listing}" if listing else "")


_PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]{1,60}")


def _show_key(part: str | int, *, quote: bool = False) -> str:
    """Show a key in one line: plain keys as they are, anything else JSON-quoted."""
    text = str(part)
    if _PLAIN_KEY.fullmatch(text):
        return f"'{text}'" if quote else text
    shown = json.dumps(text[:60])
    return shown if len(text) <= 60 else shown[:-1] + '..."'
