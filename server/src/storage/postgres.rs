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

    /// The page's links (`AuditEventStore::audit_chain_links`): the rows as `CHAIN_PAGE` reads
    /// them, each hashed on a blocking thread from its values borrowed from sqlx's row buffer
    /// (`chain::RecordFields`), with no owned copy of the record; only the two stored hashes
    /// are kept.
    async fn read_chain_links(
        &self,
        after_seq: i64,
        up_to_seq: i64,
        limit: i64,
    ) -> Result<Vec<crate::audit::chain::ChainLink>, StorageError> {
        let rows = sqlx::query(super::audit_events::CHAIN_PAGE)
            .bind(after_seq)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        tokio::task::spawn_blocking(move || links_of_rows(&rows, up_to_seq))
            .await
            .map_err(|e| StorageError::Corrupt(format!("audit chain page hasher stopped: {e}")))?
    }
}

/// Links of `CHAIN_PAGE` rows up to `up_to_seq` (rows are in seq order), hashed from values
/// borrowed from the rows; a value that does not decode is an error naming the entry and the
/// column.
fn links_of_rows(
    rows: &[sqlx::postgres::PgRow],
    up_to_seq: i64,
) -> Result<Vec<crate::audit::chain::ChainLink>, StorageError> {
    use crate::audit::chain::{ChainLink, stored_link_hash};
    use sqlx::Row as _;
    let mut links = Vec::with_capacity(rows.len());
    let mut buf = Vec::with_capacity(512);
    for r in rows {
        let cell = PgCell {
            r,
            id: r.try_get(0)?,
            seq: r.try_get(1)?,
        };
        if cell.seq > up_to_seq {
            break;
        }
        let prev_hash: Option<String> = cell.get(2, "prev_hash")?;
        let entry_hash: Option<String> = cell.get(3, "entry_hash")?;
        let fields = super::audit_events::chain_fields(&cell)?;
        let computed = stored_link_hash(&mut buf, prev_hash.as_deref(), cell.seq, &fields);
        links.push(ChainLink {
            id: cell.id,
            seq: cell.seq,
            prev_hash,
            entry_hash,
            computed,
        });
    }
    Ok(links)
}

/// One chain page row, its columns decoded (text borrowed) as the schema types them.
struct PgCell<'r> {
    r: &'r sqlx::postgres::PgRow,
    id: i64,
    seq: i64,
}

impl<'r> PgCell<'r> {
    fn get<T>(&self, i: usize, column: &str) -> Result<T, StorageError>
    where
        T: sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
    {
        use sqlx::Row as _;
        self.r.try_get(i).map_err(|e| {
            StorageError::Corrupt(format!(
                "audit chain page: entry id {} seq {}, column {column}: {e}",
                self.id, self.seq
            ))
        })
    }
}

impl<'r> super::audit_events::ChainRow<'r> for PgCell<'r> {
    fn int(&self, i: usize, column: &'static str) -> Result<i64, StorageError> {
        self.get(i, column)
    }
    fn int_or_null(&self, i: usize, column: &'static str) -> Result<Option<i64>, StorageError> {
        self.get(i, column)
    }
    fn text(&self, i: usize, column: &'static str) -> Result<&'r str, StorageError> {
        self.get(i, column)
    }
    fn text_or_null(
        &self,
        i: usize,
        column: &'static str,
    ) -> Result<Option<&'r str>, StorageError> {
        self.get(i, column)
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
