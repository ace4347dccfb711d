//! One-time recovery codes: ten codes of 24 characters (120 random bits each, e.g.
//! `K7QF-2MZD-...`), shown once when generated, stored as SHA-256, each usable once as the
//! second factor after the password (e.g. when the passkey is lost). Attempts are throttled
//! per account and per client address like passwords.

use super::{
    Auth, AuthFailure, ClientInfo,
    session::{self, CurrentUser, SessionUser},
    sign_in::{blocked_until, retry_after_secs},
    throttle::scope,
};
use crate::storage::AuditOutcome;
use domain::access::Permission;
use rand::RngCore;
use serde_json::json;
use sha2::{Digest, Sha256};
use tower_sessions::Session;

/// Codes generated at a time.
pub const CODE_COUNT: usize = 10;
/// Characters per code (5 bits each).
const CODE_CHARS: usize = 24;
/// 32 symbols without look-alikes (no I, O, 0, 1).
const ALPHABET: &[u8; 32] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// A fresh code, grouped by four: `XXXX-XXXX-XXXX-XXXX-XXXX-XXXX`.
fn new_code() -> String {
    let mut bytes = [0u8; CODE_CHARS];
    rand::rng().fill_bytes(&mut bytes);
    let chars: Vec<char> = bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(b & 31)]))
        .collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// A code as typed, in canonical form (upper case, no spaces or hyphens), if well-formed.
pub fn normalize(code: &str) -> Option<String> {
    let c: String = code
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (c.len() == CODE_CHARS && c.bytes().all(|b| ALPHABET.contains(&b))).then_some(c)
}

/// What is stored for a (normalized) code.
pub fn hash_code(normalized: &str) -> String {
    Sha256::digest(normalized.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Generates new codes for the signed-in account, replacing any earlier ones (audited
/// `recovery_codes.generate`). The codes are returned once and never again.
pub async fn regenerate(
    auth: &Auth,
    user: &CurrentUser,
    client: &ClientInfo,
) -> Result<Vec<String>, AuthFailure> {
    if !user.role.allows(Permission::ManageOwnPasskeys) {
        return Err(AuthFailure::Forbidden);
    }
    let codes: Vec<String> = (0..CODE_COUNT).map(|_| new_code()).collect();
    let hashes: Vec<String> = codes
        .iter()
        .filter_map(|c| normalize(c))
        .map(|c| hash_code(&c))
        .collect();
    auth.storage()
        .replace_recovery_codes(user.account_id, &hashes, auth.clock().now_ms())
        .await?;
    auth.audit(
        "recovery_codes.generate",
        AuditOutcome::Success,
        Some(user.account_id),
        Some(&user.username),
        user.institution_id,
        Some(format!("account:{}", user.account_id)),
        json!({ "count": hashes.len() }),
        client,
    )
    .await?;
    Ok(codes)
}

/// Uses a recovery code as the second factor of a signed-in session (new session id on
/// success). Audited `auth.recovery_code`. Returns the session and the codes left.
pub async fn redeem(
    auth: &Auth,
    session: &Session,
    user: &SessionUser,
    code: &str,
    client: &ClientInfo,
) -> Result<(SessionUser, i64), AuthFailure> {
    let now = auth.clock().now_ms();
    let account_id = user.user.account_id;
    let account_key = account_id.to_string();
    let ip_key = client.ip.map(|ip| ip.to_string());
    let settings = auth.settings();
    let mut until = blocked_until(
        auth,
        scope::RECOVERY_CODE,
        &account_key,
        &settings.account_limit,
        now,
    )
    .await?;
    if until.is_none()
        && let Some(ip) = &ip_key
    {
        until = blocked_until(auth, scope::CLIENT_IP, ip, &settings.ip_limit, now).await?;
    }
    let audit = |outcome, detail| {
        auth.audit(
            "auth.recovery_code",
            outcome,
            Some(account_id),
            Some(&user.user.username),
            user.user.institution_id,
            Some(format!("account:{account_id}")),
            detail,
            client,
        )
    };
    if let Some(until) = until {
        audit(AuditOutcome::Refused, json!({ "reason": "throttled" })).await?;
        return Err(AuthFailure::Throttled {
            retry_after_secs: retry_after_secs(until, now),
        });
    }
    let spent = match normalize(code) {
        Some(c) => {
            auth.storage()
                .use_recovery_code(account_id, &hash_code(&c), now)
                .await?
        }
        None => false,
    };
    if !spent {
        auth.storage()
            .throttle_fail(
                scope::RECOVERY_CODE,
                &account_key,
                now,
                settings.account_limit.window_ms(),
            )
            .await?;
        if let Some(ip) = &ip_key {
            auth.storage()
                .throttle_fail(scope::CLIENT_IP, ip, now, settings.ip_limit.window_ms())
                .await?;
        }
        audit(AuditOutcome::Failure, json!({ "reason": "invalid_code" })).await?;
        return Err(AuthFailure::RecoveryCodeInvalid);
    }
    auth.storage()
        .throttle_clear(scope::RECOVERY_CODE, &account_key)
        .await?;
    let remaining = auth.storage().count_recovery_codes(account_id).await?;
    let account = auth
        .storage()
        .account_by_id(account_id)
        .await?
        .filter(crate::storage::Account::is_active)
        .ok_or(AuthFailure::AuthRequired)?;
    let new_user = session::add_second_factor(auth, session, &account, "recovery_code").await?;
    audit(AuditOutcome::Success, json!({ "remaining": remaining })).await?;
    Ok((new_user, remaining))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_have_120_bits_and_normalise() {
        let c = new_code();
        assert_eq!(c.len(), 24 + 5);
        assert_eq!(c.matches('-').count(), 5);
        let n = normalize(&c).unwrap();
        assert_eq!(n.len(), 24);
        assert_eq!(
            normalize(&c.to_lowercase().replace('-', " ")),
            Some(n.clone())
        );
        assert_eq!(hash_code(&n).len(), 64);
        assert_ne!(new_code(), c);
        assert_eq!(normalize("short"), None);
        assert_eq!(normalize(&"0".repeat(24)), None, "0 is not in the alphabet");
    }
}
