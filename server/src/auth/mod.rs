//! Authentication (ASVS 5.0 level 2: V6 authentication, V7 session management): passwords
//! (`password`), sign-in with progressive delay and lockout (`sign_in`, `throttle`), sessions
//! kept in our database with idle and absolute timeouts and the account's session epoch
//! (`session`), passkeys as a second factor or passwordless (`passkey`), one-time recovery
//! codes (`recovery`), the `[auth]` / `[network]` configuration (`config`), the clock they all
//! read (`clock`) and the stable error codes with Indonesian messages (`error`).
//!
//! [`Auth`] holds what the HTTP layer needs (settings, WebAuthn relying party, storage,
//! clock); `web::auth_api` exposes it as JSON endpoints under `/auth/`, and handlers or Leptos
//! server functions learn who is signed in from [`CurrentUser`] (an axum extractor) or
//! [`current_user_from_parts`].

pub mod clock;
pub mod config;
pub mod error;
pub mod passkey;
pub mod password;
pub mod password_change;
pub mod recovery;
pub mod session;
pub mod sign_in;
pub mod throttle;
pub mod token;

pub use clock::Clock;
pub use config::{AuthConfig, AuthSettings, NetworkConfig};
pub use error::AuthFailure;
pub use password::{
    PasswordPolicyError, check_policy, check_policy_for_user, hash_password, verify_password,
};
pub use session::{
    AuthState, CurrentUser, SessionEnded, SessionUser, SignedIn, auth_state_from_parts,
    current_user_from_parts,
};
pub use sign_in::{SignInError, sign_in, sign_in_session};

use crate::storage::{AuditOutcome, NewAuditEvent, Storage};
use std::{
    net::{IpAddr, SocketAddr},
    sync::{
        Arc,
        atomic::{AtomicI64, Ordering},
    },
};
use webauthn_rs::prelude::{Url, Webauthn, WebauthnBuilder};

/// A failure inside authentication that is not the person's fault (hashing, storage).
/// The cause is logged; clients see only a reference (see `error::ApiError::internal`).
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("internal authentication error: {0}")]
    Internal(String),
    #[error(transparent)]
    Storage(#[from] crate::storage::StorageError),
}

/// Where a request came from: the client address decided by the network guard (after
/// trusted-proxy handling) and the request id, for audit entries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientInfo {
    pub ip: Option<IpAddr>,
    pub request_id: Option<String>,
}

/// The client address the network guard decided on, in the request extensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

/// How often expired sessions, ceremonies and stale counters are deleted (at most).
const HOUSEKEEPING_EVERY_MS: i64 = 10 * 60_000;

/// Authentication's shared state; one per server, in `AppState::auth`.
pub struct Auth {
    storage: Arc<dyn Storage>,
    settings: AuthSettings,
    webauthn: Webauthn,
    clock: Clock,
    last_housekeeping_ms: AtomicI64,
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auth")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Auth {
    /// Resolves `[auth]` for a server bound to `bind` and sets up the WebAuthn relying party.
    pub fn new(
        storage: Arc<dyn Storage>,
        config: &AuthConfig,
        bind: SocketAddr,
        clock: Clock,
    ) -> Result<Auth, crate::config::ConfigError> {
        let key =
            |(key, message): config::KeyError| crate::config::ConfigError::Key { key, message };
        let settings = AuthSettings::resolve(config, bind).map_err(key)?;
        let origin = Url::parse(&config.rp_origin)
            .map_err(|e| key(("auth.rp_origin".into(), format!("not a URL: {e}"))))?;
        let mut builder = WebauthnBuilder::new(&config.rp_id, &origin)
            .map_err(|e| key(("auth.rp_id".into(), format!("rejected by WebAuthn: {e}"))))?
            .rp_name(&config.rp_name)
            .timeout(std::time::Duration::from_millis(
                u64::try_from(settings.ceremony_ms).unwrap_or(300_000),
            ));
        // On loopback the portal may be opened as http://localhost:PORT whatever rp_origin says.
        let extra: Vec<Url> = settings
            .allowed_origins
            .iter()
            .filter(|o| o.starts_with("http://localhost:") || o.starts_with("https://"))
            .filter_map(|o| Url::parse(o).ok())
            .filter(|u| {
                u.host_str().is_some_and(|h| {
                    h == config.rp_id || h.ends_with(&format!(".{}", config.rp_id))
                })
            })
            .collect();
        for u in &extra {
            builder = builder.append_allowed_origin(u);
        }
        let webauthn = builder.build().map_err(|e| {
            key((
                "auth.rp_origin".into(),
                format!("rejected by WebAuthn: {e}"),
            ))
        })?;
        Ok(Auth {
            storage,
            settings,
            webauthn,
            clock,
            last_housekeeping_ms: AtomicI64::new(0),
        })
    }

    pub fn settings(&self) -> &AuthSettings {
        &self.settings
    }

    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    pub fn storage(&self) -> &Arc<dyn Storage> {
        &self.storage
    }

    pub(crate) fn webauthn(&self) -> &Webauthn {
        &self.webauthn
    }

    /// Appends an audit entry. Never pass secrets in `detail`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn audit(
        &self,
        event: &str,
        outcome: AuditOutcome,
        actor_account_id: Option<i64>,
        actor_username: Option<&str>,
        institution_id: Option<i64>,
        subject: Option<String>,
        detail: serde_json::Value,
        client: &ClientInfo,
    ) -> Result<(), AuthError> {
        self.storage
            .append_audit_event(&NewAuditEvent {
                at_ms: self.clock.now_ms(),
                event: event.to_string(),
                outcome,
                actor_account_id,
                actor_username: actor_username.map(|u| u.chars().take(128).collect()),
                institution_id,
                subject,
                detail,
                client_ip: client.ip.map(|ip| ip.to_string()),
                request_id: client.request_id.clone(),
            })
            .await?;
        Ok(())
    }

    /// Deletes expired sessions and ceremonies and forgotten failure counters, at most once
    /// every ten minutes per process (called from sign-in; failures are only logged).
    pub(crate) async fn housekeeping(&self) {
        let now = self.clock.now_ms();
        let last = self.last_housekeeping_ms.load(Ordering::Relaxed);
        if now - last < HOUSEKEEPING_EVERY_MS
            || self
                .last_housekeeping_ms
                .compare_exchange(last, now, Ordering::SeqCst, Ordering::Relaxed)
                .is_err()
        {
            return;
        }
        let window = self
            .settings
            .account_limit
            .window_ms()
            .max(self.settings.ip_limit.window_ms());
        let results = (
            self.storage.purge_expired_sessions(now).await,
            self.storage.purge_ceremonies(now).await,
            self.storage.throttle_purge(now - window).await,
        );
        if let (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) = results {
            crate::error::log_internal("authentication housekeeping", &e.to_string());
        }
    }
}
