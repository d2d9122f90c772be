-- The service's schema on PostgreSQL: decisions, idempotency keys, the kill switch,
-- signatures and the audit chain, in one database so a change and its audit record
-- commit together. Times are ISO 8601 UTC text, as on SQLite: the audit hashes cover them.

CREATE TABLE decisions (
    decision_id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    subject TEXT NOT NULL,
    inputs_sha256 TEXT NOT NULL,
    label TEXT NOT NULL,
    confidence DOUBLE PRECISION NOT NULL,
    model_version TEXT NOT NULL,
    status TEXT NOT NULL,
    final_label TEXT,
    reviewed_by TEXT,
    reviewed_at TEXT,
    reason TEXT,
    requested_by TEXT NOT NULL DEFAULT '',
    contract_version TEXT NOT NULL DEFAULT ''
);
CREATE INDEX decisions_status ON decisions (status);

CREATE TABLE idempotency (
    actor TEXT NOT NULL,
    key TEXT NOT NULL,
    request_sha256 TEXT NOT NULL,
    decision_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (actor, key)
);

CREATE TABLE kill_switch (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    engaged INTEGER NOT NULL,
    changed_at TEXT,
    changed_by TEXT,
    reason TEXT
);

CREATE TABLE signatures (
    signature_id TEXT PRIMARY KEY,
    decision_id TEXT NOT NULL,
    signer TEXT NOT NULL,
    role TEXT NOT NULL,
    meaning TEXT NOT NULL,
    signed_at TEXT NOT NULL,
    record_sha256 TEXT NOT NULL
);
CREATE FUNCTION signatures_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'signature records are append-only';
END
$$;
CREATE TRIGGER signatures_no_change BEFORE UPDATE OR DELETE ON signatures
    FOR EACH ROW EXECUTE FUNCTION signatures_append_only();
CREATE TRIGGER signatures_no_truncate BEFORE TRUNCATE ON signatures
    FOR EACH STATEMENT EXECUTE FUNCTION signatures_append_only();

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
