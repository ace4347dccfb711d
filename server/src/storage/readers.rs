//! The card-reader inventory (issue 6): readers registered per institution and work unit, with
//! the reader-bridge's id, serial and SAM numbers, status, and the pairing secret sealed with
//! the `[secrets]` key (the server computes pairing HMACs with it, so it is sealed, not
//! hashed): the [`ReaderStore`] area, its SQL and the `impl_reader_store!` body. Every change
//! writes its audit event (`reader.register`, `reader.status`, `reader.rotate_secret`) in the
//! same transaction; the secret never appears in an audit entry or a [`Reader`].

use super::StorageError;
use crate::secrets::Sealed;
use domain::identity;
use serde::Serialize;

/// Longest work-unit name, serial or SAM number.
pub const FIELD_MAX: usize = 120;

/// A reader's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReaderStatus {
    /// Pairing tokens are issued.
    Active,
    /// Switched off by the institution admin; may be reactivated.
    Inactive,
    /// Retired for good (e.g. the agreement ended); never active again.
    Deactivated,
}

impl ReaderStatus {
    pub const ALL: [ReaderStatus; 3] = [
        ReaderStatus::Active,
        ReaderStatus::Inactive,
        ReaderStatus::Deactivated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReaderStatus::Active => "active",
            ReaderStatus::Inactive => "inactive",
            ReaderStatus::Deactivated => "deactivated",
        }
    }

    pub fn parse(code: &str) -> Option<ReaderStatus> {
        ReaderStatus::ALL.into_iter().find(|s| s.as_str() == code)
    }

    /// Allowed moves: active ↔ inactive, either → deactivated (final).
    pub fn may_become(self, to: ReaderStatus) -> bool {
        matches!(
            (self, to),
            (ReaderStatus::Active, ReaderStatus::Inactive)
                | (ReaderStatus::Inactive, ReaderStatus::Active)
                | (ReaderStatus::Active, ReaderStatus::Deactivated)
                | (ReaderStatus::Inactive, ReaderStatus::Deactivated)
        )
    }
}

/// A registered reader (without its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reader {
    pub id: i64,
    /// The id the reader-bridge is configured with (`domain::pairing::valid_id`).
    pub reader_id: String,
    pub institution_id: i64,
    pub work_unit: String,
    pub serial_number: String,
    pub sam_number: String,
    pub status: ReaderStatus,
    pub created_at_ms: i64,
    pub created_by: Option<i64>,
    pub updated_at_ms: i64,
    pub updated_by: Option<i64>,
    pub secret_rotated_at_ms: i64,
}

/// A reader to register; the secret arrives sealed with `secrets::reader_secret_aad`.
#[derive(Debug, Clone)]
pub struct NewReader {
    pub reader_id: String,
    pub institution_id: i64,
    pub work_unit: String,
    pub serial_number: String,
    pub sam_number: String,
    pub sealed_secret: Sealed,
}

/// A row as stored.
#[derive(sqlx::FromRow)]
pub struct ReaderRow {
    id: i64,
    reader_id: String,
    institution_id: i64,
    work_unit: String,
    serial_number: String,
    sam_number: String,
    status: String,
    created_at_ms: i64,
    created_by: Option<i64>,
    updated_at_ms: i64,
    updated_by: Option<i64>,
    secret_rotated_at_ms: i64,
}

impl TryFrom<ReaderRow> for Reader {
    type Error = StorageError;
    fn try_from(r: ReaderRow) -> Result<Self, StorageError> {
        let status = ReaderStatus::parse(&r.status).ok_or_else(|| {
            StorageError::Corrupt(format!("reader {}: unknown status {:?}", r.id, r.status))
        })?;
        Ok(Reader {
            id: r.id,
            reader_id: r.reader_id,
            institution_id: r.institution_id,
            work_unit: r.work_unit,
            serial_number: r.serial_number,
            sam_number: r.sam_number,
            status,
            created_at_ms: r.created_at_ms,
            created_by: r.created_by,
            updated_at_ms: r.updated_at_ms,
            updated_by: r.updated_by,
            secret_rotated_at_ms: r.secret_rotated_at_ms,
        })
    }
}

/// Card readers. Audited: `reader.register`, `reader.status`, `reader.rotate_secret`.
#[async_trait::async_trait]
pub trait ReaderStore {
    /// Registers a reader (status active). Refusals: `READER_INVALID` (fields),
    /// `READER_ID_TAKEN`, `INSTITUTION_UNKNOWN`; an unsealed secret is refused.
    async fn register_reader(
        &self,
        new: &NewReader,
        actor: &super::Actor,
        now_ms: i64,
    ) -> Result<Reader, StorageError>;
    /// One institution's readers (`Some`), or every reader (`None`); by reader id.
    async fn list_readers(&self, institution_id: Option<i64>) -> Result<Vec<Reader>, StorageError>;
    async fn reader_by_id(&self, id: i64) -> Result<Option<Reader>, StorageError>;
    async fn reader_by_reader_id(&self, reader_id: &str) -> Result<Option<Reader>, StorageError>;
    /// Moves a reader of `institution_id` to `to`. Refusals: `READER_OTHER_INSTITUTION`,
    /// `READER_STATUS_NOT_ALLOWED`; a concurrent change is `Conflict`.
    async fn set_reader_status(
        &self,
        id: i64,
        institution_id: i64,
        to: ReaderStatus,
        actor: &super::Actor,
        now_ms: i64,
    ) -> Result<Reader, StorageError>;
    /// Replaces the sealed secret of a reader of `institution_id` (not deactivated): tokens
    /// made with the old secret stop working on the bridge once it has the new one.
    /// Refusals: `READER_OTHER_INSTITUTION`, `READER_DEACTIVATED`.
    async fn rotate_reader_secret(
        &self,
        id: i64,
        institution_id: i64,
        sealed: &Sealed,
        actor: &super::Actor,
        now_ms: i64,
    ) -> Result<Reader, StorageError>;
    /// The sealed secret, for computing pairing tokens only.
    async fn sealed_reader_secret(&self, id: i64) -> Result<Option<Sealed>, StorageError>;
}

/// Checks a new reader's fields.
pub(crate) fn validate(new: &NewReader) -> Result<(), StorageError> {
    if !domain::pairing::valid_id(&new.reader_id) {
        return Err(super::actor::rejected(
            "READER_INVALID",
            "reader_id: 1-64 characters of A-Z a-z 0-9 _ -",
        ));
    }
    identity::check_line("work_unit", "READER_INVALID", &new.work_unit, FIELD_MAX)?;
    identity::check_line(
        "serial_number",
        "READER_INVALID",
        &new.serial_number,
        FIELD_MAX,
    )?;
    identity::check_line("sam_number", "READER_INVALID", &new.sam_number, FIELD_MAX)?;
    if new.sealed_secret.key_id().is_none() {
        return Err(super::actor::rejected(
            "READER_INVALID",
            "reader secrets are stored sealed only",
        ));
    }
    Ok(())
}

pub(crate) fn other_institution() -> StorageError {
    super::actor::rejected(
        "READER_OTHER_INSTITUTION",
        "this reader is another institution's",
    )
}

const COLUMNS: &str = "id, reader_id, institution_id, work_unit, serial_number, sam_number, \
     status, created_at_ms, created_by, updated_at_ms, updated_by, secret_rotated_at_ms";

pub const INSERT: &str = "INSERT INTO readers (reader_id, institution_id, work_unit, \
       serial_number, sam_number, secret_sealed, status, created_at_ms, created_by, \
       updated_at_ms, updated_by, secret_rotated_at_ms) \
     VALUES ($1, $2, $3, $4, $5, $6, 'active', $7, $8, $7, $8, $7) \
     RETURNING id, reader_id, institution_id, work_unit, serial_number, sam_number, \
     status, created_at_ms, created_by, updated_at_ms, updated_by, secret_rotated_at_ms";
pub const SET_STATUS: &str = "UPDATE readers SET status = $1, updated_at_ms = $2, \
       updated_by = $3 WHERE id = $4 AND status = $5 \
     RETURNING id, reader_id, institution_id, work_unit, serial_number, sam_number, \
     status, created_at_ms, created_by, updated_at_ms, updated_by, secret_rotated_at_ms";
pub const ROTATE: &str = "UPDATE readers SET secret_sealed = $1, secret_rotated_at_ms = $2, \
       updated_at_ms = $2, updated_by = $3 WHERE id = $4 AND status <> 'deactivated' \
     RETURNING id, reader_id, institution_id, work_unit, serial_number, sam_number, \
     status, created_at_ms, created_by, updated_at_ms, updated_by, secret_rotated_at_ms";
pub const SEALED: &str = "SELECT secret_sealed FROM readers WHERE id = $1";

pub fn list_sql(all: bool) -> String {
    if all {
        format!("SELECT {COLUMNS} FROM readers ORDER BY reader_id")
    } else {
        format!("SELECT {COLUMNS} FROM readers WHERE institution_id = $1 ORDER BY reader_id")
    }
}

pub fn by_id_sql() -> String {
    format!("SELECT {COLUMNS} FROM readers WHERE id = $1")
}

pub fn by_reader_id_sql() -> String {
    format!("SELECT {COLUMNS} FROM readers WHERE reader_id = $1")
}

/// Implements [`ReaderStore`] for a backend struct with a `pool` field.
macro_rules! impl_reader_store {
    ($ty:ty) => {
        #[async_trait::async_trait]
        impl $crate::storage::ReaderStore for $ty {
            async fn register_reader(
                &self,
                new: &$crate::storage::NewReader,
                actor: &$crate::storage::Actor,
                now_ms: i64,
            ) -> Result<$crate::storage::Reader, $crate::storage::StorageError> {
                use $crate::storage::{StorageError, readers as q};
                q::validate(new)?;
                let mut tx = self.begin_write().await?;
                let found: i64 = sqlx::query_scalar($crate::storage::accounts::INSTITUTION_EXISTS)
                    .bind(new.institution_id)
                    .fetch_one(&mut *tx)
                    .await?;
                if found == 0 {
                    return Err($crate::storage::actor::rejected(
                        "INSTITUTION_UNKNOWN",
                        format!("institution {} does not exist", new.institution_id),
                    ));
                }
                let row: q::ReaderRow = sqlx::query_as(q::INSERT)
                    .bind(&new.reader_id)
                    .bind(new.institution_id)
                    .bind(new.work_unit.trim())
                    .bind(new.serial_number.trim())
                    .bind(new.sam_number.trim())
                    .bind(new.sealed_secret.as_str())
                    .bind(now_ms)
                    .bind(actor.account_id)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(|e| match StorageError::from_write(e) {
                        StorageError::Conflict => $crate::storage::actor::rejected(
                            "READER_ID_TAKEN",
                            "this reader id is already registered",
                        ),
                        other => other,
                    })?;
                let reader = $crate::storage::Reader::try_from(row)?;
                let event = actor.event(
                    now_ms,
                    "reader.register",
                    Some(reader.institution_id),
                    format!("reader:{}", reader.reader_id),
                    serde_json::json!({
                        "work_unit": reader.work_unit,
                        "serial_number": reader.serial_number,
                        "sam_number": reader.sam_number,
                    }),
                );
                $crate::storage::actor::insert_audit_event!(&mut *tx, &event)?;
                tx.commit().await?;
                Ok(reader)
            }

            async fn list_readers(
                &self,
                institution_id: Option<i64>,
            ) -> Result<Vec<$crate::storage::Reader>, $crate::storage::StorageError> {
                let sql = $crate::storage::readers::list_sql(institution_id.is_none());
                let mut query = sqlx::query_as::<_, $crate::storage::readers::ReaderRow>(&sql);
                if let Some(id) = institution_id {
                    query = query.bind(id);
                }
                let rows = query.fetch_all(&self.pool).await?;
                rows.into_iter()
                    .map($crate::storage::Reader::try_from)
                    .collect()
            }

            async fn reader_by_id(
                &self,
                id: i64,
            ) -> Result<Option<$crate::storage::Reader>, $crate::storage::StorageError> {
                let sql = $crate::storage::readers::by_id_sql();
                let row: Option<$crate::storage::readers::ReaderRow> = sqlx::query_as(&sql)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                row.map($crate::storage::Reader::try_from).transpose()
            }

            async fn reader_by_reader_id(
                &self,
                reader_id: &str,
            ) -> Result<Option<$crate::storage::Reader>, $crate::storage::StorageError> {
                let sql = $crate::storage::readers::by_reader_id_sql();
                let row: Option<$crate::storage::readers::ReaderRow> = sqlx::query_as(&sql)
                    .bind(reader_id)
                    .fetch_optional(&self.pool)
                    .await?;
                row.map($crate::storage::Reader::try_from).transpose()
            }

            async fn set_reader_status(
                &self,
                id: i64,
                institution_id: i64,
                to: $crate::storage::ReaderStatus,
                actor: &$crate::storage::Actor,
                now_ms: i64,
            ) -> Result<$crate::storage::Reader, $crate::storage::StorageError> {
                use $crate::storage::{StorageError, readers as q};
                let current = self.reader_by_id(id).await?.ok_or(StorageError::NotFound)?;
                if current.institution_id != institution_id {
                    return Err(q::other_institution());
                }
                if !current.status.may_become(to) {
                    return Err($crate::storage::actor::rejected(
                        "READER_STATUS_NOT_ALLOWED",
                        format!("{} cannot become {}", current.status.as_str(), to.as_str()),
                    ));
                }
                let mut tx = self.begin_write().await?;
                let row: Option<q::ReaderRow> = sqlx::query_as(q::SET_STATUS)
                    .bind(to.as_str())
                    .bind(now_ms)
                    .bind(actor.account_id)
                    .bind(id)
                    .bind(current.status.as_str())
                    .fetch_optional(&mut *tx)
                    .await?;
                let reader =
                    $crate::storage::Reader::try_from(row.ok_or(StorageError::Conflict)?)?;
                let event = actor.event(
                    now_ms,
                    "reader.status",
                    Some(reader.institution_id),
                    format!("reader:{}", reader.reader_id),
                    serde_json::json!({ "from": current.status.as_str(), "to": to.as_str() }),
                );
                $crate::storage::actor::insert_audit_event!(&mut *tx, &event)?;
                tx.commit().await?;
                Ok(reader)
            }

            async fn rotate_reader_secret(
                &self,
                id: i64,
                institution_id: i64,
                sealed: &$crate::secrets::Sealed,
                actor: &$crate::storage::Actor,
                now_ms: i64,
            ) -> Result<$crate::storage::Reader, $crate::storage::StorageError> {
                use $crate::storage::{ReaderStatus, StorageError, readers as q};
                let current = self.reader_by_id(id).await?.ok_or(StorageError::NotFound)?;
                if current.institution_id != institution_id {
                    return Err(q::other_institution());
                }
                if current.status == ReaderStatus::Deactivated {
                    return Err($crate::storage::actor::rejected(
                        "READER_DEACTIVATED",
                        "a deactivated reader gets no new secret",
                    ));
                }
                if sealed.key_id().is_none() {
                    return Err($crate::storage::actor::rejected(
                        "READER_INVALID",
                        "reader secrets are stored sealed only",
                    ));
                }
                let mut tx = self.begin_write().await?;
                let row: Option<q::ReaderRow> = sqlx::query_as(q::ROTATE)
                    .bind(sealed.as_str())
                    .bind(now_ms)
                    .bind(actor.account_id)
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
                let reader =
                    $crate::storage::Reader::try_from(row.ok_or(StorageError::Conflict)?)?;
                let event = actor.event(
                    now_ms,
                    "reader.rotate_secret",
                    Some(reader.institution_id),
                    format!("reader:{}", reader.reader_id),
                    serde_json::json!({}),
                );
                $crate::storage::actor::insert_audit_event!(&mut *tx, &event)?;
                tx.commit().await?;
                Ok(reader)
            }

            async fn sealed_reader_secret(
                &self,
                id: i64,
            ) -> Result<Option<$crate::secrets::Sealed>, $crate::storage::StorageError> {
                let text: Option<String> =
                    sqlx::query_scalar($crate::storage::readers::SEALED)
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await?;
                Ok(text.map($crate::secrets::Sealed::from_stored))
            }
        }
    };
}
pub(crate) use impl_reader_store;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_and_deactivated_is_final() {
        for s in ReaderStatus::ALL {
            assert_eq!(ReaderStatus::parse(s.as_str()), Some(s));
            assert!(!ReaderStatus::Deactivated.may_become(s));
            assert!(!s.may_become(s));
        }
        assert!(ReaderStatus::Active.may_become(ReaderStatus::Inactive));
        assert!(ReaderStatus::Inactive.may_become(ReaderStatus::Active));
        assert_eq!(ReaderStatus::parse("retired"), None);
    }
}
