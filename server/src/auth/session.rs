//! Sessions: tower-sessions over our own database (`DbSessionStore` on the
//! `storage::SessionRecordStore` area, both backends), the `sigap_session` cookie (`HttpOnly`,
//! `SameSite=Strict`, `Secure` except the plain-HTTP demo on loopback), and the middleware
//! that checks on every request that the signed-in session is still valid: idle timeout,
//! absolute timeout, account active and its `session_epoch` unchanged.
//!
//! What a handler sees: [`CurrentUser`] (fully authenticated: the password, and the second
//! factor when the role needs one), [`SignedIn`] (also "partially authenticated" sessions, for
//! the passkey enrolment and verification endpoints), `Option<CurrentUser>`, and for Leptos
//! server functions [`current_user_from_parts`] / [`auth_state_from_parts`].
//!
//! The session id is a 128-bit random value drawn by tower-sessions; it is replaced
//! (`cycle_id`) at sign-in and whenever the session gains a factor. Only its SHA-256 is stored,
//! and it is never logged.

use super::{Auth, AuthFailure, ClientInfo, ClientIp, Clock};
use crate::storage::{Account, SessionWrite, Storage, StorageError};
use axum::{
    extract::{FromRequestParts, OptionalFromRequestParts, Request, State},
    middleware::Next,
    response::{IntoResponse, Response},
};
use domain::access::Role;
use http::request::Parts;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::{collections::HashMap, convert::Infallible, sync::Arc};
use tower_sessions::{
    Expiry, Session, SessionManagerLayer, SessionStore,
    cookie::SameSite,
    session::{Id, Record},
    session_store,
};

/// The session cookie's name.
pub const COOKIE_NAME: &str = "sigap_session";
/// Session data key of the authentication state.
pub(crate) const AUTH_KEY: &str = "sigap.auth";
/// Session data key of the running passkey ceremony's id.
pub(crate) const CEREMONY_KEY: &str = "sigap.ceremony";
/// Activity is recorded at most this often (each record is a database write), so the idle
/// timeout may end a session up to this much early.
const ACTIVITY_GRANULARITY_MS: i64 = 60_000;

/// How a session authenticated, stored in the session under [`AUTH_KEY`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct SessionAuth {
    pub account_id: i64,
    /// The account's `session_epoch` at sign-in; a different one ends the session.
    pub epoch: i64,
    /// A passkey or recovery code was used.
    pub second_factor: bool,
    /// `password`, `passkey`, `recovery_code`, in the order used.
    pub methods: Vec<String>,
    /// Start of the absolute timeout.
    pub authenticated_at_ms: i64,
    /// Last recorded activity: start of the idle timeout.
    pub last_seen_ms: i64,
}

/// The signed-in account, as handlers and server functions see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub account_id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// `None` for roles not bound to an institution.
    pub institution_id: Option<i64>,
    /// A second factor (passkey or recovery code) was used in this session.
    pub second_factor: bool,
}

/// A signed-in session (full or partial), put in the request extensions by
/// [`resolve_session`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionUser {
    pub user: CurrentUser,
    /// The password, and the second factor when the role needs one. A session that is not
    /// fully authenticated reaches only the passkey enrolment and verification endpoints.
    pub fully_authenticated: bool,
    /// The role needs a second factor (configuration `auth.second_factor_roles`).
    pub second_factor_required: bool,
    /// `password`, `passkey`, `recovery_code`, in the order used.
    pub methods: Vec<String>,
    pub authenticated_at_ms: i64,
    /// When the session ends if there is no activity (or the absolute timeout, if sooner).
    pub expires_at_ms: i64,
}

/// Marker in the request extensions: the session this request carried ended on it (timeout,
/// account deactivated or changed, signed out elsewhere). Extractors answer
/// `SESSION_EXPIRED` instead of `AUTH_REQUIRED`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionEnded(pub EndReason);

/// Why a session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EndReason {
    Idle,
    Absolute,
    /// Account deactivated, role or password changed, signed out everywhere.
    Revoked,
    /// The stored session data could not be read.
    Unreadable,
    /// The cookie names no stored session: expired and deleted, ended elsewhere, or unknown.
    Gone,
}

/// Where a request stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthState {
    Anonymous,
    /// Password verified; the second factor is still needed.
    Partial(SessionUser),
    Authenticated(SessionUser),
}

/// The fully authenticated user of a request (from a Leptos server function:
/// `use_context::<http::request::Parts>()`), or `None`.
pub async fn current_user_from_parts(parts: &Parts) -> Option<CurrentUser> {
    parts
        .extensions
        .get::<SessionUser>()
        .filter(|u| u.fully_authenticated)
        .map(|u| u.user.clone())
}

/// Where the request stands (anonymous, partial, authenticated), from request parts.
pub async fn auth_state_from_parts(parts: &Parts) -> AuthState {
    match parts.extensions.get::<SessionUser>() {
        None => AuthState::Anonymous,
        Some(u) if u.fully_authenticated => AuthState::Authenticated(u.clone()),
        Some(u) => AuthState::Partial(u.clone()),
    }
}

impl<S: Send + Sync> FromRequestParts<S> for CurrentUser {
    type Rejection = AuthFailure;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, AuthFailure> {
        match parts.extensions.get::<SessionUser>() {
            Some(u) if u.fully_authenticated => Ok(u.user.clone()),
            Some(_) => Err(AuthFailure::SecondFactorRequired),
            None if parts.extensions.get::<SessionEnded>().is_some() => {
                Err(AuthFailure::SessionExpired)
            }
            None => Err(AuthFailure::AuthRequired),
        }
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for CurrentUser {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Option<Self>, Infallible> {
        Ok(current_user_from_parts(parts).await)
    }
}

/// A signed-in session, fully or partially authenticated (for the enrolment and
/// second-factor endpoints).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn(pub SessionUser);

impl<S: Send + Sync> FromRequestParts<S> for SignedIn {
    type Rejection = AuthFailure;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, AuthFailure> {
        match parts.extensions.get::<SessionUser>() {
            Some(u) => Ok(SignedIn(u.clone())),
            None if parts.extensions.get::<SessionEnded>().is_some() => {
                Err(AuthFailure::SessionExpired)
            }
            None => Err(AuthFailure::AuthRequired),
        }
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for SignedIn {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Option<Self>, Infallible> {
        Ok(parts.extensions.get::<SessionUser>().cloned().map(SignedIn))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ClientInfo {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Infallible> {
        Ok(client_info(parts))
    }
}

/// The client address (from the network guard) and request id of a request.
pub fn client_info(parts: &Parts) -> ClientInfo {
    let request_id = parts
        .headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 64)
        .filter(|v| {
            v.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        })
        .map(str::to_string);
    ClientInfo {
        ip: parts.extensions.get::<ClientIp>().map(|c| c.0),
        request_id,
    }
}

impl<S: Send + Sync> FromRequestParts<S> for SessionHandle {
    type Rejection = AuthFailure;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, AuthFailure> {
        parts
            .extensions
            .get::<Session>()
            .cloned()
            .map(SessionHandle)
            .ok_or_else(|| {
                AuthFailure::Internal(super::AuthError::Internal(
                    "the session layer is not installed".into(),
                ))
            })
    }
}

/// The tower-sessions session of a request (the session layer always provides one), with a
/// rejection in our error format.
#[derive(Debug, Clone)]
pub struct SessionHandle(pub Session);

fn session_err(e: tower_sessions::session::Error) -> AuthFailure {
    AuthFailure::Internal(super::AuthError::Internal(format!("session: {e}")))
}

/// Builds the session layer for these settings.
pub fn session_layer(auth: &Arc<Auth>) -> SessionManagerLayer<DbSessionStore> {
    let store = DbSessionStore {
        storage: auth.storage().clone(),
        clock: auth.clock().clone(),
        idle_ms: auth.settings().idle_ms,
        absolute_ms: auth.settings().absolute_ms,
    };
    SessionManagerLayer::new(store)
        .with_name(COOKIE_NAME)
        .with_http_only(true)
        .with_same_site(SameSite::Strict)
        .with_secure(auth.settings().cookie_secure)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(time::Duration::milliseconds(
            auth.settings().idle_ms,
        )))
}

/// Paths that never need the signed-in state (static build output, health checks): the
/// session is not loaded for them.
fn skips_session(path: &str) -> bool {
    path.starts_with("/pkg/") || path == "/favicon.svg" || path == "/healthz" || path == "/readyz"
}

fn has_bearer(headers: &http::HeaderMap) -> bool {
    headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_whitespace().next())
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("bearer"))
}

/// The middleware after the session layer: checks a signed-in session and puts
/// [`SessionUser`] (or [`SessionEnded`]) in the request extensions.
pub async fn resolve_session(
    State(auth): State<Arc<Auth>>,
    mut req: Request,
    next: Next,
) -> Response {
    // Bearer-token requests (the web-service API) are exempt from the CSRF check, so they
    // must not be authenticated by a cookie either.
    if skips_session(req.uri().path()) || has_bearer(req.headers()) {
        return next.run(req).await;
    }
    let Some(session) = req.extensions().get::<Session>().cloned() else {
        return next.run(req).await;
    };
    if session.id().is_some() {
        match check_session(&auth, &session).await {
            Ok(Some(user)) => {
                req.extensions_mut().insert(user);
            }
            Ok(None) if session.id().is_none() => {
                // The cookie's session is not in the store (any more).
                req.extensions_mut().insert(SessionEnded(EndReason::Gone));
            }
            Ok(None) => {}
            Err(Ok(reason)) => {
                if let Err(e) = session.flush().await {
                    return session_err(e).into_response();
                }
                tracing::info!(reason = ?reason, "session ended");
                req.extensions_mut().insert(SessionEnded(reason));
            }
            Err(Err(failure)) => return failure.into_response(),
        }
    }
    next.run(req).await
}

/// `Ok(None)`: no one signed in; `Err(Ok(reason))`: the session must end.
async fn check_session(
    auth: &Auth,
    session: &Session,
) -> Result<Option<SessionUser>, Result<EndReason, AuthFailure>> {
    let data: Option<SessionAuth> = match session.get(AUTH_KEY).await {
        Ok(d) => d,
        Err(tower_sessions::session::Error::SerdeJson(_)) => {
            return Err(Ok(EndReason::Unreadable));
        }
        Err(e) => return Err(Err(session_err(e))),
    };
    let Some(mut a) = data else {
        return Ok(None);
    };
    let s = auth.settings();
    let now = auth.clock().now_ms();
    if now >= a.last_seen_ms + s.idle_ms {
        return Err(Ok(EndReason::Idle));
    }
    if now >= a.authenticated_at_ms + s.absolute_ms {
        return Err(Ok(EndReason::Absolute));
    }
    let account = auth
        .storage()
        .account_by_id(a.account_id)
        .await
        .map_err(|e| Err(AuthFailure::from(e)))?;
    let Some(account) = account.filter(|acc| acc.is_active() && acc.session_epoch == a.epoch)
    else {
        return Err(Ok(EndReason::Revoked));
    };
    if now - a.last_seen_ms >= ACTIVITY_GRANULARITY_MS {
        a.last_seen_ms = now;
        session
            .insert(AUTH_KEY, &a)
            .await
            .map_err(|e| Err(session_err(e)))?;
    }
    Ok(Some(session_user(auth, &account, &a)))
}

fn session_user(auth: &Auth, account: &Account, a: &SessionAuth) -> SessionUser {
    let s = auth.settings();
    let required = s.requires_second_factor(account.role);
    SessionUser {
        user: CurrentUser {
            account_id: account.id,
            username: account.username.clone(),
            display_name: account.display_name.clone(),
            role: account.role,
            institution_id: account.institution_id,
            second_factor: a.second_factor,
        },
        fully_authenticated: a.second_factor || !required,
        second_factor_required: required,
        methods: a.methods.clone(),
        authenticated_at_ms: a.authenticated_at_ms,
        expires_at_ms: (a.last_seen_ms + s.idle_ms).min(a.authenticated_at_ms + s.absolute_ms),
    }
}

/// Starts a signed-in session for `account` after a successful first factor (`method`:
/// `password` or `passkey`): a new session id (no fixation), the old data dropped.
pub(crate) async fn establish(
    auth: &Auth,
    session: &Session,
    account: &Account,
    method: &str,
    second_factor: bool,
) -> Result<SessionUser, AuthFailure> {
    let now = auth.clock().now_ms();
    session.clear().await;
    session.cycle_id().await.map_err(session_err)?;
    let a = SessionAuth {
        account_id: account.id,
        epoch: account.session_epoch,
        second_factor,
        methods: vec![method.to_string()],
        authenticated_at_ms: now,
        last_seen_ms: now,
    };
    session.insert(AUTH_KEY, &a).await.map_err(session_err)?;
    Ok(session_user(auth, account, &a))
}

/// Records a second factor (`passkey`, `recovery_code`) on a signed-in session: a new session
/// id, since the session gains privileges.
pub(crate) async fn add_second_factor(
    auth: &Auth,
    session: &Session,
    account: &Account,
    method: &str,
) -> Result<SessionUser, AuthFailure> {
    rewrite(auth, session, account, |a| {
        a.second_factor = true;
        a.methods.push(method.to_string());
    })
    .await
}

/// Keeps this session signed in after its own account's epoch moved on (a password change
/// ended every session): the new epoch under a new session id, the rest of its state
/// (second factor, methods, timeouts) unchanged.
pub(crate) async fn renew(
    auth: &Auth,
    session: &Session,
    account: &Account,
) -> Result<SessionUser, AuthFailure> {
    rewrite(auth, session, account, |a| a.epoch = account.session_epoch).await
}

/// Changes this signed-in session's authentication state and moves it to a new session id.
async fn rewrite(
    auth: &Auth,
    session: &Session,
    account: &Account,
    change: impl FnOnce(&mut SessionAuth),
) -> Result<SessionUser, AuthFailure> {
    let mut a: SessionAuth = session
        .get(AUTH_KEY)
        .await
        .map_err(session_err)?
        .ok_or(AuthFailure::AuthRequired)?;
    if a.account_id != account.id {
        return Err(AuthFailure::AuthRequired);
    }
    change(&mut a);
    a.last_seen_ms = auth.clock().now_ms();
    session.cycle_id().await.map_err(session_err)?;
    session.insert(AUTH_KEY, &a).await.map_err(session_err)?;
    Ok(session_user(auth, account, &a))
}

/// Ends this session (sign out): deletes it and clears the cookie.
pub async fn end(session: &Session) -> Result<(), AuthFailure> {
    session.flush().await.map_err(session_err)
}

/// Signs out: audits `auth.sign_out` for a signed-in user, then ends this session. The one
/// implementation behind `/auth/sign-out` and the portal's sign-out server function.
pub async fn sign_out(
    auth: &Auth,
    session: &Session,
    user: Option<&SessionUser>,
    client: &ClientInfo,
) -> Result<(), AuthFailure> {
    if let Some(u) = user {
        audit_own(auth, "auth.sign_out", u, client).await?;
    }
    end(session).await
}

/// Signs out everywhere: deletes every session of the account and bumps its epoch (so cookies
/// elsewhere die at their next request), audits `auth.sign_out_everywhere`, ends this session.
pub async fn sign_out_everywhere(
    auth: &Auth,
    session: &Session,
    user: &SessionUser,
    client: &ClientInfo,
) -> Result<(), AuthFailure> {
    auth.storage()
        .end_account_sessions(user.user.account_id, auth.clock().now_ms())
        .await?;
    audit_own(auth, "auth.sign_out_everywhere", user, client).await?;
    end(session).await
}

async fn audit_own(
    auth: &Auth,
    event: &str,
    u: &SessionUser,
    client: &ClientInfo,
) -> Result<(), AuthFailure> {
    auth.audit(
        event,
        crate::storage::AuditOutcome::Success,
        Some(u.user.account_id),
        Some(&u.user.username),
        u.user.institution_id,
        Some(format!("account:{}", u.user.account_id)),
        serde_json::json!({}),
        client,
    )
    .await?;
    Ok(())
}

/// The session store over our database. Keyed by the SHA-256 of the session id; the expiry
/// written is the idle timeout from now (by the authentication clock), capped by the
/// absolute timeout of a signed-in session.
#[derive(Clone)]
pub struct DbSessionStore {
    storage: Arc<dyn Storage>,
    clock: Clock,
    idle_ms: i64,
    absolute_ms: i64,
}

impl std::fmt::Debug for DbSessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DbSessionStore")
            .field("idle_ms", &self.idle_ms)
            .field("absolute_ms", &self.absolute_ms)
            .finish_non_exhaustive()
    }
}

/// SHA-256 (hex) of a session id: what the database keys sessions by.
pub fn session_id_hash(id: &Id) -> String {
    let digest = Sha256::digest(id.to_string().as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn backend(e: StorageError) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

struct Fields {
    data: String,
    account_id: Option<i64>,
    epoch: Option<i64>,
    expires_at_ms: i64,
}

impl DbSessionStore {
    fn fields(&self, record: &Record, now: i64) -> session_store::Result<Fields> {
        let data = serde_json::to_string(&record.data)
            .map_err(|e| session_store::Error::Encode(e.to_string()))?;
        let auth: Option<SessionAuth> = record
            .data
            .get(AUTH_KEY)
            .and_then(|v| serde_json::from_value(v.clone()).ok());
        let idle_end = now + self.idle_ms;
        let expires_at_ms = match &auth {
            Some(a) => idle_end.min(a.authenticated_at_ms + self.absolute_ms),
            None => idle_end,
        };
        Ok(Fields {
            data,
            account_id: auth.as_ref().map(|a| a.account_id),
            epoch: auth.as_ref().map(|a| a.epoch),
            expires_at_ms,
        })
    }
}

#[async_trait::async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        let now = self.clock.now_ms();
        let f = self.fields(record, now)?;
        for _ in 0..8 {
            let hash = session_id_hash(&record.id);
            let write = SessionWrite {
                id_hash: &hash,
                data: &f.data,
                expires_at_ms: f.expires_at_ms,
                account_id: f.account_id,
                session_epoch: f.epoch,
                now_ms: now,
            };
            match self.storage.insert_session(&write).await {
                Ok(()) => return Ok(()),
                Err(StorageError::Conflict) => record.id = Id::default(),
                Err(e) => return Err(backend(e)),
            }
        }
        Err(session_store::Error::Backend(
            "no free session id after 8 draws".into(),
        ))
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let now = self.clock.now_ms();
        let f = self.fields(record, now)?;
        let hash = session_id_hash(&record.id);
        let write = SessionWrite {
            id_hash: &hash,
            data: &f.data,
            expires_at_ms: f.expires_at_ms,
            account_id: f.account_id,
            session_epoch: f.epoch,
            now_ms: now,
        };
        // A session deleted meanwhile (signed out, here or everywhere) is not brought back.
        self.storage
            .update_session(&write)
            .await
            .map(|_| ())
            .map_err(backend)
    }

    async fn load(&self, session_id: &Id) -> session_store::Result<Option<Record>> {
        let now = self.clock.now_ms();
        let Some(row) = self
            .storage
            .load_session(&session_id_hash(session_id), now)
            .await
            .map_err(backend)?
        else {
            return Ok(None);
        };
        let data: HashMap<String, serde_json::Value> = serde_json::from_str(&row.data)
            .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        let expiry_date = time::OffsetDateTime::from_unix_timestamp_nanos(
            i128::from(row.expires_at_ms) * 1_000_000,
        )
        .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        Ok(Some(Record {
            id: *session_id,
            data,
            expiry_date,
        }))
    }

    async fn delete(&self, session_id: &Id) -> session_store::Result<()> {
        self.storage
            .delete_session(&session_id_hash(session_id))
            .await
            .map_err(backend)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_ids_are_stored_hashed() {
        let id = Id::default();
        let h = session_id_hash(&id);
        assert_eq!(h.len(), 64);
        assert!(!h.contains(&id.to_string()));
        assert_eq!(h, session_id_hash(&id));
        assert_ne!(h, session_id_hash(&Id::default()));
    }

    #[tokio::test]
    async fn request_parts_carry_the_user() {
        let (mut parts, ()) = http::Request::new(()).into_parts();
        assert_eq!(current_user_from_parts(&parts).await, None);
        assert_eq!(auth_state_from_parts(&parts).await, AuthState::Anonymous);
        let user = CurrentUser {
            account_id: 7,
            username: "op".into(),
            display_name: "Op".into(),
            role: Role::Operator,
            institution_id: Some(1),
            second_factor: false,
        };
        let mut su = SessionUser {
            user: user.clone(),
            fully_authenticated: false,
            second_factor_required: true,
            methods: vec!["password".into()],
            authenticated_at_ms: 0,
            expires_at_ms: 1,
        };
        parts.extensions.insert(su.clone());
        assert_eq!(current_user_from_parts(&parts).await, None, "partial");
        assert!(matches!(
            auth_state_from_parts(&parts).await,
            AuthState::Partial(_)
        ));
        assert!(matches!(
            <CurrentUser as FromRequestParts<()>>::from_request_parts(&mut parts, &()).await,
            Err(AuthFailure::SecondFactorRequired)
        ));
        su.fully_authenticated = true;
        parts.extensions.insert(su);
        assert_eq!(current_user_from_parts(&parts).await, Some(user.clone()));
        assert_eq!(
            <CurrentUser as FromRequestParts<()>>::from_request_parts(&mut parts, &())
                .await
                .unwrap(),
            user
        );
    }

    #[test]
    fn static_and_health_paths_skip_the_session() {
        assert!(skips_session("/pkg/sigap.wasm"));
        assert!(skips_session("/healthz"));
        assert!(!skips_session("/auth/me"));
        assert!(!skips_session("/api/sf/shell_info"));
    }
}
