//! The state every handler shares: storage, configuration and Leptos' options.

use crate::{config::Config, storage::Storage};
use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;
use std::sync::Arc;

/// Shared by all handlers: one `Arc` over [`AppStateInner`], so a clone (every middleware
/// with state and every `State` extractor takes one per request) is one reference count, not
/// a dozen plus Leptos' options. Fields are read through `Deref`.
#[derive(Clone)]
pub struct AppState(Arc<AppStateInner>);

impl AppState {
    pub fn new(inner: AppStateInner) -> Self {
        AppState(Arc::new(inner))
    }
}

impl std::ops::Deref for AppState {
    type Target = AppStateInner;
    fn deref(&self) -> &AppStateInner {
        &self.0
    }
}

/// What [`AppState`] shares.
pub struct AppStateInner {
    pub storage: Arc<dyn Storage>,
    /// Group commit of the access path's writes (quota, access entries) to `storage`.
    pub writer: crate::group_commit::GroupWriter,
    /// Short-lived cache of the access path's read-mostly rows (`[check] read_cache_ms`).
    pub reads: crate::read_cache::ReadCache,
    pub config: Arc<Config>,
    pub leptos_options: LeptosOptions,
    /// The Dukcapil client, when `[upstream]` is configured.
    pub upstream: Option<crate::upstream::UpstreamClient>,
    /// One upstream client per Dukcapil user ID, built from its sealed credential.
    pub user_id_clients: Arc<crate::upstream::UserIdClients>,
    /// `sigap demo`: synthetic data, simulator upstream.
    pub demo: bool,
    /// Seals and opens Dukcapil user-ID credentials (`[secrets]`); `None` without a key.
    pub secrets: Option<Arc<crate::secrets::Keyring>>,
    /// Authentication: sessions, sign-in, passkeys (`[auth]`).
    pub auth: Arc<crate::auth::Auth>,
    /// Audit keys: the NIK HMAC key for access entries, the checkpoint signer (`[audit]`).
    pub audit: Option<Arc<crate::audit::AuditKeys>>,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
