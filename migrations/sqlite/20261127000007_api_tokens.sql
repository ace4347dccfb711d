-- Web-service API tokens (issue 5): bound to a service account (a local user ID of one
-- institution) and a purpose; only the SHA-256 of the token is stored. A token works while it
-- is not revoked or expired and its account is active with the session_epoch the token was
-- issued under (deactivation or a role change ends every token at once).
CREATE TABLE api_tokens (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    institution_id   INTEGER    NOT NULL REFERENCES institutions (id),
    account_id       INTEGER    NOT NULL REFERENCES accounts (id),
    token_hash       TEXT    NOT NULL UNIQUE,
    -- The first characters of the token, shown in lists so people can tell tokens apart.
    token_prefix     TEXT    NOT NULL,
    purpose          TEXT    NOT NULL,
    session_epoch    INTEGER    NOT NULL,
    created_at_ms    INTEGER    NOT NULL,
    created_by       INTEGER    REFERENCES accounts (id),
    expires_at_ms    INTEGER,
    revoked_at_ms    INTEGER,
    revoked_by       INTEGER    REFERENCES accounts (id),
    last_used_at_ms  INTEGER
);
CREATE INDEX api_tokens_institution ON api_tokens (institution_id);
CREATE INDEX api_tokens_account ON api_tokens (account_id);
