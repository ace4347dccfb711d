//! The SQLite backend: the embedded default, one file in the data folder, WAL journal.

use super::quota::impl_quota_store;
use super::readers::impl_reader_store;
use super::{
    BackendKind, StorageError, accounts::impl_account_store, agreements::impl_agreement_store,
    api_tokens::impl_api_token_store, audit_events::impl_audit_event_store,
    credentials::impl_credential_store, dukcapil_user_ids::impl_dukcapil_user_id_store,
    impl_storage, institutions::impl_institution_store, nda::impl_nda_store,
    sessions::impl_session_record_store, throttle::impl_throttle_store,
};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};
use std::{str::FromStr, sync::Arc, time::Duration};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/sqlite");

/// SQLite storage.
#[derive(Clone)]
pub struct SqliteStorage {
    generation: super::WriteGeneration,
    head_hint: super::HeadHint,
    /// The group writer's connection (rusqlite, synchronous: `super::sqlite_sync`).
    writer: Arc<super::sqlite_sync::SqliteWriter>,
    /// `sigap audit verify`'s page reads (rusqlite: `super::sqlite_sync`).
    page_readers: Arc<super::sqlite_sync::ChainPageReaders>,
    pool: SqlitePool,
}

impl SqliteStorage {
    /// Opens (creating if missing) the database file and applies migrations. The database
    /// must be a file: the group writer and the chain page readers open it again by its path
    /// (`super::sqlite_sync`), so an in-memory database is refused.
    pub async fn connect(url: &str) -> Result<Self, StorageError> {
        if url.contains(":memory:") || url.contains("mode=memory") {
            return Err(StorageError::BadUrl(
                "SIGAP keeps its data in a SQLite file (sqlite://path/to/sigap.db); \
                 an in-memory database is not supported"
                    .into(),
            ));
        }
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| StorageError::BadUrl(e.to_string()))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5))
            // Room for every statement text including the 64 chained-insert sizes.
            .statement_cache_capacity(256)
            // A 32 MiB page cache per connection (SQLite's default is 2 MiB) and memory-mapped
            // reads: the audit trail's indexes (NIK HMAC, operator, outcome) take random pages,
            // which otherwise are read back with a system call on nearly every insert.
            .pragma("cache_size", "-32768")
            .pragma("mmap_size", "268435456");
        let file = options.get_filename().to_path_buf();
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            // No ping before handing out a connection: a connection to a local file cannot go
            // stale, and the ping is one more hand-over to the connection's worker thread (and
            // back) on every transaction.
            .test_before_acquire(false)
            .connect_with(options)
            .await?;
        MIGRATOR.run(&pool).await?;
        let storage = SqliteStorage {
            generation: super::WriteGeneration::default(),
            head_hint: super::HeadHint::default(),
            writer: Arc::new(super::sqlite_sync::SqliteWriter::new(file.clone())),
            page_readers: Arc::new(super::sqlite_sync::ChainPageReaders::new(file)),
            pool,
        };
        super::AuditEventStore::audit_chain_genesis(&storage).await?;
        Ok(storage)
    }
}

impl SqliteStorage {
    /// A write transaction. `BEGIN IMMEDIATE` takes the write lock at once: a deferred
    /// transaction that reads first and writes later fails with "database is locked" when
    /// another write (an audit append, say) commits in between, whatever the busy timeout.
    pub(crate) async fn begin_write(&self) -> Result<super::WriteTx<sqlx::Sqlite>, sqlx::Error> {
        let tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        Ok(super::WriteTx::new(tx, &self.generation))
    }

    /// One page of the audit chain (`AuditEventStore::audit_chain_page`), read by one of the
    /// page readers.
    async fn read_chain_page(
        &self,
        after_seq: i64,
        up_to_seq: i64,
        limit: i64,
    ) -> Result<Vec<super::ChainEntry>, StorageError> {
        self.on_page_reader(move |r| r.read(after_seq, up_to_seq, limit))
            .await
    }

    /// The page's links (`AuditEventStore::audit_chain_links`), hashed while read.
    async fn read_chain_links(
        &self,
        after_seq: i64,
        up_to_seq: i64,
        limit: i64,
    ) -> Result<Vec<crate::audit::chain::ChainLink>, StorageError> {
        self.on_page_reader(move |r| r.read_links(after_seq, up_to_seq, limit))
            .await
    }

    /// Runs a page read on a blocking thread (the readers block while SQLite reads).
    async fn on_page_reader<T: Send + 'static>(
        &self,
        read: impl FnOnce(&super::sqlite_sync::ChainPageReaders) -> Result<T, StorageError>
        + Send
        + 'static,
    ) -> Result<T, StorageError> {
        let readers = self.page_readers.clone();
        tokio::task::spawn_blocking(move || read(&readers))
            .await
            .map_err(|e| StorageError::Corrupt(format!("audit chain page reader stopped: {e}")))?
    }
}

/// The access path's group writes go to the writer's own connection (`super::sqlite_sync`),
/// synchronously: the group writer calls this from its own thread. They do not move the write
/// generation (counters and the audit trail are never cached).
#[async_trait::async_trait]
impl super::BatchStore for SqliteStorage {
    async fn apply_batch(
        &self,
        ops: &[super::BatchOp],
    ) -> Result<Vec<super::BatchDone>, StorageError> {
        self.writer.apply(ops, &self.head_hint)
    }
}

impl_institution_store!(SqliteStorage);
impl_audit_event_store!(SqliteStorage);
impl_account_store!(SqliteStorage);
impl_agreement_store!(SqliteStorage);
impl_dukcapil_user_id_store!(SqliteStorage);
impl_nda_store!(SqliteStorage);
impl_session_record_store!(SqliteStorage);
impl_credential_store!(SqliteStorage);
impl_throttle_store!(SqliteStorage);
impl_api_token_store!(SqliteStorage);
impl_quota_store!(SqliteStorage);
impl_reader_store!(SqliteStorage);
impl_storage!(SqliteStorage, BackendKind::Sqlite, MIGRATOR);

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_in_memory_database_is_refused() {
        for url in [
            "sqlite::memory:",
            "sqlite://sigap.db?mode=memory&cache=shared",
        ] {
            assert!(
                matches!(
                    SqliteStorage::connect(url).await,
                    Err(StorageError::BadUrl(_))
                ),
                "{url}"
            );
        }
    }

    /// The access search's conditions are index ranges: a NIK search within a date window
    /// walks that window of `audit_events_at`, not the whole trail.
    #[tokio::test]
    async fn an_access_search_in_a_date_window_is_a_range_of_the_time_index() {
        let dir = std::env::temp_dir().join(format!("sigap-plan-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}/plan.db", dir.display());
        let storage = SqliteStorage::connect(&url).await.unwrap();
        let day = time::macros::date!(2026 - 11 - 27);
        let filter = crate::storage::AccessEventFilter {
            nik_hmac: Some("ab".repeat(32)),
            from_day: Some(day),
            to_day: Some(day),
            ..Default::default()
        };
        let (sql, args) = crate::storage::audit_events::search_access_sql(&filter);
        let explain = format!("EXPLAIN QUERY PLAN {sql}");
        let query = crate::storage::audit_events::bind_search_args(
            sqlx::query_as::<_, (i64, i64, i64, String)>(&explain),
            args,
        );
        let plan: Vec<String> = query
            .fetch_all(&storage.pool)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.3)
            .collect();
        assert!(
            plan.iter()
                .any(|p| p.contains("audit_events_at (at_ms>? AND at_ms<?)")),
            "{plan:?}"
        );
        drop(storage);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
