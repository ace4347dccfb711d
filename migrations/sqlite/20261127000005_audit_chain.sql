-- The audit trail becomes one hash chain (issue 5), and access attempts (NIK look-ups and
-- verifications, granted or refused) get typed columns beside the administration events.
--
-- seq/prev_hash/entry_hash are filled by the server in the same transaction as the row (see
-- server/src/audit/chain.rs for the canonical encoding). Rows that existed before this
-- migration are chained once by the server right after migrating (the genesis step, which
-- sets audit_chain_head.genesis_done); after that a row without a chain position is reported
-- by `sigap audit verify`. Hashes are lowercase hex SHA-256.
ALTER TABLE audit_events ADD COLUMN seq INTEGER;
ALTER TABLE audit_events ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_events ADD COLUMN entry_hash TEXT;
-- Access attempts only (NULL for administration/authentication events). Never the NIK itself:
-- its keyed HMAC and its masked form (3313********0001).
ALTER TABLE audit_events ADD COLUMN channel TEXT;
ALTER TABLE audit_events ADD COLUMN purpose TEXT;
ALTER TABLE audit_events ADD COLUMN local_user_id TEXT;
ALTER TABLE audit_events ADD COLUMN dukcapil_user_id TEXT;
ALTER TABLE audit_events ADD COLUMN nik_hmac TEXT;
ALTER TABLE audit_events ADD COLUMN nik_masked TEXT;
ALTER TABLE audit_events ADD COLUMN outcome_code TEXT;
ALTER TABLE audit_events ADD COLUMN quota_state TEXT;
ALTER TABLE audit_events ADD COLUMN latency_ms INTEGER;

CREATE UNIQUE INDEX audit_events_seq ON audit_events (seq);
CREATE INDEX audit_events_nik ON audit_events (nik_hmac, at_ms);
CREATE INDEX audit_events_actor ON audit_events (actor_account_id, at_ms);
CREATE INDEX audit_events_outcome_code ON audit_events (outcome_code, at_ms);

-- The chain's head: one row, locked by every append (UPDATE ... RETURNING) so appends from
-- several tasks or replicas are serialised and seq stays gapless.
CREATE TABLE audit_chain_head (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    seq          INTEGER NOT NULL,
    hash         TEXT NOT NULL,
    genesis_done INTEGER NOT NULL DEFAULT 0
);
INSERT INTO audit_chain_head (id, seq, hash, genesis_done)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000', 0);
