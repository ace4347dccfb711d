//! A short-lived in-process cache of the read-mostly rows the access path reads on every
//! request: the API token and its service account, the institution's agreements, the live
//! Dukcapil user ID of a local user ID, its sealed credential, its quota subject and the
//! operator's daily cap. Never population data, never quota counters or audit entries.
//!
//! An entry is used only while both hold:
//! - no write transaction of this process has ended since it was read (the storage's
//!   [`crate::storage::Storage::write_generation`], moved on after every commit or rollback):
//!   a token revoked, an account deactivated, an agreement ended or a user ID withdrawn through
//!   this server takes effect on the very next request;
//! - it is younger than the configured lifetime (`[check] read_cache_ms`, default 1,000 ms; 0
//!   turns the cache off): a change made through ANOTHER replica sharing PostgreSQL, or
//!   directly in the database, takes effect within that time.

use crate::secrets::Sealed;
use crate::storage::{
    Account, Agreement, ApiToken, DukcapilUserId, QuotaSubject, Storage, StorageError,
};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Entries kept at most; the cache is emptied when full (it refills in one request each).
const MAX_ENTRIES: usize = 10_000;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    TokenByHash(String),
    Account(i64),
    Agreements(i64),
    LiveUserId(i64, String),
    Sealed(i64),
    Subject(String),
    OperatorCap(i64),
}

#[derive(Clone)]
enum Value {
    Token(Box<Option<ApiToken>>),
    Account(Box<Option<Account>>),
    Agreements(Arc<Vec<Agreement>>),
    LiveUserId(Box<Option<DukcapilUserId>>),
    Sealed(Option<Sealed>),
    Subject(Option<QuotaSubject>),
    OperatorCap(Option<i64>),
}

struct Entry {
    generation: u64,
    at: Instant,
    value: Value,
}

/// The cache of one server (clone freely).
#[derive(Clone)]
pub struct ReadCache {
    storage: Arc<dyn Storage>,
    ttl: Duration,
    entries: Arc<Mutex<HashMap<Key, Entry>>>,
}

impl std::fmt::Debug for ReadCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadCache")
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl ReadCache {
    /// A cache over `storage` whose entries live at most `ttl` (zero: no caching).
    pub fn new(storage: Arc<dyn Storage>, ttl: Duration) -> Self {
        ReadCache {
            storage,
            ttl,
            entries: Arc::default(),
        }
    }

    /// The storage read through.
    pub fn storage(&self) -> &Arc<dyn Storage> {
        &self.storage
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Entry>> {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn cached(&self, key: &Key, generation: u64) -> Option<Value> {
        if self.ttl.is_zero() {
            return None;
        }
        let entries = self.lock();
        let e = entries.get(key)?;
        (e.generation == generation && e.at.elapsed() < self.ttl).then(|| e.value.clone())
    }

    fn keep(&self, key: Key, generation: u64, value: Value) {
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = self.lock();
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(
            key,
            Entry {
                generation,
                at: Instant::now(),
                value,
            },
        );
    }

    /// The generation read BEFORE loading is the one stored: a write ending while the row is
    /// read leaves the entry already stale.
    async fn get<T>(
        &self,
        key: Key,
        pick: fn(Value) -> Option<T>,
        load: impl Future<Output = Result<Value, StorageError>>,
    ) -> Result<T, StorageError> {
        let generation = self.storage.write_generation();
        if let Some(v) = self.cached(&key, generation).and_then(pick) {
            return Ok(v);
        }
        let value = load.await?;
        self.keep(key, generation, value.clone());
        pick(value).ok_or_else(|| StorageError::Corrupt("read cache: value of another kind".into()))
    }

    pub async fn api_token_by_hash(&self, hash: &str) -> Result<Option<ApiToken>, StorageError> {
        self.get(
            Key::TokenByHash(hash.to_string()),
            |v| match v {
                Value::Token(t) => Some(*t),
                _ => None,
            },
            async {
                Ok(Value::Token(Box::new(
                    self.storage.api_token_by_hash(hash).await?,
                )))
            },
        )
        .await
    }

    /// Records in the cached token that its last use was written at `now_ms`, so the next
    /// requests do not write it again within the minute.
    pub fn note_token_used(&self, hash: &str, now_ms: i64) {
        let mut entries = self.lock();
        if let Some(Entry {
            value: Value::Token(t),
            ..
        }) = entries.get_mut(&Key::TokenByHash(hash.to_string()))
            && let Some(t) = t.as_mut()
        {
            t.last_used_at_ms = Some(now_ms);
        }
    }

    pub async fn account_by_id(&self, id: i64) -> Result<Option<Account>, StorageError> {
        self.get(
            Key::Account(id),
            |v| match v {
                Value::Account(a) => Some(*a),
                _ => None,
            },
            async {
                Ok(Value::Account(Box::new(
                    self.storage.account_by_id(id).await?,
                )))
            },
        )
        .await
    }

    pub async fn agreements(
        &self,
        institution_id: i64,
    ) -> Result<Arc<Vec<Agreement>>, StorageError> {
        self.get(
            Key::Agreements(institution_id),
            |v| match v {
                Value::Agreements(a) => Some(a),
                _ => None,
            },
            async {
                Ok(Value::Agreements(Arc::new(
                    self.storage.list_agreements(institution_id).await?,
                )))
            },
        )
        .await
    }

    pub async fn live_dukcapil_user_id(
        &self,
        institution_id: i64,
        local_user_id: &str,
    ) -> Result<Option<DukcapilUserId>, StorageError> {
        self.get(
            Key::LiveUserId(institution_id, local_user_id.to_string()),
            |v| match v {
                Value::LiveUserId(u) => Some(*u),
                _ => None,
            },
            async {
                Ok(Value::LiveUserId(Box::new(
                    self.storage
                        .live_dukcapil_user_id(institution_id, local_user_id)
                        .await?,
                )))
            },
        )
        .await
    }

    pub async fn sealed_credential(
        &self,
        user_id_row: i64,
    ) -> Result<Option<Sealed>, StorageError> {
        self.get(
            Key::Sealed(user_id_row),
            |v| match v {
                Value::Sealed(s) => Some(s),
                _ => None,
            },
            async {
                Ok(Value::Sealed(
                    self.storage.sealed_credential(user_id_row).await?,
                ))
            },
        )
        .await
    }

    pub async fn quota_subject(
        &self,
        dukcapil_user_id: &str,
    ) -> Result<Option<QuotaSubject>, StorageError> {
        self.get(
            Key::Subject(dukcapil_user_id.to_string()),
            |v| match v {
                Value::Subject(s) => Some(s),
                _ => None,
            },
            async {
                Ok(Value::Subject(
                    self.storage.quota_subject(dukcapil_user_id).await?,
                ))
            },
        )
        .await
    }

    pub async fn operator_daily_cap(&self, account_id: i64) -> Result<Option<i64>, StorageError> {
        self.get(
            Key::OperatorCap(account_id),
            |v| match v {
                Value::OperatorCap(c) => Some(c),
                _ => None,
            },
            async {
                Ok(Value::OperatorCap(
                    self.storage.operator_daily_cap(account_id).await?,
                ))
            },
        )
        .await
    }
}
