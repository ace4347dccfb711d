-- Leased hits (issue 5, speed): a server may lease a block of a day's hits for its in-memory
-- pool and hand them out without a database write per request. `held` counts the hits leased
-- to servers and not yet settled (in a pool, or on a call in flight); a reservation is
-- allowed while `used + held < daily_limit`, so several replicas still never let more than
-- the limit through. Settling a leased hit moves it from `held` to `used`; a server gives
-- back what it still holds when the limit changes, the day ends or it shuts down. After a
-- crash what it held stays counted (never more than the limit, possibly fewer).
ALTER TABLE quota_days ADD COLUMN held BIGINT NOT NULL DEFAULT 0 CHECK (held >= 0);
