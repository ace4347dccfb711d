//! Portal sessions (the server side of the `sigap_session` cookie): the [`SessionRecordStore`]
//! area, over which `auth::session::DbSessionStore` implements tower-sessions' store.
//!
//! The session id is never stored: rows are keyed by the SHA-256 of it, so a copy of the
//! database does not hand out live sessions. `account_id` and `session_epoch` are copied out
//! of the session data so "sign out everywhere" can end every session of an account at once.

use super::StorageError;

/// A stored session.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SessionRow {
    /// JSON object: tower-sessions' data.
    pub data: String,
    pub expires_at_ms: i64,
    pub account_id: Option<i64>,
    pub session_epoch: Option<i64>,
}

/// What to write for a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionWrite<'a> {
    /// SHA-256 (hex) of the session id.
    pub id_hash: &'a str,
    pub data: &'a str,
    pub expires_at_ms: i64,
    pub account_id: Option<i64>,
    pub session_epoch: Option<i64>,
    pub now_ms: i64,
}

/// Creating, reading, updating and ending sessions.
#[async_trait::async_trait]
pub trait SessionRecordStore {
    /// Inserts a new session; `Conflict` if the id is taken (the caller draws another).
    async fn insert_session(&self, s: &SessionWrite<'_>) -> Result<(), StorageError>;
    /// Updates an existing session; `false` when it no longer exists (ended meanwhile: it is
    /// not brought back).
    async fn update_session(&self, s: &SessionWrite<'_>) -> Result<bool, StorageError>;
    /// A session that has not expired at `now_ms`.
    async fn load_session(
        &self,
        id_hash: &str,
        now_ms: i64,
    ) -> Result<Option<SessionRow>, StorageError>;
    async fn delete_session(&self, id_hash: &str) -> Result<(), StorageError>;
    /// How many unexpired sessions an account has.
    async fn count_account_sessions(
        &self,
        account_id: i64,
        now_ms: i64,
    ) -> Result<i64, StorageError>;
    /// Sign out everywhere: deletes every session of the account and bumps its
    /// `session_epoch` (so anything issued under the old epoch is void), in one transaction.
    /// Returns the new epoch; `NotFound` for an unknown account.
    async fn end_account_sessions(&self, account_id: i64, now_ms: i64)
    -> Result<i64, StorageError>;
    /// Deletes expired sessions (housekeeping).
    async fn purge_expired_sessions(&self, now_ms: i64) -> Result<u64, StorageError>;
}

pub const INSERT: &str = "INSERT INTO auth_sessions \
       (id_hash, data, expires_at_ms, account_id, session_epoch, created_at_ms, updated_at_ms) \
     VALUES ($1, $2, $3, $4, $5, $6, $6)";

pub const UPDATE: &str = "UPDATE auth_sessions SET data = $2, expires_at_ms = $3, account_id = $4, \
       session_epoch = $5, updated_at_ms = $6 \
     WHERE id_hash = $1";

pub const LOAD: &str = "SELECT data, expires_at_ms, account_id, session_epoch \
     FROM auth_sessions WHERE id_hash = $1 AND expires_at_ms > $2";

pub const DELETE: &str = "DELETE FROM auth_sessions WHERE id_hash = $1";

pub const COUNT_ACCOUNT: &str =
    "SELECT COUNT(*) FROM auth_sessions WHERE account_id = $1 AND expires_at_ms > $2";

pub const DELETE_ACCOUNT: &str = "DELETE FROM auth_sessions WHERE account_id = $1";

pub const BUMP_EPOCH: &str = "UPDATE accounts SET session_epoch = session_epoch + 1, updated_at = $2 \
     WHERE id = $1 RETURNING session_epoch";

pub const PURGE: &str = "DELETE FROM auth_sessions WHERE expires_at_ms <= $1";

/// Implements [`SessionRecordStore`] for a backend struct with a `pool` field.
macro_rules! impl_session_record_store {
    ($ty:ty) => {
        #[async_trait::async_trait]
        impl $crate::storage::SessionRecordStore for $ty {
            async fn insert_session(
                &self,
                s: &$crate::storage::SessionWrite<'_>,
            ) -> Result<(), $crate::storage::StorageError> {
                sqlx::query($crate::storage::sessions::INSERT)
                    .bind(s.id_hash)
                    .bind(s.data)
                    .bind(s.expires_at_ms)
                    .bind(s.account_id)
                    .bind(s.session_epoch)
                    .bind(s.now_ms)
                    .execute(&self.pool)
                    .await
                    .map_err($crate::storage::StorageError::from_write)?;
                Ok(())
            }

            async fn update_session(
                &self,
                s: &$crate::storage::SessionWrite<'_>,
            ) -> Result<bool, $crate::storage::StorageError> {
                let done = sqlx::query($crate::storage::sessions::UPDATE)
                    .bind(s.id_hash)
                    .bind(s.data)
                    .bind(s.expires_at_ms)
                    .bind(s.account_id)
                    .bind(s.session_epoch)
                    .bind(s.now_ms)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn load_session(
                &self,
                id_hash: &str,
                now_ms: i64,
            ) -> Result<Option<$crate::storage::SessionRow>, $crate::storage::StorageError> {
                Ok(sqlx::query_as($crate::storage::sessions::LOAD)
                    .bind(id_hash)
                    .bind(now_ms)
                    .fetch_optional(&self.pool)
                    .await?)
            }

            async fn delete_session(
                &self,
                id_hash: &str,
            ) -> Result<(), $crate::storage::StorageError> {
                sqlx::query($crate::storage::sessions::DELETE)
                    .bind(id_hash)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn count_account_sessions(
                &self,
                account_id: i64,
                now_ms: i64,
            ) -> Result<i64, $crate::storage::StorageError> {
                Ok(sqlx::query_scalar($crate::storage::sessions::COUNT_ACCOUNT)
                    .bind(account_id)
                    .bind(now_ms)
                    .fetch_one(&self.pool)
                    .await?)
            }

            async fn end_account_sessions(
                &self,
                account_id: i64,
                now_ms: i64,
            ) -> Result<i64, $crate::storage::StorageError> {
                let mut tx = self.begin_write().await?;
                let epoch: Option<i64> = sqlx::query_scalar($crate::storage::sessions::BUMP_EPOCH)
                    .bind(account_id)
                    .bind(now_ms)
                    .fetch_optional(&mut *tx)
                    .await?;
                let Some(epoch) = epoch else {
                    return Err($crate::storage::StorageError::NotFound);
                };
                sqlx::query($crate::storage::sessions::DELETE_ACCOUNT)
                    .bind(account_id)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(epoch)
            }

            async fn purge_expired_sessions(
                &self,
                now_ms: i64,
            ) -> Result<u64, $crate::storage::StorageError> {
                Ok(sqlx::query($crate::storage::sessions::PURGE)
                    .bind(now_ms)
                    .execute(&self.pool)
                    .await?
                    .rows_affected())
            }
        }
    };
}
pub(crate) use impl_session_record_store;
