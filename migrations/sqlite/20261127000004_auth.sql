-- Authentication (issue 4): sessions, passkeys, recovery codes, passkey ceremonies and the
-- failure counters behind throttling. Times are Unix milliseconds.

-- Portal sessions (tower-sessions data). Keyed by SHA-256 (hex) of the session id: the id
-- itself is never stored. account_id / session_epoch are copied out of the data so every
-- session of an account can be ended at once.
CREATE TABLE auth_sessions (
    id_hash       TEXT    PRIMARY KEY,
    data          TEXT    NOT NULL,
    expires_at_ms INTEGER NOT NULL,
    account_id    INTEGER REFERENCES accounts (id),
    session_epoch INTEGER,
    created_at_ms INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL
);
CREATE INDEX auth_sessions_account ON auth_sessions (account_id);
CREATE INDEX auth_sessions_expiry ON auth_sessions (expires_at_ms);

-- The WebAuthn user handle (a random UUID) of each account that registered a passkey.
CREATE TABLE webauthn_users (
    account_id    INTEGER PRIMARY KEY REFERENCES accounts (id),
    user_handle   TEXT    NOT NULL UNIQUE,
    created_at_ms INTEGER NOT NULL
);

-- Passkeys: webauthn-rs' Passkey as JSON (credential id, public key, counter; no secret).
CREATE TABLE passkeys (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id      INTEGER NOT NULL REFERENCES accounts (id),
    credential_id   TEXT    NOT NULL UNIQUE,
    name            TEXT    NOT NULL,
    passkey         TEXT    NOT NULL,
    created_at_ms   INTEGER NOT NULL,
    last_used_at_ms INTEGER
);
CREATE INDEX passkeys_account ON passkeys (account_id);

-- One-time recovery codes, stored as SHA-256 (hex) of the code (120 random bits each).
CREATE TABLE recovery_codes (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id    INTEGER NOT NULL REFERENCES accounts (id),
    code_hash     TEXT    NOT NULL,
    created_at_ms INTEGER NOT NULL,
    used_at_ms    INTEGER,
    UNIQUE (account_id, code_hash)
);

-- Server-side state of passkey ceremonies (challenge and options); taken once.
CREATE TABLE auth_ceremonies (
    id            TEXT    PRIMARY KEY,
    kind          TEXT    NOT NULL CHECK (kind IN ('register', 'authenticate', 'discover')),
    account_id    INTEGER REFERENCES accounts (id),
    state         TEXT    NOT NULL,
    detail        TEXT    NOT NULL DEFAULT '{}',
    expires_at_ms INTEGER NOT NULL,
    created_at_ms INTEGER NOT NULL
);
CREATE INDEX auth_ceremonies_expiry ON auth_ceremonies (expires_at_ms);

-- Failure counters: (scope, key) = ('sign_in_user', lower-cased username as typed),
-- ('client_ip', address), ('recovery_code', account id).
CREATE TABLE auth_throttle (
    scope            TEXT    NOT NULL,
    key              TEXT    NOT NULL,
    failures         INTEGER NOT NULL,
    first_failure_ms INTEGER NOT NULL,
    last_failure_ms  INTEGER NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE INDEX auth_throttle_last ON auth_throttle (last_failure_ms);
