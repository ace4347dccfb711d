//! Web-service API tokens behind the institution admin's `/admin/token` (`api_tokens.manage`):
//! the institution's tokens (never their text), issuing one for an active service account of
//! the institution (the text returned once), and revoking one. Storage validates and audits
//! (`api_token.create`, `api_token.revoke`, with the admin as actor); another institution's
//! token or account is `FORBIDDEN`.

use super::{PortalBackend, actor, internal, permitted, storage_error};
use crate::auth::SessionUser;
use crate::storage::{Account, ApiToken};
use app::{
    AppError,
    backend::{ApiTokenForm, ApiTokenSummary, ApiTokensView, IssuedApiToken, TokenAccountOption},
};
use domain::access::{Permission, Role};
use domain::identity::AccountStatus;
use http::request::Parts;
use secrecy::ExposeSecret;

const DAY_MS: i64 = 86_400_000;

/// Longest expiry the page offers, in days (ten years).
pub(crate) const MAX_EXPIRY_DAYS: i64 = 3650;

/// The expiry instant of a form's "days" field: empty is none; else 1..=3650 days from now
/// (`EXPIRY_INVALID` otherwise).
pub(crate) fn expiry_ms(text: &str, now_ms: i64) -> Result<Option<i64>, AppError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    match text.parse::<i64>() {
        Ok(days) if (1..=MAX_EXPIRY_DAYS).contains(&days) => Ok(Some(now_ms + days * DAY_MS)),
        _ => Err(AppError::Rejected {
            code: "EXPIRY_INVALID".into(),
        }),
    }
}

/// A token's state as the page shows it.
fn token_state(t: &ApiToken, account: Option<&Account>, now_ms: i64) -> &'static str {
    if t.revoked_at_ms.is_some() {
        "revoked"
    } else if !t.usable(now_ms) {
        "expired"
    } else if account
        .is_none_or(|a| a.status != AccountStatus::Active || a.session_epoch != t.session_epoch)
    {
        "account_inactive"
    } else {
        "active"
    }
}

impl PortalBackend {
    fn token_institution(user: &SessionUser) -> Result<i64, AppError> {
        user.user.institution_id.ok_or(AppError::Forbidden)
    }

    pub(super) async fn api_tokens_view(
        &self,
        institution_id: i64,
    ) -> Result<ApiTokensView, AppError> {
        let storage = &self.state.storage;
        let err = |e: crate::storage::StorageError| internal("api_tokens", &e);
        let accounts = storage
            .list_institution_accounts(institution_id)
            .await
            .map_err(err)?;
        let tokens = storage.list_api_tokens(institution_id).await.map_err(err)?;
        let now = self.state.auth.clock().now_ms();
        let by_id = |id: i64| accounts.iter().find(|a| a.id == id);
        Ok(ApiTokensView {
            tokens: tokens
                .iter()
                .map(|t| {
                    let account = by_id(t.account_id);
                    ApiTokenSummary {
                        id: t.id,
                        prefix: t.token_prefix.clone(),
                        account_username: account
                            .map(|a| a.username.clone())
                            .unwrap_or_else(|| format!("#{}", t.account_id)),
                        local_user_id: account.and_then(|a| a.local_user_id.clone()),
                        purpose: t.purpose.clone(),
                        created_at_ms: t.created_at_ms,
                        created_by: t.created_by.and_then(by_id).map(|a| a.username.clone()),
                        last_used_at_ms: t.last_used_at_ms,
                        expires_at_ms: t.expires_at_ms,
                        revoked_at_ms: t.revoked_at_ms,
                        state: token_state(t, account, now).to_string(),
                    }
                })
                .collect(),
            accounts: accounts
                .iter()
                .filter(|a| a.role == Role::Service && a.status == AccountStatus::Active)
                .map(|a| TokenAccountOption {
                    id: a.id,
                    username: a.username.clone(),
                    local_user_id: a.local_user_id.clone(),
                })
                .collect(),
        })
    }

    pub(super) async fn list_tokens(&self, parts: &Parts) -> Result<ApiTokensView, AppError> {
        let user = permitted(parts, Permission::ManageApiTokens)?;
        self.api_tokens_view(Self::token_institution(user)?).await
    }

    pub(super) async fn issue_token(
        &self,
        parts: &Parts,
        form: &ApiTokenForm,
    ) -> Result<IssuedApiToken, AppError> {
        let user = permitted(parts, Permission::ManageApiTokens)?;
        let institution_id = Self::token_institution(user)?;
        let account_id: i64 = form
            .account_id
            .trim()
            .parse()
            .map_err(|_| AppError::Rejected {
                code: "TOKEN_ACCOUNT_REQUIRED".into(),
            })?;
        let account = self
            .state
            .storage
            .account_by_id(account_id)
            .await
            .map_err(|e| internal("create_api_token", &e))?
            .ok_or(AppError::NotFound)?;
        // Another institution's account is not this admin's business.
        if account.institution_id != Some(institution_id) {
            return Err(AppError::Forbidden);
        }
        let now = self.state.auth.clock().now_ms();
        let expires = expiry_ms(&form.expires_days, now)?;
        let (record, token) = crate::auth::token::issue(
            self.state.storage.as_ref(),
            &account,
            form.purpose.trim(),
            expires,
            &actor(user, parts),
            now,
        )
        .await
        .map_err(|e| storage_error("create_api_token", e))?;
        Ok(IssuedApiToken {
            token: token.expose_secret().to_string(),
            prefix: record.token_prefix,
            view: self.api_tokens_view(institution_id).await?,
        })
    }

    pub(super) async fn revoke_token(
        &self,
        parts: &Parts,
        token_id: i64,
    ) -> Result<ApiTokensView, AppError> {
        let user = permitted(parts, Permission::ManageApiTokens)?;
        let institution_id = Self::token_institution(user)?;
        let token = self
            .state
            .storage
            .api_token_by_id(token_id)
            .await
            .map_err(|e| internal("revoke_api_token", &e))?
            .ok_or(AppError::NotFound)?;
        if token.institution_id != institution_id {
            return Err(AppError::Forbidden);
        }
        let now = self.state.auth.clock().now_ms();
        self.state
            .storage
            .revoke_api_token(token_id, &actor(user, parts), now)
            .await
            .map_err(|e| storage_error("revoke_api_token", e))?;
        self.api_tokens_view(institution_id).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_is_empty_or_one_to_ten_years_of_days() {
        assert_eq!(expiry_ms("", 5).unwrap(), None);
        assert_eq!(expiry_ms(" 2 ", 5).unwrap(), Some(5 + 2 * DAY_MS));
        assert_eq!(
            expiry_ms("3650", 0).unwrap(),
            Some(MAX_EXPIRY_DAYS * DAY_MS)
        );
        for bad in ["0", "-1", "3651", "x", "1.5"] {
            assert_eq!(expiry_ms(bad, 0).unwrap_err().code(), "EXPIRY_INVALID");
        }
    }
}
