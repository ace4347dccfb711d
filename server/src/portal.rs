//! The server's side of the portal: implements `app::backend::Backend` over storage and
//! configuration, so server functions never touch the database directly.

use crate::{
    auth::{
        AuthFailure, SessionUser, passkey, recovery,
        session::{self, client_info},
        sign_in_session,
    },
    state::AppState,
    storage::{Actor, AuditOutcome, StorageError},
};
use app::{
    AppError,
    backend::{
        AccountView, Backend, BoxFuture, NdaView, PasskeySummary, SessionAccount, SessionInfo,
        SessionState, ShellInfo, SystemStatus,
    },
};
use domain::access::Permission;
use http::request::Parts;

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

/// An authentication refusal as the portal's error (internal causes logged, not sent).
fn auth_error(context: &str, failure: AuthFailure) -> AppError {
    match failure {
        AuthFailure::AuthRequired | AuthFailure::SessionExpired => AppError::AuthRequired,
        AuthFailure::SecondFactorRequired => AppError::SecondFactorRequired,
        AuthFailure::SignInFailed => AppError::SignInFailed,
        AuthFailure::Throttled { retry_after_secs } => {
            AppError::TooManyAttempts { retry_after_secs }
        }
        AuthFailure::Forbidden => AppError::Forbidden,
        AuthFailure::Internal(e) => internal(context, &e),
        other => AppError::Rejected {
            code: other.code().to_string(),
        },
    }
}

/// A storage error as the portal's error: refusals keep their stable code, another
/// institution's records are `FORBIDDEN`, anything else is internal.
fn storage_error(context: &str, e: StorageError) -> AppError {
    match e {
        StorageError::Rejected { code, .. } if code.ends_with("OTHER_INSTITUTION") => {
            AppError::Forbidden
        }
        StorageError::Rejected { code, .. } => AppError::Rejected { code: code.into() },
        StorageError::NotFound => AppError::NotFound,
        other => internal(context, &other),
    }
}

/// The fully authenticated user of the request: anonymous is `AUTH_REQUIRED`, a session
/// still waiting for its second factor is `SECOND_FACTOR_REQUIRED`.
fn authenticated(parts: &Parts) -> Result<&SessionUser, AppError> {
    match parts.extensions.get::<SessionUser>() {
        None => Err(AppError::AuthRequired),
        Some(u) if !u.fully_authenticated => Err(AppError::SecondFactorRequired),
        Some(u) => Ok(u),
    }
}

/// The request's actor, for audited changes.
fn actor(user: &SessionUser, parts: &Parts) -> Actor {
    let client = client_info(parts);
    Actor::account(user.user.account_id, user.user.username.clone())
        .from_request(client.ip.map(|ip| ip.to_string()), client.request_id)
}

impl PortalBackend {
    async fn institution_name(&self, id: Option<i64>) -> Result<Option<String>, AppError> {
        let Some(id) = id else { return Ok(None) };
        Ok(self
            .state
            .storage
            .list_institutions()
            .await
            .map_err(|e| internal("institution_name", &e))?
            .into_iter()
            .find(|i| i.id == id)
            .map(|i| i.name))
    }

    /// The session view of a signed-in (possibly partial) user.
    async fn session_info(&self, u: &SessionUser) -> Result<SessionInfo, AppError> {
        let storage = &self.state.storage;
        let err = |e: StorageError| internal("session_info", &e);
        let state = if u.fully_authenticated {
            SessionState::Authenticated
        } else {
            let passkeys = storage
                .list_passkeys(u.user.account_id)
                .await
                .map_err(err)?
                .len();
            let codes = storage
                .count_recovery_codes(u.user.account_id)
                .await
                .map_err(err)?;
            if passkeys == 0 && codes == 0 {
                SessionState::EnrolmentRequired
            } else {
                SessionState::SecondFactorRequired
            }
        };
        let nda_pending = state == SessionState::Authenticated
            && u.user.role.allows(Permission::AcceptNda)
            && !storage
                .nda_status(u.user.account_id)
                .await
                .map_err(err)?
                .satisfied();
        Ok(SessionInfo {
            state,
            account: Some(SessionAccount {
                username: u.user.username.clone(),
                display_name: u.user.display_name.clone(),
                role: u.user.role.as_str().to_string(),
                institution_name: self.institution_name(u.user.institution_id).await?,
            }),
            nda_pending,
        })
    }

    /// The account page of an authenticated user.
    async fn account_view(&self, u: &SessionUser) -> Result<AccountView, AppError> {
        let auth = &self.state.auth;
        let passkeys = passkey::list(auth, u.user.account_id)
            .await
            .map_err(|f| auth_error("account", f))?
            .into_iter()
            .map(|p| PasskeySummary {
                id: p.id,
                name: p.name,
                created_at_ms: p.created_at_ms,
                last_used_at_ms: p.last_used_at_ms,
            })
            .collect();
        let recovery_codes_remaining = self
            .state
            .storage
            .count_recovery_codes(u.user.account_id)
            .await
            .map_err(|e| internal("account", &e))?;
        Ok(AccountView {
            account: SessionAccount {
                username: u.user.username.clone(),
                display_name: u.user.display_name.clone(),
                role: u.user.role.as_str().to_string(),
                institution_name: self.institution_name(u.user.institution_id).await?,
            },
            passkeys,
            recovery_codes_remaining,
            manages_passkeys: u.user.role.allows(Permission::ManageOwnPasskeys),
        })
    }

    /// The NDA an authenticated user with `nda.accept` is asked to accept.
    async fn nda_for(&self, u: &SessionUser) -> Result<NdaView, AppError> {
        if !u.user.role.allows(Permission::AcceptNda) {
            return Err(AppError::Forbidden);
        }
        let Some(institution_id) = u.user.institution_id else {
            return Err(AppError::Forbidden);
        };
        let storage = &self.state.storage;
        let nda = storage
            .current_nda(institution_id)
            .await
            .map_err(|e| storage_error("current_nda", e))?
            .ok_or_else(|| AppError::Rejected {
                code: "NDA_NOT_PUBLISHED".into(),
            })?;
        let status = storage
            .nda_status(u.user.account_id)
            .await
            .map_err(|e| storage_error("current_nda", e))?;
        Ok(NdaView {
            version_id: nda.id,
            version: nda.version,
            title: nda.title,
            body: nda.body,
            institution_name: self
                .institution_name(Some(institution_id))
                .await?
                .unwrap_or_default(),
            accepted_at_ms: status
                .accepted_at
                .filter(|_| status.accepted_version == Some(nda.version)),
        })
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

    fn session(&self, parts: Parts) -> BoxFuture<'_, Result<SessionInfo, AppError>> {
        Box::pin(async move {
            match parts.extensions.get::<SessionUser>() {
                None => Ok(SessionInfo::anonymous()),
                Some(u) => self.session_info(u).await,
            }
        })
    }

    fn sign_in(
        &self,
        parts: Parts,
        username: String,
        password: String,
    ) -> BoxFuture<'_, Result<SessionInfo, AppError>> {
        Box::pin(async move {
            let session = parts
                .extensions
                .get::<tower_sessions::Session>()
                .cloned()
                .ok_or_else(|| internal("sign_in", &"the session layer is not installed"))?;
            let client = client_info(&parts);
            let user = sign_in_session(&self.state.auth, &session, &username, &password, &client)
                .await
                .map_err(|f| auth_error("sign_in", f))?;
            self.session_info(&user).await
        })
    }

    fn sign_out(&self, parts: Parts) -> BoxFuture<'_, Result<(), AppError>> {
        Box::pin(async move {
            let session = parts
                .extensions
                .get::<tower_sessions::Session>()
                .cloned()
                .ok_or_else(|| internal("sign_out", &"the session layer is not installed"))?;
            if let Some(u) = parts.extensions.get::<SessionUser>() {
                self.state
                    .auth
                    .audit(
                        "auth.sign_out",
                        AuditOutcome::Success,
                        Some(u.user.account_id),
                        Some(&u.user.username),
                        u.user.institution_id,
                        Some(format!("account:{}", u.user.account_id)),
                        serde_json::json!({}),
                        &client_info(&parts),
                    )
                    .await
                    .map_err(|e| internal("sign_out", &e))?;
            }
            session::end(&session)
                .await
                .map_err(|f| auth_error("sign_out", f))
        })
    }

    fn current_nda(&self, parts: Parts) -> BoxFuture<'_, Result<NdaView, AppError>> {
        Box::pin(async move {
            let user = authenticated(&parts)?;
            self.nda_for(user).await
        })
    }

    fn accept_nda(
        &self,
        parts: Parts,
        version_id: i64,
    ) -> BoxFuture<'_, Result<NdaView, AppError>> {
        Box::pin(async move {
            let user = authenticated(&parts)?;
            if !user.user.role.allows(Permission::AcceptNda) || user.user.institution_id.is_none() {
                return Err(AppError::Forbidden);
            }
            self.state
                .storage
                .accept_nda(
                    user.user.account_id,
                    version_id,
                    &actor(user, &parts),
                    self.state.auth.clock().now_ms(),
                )
                .await
                .map_err(|e| storage_error("accept_nda", e))?;
            self.nda_for(user).await
        })
    }

    fn sign_out_everywhere(&self, parts: Parts) -> BoxFuture<'_, Result<(), AppError>> {
        Box::pin(async move {
            let Some(u) = parts.extensions.get::<SessionUser>() else {
                return Err(AppError::AuthRequired);
            };
            let session = parts
                .extensions
                .get::<tower_sessions::Session>()
                .cloned()
                .ok_or_else(|| internal("sign_out_everywhere", &"no session layer"))?;
            let auth = &self.state.auth;
            self.state
                .storage
                .end_account_sessions(u.user.account_id, auth.clock().now_ms())
                .await
                .map_err(|e| internal("sign_out_everywhere", &e))?;
            auth.audit(
                "auth.sign_out_everywhere",
                AuditOutcome::Success,
                Some(u.user.account_id),
                Some(&u.user.username),
                u.user.institution_id,
                Some(format!("account:{}", u.user.account_id)),
                serde_json::json!({}),
                &client_info(&parts),
            )
            .await
            .map_err(|e| internal("sign_out_everywhere", &e))?;
            session::end(&session)
                .await
                .map_err(|f| auth_error("sign_out_everywhere", f))
        })
    }

    fn account(&self, parts: Parts) -> BoxFuture<'_, Result<AccountView, AppError>> {
        Box::pin(async move {
            let user = authenticated(&parts)?;
            self.account_view(user).await
        })
    }

    fn remove_passkey(
        &self,
        parts: Parts,
        passkey_id: i64,
    ) -> BoxFuture<'_, Result<AccountView, AppError>> {
        Box::pin(async move {
            let user = authenticated(&parts)?;
            passkey::remove(
                &self.state.auth,
                &user.user,
                passkey_id,
                &client_info(&parts),
            )
            .await
            .map_err(|f| auth_error("remove_passkey", f))?;
            self.account_view(user).await
        })
    }

    fn generate_recovery_codes(
        &self,
        parts: Parts,
    ) -> BoxFuture<'_, Result<Vec<String>, AppError>> {
        Box::pin(async move {
            let user = authenticated(&parts)?;
            recovery::regenerate(&self.state.auth, &user.user, &client_info(&parts))
                .await
                .map_err(|f| auth_error("generate_recovery_codes", f))
        })
    }
}
