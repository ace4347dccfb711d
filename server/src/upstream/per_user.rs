//! One upstream client per Dukcapil user ID: the institution's own user ID signs every call
//! made on its behalf, with the credential Disdukcapil issued for it (sealed at rest, opened
//! here in memory only). The `[upstream]` section supplies what all user IDs share (base URL,
//! consumer, field spellings, timeouts, CA); a user ID without a stored credential falls back
//! to the configured client only when `[upstream] user_id` names that same user ID (the demo
//! and single-institution set-ups configure it that way).
//!
//! Clients are cached per user ID together with the sealed text they were built from, so a
//! changed credential builds a fresh client (with its own circuit breaker) on next use.

use super::{UpstreamClient, UpstreamPassword};
use crate::secrets::{Keyring, Sealed, credential_aad};
use crate::storage::{DukcapilUserId, StorageError};
use secrecy::ExposeSecret;
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

/// The cache of per-user-ID clients (in [`crate::state::AppState`]).
#[derive(Default)]
pub struct UserIdClients {
    clients: Mutex<HashMap<i64, (String, UpstreamClient)>>,
}

/// Why no client could be made for a user ID: all are the institution's set-up, not the
/// resident's. `code()` is stable and recorded in the audit trail.
#[derive(Debug, thiserror::Error)]
pub enum NoClient {
    #[error("no Dukcapil web-service address or credential is configured for this user ID")]
    NotConfigured,
    #[error("the stored credential cannot be opened (key missing, rotated away, or altered)")]
    CredentialUnreadable,
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl UserIdClients {
    /// The client that calls the upstream as `user` (an active user ID with its Dukcapil
    /// user ID assigned).
    pub async fn client_for(
        &self,
        reads: &crate::read_cache::ReadCache,
        keyring: Option<&Keyring>,
        base: &super::UpstreamConfig,
        configured: Option<&UpstreamClient>,
        user: &DukcapilUserId,
    ) -> Result<UpstreamClient, NoClient> {
        let Some(dukcapil_user_id) = user.dukcapil_user_id.as_deref() else {
            return Err(NoClient::NotConfigured);
        };
        if !user.has_credential {
            return match configured {
                Some(client) if base.user_id == dukcapil_user_id => Ok(client.clone()),
                _ => Err(NoClient::NotConfigured),
            };
        }
        let sealed: Sealed = reads
            .sealed_credential(user.id)
            .await?
            .ok_or(NoClient::NotConfigured)?;
        if let Some((text, client)) = self.lock().get(&user.id)
            && text == sealed.as_str()
        {
            return Ok(client.clone());
        }
        let keyring = keyring.ok_or(NoClient::CredentialUnreadable)?;
        let password = keyring
            .open(&sealed, &credential_aad(user.id))
            .map_err(|e| {
                tracing::warn!(
                    target: super::LOG_TARGET,
                    user_id_row = user.id,
                    code = e.code(),
                    "stored Dukcapil credential does not open"
                );
                NoClient::CredentialUnreadable
            })?;
        if base.base_url.is_none() {
            return Err(NoClient::NotConfigured);
        }
        let mut cfg = base.clone();
        cfg.user_id = dukcapil_user_id.to_string();
        cfg.password = Some(UpstreamPassword::new(password.expose_secret()));
        cfg.password_file = None;
        let client = UpstreamClient::new(&cfg).map_err(|e| {
            tracing::warn!(
                target: super::LOG_TARGET,
                user_id_row = user.id,
                error = %e,
                "cannot build the upstream client for a user ID"
            );
            NoClient::NotConfigured
        })?;
        self.lock()
            .insert(user.id, (sealed.as_str().to_string(), client.clone()));
        Ok(client)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i64, (String, UpstreamClient)>> {
        self.clients.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
