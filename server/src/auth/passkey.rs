//! Passkeys (WebAuthn, webauthn-rs): registration, sign-in as the second factor after the
//! password, passwordless sign-in with a discoverable passkey, listing, removal and the
//! administrator's reset of an account's second factors.
//!
//! Ceremony state (challenge, options) stays on the server: the row lives in
//! `auth_ceremonies`, its id in the session. Finishing takes the row with one
//! `DELETE ... RETURNING`, so a challenge is answered at most once (a replayed assertion finds
//! no ceremony) and a ceremony older than `auth.ceremony_timeout_seconds` is refused with
//! `PASSKEY_CEREMONY_EXPIRED`. Signature counters are checked by webauthn-rs and stored after
//! every use. User verification is required for every ceremony.

use super::{
    Auth, AuthError, AuthFailure, ClientInfo,
    session::{self, CEREMONY_KEY, CurrentUser, SessionUser},
    sign_in::{blocked_until, retry_after_secs},
    throttle::scope,
};
use crate::storage::{
    Account, Actor, AuditOutcome, Ceremony, NewAuditEvent, NewPasskey, SecondFactorReset, Storage,
    StorageError, StoredPasskey,
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use domain::access::{Permission, Role};
use rand::RngCore;
use serde::Serialize;
use serde_json::{Value, json};
use tower_sessions::Session;
use webauthn_rs::prelude::{
    DiscoverableAuthentication, Passkey, PasskeyAuthentication, PasskeyRegistration,
    PublicKeyCredential, RegisterPublicKeyCredential, Uuid,
};

/// Longest passkey name, in characters.
pub const NAME_MAX: usize = 64;

/// A passkey as shown to its owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PasskeyInfo {
    pub id: i64,
    pub name: String,
    pub created_at_ms: i64,
    pub last_used_at_ms: Option<i64>,
}

impl From<&StoredPasskey> for PasskeyInfo {
    fn from(p: &StoredPasskey) -> Self {
        PasskeyInfo {
            id: p.id,
            name: p.name.clone(),
            created_at_ms: p.created_at_ms,
            last_used_at_ms: p.last_used_at_ms,
        }
    }
}

const KIND_REGISTER: &str = "register";
const KIND_AUTHENTICATE: &str = "authenticate";
const KIND_DISCOVER: &str = "discover";

fn internal(what: &str, e: impl std::fmt::Display) -> AuthFailure {
    AuthFailure::Internal(AuthError::Internal(format!("{what}: {e}")))
}

fn session_err(e: tower_sessions::session::Error) -> AuthFailure {
    internal("session", e)
}

fn credential_key(raw: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(raw)
}

fn parse_passkey(p: &StoredPasskey) -> Result<Passkey, AuthFailure> {
    serde_json::from_str(&p.passkey).map_err(|e| internal("stored passkey", e))
}

/// Checks a passkey name: 1..=64 characters after trimming, no control characters.
fn check_name(name: Option<&str>) -> Result<String, AuthFailure> {
    let name = name.map(str::trim).unwrap_or("");
    if name.is_empty() {
        return Ok("Passkey".into());
    }
    if name.chars().count() > NAME_MAX || name.chars().any(char::is_control) {
        return Err(AuthFailure::InvalidRequest(format!(
            "Nama passkey paling banyak {NAME_MAX} karakter, tanpa karakter kontrol."
        )));
    }
    Ok(name.to_string())
}

/// Stores a new ceremony and remembers its id in the session (replacing any earlier one).
async fn put_ceremony(
    auth: &Auth,
    session: &Session,
    kind: &str,
    account_id: Option<i64>,
    state: String,
    detail: Value,
) -> Result<(), AuthFailure> {
    if let Some(old) = session
        .remove::<String>(CEREMONY_KEY)
        .await
        .map_err(session_err)?
    {
        auth.storage().take_ceremony(&old).await?;
    }
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let id = URL_SAFE_NO_PAD.encode(bytes);
    let now = auth.clock().now_ms();
    auth.storage()
        .put_ceremony(&Ceremony {
            id: id.clone(),
            kind: kind.into(),
            account_id,
            state,
            detail: detail.to_string(),
            expires_at_ms: now + auth.settings().ceremony_ms,
            created_at_ms: now,
        })
        .await?;
    session
        .insert(CEREMONY_KEY, &id)
        .await
        .map_err(session_err)?;
    Ok(())
}

/// Takes the session's ceremony (once): `NoCeremony` if there is none or it is of another
/// kind, `CeremonyExpired` if it is too old.
async fn take_ceremony(
    auth: &Auth,
    session: &Session,
    kinds: &[&str],
) -> Result<Ceremony, AuthFailure> {
    let id: String = session
        .remove(CEREMONY_KEY)
        .await
        .map_err(session_err)?
        .ok_or(AuthFailure::NoCeremony)?;
    let ceremony = auth
        .storage()
        .take_ceremony(&id)
        .await?
        .ok_or(AuthFailure::NoCeremony)?;
    if !kinds.contains(&ceremony.kind.as_str()) {
        return Err(AuthFailure::NoCeremony);
    }
    if ceremony.expires_at_ms <= auth.clock().now_ms() {
        return Err(AuthFailure::CeremonyExpired);
    }
    Ok(ceremony)
}

fn may_manage_passkeys(role: Role) -> Result<(), AuthFailure> {
    if role.allows(Permission::ManageOwnPasskeys) {
        Ok(())
    } else {
        Err(AuthFailure::Forbidden)
    }
}

/// Starts registering a passkey for the signed-in account. A session with the password only
/// may register the account's first passkey (enrolment); further passkeys need a fully
/// authenticated session. Returns the `CreationChallengeResponse` (`{"publicKey": {...}}`)
/// for `navigator.credentials.create`.
pub async fn start_registration(
    auth: &Auth,
    session: &Session,
    user: &SessionUser,
    name: Option<&str>,
) -> Result<Value, AuthFailure> {
    may_manage_passkeys(user.user.role)?;
    let name = check_name(name)?;
    let account_id = user.user.account_id;
    let existing = auth.storage().list_passkeys(account_id).await?;
    if !user.fully_authenticated && !existing.is_empty() {
        return Err(AuthFailure::EnrolmentNotAllowed);
    }
    let now = auth.clock().now_ms();
    let handle = auth
        .storage()
        .webauthn_user_handle(account_id, &Uuid::new_v4().to_string(), now)
        .await?;
    let handle = Uuid::parse_str(&handle).map_err(|e| internal("stored user handle", e))?;
    let exclude = existing
        .iter()
        .map(|p| parse_passkey(p).map(|pk| pk.cred_id().clone()))
        .collect::<Result<Vec<_>, _>>()?;
    let (ccr, state) = auth
        .webauthn()
        .start_passkey_registration(
            handle,
            &user.user.username,
            &user.user.display_name,
            Some(exclude),
        )
        .map_err(|e| internal("start passkey registration", e))?;
    let state = serde_json::to_string(&state).map_err(|e| internal("registration state", e))?;
    put_ceremony(
        auth,
        session,
        KIND_REGISTER,
        Some(account_id),
        state,
        json!({ "name": name }),
    )
    .await?;
    let mut options = serde_json::to_value(&ccr).map_err(|e| internal("creation options", e))?;
    // Ask for a discoverable credential where the authenticator can make one, so the passkey
    // also works for passwordless sign-in (the server's checks do not depend on it).
    if let Some(sel) = options
        .pointer_mut("/publicKey/authenticatorSelection")
        .and_then(Value::as_object_mut)
    {
        sel.insert("residentKey".into(), json!("preferred"));
    }
    Ok(options)
}

/// Finishes a registration: verifies the authenticator's answer, stores the passkey (audited
/// `passkey.register`). On a session that had only the password, the enrolment counts as
/// its second factor (new session id). Returns the passkey and the session as it now is.
pub async fn finish_registration(
    auth: &Auth,
    session: &Session,
    user: &SessionUser,
    credential: &RegisterPublicKeyCredential,
    client: &ClientInfo,
) -> Result<(PasskeyInfo, SessionUser), AuthFailure> {
    let ceremony = take_ceremony(auth, session, &[KIND_REGISTER]).await?;
    let account_id = user.user.account_id;
    if ceremony.account_id != Some(account_id) {
        return Err(AuthFailure::NoCeremony);
    }
    let state: PasskeyRegistration =
        serde_json::from_str(&ceremony.state).map_err(|e| internal("registration state", e))?;
    let name = serde_json::from_str::<Value>(&ceremony.detail)
        .ok()
        .and_then(|d| d.get("name").and_then(Value::as_str).map(str::to_string))
        .unwrap_or_else(|| "Passkey".into());
    let audit_user = |outcome, detail: Value, subject: Option<String>| {
        auth.audit(
            "passkey.register",
            outcome,
            Some(account_id),
            Some(&user.user.username),
            user.user.institution_id,
            subject,
            detail,
            client,
        )
    };
    let passkey = match auth
        .webauthn()
        .finish_passkey_registration(credential, &state)
    {
        Ok(p) => p,
        Err(e) => {
            tracing::info!(error = %e, "passkey registration did not verify");
            audit_user(
                AuditOutcome::Failure,
                json!({ "reason": "verification_failed" }),
                None,
            )
            .await?;
            return Err(AuthFailure::PasskeyFailed);
        }
    };
    // Enrolment on a password-only session is for the first passkey only: re-checked here, so
    // a passkey registered meanwhile elsewhere closes the door.
    if !user.fully_authenticated && !auth.storage().list_passkeys(account_id).await?.is_empty() {
        return Err(AuthFailure::EnrolmentNotAllowed);
    }
    let stored = auth
        .storage()
        .add_passkey(
            &NewPasskey {
                account_id,
                credential_id: credential_key(passkey.cred_id()),
                name,
                passkey: serde_json::to_string(&passkey)
                    .map_err(|e| internal("passkey encoding", e))?,
            },
            auth.clock().now_ms(),
        )
        .await
        .map_err(|e| match e {
            StorageError::Conflict => AuthFailure::PasskeyAlreadyRegistered,
            e => e.into(),
        })?;
    audit_user(
        AuditOutcome::Success,
        json!({ "passkey_id": stored.id, "enrolment": !user.fully_authenticated }),
        Some(format!("passkey:{}", stored.id)),
    )
    .await?;
    let now_user = if user.fully_authenticated {
        user.clone()
    } else {
        let account = active_account(auth, account_id).await?;
        session::add_second_factor(auth, session, &account, "passkey").await?
    };
    Ok((PasskeyInfo::from(&stored), now_user))
}

async fn active_account(auth: &Auth, account_id: i64) -> Result<Account, AuthFailure> {
    auth.storage()
        .account_by_id(account_id)
        .await?
        .filter(Account::is_active)
        .ok_or(AuthFailure::AuthRequired)
}

/// Starts a passkey sign-in. With a signed-in session: the second factor of that account
/// (its passkeys are offered). Without: passwordless, with a discoverable passkey (the
/// account is learnt from the passkey). Returns the `RequestChallengeResponse`
/// (`{"publicKey": {...}}`) for `navigator.credentials.get`.
pub async fn start_authentication(
    auth: &Auth,
    session: &Session,
    user: Option<&SessionUser>,
) -> Result<Value, AuthFailure> {
    let (rcr, kind, account_id, state) = match user {
        Some(u) => {
            let stored = auth.storage().list_passkeys(u.user.account_id).await?;
            if stored.is_empty() {
                return Err(AuthFailure::NoPasskeyRegistered);
            }
            let passkeys = stored
                .iter()
                .map(parse_passkey)
                .collect::<Result<Vec<_>, _>>()?;
            let (rcr, state) = auth
                .webauthn()
                .start_passkey_authentication(&passkeys)
                .map_err(|e| internal("start passkey authentication", e))?;
            let state =
                serde_json::to_string(&state).map_err(|e| internal("authentication state", e))?;
            (rcr, KIND_AUTHENTICATE, Some(u.user.account_id), state)
        }
        None => {
            let (mut rcr, state) = auth
                .webauthn()
                .start_discoverable_authentication()
                .map_err(|e| internal("start discoverable authentication", e))?;
            // A button-triggered (modal) request; the page may ask for conditional mediation.
            rcr.mediation = None;
            let state =
                serde_json::to_string(&state).map_err(|e| internal("authentication state", e))?;
            (rcr, KIND_DISCOVER, None, state)
        }
    };
    put_ceremony(auth, session, kind, account_id, state, json!({})).await?;
    serde_json::to_value(&rcr).map_err(|e| internal("request options", e))
}

/// Finishes a passkey sign-in (second factor or passwordless). On success the session gets a
/// new id and is fully authenticated. Audited `auth.second_factor` (second factor) or
/// `auth.sign_in` with method `passkey` (passwordless); failures count against the client
/// address like failed passwords.
pub async fn finish_authentication(
    auth: &Auth,
    session: &Session,
    user: Option<&SessionUser>,
    credential: &PublicKeyCredential,
    client: &ClientInfo,
) -> Result<SessionUser, AuthFailure> {
    let now = auth.clock().now_ms();
    let ip_key = client.ip.map(|ip| ip.to_string());
    if let Some(ip) = &ip_key
        && let Some(until) =
            blocked_until(auth, scope::CLIENT_IP, ip, &auth.settings().ip_limit, now).await?
    {
        return Err(AuthFailure::Throttled {
            retry_after_secs: retry_after_secs(until, now),
        });
    }
    let ceremony = take_ceremony(auth, session, &[KIND_AUTHENTICATE, KIND_DISCOVER]).await?;
    let result = if ceremony.kind == KIND_AUTHENTICATE {
        second_factor(auth, session, user, &ceremony, credential, client).await
    } else {
        passwordless(auth, session, &ceremony, credential, client).await
    };
    match result {
        Ok(u) => Ok(u),
        Err(Verify::Refused(event, account, reason)) => {
            if let Some(ip) = &ip_key {
                auth.storage()
                    .throttle_fail(
                        scope::CLIENT_IP,
                        ip,
                        now,
                        auth.settings().ip_limit.window_ms(),
                    )
                    .await?;
            }
            auth.audit(
                event,
                AuditOutcome::Failure,
                account.as_ref().map(|a| a.id),
                account.as_ref().map(|a| a.username.as_str()),
                account.as_ref().and_then(|a| a.institution_id),
                account.as_ref().map(|a| format!("account:{}", a.id)),
                json!({ "method": "passkey", "reason": reason }),
                client,
            )
            .await?;
            Err(AuthFailure::PasskeyFailed)
        }
        Err(Verify::Other(f)) => Err(f),
    }
}

/// A failed verification (event, account if known, reason code) or another refusal.
enum Verify {
    Refused(&'static str, Option<Account>, &'static str),
    Other(AuthFailure),
}

impl From<AuthFailure> for Verify {
    fn from(f: AuthFailure) -> Self {
        Verify::Other(f)
    }
}

impl From<StorageError> for Verify {
    fn from(e: StorageError) -> Self {
        Verify::Other(e.into())
    }
}

async fn second_factor(
    auth: &Auth,
    session: &Session,
    user: Option<&SessionUser>,
    ceremony: &Ceremony,
    credential: &PublicKeyCredential,
    client: &ClientInfo,
) -> Result<SessionUser, Verify> {
    const EVENT: &str = "auth.second_factor";
    let Some(user) = user.filter(|u| Some(u.user.account_id) == ceremony.account_id) else {
        return Err(AuthFailure::NoCeremony.into());
    };
    let account = active_account(auth, user.user.account_id).await?;
    let state: PasskeyAuthentication =
        serde_json::from_str(&ceremony.state).map_err(|e| internal("authentication state", e))?;
    let result = match auth
        .webauthn()
        .finish_passkey_authentication(credential, &state)
    {
        Ok(r) => r,
        Err(e) => {
            tracing::info!(error = %e, "passkey assertion did not verify");
            return Err(Verify::Refused(EVENT, Some(account), "verification_failed"));
        }
    };
    let Some(stored) = auth
        .storage()
        .passkey_by_credential_id(&credential_key(result.cred_id()))
        .await?
        .filter(|p| p.account_id == account.id)
    else {
        return Err(Verify::Refused(EVENT, Some(account), "unknown_credential"));
    };
    record_use(auth, &stored, &result).await?;
    let new_user = session::add_second_factor(auth, session, &account, "passkey").await?;
    auth.audit(
        EVENT,
        AuditOutcome::Success,
        Some(account.id),
        Some(&account.username),
        account.institution_id,
        Some(format!("account:{}", account.id)),
        json!({ "method": "passkey", "passkey_id": stored.id }),
        client,
    )
    .await
    .map_err(AuthFailure::from)?;
    Ok(new_user)
}

async fn passwordless(
    auth: &Auth,
    session: &Session,
    ceremony: &Ceremony,
    credential: &PublicKeyCredential,
    client: &ClientInfo,
) -> Result<SessionUser, Verify> {
    const EVENT: &str = "auth.sign_in";
    let Ok((handle, cred_id)) = auth
        .webauthn()
        .identify_discoverable_authentication(credential)
    else {
        return Err(Verify::Refused(EVENT, None, "no_user_handle"));
    };
    let Some(stored) = auth
        .storage()
        .passkey_by_credential_id(&credential_key(cred_id))
        .await?
    else {
        return Err(Verify::Refused(EVENT, None, "unknown_credential"));
    };
    let owner = auth
        .storage()
        .account_by_user_handle(&handle.to_string())
        .await?;
    let account = auth.storage().account_by_id(stored.account_id).await?;
    let Some(account) = account else {
        return Err(Verify::Refused(EVENT, None, "unknown_credential"));
    };
    if owner != Some(account.id) {
        return Err(Verify::Refused(
            EVENT,
            Some(account),
            "user_handle_mismatch",
        ));
    }
    if !account.is_active() {
        return Err(Verify::Refused(EVENT, Some(account), "inactive"));
    }
    let state: DiscoverableAuthentication =
        serde_json::from_str(&ceremony.state).map_err(|e| internal("authentication state", e))?;
    let passkey = parse_passkey(&stored)?;
    let result = match auth
        .webauthn()
        .finish_discoverable_authentication_v2(credential, state, &passkey)
    {
        Ok(r) => r,
        Err(e) => {
            tracing::info!(error = %e, "passwordless assertion did not verify");
            return Err(Verify::Refused(EVENT, Some(account), "verification_failed"));
        }
    };
    record_use(auth, &stored, &result).await?;
    let new_user = session::establish(auth, session, &account, "passkey", true).await?;
    auth.audit(
        EVENT,
        AuditOutcome::Success,
        Some(account.id),
        Some(&account.username),
        account.institution_id,
        Some(format!("account:{}", account.id)),
        json!({ "method": "passkey", "passkey_id": stored.id }),
        client,
    )
    .await
    .map_err(AuthFailure::from)?;
    auth.housekeeping().await;
    Ok(new_user)
}

/// Stores the counter (and backup flags) webauthn-rs reports after an assertion.
async fn record_use(
    auth: &Auth,
    stored: &StoredPasskey,
    result: &webauthn_rs::prelude::AuthenticationResult,
) -> Result<(), AuthFailure> {
    let mut passkey = parse_passkey(stored)?;
    passkey.update_credential(result);
    let json = serde_json::to_string(&passkey).map_err(|e| internal("passkey encoding", e))?;
    auth.storage()
        .record_passkey_use(stored.id, &json, auth.clock().now_ms())
        .await?;
    Ok(())
}

/// The account's passkeys.
pub async fn list(auth: &Auth, account_id: i64) -> Result<Vec<PasskeyInfo>, AuthFailure> {
    Ok(auth
        .storage()
        .list_passkeys(account_id)
        .await?
        .iter()
        .map(PasskeyInfo::from)
        .collect())
}

/// Removes one of the signed-in account's passkeys (audited `passkey.remove`). The last
/// passkey of a role that needs a second factor cannot be removed.
pub async fn remove(
    auth: &Auth,
    user: &CurrentUser,
    passkey_id: i64,
    client: &ClientInfo,
) -> Result<(), AuthFailure> {
    may_manage_passkeys(user.role)?;
    let existing = auth.storage().list_passkeys(user.account_id).await?;
    if !existing.iter().any(|p| p.id == passkey_id) {
        return Err(AuthFailure::PasskeyNotFound);
    }
    if existing.len() == 1 && auth.settings().requires_second_factor(user.role) {
        return Err(AuthFailure::LastPasskeyRequired);
    }
    if !auth
        .storage()
        .delete_passkey(user.account_id, passkey_id)
        .await?
    {
        return Err(AuthFailure::PasskeyNotFound);
    }
    auth.audit(
        "passkey.remove",
        AuditOutcome::Success,
        Some(user.account_id),
        Some(&user.username),
        user.institution_id,
        Some(format!("passkey:{passkey_id}")),
        json!({ "passkey_id": passkey_id }),
        client,
    )
    .await?;
    Ok(())
}

/// Whether `actor`'s role may reset anybody's second factor at all (checked before the target
/// is looked up).
pub fn may_reset_some_second_factor(actor: &CurrentUser) -> bool {
    actor.role.allows(Permission::ManageOperators)
        || actor.role.allows(Permission::ManageInstitutionAccounts)
}

/// Whether `actor` may reset `target`'s second factors: an institution admin for the operators
/// of their institution (`operators.manage`), a Disdukcapil admin for every other person's
/// account (`institution_accounts.manage`) and for operators too; never one's own account.
pub fn may_reset_second_factor(actor: &CurrentUser, target: &Account) -> bool {
    if actor.account_id == target.id || target.role == Role::Service {
        return false;
    }
    let same_institution =
        actor.institution_id.is_some() && actor.institution_id == target.institution_id;
    (actor.role.allows(Permission::ManageOperators)
        && target.role == Role::Operator
        && same_institution)
        || actor.role.allows(Permission::ManageInstitutionAccounts)
}

/// Removes every passkey and recovery code of `target`, ends all its sessions (and bumps its
/// session epoch), audited `passkey.admin_reset`. For the HTTP endpoint (after
/// [`may_reset_second_factor`]) and `sigap admin` (the console is trusted).
pub async fn reset_second_factor(
    storage: &dyn Storage,
    target: &Account,
    actor: &Actor,
    now_ms: i64,
) -> Result<SecondFactorReset, StorageError> {
    let removed = storage.reset_second_factor(target.id).await?;
    storage.end_account_sessions(target.id, now_ms).await?;
    storage
        .append_audit_event(&NewAuditEvent {
            at_ms: now_ms,
            event: "passkey.admin_reset".into(),
            outcome: AuditOutcome::Success,
            actor_account_id: actor.account_id,
            actor_username: actor.username.clone(),
            institution_id: target.institution_id,
            subject: Some(format!("account:{}", target.id)),
            detail: json!({
                "passkeys_removed": removed.passkeys,
                "recovery_codes_removed": removed.recovery_codes,
            }),
            client_ip: actor.client_ip.clone(),
            request_id: actor.request_id.clone(),
        })
        .await?;
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: i64, role: Role, inst: Option<i64>) -> CurrentUser {
        CurrentUser {
            account_id: id,
            username: format!("u{id}"),
            display_name: format!("U {id}"),
            role,
            institution_id: inst,
            second_factor: true,
        }
    }

    fn account(id: i64, role: Role, inst: Option<i64>) -> Account {
        Account {
            id,
            username: format!("u{id}"),
            display_name: format!("U {id}"),
            role,
            institution_id: inst,
            local_user_id: None,
            password_hash: None,
            status: domain::identity::AccountStatus::Active,
            demo_password: false,
            session_epoch: 0,
            created_at: 0,
            updated_at: 0,
            deactivated_at: None,
        }
    }

    #[test]
    fn who_may_reset_second_factors() {
        let inst_admin = user(1, Role::InstitutionAdmin, Some(7));
        let dk_admin = user(2, Role::DisdukcapilAdmin, None);
        let op_same = account(10, Role::Operator, Some(7));
        let op_other = account(11, Role::Operator, Some(8));
        let head = account(12, Role::Head, Some(7));
        assert!(may_reset_second_factor(&inst_admin, &op_same));
        assert!(!may_reset_second_factor(&inst_admin, &op_other));
        assert!(!may_reset_second_factor(&inst_admin, &head));
        assert!(may_reset_second_factor(&dk_admin, &head));
        assert!(may_reset_second_factor(&dk_admin, &op_other));
        assert!(!may_reset_second_factor(
            &dk_admin,
            &account(2, Role::DisdukcapilAdmin, None)
        ));
        assert!(!may_reset_second_factor(
            &user(3, Role::Operator, Some(7)),
            &op_same
        ));
    }

    #[test]
    fn passkey_names_are_checked() {
        assert_eq!(check_name(None).unwrap(), "Passkey");
        assert_eq!(check_name(Some("  Laptop  ")).unwrap(), "Laptop");
        assert!(check_name(Some(&"x".repeat(65))).is_err());
        assert!(check_name(Some("a\nb")).is_err());
    }
}
