"""Hypothesis strategies that build valid specs across the whole space the model allows.

``valid_specs()`` draws plain data (a dict ready for ``yaml.safe_dump``) that must pass
``spec validate``: either kind, every optional section and field present, absent or null,
any subset of the regimes with a consistent risk tier and retention, 1 to many users,
metrics and criteria, names at their length limits, Unicode and hostile text in every
free-text field, contract field lists and drift features in any order, metrics without
baselines.

It walks the spec model: each field is drawn from its type and constraints (a pattern, a
length limit, bounds, an enum, a nested model, a list of entries with unique ids, a
reference to another list's entries, a condition on another answer), so a field added to
the model is drawn without a change here. ``OVERRIDES`` holds only what a field's type
cannot say (the regulatory scope's consistency, bounds that must agree with an input's
type, realistic metric names and owners). ``tests/unit/test_strategies.py`` checks that
every field of the model is drawn and that everything drawn is valid.
"""

from __future__ import annotations

import enum
import keyword
import sys
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any, Literal, cast, get_args, get_origin

from annotated_types import Ge, Gt, Le, Lt, MaxLen, MinLen
from hypothesis import strategies as st
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from generator.spec import (
    GENAI_KINDS,
    GENAI_REGIMES,
    HARM_SCORERS,
    READ_VERBS,
    Answers,
    JudgeModel,
    ProjectSpec,
    Reaches,
    Ref,
    RegimeId,
    Retrieval,
    Spot,
    bare,
    fields_of,
    host_port,
    minimum_retention,
    slug_to_identifier,
    walk,
)

HOSTILE = (
    "{{ 7*7 }}",
    "{{",
    "}}",
    "{%",
    "%}",
    "{#",
    "{% raw %}x{% endraw %}",
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "${{ github.token }}",
    "${{ secrets.GITHUB_TOKEN }}",
    "{{ $labels.instance }}",
    "{{ $value }}",
    "{{-",
    "$(touch /tmp/pwned)",
    "`id`",
    "${HOME}",
    '"""',
    "'''",
    "'",
    '"',
    "\\",
    "\\n",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(2)>",
    "</textarea>",
    "]]>",
    "-->",
    "---",
    "...",
    "- item",
    "# heading",
    "* bullet",
    "1. first",
    "| a | b |",
    "[link](javascript:alert(3))",
    "&amp;",
    "%s %(x)s {0}",
    "'; DROP TABLE audit; --",
    "key: value",
    "!!python/object:os.system",
    "&anchor *alias",
    "@everyone",
    "null",
    "~",
    "yes",
    "1e309",
    ".inf",
    "__import__('os').system('id')",
    "\u200fright-to-left mark\u200e\u061c",
    "שלום \u200f(עברית)",
    "{% for x in y %}{{ x }}{% endfor %}",
    "{%- if a -%}b{%- endif %}",
    "{{ $value | humanize }}",
    "{{ range $i := . }}{{ end }}",
    "\u200b\u200d\ufeff",
    "😀👩‍⚕️",
    "Ünïcödé",
    "漢字かな",
    "مرحبا",
    "e\u0301",  # a combining accent: NFC turns it into é
    "\t",
)
"""Fragments that break naive templating, quoting, Markdown, HTML, YAML or Go templates."""

PERMISSIONS = ("request", "read", "review", "contest", "sign", "audit", "operate")
_ALPHABET = st.characters(
    blacklist_categories=("Cs", "Cc"),
    # line separators and non-characters; bidirectional controls, which validation refuses
    blacklist_characters="\u2028\u2029\ufffe\uffff\u202a\u202b\u202c\u202d\u202e"
    "\u2066\u2067\u2068\u2069",
)


def _has_text(value: str) -> bool:
    return bool(value.strip())


@cache
def _text(*, max_size: int, multi_line: bool) -> st.SearchStrategy[str]:
    """Free text: plain words, any Unicode, hostile fragments, or a mix of them."""
    fragments = st.sampled_from(HOSTILE) | st.text(_ALPHABET, min_size=1, max_size=30)
    if multi_line:
        fragments |= st.sampled_from(["\n", "\r\n", "\n\n- not a list\n", "\n  indented"])
    mixed = st.lists(fragments, min_size=1, max_size=8).map(" ".join)
    words = st.lists(
        st.sampled_from(["claims", "routing", "risk", "the", "model", "weekly", "audit"]),
        min_size=1,
        max_size=12,
    ).map(" ".join)
    limit = st.just("x" * max_size) | st.just(("Ä{{ ✓ }} " * max_size)[:max_size])
    return (
        (words | mixed | limit)
        .map(
            lambda s: (
                s[:max_size] if multi_line else s.replace("\r", "").replace("\n", " ")[:max_size]
            )
        )
        .filter(_has_text)
    )


@cache
def line() -> st.SearchStrategy[str]:
    """One line of free text (at most 300 characters)."""
    return _text(max_size=300, multi_line=False)


@cache
def text() -> st.SearchStrategy[str]:
    """Free text of several lines (at most 4000 characters)."""
    return _text(max_size=4000, multi_line=True)


def _reserved(name: str) -> bool:
    package = slug_to_identifier(name)
    return keyword.iskeyword(package) or package in sys.stdlib_module_names


@cache
def slugs(min_size: int = 3, max_size: int = 50) -> st.SearchStrategy[str]:
    """Project-name slugs, at their length limits too."""
    regular = st.from_regex(r"\A[a-z][a-z0-9]{2,12}(-[a-z0-9]{1,10}){0,3}\Z").filter(
        lambda s: len(s) <= max_size
    )
    longest = st.just("a" + "-b2" * ((max_size - 1) // 3) + "c" * ((max_size - 1) % 3))
    shortest = st.sampled_from(["abc", "a1b", "x-y"])
    return (regular | longest | shortest).filter(
        lambda s: min_size <= len(s) <= max_size and not _reserved(s)
    )


@cache
def roles() -> st.SearchStrategy[str]:
    """Role slugs (2-40 characters, hyphens or underscores)."""
    common = st.sampled_from(
        ["adjuster", "admin", "auditor", "clinician", "data_steward", "intake-clerk", "ops"]
    )
    drawn = st.from_regex(r"\A[a-z][a-z0-9]{1,15}([-_][a-z0-9]{1,8}){0,2}\Z")
    longest = st.just("r" + "_x1" * 13)
    return (common | drawn | longest).filter(lambda s: 2 <= len(s) <= 40)


@cache
def identifiers() -> st.SearchStrategy[str]:
    """Metric and criterion ids such as ``AC-1`` (1-40 characters)."""
    common = st.builds(
        "{}-{}".format, st.sampled_from(["AC", "M", "REQ", "KPI"]), st.integers(1, 99)
    )
    drawn = st.from_regex(r"\A[A-Za-z][A-Za-z0-9]{0,8}([-_.][A-Za-z0-9]{1,6}){0,3}\Z")
    longest = st.just("A" + "-9z" * 13)
    return (common | drawn | longest).filter(lambda s: 1 <= len(s) <= 40)


@cache
def feature_names() -> st.SearchStrategy[str]:
    """Drift features and contract fields: ``[a-z_][a-z0-9_]*``, keywords and roles included."""
    common = st.sampled_from(
        [
            "claim_amount",
            "channel",
            "heart_rate",
            "temperature",
            "age",
            "is_urgent",
            "visit_date",
            "patient_id",
            "id",
            "key",
            "label",
            "target",
            "record_id",
            "class",
            "import",
            "none",
            "true",
            "self",
            "_private",
            "x",
            "zz_last",
            "aa_first",
            "n_visits",
            "segment",
            "feature_a",
        ]
    )
    drawn = st.from_regex(r"\A[a-z_][a-z0-9_]{0,20}\Z")
    longest = st.just("f" * 60)
    return common | drawn | longest


@cache
def input_names() -> st.SearchStrategy[str]:
    """Input names: identifiers (not keywords, not pydantic's ``model_`` prefix)."""
    return feature_names().filter(
        lambda n: n[:1].isalpha() and not keyword.iskeyword(n) and not n.startswith("model_")
    )


def unique_by_identifier(
    strategy: st.SearchStrategy[str], min_size: int, max_size: int
) -> st.SearchStrategy[list[str]]:
    """Lists whose items stay distinct once made identifiers (as the model requires)."""
    return st.lists(strategy, min_size=min_size, max_size=max_size, unique_by=as_identifier)


def as_identifier(value: str) -> str:
    """What the model compares ids as: the cleaned text (NFC, stripped) made an identifier."""
    return slug_to_identifier(unicodedata.normalize("NFC", value).strip())


numbers = st.one_of(
    st.integers(min_value=-(10**9), max_value=10**9),
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12),
    st.sampled_from([0, 0.0, 1, 0.5, 1e-9, 123456789.123, 1e300]),
)
positive = st.one_of(
    st.integers(min_value=1, max_value=10**7),
    st.floats(min_value=1e-6, max_value=1e9, allow_nan=False, allow_infinity=False),
)
_METRIC_NAMES = st.sampled_from(
    [
        "Recall on confirmed signals",
        "Precision of flagged claims",
        "F1 score",
        "Accuracy on the audit sample",
        "MAPE of the weekly forecast",
        "RMSE of predicted demand",
        "Mean absolute error",
        "Median routing time",
        "Cost per decision",
    ]
)
_HANDLES = st.sampled_from(["@acme/claims-platform", "oncall@example.com", "@jdoe"])
ABSENT: Any = object()
"""Returned by an override to leave a field out."""


@st.composite
def _contract(draw: st.DrawFn) -> str:
    """Contract text, often with a field list in parentheses the pipeline parses."""
    fields = draw(st.lists(feature_names(), min_size=1, max_size=8))
    types = st.sampled_from(["", ": int", ": float", ": str", ": bool", ": date", " float"])
    listed = ", ".join(f + draw(types) for f in fields)
    return draw(
        st.sampled_from(
            [f"CSV extract ({listed})", f"Table v2 ({listed}); refreshed nightly", "Free text"]
        )
        | text()
    )


# --- what a field's type cannot say ---------------------------------------------------


@dataclass(frozen=True)
class Drawn:
    """What an override sees: the spec drawn so far and the entry being drawn."""

    spec: dict[str, Any]
    entry: dict[str, Any]
    spot: Spot


def _risk(draw: st.DrawFn, here: Drawn) -> Any:
    if "eu-ai-act" not in here.entry.get("regimes", []):
        return ABSENT
    return draw(st.sampled_from(["minimal", "limited", "high"]))


def _retention(draw: st.DrawFn, here: Drawn) -> Any:
    low = _retention_floor(here)
    return _optional(draw, st.integers(low, 36500) | st.just(low))


def _bound(draw: st.DrawFn, here: Drawn) -> Any:
    """An input's min or max: whole numbers for integers, max never below min."""
    kind = here.entry.get("type")
    if kind not in ("number", "integer") or not draw(st.booleans()):
        return ABSENT
    whole = st.integers(-(10**6), 10**6)
    bound = whole if kind == "integer" else (whole | st.floats(-1e6, 1e6, allow_nan=False))
    value = draw(bound)
    low = here.entry.get("min")
    return max(value, low) if here.spot.key == "max" and low is not None else value


def _values(draw: st.DrawFn, here: Drawn) -> Any:
    if here.entry.get("type") != "category":
        return ABSENT
    value = st.sampled_from(["web", "phone", "broker", "yes", "null", "1.5", "{{ x }}"]) | line()
    return draw(
        st.lists(
            value.map(lambda v: v[:100].strip() or "v"),
            min_size=1,
            max_size=6,
            unique_by=as_identifier,
        )
    )


def _drift_features(draw: st.DrawFn, here: Drawn) -> Any:
    """Drift features name inputs when there are inputs, else any feature names."""
    if not draw(st.booleans()):
        return ABSENT
    if here.spec.get("inputs") is None:
        return draw(unique_by_identifier(feature_names(), 0, 8))
    names = [i["name"] for i in here.spec["inputs"]]  # with inputs, only inputs
    return draw(unique_by_identifier(st.sampled_from(names), 0, 8)) if names else []


def _regimes(draw: st.DrawFn, here: Drawn) -> Any:
    """Any regimes; the GenAI catalogues only for the GenAI kinds."""
    allowed = [
        r.value
        for r in RegimeId
        if here.spec.get("kind") in GENAI_KINDS or r.value not in GENAI_REGIMES
    ]
    return draw(st.lists(st.sampled_from(allowed), max_size=8, unique=True))


def _retention_floor(here: Drawn) -> int:
    floor = minimum_retention(here.entry.get("regimes", []), here.entry.get("eu_ai_act_risk"))
    return floor.days if floor else 1


def _may_approve(spec: Mapping[str, Any]) -> bool:
    """Whether some role may review or sign, so that a write tool can name its approver."""
    return any(set(user.get("can") or ()) & {"review", "sign"} for user in spec.get("users") or [])


def _effect(draw: st.DrawFn, here: Drawn) -> Any:
    """Assistants only read; an agent writes only when some role may approve."""
    if here.spec.get("kind") != "agent" or not _may_approve(here.spec):
        return "read"
    return draw(st.sampled_from(["read", "write"]))


def _blast_radius(draw: st.DrawFn, here: Drawn) -> Any:
    """A write reaches at least one resource; a read anything."""
    radii = ["none", "resource", "namespace", "cluster", "external"]
    return draw(st.sampled_from(radii[1:] if here.entry.get("effect") == "write" else radii))


def _judge(draw: st.DrawFn, here: Drawn) -> Any:
    """A judge, or none; never a model of the chain."""
    choice = draw(st.sampled_from(["set", "set", "absent", "null"]))
    if choice != "set":
        return ABSENT if choice == "absent" else None
    judge = _draw_model(draw, JudgeModel, here.spot.path, here.spec, {})
    chain = {(m.get("provider"), m.get("model")) for m in here.entry.get("models", [])}
    if (judge["provider"], judge["model"]) in chain:
        judge["model"] = (judge["model"] + "-judge")[-200:]
    return judge


def _residency(draw: st.DrawFn, here: Drawn) -> Any:
    """Absent, or regions holding every region the models (and the judge) are served in."""
    if not draw(st.booleans()):
        return ABSENT
    served = [*here.entry.get("models", []), here.entry.get("judge")]
    needed = [
        m["region"] for m in served if isinstance(m, dict) and isinstance(m.get("region"), str)
    ]
    extra = draw(st.lists(_PATTERNS[REGION_PATTERN]().filter(lambda r: len(r) <= 40), max_size=3))
    regions: list[str] = []
    for region in [*needed, *extra]:
        if not any(region == r or region.startswith(r + "-") for r in regions):
            first = region.split("-")[0]
            regions.append(first if len(first) >= 2 and draw(st.booleans()) else region)
    return list(dict.fromkeys(regions))


def _retrieval(draw: st.DrawFn, here: Drawn) -> Any:
    """Retrieval names a data dependency, so only a spec with some has it."""
    if not here.spec.get("data_dependencies"):
        return ABSENT
    choice = draw(st.sampled_from(["set", "set", "absent", "null"]))
    if choice != "set":
        return ABSENT if choice == "absent" else None
    return _draw_model(draw, Retrieval, here.spot.path, here.spec, {})


def _threshold(draw: st.DrawFn, here: Drawn) -> Any:
    """A count of harms is at least 0; every other score a ratio in 0..1."""
    if here.entry.get("scorer") in HARM_SCORERS:
        return draw(st.integers(0, 50) | st.floats(0, 50, allow_nan=False))
    return draw(st.floats(0, 1, allow_nan=False) | st.sampled_from([0, 1, 0.9]))


def _per_day(draw: st.DrawFn, here: Drawn) -> Any:
    """A user's daily cap is at least the cap of one request."""
    value = _optional(draw, positive)
    per_request = here.entry.get("max_usd_per_request")
    if isinstance(value, int | float) and isinstance(per_request, int | float):
        return max(value, per_request)
    return value


_HOST_LABEL = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-",
    min_size=1,
    max_size=63,
).filter(lambda label: not label.startswith("-") and not label.endswith("-"))
_HOST_NAME = st.lists(_HOST_LABEL, min_size=1, max_size=5).map(".".join).filter(
    lambda name: len(name) <= 253
) | st.sampled_from(["api.pagerduty.com", "vault.internal", "10.0.0.12", "x", "a" * 63 + ".io"])


@st.composite
def hosts(draw: st.DrawFn) -> str:
    """A host name (RFC 1123, any case, labels of up to 63 characters), with a port or not."""
    name = draw(_HOST_NAME)
    port = draw(st.none() | st.sampled_from([1, 443, 8200, 65535]) | st.integers(1, 65535))
    return name if port is None else f"{name}:{port}"


def _hosts(draw: st.DrawFn, _here: Drawn) -> Any:
    """Hosts named once each: ``a.io`` and ``A.io:443`` are the same host."""
    if not draw(st.booleans()):
        return ABSENT
    return draw(st.lists(hosts(), max_size=6, unique_by=host_port))


def _reaches(draw: st.DrawFn, here: Drawn) -> Any:
    """What a tool connects to; a read tool is granted only verbs that change nothing."""
    choice = draw(st.sampled_from(["set", "set", "absent", "null"]))
    if choice != "set":
        return ABSENT if choice == "absent" else None
    reaches = _draw_model(draw, Reaches, here.spot.path, here.spec, {})
    if here.entry.get("effect") == "read":
        for rule in reaches.get("kubernetes") or []:
            rule["verbs"] = [v for v in rule["verbs"] if v in READ_VERBS] or [
                draw(st.sampled_from(READ_VERBS))
            ]
    return reaches


Override = Callable[[st.DrawFn, Drawn], Any]
OVERRIDES: dict[str, Override] = {
    "regulatory.regimes": _regimes,
    "genai.tools.*.effect": _effect,
    "genai.tools.*.blast_radius": _blast_radius,
    "genai.tools.*.reaches": _reaches,
    "genai.tools.*.reaches.hosts": _hosts,
    "genai.judge": _judge,
    "genai.data_residency": _residency,
    "genai.retrieval": _retrieval,
    "genai.evals.*.threshold": _threshold,
    "genai.limits.max_usd_per_user_per_day": _per_day,
    "owners.technical": lambda draw, _: draw(_HANDLES | line()),
    "owners.operations": lambda draw, _: draw(_HANDLES | line()),
    "success_metrics.*.name": lambda draw, _: draw(_METRIC_NAMES | line()),
    "success_metrics.*.unit": lambda draw, _: draw(
        st.sampled_from(["ratio", "hours", "%", "USD"]) | line()
    ),
    "success_metrics.*.baseline": lambda draw, _: _optional(draw, numbers),
    "success_metrics.*.target": lambda draw, _: draw(numbers),
    "regulatory.eu_ai_act_risk": _risk,
    "regulatory.retention_days": _retention,
    "data_dependencies.*.contract": lambda draw, _: draw(_contract()),
    "inputs.*.min": _bound,
    "inputs.*.max": _bound,
    "inputs.*.values": _values,
    "monitoring.drift_features": _drift_features,
}
"""Fields drawn otherwise than their type says, by path (``*`` for a list index)."""


# --- drawing by walking the model -------------------------------------------------------


def _optional(draw: st.DrawFn, strategy: st.SearchStrategy[Any]) -> Any:
    """A drawn value, a null, or the field left out."""
    choice = draw(st.sampled_from(["set", "set", "absent", "null"]))
    return draw(strategy) if choice == "set" else None if choice == "null" else ABSENT


def _metadata(info: FieldInfo) -> list[Any]:
    """Every constraint on a field: its own and those inside its ``Annotated`` types."""
    found: list[Any] = list(info.metadata)

    def visit(annotation: Any) -> None:
        if get_origin(annotation) is Annotated:
            for meta in get_args(annotation)[1:]:
                found.append(meta)
                found.extend(getattr(meta, "metadata", ()))
            visit(get_args(annotation)[0])
        elif get_origin(annotation) is not list:
            for arg in get_args(annotation):
                visit(arg)

    visit(info.annotation)
    return found


def _item_metadata(info: FieldInfo) -> list[Any]:
    """The constraints on one item of a list field."""
    item = get_args(bare(info.annotation))[0]
    found: list[Any] = []
    if get_origin(item) is Annotated:
        for meta in get_args(item)[1:]:
            found.append(meta)
            found.extend(getattr(meta, "metadata", ()))
    return found


REGION_PATTERN = r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$"
_PATTERNS: dict[str, Callable[[], st.SearchStrategy[str]]] = {
    REGION_PATTERN: slugs,
    r"^[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*$": roles,
    r"^[A-Za-z][A-Za-z0-9]*(?:[-_.][A-Za-z0-9]+)*$": identifiers,
    r"^[a-z_][a-z0-9_]*$": feature_names,
    r"^[a-z][a-z0-9_]*$": input_names,
}
"""The hand-made strategies for the model's patterned text: limits and odd cases included."""


@cache
def _field_strategy(spot: Spot, item: bool) -> st.SearchStrategy[Any]:
    """The strategy for a field's value (or one item of it), built once per field."""
    if item:
        return _scalar(get_args(bare(spot.info.annotation))[0], _item_metadata(spot.info))
    return _scalar(spot.info.annotation, _metadata(spot.info))


def _scalar(annotation: Any, metadata: list[Any]) -> st.SearchStrategy[Any]:
    """A strategy for one value from its type and constraints."""
    annotation = bare(annotation)
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return st.sampled_from([str(m.value) for m in annotation])
    if get_origin(annotation) is Literal:
        return st.sampled_from(list(get_args(annotation)))
    if annotation is bool:
        return st.booleans()
    low, high, low_open, high_open = _bounds(metadata)
    if annotation in (int, float):
        whole = st.integers(
            None if low is None else int(low) + low_open,
            None if high is None else int(high) - high_open,
        )
        if annotation is int:
            return whole
        floats = st.floats(
            low,
            high,
            exclude_min=low_open,
            exclude_max=high_open,
            allow_nan=False,
            allow_infinity=False,
        )
        return (whole | floats) if low is None or high is None or high - low >= 1 else floats
    pattern = next(
        (getattr(m, "pattern", None) for m in metadata if getattr(m, "pattern", None)), None
    )
    longest = min(
        [m.max_length for m in metadata if isinstance(m, MaxLen)]
        + [
            m.max_length
            for m in metadata
            if getattr(m, "max_length", None) and not isinstance(m, MaxLen)
        ]
        + [4000]
    )
    if pattern in _PATTERNS:
        return _PATTERNS[str(pattern)]().filter(lambda s: len(s) <= longest)
    if pattern is not None:
        return st.from_regex(pattern, fullmatch=True).filter(lambda s: 0 < len(s) <= longest)
    validators = [getattr(getattr(m, "func", None), "__name__", "") for m in metadata]
    one_line = "_single_line" in validators
    drawn = line() if one_line or longest <= 300 else text()
    return drawn.map(lambda s: s[:longest].strip() or "x")


def _bounds(metadata: list[Any]) -> tuple[float | None, float | None, bool, bool]:
    """The lower and upper bounds of a number, and whether each is open."""
    low = high = None
    low_open = high_open = False
    for meta in metadata:
        if isinstance(meta, Ge):
            low = float(cast(float, meta.ge))
        elif isinstance(meta, Gt):
            low, low_open = float(cast(float, meta.gt)), True
        elif isinstance(meta, Le):
            high = float(cast(float, meta.le))
        elif isinstance(meta, Lt):
            high, high_open = float(cast(float, meta.lt)), True
    return low, high, low_open, high_open


def _entry_count(info: FieldInfo) -> tuple[int, int]:
    low = max([m.min_length for m in info.metadata if isinstance(m, MinLen)] + [1])
    return low, max(low, 6)


def _draw_model(
    draw: st.DrawFn,
    model: type[BaseModel],
    prefix: str,
    spec: dict[str, Any],
    entry: dict[str, Any],
) -> dict[str, Any]:
    """Fill ``entry`` with the fields of ``model`` (placed at ``prefix``), in model order."""
    for spot in fields_of(model, prefix):
        value = _draw_field(draw, spot, spec, entry)
        if value is not ABSENT:
            entry[spot.key] = value
    return entry


def _draw_field(
    draw: st.DrawFn,
    spot: Spot,
    spec: dict[str, Any],
    entry: dict[str, Any],
) -> Any:
    """One field's value, ``ABSENT`` to leave it out."""
    if spot.path in OVERRIDES:
        return OVERRIDES[spot.path](draw, Drawn(spec, entry, spot))
    doc = spot.doc
    if doc.when is not None and not doc.when.holds(Answers(spec, entry)):
        return ABSENT
    if doc.auto:
        return ABSENT  # an id the interview assigns; the list's own draw gives it
    if doc.refers is not None:
        names = _referenced(spec, doc.refers)
        if not names:
            return ABSENT
        strategy: st.SearchStrategy[Any] = st.sampled_from(names)
        return draw(strategy) if spot.required else _optional(draw, strategy)
    if spot.form == "group" and spot.model is not None:
        if not spot.required_in(Answers(spec, entry)):
            choice = draw(st.sampled_from(["set", "set", "absent", "null"]))
            if choice != "set":
                return ABSENT if choice == "absent" else None
        return _draw_model(draw, spot.model, spot.path, spec, {})
    if spot.form == "entries" and spot.model is not None:
        if not spot.required:
            choice = draw(st.sampled_from(["absent", "null", "empty", "some", "some"]))
            if choice != "some":
                return {"absent": ABSENT, "null": None, "empty": []}[choice]
        return _draw_entries(draw, spot, spec)
    if spot.form in ("texts", "choices"):
        item = _field_strategy(spot, True)
        fewest = max([m.min_length for m in spot.info.metadata if isinstance(m, MinLen)] + [0])
        if spot.form == "choices" or doc.unique:
            lists = st.lists(item, min_size=fewest, max_size=8, unique_by=as_identifier)
        else:
            lists = st.lists(item, min_size=fewest, max_size=max(3, fewest))
        if spot.required:
            return draw(lists)
        return draw(lists) if draw(st.booleans()) else ABSENT
    strategy = _field_strategy(spot, False)
    if spot.required:
        return draw(strategy)
    if spot.info.default is not None:  # a field with a real default: set it, or leave it out
        return draw(strategy) if draw(st.booleans()) else ABSENT
    return _optional(draw, strategy)


def _draw_entries(draw: st.DrawFn, spot: Spot, spec: dict[str, Any]) -> list[dict[str, Any]]:
    """A list of entries; the field that identifies them is unique among them."""
    assert spot.model is not None
    low, high = _entry_count(spot.info)
    id_key = spot.id_key
    if id_key is not None:
        id_spot = next(s for s in fields_of(spot.model, spot.path + ".*") if s.key == id_key)
        strategy = _field_strategy(id_spot, False)
        ids = draw(unique_by_identifier(strategy, low, high))
    else:
        ids = [""] * draw(st.integers(low, high))
    entries: list[dict[str, Any]] = []
    spec[spot.key] = entries  # later entries and fields see the earlier ones
    for value in ids:
        entry: dict[str, Any] = {id_key: value} if id_key is not None else {}
        entries.append(entry)
        for inner in fields_of(spot.model, spot.path + ".*"):
            if inner.key == id_key:
                continue
            drawn = _draw_field(draw, inner, spec, entry)
            if drawn is not ABSENT:
                entry[inner.key] = drawn
    del spec[spot.key]
    return entries


def _referenced(spec: Mapping[str, Any], ref: Ref) -> list[str]:
    entries: Any = spec
    for part in ref.section.split("."):
        entries = entries.get(part) if isinstance(entries, Mapping) else None
    return [
        str(e[ref.key])
        for e in entries or []
        if isinstance(e, Mapping) and ref.key in e and ref.admits(e)
    ]


RENDERED_KINDS = ("service", "pipeline", "assistant", "agent")
"""The kinds a template renders (assistants and agents from templates/genai)."""


@st.composite
def valid_specs(
    draw: st.DrawFn,
    kind: str | None = None,
    model: type[BaseModel] = ProjectSpec,
    kinds: tuple[str, ...] | None = None,
) -> dict[str, Any]:
    """A valid spec as plain data: any kind, any optional part, hostile text anywhere.

    ``kind`` fixes the kind; ``kinds`` draws it among these.
    """
    spec: dict[str, Any] = {}
    for spot in fields_of(model):
        if spot.key == "kind" and kind is not None:
            value: Any = kind
        elif spot.key == "kind" and kinds is not None:
            value = draw(st.sampled_from(kinds))
        else:
            value = _draw_field(draw, spot, spec, spec)
        if value is not ABSENT:
            spec[spot.key] = value
    return spec


def drawn_paths(data: Any, prefix: str = "") -> Iterator[str]:
    """The paths of the fields a drawn spec gives a value (``users.*.role``)."""
    if isinstance(data, dict):
        for key, value in data.items():
            path = f"{prefix}.{key}" if prefix else key
            if value not in (None, [], {}):
                yield path
            yield from drawn_paths(value, path)
    elif isinstance(data, list):
        for item in data:
            if isinstance(item, dict):
                yield from drawn_paths(item, f"{prefix}.*")


def model_paths(model: type[BaseModel] = ProjectSpec) -> list[str]:
    """Every field path of the model, as ``drawn_paths`` writes them."""
    return [spot.path for spot in walk(model)]


__all__ = [
    "HOSTILE",
    "RENDERED_KINDS",
    "drawn_paths",
    "line",
    "model_paths",
    "slugs",
    "text",
    "valid_specs",
]
