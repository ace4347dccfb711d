-- Web-service API tokens (issue 5): bound to a service account (a local user ID of one
-- institution) and a purpose; only the SHA-256 of the token is stored. A token works while it
-- is not revoked or expired and its account is active with the session_epoch the token was
-- issued under (deactivation or a role change ends every token at once).
CREATE TABLE api_tokens (
    id               BIGSERIAL PRIMARY KEY,
    institution_id   BIGINT    NOT NULL REFERENCES institutions (id),
    account_id       BIGINT    NOT NULL REFERENCES accounts (id),
    token_hash       TEXT    NOT NULL UNIQUE,
    -- The first characters of the token, shown in lists so people can tell tokens apart.
    token_prefix     TEXT    NOT NULL,
    purpose          TEXT    NOT NULL,
    session_epoch    BIGINT    NOT NULL,
    created_at_ms    BIGINT    NOT NULL,
    created_by       BIGINT    REFERENCES accounts (id),
    expires_at_ms    BIGINT,
    revoked_at_ms    BIGINT,
    revoked_by       BIGINT    REFERENCES accounts (id),
    last_used_at_ms  BIGINT
);
CREATE INDEX api_tokens_institution ON api_tokens (institution_id);
CREATE INDEX api_tokens_account ON api_tokens (account_id);
