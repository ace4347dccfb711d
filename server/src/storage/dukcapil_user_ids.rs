//! Dukcapil user IDs of an institution: the user-ID application form (eight fields: NIK, full
//! name, NIP, employment status, position, office region code, office name and address, local
//! user ID), its life cycle (requested → active → revoked, or requested → revoked when
//! rejected) and the credential, sealed by [`crate::secrets`]: the [`DukcapilUserIdStore`]
//! area, its SQL and the `impl_dukcapil_user_id_store!` body.
//!
//! The credential never appears in [`DukcapilUserId`] (only `has_credential`); only
//! [`DukcapilUserIdStore::sealed_credential`] returns it, sealed, for the upstream client.

use super::StorageError;
use super::actor::rejected;
use crate::secrets::Sealed;
use domain::identity::{self, EmploymentStatus, UserIdStatus};
use serde::Serialize;
use time::Date;

/// A user-ID application and, once granted, the Dukcapil user ID.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DukcapilUserId {
    pub id: i64,
    pub institution_id: i64,
    /// The applicant's NIK (16 digits).
    pub nik: String,
    pub full_name: String,
    /// 18 digits for ASN; `None` for non-ASN staff.
    pub nip: Option<String>,
    pub employment_status: EmploymentStatus,
    pub position: String,
    /// Kemendagri code of the office's regency or district, dotted (`33.13`).
    pub office_region_code: String,
    pub office_name: String,
    pub office_address: String,
    /// The local user ID the application is for.
    pub local_user_id: String,
    /// The ID Disdukcapil granted (e.g. `BPBD3313`); `None` while requested.
    pub dukcapil_user_id: Option<String>,
    pub status: UserIdStatus,
    /// Whether a sealed credential is stored (the credential itself is never here).
    pub has_credential: bool,
    pub credential_set_at: Option<i64>,
    pub requested_at: i64,
    pub requested_by: Option<i64>,
    pub decided_at: Option<i64>,
    pub decided_by: Option<i64>,
    pub revoked_at: Option<i64>,
    pub revoked_by: Option<i64>,
    pub revoke_reason: Option<String>,
    pub updated_at: i64,
}

/// The application form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserIdApplication {
    pub institution_id: i64,
    pub nik: String,
    pub full_name: String,
    pub nip: Option<String>,
    pub employment_status: EmploymentStatus,
    pub position: String,
    pub office_region_code: String,
    pub office_name: String,
    pub office_address: String,
    pub local_user_id: String,
}

/// A row as stored.
#[derive(sqlx::FromRow)]
pub struct UserIdRow {
    id: i64,
    institution_id: i64,
    nik: String,
    full_name: String,
    nip: Option<String>,
    employment_status: String,
    position: String,
    office_region_code: String,
    office_name: String,
    office_address: String,
    local_user_id: String,
    dukcapil_user_id: Option<String>,
    status: String,
    has_credential: bool,
    credential_set_at: Option<i64>,
    requested_at: i64,
    requested_by: Option<i64>,
    decided_at: Option<i64>,
    decided_by: Option<i64>,
    revoked_at: Option<i64>,
    revoked_by: Option<i64>,
    revoke_reason: Option<String>,
    updated_at: i64,
}

impl TryFrom<UserIdRow> for DukcapilUserId {
    type Error = StorageError;

    fn try_from(r: UserIdRow) -> Result<Self, StorageError> {
        let status = UserIdStatus::parse(&r.status).ok_or_else(|| {
            StorageError::Corrupt(format!("user id {}: unknown status {:?}", r.id, r.status))
        })?;
        let employment_status = EmploymentStatus::parse(&r.employment_status).ok_or_else(|| {
            StorageError::Corrupt(format!(
                "user id {}: unknown employment status {:?}",
                r.id, r.employment_status
            ))
        })?;
        Ok(DukcapilUserId {
            id: r.id,
            institution_id: r.institution_id,
            nik: r.nik,
            full_name: r.full_name,
            nip: r.nip,
            employment_status,
            position: r.position,
            office_region_code: r.office_region_code,
            office_name: r.office_name,
            office_address: r.office_address,
            local_user_id: r.local_user_id,
            dukcapil_user_id: r.dukcapil_user_id,
            status,
            has_credential: r.has_credential,
            credential_set_at: r.credential_set_at,
            requested_at: r.requested_at,
            requested_by: r.requested_by,
            decided_at: r.decided_at,
            decided_by: r.decided_by,
            revoked_at: r.revoked_at,
            revoked_by: r.revoked_by,
            revoke_reason: r.revoke_reason,
            updated_at: r.updated_at,
        })
    }
}

/// User-ID applications, grants, revocations and sealed credentials. Audited in the same
/// transaction: `user_id.request`, `user_id.activate`, `user_id.reject`, `user_id.revoke`,
/// `user_id.credential_set`.
#[async_trait::async_trait]
pub trait DukcapilUserIdStore {
    /// Stores an application (status `requested`). Refusals: `NIK_INVALID`, `NAME_INVALID`,
    /// `NIP_REQUIRED`, `NIP_NOT_ALLOWED`, `NIP_INVALID`, `POSITION_INVALID`,
    /// `REGION_CODE_INVALID`, `OFFICE_INVALID`, `LOCAL_USER_ID_INVALID`,
    /// `LOCAL_USER_ID_TAKEN` (a live application has it), `INSTITUTION_UNKNOWN`.
    async fn submit_user_id_application(
        &self,
        application: &UserIdApplication,
        actor: &super::Actor,
        now_ms: i64,
    ) -> Result<DukcapilUserId, StorageError>;
    async fn dukcapil_user_id_by_id(&self, id: i64)
    -> Result<Option<DukcapilUserId>, StorageError>;
    /// An institution's applications and user IDs, oldest first.
    async fn list_dukcapil_user_ids(
        &self,
        institution_id: i64,
    ) -> Result<Vec<DukcapilUserId>, StorageError>;
    /// The live (requested or active) entry of a local user ID in an institution.
    async fn live_dukcapil_user_id(
        &self,
        institution_id: i64,
        local_user_id: &str,
    ) -> Result<Option<DukcapilUserId>, StorageError>;
    /// Grants an application: `requested → active` with the ID Disdukcapil assigned.
    /// Refusals: `USER_ID_INVALID`, `USER_ID_STATUS_TRANSITION`.
    async fn activate_user_id(
        &self,
        id: i64,
        dukcapil_user_id: &str,
        actor: &super::Actor,
        now_ms: i64,
    ) -> Result<DukcapilUserId, StorageError>;
    /// Rejects (`requested → revoked`) or revokes (`active → revoked`); the credential is
    /// erased. Refusals: `REASON_INVALID`, `USER_ID_STATUS_TRANSITION`.
    async fn revoke_user_id(
        &self,
        id: i64,
        reason: &str,
        actor: &super::Actor,
        now_ms: i64,
    ) -> Result<DukcapilUserId, StorageError>;
    /// Stores the credential of an active user ID, sealed with
    /// `secrets::credential_aad(id)`. Refusal: `USER_ID_NOT_ACTIVE`.
    async fn set_user_id_credential(
        &self,
        id: i64,
        sealed: &Sealed,
        actor: &super::Actor,
        now_ms: i64,
    ) -> Result<DukcapilUserId, StorageError>;
    /// The sealed credential of an active user ID, for the upstream client only.
    async fn sealed_credential(&self, id: i64) -> Result<Option<Sealed>, StorageError>;
}

/// Checks and normalises an application (NIK and NIP digits, dotted region code).
pub(crate) fn normalise_application(
    a: &UserIdApplication,
    today: Date,
) -> Result<UserIdApplication, StorageError> {
    let nik = identity::normalize_nik(&a.nik, today)?;
    identity::check_line(
        "full_name",
        "NAME_INVALID",
        &a.full_name,
        identity::NAME_MAX,
    )?;
    let nip = identity::normalize_nip(a.nip.as_deref(), a.employment_status)?;
    identity::check_line(
        "position",
        "POSITION_INVALID",
        &a.position,
        identity::NAME_MAX,
    )?;
    let region = identity::normalize_region_code("office_region_code", &a.office_region_code)?;
    identity::check_line(
        "office_name",
        "OFFICE_INVALID",
        &a.office_name,
        identity::LINE_MAX,
    )?;
    identity::check_text(
        "office_address",
        "OFFICE_INVALID",
        &a.office_address,
        identity::TEXT_MAX,
    )?;
    identity::check_user_id("local_user_id", "LOCAL_USER_ID_INVALID", &a.local_user_id)?;
    Ok(UserIdApplication {
        nik,
        nip,
        office_region_code: region,
        ..a.clone()
    })
}

pub(crate) fn transition(from: UserIdStatus, to: UserIdStatus) -> Result<(), StorageError> {
    if from.may_become(to) {
        Ok(())
    } else {
        Err(rejected(
            "USER_ID_STATUS_TRANSITION",
            format!(
                "a user ID cannot go from {} to {}",
                from.as_str(),
                to.as_str()
            ),
        ))
    }
}

macro_rules! user_id_columns {
    () => {
        "id, institution_id, nik, full_name, nip, employment_status, position, \
         office_region_code, office_name, office_address, local_user_id, dukcapil_user_id, status, \
         (credential IS NOT NULL) AS has_credential, credential_set_at, requested_at, requested_by, \
         decided_at, decided_by, revoked_at, revoked_by, revoke_reason, updated_at"
    };
}

pub const INSERT_APPLICATION: &str = concat!(
    "INSERT INTO dukcapil_user_ids (institution_id, nik, full_name, nip, employment_status, \
       position, office_region_code, office_name, office_address, local_user_id, status, \
       requested_at, requested_by, updated_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'requested', $11, $12, $11) RETURNING ",
    user_id_columns!()
);
pub const USER_ID_BY_ID: &str = concat!(
    "SELECT ",
    user_id_columns!(),
    " FROM dukcapil_user_ids WHERE id = $1"
);
pub const LIST_USER_IDS: &str = concat!(
    "SELECT ",
    user_id_columns!(),
    " FROM dukcapil_user_ids WHERE institution_id = $1 ORDER BY requested_at, id"
);
pub const LIVE_USER_ID: &str = concat!(
    "SELECT ",
    user_id_columns!(),
    " FROM dukcapil_user_ids \
     WHERE institution_id = $1 AND local_user_id = $2 AND status <> 'revoked'"
);
pub const LIVE_LOCAL_TAKEN: &str = "SELECT COUNT(*) FROM dukcapil_user_ids \
     WHERE institution_id = $1 AND local_user_id = $2 AND status <> 'revoked'";
pub const ACTIVATE: &str = concat!(
    "UPDATE dukcapil_user_ids SET status = 'active', dukcapil_user_id = $2, decided_at = $3, \
       decided_by = $4, updated_at = $3 \
     WHERE id = $1 AND status = 'requested' RETURNING ",
    user_id_columns!()
);
pub const REVOKE: &str = concat!(
    "UPDATE dukcapil_user_ids SET status = 'revoked', credential = NULL, \
       credential_set_at = NULL, revoked_at = $2, revoked_by = $3, revoke_reason = $4, \
       decided_at = COALESCE(decided_at, $2), decided_by = COALESCE(decided_by, $3), \
       updated_at = $2 \
     WHERE id = $1 AND status = $5 RETURNING ",
    user_id_columns!()
);
pub const SET_CREDENTIAL: &str = concat!(
    "UPDATE dukcapil_user_ids SET credential = $2, credential_set_at = $3, updated_at = $3 \
     WHERE id = $1 AND status = 'active' RETURNING ",
    user_id_columns!()
);
pub const SEALED_CREDENTIAL: &str =
    "SELECT credential FROM dukcapil_user_ids WHERE id = $1 AND status = 'active'";

/// Implements [`DukcapilUserIdStore`] for a backend struct with a `pool` field.
macro_rules! impl_dukcapil_user_id_store {
    ($ty:ty) => {
        #[async_trait::async_trait]
        impl $crate::storage::DukcapilUserIdStore for $ty {
            async fn submit_user_id_application(
                &self,
                application: &$crate::storage::UserIdApplication,
                actor: &$crate::storage::Actor,
                now_ms: i64,
            ) -> Result<$crate::storage::DukcapilUserId, $crate::storage::StorageError> {
                use $crate::storage::{StorageError, dukcapil_user_ids as q};
                let a = q::normalise_application(
                    application,
                    $crate::storage::actor::wib_day(now_ms),
                )?;
                let mut tx = self.begin_write().await?;
                let found: i64 = sqlx::query_scalar($crate::storage::accounts::INSTITUTION_EXISTS)
                    .bind(a.institution_id)
                    .fetch_one(&mut *tx)
                    .await?;
                if found == 0 {
                    return Err($crate::storage::actor::rejected(
                        "INSTITUTION_UNKNOWN",
                        format!("institution {} does not exist", a.institution_id),
                    ));
                }
                let live: i64 = sqlx::query_scalar(q::LIVE_LOCAL_TAKEN)
                    .bind(a.institution_id)
                    .bind(&a.local_user_id)
                    .fetch_one(&mut *tx)
                    .await?;
                if live > 0 {
                    return Err($crate::storage::accounts::taken(
                        "LOCAL_USER_ID_TAKEN",
                        &a.local_user_id,
                    ));
                }
                let row: q::UserIdRow = sqlx::query_as(q::INSERT_APPLICATION)
                    .bind(a.institution_id)
                    .bind(&a.nik)
                    .bind(&a.full_name)
                    .bind(a.nip.as_deref())
                    .bind(a.employment_status.as_str())
                    .bind(&a.position)
                    .bind(&a.office_region_code)
                    .bind(&a.office_name)
                    .bind(&a.office_address)
                    .bind(&a.local_user_id)
                    .bind(now_ms)
                    .bind(actor.account_id)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(StorageError::from_write)?;
                let entry = $crate::storage::DukcapilUserId::try_from(row)?;
                // The applicant's NIK is not copied into the audit trail.
                let event = actor.event(
                    now_ms,
                    "user_id.request",
                    Some(entry.institution_id),
                    format!("dukcapil_user_id:{}", entry.id),
                    serde_json::json!({
                        "local_user_id": entry.local_user_id,
                        "employment_status": entry.employment_status.as_str(),
                    }),
                );
                $crate::storage::actor::insert_audit_event!(&mut *tx, &event)?;
                tx.commit().await?;
                Ok(entry)
            }

            async fn dukcapil_user_id_by_id(
                &self,
                id: i64,
            ) -> Result<Option<$crate::storage::DukcapilUserId>, $crate::storage::StorageError>
            {
                let row: Option<$crate::storage::dukcapil_user_ids::UserIdRow> =
                    sqlx::query_as($crate::storage::dukcapil_user_ids::USER_ID_BY_ID)
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await?;
                row.map($crate::storage::DukcapilUserId::try_from)
                    .transpose()
            }

            async fn list_dukcapil_user_ids(
                &self,
                institution_id: i64,
            ) -> Result<Vec<$crate::storage::DukcapilUserId>, $crate::storage::StorageError> {
                let rows: Vec<$crate::storage::dukcapil_user_ids::UserIdRow> =
                    sqlx::query_as($crate::storage::dukcapil_user_ids::LIST_USER_IDS)
                        .bind(institution_id)
                        .fetch_all(&self.pool)
                        .await?;
                rows.into_iter()
                    .map($crate::storage::DukcapilUserId::try_from)
                    .collect()
            }

            async fn live_dukcapil_user_id(
                &self,
                institution_id: i64,
                local_user_id: &str,
            ) -> Result<Option<$crate::storage::DukcapilUserId>, $crate::storage::StorageError>
            {
                let row: Option<$crate::storage::dukcapil_user_ids::UserIdRow> =
                    sqlx::query_as($crate::storage::dukcapil_user_ids::LIVE_USER_ID)
                        .bind(institution_id)
                        .bind(local_user_id)
                        .fetch_optional(&self.pool)
                        .await?;
                row.map($crate::storage::DukcapilUserId::try_from)
                    .transpose()
            }

            async fn activate_user_id(
                &self,
                id: i64,
                dukcapil_user_id: &str,
                actor: &$crate::storage::Actor,
                now_ms: i64,
            ) -> Result<$crate::storage::DukcapilUserId, $crate::storage::StorageError> {
                use $crate::storage::{StorageError, dukcapil_user_ids as q};
                domain::identity::check_user_id(
                    "dukcapil_user_id",
                    "USER_ID_INVALID",
                    dukcapil_user_id,
                )?;
                let current = self
                    .dukcapil_user_id_by_id(id)
                    .await?
                    .ok_or(StorageError::NotFound)?;
                q::transition(current.status, domain::identity::UserIdStatus::Active)?;
                let mut tx = self.begin_write().await?;
                let row: Option<q::UserIdRow> = sqlx::query_as(q::ACTIVATE)
                    .bind(id)
                    .bind(dukcapil_user_id)
                    .bind(now_ms)
                    .bind(actor.account_id)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(StorageError::from_write)?;
                let entry =
                    $crate::storage::DukcapilUserId::try_from(row.ok_or(StorageError::Conflict)?)?;
                let event = actor.event(
                    now_ms,
                    "user_id.activate",
                    Some(entry.institution_id),
                    format!("dukcapil_user_id:{id}"),
                    serde_json::json!({
                        "local_user_id": entry.local_user_id,
                        "dukcapil_user_id": dukcapil_user_id,
                        "from": current.status.as_str(),
                        "to": "active",
                    }),
                );
                $crate::storage::actor::insert_audit_event!(&mut *tx, &event)?;
                tx.commit().await?;
                Ok(entry)
            }

            async fn revoke_user_id(
                &self,
                id: i64,
                reason: &str,
                actor: &$crate::storage::Actor,
                now_ms: i64,
            ) -> Result<$crate::storage::DukcapilUserId, $crate::storage::StorageError> {
                use $crate::storage::{StorageError, dukcapil_user_ids as q};
                domain::identity::check_text(
                    "reason",
                    "REASON_INVALID",
                    reason,
                    domain::identity::TEXT_MAX,
                )?;
                let current = self
                    .dukcapil_user_id_by_id(id)
                    .await?
                    .ok_or(StorageError::NotFound)?;
                q::transition(current.status, domain::identity::UserIdStatus::Revoked)?;
                let mut tx = self.begin_write().await?;
                let row: Option<q::UserIdRow> = sqlx::query_as(q::REVOKE)
                    .bind(id)
                    .bind(now_ms)
                    .bind(actor.account_id)
                    .bind(reason)
                    .bind(current.status.as_str())
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(StorageError::from_write)?;
                let entry =
                    $crate::storage::DukcapilUserId::try_from(row.ok_or(StorageError::Conflict)?)?;
                let name = if current.status == domain::identity::UserIdStatus::Requested {
                    "user_id.reject"
                } else {
                    "user_id.revoke"
                };
                let event = actor.event(
                    now_ms,
                    name,
                    Some(entry.institution_id),
                    format!("dukcapil_user_id:{id}"),
                    serde_json::json!({
                        "local_user_id": entry.local_user_id,
                        "dukcapil_user_id": entry.dukcapil_user_id,
                        "from": current.status.as_str(),
                        "to": "revoked",
                        "credential_erased": current.has_credential,
                    }),
                );
                $crate::storage::actor::insert_audit_event!(&mut *tx, &event)?;
                tx.commit().await?;
                Ok(entry)
            }

            async fn set_user_id_credential(
                &self,
                id: i64,
                sealed: &$crate::secrets::Sealed,
                actor: &$crate::storage::Actor,
                now_ms: i64,
            ) -> Result<$crate::storage::DukcapilUserId, $crate::storage::StorageError> {
                use $crate::storage::{StorageError, dukcapil_user_ids as q};
                if sealed.key_id().is_none() {
                    return Err($crate::storage::actor::rejected(
                        "CREDENTIAL_NOT_SEALED",
                        "credentials are stored sealed only",
                    ));
                }
                let mut tx = self.begin_write().await?;
                let row: Option<q::UserIdRow> = sqlx::query_as(q::SET_CREDENTIAL)
                    .bind(id)
                    .bind(sealed.as_str())
                    .bind(now_ms)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(StorageError::from_write)?;
                let Some(row) = row else {
                    tx.rollback().await?;
                    return match self.dukcapil_user_id_by_id(id).await? {
                        None => Err(StorageError::NotFound),
                        Some(_) => Err($crate::storage::actor::rejected(
                            "USER_ID_NOT_ACTIVE",
                            format!("user ID {id} is not active"),
                        )),
                    };
                };
                let entry = $crate::storage::DukcapilUserId::try_from(row)?;
                let event = actor.event(
                    now_ms,
                    "user_id.credential_set",
                    Some(entry.institution_id),
                    format!("dukcapil_user_id:{id}"),
                    serde_json::json!({
                        "local_user_id": entry.local_user_id,
                        "key_id": sealed.key_id(),
                    }),
                );
                $crate::storage::actor::insert_audit_event!(&mut *tx, &event)?;
                tx.commit().await?;
                Ok(entry)
            }

            async fn sealed_credential(
                &self,
                id: i64,
            ) -> Result<Option<$crate::secrets::Sealed>, $crate::storage::StorageError> {
                let text: Option<Option<String>> =
                    sqlx::query_scalar($crate::storage::dukcapil_user_ids::SEALED_CREDENTIAL)
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await?;
                Ok(text.flatten().map($crate::secrets::Sealed::from_stored))
            }
        }
    };
}
pub(crate) use impl_dukcapil_user_id_store;
