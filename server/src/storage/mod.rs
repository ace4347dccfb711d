//! Storage: one interface ([`Storage`]), two backends (SQLite, the embedded default, and
//! PostgreSQL for several replicas), chosen by the database URL.
//!
//! Both backends run the same SQL text where the dialects agree (`$1` placeholders,
//! `RETURNING`); each has its own migrations folder (`migrations/sqlite`,
//! `migrations/postgres`), applied at start. Population data never comes here.

mod postgres;
mod sql;
mod sqlite;

pub use postgres::PgStorage;
pub use sqlite::SqliteStorage;

use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Which database engine a storage uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BackendKind {
    Sqlite,
    Postgres,
}

impl BackendKind {
    pub fn name(self) -> &'static str {
        match self {
            BackendKind::Sqlite => "SQLite",
            BackendKind::Postgres => "PostgreSQL",
        }
    }
}

/// A storage failure. `Database` carries the internal cause, which is logged, never shown.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("not found")]
    NotFound,
    #[error("already exists")]
    Conflict,
    #[error("invalid database URL: {0}")]
    BadUrl(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration error: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl StorageError {
    pub(crate) fn from_write(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::Database(db) if db.is_unique_violation() => StorageError::Conflict,
            sqlx::Error::RowNotFound => StorageError::NotFound,
            _ => StorageError::Database(e),
        }
    }
}

/// How far the schema is: migrations applied vs. embedded in this binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MigrationState {
    pub applied: i64,
    pub expected: i64,
}

impl MigrationState {
    pub fn complete(&self) -> bool {
        self.applied == self.expected
    }
}

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

/// The one storage interface every part of the server uses.
#[async_trait::async_trait]
pub trait Storage: Send + Sync + 'static {
    fn kind(&self) -> BackendKind;
    /// One round trip to the database.
    async fn ping(&self) -> Result<(), StorageError>;
    async fn migration_state(&self) -> Result<MigrationState, StorageError>;

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

/// Connects to the database the URL names and applies its migrations.
pub async fn connect(url: &str) -> Result<Arc<dyn Storage>, StorageError> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStorage::connect(url).await?))
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Ok(Arc::new(PgStorage::connect(url).await?))
    } else {
        Err(StorageError::BadUrl(
            "expected sqlite://... or postgres://...".into(),
        ))
    }
}

/// Counts applied migrations against the embedded ones; shared by both backends.
fn migration_state_from(migrator: &sqlx::migrate::Migrator, applied: i64) -> MigrationState {
    MigrationState {
        applied,
        expected: migrator.iter().count() as i64,
    }
}

/// Implements [`Storage`] for a backend struct with a `pool` field and a `MIGRATOR` static;
/// the SQL is shared (see `sql.rs`), so both backends run one body.
macro_rules! impl_storage {
    ($ty:ty, $kind:expr, $migrator:expr) => {
        #[async_trait::async_trait]
        impl $crate::storage::Storage for $ty {
            fn kind(&self) -> $crate::storage::BackendKind {
                $kind
            }

            async fn ping(&self) -> Result<(), $crate::storage::StorageError> {
                sqlx::query("SELECT 1").execute(&self.pool).await?;
                Ok(())
            }

            async fn migration_state(
                &self,
            ) -> Result<$crate::storage::MigrationState, $crate::storage::StorageError> {
                let applied: i64 = sqlx::query_scalar($crate::storage::sql::COUNT_MIGRATIONS)
                    .fetch_one(&self.pool)
                    .await?;
                Ok($crate::storage::migration_state_from(&$migrator, applied))
            }

            async fn create_institution(
                &self,
                new: &$crate::storage::NewInstitution,
                now_ms: i64,
            ) -> Result<$crate::storage::Institution, $crate::storage::StorageError> {
                sqlx::query_as($crate::storage::sql::INSERT_INSTITUTION)
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
                Ok(sqlx::query_as($crate::storage::sql::INSTITUTION_BY_CODE)
                    .bind(code)
                    .fetch_optional(&self.pool)
                    .await?)
            }

            async fn update_institution(
                &self,
                code: &str,
                update: &$crate::storage::InstitutionUpdate,
                now_ms: i64,
            ) -> Result<$crate::storage::Institution, $crate::storage::StorageError> {
                sqlx::query_as($crate::storage::sql::UPDATE_INSTITUTION)
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
                Ok(sqlx::query_as($crate::storage::sql::LIST_INSTITUTIONS)
                    .fetch_all(&self.pool)
                    .await?)
            }
        }
    };
}
pub(crate) use impl_storage;
