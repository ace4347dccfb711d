//! The authentication endpoints under `/auth/` (JSON in, JSON out; errors
//! `{"error":{"code","message"}}` with stable codes and Indonesian messages; bodies at most
//! 16 KiB; unknown fields refused). The portal's pages call these with `fetch`.
//!
//! | method | path | who | body | answer |
//! | --- | --- | --- | --- | --- |
//! | POST | `/auth/sign-in` | anyone | `{username, password}` | session view |
//! | POST | `/auth/sign-out` | anyone | none | `{"state":"anonymous"}` |
//! | POST | `/auth/sign-out-everywhere` | signed in (partial too) | none | `{"state":"anonymous","sessions_ended":true}` |
//! | GET | `/auth/me` | anyone | | session view |
//! | POST | `/auth/passkey/register/start` | signed in (partial: first passkey only) | `{name?}` | `{"publicKey":{...}}` |
//! | POST | `/auth/passkey/register/finish` | signed in | `{credential}` | `{passkey, session}` |
//! | POST | `/auth/passkey/sign-in/start` | anyone (signed in: 2nd factor; else passwordless) | `{}` or none | `{"publicKey":{...}}` |
//! | POST | `/auth/passkey/sign-in/finish` | anyone | `{credential}` | session view |
//! | GET | `/auth/passkeys` | authenticated | | `{passkeys:[...], recovery_codes_remaining}` |
//! | DELETE | `/auth/passkeys/{id}` | authenticated | | `{passkeys:[...], ...}` |
//! | POST | `/auth/recovery-codes` | authenticated | none | `{codes:[10 codes]}` (shown once) |
//! | POST | `/auth/recovery-code` | signed in (partial) | `{code}` | session view + `recovery_codes_remaining` |
//! | POST | `/auth/admin/accounts/{id}/second-factor-reset` | institution / Disdukcapil admin | none | `{passkeys_removed, recovery_codes_removed}` |
//!
//! The session view: `{"state": "anonymous" | "enrolment_required" |
//! "second_factor_required" | "authenticated", "user": {...}?, "passkeys": n?,
//! "recovery_codes_remaining": n?, "expires_at_ms": n?}`.

use crate::{
    auth::{
        AuthFailure, ClientInfo, CurrentUser, SignedIn, passkey, recovery,
        session::{self, SessionHandle, SessionUser},
        sign_in_session,
    },
    state::AppState,
    storage::Actor,
    web::doors::{DoorRouter, Verb::*},
};
use axum::{
    Json,
    extract::{FromRequest, Path, Request, State, rejection::JsonRejection},
};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use serde_json::{Value, json};
use tower_http::limit::RequestBodyLimitLayer;
use webauthn_rs::prelude::{PublicKeyCredential, RegisterPublicKeyCredential};

/// Largest body accepted by `/auth/` endpoints (a passkey answer is a few KiB).
pub const AUTH_BODY_LIMIT: usize = 16 * 1024;

/// The `/auth/` routes.
pub fn routes() -> DoorRouter<AppState> {
    DoorRouter::default()
        .at(Post, "/auth/sign-in", sign_in_handler)
        .at(Post, "/auth/sign-out", sign_out)
        .at(Post, "/auth/sign-out-everywhere", sign_out_everywhere)
        .at(Get, "/auth/me", me)
        .at(Post, "/auth/passkey/register/start", register_start)
        .at(Post, "/auth/passkey/register/finish", register_finish)
        .at(Post, "/auth/passkey/sign-in/start", passkey_start)
        .at(Post, "/auth/passkey/sign-in/finish", passkey_finish)
        .at(Get, "/auth/passkeys", list_passkeys)
        .at(Delete, "/auth/passkeys/{id}", remove_passkey)
        .at(Post, "/auth/recovery-codes", generate_codes)
        .at(Post, "/auth/recovery-code", use_code)
        .at(
            Post,
            "/auth/admin/accounts/{id}/second-factor-reset",
            admin_reset,
        )
        .map(|r| r.layer(RequestBodyLimitLayer::new(AUTH_BODY_LIMIT)))
}

/// A JSON body whose rejections are answered in our error format.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = AuthFailure;

    async fn from_request(req: Request, state: &S) -> Result<Self, AuthFailure> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(JsonBody(v)),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(AuthFailure::InvalidRequest(
                "Permintaan harus berupa JSON (Content-Type: application/json).".into(),
            )),
            Err(JsonRejection::JsonDataError(e)) => Err(AuthFailure::InvalidRequest(format!(
                "Isi permintaan tidak sesuai: {}",
                e.body_text()
            ))),
            Err(e) => Err(AuthFailure::InvalidRequest(format!(
                "Isi permintaan tidak dapat dibaca: {}",
                e.body_text()
            ))),
        }
    }
}

/// The user part of a session view.
#[derive(Debug, Serialize)]
struct UserView<'a> {
    account_id: i64,
    username: &'a str,
    display_name: &'a str,
    role: domain::access::Role,
    role_label: &'a str,
    institution_id: Option<i64>,
    second_factor: bool,
}

async fn session_view(
    state: &AppState,
    user: Option<&SessionUser>,
) -> Result<Json<Value>, AuthFailure> {
    let Some(u) = user else {
        return Ok(Json(json!({ "state": "anonymous" })));
    };
    let storage = &state.storage;
    let passkeys = storage.list_passkeys(u.user.account_id).await?.len();
    let codes = storage.count_recovery_codes(u.user.account_id).await?;
    let status = if u.fully_authenticated {
        "authenticated"
    } else if passkeys == 0 && codes == 0 {
        "enrolment_required"
    } else {
        "second_factor_required"
    };
    let user_view = UserView {
        account_id: u.user.account_id,
        username: &u.user.username,
        display_name: &u.user.display_name,
        role: u.user.role,
        role_label: u.user.role.label_id(),
        institution_id: u.user.institution_id,
        second_factor: u.user.second_factor,
    };
    Ok(Json(json!({
        "state": status,
        "user": user_view,
        "second_factor_required": u.second_factor_required,
        "methods": u.methods,
        "passkeys": passkeys,
        "recovery_codes_remaining": codes,
        "expires_at_ms": u.expires_at_ms,
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignInBody {
    username: String,
    password: String,
}

async fn sign_in_handler(
    State(state): State<AppState>,
    SessionHandle(session): SessionHandle,
    client: ClientInfo,
    JsonBody(body): JsonBody<SignInBody>,
) -> Result<Json<Value>, AuthFailure> {
    let user = sign_in_session(
        &state.auth,
        &session,
        &body.username,
        &body.password,
        &client,
    )
    .await?;
    session_view(&state, Some(&user)).await
}

async fn sign_out(
    State(state): State<AppState>,
    SessionHandle(session): SessionHandle,
    user: Option<SignedIn>,
    client: ClientInfo,
) -> Result<Json<Value>, AuthFailure> {
    session::sign_out(&state.auth, &session, user.as_ref().map(|u| &u.0), &client).await?;
    Ok(Json(json!({ "state": "anonymous" })))
}

async fn sign_out_everywhere(
    State(state): State<AppState>,
    SessionHandle(session): SessionHandle,
    SignedIn(u): SignedIn,
    client: ClientInfo,
) -> Result<Json<Value>, AuthFailure> {
    session::sign_out_everywhere(&state.auth, &session, &u, &client).await?;
    Ok(Json(
        json!({ "state": "anonymous", "sessions_ended": true }),
    ))
}

async fn me(
    State(state): State<AppState>,
    user: Option<SignedIn>,
) -> Result<Json<Value>, AuthFailure> {
    session_view(&state, user.as_ref().map(|s| &s.0)).await
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RegisterStartBody {
    #[serde(default)]
    name: Option<String>,
}

/// An optional JSON body: none (or empty) is the default.
async fn optional_body<T: DeserializeOwned + Default>(req: Request) -> Result<T, AuthFailure> {
    let bytes = axum::body::to_bytes(req.into_body(), AUTH_BODY_LIMIT)
        .await
        .map_err(|_| AuthFailure::InvalidRequest("Isi permintaan terlalu besar.".into()))?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(&bytes)
        .map_err(|e| AuthFailure::InvalidRequest(format!("Isi permintaan tidak sesuai: {e}")))
}

async fn register_start(
    State(state): State<AppState>,
    SessionHandle(session): SessionHandle,
    SignedIn(u): SignedIn,
    req: Request,
) -> Result<Json<Value>, AuthFailure> {
    let body: RegisterStartBody = optional_body(req).await?;
    passkey::start_registration(&state.auth, &session, &u, body.name.as_deref())
        .await
        .map(Json)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegisterFinishBody {
    credential: RegisterPublicKeyCredential,
}

async fn register_finish(
    State(state): State<AppState>,
    SessionHandle(session): SessionHandle,
    SignedIn(u): SignedIn,
    client: ClientInfo,
    JsonBody(body): JsonBody<RegisterFinishBody>,
) -> Result<Json<Value>, AuthFailure> {
    let (passkey, user) =
        passkey::finish_registration(&state.auth, &session, &u, &body.credential, &client).await?;
    let Json(view) = session_view(&state, Some(&user)).await?;
    Ok(Json(json!({ "passkey": passkey, "session": view })))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct EmptyBody {}

async fn passkey_start(
    State(state): State<AppState>,
    SessionHandle(session): SessionHandle,
    user: Option<SignedIn>,
    req: Request,
) -> Result<Json<Value>, AuthFailure> {
    let EmptyBody {} = optional_body(req).await?;
    passkey::start_authentication(&state.auth, &session, user.as_ref().map(|s| &s.0))
        .await
        .map(Json)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PasskeyFinishBody {
    credential: PublicKeyCredential,
}

async fn passkey_finish(
    State(state): State<AppState>,
    SessionHandle(session): SessionHandle,
    user: Option<SignedIn>,
    client: ClientInfo,
    JsonBody(body): JsonBody<PasskeyFinishBody>,
) -> Result<Json<Value>, AuthFailure> {
    let user = passkey::finish_authentication(
        &state.auth,
        &session,
        user.as_ref().map(|s| &s.0),
        &body.credential,
        &client,
    )
    .await?;
    session_view(&state, Some(&user)).await
}

async fn passkeys_view(state: &AppState, account_id: i64) -> Result<Json<Value>, AuthFailure> {
    let passkeys = passkey::list(&state.auth, account_id).await?;
    let codes = state.storage.count_recovery_codes(account_id).await?;
    Ok(Json(
        json!({ "passkeys": passkeys, "recovery_codes_remaining": codes }),
    ))
}

async fn list_passkeys(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<Value>, AuthFailure> {
    passkeys_view(&state, user.account_id).await
}

async fn remove_passkey(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientInfo,
    Path(id): Path<i64>,
) -> Result<Json<Value>, AuthFailure> {
    passkey::remove(&state.auth, &user, id, &client).await?;
    passkeys_view(&state, user.account_id).await
}

async fn generate_codes(
    State(state): State<AppState>,
    user: CurrentUser,
    client: ClientInfo,
) -> Result<Json<Value>, AuthFailure> {
    let codes = recovery::regenerate(&state.auth, &user, &client).await?;
    Ok(Json(json!({ "codes": codes })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UseCodeBody {
    code: String,
}

async fn use_code(
    State(state): State<AppState>,
    SessionHandle(session): SessionHandle,
    SignedIn(u): SignedIn,
    client: ClientInfo,
    JsonBody(body): JsonBody<UseCodeBody>,
) -> Result<Json<Value>, AuthFailure> {
    let (user, _remaining) =
        recovery::redeem(&state.auth, &session, &u, &body.code, &client).await?;
    session_view(&state, Some(&user)).await
}

async fn admin_reset(
    State(state): State<AppState>,
    actor: CurrentUser,
    client: ClientInfo,
    Path(id): Path<i64>,
) -> Result<Json<Value>, AuthFailure> {
    // The role first: a role that may reset nobody learns nothing about which ids exist.
    if !passkey::may_reset_some_second_factor(&actor) {
        return Err(AuthFailure::Forbidden);
    }
    let target = state
        .storage
        .account_by_id(id)
        .await?
        .ok_or(AuthFailure::AccountNotFound)?;
    if !passkey::may_reset_second_factor(&actor, &target) {
        return Err(AuthFailure::Forbidden);
    }
    let actor = Actor::account(actor.account_id, actor.username.clone())
        .from_request(client.ip.map(|i| i.to_string()), client.request_id.clone());
    let removed = passkey::reset_second_factor(
        state.storage.as_ref(),
        &target,
        &actor,
        state.auth.clock().now_ms(),
    )
    .await?;
    Ok(Json(json!({
        "passkeys_removed": removed.passkeys,
        "recovery_codes_removed": removed.recovery_codes,
    })))
}
