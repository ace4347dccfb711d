//! What the portal needs from the server, as a context object.
//!
//! The server crate implements [`Backend`] and provides a [`BackendHandle`] to both
//! `leptos_routes_with_context` and `handle_server_fns_with_context`; server functions take it
//! with [`backend`] and check authorisation themselves.

use serde::{Deserialize, Serialize};

/// Facts the page header shows on every page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShellInfo {
    /// Display name of the institution this SIGAP serves, when one is configured.
    pub institution_name: Option<String>,
    /// True when running `sigap demo` (synthetic data, simulator upstream).
    pub demo: bool,
}

/// Health of the parts the status page lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SystemStatus {
    pub version: String,
    pub database_backend: String,
    pub database_ready: bool,
    pub migrations_applied: i64,
    pub migrations_expected: i64,
}

#[cfg(feature = "ssr")]
pub use ssr::*;

#[cfg(feature = "ssr")]
mod ssr {
    use super::{ShellInfo, SystemStatus};
    use crate::AppError;
    use std::{future::Future, pin::Pin, sync::Arc};

    /// A boxed future, so the trait stays object-safe without extra crates.
    pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

    /// Server-side services the portal calls.
    pub trait Backend: Send + Sync + 'static {
        fn shell_info(&self) -> BoxFuture<'_, Result<ShellInfo, AppError>>;
        fn system_status(&self) -> BoxFuture<'_, Result<SystemStatus, AppError>>;
    }

    /// The context object holding the server's [`Backend`].
    #[derive(Clone)]
    pub struct BackendHandle(pub Arc<dyn Backend>);

    /// The per-request CSP nonce, put in the request extensions by the server's middleware.
    #[derive(Clone, Debug)]
    pub struct CspNonce(pub Arc<str>);

    /// The backend from context; an internal error if the server forgot to provide it.
    pub fn backend() -> Result<Arc<dyn Backend>, AppError> {
        leptos::prelude::use_context::<BackendHandle>()
            .map(|h| h.0)
            .ok_or_else(|| AppError::Internal {
                reference: "no-backend-context".into(),
            })
    }
}
