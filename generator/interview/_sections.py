"""The interview's sections, in the order of the spec: what is asked, and in which order.

Each section asks only what is missing (or, when the person chose to change it, every
field with the current answer as default), using the helpers of ``Answers``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from generator.catalog import load_catalog, minimum_retention
from generator.interview import _checks, prompts
from generator.interview._answers import Answers, Loc
from generator.interview.prompts import Option, say
from generator.spec import (
    AcceptanceCriterion,
    Budget,
    BusinessGoal,
    DataDependency,
    Monitoring,
    OperatingBoundary,
    Owners,
    ProjectSpec,
    Regulatory,
    SuccessMetric,
    User,
    shape,
)


def suggest_name(title: str) -> str | None:
    """Suggest a project slug from a title (``Claims triage!`` → ``claims-triage``)."""
    ascii_text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    slug = re.sub(r"^[0-9-]+", "", slug)[:50].rstrip("-")
    return slug if _checks.check_value(ProjectSpec, "name", slug, ("name",)) is None else None


class Sections(Answers):
    """Asks the spec section by section."""

    def _run(self) -> None:
        """Ask every section in turn; finished ones are skipped."""
        self._about()
        self._group("business_goal", BusinessGoal, ("problem", "outcome", "value"), "non_goals")
        self._group("owners", Owners, ("business", "technical", "operations"), None)
        self._items("users", lambda u: f"User role {u.get('role', '?')}", self._user)
        self._items(
            "success_metrics", lambda m: f"Metric {m.get('id')} {m.get('name', '')}", self._metric
        )
        self._regulatory()
        self._items(
            "acceptance_criteria",
            lambda c: f"Criterion {c.get('id')}: then {c.get('then', '?')}",
            self._criterion,
        )
        self._optional("operating_boundary", self._operating_boundary)
        self._optional("data_dependencies", self._dependencies)
        self._optional("monitoring", self._monitoring)
        self._optional("budget", self._budget)

    def _about(self) -> None:
        revisit = "about" in self.change
        self._begin("about")
        data = self.data
        title = self._field(data, ProjectSpec, ("title",), "title", revisit=revisit)
        self._field(data, ProjectSpec, ("kind",), "kind", revisit=revisit)
        self._field(
            data, ProjectSpec, ("name",), "name", revisit=revisit, default=suggest_name(title)
        )
        self._field(data, ProjectSpec, ("summary",), "summary", revisit=revisit)
        self.change.discard("about")

    def _group(
        self, key: str, model: type[BaseModel], fields: tuple[str, ...], text_list: str | None
    ) -> None:
        revisit = key in self.change
        if key in self.done and not revisit:
            return
        self._begin(key)
        container = self.data.setdefault(key, {})
        for name in fields:
            self._field(container, model, (key, name), f"{key}.{name}", revisit=revisit)
        if text_list is not None:
            self._text_list(
                container, model, (key, text_list), f"{key}.{text_list}.*", revisit=revisit
            )
        self._finish_part(key)

    def _user(self, item: dict[str, Any], index: int, revisit: bool) -> None:
        loc: Loc = ("users", index)
        others = [u["role"] for i, u in enumerate(self.data["users"]) if i != index and "role" in u]
        role = self._field(
            item,
            User,
            (*loc, "role"),
            "users.*.role",
            revisit=revisit,
            extra=lambda v: _checks.check_unique([*others, v], "users", "role"),
        )
        self._field(
            item,
            User,
            (*loc, "description"),
            "users.*.description",
            revisit=revisit,
            message=f"Who are the {role} users and what do they do?",
        )
        self._text_list(
            item,
            User,
            (*loc, "needs"),
            "users.*.needs.*",
            revisit=revisit,
            message=f"What do {role} users need from the system?",
        )

    def _metric(self, item: dict[str, Any], index: int, revisit: bool) -> None:
        loc: Loc = ("success_metrics", index)
        metrics = self.data["success_metrics"]
        others = [m["id"] for i, m in enumerate(metrics) if i != index and "id" in m]
        if "id" not in item or _checks.check_unique([*others, item["id"]], "success_metrics", "id"):
            item["id"] = _next_id("M", others)
        name = self._field(
            item, SuccessMetric, (*loc, "name"), "success_metrics.*.name", revisit=revisit
        )
        unit = self._field(
            item, SuccessMetric, (*loc, "unit"), "success_metrics.*.unit", revisit=revisit
        )
        baseline = self._field(
            item,
            SuccessMetric,
            (*loc, "baseline"),
            "success_metrics.*.baseline",
            revisit=revisit,
            message=f"What is “{name}” today, in {unit}?",
        )
        target = self._field(
            item,
            SuccessMetric,
            (*loc, "target"),
            "success_metrics.*.target",
            revisit=revisit,
            message=f"Which value of “{name}” counts as success, in {unit}?",
        )
        lower = (
            isinstance(baseline, int | float)
            and isinstance(target, int | float)
            and target < baseline
        )
        self._field(
            item,
            SuccessMetric,
            (*loc, "direction"),
            "success_metrics.*.direction",
            revisit=revisit,
            default="decrease" if lower else "increase",
        )
        self._field(
            item,
            SuccessMetric,
            (*loc, "measurement"),
            "success_metrics.*.measurement",
            revisit=revisit,
        )

    def _regulatory(self) -> None:
        key = "regulatory"
        revisit = key in self.change
        if key in self.done and not revisit:
            return
        self._begin(key)
        reg: dict[str, Any] = self.data.setdefault(key, {})
        catalog = load_catalog()
        options = [
            Option(
                rid,
                f"{regime.short:<16} {regime.jurisdiction}, "
                f"{'binding' if regime.binding else 'voluntary'}",
                f"{regime.title}. {regime.summary}",
            )
            for rid, regime in catalog.regimes.items()
        ]
        while True:
            regimes = self._field(
                reg,
                Regulatory,
                (key, "regimes"),
                "regulatory.regimes",
                revisit=revisit,
                default=[],
                options=options,
            )
            if regimes or "regulatory.no_regimes" in self.done:
                break
            if self._ask(prompts.QUESTIONS["regulatory.no_regimes"], default=False):
                self.done.add("regulatory.no_regimes")
                break
            del reg["regimes"]
        section = (key,)
        if "eu-ai-act" in regimes:
            self._field(
                reg,
                Regulatory,
                (key, "eu_ai_act_risk"),
                "regulatory.eu_ai_act_risk",
                revisit=revisit,
                extra=lambda v: _checks.check_section(
                    Regulatory, {"regimes": regimes, "eu_ai_act_risk": v}, section
                ),
            )
        else:
            reg.pop("eu_ai_act_risk", None)
        self._field(
            reg,
            Regulatory,
            (key, "data_classes"),
            "regulatory.data_classes",
            revisit=revisit,
            default=[],
        )
        floor = minimum_retention(regimes)
        instruction = (
            f"at least {floor.days} days for {floor.regime} ({floor.citation}); "
            f"Enter keeps {floor.days}"
            if floor
            else None
        )
        self._field(
            reg,
            Regulatory,
            (key, "retention_days"),
            "regulatory.retention_days",
            revisit=revisit,
            default=floor.days if floor else None,
            instruction=instruction,
            extra=lambda v: _checks.check_section(
                Regulatory, {**reg, "retention_days": v}, section
            ),
        )
        self._finish_part(key)

    def _criterion(self, item: dict[str, Any], index: int, revisit: bool) -> None:
        loc: Loc = ("acceptance_criteria", index)
        others = [
            c["id"]
            for i, c in enumerate(self.data["acceptance_criteria"])
            if i != index and "id" in c
        ]
        if "id" not in item or _checks.check_unique(
            [*others, item["id"]], "acceptance_criteria", "id"
        ):
            item["id"] = _next_id("AC", others)
        for name in ("given", "when", "then", "layer"):
            self._field(
                item,
                AcceptanceCriterion,
                (*loc, name),
                f"acceptance_criteria.*.{name}",
                revisit=revisit,
            )
        metrics = {m["id"]: m.get("name", "") for m in self.data.get("success_metrics", [])}
        if "metric" in item and item["metric"] not in metrics:
            say(
                f"  ✗ {item['id']} named the metric {item.pop('metric')}, which is not defined",
                "fg:ansired",
            )
        if "metric" in item and not revisit:
            return
        options = [Option("", "none       it is not tied to a metric")]
        options += [Option(mid, f"{mid:<10} {name}") for mid, name in metrics.items()]
        choice = self._ask(
            prompts.QUESTIONS["acceptance_criteria.*.metric"],
            default=item.get("metric", ""),
            options=options,
        )
        if choice:
            item["metric"] = choice
        else:
            item.pop("metric", None)
        self._save()

    def _optional(self, key: str, body: Callable[[bool], None]) -> None:
        """Offer an optional section; skipping it is remembered as an answer too."""
        revisit = key in self.change
        if key in self.done and not revisit:
            return
        self._begin(key)
        if key not in self.data or revisit:
            wanted = self._ask(prompts.OPTIONAL_SECTIONS[key], default=key in self.data)
            if not wanted:
                self.data.pop(key, None)
                self._finish_part(key)
                return
        self.data.setdefault(key, [] if key == "data_dependencies" else {})
        body(revisit)
        if not self.data[key]:
            del self.data[key]
        self._finish_part(key)

    def _operating_boundary(self, revisit: bool) -> None:
        box, m = self.data["operating_boundary"], OperatingBoundary
        self._field(
            box,
            m,
            ("operating_boundary", "review_below_confidence"),
            "operating_boundary.review_below_confidence",
            revisit=revisit,
        )
        self._text_list(
            box,
            m,
            ("operating_boundary", "requires_approval"),
            "operating_boundary.requires_approval.*",
            revisit=revisit,
        )
        self._field(
            box,
            m,
            ("operating_boundary", "escalation"),
            "operating_boundary.escalation",
            revisit=revisit,
            default=self.data.get("owners", {}).get("operations"),
        )

    def _dependencies(self, _revisit: bool) -> None:
        self._items(
            "data_dependencies", lambda d: f"Dependency {d.get('name', '?')}", self._dependency
        )

    def _dependency(self, item: dict[str, Any], index: int, revisit: bool) -> None:
        loc: Loc = ("data_dependencies", index)
        others = [
            d["name"]
            for i, d in enumerate(self.data["data_dependencies"])
            if i != index and "name" in d
        ]
        self._field(
            item,
            DataDependency,
            (*loc, "name"),
            "data_dependencies.*.name",
            revisit=revisit,
            extra=lambda v: _checks.check_unique([*others, v], "data_dependencies", "name"),
        )
        self._field(
            item, DataDependency, (*loc, "owner"), "data_dependencies.*.owner", revisit=revisit
        )
        self._field(
            item,
            DataDependency,
            (*loc, "contract"),
            "data_dependencies.*.contract",
            revisit=revisit,
        )

    def _monitoring(self, revisit: bool) -> None:
        box, m = self.data["monitoring"], Monitoring
        if self.data.get("kind") == "service":
            self._field(
                box,
                m,
                ("monitoring", "latency_p95_ms"),
                "monitoring.latency_p95_ms",
                revisit=revisit,
            )
            self._field(
                box,
                m,
                ("monitoring", "availability_pct"),
                "monitoring.availability_pct",
                revisit=revisit,
            )
        self._text_list(
            box, m, ("monitoring", "drift_features"), "monitoring.drift_features.*", revisit=revisit
        )
        if box.get("drift_features"):
            self._field(
                box,
                m,
                ("monitoring", "drift_threshold"),
                "monitoring.drift_threshold",
                revisit=revisit,
                default=shape.DEFAULTS["monitoring.drift_threshold"],
            )

    def _budget(self, revisit: bool) -> None:
        self._field(
            self.data["budget"],
            Budget,
            ("budget", "monthly_usd"),
            "budget.monthly_usd",
            revisit=revisit,
        )


def _next_id(prefix: str, taken: list[str]) -> str:
    """Return the first free id ``PREFIX-n``."""
    number = 1
    while f"{prefix}-{number}" in taken:
        number += 1
    return f"{prefix}-{number}"
