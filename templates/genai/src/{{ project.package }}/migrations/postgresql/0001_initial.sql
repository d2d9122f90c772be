-- The GenAI runtime's schema on PostgreSQL: budgets, passages with a full-text index, runs,
-- tool calls, approvals, hand-offs, the kill switch and the audit chain, in one database so
-- a state change and its audit record commit together. Times are ISO 8601 UTC text.

-- Budgets: one row per scope and key (request, user-day, month) with what is committed
-- (reserved and not yet settled, plus settled spend); reservations say what each call took.
CREATE TABLE budget_totals (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    committed_usd DOUBLE PRECISION NOT NULL DEFAULT 0,
    PRIMARY KEY (scope, key)
);
CREATE TABLE budget_reservations (
    reservation_id TEXT PRIMARY KEY,
    request_id TEXT NOT NULL,
    user_key TEXT NOT NULL,
    day TEXT NOT NULL,
    month TEXT NOT NULL,
    model_id TEXT NOT NULL,
    reserved_usd DOUBLE PRECISION NOT NULL,
    actual_usd DOUBLE PRECISION,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    settled_at TEXT
);
CREATE INDEX budget_reservations_open ON budget_reservations (status, created_at);

-- Retrieval: passages with stable ids, and each term's document frequency (for scores).
CREATE TABLE passages (
    passage_id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    position INTEGER NOT NULL,
    ingested_at TEXT NOT NULL
);
CREATE TABLE retrieval_terms (
    term TEXT PRIMARY KEY,
    df INTEGER NOT NULL
);

-- Agent runs, their tool calls and the approvals write tools wait for.
CREATE TABLE runs (
    run_id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    goal TEXT NOT NULL,
    inputs TEXT NOT NULL,
    requester TEXT NOT NULL,
    requester_role TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deadline_at TEXT NOT NULL,
    tool_calls INTEGER NOT NULL DEFAULT 0,
    messages TEXT,
    report TEXT,
    error TEXT,
    lease_owner TEXT,
    lease_until TEXT
);
CREATE INDEX runs_status ON runs (status);
CREATE TABLE tool_calls (
    record_id TEXT PRIMARY KEY,
    run_id TEXT NOT NULL,
    call_id TEXT NOT NULL,
    tool TEXT NOT NULL,
    effect TEXT NOT NULL,
    args TEXT NOT NULL,
    args_sha256 TEXT NOT NULL,
    status TEXT NOT NULL,
    approval_id TEXT,
    result_sha256 TEXT,
    result TEXT,
    error TEXT,
    created_at TEXT NOT NULL,
    finished_at TEXT,
    UNIQUE (run_id, call_id)
);
CREATE TABLE approvals (
    approval_id TEXT PRIMARY KEY,
    run_id TEXT NOT NULL,
    call_id TEXT NOT NULL,
    tool TEXT NOT NULL,
    args TEXT NOT NULL,
    args_sha256 TEXT NOT NULL,
    requester TEXT NOT NULL,
    approver_role TEXT NOT NULL,
    four_eyes INTEGER NOT NULL,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    decided_by TEXT,
    decided_role TEXT,
    decided_at TEXT,
    reason TEXT,
    UNIQUE (run_id, call_id)
);
CREATE INDEX approvals_status ON approvals (status);

-- Questions handed to a person (abstentions and escalated guardrail verdicts).
CREATE TABLE handoffs (
    handoff_id TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    question TEXT NOT NULL,
    reason TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    -- who asked (four eyes compares it), and the person's reply
    requester TEXT NOT NULL DEFAULT '',
    reply TEXT,
    decided_by TEXT,
    decided_role TEXT,
    decided_at TEXT,
    decision_reason TEXT
);
CREATE INDEX handoffs_status ON handoffs (status, created_at);

CREATE TABLE kill_switch (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    engaged INTEGER NOT NULL,
    changed_at TEXT,
    changed_by TEXT,
    reason TEXT
);

-- Full-text search over passages (pgvector is not used: see DEPENDENCIES.md).
ALTER TABLE passages ADD COLUMN tsv tsvector GENERATED ALWAYS AS (to_tsvector('english', title || ' ' || body)) STORED;
CREATE INDEX passages_tsv ON passages USING GIN (tsv);

-- seq comes from a sequence, taken while the appender holds the chain's advisory lock:
-- the order of seq is the order of the chain (a rolled-back append leaves a gap, which
-- verify does not mind: it follows the hashes).
CREATE TABLE audit_log (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id TEXT NOT NULL UNIQUE,
    ts TEXT NOT NULL,
    actor TEXT NOT NULL,
    role TEXT NOT NULL,
    action TEXT NOT NULL,
    resource TEXT NOT NULL,
    outcome TEXT NOT NULL,
    request_id TEXT NOT NULL,
    model_version TEXT NOT NULL,
    subject TEXT,
    before TEXT,
    after TEXT,
    reason TEXT,
    details TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_log_ts ON audit_log (ts);
CREATE TABLE audit_anchor (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    prev_hash TEXT NOT NULL,
    seq BIGINT NOT NULL DEFAULT 0
);
-- Append-only: a delete passes only inside the purge command's transaction, which sets
-- audit.purge for itself (set_config(..., true)); updates and TRUNCATE never pass.
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF current_setting('audit.purge', true) = 'on' THEN
            RETURN OLD;
        END IF;
        RAISE EXCEPTION 'audit records are append-only; use the purge command';
    END IF;
    RAISE EXCEPTION 'audit records are append-only';
END
$$;
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
