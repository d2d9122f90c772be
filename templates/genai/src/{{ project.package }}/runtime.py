"""The runtime's parts, built once from the settings: the composition root.

:func:`open_runtime` opens the database (SQLite migrated on the spot, PostgreSQL checked),
the audit chain in it, the metrics, the budgets, the model gateway, the guardrails and the
retrieval index, and refuses to start in production on what is for development only (the
fake model, sandbox tools, the default salt): :class:`StartupRefused`, one line, no
traceback.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from .audit import AuditStore, Database
from .budgets import Budgets
from .config import GenAI, genai, is_agent
from .database import StartupRefused, open_database
from .embeddings import Embeddings, embedding_refusal, from_settings
from .gateway import Gateway
from .genai_metrics import GenAIMetrics
from .guardrails import Guard
from .killswitch import KillSwitch
from .prompts import Prompt, PromptError, load
from .retrieval import Index, Retriever
from .settings import ENV_PREFIX, Settings, refusal

DEFAULT_RUN_DEADLINE = timedelta(hours=2)
log = logging.getLogger(__name__)
AFTER_APPROVAL = timedelta(hours=1)
"""Unset, a run may work this long after its longest approval could expire."""


@dataclass
class Runtime:
    """Everything a request needs, shared by the assistant, the agent and the evals."""

    settings: Settings
    config: GenAI
    db: Database
    audit: AuditStore
    metrics: GenAIMetrics
    budgets: Budgets
    gateway: Gateway
    guard: Guard
    index: Index
    kill_switch: KillSwitch
    run_deadline: timedelta
    """A run's whole life, waiting for approvals included (:func:`run_deadline`)."""

    def prompt(self, prompt_id: str | None = None) -> Prompt:
        """A locked prompt (the spec's first by default).

        Raises:
            PromptError: the prompt changed without a new lock.
        """
        wanted = prompt_id or (self.config.prompts[0] if self.config.prompts else "system")
        return load(self.settings.prompts_dir, wanted)

    def retriever(self) -> Retriever | None:
        """Top-k retrieval with the spec's abstention threshold (None without retrieval)."""
        spec = self.config.retrieval
        if spec is None:
            return None
        return Retriever(self.index, top_k=spec.top_k, abstain_below=spec.abstain_below)

    def sweep(self) -> int:
        """Settle reservations a crashed process left open (at their worst case)."""
        return self.budgets.sweep(timedelta(seconds=self.settings.reservation_ttl_seconds))

    def close(self) -> None:
        """Close the database."""
        self.db.close()


def run_deadline(settings: Settings, config: GenAI) -> timedelta:
    """A run's whole life: the setting, or 2 hours stretched to the longest approval expiry + 1 hour.

    Raises:
        StartupRefused: the setting is shorter than a tool's approval expiry, so an approved
            call could never run (its run would be stopped first).
    """
    approvals = [
        (timedelta(minutes=tool.approval.expires_minutes), tool.name)
        for tool in config.tools
        if tool.approval is not None
    ]
    longest, tool = max(approvals, default=(timedelta(0), ""))
    if settings.run_deadline_seconds is None:
        return max(DEFAULT_RUN_DEADLINE, longest + AFTER_APPROVAL)
    chosen = timedelta(seconds=settings.run_deadline_seconds)
    if longest > chosen:
        raise StartupRefused(
            f"error: RUN_DEADLINE_SECONDS ({settings.run_deadline_seconds:g}) is shorter "
            f"than the approval expiry of tool {tool!r}: approved calls would never run"
        )
    return chosen


def open_runtime(
    settings: Settings,
    *,
    metrics: GenAIMetrics | None = None,
    gateway: Gateway | None = None,
    embeddings: Embeddings | None = None,
) -> Runtime:
    """Build the runtime, refusing production on development-only parts.

    ``embeddings`` replaces the embedder ``<PREFIX>EMBEDDING_MODEL`` names (tests pass one).

    Raises:
        StartupRefused: production with the fake model or fake embedder (where pgvector
            would use it), sandbox tools, a script or the default salt; an unpriced model
            with budgets; an unknown embedding model; an unreadable database.
    """
    config = genai()
    metrics = metrics or GenAIMetrics()
    db = open_database(settings)
    try:
        audit = AuditStore(
            db,
            salt=settings.privacy_salt.get_secret_value(),
            key=settings.audit_key.get_secret_value(),
        )
        budgets = Budgets(
            db,
            audit,
            config.limits,
            config.monthly_budget_usd,
            salt=settings.privacy_salt.get_secret_value(),
        )
        gateway = gateway or Gateway(
            config, settings, metrics=metrics, budgets=budgets, agent=is_agent()
        )
        index = Index(db, embeddings or _embeddings(settings))
        vectors = index.vector_schema is not None
        reason = embedding_refusal(settings, index.embeddings, vectors=vectors)
        reason = reason or refusal(settings, fake_model=gateway.fake)
        if reason is None and settings.production and gateway.problems():
            reason = f"error: {gateway.problems()[0]}"
        if reason is not None:
            raise StartupRefused(reason)
        deadline = run_deadline(settings, config)
        if settings.production:
            for prompt_id in config.prompts:
                try:
                    load(settings.prompts_dir, prompt_id)
                except PromptError as err:
                    raise StartupRefused(f"error: {err}") from None
    except BaseException:
        db.close()
        raise
    mode = index.mode()
    if db.dialect == "postgresql" and not index.vectors:
        log.warning("retrieval: %s", mode)
    else:
        log.info("retrieval: %s", mode)
    switch = KillSwitch(db, audit)
    metrics.kill_switch.set(int(switch.engaged()))
    return Runtime(
        settings=settings,
        config=config,
        db=db,
        audit=audit,
        metrics=metrics,
        budgets=budgets,
        gateway=gateway,
        guard=Guard(config.guardrails, metrics),
        index=index,
        kill_switch=switch,
        run_deadline=deadline,
    )


def _embeddings(settings: Settings) -> Embeddings | None:
    """The configured embedder, or one line saying why it cannot be used.

    Raises:
        StartupRefused: ``<PREFIX>EMBEDDING_MODEL`` is not ``provider:model`` pydantic-ai knows.
    """
    try:
        return from_settings(settings)
    except Exception as err:  # pydantic-ai: an unknown provider or model, missing credentials
        raise StartupRefused(
            f"error: {ENV_PREFIX}EMBEDDING_MODEL {settings.embedding_model!r}: {str(err).splitlines()[0]}"
        ) from None
