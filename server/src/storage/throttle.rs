//! Failure counters for throttling guessable secrets (sign-in per username and per client
//! address, recovery codes per account): the [`ThrottleStore`] area. One row per
//! (scope, key); the decision (delay, lockout) is made by `auth::throttle` from the row.
//! Counting is one atomic upsert, so several replicas sharing PostgreSQL agree.

use super::StorageError;

/// A key's failure counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct ThrottleState {
    /// Failures since the counter was last reset.
    pub failures: i64,
    pub first_failure_ms: i64,
    pub last_failure_ms: i64,
}

/// Counting, reading and clearing failures.
#[async_trait::async_trait]
pub trait ThrottleStore {
    /// The counter of a key, if it has one.
    async fn throttle_state(
        &self,
        scope: &str,
        key: &str,
    ) -> Result<Option<ThrottleState>, StorageError>;
    /// Counts one failure at `now_ms`; a counter whose last failure is older than
    /// `window_ms` starts again at 1. Returns the new counter.
    async fn throttle_fail(
        &self,
        scope: &str,
        key: &str,
        now_ms: i64,
        window_ms: i64,
    ) -> Result<ThrottleState, StorageError>;
    /// Forgets a key's failures (after a success).
    async fn throttle_clear(&self, scope: &str, key: &str) -> Result<(), StorageError>;
    /// Deletes counters whose last failure is before `before_ms` (housekeeping).
    async fn throttle_purge(&self, before_ms: i64) -> Result<u64, StorageError>;
}

pub const STATE: &str = "SELECT failures, first_failure_ms, last_failure_ms \
     FROM auth_throttle WHERE scope = $1 AND key = $2";

pub const FAIL: &str = "INSERT INTO auth_throttle (scope, key, failures, first_failure_ms, last_failure_ms) \
     VALUES ($1, $2, 1, $3, $3) \
     ON CONFLICT (scope, key) DO UPDATE SET \
       failures = CASE WHEN auth_throttle.last_failure_ms < $4 THEN 1 \
                       ELSE auth_throttle.failures + 1 END, \
       first_failure_ms = CASE WHEN auth_throttle.last_failure_ms < $4 THEN $3 \
                               ELSE auth_throttle.first_failure_ms END, \
       last_failure_ms = $3 \
     RETURNING failures, first_failure_ms, last_failure_ms";

pub const CLEAR: &str = "DELETE FROM auth_throttle WHERE scope = $1 AND key = $2";

pub const PURGE: &str = "DELETE FROM auth_throttle WHERE last_failure_ms < $1";

/// Implements [`ThrottleStore`] for a backend struct with a `pool` field.
macro_rules! impl_throttle_store {
    ($ty:ty) => {
        #[async_trait::async_trait]
        impl $crate::storage::ThrottleStore for $ty {
            async fn throttle_state(
                &self,
                scope: &str,
                key: &str,
            ) -> Result<Option<$crate::storage::ThrottleState>, $crate::storage::StorageError> {
                Ok(sqlx::query_as($crate::storage::throttle::STATE)
                    .bind(scope)
                    .bind(key)
                    .fetch_optional(&self.pool)
                    .await?)
            }

            async fn throttle_fail(
                &self,
                scope: &str,
                key: &str,
                now_ms: i64,
                window_ms: i64,
            ) -> Result<$crate::storage::ThrottleState, $crate::storage::StorageError> {
                Ok(sqlx::query_as($crate::storage::throttle::FAIL)
                    .bind(scope)
                    .bind(key)
                    .bind(now_ms)
                    .bind(now_ms - window_ms)
                    .fetch_one(&self.pool)
                    .await?)
            }

            async fn throttle_clear(
                &self,
                scope: &str,
                key: &str,
            ) -> Result<(), $crate::storage::StorageError> {
                sqlx::query($crate::storage::throttle::CLEAR)
                    .bind(scope)
                    .bind(key)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn throttle_purge(
                &self,
                before_ms: i64,
            ) -> Result<u64, $crate::storage::StorageError> {
                Ok(sqlx::query($crate::storage::throttle::PURGE)
                    .bind(before_ms)
                    .execute(&self.pool)
                    .await?
                    .rows_affected())
            }
        }
    };
}
pub(crate) use impl_throttle_store;
