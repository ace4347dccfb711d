//! Password sign-in: throttled per username (as typed) and per client address, one answer for
//! every failure (unknown account, wrong password, deactivated account, service account),
//! with the same work done in each case (an argon2id verification against a dummy hash when
//! there is no account), and an audit entry `auth.sign_in` for every attempt (the username as
//! typed, never the password).

use super::{
    Auth, AuthError, AuthFailure, ClientInfo,
    password::{dummy_hash, verify_password},
    throttle::{Limit, scope},
};
use crate::storage::{Account, AuditOutcome};
use serde_json::json;

/// Why a sign-in did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// Wrong username or password, or an account that may not sign in: one answer for all.
    #[error("sign-in failed")]
    Failed,
    /// Too many failures for this username or client address.
    #[error("too many attempts; retry after {retry_after_secs} s")]
    Throttled { retry_after_secs: u64 },
    #[error(transparent)]
    Internal(#[from] AuthError),
}

impl From<SignInError> for AuthFailure {
    fn from(e: SignInError) -> Self {
        match e {
            SignInError::Failed => AuthFailure::SignInFailed,
            SignInError::Throttled { retry_after_secs } => {
                AuthFailure::Throttled { retry_after_secs }
            }
            SignInError::Internal(e) => AuthFailure::Internal(e),
        }
    }
}

/// Longest username and password looked at; longer input fails like a wrong password.
const USERNAME_MAX: usize = 128;
const PASSWORD_MAX_BYTES: usize = 4096;

/// The throttle key of a username as typed.
pub(crate) fn username_key(username: &str) -> String {
    domain::identity::username_key(username.trim())
}

/// Until when the key is blocked, if it is at `now`.
pub(crate) async fn blocked_until(
    auth: &Auth,
    scope: &str,
    key: &str,
    limit: &Limit,
    now: i64,
) -> Result<Option<i64>, AuthError> {
    Ok(auth
        .storage()
        .throttle_state(scope, key)
        .await?
        .and_then(|state| limit.blocked_until(&state, now)))
}

/// Seconds to wait until `until_ms` (at least 1).
pub(crate) fn retry_after_secs(until_ms: i64, now_ms: i64) -> u64 {
    u64::try_from((until_ms - now_ms + 999) / 1000)
        .unwrap_or(1)
        .max(1)
}

/// Whether the sign-in throttle holds an attempt back (the client address first, then the
/// username as typed): until when, and why (`throttled_ip`, `throttled_account`). Also used
/// by every other check of a password (`auth::password_change`): guessing there is guessing
/// here.
pub(crate) async fn throttled(
    auth: &Auth,
    user_key: &str,
    ip_key: Option<&str>,
    now: i64,
) -> Result<Option<(i64, &'static str)>, AuthError> {
    let settings = auth.settings();
    if let Some(ip) = ip_key
        && let Some(until) =
            blocked_until(auth, scope::CLIENT_IP, ip, &settings.ip_limit, now).await?
    {
        return Ok(Some((until, "throttled_ip")));
    }
    Ok(blocked_until(
        auth,
        scope::SIGN_IN_USER,
        user_key,
        &settings.account_limit,
        now,
    )
    .await?
    .map(|until| (until, "throttled_account")))
}

/// Counts a wrong password against the username (as typed) and the client address.
pub(crate) async fn count_failure(
    auth: &Auth,
    user_key: &str,
    ip_key: Option<&str>,
    now: i64,
) -> Result<(), AuthError> {
    let settings = auth.settings();
    let storage = auth.storage();
    storage
        .throttle_fail(
            scope::SIGN_IN_USER,
            user_key,
            now,
            settings.account_limit.window_ms(),
        )
        .await?;
    if let Some(ip) = ip_key {
        storage
            .throttle_fail(scope::CLIENT_IP, ip, now, settings.ip_limit.window_ms())
            .await?;
    }
    Ok(())
}

/// Checks a username and password. On success returns the (active) account; the caller
/// starts the session (`session::establish`). Every attempt is audited as `auth.sign_in`.
pub async fn sign_in(
    auth: &Auth,
    username: &str,
    password: &str,
    client: &ClientInfo,
) -> Result<Account, SignInError> {
    let now = auth.clock().now_ms();
    let typed: String = username.trim().chars().take(USERNAME_MAX).collect();
    let user_key = username_key(&typed);
    let ip_key = client.ip.map(|ip| ip.to_string());

    // 1. Throttling, before any password work. Refused attempts are not counted.
    let blocked = throttled(auth, &user_key, ip_key.as_deref(), now).await?;
    if let Some((until, reason)) = blocked {
        auth.audit(
            "auth.sign_in",
            AuditOutcome::Refused,
            None,
            Some(&typed),
            None,
            None,
            json!({ "reason": reason }),
            client,
        )
        .await?;
        return Err(SignInError::Throttled {
            retry_after_secs: retry_after_secs(until, now),
        });
    }

    // 2. The account, and the same password work whether or not it exists.
    let account = if typed.is_empty() {
        None
    } else {
        auth.storage()
            .account_by_username(&typed)
            .await
            .map_err(AuthError::from)?
    };
    let stored_hash = account
        .as_ref()
        .and_then(|a| a.password_hash.clone())
        .unwrap_or_else(|| dummy_hash().to_string());
    let password_ok = if password.len() > PASSWORD_MAX_BYTES {
        // Still spend the time of one verification.
        let _ = verify_hash_blocking(String::new(), dummy_hash().to_string()).await;
        false
    } else {
        verify_hash_blocking(password.to_string(), stored_hash).await?
    };

    let outcome = match &account {
        None => Err("unknown_account"),
        Some(a) if a.password_hash.is_none() => Err("no_password"),
        Some(_) if !password_ok => Err("wrong_password"),
        Some(a) if !a.is_active() => Err("inactive"),
        Some(_) => Ok(()),
    };

    match outcome {
        Ok(()) => {
            let Some(account) = account else {
                return Err(SignInError::Failed);
            };
            auth.storage()
                .throttle_clear(scope::SIGN_IN_USER, &user_key)
                .await
                .map_err(AuthError::from)?;
            auth.audit(
                "auth.sign_in",
                AuditOutcome::Success,
                Some(account.id),
                Some(&typed),
                account.institution_id,
                Some(format!("account:{}", account.id)),
                json!({ "method": "password" }),
                client,
            )
            .await?;
            auth.housekeeping().await;
            Ok(account)
        }
        Err(reason) => {
            count_failure(auth, &user_key, ip_key.as_deref(), now).await?;
            // A correct password on an account that may not sign in is "refused".
            let audit_outcome = if reason == "inactive" {
                AuditOutcome::Refused
            } else {
                AuditOutcome::Failure
            };
            auth.audit(
                "auth.sign_in",
                audit_outcome,
                account.as_ref().map(|a| a.id),
                Some(&typed),
                account.as_ref().and_then(|a| a.institution_id),
                account.as_ref().map(|a| format!("account:{}", a.id)),
                json!({ "reason": reason }),
                client,
            )
            .await?;
            Err(SignInError::Failed)
        }
    }
}

/// Sign-in for callers holding the request's session (the `/auth/sign-in` endpoint, or a
/// Leptos server function: the session is `parts.extensions.get::<tower_sessions::Session>()`):
/// [`sign_in`], then a new session id with the account signed in. The answer says whether the
/// second factor is still needed (`SessionUser::fully_authenticated`).
pub async fn sign_in_session(
    auth: &Auth,
    session: &tower_sessions::Session,
    username: &str,
    password: &str,
    client: &ClientInfo,
) -> Result<super::SessionUser, AuthFailure> {
    let account = sign_in(auth, username, password, client).await?;
    super::session::establish(auth, session, &account, "password", false).await
}

/// argon2id verification off the async workers (it takes tens of milliseconds of CPU).
async fn verify_hash_blocking(password: String, phc: String) -> Result<bool, AuthError> {
    tokio::task::spawn_blocking(move || verify_password(&password, &phc))
        .await
        .map_err(|e| AuthError::Internal(format!("password verification task: {e}")))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_rounds_up() {
        assert_eq!(retry_after_secs(1001, 0), 2);
        assert_eq!(retry_after_secs(1000, 0), 1);
        assert_eq!(retry_after_secs(0, 0), 1);
    }

    #[test]
    fn usernames_are_keyed_without_case() {
        assert_eq!(username_key("  Budi.Santoso "), "budi.santoso");
    }
}
