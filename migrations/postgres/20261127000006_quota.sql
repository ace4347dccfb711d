-- Daily quota (issue 5): hits against Dukcapil per Dukcapil user ID per WIB calendar day,
-- optional per-user-ID limit overrides, optional per-operator daily caps and their counters.
--
-- A hit is reserved before the upstream call by one conditional statement
-- (`used = used + 1 ... WHERE used < limit`), so several replicas sharing PostgreSQL never
-- let more than the limit through. `used` counts reservations that were not refunded: a
-- refund (the request provably never reached the upstream) gives the slot back, an ambiguous
-- outcome (it may have) keeps it. Days are ISO 'YYYY-MM-DD' WIB days; instants are Unix
-- milliseconds. The Dukcapil user ID is the text Disdukcapil granted (as the upstream counts
-- it), not a row id. Nothing about residents is stored here.

CREATE TABLE quota_days (
    dukcapil_user_id  TEXT    NOT NULL,
    day               TEXT    NOT NULL CHECK (length(day) = 10),
    -- The user ID's institution when the day's first hit was reserved (for reports).
    institution_id    BIGINT  NOT NULL REFERENCES institutions (id),
    -- The limit in force at the last reservation (override, else the agreement's quota).
    daily_limit       BIGINT  NOT NULL CHECK (daily_limit > 0),
    -- Reserved and not refunded (includes calls in flight).
    used              BIGINT  NOT NULL DEFAULT 0 CHECK (used >= 0),
    -- Settled: the upstream answered (including code 05).
    spent             BIGINT  NOT NULL DEFAULT 0 CHECK (spent >= 0),
    -- Settled: may have reached the upstream, no answer (kept in `used`).
    ambiguous         BIGINT  NOT NULL DEFAULT 0 CHECK (ambiguous >= 0),
    -- Settled: provably never reached the upstream (removed from `used`).
    refunded          BIGINT  NOT NULL DEFAULT 0 CHECK (refunded >= 0),
    -- The upstream answered 05 (daily quota used up): no further hits this day.
    exhausted_at      BIGINT,
    first_reserved_at BIGINT  NOT NULL,
    updated_at        BIGINT  NOT NULL,
    PRIMARY KEY (dukcapil_user_id, day)
);
CREATE INDEX quota_days_institution ON quota_days (institution_id, day);

-- A daily limit set for one Dukcapil user ID (`sigap admin quota set`), overriding the
-- agreement's quota.
CREATE TABLE quota_user_limits (
    dukcapil_user_id TEXT    PRIMARY KEY,
    daily_limit      BIGINT  NOT NULL CHECK (daily_limit BETWEEN 1 AND 1000000),
    set_at           BIGINT  NOT NULL,
    set_by           BIGINT  REFERENCES accounts (id)
);

-- Optional daily cap of one operator (or service account), across its user ID's quota.
CREATE TABLE quota_operator_caps (
    account_id BIGINT  PRIMARY KEY REFERENCES accounts (id),
    daily_cap  BIGINT  NOT NULL CHECK (daily_cap BETWEEN 1 AND 1000000),
    set_at     BIGINT  NOT NULL,
    set_by     BIGINT  REFERENCES accounts (id)
);

-- Hits reserved per operator per WIB day (always counted; capped when a cap is set).
CREATE TABLE quota_operator_days (
    account_id BIGINT  NOT NULL REFERENCES accounts (id),
    day        TEXT    NOT NULL CHECK (length(day) = 10),
    used       BIGINT  NOT NULL DEFAULT 0 CHECK (used >= 0),
    updated_at BIGINT  NOT NULL,
    PRIMARY KEY (account_id, day)
);
