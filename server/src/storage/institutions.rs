//! Institutions (instansi): the [`InstitutionStore`] area of storage, its SQL (shared by both
//! backends) and the `impl_institution_store!` body both backends expand.

use super::StorageError;
use serde::{Deserialize, Serialize};

/// An institution (instansi) using SIGAP, e.g. a regency's BPBD.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Institution {
    pub id: i64,
    /// Short unique code, e.g. `BPBD-3313`.
    pub code: String,
    pub name: String,
    /// Kemendagri region code of the institution's area, e.g. `33.13`.
    pub region_code: String,
    pub address: String,
    /// Unix milliseconds.
    pub created_at: i64,
    pub updated_at: i64,
}

/// Fields to create an institution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInstitution {
    pub code: String,
    pub name: String,
    pub region_code: String,
    pub address: String,
}

/// Fields an admin may change; `None` keeps the stored value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InstitutionUpdate {
    pub name: Option<String>,
    pub region_code: Option<String>,
    pub address: Option<String>,
}

/// Creating, reading, updating and listing institutions.
#[async_trait::async_trait]
pub trait InstitutionStore {
    async fn create_institution(
        &self,
        new: &NewInstitution,
        now_ms: i64,
    ) -> Result<Institution, StorageError>;
    async fn institution_by_code(&self, code: &str) -> Result<Option<Institution>, StorageError>;
    async fn update_institution(
        &self,
        code: &str,
        update: &InstitutionUpdate,
        now_ms: i64,
    ) -> Result<Institution, StorageError>;
    async fn list_institutions(&self) -> Result<Vec<Institution>, StorageError>;
}

pub const INSERT_INSTITUTION: &str = "INSERT INTO institutions \
       (code, name, region_code, address, created_at, updated_at) \
     VALUES ($1, $2, $3, $4, $5, $5) \
     RETURNING id, code, name, region_code, address, created_at, updated_at";

pub const INSTITUTION_BY_CODE: &str = "SELECT id, code, name, region_code, address, created_at, updated_at \
     FROM institutions WHERE code = $1";

pub const UPDATE_INSTITUTION: &str = "UPDATE institutions SET \
       name = COALESCE($2, name), \
       region_code = COALESCE($3, region_code), \
       address = COALESCE($4, address), \
       updated_at = $5 \
     WHERE code = $1 \
     RETURNING id, code, name, region_code, address, created_at, updated_at";

pub const LIST_INSTITUTIONS: &str = "SELECT id, code, name, region_code, address, created_at, updated_at \
     FROM institutions ORDER BY code";

/// Implements [`InstitutionStore`] for a backend struct with a `pool` field.
macro_rules! impl_institution_store {
    ($ty:ty) => {
        #[async_trait::async_trait]
        impl $crate::storage::InstitutionStore for $ty {
            async fn create_institution(
                &self,
                new: &$crate::storage::NewInstitution,
                now_ms: i64,
            ) -> Result<$crate::storage::Institution, $crate::storage::StorageError> {
                sqlx::query_as($crate::storage::institutions::INSERT_INSTITUTION)
                    .bind(&new.code)
                    .bind(&new.name)
                    .bind(&new.region_code)
                    .bind(&new.address)
                    .bind(now_ms)
                    .fetch_one(&self.pool)
                    .await
                    .map_err($crate::storage::StorageError::from_write)
            }

            async fn institution_by_code(
                &self,
                code: &str,
            ) -> Result<Option<$crate::storage::Institution>, $crate::storage::StorageError> {
                Ok(
                    sqlx::query_as($crate::storage::institutions::INSTITUTION_BY_CODE)
                        .bind(code)
                        .fetch_optional(&self.pool)
                        .await?,
                )
            }

            async fn update_institution(
                &self,
                code: &str,
                update: &$crate::storage::InstitutionUpdate,
                now_ms: i64,
            ) -> Result<$crate::storage::Institution, $crate::storage::StorageError> {
                sqlx::query_as($crate::storage::institutions::UPDATE_INSTITUTION)
                    .bind(code)
                    .bind(update.name.as_deref())
                    .bind(update.region_code.as_deref())
                    .bind(update.address.as_deref())
                    .bind(now_ms)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err($crate::storage::StorageError::from_write)?
                    .ok_or($crate::storage::StorageError::NotFound)
            }

            async fn list_institutions(
                &self,
            ) -> Result<Vec<$crate::storage::Institution>, $crate::storage::StorageError> {
                Ok(
                    sqlx::query_as($crate::storage::institutions::LIST_INSTITUTIONS)
                        .fetch_all(&self.pool)
                        .await?,
                )
            }
        }
    };
}
pub(crate) use impl_institution_store;
