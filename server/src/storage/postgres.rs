//! The PostgreSQL backend: for several `sigap` replicas sharing one database.

use super::{
    BackendKind, StorageError, audit_events::impl_audit_event_store, impl_storage,
    institutions::impl_institution_store,
};
use sqlx::postgres::{PgPool, PgPoolOptions};
use std::time::Duration;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/postgres");

/// PostgreSQL storage.
#[derive(Clone)]
pub struct PgStorage {
    pool: PgPool,
}

impl PgStorage {
    /// Connects and applies migrations (sqlx takes an advisory lock, so replicas may race).
    pub async fn connect(url: &str) -> Result<Self, StorageError> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(5))
            .connect(url)
            .await?;
        MIGRATOR.run(&pool).await?;
        Ok(PgStorage { pool })
    }
}

impl_institution_store!(PgStorage);
impl_audit_event_store!(PgStorage);
impl_storage!(PgStorage, BackendKind::Postgres, MIGRATOR);
