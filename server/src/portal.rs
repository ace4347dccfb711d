//! The server's side of the portal: implements `app::backend::Backend` over storage and
//! configuration, so server functions never touch the database directly.

use crate::{
    auth::{
        AuthFailure, SessionUser, passkey,
        password_change::{self, PasswordChangeError},
        recovery,
        session::{self, client_info},
        sign_in_session,
    },
    state::AppState,
    storage::{Actor, Agreement, DukcapilUserId, StorageError},
};
use app::{
    AppError,
    backend::{
        AccessProblem, AccessSearchForm, AccessSearchPage, AccessSummary, AccountView,
        AddendumSummary, AdminAccount, AgreementForm, AgreementSummary, ApiTokenForm,
        ApiTokensView, AuditChainStatus, AuditSearchOptions, AuditVerifyResult, Backend, BoxFuture,
        CheckAnswer, ClaimForm, DisdukcapilInstitutionView, EarlierAccess, InstitutionAdminView,
        InstitutionSummary, IssuedApiToken, LocalUserIdPeriod, NdaView, OversightView,
        PasskeySummary, QuotaView, SessionAccount, SessionInfo, SessionState, ShellInfo,
        StaffNoticeForm, SystemStatus, UserIdSummary,
    },
    backend::{
        CardComparison, CardElements, CardReaderInfo, IssuedReaderSecret, PairingToken, ReaderForm,
        ReadersView,
    },
};
use domain::{
    access::{Permission, Role},
    agreement::{AccessState, AgreementStatus, PksElement},
};
use http::request::Parts;

mod agreements;
mod audit_search;
mod check;
mod notices;
mod oversight;
mod readers;
mod tokens;

pub use readers::BRIDGE_DEFAULT_PORT;

/// The portal backend, built from the shared state.
pub struct PortalBackend {
    state: AppState,
    /// A full audit-chain verification is running on this server (`audit_search`).
    verifying: std::sync::atomic::AtomicBool,
}

/// The fully authenticated user of the request whose role has `permission` (deny by default).
fn permitted(parts: &Parts, permission: Permission) -> Result<&SessionUser, AppError> {
    let user = authenticated(parts)?;
    if user.user.role.allows(permission) {
        Ok(user)
    } else {
        Err(AppError::Forbidden)
    }
}

fn access_summary(state: &AccessState) -> AccessSummary {
    AccessSummary {
        active: state.is_active(),
        reason: state.reason_code().map(str::to_string),
        valid_to: match state {
            AccessState::Active { valid_to } => Some(valid_to.to_string()),
            AccessState::Inactive(_) => None,
        },
    }
}

fn agreement_summary(a: &Agreement) -> AgreementSummary {
    AgreementSummary {
        id: a.id,
        institution_number: a.institution_number.clone(),
        dukcapil_number: a.dukcapil_number.clone(),
        status: a.status.as_str().to_string(),
        signed_on: a.signed_on.to_string(),
        valid_from: a.valid_from.to_string(),
        valid_to: a.valid_to.to_string(),
        effective_valid_to: a.effective_valid_to().to_string(),
        addenda: a
            .addenda
            .iter()
            .map(|d| AddendumSummary {
                number: d.number.clone(),
                signed_on: d.signed_on.to_string(),
                valid_to: d.valid_to.to_string(),
            })
            .collect(),
        sptjm_signer: a.sptjm.as_ref().map(|s| s.signer_name.clone()),
        sptjm_position: a.sptjm.as_ref().map(|s| s.signer_position.clone()),
        sptjm_signed_on: a.sptjm.as_ref().map(|s| s.signed_on.to_string()),
        institution_party: a.institution_party.clone(),
        dukcapil_party: a.dukcapil_party.clone(),
        allowed_elements: a
            .allowed_elements
            .iter()
            .map(|e| e.as_str().to_string())
            .collect(),
        daily_quota: a.daily_quota,
        next_statuses: AgreementStatus::ALL
            .into_iter()
            .filter(|s| a.status.may_become(*s))
            .map(|s| s.as_str().to_string())
            .collect(),
    }
}

/// A user-ID application without its NIK, NIP or credential.
fn user_id_summary(u: &DukcapilUserId) -> UserIdSummary {
    UserIdSummary {
        id: u.id,
        full_name: u.full_name.clone(),
        position: u.position.clone(),
        local_user_id: u.local_user_id.clone(),
        dukcapil_user_id: u.dukcapil_user_id.clone(),
        status: u.status.as_str().to_string(),
        has_credential: u.has_credential,
        requested_at_ms: u.requested_at,
        revoke_reason: u.revoke_reason.clone(),
    }
}

impl PortalBackend {
    pub fn new(state: AppState) -> Self {
        PortalBackend {
            state,
            verifying: std::sync::atomic::AtomicBool::new(false),
        }
    }
}

/// The request's session (installed by the session layer on every portal route).
fn session_of(parts: &Parts, context: &str) -> Result<tower_sessions::Session, AppError> {
    parts
        .extensions
        .get::<tower_sessions::Session>()
        .cloned()
        .ok_or_else(|| internal(context, &"the session layer is not installed"))
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
        // Changed meanwhile (another replica): refused, not overwritten; the page reloads.
        StorageError::Conflict => AppError::Rejected {
            code: "CONFLICT".into(),
        },
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
    /// The header's view of an account: who, and which pages the role may open (decided by
    /// `domain::access`).
    async fn session_account(&self, u: &SessionUser) -> Result<SessionAccount, AppError> {
        let role = u.user.role;
        let institution_admin = role.allows(Permission::ManageOperators);
        let disdukcapil_admin = role.allows(Permission::ManageAgreements);
        Ok(SessionAccount {
            username: u.user.username.clone(),
            display_name: u.user.display_name.clone(),
            role: role.as_str().to_string(),
            institution_name: self.institution_name(u.user.institution_id).await?,
            institution_admin,
            disdukcapil_admin,
            oversight: role.allows(Permission::ViewSignatures)
                && !institution_admin
                && !disdukcapil_admin,
            check_nik: role.allows(Permission::NikLookup) || role.allows(Permission::NikVerify),
            audit_trail: audit_search::may_search(role),
        })
    }

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
        } else if has_second_factor(storage.as_ref(), u.user.account_id)
            .await
            .map_err(err)?
        {
            SessionState::SecondFactorRequired
        } else {
            SessionState::EnrolmentRequired
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
            account: Some(self.session_account(u).await?),
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
            account: self.session_account(u).await?,
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

    /// An institution's agreements as the pages show them.
    async fn agreements_of(&self, institution_id: i64) -> Result<Vec<AgreementSummary>, AppError> {
        Ok(self
            .state
            .storage
            .list_agreements(institution_id)
            .await
            .map_err(|e| internal("agreements", &e))?
            .iter()
            .map(agreement_summary)
            .collect())
    }

    /// The institution's access state today (WIB).
    async fn access_of(&self, institution_id: i64) -> Result<AccessSummary, AppError> {
        let today = crate::storage::actor::wib_day(self.state.auth.clock().now_ms());
        let state = self
            .state
            .storage
            .institution_access_state(institution_id, today)
            .await
            .map_err(|e| internal("access_state", &e))?;
        Ok(access_summary(&state))
    }

    /// The institution admin's view of their own institution.
    async fn institution_admin_view(
        &self,
        u: &SessionUser,
    ) -> Result<InstitutionAdminView, AppError> {
        let Some(institution_id) = u.user.institution_id else {
            return Err(AppError::Forbidden);
        };
        let storage = &self.state.storage;
        let err = |e: StorageError| internal("institution_admin", &e);
        let accounts = storage
            .list_institution_accounts(institution_id)
            .await
            .map_err(err)?;
        let mut rows = Vec::with_capacity(accounts.len());
        for a in &accounts {
            let nda = storage.nda_status(a.id).await.map_err(err)?;
            rows.push(AdminAccount {
                id: a.id,
                username: a.username.clone(),
                display_name: a.display_name.clone(),
                role: a.role.as_str().to_string(),
                local_user_id: a.local_user_id.clone(),
                active: a.is_active(),
                deactivated_at_ms: a.deactivated_at,
                nda_accepted_version: nda.accepted_version,
                nda_accepted_at_ms: nda.accepted_at,
                deactivatable: a.is_active()
                    && a.role == Role::Operator
                    && a.id != u.user.account_id,
            });
        }
        let names: std::collections::HashMap<i64, String> = accounts
            .iter()
            .map(|a| (a.id, a.username.clone()))
            .collect();
        let history = storage
            .local_user_id_history(institution_id)
            .await
            .map_err(err)?;
        let local_user_ids = history
            .iter()
            .map(|h| LocalUserIdPeriod {
                username: names.get(&h.account_id).cloned().unwrap_or_default(),
                local_user_id: h.local_user_id.clone(),
                assigned_at_ms: h.assigned_at,
                ended_at_ms: h.ended_at,
            })
            .collect();
        let notices = if u.user.role.allows(Permission::ManageLocalUserIds) {
            notices::notice_summaries(
                storage
                    .list_staff_change_notices(institution_id)
                    .await
                    .map_err(err)?,
                &accounts,
                &history,
            )
        } else {
            Vec::new()
        };
        let agreements = self.agreements_of(institution_id).await?;
        let current_nda_version = storage
            .current_nda(institution_id)
            .await
            .map_err(err)?
            .map(|n| n.version);
        Ok(InstitutionAdminView {
            institution_name: self
                .institution_name(Some(institution_id))
                .await?
                .unwrap_or_default(),
            access: self.access_of(institution_id).await?,
            current_nda_version,
            accounts: rows,
            local_user_ids,
            agreements,
            notices,
        })
    }

    /// One institution as the Disdukcapil admin sees it.
    async fn disdukcapil_view(
        &self,
        institution_id: i64,
    ) -> Result<DisdukcapilInstitutionView, AppError> {
        let storage = &self.state.storage;
        let err = |e: StorageError| internal("disdukcapil_institution", &e);
        let institution = storage
            .list_institutions()
            .await
            .map_err(err)?
            .into_iter()
            .find(|i| i.id == institution_id)
            .ok_or(AppError::NotFound)?;
        let agreements = self.agreements_of(institution_id).await?;
        let user_ids = storage
            .list_dukcapil_user_ids(institution_id)
            .await
            .map_err(err)?
            .iter()
            .map(user_id_summary)
            .collect();
        Ok(DisdukcapilInstitutionView {
            institution: InstitutionSummary {
                id: institution.id,
                code: institution.code,
                name: institution.name,
                access: self.access_of(institution_id).await?,
            },
            agreements,
            user_ids,
            all_elements: PksElement::ALL
                .into_iter()
                .map(|e| e.as_str().to_string())
                .collect(),
        })
    }

    /// The institution of user-ID entry `id` (`NOT_FOUND` when there is none).
    async fn user_id_institution(&self, id: i64) -> Result<i64, AppError> {
        self.state
            .storage
            .dukcapil_user_id_by_id(id)
            .await
            .map_err(|e| internal("user_id", &e))?
            .map(|u| u.institution_id)
            .ok_or(AppError::NotFound)
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
            let session = session_of(&parts, "sign_in")?;
            let client = client_info(&parts);
            let user = sign_in_session(&self.state.auth, &session, &username, &password, &client)
                .await
                .map_err(|f| auth_error("sign_in", f))?;
            self.session_info(&user).await
        })
    }

    fn sign_out(&self, parts: Parts) -> BoxFuture<'_, Result<(), AppError>> {
        Box::pin(async move {
            let session = session_of(&parts, "sign_out")?;
            let user = parts.extensions.get::<SessionUser>();
            session::sign_out(&self.state.auth, &session, user, &client_info(&parts))
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
            let session = session_of(&parts, "sign_out_everywhere")?;
            session::sign_out_everywhere(&self.state.auth, &session, u, &client_info(&parts))
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

    fn change_password(
        &self,
        parts: Parts,
        current_password: String,
        new_password: String,
        confirm_password: String,
    ) -> BoxFuture<'_, Result<Result<(), AppError>, AppError>> {
        Box::pin(async move {
            let user = authenticated(&parts)?;
            let session = session_of(&parts, "change_password")?;
            match password_change::change_password(
                &self.state.auth,
                &session,
                user,
                &current_password,
                &new_password,
                &confirm_password,
                &client_info(&parts),
            )
            .await
            {
                Ok(_) => Ok(Ok(())),
                Err(PasswordChangeError::Failure(f)) => Err(auth_error("change_password", f)),
                Err(PasswordChangeError::Throttled { retry_after_secs }) => {
                    Ok(Err(AppError::TooManyAttempts { retry_after_secs }))
                }
                Err(refused) => Ok(Err(AppError::Rejected {
                    code: refused.code().to_string(),
                })),
            }
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

    fn institution_admin(
        &self,
        parts: Parts,
    ) -> BoxFuture<'_, Result<InstitutionAdminView, AppError>> {
        Box::pin(async move {
            let user = permitted(&parts, Permission::ManageOperators)?;
            self.institution_admin_view(user).await
        })
    }

    fn deactivate_account(
        &self,
        parts: Parts,
        account_id: i64,
    ) -> BoxFuture<'_, Result<InstitutionAdminView, AppError>> {
        Box::pin(async move {
            let user = permitted(&parts, Permission::ManageOperators)?;
            let storage = &self.state.storage;
            let target = storage
                .account_by_id(account_id)
                .await
                .map_err(|e| internal("deactivate_account", &e))?
                .ok_or(AppError::NotFound)?;
            // Only the caller's own institution's operators, never oneself.
            if user.user.institution_id.is_none()
                || target.institution_id != user.user.institution_id
                || target.role != Role::Operator
                || target.id == user.user.account_id
            {
                return Err(AppError::Forbidden);
            }
            let now = self.state.auth.clock().now_ms();
            storage
                .deactivate_account(target.id, &actor(user, &parts), now)
                .await
                .map_err(|e| storage_error("deactivate_account", e))?;
            // The epoch bump already voids its sessions; delete them too.
            storage
                .end_account_sessions(target.id, now)
                .await
                .map_err(|e| internal("deactivate_account", &e))?;
            self.institution_admin_view(user).await
        })
    }

    fn record_staff_change_notice(
        &self,
        parts: Parts,
        form: StaffNoticeForm,
    ) -> BoxFuture<'_, Result<InstitutionAdminView, AppError>> {
        Box::pin(async move { self.record_notice(&parts, &form).await })
    }

    fn api_tokens(&self, parts: Parts) -> BoxFuture<'_, Result<ApiTokensView, AppError>> {
        Box::pin(async move { self.list_tokens(&parts).await })
    }

    fn create_api_token(
        &self,
        parts: Parts,
        form: ApiTokenForm,
    ) -> BoxFuture<'_, Result<IssuedApiToken, AppError>> {
        Box::pin(async move { self.issue_token(&parts, &form).await })
    }

    fn revoke_api_token(
        &self,
        parts: Parts,
        token_id: i64,
    ) -> BoxFuture<'_, Result<ApiTokensView, AppError>> {
        Box::pin(async move { self.revoke_token(&parts, token_id).await })
    }

    fn oversight(&self, parts: Parts) -> BoxFuture<'_, Result<OversightView, AppError>> {
        Box::pin(async move { self.oversight_view(&parts).await })
    }

    fn disdukcapil_institutions(
        &self,
        parts: Parts,
    ) -> BoxFuture<'_, Result<Vec<InstitutionSummary>, AppError>> {
        Box::pin(async move {
            permitted(&parts, Permission::ManageAgreements)?;
            let institutions = self
                .state
                .storage
                .list_institutions()
                .await
                .map_err(|e| internal("disdukcapil_institutions", &e))?;
            let mut out = Vec::with_capacity(institutions.len());
            for i in institutions {
                out.push(InstitutionSummary {
                    access: self.access_of(i.id).await?,
                    id: i.id,
                    code: i.code,
                    name: i.name,
                });
            }
            Ok(out)
        })
    }

    fn disdukcapil_institution(
        &self,
        parts: Parts,
        institution_id: i64,
    ) -> BoxFuture<'_, Result<DisdukcapilInstitutionView, AppError>> {
        Box::pin(async move {
            permitted(&parts, Permission::ManageAgreements)?;
            self.disdukcapil_view(institution_id).await
        })
    }

    fn activate_user_id(
        &self,
        parts: Parts,
        id: i64,
        dukcapil_user_id: String,
    ) -> BoxFuture<'_, Result<DisdukcapilInstitutionView, AppError>> {
        Box::pin(async move {
            let user = permitted(&parts, Permission::ApproveUserIdApplications)?;
            let institution_id = self.user_id_institution(id).await?;
            self.state
                .storage
                .activate_user_id(
                    id,
                    dukcapil_user_id.trim(),
                    &actor(user, &parts),
                    self.state.auth.clock().now_ms(),
                )
                .await
                .map_err(|e| storage_error("activate_user_id", e))?;
            self.disdukcapil_view(institution_id).await
        })
    }

    fn revoke_user_id(
        &self,
        parts: Parts,
        id: i64,
        reason: String,
    ) -> BoxFuture<'_, Result<DisdukcapilInstitutionView, AppError>> {
        Box::pin(async move {
            let user = permitted(&parts, Permission::ApproveUserIdApplications)?;
            let institution_id = self.user_id_institution(id).await?;
            self.state
                .storage
                .revoke_user_id(
                    id,
                    reason.trim(),
                    &actor(user, &parts),
                    self.state.auth.clock().now_ms(),
                )
                .await
                .map_err(|e| storage_error("revoke_user_id", e))?;
            self.disdukcapil_view(institution_id).await
        })
    }

    fn create_agreement(
        &self,
        parts: Parts,
        institution_id: i64,
        form: AgreementForm,
    ) -> BoxFuture<'_, Result<DisdukcapilInstitutionView, AppError>> {
        Box::pin(async move {
            self.create_agreement_for(&parts, institution_id, &form)
                .await
        })
    }

    fn update_agreement(
        &self,
        parts: Parts,
        agreement_id: i64,
        form: AgreementForm,
    ) -> BoxFuture<'_, Result<DisdukcapilInstitutionView, AppError>> {
        Box::pin(async move {
            self.update_agreement_fields(&parts, agreement_id, &form)
                .await
        })
    }

    fn add_addendum(
        &self,
        parts: Parts,
        agreement_id: i64,
        number: String,
        signed_on: String,
        valid_to: String,
        note: String,
    ) -> BoxFuture<'_, Result<DisdukcapilInstitutionView, AppError>> {
        Box::pin(async move {
            self.add_agreement_addendum(
                &parts,
                agreement_id,
                (&number, &signed_on, &valid_to, &note),
            )
            .await
        })
    }

    fn set_agreement_status(
        &self,
        parts: Parts,
        agreement_id: i64,
        status: String,
    ) -> BoxFuture<'_, Result<DisdukcapilInstitutionView, AppError>> {
        Box::pin(async move {
            self.change_agreement_status(&parts, agreement_id, &status)
                .await
        })
    }

    fn record_sptjm(
        &self,
        parts: Parts,
        agreement_id: i64,
        signer_name: String,
        signer_position: String,
        signed_on: String,
    ) -> BoxFuture<'_, Result<DisdukcapilInstitutionView, AppError>> {
        Box::pin(async move {
            self.record_agreement_sptjm(
                &parts,
                agreement_id,
                (&signer_name, &signer_position, &signed_on),
            )
            .await
        })
    }

    fn readers(&self, parts: Parts) -> BoxFuture<'_, Result<ReadersView, AppError>> {
        Box::pin(async move { self.readers_view(&parts).await })
    }

    fn register_reader(
        &self,
        parts: Parts,
        form: ReaderForm,
    ) -> BoxFuture<'_, Result<IssuedReaderSecret, AppError>> {
        Box::pin(async move { self.register_reader_for(&parts, &form).await })
    }

    fn set_reader_status(
        &self,
        parts: Parts,
        id: i64,
        status: String,
    ) -> BoxFuture<'_, Result<ReadersView, AppError>> {
        Box::pin(async move { self.set_reader_status_for(&parts, id, &status).await })
    }

    fn rotate_reader_secret(
        &self,
        parts: Parts,
        id: i64,
    ) -> BoxFuture<'_, Result<IssuedReaderSecret, AppError>> {
        Box::pin(async move { self.rotate_reader_secret_for(&parts, id).await })
    }

    fn card_reader_info(&self, parts: Parts) -> BoxFuture<'_, Result<CardReaderInfo, AppError>> {
        Box::pin(async move { self.card_reader_info_for(&parts).await })
    }

    fn reader_pairing(
        &self,
        parts: Parts,
        reader_id: String,
    ) -> BoxFuture<'_, Result<PairingToken, AppError>> {
        Box::pin(async move { self.reader_pairing_for(&parts, &reader_id).await })
    }

    fn card_compare(
        &self,
        parts: Parts,
        nik: String,
        purpose: String,
        card: CardElements,
        fingerprint: String,
    ) -> BoxFuture<'_, Result<CardComparison, AppError>> {
        Box::pin(async move {
            self.card_compare_for(&parts, &nik, &purpose, &card, &fingerprint)
                .await
        })
    }

    fn nik_check(
        &self,
        parts: Parts,
        nik: String,
        purpose: String,
        claimed: Option<ClaimForm>,
    ) -> BoxFuture<'_, Result<CheckAnswer, AppError>> {
        Box::pin(async move { self.nik_check_for(&parts, nik, purpose, claimed).await })
    }

    fn quota_status(&self, parts: Parts) -> BoxFuture<'_, Result<Option<QuotaView>, AppError>> {
        Box::pin(async move { self.quota_status_for(&parts).await })
    }

    fn earlier_verdict(
        &self,
        parts: Parts,
        nik: String,
    ) -> BoxFuture<'_, Result<Option<EarlierAccess>, AppError>> {
        Box::pin(async move { self.earlier_verdict_for(&parts, &nik).await })
    }

    fn access_problems(&self, parts: Parts) -> BoxFuture<'_, Result<Vec<AccessProblem>, AppError>> {
        Box::pin(async move { self.access_problems_for(&parts).await })
    }

    fn audit_search_options(
        &self,
        parts: Parts,
    ) -> BoxFuture<'_, Result<AuditSearchOptions, AppError>> {
        Box::pin(async move { self.audit_options(&parts).await })
    }

    fn search_access(
        &self,
        parts: Parts,
        form: AccessSearchForm,
    ) -> BoxFuture<'_, Result<AccessSearchPage, AppError>> {
        Box::pin(async move { self.search_access_page(&parts, &form).await })
    }

    fn audit_chain_status(
        &self,
        parts: Parts,
    ) -> BoxFuture<'_, Result<AuditChainStatus, AppError>> {
        Box::pin(async move { self.chain_status(&parts).await })
    }

    fn verify_audit_chain(
        &self,
        parts: Parts,
    ) -> BoxFuture<'_, Result<AuditVerifyResult, AppError>> {
        Box::pin(async move { self.verify_chain(&parts).await })
    }
}

/// Whether the account has a passkey or an unused recovery code (a partial session then needs
/// the second-factor step; otherwise it must enrol a first passkey).
pub(crate) async fn has_second_factor(
    storage: &dyn crate::storage::Storage,
    account_id: i64,
) -> Result<bool, StorageError> {
    Ok(!storage.list_passkeys(account_id).await?.is_empty()
        || storage.count_recovery_codes(account_id).await? > 0)
}
