-- Authentication and administration events (who did what to which account or record).
-- Never population data, never secrets. Times are Unix milliseconds.
CREATE TABLE audit_events (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms            INTEGER NOT NULL,
    event            TEXT    NOT NULL,
    outcome          TEXT    NOT NULL,
    actor_account_id INTEGER,
    actor_username   TEXT,
    institution_id   INTEGER,
    subject          TEXT,
    detail           TEXT    NOT NULL DEFAULT '{}',
    client_ip        TEXT,
    request_id       TEXT
);
CREATE INDEX audit_events_at ON audit_events (at_ms);
CREATE INDEX audit_events_institution ON audit_events (institution_id, at_ms);
