//! The PostgreSQL backend: for several `sigap` replicas sharing one database.

use super::batch::impl_batch_store;
use super::quota::impl_quota_store;
use super::readers::impl_reader_store;
use super::{
    BackendKind, StorageError, accounts::impl_account_store, agreements::impl_agreement_store,
    api_tokens::impl_api_token_store, audit_events::impl_audit_event_store,
    credentials::impl_credential_store, dukcapil_user_ids::impl_dukcapil_user_id_store,
    impl_storage, institutions::impl_institution_store, nda::impl_nda_store,
    sessions::impl_session_record_store, throttle::impl_throttle_store,
};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use std::str::FromStr;
use std::time::Duration;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/postgres");

/// PostgreSQL storage.
#[derive(Clone)]
pub struct PgStorage {
    generation: super::WriteGeneration,
    head_hint: super::HeadHint,
    batch_conn: super::BatchConn<sqlx::Postgres>,
    pool: PgPool,
}

impl PgStorage {
    /// Connects and applies migrations (sqlx takes an advisory lock, so replicas may race).
    pub async fn connect(url: &str) -> Result<Self, StorageError> {
        // No request waits forever: a row lock not granted within 15 s, a statement running
        // past 60 s or a transaction left idle for 60 s ends with an error (logged with a
        // reference id) instead of holding a connection and a worker.
        let options = PgConnectOptions::from_str(url)?
            .options([
                ("lock_timeout", "15s"),
                ("statement_timeout", "60s"),
                ("idle_in_transaction_session_timeout", "60s"),
            ])
            // Room for every statement text including the 64 chained-insert sizes.
            .statement_cache_capacity(256);
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(options)
            .await?;
        MIGRATOR.run(&pool).await?;
        let storage = PgStorage {
            generation: super::WriteGeneration::default(),
            head_hint: super::HeadHint::default(),
            batch_conn: super::BatchConn::default(),
            pool,
        };
        super::AuditEventStore::audit_chain_genesis(&storage).await?;
        Ok(storage)
    }
}

impl PgStorage {
    /// A write transaction (row locks and conditional updates do the serialising).
    pub(crate) async fn begin_write(&self) -> Result<super::WriteTx<sqlx::Postgres>, sqlx::Error> {
        let tx = self.pool.begin().await?;
        Ok(super::WriteTx::new(tx, &self.generation))
    }

    /// [`Self::begin_write`] for the access path's group writes (counters and audit trail
    /// only), on the group writer's own connection (`BatchConn`): does not move the write
    /// generation.
    pub(crate) async fn begin_batch_write(
        &self,
    ) -> Result<super::BatchTx<sqlx::Postgres>, sqlx::Error> {
        super::BatchTx::begin(&self.batch_conn, &self.pool, "BEGIN").await
    }

    /// One page of the audit chain (`AuditEventStore::audit_chain_page`): rows in seq order
    /// (`CHAIN_PAGE`, which walks the `seq` index), those past `up_to_seq` dropped here.
    async fn read_chain_page(
        &self,
        after_seq: i64,
        up_to_seq: i64,
        limit: i64,
    ) -> Result<Vec<super::ChainEntry>, StorageError> {
        let mut rows: Vec<super::ChainEntry> = sqlx::query_as(super::audit_events::CHAIN_PAGE)
            .bind(after_seq)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.retain(|e| e.seq <= up_to_seq);
        Ok(rows)
    }

    /// The page's links (`AuditEventStore::audit_chain_links`): the rows read as above, hashed
    /// on a blocking thread.
    async fn read_chain_links(
        &self,
        after_seq: i64,
        up_to_seq: i64,
        limit: i64,
    ) -> Result<Vec<crate::audit::chain::ChainLink>, StorageError> {
        let page = self.read_chain_page(after_seq, up_to_seq, limit).await?;
        tokio::task::spawn_blocking(move || crate::audit::chain::ChainLink::of_page(page))
            .await
            .map_err(|e| StorageError::Corrupt(format!("audit chain page hasher stopped: {e}")))
    }
}

impl_institution_store!(PgStorage);
impl_audit_event_store!(PgStorage);
impl_account_store!(PgStorage);
impl_agreement_store!(PgStorage);
impl_dukcapil_user_id_store!(PgStorage);
impl_nda_store!(PgStorage);
impl_session_record_store!(PgStorage);
impl_credential_store!(PgStorage);
impl_throttle_store!(PgStorage);
impl_api_token_store!(PgStorage);
impl_quota_store!(PgStorage);
impl_batch_store!(PgStorage);
impl_reader_store!(PgStorage);
impl_storage!(PgStorage, BackendKind::Postgres, MIGRATOR);
