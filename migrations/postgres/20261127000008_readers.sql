-- Card readers (issue 6): registered per institution and work unit. reader_id is the id the
-- operator PC's reader-bridge is configured with (unique across the portal); the pairing
-- secret is sealed with the [secrets] key (secrets::reader_secret_aad(reader_id)), because the
-- server must compute pairing HMACs with it. status: active | inactive (the admin can
-- reactivate) | deactivated (for good, e.g. when the agreement ends).
CREATE TABLE readers (
    id                  BIGSERIAL PRIMARY KEY,
    reader_id           TEXT    NOT NULL UNIQUE,
    institution_id      BIGINT    NOT NULL REFERENCES institutions (id),
    work_unit           TEXT    NOT NULL,
    serial_number       TEXT    NOT NULL,
    sam_number          TEXT    NOT NULL,
    secret_sealed       TEXT    NOT NULL,
    status              TEXT    NOT NULL CHECK (status IN ('active', 'inactive', 'deactivated')),
    created_at_ms       BIGINT    NOT NULL,
    created_by          BIGINT    REFERENCES accounts (id),
    updated_at_ms       BIGINT    NOT NULL,
    updated_by          BIGINT    REFERENCES accounts (id),
    secret_rotated_at_ms BIGINT    NOT NULL
);
CREATE INDEX readers_institution ON readers (institution_id);
