-- Authentication and administration events (who did what to which account or record).
-- Never population data, never secrets. Times are Unix milliseconds.
CREATE TABLE audit_events (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at_ms            BIGINT  NOT NULL,
    event            TEXT    NOT NULL,
    outcome          TEXT    NOT NULL,
    actor_account_id BIGINT,
    actor_username   TEXT,
    institution_id   BIGINT,
    subject          TEXT,
    detail           TEXT    NOT NULL DEFAULT '{}',
    client_ip        TEXT,
    request_id       TEXT
);
CREATE INDEX audit_events_at ON audit_events (at_ms);
CREATE INDEX audit_events_institution ON audit_events (institution_id, at_ms);
