//! Web-service API tokens: the [`ApiTokenStore`] area. A token is bound to one service account
//! (a local user ID of one institution) and a purpose (may be empty: then every request gives
//! its own); only its SHA-256 is stored, together
//! with a short prefix people can recognise. Issuing and revoking are audited in the same
//! transaction (`api_token.create`, `api_token.revoke`).

use super::StorageError;
use super::actor::rejected;
use domain::access::Role;
use serde::Serialize;

/// Longest purpose text.
pub const MAX_PURPOSE_CHARS: usize = 200;

/// A token to store (the caller generated the secret and hashed it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewApiToken {
    pub institution_id: i64,
    pub account_id: i64,
    /// Hex SHA-256 of the whole token text.
    pub token_hash: String,
    pub token_prefix: String,
    pub purpose: String,
    pub expires_at_ms: Option<i64>,
}

/// A stored token (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ApiToken {
    pub id: i64,
    pub institution_id: i64,
    pub account_id: i64,
    pub token_prefix: String,
    pub purpose: String,
    pub session_epoch: i64,
    pub created_at_ms: i64,
    pub created_by: Option<i64>,
    pub expires_at_ms: Option<i64>,
    pub revoked_at_ms: Option<i64>,
    pub revoked_by: Option<i64>,
    pub last_used_at_ms: Option<i64>,
}

impl ApiToken {
    /// Not revoked and not expired at `now_ms` (the account is checked separately).
    pub fn usable(&self, now_ms: i64) -> bool {
        self.revoked_at_ms.is_none() && self.expires_at_ms.is_none_or(|e| now_ms < e)
    }
}

/// Issuing, finding, listing and revoking API tokens.
#[async_trait::async_trait]
pub trait ApiTokenStore {
    /// Stores a token for an active service account of the institution. Refusals:
    /// `ACCOUNT_NOT_SERVICE`, `ACCOUNT_INACTIVE`, `ACCOUNT_OTHER_INSTITUTION`,
    /// `PURPOSE_TOO_LONG`. An empty purpose means each request gives its own.
    async fn create_api_token(
        &self,
        new: &NewApiToken,
        actor: &super::Actor,
        now_ms: i64,
    ) -> Result<ApiToken, StorageError>;
    async fn api_token_by_hash(&self, token_hash: &str) -> Result<Option<ApiToken>, StorageError>;
    async fn api_token_by_id(&self, id: i64) -> Result<Option<ApiToken>, StorageError>;
    /// Newest first.
    async fn list_api_tokens(&self, institution_id: i64) -> Result<Vec<ApiToken>, StorageError>;
    /// Revokes a live token (`TOKEN_ALREADY_REVOKED` otherwise).
    async fn revoke_api_token(
        &self,
        id: i64,
        actor: &super::Actor,
        now_ms: i64,
    ) -> Result<ApiToken, StorageError>;
    /// Records use, at most once a minute per token (not audited: the access itself is).
    async fn touch_api_token(&self, id: i64, now_ms: i64) -> Result<(), StorageError>;
}

pub(crate) const COLUMNS: &str = "id, institution_id, account_id, token_prefix, purpose, \
     session_epoch, created_at_ms, created_by, expires_at_ms, revoked_at_ms, revoked_by, \
     last_used_at_ms";

pub(crate) fn insert_sql() -> String {
    format!(
        "INSERT INTO api_tokens (institution_id, account_id, token_hash, token_prefix, purpose, \
           session_epoch, created_at_ms, created_by, expires_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING {COLUMNS}"
    )
}

pub(crate) fn by_hash_sql() -> String {
    format!("SELECT {COLUMNS} FROM api_tokens WHERE token_hash = $1")
}

pub(crate) fn by_id_sql() -> String {
    format!("SELECT {COLUMNS} FROM api_tokens WHERE id = $1")
}

pub(crate) fn list_sql() -> String {
    format!("SELECT {COLUMNS} FROM api_tokens WHERE institution_id = $1 ORDER BY id DESC")
}

pub(crate) fn revoke_sql() -> String {
    format!(
        "UPDATE api_tokens SET revoked_at_ms = $2, revoked_by = $3 \
         WHERE id = $1 AND revoked_at_ms IS NULL RETURNING {COLUMNS}"
    )
}

pub(crate) const TOUCH: &str = "UPDATE api_tokens SET last_used_at_ms = $2 \
     WHERE id = $1 AND (last_used_at_ms IS NULL OR last_used_at_ms < $2 - 60000)";

/// Checks the token's fields and its account before anything is written.
pub(crate) fn validate(new: &NewApiToken, account: &super::Account) -> Result<(), StorageError> {
    // An empty purpose is allowed: every request of such a token must then give its own
    // (the API refuses `PURPOSE_REQUIRED` otherwise).
    let purpose = new.purpose.trim();
    if purpose.chars().count() > MAX_PURPOSE_CHARS {
        return Err(rejected(
            "PURPOSE_TOO_LONG",
            format!("the purpose has at most {MAX_PURPOSE_CHARS} characters"),
        ));
    }
    if account.role != Role::Service {
        return Err(rejected(
            "ACCOUNT_NOT_SERVICE",
            "API tokens belong to service accounts only",
        ));
    }
    if account.status != domain::identity::AccountStatus::Active {
        return Err(rejected("ACCOUNT_INACTIVE", "the account is deactivated"));
    }
    if account.institution_id != Some(new.institution_id) {
        return Err(rejected(
            "ACCOUNT_OTHER_INSTITUTION",
            "the account belongs to another institution",
        ));
    }
    Ok(())
}

/// Implements [`ApiTokenStore`] for a backend struct with a `pool` field.
macro_rules! impl_api_token_store {
    ($ty:ty) => {
        #[async_trait::async_trait]
        impl $crate::storage::ApiTokenStore for $ty {
            async fn create_api_token(
                &self,
                new: &$crate::storage::NewApiToken,
                actor: &$crate::storage::Actor,
                now_ms: i64,
            ) -> Result<$crate::storage::ApiToken, $crate::storage::StorageError> {
                use $crate::storage::{AccountStore, StorageError, api_tokens as q};
                let account = self
                    .account_by_id(new.account_id)
                    .await?
                    .ok_or(StorageError::NotFound)?;
                q::validate(new, &account)?;
                let mut tx = self.begin_write().await?;
                let token: $crate::storage::ApiToken = sqlx::query_as(&q::insert_sql())
                    .bind(new.institution_id)
                    .bind(new.account_id)
                    .bind(&new.token_hash)
                    .bind(&new.token_prefix)
                    .bind(new.purpose.trim())
                    .bind(account.session_epoch)
                    .bind(now_ms)
                    .bind(actor.account_id)
                    .bind(new.expires_at_ms)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(StorageError::from_write)?;
                let event = actor.event(
                    now_ms,
                    "api_token.create",
                    Some(new.institution_id),
                    format!("api_token:{}", token.id),
                    serde_json::json!({
                        "account_id": account.id,
                        "local_user_id": account.local_user_id,
                        "prefix": token.token_prefix,
                        "purpose": token.purpose,
                        "expires_at_ms": token.expires_at_ms,
                    }),
                );
                $crate::storage::actor::insert_audit_event!(&mut *tx, &event)?;
                tx.commit().await?;
                Ok(token)
            }

            async fn api_token_by_hash(
                &self,
                token_hash: &str,
            ) -> Result<Option<$crate::storage::ApiToken>, $crate::storage::StorageError> {
                Ok(
                    sqlx::query_as(&$crate::storage::api_tokens::by_hash_sql())
                        .bind(token_hash)
                        .fetch_optional(&self.pool)
                        .await?,
                )
            }

            async fn api_token_by_id(
                &self,
                id: i64,
            ) -> Result<Option<$crate::storage::ApiToken>, $crate::storage::StorageError> {
                Ok(sqlx::query_as(&$crate::storage::api_tokens::by_id_sql())
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?)
            }

            async fn list_api_tokens(
                &self,
                institution_id: i64,
            ) -> Result<Vec<$crate::storage::ApiToken>, $crate::storage::StorageError> {
                Ok(sqlx::query_as(&$crate::storage::api_tokens::list_sql())
                    .bind(institution_id)
                    .fetch_all(&self.pool)
                    .await?)
            }

            async fn revoke_api_token(
                &self,
                id: i64,
                actor: &$crate::storage::Actor,
                now_ms: i64,
            ) -> Result<$crate::storage::ApiToken, $crate::storage::StorageError> {
                use $crate::storage::{StorageError, api_tokens as q};
                let mut tx = self.begin_write().await?;
                let token: Option<$crate::storage::ApiToken> = sqlx::query_as(&q::revoke_sql())
                    .bind(id)
                    .bind(now_ms)
                    .bind(actor.account_id)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(StorageError::from_write)?;
                let Some(token) = token else {
                    tx.rollback().await?;
                    return match self.api_token_by_id(id).await? {
                        None => Err(StorageError::NotFound),
                        Some(_) => Err($crate::storage::actor::rejected(
                            "TOKEN_ALREADY_REVOKED",
                            "the token is already revoked",
                        )),
                    };
                };
                let event = actor.event(
                    now_ms,
                    "api_token.revoke",
                    Some(token.institution_id),
                    format!("api_token:{id}"),
                    serde_json::json!({
                        "account_id": token.account_id,
                        "prefix": token.token_prefix,
                    }),
                );
                $crate::storage::actor::insert_audit_event!(&mut *tx, &event)?;
                tx.commit().await?;
                Ok(token)
            }

            async fn touch_api_token(
                &self,
                id: i64,
                now_ms: i64,
            ) -> Result<(), $crate::storage::StorageError> {
                sqlx::query($crate::storage::api_tokens::TOUCH)
                    .bind(id)
                    .bind(now_ms)
                    .execute(&self.pool)
                    .await
                    .map_err($crate::storage::StorageError::from_write)?;
                Ok(())
            }
        }
    };
}
pub(crate) use impl_api_token_store;
