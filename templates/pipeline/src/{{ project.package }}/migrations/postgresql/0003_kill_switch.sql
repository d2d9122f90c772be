-- The kill switch, in the audit database instead of a file in the output folder: a change
-- commits with its audit record or not at all, every runner on every host reads the same
-- state, and deleting a file no longer starts runs again unaudited.
CREATE TABLE kill_switch (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    engaged INTEGER NOT NULL,
    changed_at TEXT,
    changed_by TEXT,
    reason TEXT
);
