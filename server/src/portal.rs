//! The server's side of the portal: implements `app::backend::Backend` over storage and
//! configuration, so server functions never touch the database directly.

use crate::state::AppState;
use app::{
    AppError,
    backend::{Backend, BoxFuture, ShellInfo, SystemStatus},
};

/// The portal backend, built from the shared state.
pub struct PortalBackend {
    state: AppState,
}

impl PortalBackend {
    pub fn new(state: AppState) -> Self {
        PortalBackend { state }
    }
}

fn internal(context: &str, cause: &dyn std::fmt::Display) -> AppError {
    AppError::Internal {
        reference: crate::error::log_internal(context, &cause.to_string()),
    }
}

impl Backend for PortalBackend {
    fn shell_info(&self) -> BoxFuture<'_, Result<ShellInfo, AppError>> {
        Box::pin(async move {
            let institution_name = match &self.state.config.institution.code {
                Some(code) => self
                    .state
                    .storage
                    .institution_by_code(code)
                    .await
                    .map_err(|e| internal("shell_info", &e))?
                    .map(|i| i.name),
                None => None,
            };
            Ok(ShellInfo {
                institution_name,
                demo: self.state.demo,
            })
        })
    }

    fn system_status(&self) -> BoxFuture<'_, Result<SystemStatus, AppError>> {
        Box::pin(async move {
            let storage = &self.state.storage;
            let ready = storage.ping().await.is_ok();
            let m = storage
                .migration_state()
                .await
                .map_err(|e| internal("system_status", &e))?;
            Ok(SystemStatus {
                version: env!("CARGO_PKG_VERSION").to_string(),
                database_backend: storage.kind().name().to_string(),
                database_ready: ready && m.complete(),
                migrations_applied: m.applied,
                migrations_expected: m.expected,
            })
        })
    }
}
