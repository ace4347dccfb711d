//! Second factors: passkeys (WebAuthn credentials), the WebAuthn user handle of each account,
//! one-time recovery codes (stored hashed) and the server-side state of passkey ceremonies:
//! the [`CredentialStore`] area.
//!
//! A passkey row holds webauthn-rs' `Passkey` as JSON (credential id, public key, signature
//! counter): nothing secret. Recovery codes are stored as SHA-256 of codes with 120 random
//! bits, and are spent with one conditional update, so a code works once even when two
//! replicas race. Ceremonies are taken with `DELETE ... RETURNING`: a challenge answers once.

use super::StorageError;
use serde::Serialize;

/// A registered passkey.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct StoredPasskey {
    pub id: i64,
    pub account_id: i64,
    /// Base64url credential id (unique across accounts).
    pub credential_id: String,
    /// The name the person gave it ("Laptop kantor").
    pub name: String,
    /// webauthn-rs `Passkey` as JSON. Not serialised to clients.
    #[serde(skip_serializing)]
    pub passkey: String,
    pub created_at_ms: i64,
    pub last_used_at_ms: Option<i64>,
}

/// Fields of a new passkey.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPasskey {
    pub account_id: i64,
    pub credential_id: String,
    pub name: String,
    pub passkey: String,
}

/// The server-side state of a passkey ceremony.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Ceremony {
    pub id: String,
    /// `register`, `authenticate` (second factor of a known account) or `discover`
    /// (passwordless: the account is learnt from the credential).
    pub kind: String,
    pub account_id: Option<i64>,
    /// webauthn-rs ceremony state as JSON.
    pub state: String,
    /// Small JSON object (e.g. the passkey name being registered).
    pub detail: String,
    pub expires_at_ms: i64,
    pub created_at_ms: i64,
}

/// What a second-factor reset removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SecondFactorReset {
    pub passkeys: u64,
    pub recovery_codes: u64,
}

/// Passkeys, recovery codes and ceremonies.
#[async_trait::async_trait]
pub trait CredentialStore {
    /// The account's WebAuthn user handle (a UUID), created from `candidate` the first time.
    async fn webauthn_user_handle(
        &self,
        account_id: i64,
        candidate: &str,
        now_ms: i64,
    ) -> Result<String, StorageError>;
    /// The account a WebAuthn user handle belongs to.
    async fn account_by_user_handle(&self, user_handle: &str) -> Result<Option<i64>, StorageError>;
    /// Stores a passkey; `Conflict` when its credential id is already registered.
    async fn add_passkey(
        &self,
        new: &NewPasskey,
        now_ms: i64,
    ) -> Result<StoredPasskey, StorageError>;
    /// The account's passkeys, oldest first.
    async fn list_passkeys(&self, account_id: i64) -> Result<Vec<StoredPasskey>, StorageError>;
    async fn passkey_by_credential_id(
        &self,
        credential_id: &str,
    ) -> Result<Option<StoredPasskey>, StorageError>;
    /// After a successful assertion: the updated `Passkey` JSON (counter) and the time of use.
    async fn record_passkey_use(
        &self,
        id: i64,
        passkey: &str,
        now_ms: i64,
    ) -> Result<(), StorageError>;
    /// Deletes one of the account's passkeys; `false` if it has no such passkey.
    async fn delete_passkey(&self, account_id: i64, id: i64) -> Result<bool, StorageError>;
    /// Replaces the account's recovery codes with new ones (their hashes).
    async fn replace_recovery_codes(
        &self,
        account_id: i64,
        code_hashes: &[String],
        now_ms: i64,
    ) -> Result<(), StorageError>;
    /// Spends a recovery code: `true` if it was unused and is now used.
    async fn use_recovery_code(
        &self,
        account_id: i64,
        code_hash: &str,
        now_ms: i64,
    ) -> Result<bool, StorageError>;
    /// Unused recovery codes of the account.
    async fn count_recovery_codes(&self, account_id: i64) -> Result<i64, StorageError>;
    /// Removes every passkey and recovery code of the account (admin reset), in one
    /// transaction.
    async fn reset_second_factor(&self, account_id: i64)
    -> Result<SecondFactorReset, StorageError>;
    async fn put_ceremony(&self, ceremony: &Ceremony) -> Result<(), StorageError>;
    /// Removes and returns a ceremony: a second take of the same id finds nothing.
    async fn take_ceremony(&self, id: &str) -> Result<Option<Ceremony>, StorageError>;
    /// Deletes ceremonies that expired before `now_ms` (housekeeping).
    async fn purge_ceremonies(&self, now_ms: i64) -> Result<u64, StorageError>;
}

pub const INSERT_USER_HANDLE: &str = "INSERT INTO webauthn_users (account_id, user_handle, created_at_ms) \
     VALUES ($1, $2, $3) ON CONFLICT (account_id) DO NOTHING";

pub const USER_HANDLE: &str = "SELECT user_handle FROM webauthn_users WHERE account_id = $1";

pub const ACCOUNT_BY_HANDLE: &str = "SELECT account_id FROM webauthn_users WHERE user_handle = $1";

const PASSKEY_COLUMNS: &str =
    "id, account_id, credential_id, name, passkey, created_at_ms, last_used_at_ms";

pub const INSERT_PASSKEY: &str = "INSERT INTO passkeys \
       (account_id, credential_id, name, passkey, created_at_ms) \
     VALUES ($1, $2, $3, $4, $5) \
     RETURNING id, account_id, credential_id, name, passkey, created_at_ms, last_used_at_ms";

pub fn list_passkeys_sql() -> String {
    format!("SELECT {PASSKEY_COLUMNS} FROM passkeys WHERE account_id = $1 ORDER BY id")
}

pub fn passkey_by_credential_sql() -> String {
    format!("SELECT {PASSKEY_COLUMNS} FROM passkeys WHERE credential_id = $1")
}

pub const RECORD_USE: &str = "UPDATE passkeys SET passkey = $2, last_used_at_ms = $3 WHERE id = $1";

pub const DELETE_PASSKEY: &str = "DELETE FROM passkeys WHERE account_id = $1 AND id = $2";

pub const DELETE_ACCOUNT_PASSKEYS: &str = "DELETE FROM passkeys WHERE account_id = $1";

pub const DELETE_ACCOUNT_CODES: &str = "DELETE FROM recovery_codes WHERE account_id = $1";

pub const INSERT_CODE: &str =
    "INSERT INTO recovery_codes (account_id, code_hash, created_at_ms) VALUES ($1, $2, $3)";

pub const USE_CODE: &str = "UPDATE recovery_codes SET used_at_ms = $3 \
     WHERE account_id = $1 AND code_hash = $2 AND used_at_ms IS NULL";

pub const COUNT_CODES: &str =
    "SELECT COUNT(*) FROM recovery_codes WHERE account_id = $1 AND used_at_ms IS NULL";

pub const INSERT_CEREMONY: &str = "INSERT INTO auth_ceremonies \
       (id, kind, account_id, state, detail, expires_at_ms, created_at_ms) \
     VALUES ($1, $2, $3, $4, $5, $6, $7)";

pub const TAKE_CEREMONY: &str = "DELETE FROM auth_ceremonies WHERE id = $1 \
     RETURNING id, kind, account_id, state, detail, expires_at_ms, created_at_ms";

pub const PURGE_CEREMONIES: &str = "DELETE FROM auth_ceremonies WHERE expires_at_ms < $1";

/// Implements [`CredentialStore`] for a backend struct with a `pool` field.
macro_rules! impl_credential_store {
    ($ty:ty) => {
        #[async_trait::async_trait]
        impl $crate::storage::CredentialStore for $ty {
            async fn webauthn_user_handle(
                &self,
                account_id: i64,
                candidate: &str,
                now_ms: i64,
            ) -> Result<String, $crate::storage::StorageError> {
                use $crate::storage::credentials as q;
                sqlx::query(q::INSERT_USER_HANDLE)
                    .bind(account_id)
                    .bind(candidate)
                    .bind(now_ms)
                    .execute(&self.pool)
                    .await
                    .map_err($crate::storage::StorageError::from_write)?;
                Ok(sqlx::query_scalar(q::USER_HANDLE)
                    .bind(account_id)
                    .fetch_one(&self.pool)
                    .await?)
            }

            async fn account_by_user_handle(
                &self,
                user_handle: &str,
            ) -> Result<Option<i64>, $crate::storage::StorageError> {
                Ok(
                    sqlx::query_scalar($crate::storage::credentials::ACCOUNT_BY_HANDLE)
                        .bind(user_handle)
                        .fetch_optional(&self.pool)
                        .await?,
                )
            }

            async fn add_passkey(
                &self,
                new: &$crate::storage::NewPasskey,
                now_ms: i64,
            ) -> Result<$crate::storage::StoredPasskey, $crate::storage::StorageError> {
                sqlx::query_as($crate::storage::credentials::INSERT_PASSKEY)
                    .bind(new.account_id)
                    .bind(&new.credential_id)
                    .bind(&new.name)
                    .bind(&new.passkey)
                    .bind(now_ms)
                    .fetch_one(&self.pool)
                    .await
                    .map_err($crate::storage::StorageError::from_write)
            }

            async fn list_passkeys(
                &self,
                account_id: i64,
            ) -> Result<Vec<$crate::storage::StoredPasskey>, $crate::storage::StorageError> {
                Ok(
                    sqlx::query_as(&$crate::storage::credentials::list_passkeys_sql())
                        .bind(account_id)
                        .fetch_all(&self.pool)
                        .await?,
                )
            }

            async fn passkey_by_credential_id(
                &self,
                credential_id: &str,
            ) -> Result<Option<$crate::storage::StoredPasskey>, $crate::storage::StorageError> {
                Ok(
                    sqlx::query_as(&$crate::storage::credentials::passkey_by_credential_sql())
                        .bind(credential_id)
                        .fetch_optional(&self.pool)
                        .await?,
                )
            }

            async fn record_passkey_use(
                &self,
                id: i64,
                passkey: &str,
                now_ms: i64,
            ) -> Result<(), $crate::storage::StorageError> {
                sqlx::query($crate::storage::credentials::RECORD_USE)
                    .bind(id)
                    .bind(passkey)
                    .bind(now_ms)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn delete_passkey(
                &self,
                account_id: i64,
                id: i64,
            ) -> Result<bool, $crate::storage::StorageError> {
                Ok(sqlx::query($crate::storage::credentials::DELETE_PASSKEY)
                    .bind(account_id)
                    .bind(id)
                    .execute(&self.pool)
                    .await?
                    .rows_affected()
                    > 0)
            }

            async fn replace_recovery_codes(
                &self,
                account_id: i64,
                code_hashes: &[String],
                now_ms: i64,
            ) -> Result<(), $crate::storage::StorageError> {
                use $crate::storage::credentials as q;
                let mut tx = self.begin_write().await?;
                sqlx::query(q::DELETE_ACCOUNT_CODES)
                    .bind(account_id)
                    .execute(&mut *tx)
                    .await?;
                for hash in code_hashes {
                    sqlx::query(q::INSERT_CODE)
                        .bind(account_id)
                        .bind(hash)
                        .bind(now_ms)
                        .execute(&mut *tx)
                        .await
                        .map_err($crate::storage::StorageError::from_write)?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn use_recovery_code(
                &self,
                account_id: i64,
                code_hash: &str,
                now_ms: i64,
            ) -> Result<bool, $crate::storage::StorageError> {
                Ok(sqlx::query($crate::storage::credentials::USE_CODE)
                    .bind(account_id)
                    .bind(code_hash)
                    .bind(now_ms)
                    .execute(&self.pool)
                    .await?
                    .rows_affected()
                    == 1)
            }

            async fn count_recovery_codes(
                &self,
                account_id: i64,
            ) -> Result<i64, $crate::storage::StorageError> {
                Ok(
                    sqlx::query_scalar($crate::storage::credentials::COUNT_CODES)
                        .bind(account_id)
                        .fetch_one(&self.pool)
                        .await?,
                )
            }

            async fn reset_second_factor(
                &self,
                account_id: i64,
            ) -> Result<$crate::storage::SecondFactorReset, $crate::storage::StorageError> {
                use $crate::storage::credentials as q;
                let mut tx = self.begin_write().await?;
                let passkeys = sqlx::query(q::DELETE_ACCOUNT_PASSKEYS)
                    .bind(account_id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                let recovery_codes = sqlx::query(q::DELETE_ACCOUNT_CODES)
                    .bind(account_id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                tx.commit().await?;
                Ok($crate::storage::SecondFactorReset {
                    passkeys,
                    recovery_codes,
                })
            }

            async fn put_ceremony(
                &self,
                c: &$crate::storage::Ceremony,
            ) -> Result<(), $crate::storage::StorageError> {
                sqlx::query($crate::storage::credentials::INSERT_CEREMONY)
                    .bind(&c.id)
                    .bind(&c.kind)
                    .bind(c.account_id)
                    .bind(&c.state)
                    .bind(&c.detail)
                    .bind(c.expires_at_ms)
                    .bind(c.created_at_ms)
                    .execute(&self.pool)
                    .await
                    .map_err($crate::storage::StorageError::from_write)?;
                Ok(())
            }

            async fn take_ceremony(
                &self,
                id: &str,
            ) -> Result<Option<$crate::storage::Ceremony>, $crate::storage::StorageError> {
                Ok(sqlx::query_as($crate::storage::credentials::TAKE_CEREMONY)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?)
            }

            async fn purge_ceremonies(
                &self,
                now_ms: i64,
            ) -> Result<u64, $crate::storage::StorageError> {
                Ok(sqlx::query($crate::storage::credentials::PURGE_CEREMONIES)
                    .bind(now_ms)
                    .execute(&self.pool)
                    .await?
                    .rows_affected())
            }
        }
    };
}
pub(crate) use impl_credential_store;
