-- Identity (issue 4): who may touch population data.
-- accounts (with their local user ID history), staff-change notices to Disdukcapil,
-- agreements (PKS) with their addenda and the head's SPTJM, Dukcapil user IDs (the user-ID
-- application form, status, credentials encrypted by the server: never plaintext here),
-- NDA versions and acceptances.
--
-- Instants are Unix milliseconds. Calendar days of documents (signing date, valid from/to)
-- are ISO 'YYYY-MM-DD' text, which compares in date order. Codes (roles, statuses) are the
-- stable codes of `domain`; an unknown code read back is an error in the server, never a
-- default. Rows are never deleted: deactivation, revocation and history keep the record.
-- Several replicas may share one PostgreSQL database: every invariant below that two
-- replicas could race on is a constraint or a unique index, not only a check in code.

CREATE TABLE accounts (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- As typed at creation (ASCII letters, digits, . _ -); unique regardless of case.
    username       TEXT    NOT NULL,
    display_name   TEXT    NOT NULL,
    -- domain::access::Role code. Institution-bound roles have an institution, the others
    -- none (checked in code: the role list grows without a table rebuild).
    role           TEXT    NOT NULL,
    institution_id BIGINT  REFERENCES institutions (id),
    local_user_id  TEXT,
    -- Argon2id PHC string; NULL for service accounts (API tokens only).
    password_hash  TEXT,
    status         TEXT    NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'deactivated')),
    -- Set when the password is a published demo password; cleared when it changes. Outside
    -- demo mode SIGAP refuses to start while an active account has it.
    demo_password  BOOLEAN NOT NULL DEFAULT FALSE,
    -- Bumped on deactivation, role change and password reset: sessions and tokens issued
    -- under an older epoch end at once.
    session_epoch  BIGINT  NOT NULL DEFAULT 0 CHECK (session_epoch >= 0),
    created_at     BIGINT  NOT NULL,
    updated_at     BIGINT  NOT NULL,
    deactivated_at BIGINT ,
    CHECK ((status = 'deactivated') = (deactivated_at IS NOT NULL)),
    CHECK (demo_password = FALSE OR password_hash IS NOT NULL),
    CHECK (local_user_id IS NULL OR institution_id IS NOT NULL)
);
CREATE UNIQUE INDEX accounts_username_ci ON accounts (lower(username));
-- One active account per local user ID in an institution.
CREATE UNIQUE INDEX accounts_active_local_user_id ON accounts (institution_id, local_user_id)
    WHERE status = 'active' AND local_user_id IS NOT NULL;
CREATE INDEX accounts_institution ON accounts (institution_id, username);

-- Which account held which local user ID, when (kept for ever).
CREATE TABLE local_user_id_history (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id     BIGINT  NOT NULL REFERENCES accounts (id),
    institution_id BIGINT  NOT NULL REFERENCES institutions (id),
    local_user_id  TEXT    NOT NULL,
    assigned_at    BIGINT  NOT NULL,
    assigned_by    BIGINT  REFERENCES accounts (id),
    ended_at       BIGINT ,
    ended_by       BIGINT  REFERENCES accounts (id),
    CHECK (ended_at IS NULL OR ended_at >= assigned_at)
);
-- At most one open assignment per account.
CREATE UNIQUE INDEX local_user_id_history_open ON local_user_id_history (account_id)
    WHERE ended_at IS NULL;
CREATE INDEX local_user_id_history_institution
    ON local_user_id_history (institution_id, local_user_id, assigned_at);

-- Notices sent to Disdukcapil about staff changes (who, what changed, when).
CREATE TABLE staff_change_notices (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    institution_id BIGINT  NOT NULL REFERENCES institutions (id),
    -- The account the change is about, when there is one.
    account_id     BIGINT  REFERENCES accounts (id),
    what_changed   TEXT    NOT NULL,
    -- Name (and position) of the person who sent the notice.
    notified_by    TEXT    NOT NULL,
    -- Letter or e-mail reference, when there is one.
    reference      TEXT,
    notified_at    BIGINT  NOT NULL,
    recorded_at    BIGINT  NOT NULL,
    recorded_by    BIGINT  REFERENCES accounts (id)
);
CREATE INDEX staff_change_notices_institution ON staff_change_notices (institution_id, notified_at);

-- Cooperation agreements (PKS) between an institution and Disdukcapil.
CREATE TABLE agreements (
    id                      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    institution_id          BIGINT  NOT NULL REFERENCES institutions (id),
    -- The agreement's number at each party.
    institution_number      TEXT    NOT NULL,
    dukcapil_number         TEXT    NOT NULL,
    -- The parties as written in the agreement (signatory and office).
    institution_party       TEXT    NOT NULL,
    dukcapil_party          TEXT    NOT NULL,
    signed_on               TEXT    NOT NULL CHECK (length(signed_on) = 10),
    valid_from              TEXT    NOT NULL CHECK (length(valid_from) = 10),
    valid_to                TEXT    NOT NULL CHECK (length(valid_to) = 10),
    -- domain::agreement::PksElement codes, comma-separated, in the agreement's order.
    allowed_elements        TEXT    NOT NULL CHECK (allowed_elements <> ''),
    daily_quota             BIGINT  NOT NULL CHECK (daily_quota > 0),
    status                  TEXT    NOT NULL
        CHECK (status IN ('draft', 'active', 'suspended', 'terminated')),
    -- The head's SPTJM (surat pernyataan tanggung jawab mutlak): without it no access.
    sptjm_signer_name       TEXT,
    sptjm_signer_position   TEXT,
    sptjm_signer_account_id BIGINT  REFERENCES accounts (id),
    sptjm_signed_on         TEXT CHECK (sptjm_signed_on IS NULL OR length(sptjm_signed_on) = 10),
    sptjm_recorded_at       BIGINT ,
    sptjm_recorded_by       BIGINT  REFERENCES accounts (id),
    created_at              BIGINT  NOT NULL,
    updated_at              BIGINT  NOT NULL,
    CHECK (valid_from <= valid_to),
    CHECK ((sptjm_signed_on IS NULL) = (sptjm_signer_name IS NULL)),
    CHECK ((sptjm_signed_on IS NULL) = (sptjm_signer_position IS NULL)),
    CHECK ((sptjm_signed_on IS NULL) = (sptjm_recorded_at IS NULL)),
    UNIQUE (dukcapil_number),
    UNIQUE (institution_id, institution_number)
);
CREATE INDEX agreements_institution ON agreements (institution_id, valid_from);

-- Addenda: each with its own number and the new end date it sets.
CREATE TABLE agreement_addenda (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    agreement_id BIGINT  NOT NULL REFERENCES agreements (id),
    number       TEXT    NOT NULL,
    signed_on    TEXT    NOT NULL CHECK (length(signed_on) = 10),
    valid_to     TEXT    NOT NULL CHECK (length(valid_to) = 10),
    note         TEXT    NOT NULL DEFAULT '',
    created_at   BIGINT  NOT NULL,
    created_by   BIGINT  REFERENCES accounts (id),
    UNIQUE (agreement_id, number),
    UNIQUE (agreement_id, valid_to)
);

-- Dukcapil user IDs of an institution: the eight fields of the user-ID application form,
-- the ID Disdukcapil grants, its status, and its credential sealed by the server
-- (XChaCha20-Poly1305, key outside the database; never returned by a page or an API).
CREATE TABLE dukcapil_user_ids (
    id                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    institution_id     BIGINT  NOT NULL REFERENCES institutions (id),
    nik                TEXT    NOT NULL CHECK (length(nik) = 16),
    full_name          TEXT    NOT NULL,
    nip                TEXT CHECK (nip IS NULL OR length(nip) = 18),
    employment_status  TEXT    NOT NULL CHECK (employment_status IN ('pns', 'pppk', 'non_asn')),
    position           TEXT    NOT NULL,
    office_region_code TEXT    NOT NULL,
    office_name        TEXT    NOT NULL,
    office_address     TEXT    NOT NULL,
    local_user_id      TEXT    NOT NULL,
    dukcapil_user_id   TEXT,
    credential         TEXT,
    credential_set_at  BIGINT ,
    status             TEXT    NOT NULL CHECK (status IN ('requested', 'active', 'revoked')),
    requested_at       BIGINT  NOT NULL,
    requested_by       BIGINT  REFERENCES accounts (id),
    decided_at         BIGINT ,
    decided_by         BIGINT  REFERENCES accounts (id),
    revoked_at         BIGINT ,
    revoked_by         BIGINT  REFERENCES accounts (id),
    revoke_reason      TEXT,
    updated_at         BIGINT  NOT NULL,
    CHECK ((nip IS NULL) = (employment_status = 'non_asn')),
    CHECK (status <> 'active' OR (dukcapil_user_id IS NOT NULL AND decided_at IS NOT NULL)),
    CHECK ((status = 'revoked') = (revoked_at IS NOT NULL)),
    CHECK (status <> 'revoked' OR credential IS NULL),
    CHECK (status = 'active' OR credential IS NULL),
    CHECK ((credential IS NULL) = (credential_set_at IS NULL))
);
-- One live (requested or active) application per local user ID in an institution.
CREATE UNIQUE INDEX dukcapil_user_ids_live_local ON dukcapil_user_ids (institution_id, local_user_id)
    WHERE status <> 'revoked';
CREATE INDEX dukcapil_user_ids_institution ON dukcapil_user_ids (institution_id, status);

-- The institution's NDA (confidentiality statement, Bahasa Indonesia), versioned. A version
-- is never edited: a change is a new version, which everyone must accept again.
CREATE TABLE nda_versions (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    institution_id BIGINT  NOT NULL REFERENCES institutions (id),
    version        BIGINT  NOT NULL CHECK (version >= 1),
    title          TEXT    NOT NULL,
    body           TEXT    NOT NULL,
    published_at   BIGINT  NOT NULL,
    published_by   BIGINT  REFERENCES accounts (id),
    UNIQUE (institution_id, version)
);

CREATE TABLE nda_acceptances (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    nda_version_id BIGINT  NOT NULL REFERENCES nda_versions (id),
    account_id     BIGINT  NOT NULL REFERENCES accounts (id),
    accepted_at    BIGINT  NOT NULL,
    client_ip      TEXT,
    UNIQUE (nda_version_id, account_id)
);
CREATE INDEX nda_acceptances_account ON nda_acceptances (account_id);
