-- The service's schema on SQLite: decisions, idempotency keys, the kill switch,
-- signatures and the audit chain, in one database so a change and its audit record
-- commit together. IF NOT EXISTS: a file made before versioned migrations keeps its data.

CREATE TABLE IF NOT EXISTS decisions (
    decision_id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    subject TEXT NOT NULL,
    inputs_sha256 TEXT NOT NULL,
    label TEXT NOT NULL,
    confidence REAL NOT NULL,
    model_version TEXT NOT NULL,
    status TEXT NOT NULL,
    final_label TEXT,
    reviewed_by TEXT,
    reviewed_at TEXT,
    reason TEXT,
    requested_by TEXT NOT NULL DEFAULT '',
    contract_version TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS decisions_status ON decisions (status);

CREATE TABLE IF NOT EXISTS idempotency (
    actor TEXT NOT NULL,
    key TEXT NOT NULL,
    request_sha256 TEXT NOT NULL,
    decision_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (actor, key)
);

CREATE TABLE IF NOT EXISTS kill_switch (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    engaged INTEGER NOT NULL,
    changed_at TEXT,
    changed_by TEXT,
    reason TEXT
);

CREATE TABLE IF NOT EXISTS signatures (
    signature_id TEXT PRIMARY KEY,
    decision_id TEXT NOT NULL,
    signer TEXT NOT NULL,
    role TEXT NOT NULL,
    meaning TEXT NOT NULL,
    signed_at TEXT NOT NULL,
    record_sha256 TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS signatures_no_update BEFORE UPDATE ON signatures
BEGIN SELECT RAISE(ABORT, 'signature records are append-only'); END;
CREATE TRIGGER IF NOT EXISTS signatures_no_delete BEFORE DELETE ON signatures
BEGIN SELECT RAISE(ABORT, 'signature records are append-only'); END;

CREATE TABLE IF NOT EXISTS audit_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
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
CREATE INDEX IF NOT EXISTS audit_log_ts ON audit_log (ts);
CREATE TABLE IF NOT EXISTS audit_anchor (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    prev_hash TEXT NOT NULL,
    seq INTEGER NOT NULL DEFAULT 0
);
-- Append-only: the purge command alone deletes, dropping and restoring audit_no_delete in
-- its own transaction.
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit records are append-only; use the purge command'); END;
