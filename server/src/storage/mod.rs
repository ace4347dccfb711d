//! Storage: one interface ([`Storage`]), two backends (SQLite, the embedded default, and
//! PostgreSQL for several replicas), chosen by the database URL.
//!
//! Both backends run the same SQL text where the dialects agree (`$1` placeholders,
//! `RETURNING`); each has its own migrations folder (`migrations/sqlite`,
//! `migrations/postgres`), applied at start. Population data never comes here.

pub(crate) mod accounts;
pub(crate) mod actor;
pub(crate) mod agreements;
pub(crate) mod api_tokens;
pub(crate) mod audit_events;
pub(crate) mod batch;
pub(crate) mod credentials;
pub(crate) mod dukcapil_user_ids;
mod institutions;
pub(crate) mod nda;
mod postgres;
pub(crate) mod quota;
pub(crate) mod readers;
pub(crate) mod sessions;
mod sqlite;
mod sqlite_sync;
pub(crate) mod throttle;

pub use accounts::{
    Account, AccountStore, LocalUserIdAssignment, NewAccount, NewStaffChangeNotice,
    StaffChangeNotice,
};
pub use actor::Actor;
pub use agreements::{
    Addendum, Agreement, AgreementStore, AgreementUpdate, NewAddendum, NewAgreement, NewSptjm,
    Sptjm,
};
pub use api_tokens::{ApiToken, ApiTokenStore, NewApiToken};
pub use audit_events::{
    AccessChannel, AccessEvent, AccessEventFilter, AccessKind, AppendedEntry, AuditEvent,
    AuditEventFilter, AuditEventStore, AuditOutcome, AuditRecord, ChainEntry, ChainHead,
    NewAccessEvent, NewAuditEvent, wib_day_start_ms,
};
pub use batch::{BatchDone, BatchOp, BatchSettle, BatchStore};
pub use dukcapil_user_ids::{DukcapilUserId, DukcapilUserIdStore, UserIdApplication};
pub use institutions::{Institution, InstitutionStore, InstitutionUpdate, NewInstitution};
pub use nda::{NdaAcceptance, NdaSignature, NdaStatus, NdaStore, NdaVersion};
pub use quota::{QuotaDay, QuotaStore, QuotaSubject, ReserveOutcome, ReserveRequest, Settlement};
pub use readers::{NewReader, Reader, ReaderStatus, ReaderStore};

pub use credentials::{Ceremony, CredentialStore, NewPasskey, SecondFactorReset, StoredPasskey};
pub use sessions::{SessionRecordStore, SessionRow, SessionWrite};
pub use throttle::{ThrottleState, ThrottleStore};

pub use postgres::PgStorage;
pub use sqlite::SqliteStorage;

use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Counts the write transactions this process has ended (committed or rolled back), so
/// in-process caches of read-mostly rows ([`crate::read_cache`]) know when to read again.
#[derive(Debug, Clone, Default)]
pub(crate) struct WriteGeneration(Arc<AtomicU64>);

impl WriteGeneration {
    pub(crate) fn current(&self) -> u64 {
        self.0.load(Ordering::Acquire)
    }
}

/// Moves the generation on when dropped: after the transaction it belongs to has ended.
struct BumpOnDrop(Arc<AtomicU64>);

impl Drop for BumpOnDrop {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::AcqRel);
    }
}

/// The audit chain head (seq, hash) this process's group writer committed last: a hint that
/// saves taking the head (see `append_chained!`); wrong or stale hints are detected there.
/// Clones share it (they share the pool).
#[derive(Debug, Default, Clone)]
pub(crate) struct HeadHint(Arc<std::sync::Mutex<Option<HeadAt>>>);

/// A chain head: (seq, hash).
pub(crate) type HeadAt = (i64, [u8; 32]);

impl HeadHint {
    pub(crate) fn take(&self) -> Option<HeadAt> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
    }

    pub(crate) fn set(&self, head: Option<HeadAt>) {
        *self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = head;
    }
}

/// A write transaction of a backend. Used as `&mut *tx` like an `sqlx::Transaction`; when it
/// ends (`commit`, `rollback`, or dropped) the process's [`WriteGeneration`] moves on, so a
/// cached read taken before the change is read again. The access path's group writes do not
/// use it and do not move it (they change only counters and the audit trail, which are never
/// cached): they run in a [`BatchTx`] (PostgreSQL) or on SQLite's writer connection
/// (`sqlite_sync`).
pub(crate) struct WriteTx<DB: sqlx::Database> {
    tx: sqlx::Transaction<'static, DB>,
    bump: BumpOnDrop,
}

impl<DB: sqlx::Database> WriteTx<DB> {
    fn new(tx: sqlx::Transaction<'static, DB>, generation: &WriteGeneration) -> Self {
        WriteTx {
            tx,
            bump: BumpOnDrop(generation.0.clone()),
        }
    }

    pub(crate) async fn commit(self) -> Result<(), sqlx::Error> {
        let WriteTx { tx, bump } = self;
        let result = tx.commit().await;
        drop(bump);
        result
    }

    pub(crate) async fn rollback(self) -> Result<(), sqlx::Error> {
        let WriteTx { tx, bump } = self;
        let result = tx.rollback().await;
        drop(bump);
        result
    }
}

impl<DB: sqlx::Database> std::ops::Deref for WriteTx<DB> {
    type Target = DB::Connection;
    fn deref(&self) -> &DB::Connection {
        &self.tx
    }
}

impl<DB: sqlx::Database> std::ops::DerefMut for WriteTx<DB> {
    fn deref_mut(&mut self) -> &mut DB::Connection {
        &mut self.tx
    }
}

/// The PostgreSQL group writer's own connection, outside the pool (clones share it); SQLite's
/// writer has its own, synchronous one (`sqlite_sync`). A pooled connection cost a ping on
/// every group otherwise: sqlx tests a connection given back to the pool with a round trip to
/// the server, and PostgreSQL's pool pings again before handing one out. It is opened with the
/// pool's connect options (so a storage has one connection more than the pool's maximum, and
/// the pool's lifetime and idle limits do not apply to it) when first needed, on the runtime of
/// the group writer's thread, and dropped, not reused, after any failure: a transaction left
/// open by an error or a cancellation is rolled back when the server sees the socket closed,
/// and the next group opens another. It is kept with the thread that opened it and used on no
/// other: its socket is registered with that thread's runtime, which ends with a group
/// writer's thread (a new writer's thread opens its own; two writers on one storage, as some
/// tests have, would each replace the other's; the last one stays open, idle, until replaced
/// or the storage is dropped). Generic over the backend, used by PostgreSQL only.
pub(crate) struct BatchConn<DB: sqlx::Database>(Arc<tokio::sync::Mutex<Option<KeptConn<DB>>>>);

/// The writer's connection and the thread that opened it.
pub(crate) struct KeptConn<DB: sqlx::Database> {
    thread: std::thread::ThreadId,
    conn: DB::Connection,
}

impl<DB: sqlx::Database> Clone for BatchConn<DB> {
    fn clone(&self) -> Self {
        BatchConn(self.0.clone())
    }
}

impl<DB: sqlx::Database> Default for BatchConn<DB> {
    fn default() -> Self {
        BatchConn(Arc::new(tokio::sync::Mutex::new(None)))
    }
}

/// A transaction on the group writer's connection ([`BatchConn`]), used as `&mut *tx`. One
/// at a time per storage. Not committed (an error, a cancellation): the connection is
/// dropped, which rolls the transaction back, and the next group opens another.
pub(crate) struct BatchTx<DB: sqlx::Database> {
    slot: tokio::sync::OwnedMutexGuard<Option<KeptConn<DB>>>,
    conn: DB::Connection,
}

impl<DB: sqlx::Database> BatchTx<DB>
where
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
{
    /// Starts a transaction with `begin` on the writer's connection, opening one with
    /// `pool`'s options if there is none or it was opened on another thread. A kept
    /// connection that fails to begin (the server closed it while idle, say) is dropped and a
    /// fresh one tried once.
    pub(crate) async fn begin(
        batch: &BatchConn<DB>,
        pool: &sqlx::Pool<DB>,
        begin: &'static str,
    ) -> Result<Self, sqlx::Error> {
        let mut slot = batch.0.clone().lock_owned().await;
        let here = std::thread::current().id();
        // A kept connection of another thread, or one that fails to begin, is dropped: a
        // fresh one below.
        if let Some(KeptConn { thread, mut conn }) = slot.take()
            && thread == here
            && sqlx::Executor::execute(&mut conn, begin).await.is_ok()
        {
            return Ok(BatchTx { slot, conn });
        }
        // Opened here rather than taken from the pool: its socket belongs to the runtime of
        // the caller (the group writer's own thread, see `crate::group_commit`), so its
        // answers wake that thread directly. Bounded as the pool's acquire is: an unreachable
        // server fails the group, it does not hold the writer for the system's connect
        // timeout.
        let options = pool.connect_options();
        let connect = <DB::Connection as sqlx::Connection>::connect_with(&*options);
        let mut conn = tokio::time::timeout(pool.options().get_acquire_timeout(), connect)
            .await
            .map_err(|_| sqlx::Error::PoolTimedOut)??;
        sqlx::Executor::execute(&mut conn, begin).await?;
        Ok(BatchTx { slot, conn })
    }

    /// Commits; the connection is kept for the next group only if the commit succeeded.
    pub(crate) async fn commit(self) -> Result<(), sqlx::Error> {
        let BatchTx { mut slot, mut conn } = self;
        sqlx::Executor::execute(&mut conn, "COMMIT").await?;
        *slot = Some(KeptConn {
            thread: std::thread::current().id(),
            conn,
        });
        Ok(())
    }
}

impl<DB: sqlx::Database> std::ops::Deref for BatchTx<DB> {
    type Target = DB::Connection;
    fn deref(&self) -> &DB::Connection {
        &self.conn
    }
}

impl<DB: sqlx::Database> std::ops::DerefMut for BatchTx<DB> {
    fn deref_mut(&mut self) -> &mut DB::Connection {
        &mut self.conn
    }
}

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
    /// Refused before anything was written: bad input, a name already taken, a change of
    /// state that is not allowed. `code` is stable (e.g. `USERNAME_TAKEN`).
    #[error("{code}: {message}")]
    Rejected { code: &'static str, message: String },
    /// A stored value this binary does not understand (e.g. an unknown role code): an error,
    /// never a default.
    #[error("stored data not understood: {0}")]
    Corrupt(String),
    #[error("invalid database URL: {0}")]
    BadUrl(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// The commit of a write failed in a way that leaves its outcome unknown (e.g. the
    /// connection dropped after COMMIT was sent): it must not be written again blindly.
    #[error("commit outcome unknown: {0}")]
    CommitOutcomeUnknown(String),
    /// A failure of the SQLite group writer's own connection (`sqlite_sync`, rusqlite).
    #[error("database error: {0}")]
    Sqlite(rusqlite::Error),
    #[error("migration error: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl StorageError {
    /// A stable code for clients and logs.
    pub fn code(&self) -> &'static str {
        match self {
            StorageError::NotFound => "NOT_FOUND",
            StorageError::Conflict => "CONFLICT",
            StorageError::Rejected { code, .. } => code,
            StorageError::Corrupt(_) => "STORAGE_CORRUPT",
            StorageError::BadUrl(_) => "DATABASE_URL_INVALID",
            StorageError::Database(_)
            | StorageError::Sqlite(_)
            | StorageError::CommitOutcomeUnknown(_) => "DATABASE_ERROR",
            StorageError::Migrate(_) => "MIGRATION_ERROR",
        }
    }

    pub(crate) fn from_write(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::Database(db) if db.is_unique_violation() => StorageError::Conflict,
            sqlx::Error::RowNotFound => StorageError::NotFound,
            _ => StorageError::Database(e),
        }
    }
}

impl From<rusqlite::Error> for StorageError {
    /// As [`StorageError::from_write`]: a unique key taken is a conflict, no row is "not found".
    fn from(e: rusqlite::Error) -> Self {
        match &e {
            rusqlite::Error::SqliteFailure(f, _)
                if matches!(
                    f.extended_code,
                    rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                        | rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
                ) =>
            {
                StorageError::Conflict
            }
            rusqlite::Error::QueryReturnedNoRows => StorageError::NotFound,
            _ => StorageError::Sqlite(e),
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

/// The one storage interface every part of the server uses: the engine-level methods here,
/// one sub-trait per area (each in its own module with its SQL and its `impl_*!` body).
#[async_trait::async_trait]
pub trait Storage:
    InstitutionStore
    + AuditEventStore
    + AccountStore
    + AgreementStore
    + DukcapilUserIdStore
    + NdaStore
    + SessionRecordStore
    + CredentialStore
    + ThrottleStore
    + ApiTokenStore
    + QuotaStore
    + ReaderStore
    + BatchStore
    + Send
    + Sync
    + 'static
{
    fn kind(&self) -> BackendKind;
    /// How many write transactions this process has ended on this storage (moves on after
    /// each; the access path's group writes excepted). Caches compare it.
    fn write_generation(&self) -> u64;
    /// One round trip to the database.
    async fn ping(&self) -> Result<(), StorageError>;
    async fn migration_state(&self) -> Result<MigrationState, StorageError>;
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

/// Implements [`Storage`] (the engine-level methods) for a backend struct with a `pool` field.
macro_rules! impl_storage {
    ($ty:ty, $kind:expr, $migrator:expr) => {
        #[async_trait::async_trait]
        impl $crate::storage::Storage for $ty {
            fn kind(&self) -> $crate::storage::BackendKind {
                $kind
            }

            fn write_generation(&self) -> u64 {
                self.generation.current()
            }

            async fn ping(&self) -> Result<(), $crate::storage::StorageError> {
                sqlx::query("SELECT 1").execute(&self.pool).await?;
                Ok(())
            }

            async fn migration_state(
                &self,
            ) -> Result<$crate::storage::MigrationState, $crate::storage::StorageError> {
                let applied: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM _sqlx_migrations WHERE success = TRUE",
                )
                .fetch_one(&self.pool)
                .await?;
                Ok($crate::storage::migration_state_from(&$migrator, applied))
            }
        }
    };
}
pub(crate) use impl_storage;
