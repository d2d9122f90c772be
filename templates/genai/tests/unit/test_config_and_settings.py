"""The genai section as typed objects, prices, settings and the production refusals."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from ..package import (
    GenAI,
    ModelRef,
    Price,
    Pricer,
    Settings,
    StartupRefused,
    UnpricedModelError,
    genai,
    parse,
    refusal,
    run_deadline,
)
from tests.support import make_settings


def test_spec_section_is_read() -> None:
    """The spec's chain, limits and evals are available as typed values."""
    section = genai()
    assert section.models
    assert section.limits.max_tool_calls > 0
    assert all(e.repeats >= 1 for e in section.evals)


def test_defaults_fill_an_empty_section() -> None:
    """A minimal section gets defaults (refuse on violation, no tools, no retrieval)."""
    section = parse({"models": [{"provider": "openai", "model": "m"}]})
    assert section.guardrails.on_violation == "refuse"
    assert section.tools == () and section.retrieval is None
    assert section.models[0].id == "model-0"


def test_spec_price_is_used() -> None:
    """price_per_mtok prices a call: 1M input at 2 USD plus 0.5M output at 8 USD is 6 USD."""
    ref = ModelRef("m", "openai-compatible", "x", price=Price(2.0, 8.0))
    assert Pricer(ref).cost(1_000_000, 500_000) == pytest.approx(6.0)


def test_bundled_price_table_prices_known_models_offline() -> None:
    """Without a spec price, genai-prices' bundled table prices a known model."""
    assert Pricer(ModelRef("m", "openai", "gpt-4.1")).cost(1_000_000, 0) == pytest.approx(2.0)


def test_unknown_model_is_unpriced() -> None:
    """A model neither the spec nor the table prices says how to fix it."""
    with pytest.raises(UnpricedModelError, match="price_per_mtok"):
        Pricer(ModelRef("m", "openai-compatible", "local-llm")).cost(1, 1)


def test_model_connections_come_from_nested_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    """<PREFIX>MODELS__<ID>__API_KEY configures a model of the chain."""
    from ..package import ENV_PREFIX

    model_id = genai().models[0].id
    monkeypatch.setenv(f"{ENV_PREFIX}MODELS__{model_id.upper()}__API_KEY", "secret")
    settings = Settings(_env_file=None)
    connection = settings.connection(model_id)
    assert connection is not None and connection.api_key is not None
    assert "secret" not in repr(settings)


@pytest.mark.parametrize(
    ("changes", "fake", "fragment"),
    [
        ({}, True, "fake model"),
        ({"tools_mode": "sandbox"}, False, "TOOLS_MODE=sandbox"),
        ({"fake_model_script": Path("s.json")}, False, "FAKE_MODEL_SCRIPT"),
        ({"privacy_salt": "development-only-salt"}, False, "PRIVACY_SALT"),
        ({"audit_key": "development-only-audit-key"}, False, "AUDIT_KEY"),
        ({"database_url": None}, False, "SQLite"),
        ({"database_url": "sqlite:///var/genai.sqlite3"}, False, "SQLite"),
    ],
)
def test_production_refuses_development_parts(
    tmp_path: Path, changes: dict[str, object], fake: bool, fragment: str
) -> None:
    """Production refuses the fake model, sandbox tools, a script, default secrets, SQLite."""
    values: dict[str, Any] = {
        "environment": "production",
        "privacy_salt": "real",
        "audit_key": "a-real-audit-key",
        "tools_mode": "live",
        "database_url": "postgresql://app@db.example/genai",
    }
    values.update(changes)
    reason = refusal(make_settings(tmp_path, **values), fake_model=fake)
    assert reason is not None and fragment in reason and "\n" not in reason


def test_development_allows_them(tmp_path: Path) -> None:
    """Outside production the fake model and sandbox tools are allowed."""
    assert refusal(make_settings(tmp_path), fake_model=True) is None


def _with_approval(minutes: int) -> GenAI:
    """A section with one write tool whose approval expires after ``minutes``."""
    return parse(
        {
            "models": [{"provider": "openai", "model": "m"}],
            "tools": [
                {
                    "name": "restart",
                    "description": "Restart it.",
                    "effect": "write",
                    "blast_radius": "resource",
                    "approval": {"role": "lead", "expires_minutes": minutes},
                }
            ],
        }
    )


def test_the_default_run_deadline_outlives_every_approval(tmp_path: Path) -> None:
    """Unset, a run lives 2 hours, or its longest approval's expiry plus an hour to finish."""
    settings = make_settings(tmp_path)
    bare = parse({"models": [{"provider": "openai", "model": "m"}]})
    assert run_deadline(settings, bare) == timedelta(hours=2)
    assert run_deadline(settings, _with_approval(7 * 24 * 60)) == timedelta(days=7, hours=1)
    spec = genai()
    longest = max((t.approval.expires_minutes for t in spec.tools if t.approval), default=0)
    assert run_deadline(settings, spec) > timedelta(minutes=longest)


def test_a_run_deadline_shorter_than_an_approval_is_refused(tmp_path: Path) -> None:
    """An approved call would never run: refused in one line naming the setting and the tool."""
    settings = make_settings(tmp_path, run_deadline_seconds=3600)
    assert run_deadline(settings, _with_approval(60)) == timedelta(hours=1)
    with pytest.raises(StartupRefused, match=r"RUN_DEADLINE_SECONDS.*'restart'") as refused:
        run_deadline(settings, _with_approval(61))
    assert "\n" not in str(refused.value)
