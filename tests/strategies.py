"""Hypothesis strategies that build valid specs across the whole space the model allows.

``valid_specs()`` draws plain data (a dict ready for ``yaml.safe_dump``) that must pass
``spec validate``: either kind, every optional section and field present, absent or null,
any subset of the regimes with a consistent risk tier and retention, 1 to many users,
metrics and criteria, names at their length limits, Unicode and hostile text in every
free-text field, contract field lists and drift features in any order, metrics without
baselines. The tests that use it assert validity first, so a strategy that drifts from the
model fails loudly instead of silently testing less.
"""

from __future__ import annotations

import keyword
import sys
from typing import Any

from hypothesis import strategies as st

from generator.catalog import REGIME_IDS
from generator.spec import slug_to_identifier
from generator.spec.retention import minimum_retention

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
    blacklist_characters="\u2028\u2029\ufffe\uffff",
)


def _has_text(value: str) -> bool:
    return bool(value.strip())


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


def line() -> st.SearchStrategy[str]:
    """One line of free text (at most 300 characters)."""
    return _text(max_size=300, multi_line=False)


def text() -> st.SearchStrategy[str]:
    """Free text of several lines (at most 4000 characters)."""
    return _text(max_size=4000, multi_line=True)


def _reserved(name: str) -> bool:
    package = slug_to_identifier(name)
    return keyword.iskeyword(package) or package in sys.stdlib_module_names


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


def roles() -> st.SearchStrategy[str]:
    """Role slugs (2-40 characters, hyphens or underscores)."""
    common = st.sampled_from(
        ["adjuster", "admin", "auditor", "clinician", "data_steward", "intake-clerk", "ops"]
    )
    drawn = st.from_regex(r"\A[a-z][a-z0-9]{1,15}([-_][a-z0-9]{1,8}){0,2}\Z")
    longest = st.just("r" + "_x1" * 13)
    return (common | drawn | longest).filter(lambda s: 2 <= len(s) <= 40)


def identifiers() -> st.SearchStrategy[str]:
    """Metric and criterion ids such as ``AC-1`` (1-40 characters)."""
    common = st.builds(
        "{}-{}".format, st.sampled_from(["AC", "M", "REQ", "KPI"]), st.integers(1, 99)
    )
    drawn = st.from_regex(r"\A[A-Za-z][A-Za-z0-9]{0,8}([-_.][A-Za-z0-9]{1,6}){0,3}\Z")
    longest = st.just("A" + "-9z" * 13)
    return (common | drawn | longest).filter(lambda s: 1 <= len(s) <= 40)


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


def input_names() -> st.SearchStrategy[str]:
    """Input names: identifiers (not keywords, not pydantic's ``model_`` prefix)."""
    return feature_names().filter(
        lambda n: n[:1].isalpha() and not keyword.iskeyword(n) and not n.startswith("model_")
    )


@st.composite
def _input(draw: st.DrawFn, name: str, sources: list[str]) -> dict[str, Any]:
    """One typed input: bounds on numbers, values on categories, any flags and source."""
    kind = draw(st.sampled_from(["number", "integer", "category", "boolean", "text"]))
    item: dict[str, Any] = {"name": name, "type": kind}
    if kind in ("number", "integer"):
        whole = st.integers(-(10**6), 10**6)
        bound = whole if kind == "integer" else (whole | st.floats(-1e6, 1e6, allow_nan=False))
        low, high = sorted([draw(bound), draw(bound)])
        if draw(st.booleans()):
            item["min"] = low
        if draw(st.booleans()):
            item["max"] = high
    if kind == "category":
        value = (
            st.sampled_from(["web", "phone", "broker", "yes", "null", "1.5", "{{ x }}"]) | line()
        )
        item["values"] = draw(
            st.lists(
                value.map(lambda v: v[:100].strip() or "v"),
                min_size=1,
                max_size=6,
                unique_by=slug_to_identifier,
            )
        )
    for flag in ("required", "personal"):
        if draw(st.booleans()):
            item[flag] = draw(st.booleans())
    sourced: bool = draw(st.booleans())
    if sources and sourced:
        item["source"] = draw(st.sampled_from(sources))
    return item


def unique_by_identifier(
    strategy: st.SearchStrategy[str], min_size: int, max_size: int
) -> st.SearchStrategy[list[str]]:
    """Lists whose items stay distinct once made identifiers (as the model requires)."""
    return st.lists(strategy, min_size=min_size, max_size=max_size, unique_by=slug_to_identifier)


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


def _maybe(
    draw: st.DrawFn, data: dict[str, Any], key: str, strategy: st.SearchStrategy[Any]
) -> None:
    """Set ``key`` to a drawn value, to null, or leave it out."""
    choice = draw(st.sampled_from(["set", "set", "absent", "null"]))
    if choice == "set":
        data[key] = draw(strategy)
    elif choice == "null":
        data[key] = None


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


@st.composite
def valid_specs(draw: st.DrawFn, kind: str | None = None) -> dict[str, Any]:
    """A valid spec as plain data: any kind, any optional part, hostile text anywhere."""
    spec: dict[str, Any] = {
        "schema_version": 1,
        "name": draw(slugs()),
        "title": draw(line()),
        "summary": draw(text()),
        "kind": kind or draw(st.sampled_from(["service", "pipeline"])),
    }
    goal: dict[str, Any] = {"problem": draw(text()), "outcome": draw(text()), "value": draw(text())}
    if draw(st.booleans()):
        goal["non_goals"] = draw(st.lists(text(), max_size=3))
    spec["business_goal"] = goal
    handles = st.sampled_from(["@acme/claims-platform", "oncall@example.com", "@jdoe"])
    spec["owners"] = {
        "business": draw(line()),
        "technical": draw(handles | line()),
        "operations": draw(handles | line()),
    }
    users = []
    for role in draw(unique_by_identifier(roles(), 1, 6)):
        user: dict[str, Any] = {"role": role, "description": draw(text())}
        if draw(st.booleans()):
            user["needs"] = draw(st.lists(text(), max_size=3))
        if draw(st.booleans()):
            user["can"] = draw(st.lists(st.sampled_from(PERMISSIONS), unique=True))
        users.append(user)
    spec["users"] = users

    metric_ids = draw(unique_by_identifier(identifiers(), 1, 6))
    metrics = []
    for metric_id in metric_ids:
        metric: dict[str, Any] = {
            "id": metric_id,
            "name": draw(_METRIC_NAMES | line()),
            "target": draw(numbers),
            "unit": draw(st.sampled_from(["ratio", "hours", "%", "USD"]) | line()),
            "direction": draw(st.sampled_from(["increase", "decrease"])),
            "measurement": draw(text()),
        }
        _maybe(draw, metric, "baseline", numbers)
        metrics.append(metric)
    spec["success_metrics"] = metrics

    regimes = draw(st.lists(st.sampled_from(REGIME_IDS), unique=True, max_size=len(REGIME_IDS)))
    regulatory: dict[str, Any] = {"regimes": regimes}
    if "eu-ai-act" in regimes:
        regulatory["eu_ai_act_risk"] = draw(st.sampled_from(["minimal", "limited", "high"]))
    classes = ["public", "internal", "confidential", "personal", "health", "payment"]
    if draw(st.booleans()):
        regulatory["data_classes"] = draw(st.lists(st.sampled_from(classes), unique=True))
    floor = minimum_retention(regimes)
    low = floor.days if floor else 1
    _maybe(draw, regulatory, "retention_days", st.integers(low, 36500) | st.just(low))
    spec["regulatory"] = regulatory

    criteria = []
    for criterion_id in draw(unique_by_identifier(identifiers(), 1, 8)):
        criterion: dict[str, Any] = {
            "id": criterion_id,
            "given": draw(text()),
            "when": draw(text()),
            "then": draw(text()),
            "layer": draw(st.sampled_from(["unit", "integration", "e2e"])),
        }
        _maybe(draw, criterion, "metric", st.sampled_from(metric_ids))
        criteria.append(criterion)
    spec["acceptance_criteria"] = criteria

    if draw(st.booleans()):
        boundary: dict[str, Any] = {}
        _maybe(draw, boundary, "review_below_confidence", st.floats(0, 1) | st.sampled_from([0, 1]))
        if draw(st.booleans()):
            boundary["requires_approval"] = draw(st.lists(text(), max_size=3))
        _maybe(draw, boundary, "escalation", line())
        spec["operating_boundary"] = boundary
    elif draw(st.booleans()):
        spec["operating_boundary"] = None

    dependencies = draw(st.sampled_from(["absent", "null", "empty", "some"]))
    if dependencies == "null":
        spec["data_dependencies"] = None
    elif dependencies == "empty":
        spec["data_dependencies"] = []
    elif dependencies == "some":
        spec["data_dependencies"] = [
            {"name": name, "owner": draw(line()), "contract": draw(_contract())}
            for name in draw(unique_by_identifier(line(), 1, 4))
        ]

    inputs = draw(st.sampled_from(["absent", "null", "some"]))
    if inputs == "null":
        spec["inputs"] = None
    elif inputs == "some":
        sources = [d["name"] for d in spec.get("data_dependencies") or []]
        spec["inputs"] = [
            draw(_input(name, sources)) for name in draw(unique_by_identifier(input_names(), 1, 8))
        ]
    if draw(st.booleans()):
        monitoring: dict[str, Any] = {}
        _maybe(draw, monitoring, "latency_p95_ms", positive)
        _maybe(draw, monitoring, "availability_pct", st.floats(0.001, 100) | st.just(100))
        if draw(st.booleans()):
            names = [i["name"] for i in spec.get("inputs") or []]
            pool = st.sampled_from(names) if names else feature_names()  # with inputs: inputs only
            monitoring["drift_features"] = draw(unique_by_identifier(pool, 0, 8))
        _maybe(draw, monitoring, "drift_threshold", st.floats(1e-6, 5) | st.sampled_from([0.2, 5]))
        spec["monitoring"] = monitoring
    elif draw(st.booleans()):
        spec["monitoring"] = None

    if draw(st.booleans()):
        spec["budget"] = {"monthly_usd": draw(positive)}
    return spec


__all__ = ["HOSTILE", "line", "slugs", "text", "valid_specs"]
