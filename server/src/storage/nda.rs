//! The NDA gate's data: each institution's confidentiality statement (Bahasa Indonesia),
//! versioned and never edited, and who accepted which version when: the [`NdaStore`] area,
//! its SQL and the `impl_nda_store!` body. A new version must be accepted again
//! ([`NdaStatus::satisfied`] compares with the current version only).

use super::StorageError;
use domain::access::Role;
use domain::identity;
use serde::Serialize;

/// One version of an institution's NDA text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct NdaVersion {
    pub id: i64,
    pub institution_id: i64,
    /// 1, 2, ... per institution.
    pub version: i64,
    pub title: String,
    pub body: String,
    pub published_at: i64,
    pub published_by: Option<i64>,
}

/// An account's acceptance of one version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct NdaAcceptance {
    pub id: i64,
    pub nda_version_id: i64,
    pub account_id: i64,
    pub accepted_at: i64,
    pub client_ip: Option<String>,
}

/// "Who has signed what": one acceptance with the account and version it concerns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NdaSignature {
    pub account_id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub version: i64,
    pub accepted_at: i64,
}

/// Where an account stands with its institution's NDA.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NdaStatus {
    /// The current version (`None`: the institution has published none).
    pub current_version: Option<i64>,
    pub current_version_id: Option<i64>,
    /// The latest version this account accepted, and when.
    pub accepted_version: Option<i64>,
    pub accepted_at: Option<i64>,
}

impl NdaStatus {
    /// Whether the account accepted the current version.
    pub fn satisfied(&self) -> bool {
        self.current_version.is_some() && self.current_version == self.accepted_version
    }

    /// Why the gate is closed: `NDA_NOT_PUBLISHED`, `NDA_NOT_ACCEPTED`, or `NDA_NEW_VERSION`
    /// (an older version was accepted); `None` when satisfied.
    pub fn reason_code(&self) -> Option<&'static str> {
        match (self.current_version, self.accepted_version) {
            (None, _) => Some("NDA_NOT_PUBLISHED"),
            (Some(c), Some(a)) if c == a => None,
            (Some(_), Some(_)) => Some("NDA_NEW_VERSION"),
            (Some(_), None) => Some("NDA_NOT_ACCEPTED"),
        }
    }
}

/// NDA versions and acceptances. Audited: `nda.publish`, `nda.accept`.
#[async_trait::async_trait]
pub trait NdaStore {
    /// Publishes the next version of an institution's NDA. Refusals: `NDA_TEXT_INVALID`,
    /// `INSTITUTION_UNKNOWN`; a concurrent publication is `Conflict`.
    async fn publish_nda_version(
        &self,
        institution_id: i64,
        title: &str,
        body: &str,
        actor: &super::Actor,
        now_ms: i64,
    ) -> Result<NdaVersion, StorageError>;
    async fn current_nda(&self, institution_id: i64) -> Result<Option<NdaVersion>, StorageError>;
    /// Oldest first.
    async fn list_nda_versions(&self, institution_id: i64)
    -> Result<Vec<NdaVersion>, StorageError>;
    /// Records the account's acceptance of a version (the actor's client address is kept).
    /// Accepting the same version again returns the first acceptance and writes nothing.
    /// Refusals: `ACCOUNT_DEACTIVATED`, `NDA_NOT_FOR_ROLE` (roles without `nda.accept`),
    /// `NDA_OTHER_INSTITUTION`, `NDA_NOT_CURRENT`.
    async fn accept_nda(
        &self,
        account_id: i64,
        nda_version_id: i64,
        actor: &super::Actor,
        now_ms: i64,
    ) -> Result<NdaAcceptance, StorageError>;
    async fn nda_status(&self, account_id: i64) -> Result<NdaStatus, StorageError>;
    /// Who accepted which version in an institution, newest first.
    async fn list_nda_signatures(
        &self,
        institution_id: i64,
    ) -> Result<Vec<NdaSignature>, StorageError>;
}

pub(crate) fn validate_text(title: &str, body: &str) -> Result<(), StorageError> {
    identity::check_line("title", "NDA_TEXT_INVALID", title, identity::LINE_MAX)?;
    identity::check_text("body", "NDA_TEXT_INVALID", body, identity::NDA_BODY_MAX)?;
    Ok(())
}

/// A signature row as stored.
#[derive(sqlx::FromRow)]
pub struct SignatureRow {
    account_id: i64,
    username: String,
    display_name: String,
    role: String,
    version: i64,
    accepted_at: i64,
}

impl TryFrom<SignatureRow> for NdaSignature {
    type Error = StorageError;
    fn try_from(r: SignatureRow) -> Result<Self, StorageError> {
        let role = Role::parse(&r.role).ok_or_else(|| {
            StorageError::Corrupt(format!(
                "account {}: unknown role {:?}",
                r.account_id, r.role
            ))
        })?;
        Ok(NdaSignature {
            account_id: r.account_id,
            username: r.username,
            display_name: r.display_name,
            role,
            version: r.version,
            accepted_at: r.accepted_at,
        })
    }
}

pub const INSERT_VERSION: &str = "INSERT INTO nda_versions \
       (institution_id, version, title, body, published_at, published_by) \
     SELECT $1, COALESCE(MAX(version), 0) + 1, $2, $3, $4, $5 \
       FROM nda_versions WHERE institution_id = $1 \
     RETURNING id, institution_id, version, title, body, published_at, published_by";
pub const CURRENT_VERSION: &str = "SELECT id, institution_id, version, title, body, published_at, \
       published_by FROM nda_versions WHERE institution_id = $1 ORDER BY version DESC LIMIT 1";
pub const LIST_VERSIONS: &str = "SELECT id, institution_id, version, title, body, published_at, \
       published_by FROM nda_versions WHERE institution_id = $1 ORDER BY version";
pub const VERSION_BY_ID: &str = "SELECT id, institution_id, version, title, body, published_at, \
       published_by FROM nda_versions WHERE id = $1";
pub const INSERT_ACCEPTANCE: &str = "INSERT INTO nda_acceptances \
       (nda_version_id, account_id, accepted_at, client_ip) VALUES ($1, $2, $3, $4) \
     ON CONFLICT (nda_version_id, account_id) DO NOTHING \
     RETURNING id, nda_version_id, account_id, accepted_at, client_ip";
pub const ACCEPTANCE: &str = "SELECT id, nda_version_id, account_id, accepted_at, client_ip \
     FROM nda_acceptances WHERE nda_version_id = $1 AND account_id = $2";
pub const LATEST_ACCEPTED: &str = "SELECT v.version, c.accepted_at FROM nda_acceptances c \
     JOIN nda_versions v ON v.id = c.nda_version_id \
     WHERE c.account_id = $1 ORDER BY v.version DESC LIMIT 1";
pub const SIGNATURES: &str = "SELECT a.id AS account_id, a.username, a.display_name, a.role, \
       v.version, c.accepted_at \
     FROM nda_acceptances c \
     JOIN nda_versions v ON v.id = c.nda_version_id \
     JOIN accounts a ON a.id = c.account_id \
     WHERE v.institution_id = $1 ORDER BY c.accepted_at DESC, c.id DESC";

/// Implements [`NdaStore`] for a backend struct with a `pool` field.
macro_rules! impl_nda_store {
    ($ty:ty) => {
        #[async_trait::async_trait]
        impl $crate::storage::NdaStore for $ty {
            async fn publish_nda_version(
                &self,
                institution_id: i64,
                title: &str,
                body: &str,
                actor: &$crate::storage::Actor,
                now_ms: i64,
            ) -> Result<$crate::storage::NdaVersion, $crate::storage::StorageError> {
                use $crate::storage::{StorageError, nda as q};
                q::validate_text(title, body)?;
                let mut tx = self.begin_write().await?;
                let found: i64 = sqlx::query_scalar($crate::storage::accounts::INSTITUTION_EXISTS)
                    .bind(institution_id)
                    .fetch_one(&mut *tx)
                    .await?;
                if found == 0 {
                    return Err($crate::storage::actor::rejected(
                        "INSTITUTION_UNKNOWN",
                        format!("institution {institution_id} does not exist"),
                    ));
                }
                // Two replicas publishing at once compute the same number: the unique
                // (institution, version) refuses the second (Conflict).
                let version: $crate::storage::NdaVersion = sqlx::query_as(q::INSERT_VERSION)
                    .bind(institution_id)
                    .bind(title)
                    .bind(body)
                    .bind(now_ms)
                    .bind(actor.account_id)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(StorageError::from_write)?;
                let event = actor.event(
                    now_ms,
                    "nda.publish",
                    Some(institution_id),
                    format!("nda_version:{}", version.id),
                    serde_json::json!({ "version": version.version, "title": title }),
                );
                $crate::storage::actor::insert_audit_event!(&mut *tx, &event)?;
                tx.commit().await?;
                Ok(version)
            }

            async fn current_nda(
                &self,
                institution_id: i64,
            ) -> Result<Option<$crate::storage::NdaVersion>, $crate::storage::StorageError> {
                Ok(sqlx::query_as($crate::storage::nda::CURRENT_VERSION)
                    .bind(institution_id)
                    .fetch_optional(&self.pool)
                    .await?)
            }

            async fn list_nda_versions(
                &self,
                institution_id: i64,
            ) -> Result<Vec<$crate::storage::NdaVersion>, $crate::storage::StorageError> {
                Ok(sqlx::query_as($crate::storage::nda::LIST_VERSIONS)
                    .bind(institution_id)
                    .fetch_all(&self.pool)
                    .await?)
            }

            async fn accept_nda(
                &self,
                account_id: i64,
                nda_version_id: i64,
                actor: &$crate::storage::Actor,
                now_ms: i64,
            ) -> Result<$crate::storage::NdaAcceptance, $crate::storage::StorageError> {
                use $crate::storage::{AccountStore, StorageError, nda as q};
                let account = self
                    .account_by_id(account_id)
                    .await?
                    .ok_or(StorageError::NotFound)?;
                if !account.is_active() {
                    return Err($crate::storage::accounts::deactivated(account_id));
                }
                if !account.role.allows(domain::access::Permission::AcceptNda) {
                    return Err($crate::storage::actor::rejected(
                        "NDA_NOT_FOR_ROLE",
                        format!("role {} does not accept an institution's NDA", account.role),
                    ));
                }
                let version: $crate::storage::NdaVersion = sqlx::query_as(q::VERSION_BY_ID)
                    .bind(nda_version_id)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or(StorageError::NotFound)?;
                if account.institution_id != Some(version.institution_id) {
                    return Err($crate::storage::actor::rejected(
                        "NDA_OTHER_INSTITUTION",
                        "this NDA is another institution's",
                    ));
                }
                let existing: Option<$crate::storage::NdaAcceptance> =
                    sqlx::query_as(q::ACCEPTANCE)
                        .bind(nda_version_id)
                        .bind(account_id)
                        .fetch_optional(&self.pool)
                        .await?;
                if let Some(existing) = existing {
                    return Ok(existing);
                }
                let current = self.current_nda(version.institution_id).await?;
                if current.as_ref().map(|c| c.id) != Some(version.id) {
                    return Err($crate::storage::actor::rejected(
                        "NDA_NOT_CURRENT",
                        format!(
                            "version {} is not the current version {}",
                            version.version,
                            current.map_or(0, |c| c.version)
                        ),
                    ));
                }
                let mut tx = self.begin_write().await?;
                let inserted: Option<$crate::storage::NdaAcceptance> =
                    sqlx::query_as(q::INSERT_ACCEPTANCE)
                        .bind(nda_version_id)
                        .bind(account_id)
                        .bind(now_ms)
                        .bind(actor.client_ip.as_deref())
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(StorageError::from_write)?;
                let Some(acceptance) = inserted else {
                    // Accepted meanwhile (a double click on two replicas): the first one stands.
                    tx.rollback().await?;
                    return sqlx::query_as(q::ACCEPTANCE)
                        .bind(nda_version_id)
                        .bind(account_id)
                        .fetch_optional(&self.pool)
                        .await?
                        .ok_or(StorageError::Conflict);
                };
                let event = actor.event(
                    now_ms,
                    "nda.accept",
                    Some(version.institution_id),
                    format!("account:{account_id}"),
                    serde_json::json!({
                        "nda_version_id": version.id,
                        "version": version.version,
                    }),
                );
                $crate::storage::actor::insert_audit_event!(&mut *tx, &event)?;
                tx.commit().await?;
                Ok(acceptance)
            }

            async fn nda_status(
                &self,
                account_id: i64,
            ) -> Result<$crate::storage::NdaStatus, $crate::storage::StorageError> {
                use $crate::storage::{AccountStore, StorageError, nda as q};
                let account = self
                    .account_by_id(account_id)
                    .await?
                    .ok_or(StorageError::NotFound)?;
                let current = match account.institution_id {
                    Some(inst) => self.current_nda(inst).await?,
                    None => None,
                };
                let latest: Option<(i64, i64)> = sqlx::query_as(q::LATEST_ACCEPTED)
                    .bind(account_id)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok($crate::storage::NdaStatus {
                    current_version: current.as_ref().map(|c| c.version),
                    current_version_id: current.as_ref().map(|c| c.id),
                    accepted_version: latest.map(|l| l.0),
                    accepted_at: latest.map(|l| l.1),
                })
            }

            async fn list_nda_signatures(
                &self,
                institution_id: i64,
            ) -> Result<Vec<$crate::storage::NdaSignature>, $crate::storage::StorageError> {
                let rows: Vec<$crate::storage::nda::SignatureRow> =
                    sqlx::query_as($crate::storage::nda::SIGNATURES)
                        .bind(institution_id)
                        .fetch_all(&self.pool)
                        .await?;
                rows.into_iter()
                    .map($crate::storage::NdaSignature::try_from)
                    .collect()
            }
        }
    };
}
pub(crate) use impl_nda_store;
