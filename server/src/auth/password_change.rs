//! Self-service password change for a signed-in person: the current password (a wrong one
//! counts as a failed sign-in attempt for throttling, per username and client address, and is
//! audited), the new one twice, the password policy (`auth::password`). Success stores the
//! new argon2id hash, ends every session of the account (epoch bump) and keeps this browser
//! signed in under a new session id; audited `auth.password_change`.

use super::{
    Auth, AuthError, AuthFailure, ClientInfo, SessionUser,
    password::{PasswordPolicyError, check_policy_for_user, dummy_hash, hash_password},
    sign_in::{count_failure, retry_after_secs, throttled, username_key},
    throttle::scope,
};
use crate::storage::AuditOutcome;
use serde_json::json;

/// Longest password looked at; longer input fails like a wrong one.
const PASSWORD_MAX_BYTES: usize = 4096;

/// Why a password change did not happen.
#[derive(Debug, thiserror::Error)]
pub enum PasswordChangeError {
    /// The current password is wrong (counted for throttling).
    #[error("the current password is wrong")]
    WrongCurrent,
    /// The two new passwords differ.
    #[error("the new passwords differ")]
    Mismatch,
    /// The new password equals the current one.
    #[error("the new password is the current one")]
    Unchanged,
    #[error(transparent)]
    Policy(PasswordPolicyError),
    /// The account has no password (service accounts).
    #[error("this account has no password")]
    NotAllowed,
    #[error("too many attempts; retry after {retry_after_secs} s")]
    Throttled { retry_after_secs: u64 },
    /// Not signed in any more, or an internal failure.
    #[error("{}", .0.code())]
    Failure(AuthFailure),
}

impl From<AuthError> for PasswordChangeError {
    fn from(e: AuthError) -> Self {
        PasswordChangeError::Failure(AuthFailure::Internal(e))
    }
}

impl From<crate::storage::StorageError> for PasswordChangeError {
    fn from(e: crate::storage::StorageError) -> Self {
        PasswordChangeError::Failure(e.into())
    }
}

impl PasswordChangeError {
    /// The stable code of a refusal (`PASSWORD_CURRENT_WRONG`, `PASSWORD_MISMATCH`,
    /// `PASSWORD_UNCHANGED`, the policy's codes, `PASSWORD_NOT_ALLOWED`, `TOO_MANY_ATTEMPTS`).
    pub fn code(&self) -> &'static str {
        match self {
            PasswordChangeError::WrongCurrent => "PASSWORD_CURRENT_WRONG",
            PasswordChangeError::Mismatch => "PASSWORD_MISMATCH",
            PasswordChangeError::Unchanged => "PASSWORD_UNCHANGED",
            PasswordChangeError::Policy(p) => p.code(),
            PasswordChangeError::NotAllowed => "PASSWORD_NOT_ALLOWED",
            PasswordChangeError::Throttled { .. } => "TOO_MANY_ATTEMPTS",
            PasswordChangeError::Failure(f) => f.code(),
        }
    }
}

async fn verify_blocking(password: String, phc: String) -> Result<bool, AuthError> {
    tokio::task::spawn_blocking(move || super::password::verify_password(&password, &phc))
        .await
        .map_err(|e| AuthError::Internal(format!("password verification task: {e}")))?
}

async fn hash_blocking(password: String) -> Result<String, AuthError> {
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| AuthError::Internal(format!("password hashing task: {e}")))?
}

/// Changes the signed-in user's password; on success this session continues under a new id
/// and every other session of the account has ended.
pub async fn change_password(
    auth: &Auth,
    session: &tower_sessions::Session,
    user: &SessionUser,
    current: &str,
    new: &str,
    confirm: &str,
    client: &ClientInfo,
) -> Result<SessionUser, PasswordChangeError> {
    let now = auth.clock().now_ms();
    let u = &user.user;
    let user_key = username_key(&u.username);
    let ip_key = client.ip.map(|ip| ip.to_string());
    let audit = move |outcome: AuditOutcome, detail: serde_json::Value| {
        auth.audit(
            "auth.password_change",
            outcome,
            Some(u.account_id),
            Some(&u.username),
            u.institution_id,
            Some(format!("account:{}", u.account_id)),
            detail,
            client,
        )
    };

    // 1. The same throttle as sign-in: guessing here is guessing there.
    let blocked = throttled(auth, &user_key, ip_key.as_deref(), now).await?;
    if let Some((until, reason)) = blocked {
        audit(AuditOutcome::Refused, json!({ "reason": reason })).await?;
        return Err(PasswordChangeError::Throttled {
            retry_after_secs: retry_after_secs(until, now),
        });
    }

    // 2. The current password, verified before anything else is looked at.
    let account = auth
        .storage()
        .account_by_id(u.account_id)
        .await?
        .filter(|a| a.is_active())
        .ok_or(PasswordChangeError::Failure(AuthFailure::AuthRequired))?;
    let Some(stored) = account.password_hash.clone() else {
        // Still spend the time of one verification.
        let _ = verify_blocking(String::new(), dummy_hash().to_string()).await;
        audit(AuditOutcome::Refused, json!({ "reason": "no_password" })).await?;
        return Err(PasswordChangeError::NotAllowed);
    };
    let current_ok = if current.len() > PASSWORD_MAX_BYTES {
        let _ = verify_blocking(String::new(), dummy_hash().to_string()).await;
        false
    } else {
        verify_blocking(current.to_string(), stored).await?
    };
    if !current_ok {
        count_failure(auth, &user_key, ip_key.as_deref(), now).await?;
        audit(AuditOutcome::Failure, json!({ "reason": "wrong_password" })).await?;
        return Err(PasswordChangeError::WrongCurrent);
    }

    // 3. The new password.
    let refused = if new != confirm {
        Some(PasswordChangeError::Mismatch)
    } else if new == current {
        Some(PasswordChangeError::Unchanged)
    } else {
        check_policy_for_user(new, Some(&account.username))
            .err()
            .map(PasswordChangeError::Policy)
    };
    if let Some(e) = refused {
        audit(AuditOutcome::Refused, json!({ "reason": e.code() })).await?;
        return Err(e);
    }

    // 4. Store it, end every session, keep this one under a new id.
    let phc = hash_blocking(new.to_string()).await?;
    let storage = auth.storage();
    storage
        .set_password_hash(account.id, &phc, false, now)
        .await
        .map_err(|e| match e.code() {
            "PASSWORD_NOT_ALLOWED" => PasswordChangeError::NotAllowed,
            _ => e.into(),
        })?;
    storage.end_account_sessions(account.id, now).await?;
    storage
        .throttle_clear(scope::SIGN_IN_USER, &user_key)
        .await?;
    let fresh = storage
        .account_by_id(account.id)
        .await?
        .ok_or(PasswordChangeError::Failure(AuthFailure::AuthRequired))?;
    let renewed = super::session::renew(auth, session, &fresh)
        .await
        .map_err(PasswordChangeError::Failure)?;
    audit(
        AuditOutcome::Success,
        json!({ "other_sessions_ended": true }),
    )
    .await?;
    Ok(renewed)
}
