//! Authentication and administration events (sign-in, passkey changes, role changes, NDA
//! acceptance, deactivation, agreement and user-ID changes): the [`AuditEventStore`] area.
//! Entries hold codes, identifiers and a small JSON `detail`; never secrets or population data.

use super::StorageError;
use serde::{Deserialize, Serialize};

/// Whether the audited action happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditOutcome {
    Success,
    Failure,
    Refused,
}

impl AuditOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            AuditOutcome::Success => "success",
            AuditOutcome::Failure => "failure",
            AuditOutcome::Refused => "refused",
        }
    }
}

/// An event to append. `event` is a stable dotted code, e.g. `auth.sign_in`,
/// `account.deactivate`, `nda.accept`, `passkey.register`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuditEvent {
    pub at_ms: i64,
    pub event: String,
    pub outcome: AuditOutcome,
    pub actor_account_id: Option<i64>,
    /// The name typed at sign-in (for failures of unknown accounts too).
    pub actor_username: Option<String>,
    pub institution_id: Option<i64>,
    /// What the action was about, e.g. `account:42`, `agreement:7`.
    pub subject: Option<String>,
    /// Small JSON object with codes only (no secrets, no population data).
    pub detail: serde_json::Value,
    pub client_ip: Option<String>,
    pub request_id: Option<String>,
}

/// A stored event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct AuditEvent {
    pub id: i64,
    pub at_ms: i64,
    pub event: String,
    pub outcome: String,
    pub actor_account_id: Option<i64>,
    pub actor_username: Option<String>,
    pub institution_id: Option<i64>,
    pub subject: Option<String>,
    pub detail: String,
    pub client_ip: Option<String>,
    pub request_id: Option<String>,
}

/// Which events to list; `None` fields do not filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditEventFilter {
    pub institution_id: Option<i64>,
    pub actor_account_id: Option<i64>,
    pub event_prefix: Option<String>,
    pub limit: i64,
}

/// Appending and reading authentication/administration events.
#[async_trait::async_trait]
pub trait AuditEventStore {
    async fn append_audit_event(&self, event: &NewAuditEvent) -> Result<i64, StorageError>;
    /// Newest first.
    async fn list_audit_events(
        &self,
        filter: &AuditEventFilter,
    ) -> Result<Vec<AuditEvent>, StorageError>;
}

pub const INSERT_EVENT: &str = "INSERT INTO audit_events \
       (at_ms, event, outcome, actor_account_id, actor_username, institution_id, subject, detail, client_ip, request_id) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id";

pub const LIST_EVENTS: &str = "SELECT id, at_ms, event, outcome, actor_account_id, actor_username, \
       institution_id, subject, detail, client_ip, request_id \
     FROM audit_events \
     WHERE ($1 IS NULL OR institution_id = $1) \
       AND ($2 IS NULL OR actor_account_id = $2) \
       AND ($3 IS NULL OR event LIKE $3 || '%') \
     ORDER BY id DESC LIMIT $4";

/// Implements [`AuditEventStore`] for a backend struct with a `pool` field.
macro_rules! impl_audit_event_store {
    ($ty:ty) => {
        #[async_trait::async_trait]
        impl $crate::storage::AuditEventStore for $ty {
            async fn append_audit_event(
                &self,
                e: &$crate::storage::NewAuditEvent,
            ) -> Result<i64, $crate::storage::StorageError> {
                Ok(
                    sqlx::query_scalar($crate::storage::audit_events::INSERT_EVENT)
                        .bind(e.at_ms)
                        .bind(&e.event)
                        .bind(e.outcome.as_str())
                        .bind(e.actor_account_id)
                        .bind(e.actor_username.as_deref())
                        .bind(e.institution_id)
                        .bind(e.subject.as_deref())
                        .bind(e.detail.to_string())
                        .bind(e.client_ip.as_deref())
                        .bind(e.request_id.as_deref())
                        .fetch_one(&self.pool)
                        .await?,
                )
            }

            async fn list_audit_events(
                &self,
                f: &$crate::storage::AuditEventFilter,
            ) -> Result<Vec<$crate::storage::AuditEvent>, $crate::storage::StorageError> {
                let limit = if f.limit <= 0 { 100 } else { f.limit.min(1000) };
                Ok(sqlx::query_as($crate::storage::audit_events::LIST_EVENTS)
                    .bind(f.institution_id)
                    .bind(f.actor_account_id)
                    .bind(f.event_prefix.as_deref())
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?)
            }
        }
    };
}
pub(crate) use impl_audit_event_store;
