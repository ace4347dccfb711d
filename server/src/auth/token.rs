//! Web-service API tokens: issuing (the token text is shown once, only its SHA-256 is kept) and
//! the [`ApiCaller`] extractor that authenticates `Authorization: Bearer <token>` on `/api/v1`.
//!
//! A token is `sigap_` followed by 43 base64url characters (256 random bits). It works while
//! it is neither revoked nor expired and its service account is active with the session epoch
//! the token was issued under: deactivating the account or changing its role ends every token
//! at once. Refusals are the `TOKEN_*` codes of `web::api_errors::ApiCode`.

use crate::error::ApiError;
use crate::state::AppState;
use crate::storage::{Account, Actor, ApiToken, NewApiToken, Storage, StorageError};
use crate::web::api_errors::ApiCode;
use axum::{extract::FromRequestParts, http::request::Parts};
use base64::Engine;
use domain::identity::AccountStatus;
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

/// What every token starts with (lets secret scanners and people recognise one).
pub const TOKEN_PREFIX: &str = "sigap_";

/// Characters of the token shown in lists (`sigap_` + 6).
const SHOWN_CHARS: usize = 12;

/// Hex SHA-256 of a token text.
pub fn token_hash(token: &str) -> String {
    crate::audit::chain::to_hex(&Sha256::digest(token.as_bytes()).into())
}

/// A new random token text.
pub fn generate() -> SecretString {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let body = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    SecretString::from(format!("{TOKEN_PREFIX}{body}"))
}

/// Issues a token for a service account: stores its hash (audited `api_token.create`) and
/// returns the stored record and the token text, which is never available again.
pub async fn issue(
    storage: &dyn Storage,
    account: &Account,
    purpose: &str,
    expires_at_ms: Option<i64>,
    actor: &Actor,
    now_ms: i64,
) -> Result<(ApiToken, SecretString), StorageError> {
    let institution_id = account.institution_id.ok_or(StorageError::Rejected {
        code: "ACCOUNT_OTHER_INSTITUTION",
        message: "the account belongs to no institution".into(),
    })?;
    let token = generate();
    let text = token.expose_secret();
    let record = storage
        .create_api_token(
            &NewApiToken {
                institution_id,
                account_id: account.id,
                token_hash: token_hash(text),
                token_prefix: text.chars().take(SHOWN_CHARS).collect(),
                purpose: purpose.to_string(),
                expires_at_ms,
            },
            actor,
            now_ms,
        )
        .await?;
    Ok((record, token))
}

/// An authenticated web-service caller: the token, its service account and institution.
#[derive(Debug, Clone)]
pub struct ApiCaller {
    pub token: ApiToken,
    pub account: Account,
}

impl ApiCaller {
    pub fn institution_id(&self) -> i64 {
        self.token.institution_id
    }
}

/// Finds and checks the caller of a bearer token.
pub async fn authenticate(
    storage: &dyn Storage,
    authorization: Option<&str>,
    now_ms: i64,
) -> Result<ApiCaller, ApiError> {
    authenticate_via(storage, None, authorization, now_ms).await
}

/// [`authenticate`], reading the token and its account through the server's read cache when
/// given (see [`crate::read_cache`]: a revocation through this server applies at once).
pub async fn authenticate_via(
    storage: &dyn Storage,
    reads: Option<&crate::read_cache::ReadCache>,
    authorization: Option<&str>,
    now_ms: i64,
) -> Result<ApiCaller, ApiError> {
    let Some(value) = authorization else {
        return Err(
            ApiCode::TokenRequired.error("Sertakan token API: Authorization: Bearer <token>.")
        );
    };
    let token = value
        .strip_prefix("Bearer ")
        .map(str::trim)
        .filter(|t| t.starts_with(TOKEN_PREFIX) && t.len() < 200)
        .ok_or_else(|| ApiCode::TokenInvalid.error("Token API tidak dikenal."))?;
    let hash = token_hash(token);
    let record = match reads {
        Some(r) => r.api_token_by_hash(&hash).await,
        None => storage.api_token_by_hash(&hash).await,
    }
    .map_err(|e| ApiError::internal("api token lookup", &e))?
    .ok_or_else(|| ApiCode::TokenInvalid.error("Token API tidak dikenal."))?;
    if record.revoked_at_ms.is_some() {
        return Err(ApiCode::TokenRevoked.error("Token API sudah dicabut."));
    }
    if !record.usable(now_ms) {
        return Err(ApiCode::TokenExpired.error("Token API sudah kedaluwarsa."));
    }
    let account = match reads {
        Some(r) => r.account_by_id(record.account_id).await,
        None => storage.account_by_id(record.account_id).await,
    }
    .map_err(|e| ApiError::internal("api token account", &e))?
    .ok_or_else(|| ApiCode::TokenRevoked.error("Token API sudah tidak berlaku."))?;
    if account.status != AccountStatus::Active {
        return Err(ApiCode::TokenAccountInactive
            .error("Token API tidak berlaku: akun layanannya sudah dinonaktifkan."));
    }
    if account.session_epoch != record.session_epoch
        || account.institution_id != Some(record.institution_id)
    {
        return Err(ApiCode::TokenRevoked
            .error("Token API sudah tidak berlaku: akun layanannya diubah sesudah token dibuat."));
    }
    // Last use is kept to the minute: no write on every request of a busy client.
    if record.last_used_at_ms.is_none_or(|t| now_ms - t >= 60_000) {
        match storage.touch_api_token(record.id, now_ms).await {
            Ok(()) => {
                if let Some(r) = reads {
                    r.note_token_used(&hash, now_ms);
                }
            }
            Err(e) => {
                tracing::warn!(token_id = record.id, error = %e, "api token last use not recorded")
            }
        }
    }
    Ok(ApiCaller {
        token: record,
        account,
    })
}

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let header = parts
            .headers
            .get(http::header::AUTHORIZATION)
            .map(|v| v.to_str().unwrap_or(""));
        authenticate_via(
            state.storage.as_ref(),
            Some(&state.reads),
            header,
            state.auth.clock().now_ms(),
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_prefixed_and_hash_to_hex() {
        let a = generate();
        let b = generate();
        assert_ne!(a.expose_secret(), b.expose_secret());
        assert!(a.expose_secret().starts_with(TOKEN_PREFIX));
        assert_eq!(a.expose_secret().len(), TOKEN_PREFIX.len() + 43);
        let h = token_hash(a.expose_secret());
        assert_eq!(h.len(), 64);
        assert!(h.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(h, token_hash(b.expose_secret()));
        // Stored hashes stay valid: lowercase hex of SHA-256 (FIPS 180-2 test vector "abc").
        assert_eq!(
            token_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
