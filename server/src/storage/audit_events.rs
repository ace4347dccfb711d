//! The audit trail: authentication and administration events (sign-in, passkey changes, role
//! changes, NDA acceptance, deactivation, agreement and user-ID changes) and access attempts
//! (NIK look-ups and verifications, granted or refused), all in ONE hash chain: the
//! [`AuditEventStore`] area. Entries hold codes, identifiers and a small JSON `detail`; never
//! secrets or population data, and never a NIK (only its keyed HMAC and masked form).
//!
//! Every insertion, the store methods here and `insert_audit_event!` inside another area's
//! transaction, goes through `append_chained!`: it takes the chain head (one row, `UPDATE …
//! RETURNING`, which locks it in both engines, so concurrent tasks and replicas queue), hashes
//! each entry with `audit::chain::entry_hash` (the canonical encoding is documented there),
//! inserts it with its `seq`, `prev_hash` and `entry_hash`, and moves the head, all in the
//! caller's transaction. Rows from before the chain existed are chained once after migrating
//! (`audit_chain_genesis`).

use super::StorageError;
use serde::{Deserialize, Serialize};

/// Whether the audited action happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditOutcome {
    Success,
    Failure,
    Refused,
}

impl AuditOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            AuditOutcome::Success => "success",
            AuditOutcome::Failure => "failure",
            AuditOutcome::Refused => "refused",
        }
    }
}

/// An event to append. `event` is a stable dotted code, e.g. `auth.sign_in`,
/// `account.deactivate`, `nda.accept`, `passkey.register`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuditEvent {
    pub at_ms: i64,
    pub event: String,
    pub outcome: AuditOutcome,
    pub actor_account_id: Option<i64>,
    /// The name typed at sign-in (for failures of unknown accounts too).
    pub actor_username: Option<String>,
    pub institution_id: Option<i64>,
    /// What the action was about, e.g. `account:42`, `agreement:7`.
    pub subject: Option<String>,
    /// Small JSON object with codes only (no secrets, no population data).
    pub detail: serde_json::Value,
    pub client_ip: Option<String>,
    pub request_id: Option<String>,
}

/// A stored event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct AuditEvent {
    pub id: i64,
    pub at_ms: i64,
    pub event: String,
    pub outcome: String,
    pub actor_account_id: Option<i64>,
    pub actor_username: Option<String>,
    pub institution_id: Option<i64>,
    pub subject: Option<String>,
    pub detail: String,
    pub client_ip: Option<String>,
    pub request_id: Option<String>,
}

/// Which events to list; `None` fields do not filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditEventFilter {
    pub institution_id: Option<i64>,
    pub actor_account_id: Option<i64>,
    pub event_prefix: Option<String>,
    pub limit: i64,
}

/// Where an access attempt came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccessChannel {
    Web,
    Api,
    Batch,
    Reader,
}

impl AccessChannel {
    pub fn as_str(self) -> &'static str {
        match self {
            AccessChannel::Web => "web",
            AccessChannel::Api => "api",
            AccessChannel::Batch => "batch",
            AccessChannel::Reader => "reader",
        }
    }

    /// The stored code back; `None` for anything else.
    pub fn parse(code: &str) -> Option<AccessChannel> {
        match code {
            "web" => Some(AccessChannel::Web),
            "api" => Some(AccessChannel::Api),
            "batch" => Some(AccessChannel::Batch),
            "reader" => Some(AccessChannel::Reader),
            _ => None,
        }
    }
}

/// What was attempted with a NIK: the entry's event code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AccessKind {
    /// `nik.lookup`: the nine elements of a resident.
    Lookup,
    /// `nik.verify`: matching typed data against the registry.
    Verify,
}

impl AccessKind {
    pub fn event_code(self) -> &'static str {
        match self {
            AccessKind::Lookup => "nik.lookup",
            AccessKind::Verify => "nik.verify",
        }
    }
}

/// An access attempt to append, granted or refused.
///
/// `nik_hmac` / `nik_masked` come from `audit::ProtectedNik` (never the NIK itself).
/// `outcome_code` is the upstream response code (`00`, `05`, `11`, …) when the upstream was
/// asked, else the local refusal code (`INVALID_NIK`, `QUOTA_EXHAUSTED`, `NDA_REQUIRED`, …);
/// `outcome` is `Success` when the upstream answered with data, `Failure` for other upstream
/// answers and errors, `Refused` for local refusals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccessEvent {
    pub at_ms: i64,
    pub kind: AccessKind,
    pub outcome: AuditOutcome,
    pub outcome_code: String,
    pub channel: AccessChannel,
    pub institution_id: Option<i64>,
    /// The operator's account (`None` for an API client without one).
    pub actor_account_id: Option<i64>,
    pub actor_username: Option<String>,
    /// The institution's local user ID of the operator.
    pub local_user_id: Option<String>,
    /// The Dukcapil user ID the request was (or would have been) made with.
    pub dukcapil_user_id: Option<String>,
    /// The stated purpose (a code or short text; no personal data).
    pub purpose: Option<String>,
    pub nik_hmac: String,
    pub nik_masked: String,
    /// The quota after the attempt, e.g. `41/500` (used/limit of the WIB day).
    pub quota_state: Option<String>,
    pub latency_ms: Option<i64>,
    pub client_ip: Option<String>,
    pub request_id: Option<String>,
    /// Card-reader channel: the fingerprint verdict the reader reported (`matched`,
    /// `not_matched`, `not_performed`), kept in the entry's `detail` as
    /// `{"fingerprint":"…"}`. `None` leaves `detail` as `{}`, exactly what entries written
    /// before this field hold, so the canonical encoding (version 1) is unchanged and old
    /// entries still verify.
    pub fingerprint: Option<String>,
}

/// A stored access attempt (what auditors search).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct AccessEvent {
    pub id: i64,
    /// `None` only for a row written outside the chain (which `sigap audit verify` reports).
    pub seq: Option<i64>,
    pub at_ms: i64,
    pub event: String,
    pub outcome: String,
    pub outcome_code: Option<String>,
    pub channel: Option<String>,
    pub institution_id: Option<i64>,
    pub actor_account_id: Option<i64>,
    pub actor_username: Option<String>,
    pub local_user_id: Option<String>,
    pub dukcapil_user_id: Option<String>,
    pub purpose: Option<String>,
    pub nik_hmac: Option<String>,
    pub nik_masked: Option<String>,
    pub quota_state: Option<String>,
    pub latency_ms: Option<i64>,
    pub client_ip: Option<String>,
    pub request_id: Option<String>,
    /// The entry's JSON detail as stored (`{}`, or `{"fingerprint":"…"}` on channel reader).
    pub detail: String,
}

impl AccessEvent {
    /// The fingerprint verdict the card reader reported (`matched`, `not_matched`,
    /// `not_performed`), for entries of channel `reader`.
    pub fn fingerprint(&self) -> Option<String> {
        serde_json::from_str::<serde_json::Value>(&self.detail)
            .ok()?
            .get("fingerprint")?
            .as_str()
            .map(str::to_string)
    }
}

/// Which access attempts an auditor wants; `None` fields do not filter. Days are WIB
/// calendar days, both ends included. Newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccessEventFilter {
    /// `audit::nik_hmac` of the NIK the auditor typed.
    pub nik_hmac: Option<String>,
    pub actor_account_id: Option<i64>,
    pub institution_id: Option<i64>,
    pub outcome_code: Option<String>,
    pub from_day: Option<time::Date>,
    pub to_day: Option<time::Date>,
    /// Paging: only entries after this `(at_ms, seq)` in the newest-first order (the last row
    /// of the previous page).
    pub before: Option<(i64, i64)>,
    /// At most this many (default 100, at most 1000).
    pub limit: i64,
}

/// Every stored field of an entry that the chain hash covers (all but `id` and the hashes).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AuditRecord {
    pub at_ms: i64,
    pub event: String,
    pub outcome: String,
    pub actor_account_id: Option<i64>,
    pub actor_username: Option<String>,
    pub institution_id: Option<i64>,
    pub subject: Option<String>,
    pub detail: String,
    pub client_ip: Option<String>,
    pub request_id: Option<String>,
    pub channel: Option<String>,
    pub purpose: Option<String>,
    pub local_user_id: Option<String>,
    pub dukcapil_user_id: Option<String>,
    pub nik_hmac: Option<String>,
    pub nik_masked: Option<String>,
    pub outcome_code: Option<String>,
    pub quota_state: Option<String>,
    pub latency_ms: Option<i64>,
}

impl From<&NewAuditEvent> for AuditRecord {
    fn from(e: &NewAuditEvent) -> Self {
        AuditRecord {
            at_ms: e.at_ms,
            event: e.event.clone(),
            outcome: e.outcome.as_str().to_string(),
            actor_account_id: e.actor_account_id,
            actor_username: e.actor_username.clone(),
            institution_id: e.institution_id,
            subject: e.subject.clone(),
            detail: e.detail.to_string(),
            client_ip: e.client_ip.clone(),
            request_id: e.request_id.clone(),
            channel: None,
            purpose: None,
            local_user_id: None,
            dukcapil_user_id: None,
            nik_hmac: None,
            nik_masked: None,
            outcome_code: None,
            quota_state: None,
            latency_ms: None,
        }
    }
}

impl From<&NewAccessEvent> for AuditRecord {
    fn from(e: &NewAccessEvent) -> Self {
        AuditRecord {
            at_ms: e.at_ms,
            event: e.kind.event_code().to_string(),
            outcome: e.outcome.as_str().to_string(),
            actor_account_id: e.actor_account_id,
            actor_username: e.actor_username.clone(),
            institution_id: e.institution_id,
            subject: None,
            detail: match &e.fingerprint {
                Some(verdict) => serde_json::json!({ "fingerprint": verdict }).to_string(),
                None => "{}".to_string(),
            },
            client_ip: e.client_ip.clone(),
            request_id: e.request_id.clone(),
            channel: Some(e.channel.as_str().to_string()),
            purpose: e.purpose.clone(),
            local_user_id: e.local_user_id.clone(),
            dukcapil_user_id: e.dukcapil_user_id.clone(),
            nik_hmac: Some(e.nik_hmac.clone()),
            nik_masked: Some(e.nik_masked.clone()),
            outcome_code: Some(e.outcome_code.clone()),
            quota_state: e.quota_state.clone(),
            latency_ms: e.latency_ms,
        }
    }
}

/// A stored entry with its chain position, as verification reads it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ChainEntry {
    pub id: i64,
    pub seq: i64,
    pub prev_hash: Option<String>,
    pub entry_hash: Option<String>,
    #[sqlx(flatten)]
    pub record: AuditRecord,
}

/// The chain's head: the last entry's seq (0 when empty) and hash (hex).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ChainHead {
    pub seq: i64,
    pub hash: String,
}

/// Where an appended entry landed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppendedEntry {
    pub id: i64,
    pub seq: i64,
    pub entry_hash: String,
}

/// Appending to and reading the audit trail.
#[async_trait::async_trait]
pub trait AuditEventStore {
    /// Appends an authentication/administration event to the chain; returns its id.
    async fn append_audit_event(&self, event: &NewAuditEvent) -> Result<i64, StorageError>;
    /// Newest first.
    async fn list_audit_events(
        &self,
        filter: &AuditEventFilter,
    ) -> Result<Vec<AuditEvent>, StorageError>;
    /// Appends one access attempt (its own transaction).
    async fn append_access_event(
        &self,
        event: &NewAccessEvent,
    ) -> Result<AppendedEntry, StorageError>;
    /// Appends many access attempts in one transaction (batch and reader channels), in order.
    async fn append_access_events(
        &self,
        events: &[NewAccessEvent],
    ) -> Result<Vec<AppendedEntry>, StorageError>;
    /// Access attempts matching the filter, newest first.
    async fn search_access_events(
        &self,
        filter: &AccessEventFilter,
    ) -> Result<Vec<AccessEvent>, StorageError>;
    /// The chain head as stored.
    async fn audit_chain_head(&self) -> Result<ChainHead, StorageError>;
    /// Up to `limit` chained entries with `after_seq < seq <= up_to_seq`, in seq order.
    async fn audit_chain_page(
        &self,
        after_seq: i64,
        up_to_seq: i64,
        limit: i64,
    ) -> Result<Vec<ChainEntry>, StorageError>;
    /// [`Self::audit_chain_page`] as verification needs it: each entry's place and stored
    /// hashes with its hash recomputed over its fields and its stored `prev_hash`, computed
    /// where the page is read (SQLite: from the column values as SQLite hands them out, with
    /// no copy of the record). Runs on blocking threads; a value of the wrong type in a column
    /// is [`StorageError::Corrupt`] naming the entry and the column.
    async fn audit_chain_links(
        &self,
        after_seq: i64,
        up_to_seq: i64,
        limit: i64,
    ) -> Result<Vec<crate::audit::chain::ChainLink>, StorageError>;
    /// The smallest id of a row without a chain position, if any.
    async fn audit_first_unchained(&self) -> Result<Option<i64>, StorageError>;
    /// Once per database, right after the chain migration: chains the rows that existed
    /// before it, in id order. Returns how many it chained (0 when already done).
    async fn audit_chain_genesis(&self) -> Result<u64, StorageError>;
}

pub const LIST_EVENTS: &str = "SELECT id, at_ms, event, outcome, actor_account_id, actor_username, \
       institution_id, subject, detail, client_ip, request_id \
     FROM audit_events \
     WHERE ($1 IS NULL OR institution_id = $1) \
       AND ($2 IS NULL OR actor_account_id = $2) \
       AND ($3 IS NULL OR event LIKE $3 || '%') \
     ORDER BY id DESC LIMIT $4";

/// Takes `$1` positions on the chain: locks the head row until the transaction ends and
/// returns the last new seq and the hash before them.
pub const TAKE_HEAD: &str =
    "UPDATE audit_chain_head SET seq = seq + $1 WHERE id = 1 RETURNING seq, hash";

pub const SET_HEAD_HASH: &str = "UPDATE audit_chain_head SET hash = $1 WHERE id = 1";

/// Moves the head from ($3, $4) to ($1, $2); changes nothing when it is elsewhere.
pub const CAS_HEAD: &str = "UPDATE audit_chain_head SET seq = $1, hash = $2 \
     WHERE id = 1 AND seq = $3 AND hash = $4";

/// Columns of a chained insert, in bind order (22 per row).
const INSERT_CHAINED_COLUMNS: &str = "INSERT INTO audit_events \
       (seq, prev_hash, entry_hash, at_ms, event, outcome, actor_account_id, actor_username, \
        institution_id, subject, detail, client_ip, request_id, channel, purpose, local_user_id, \
        dukcapil_user_id, nik_hmac, nik_masked, outcome_code, quota_state, latency_ms) VALUES ";

/// Most rows of one chained insert statement: a group of up to this many entries is one
/// statement (one statement text per row count, each prepared once per connection: the
/// backends' statement caches hold 256), larger groups are written in chunks of this size.
/// 64 rows bind 1,408 parameters, within both engines' limits.
pub const MAX_INSERT_ROWS: usize = 64;

/// Rows of the next chained insert when `remaining` rows are left.
pub fn chunk_size(remaining: usize) -> usize {
    remaining.clamp(1, MAX_INSERT_ROWS)
}

/// A chained insert statement with its rows bound, for backend `DB`.
pub type BoundInsert<'q, DB> = sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments<'q>>;

/// How a backend writes the multi-row chained insert and learns the ids of its rows.
pub trait ChainedInsert {
    type Db: sqlx::Database;
    /// The insert of `rows` rows (1 to [`MAX_INSERT_ROWS`]).
    fn insert_chained_sql(&self, rows: usize) -> &'static str;
    /// Runs the insert of the entries at `seqs` (in the order bound) and answers each row's
    /// `(id, seq)`, in any order.
    fn insert_chained<'q>(
        &mut self,
        insert: BoundInsert<'q, Self::Db>,
        seqs: &[i64],
    ) -> impl std::future::Future<Output = Result<Vec<(i64, i64)>, StorageError>> + Send;
}

impl ChainedInsert for sqlx::SqliteConnection {
    type Db = sqlx::Sqlite;

    /// Anonymous `?` placeholders, bound in order: SQLite looks a numbered placeholder's name up
    /// by a linear scan, and sqlx asks for every parameter's name when binding, so `$N` would
    /// cost time quadratic in the parameters (1,408 for 64 rows).
    fn insert_chained_sql(&self, rows: usize) -> &'static str {
        sqlite_insert_chained_sql(rows)
    }

    /// No `RETURNING`: sqlx hands every returned row over from the connection's worker thread
    /// on its own (a wake-up each), which made the rows cost more than the insert. The ids
    /// follow from the last one instead: `audit_events.id` is `INTEGER PRIMARY KEY
    /// AUTOINCREMENT`, so each new row's id is one more than the largest id the table ever had
    /// (SQLite fails the insert rather than reuse or skip at the top of the range), and the
    /// rows of one `INSERT … VALUES` are inserted in the order written, under the write lock
    /// the group holds. The count of rows changed is checked as well.
    async fn insert_chained<'q>(
        &mut self,
        insert: BoundInsert<'q, sqlx::Sqlite>,
        seqs: &[i64],
    ) -> Result<Vec<(i64, i64)>, StorageError> {
        let result = insert
            .execute(&mut *self)
            .await
            .map_err(StorageError::from_write)?;
        if result.rows_affected() != seqs.len() as u64 {
            return Err(StorageError::Corrupt(
                "audit append: fewer rows inserted than entries".into(),
            ));
        }
        let first = result.last_insert_rowid() - (seqs.len() as i64 - 1);
        Ok(seqs
            .iter()
            .enumerate()
            .map(|(i, &seq)| (first + i as i64, seq))
            .collect())
    }
}

impl ChainedInsert for sqlx::PgConnection {
    type Db = sqlx::Postgres;

    fn insert_chained_sql(&self, rows: usize) -> &'static str {
        static SQL: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
        chained_sql(&SQL, rows, |i| format!("${i}"), " RETURNING id, seq")
    }

    /// The rows come back from `RETURNING id, seq`.
    async fn insert_chained<'q>(
        &mut self,
        insert: BoundInsert<'q, sqlx::Postgres>,
        _seqs: &[i64],
    ) -> Result<Vec<(i64, i64)>, StorageError> {
        use sqlx::Row as _;
        insert
            .fetch_all(&mut *self)
            .await
            .map_err(StorageError::from_write)?
            .iter()
            .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StorageError::from_write)
    }
}

/// SQLite's chained insert of `rows` rows (1 to [`MAX_INSERT_ROWS`]), for sqlx's connections
/// and the group writer's own (`storage::sqlite_sync`): anonymous `?` placeholders, bound in
/// order (see `insert_chained_sql`), no `RETURNING`.
pub(crate) fn sqlite_insert_chained_sql(rows: usize) -> &'static str {
    static SQL: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    chained_sql(&SQL, rows, |_| "?".to_string(), "")
}

/// Chains `records` after the entry (`seq0`, `prev`): each one's (seq, previous hash in hex,
/// hash in hex), and the last hash. Pure: the statements that place them are the caller's.
pub(crate) fn chain_records(
    records: &[AuditRecord],
    seq0: i64,
    mut prev: [u8; 32],
) -> (Vec<(i64, String, String)>, [u8; 32]) {
    use crate::audit::chain::{entry_hash_with, to_hex};
    let mut buf = Vec::with_capacity(512);
    let mut chained = Vec::with_capacity(records.len());
    for (i, r) in records.iter().enumerate() {
        let seq = seq0 + 1 + i as i64;
        let hash = entry_hash_with(&mut buf, &prev, seq, r);
        chained.push((seq, to_hex(&prev), to_hex(&hash)));
        prev = hash;
    }
    (chained, prev)
}

/// The statement texts of every row count, built once with `placeholder(number)`.
fn chained_sql(
    cell: &'static std::sync::OnceLock<Vec<String>>,
    rows: usize,
    placeholder: fn(usize) -> String,
    returning: &str,
) -> &'static str {
    let all = cell.get_or_init(|| {
        (1..=MAX_INSERT_ROWS)
            .map(|n| {
                let mut sql = String::from(INSERT_CHAINED_COLUMNS);
                for row in 0..n {
                    if row > 0 {
                        sql.push_str(", ");
                    }
                    sql.push('(');
                    for col in 0..22 {
                        if col > 0 {
                            sql.push_str(", ");
                        }
                        sql.push_str(&placeholder(row * 22 + col + 1));
                    }
                    sql.push(')');
                }
                sql.push_str(returning);
                sql
            })
            .collect()
    });
    all.get(chunk_size(rows) - 1).map_or("", String::as_str)
}

pub const READ_HEAD: &str = "SELECT seq, hash FROM audit_chain_head WHERE id = 1";

/// The columns of a chain entry, in the order the page reads take them (`ChainEntry`'s fields).
macro_rules! chain_columns {
    () => {
        "id, seq, prev_hash, entry_hash, at_ms, event, outcome, actor_account_id, \
         actor_username, institution_id, subject, detail, client_ip, request_id, channel, \
         purpose, local_user_id, dukcapil_user_id, nik_hmac, nik_masked, outcome_code, \
         quota_state, latency_ms"
    };
}

/// One row of a chain page (columns in `chain_columns!` order), read column by column with
/// each column's type and without copying text: the backends' page reads implement it, and
/// [`chain_fields`] maps the columns to an entry's hashed fields, once for both. Errors name
/// the column (the implementation adds the entry).
pub(crate) trait ChainRow<'r> {
    fn int(&self, i: usize, column: &'static str) -> Result<i64, StorageError>;
    fn int_or_null(&self, i: usize, column: &'static str) -> Result<Option<i64>, StorageError>;
    fn text(&self, i: usize, column: &'static str) -> Result<&'r str, StorageError>;
    fn text_or_null(&self, i: usize, column: &'static str)
    -> Result<Option<&'r str>, StorageError>;
}

/// The hashed fields of a chain page row (columns 4 to 22; 0-3 are id, seq and the two hashes).
pub(crate) fn chain_fields<'r>(
    row: &impl ChainRow<'r>,
) -> Result<crate::audit::chain::RecordFields<'r>, StorageError> {
    Ok(crate::audit::chain::RecordFields {
        at_ms: row.int(4, "at_ms")?,
        event: row.text(5, "event")?,
        outcome: row.text(6, "outcome")?,
        actor_account_id: row.int_or_null(7, "actor_account_id")?,
        actor_username: row.text_or_null(8, "actor_username")?,
        institution_id: row.int_or_null(9, "institution_id")?,
        subject: row.text_or_null(10, "subject")?,
        detail: row.text(11, "detail")?,
        client_ip: row.text_or_null(12, "client_ip")?,
        request_id: row.text_or_null(13, "request_id")?,
        channel: row.text_or_null(14, "channel")?,
        purpose: row.text_or_null(15, "purpose")?,
        local_user_id: row.text_or_null(16, "local_user_id")?,
        dukcapil_user_id: row.text_or_null(17, "dukcapil_user_id")?,
        nik_hmac: row.text_or_null(18, "nik_hmac")?,
        nik_masked: row.text_or_null(19, "nik_masked")?,
        outcome_code: row.text_or_null(20, "outcome_code")?,
        quota_state: row.text_or_null(21, "quota_state")?,
        latency_ms: row.int_or_null(22, "latency_ms")?,
    })
}

/// The entries after `$1` in seq order, at most `$2`, as rows (PostgreSQL's page read; the
/// caller drops those past the head). No upper bound in SQL: with one, PostgreSQL's planner,
/// before the table has statistics (a freshly filled or restored trail), chose a bitmap scan
/// and an external sort of every page (50 ms a page); `ORDER BY seq LIMIT` walks the `seq`
/// index in order whatever the statistics.
pub const CHAIN_PAGE: &str = concat!(
    "SELECT ",
    chain_columns!(),
    " FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2"
);

/// The entries with `$1 < seq <= $2`, in seq order, at most `$3` (SQLite's page read, on its
/// own connections: `storage::sqlite_sync::ChainPageReaders`).
pub const CHAIN_PAGE_BOUNDED: &str = concat!(
    "SELECT ",
    chain_columns!(),
    " FROM audit_events WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT $3"
);

pub const FIRST_UNCHAINED: &str = "SELECT MIN(id) FROM audit_events WHERE seq IS NULL";

/// Marks the genesis step done (locking the head); no row when it was done already.
pub const START_GENESIS: &str = "UPDATE audit_chain_head SET genesis_done = 1 \
     WHERE id = 1 AND genesis_done = 0 RETURNING seq, hash";

pub const UNCHAINED_PAGE: &str = "SELECT id, CAST(0 AS BIGINT) AS seq, prev_hash, entry_hash, at_ms, event, \
       outcome, actor_account_id, actor_username, institution_id, subject, detail, client_ip, \
       request_id, channel, purpose, local_user_id, dukcapil_user_id, nik_hmac, nik_masked, \
       outcome_code, quota_state, latency_ms \
     FROM audit_events WHERE seq IS NULL ORDER BY id LIMIT $1";

pub const CHAIN_EXISTING: &str =
    "UPDATE audit_events SET seq = $1, prev_hash = $2, entry_hash = $3 WHERE id = $4";

pub const SET_HEAD: &str = "UPDATE audit_chain_head SET seq = $1, hash = $2 WHERE id = 1";

/// One value bound to a search statement ([`search_access_sql`]), in placeholder order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchArg {
    Int(i64),
    Text(String),
}

/// The access search for `f`, with a condition only for each filter it sets, and its values in
/// placeholder order (`$1`, `$2`, …, bound in that order; the paging bound uses its `at_ms`
/// placeholder twice). Newest first, at most `f.limit` (default 100, at most 1000).
///
/// Only the conditions asked for are written, so the planner can serve them from an index:
/// a date range is a range of `audit_events_at` (a catch-all `($5 IS NULL OR at_ms >= $5)`
/// was not, and SQLite walked the whole trail for a 24-hour window), an operator or an
/// outcome is a range of its `(…, at_ms)` index. A NIK has no index of its own (see the
/// migration `…_audit_nik_index.sql`): its rows are found within the date range.
pub fn search_access_sql(f: &AccessEventFilter) -> (String, Vec<SearchArg>) {
    let mut sql = String::from(
        "SELECT id, seq, at_ms, event, outcome, outcome_code, channel, institution_id, \
         actor_account_id, actor_username, local_user_id, dukcapil_user_id, purpose, nik_hmac, \
         nik_masked, quota_state, latency_ms, client_ip, request_id, detail \
         FROM audit_events WHERE channel IS NOT NULL",
    );
    let mut args = Vec::new();
    // `condition` with `#` standing for the next placeholder, whose value is `arg`.
    let mut bind = |sql: &mut String, condition: &str, arg: SearchArg| -> usize {
        args.push(arg);
        let n = args.len();
        sql.push_str(" AND ");
        sql.push_str(&condition.replace('#', &format!("${n}")));
        n
    };
    if let Some(h) = &f.nik_hmac {
        bind(&mut sql, "nik_hmac = #", SearchArg::Text(h.clone()));
    }
    if let Some(id) = f.actor_account_id {
        bind(&mut sql, "actor_account_id = #", SearchArg::Int(id));
    }
    if let Some(id) = f.institution_id {
        bind(&mut sql, "institution_id = #", SearchArg::Int(id));
    }
    if let Some(code) = &f.outcome_code {
        bind(&mut sql, "outcome_code = #", SearchArg::Text(code.clone()));
    }
    if let Some(day) = f.from_day {
        bind(
            &mut sql,
            "at_ms >= #",
            SearchArg::Int(wib_day_start_ms(day)),
        );
    }
    if let Some(next) = f.to_day.and_then(|d| d.next_day()) {
        bind(
            &mut sql,
            "at_ms < #",
            SearchArg::Int(wib_day_start_ms(next)),
        );
    }
    if let Some((at_ms, seq)) = f.before {
        // A range of at_ms first, so the paging bound narrows the index range too.
        let at = bind(&mut sql, "at_ms <= #", SearchArg::Int(at_ms));
        bind(
            &mut sql,
            &format!("(at_ms < ${at} OR seq < #)"),
            SearchArg::Int(seq),
        );
    }
    let limit = if f.limit <= 0 { 100 } else { f.limit.min(1000) };
    args.push(SearchArg::Int(limit));
    sql.push_str(&format!(
        " ORDER BY at_ms DESC, seq DESC LIMIT ${}",
        args.len()
    ));
    (sql, args)
}

/// `query` with `args` ([`search_access_sql`]'s values) bound in order.
pub fn bind_search_args<'q, DB, O>(
    mut query: sqlx::query::QueryAs<'q, DB, O, <DB as sqlx::Database>::Arguments<'q>>,
    args: Vec<SearchArg>,
) -> sqlx::query::QueryAs<'q, DB, O, <DB as sqlx::Database>::Arguments<'q>>
where
    DB: sqlx::Database,
    i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    for arg in args {
        query = match arg {
            SearchArg::Int(v) => query.bind(v),
            SearchArg::Text(v) => query.bind(v),
        };
    }
    query
}

/// The first instant (Unix ms) of a WIB calendar day.
pub fn wib_day_start_ms(day: time::Date) -> i64 {
    let start = day.midnight().assume_offset(crate::WIB);
    start.unix_timestamp() * 1000
}

/// The hash after which the head says the next entry goes, as bytes.
pub(crate) fn head_hash_bytes(hex: &str) -> Result<[u8; 32], StorageError> {
    crate::audit::chain::from_hex(hex)
        .ok_or_else(|| StorageError::Corrupt("audit_chain_head.hash is not 64 hex digits".into()))
}

/// Appends records to the chain with a connection inside the caller's transaction; evaluates
/// to `Result<Vec<AppendedEntry>, StorageError>`. The head row stays locked until the
/// transaction ends, so keep the rest of the transaction short.
///
/// `append_chained!(conn, records, hint)`: the same with the head this process last wrote
/// (`Some((seq, hash))`), evaluating to `Result<(Vec<AppendedEntry>, Option<(seq, hash)>), _>`
/// with the new head (the hint itself when nothing was appended). With a hint the head is moved by one compare-and-set statement (`CAS_HEAD`)
/// instead of a take and a set; when someone else moved it meanwhile (another replica, the
/// CLI) the statement changes nothing and the head is taken as without a hint.
macro_rules! append_chained {
    ($conn:expr, $records:expr) => {{
        $crate::storage::audit_events::append_chained!($conn, $records, None)
            .map(|(out, _head)| out)
    }};
    ($conn:expr, $records:expr, $hint:expr) => {{
        let conn = $conn;
        let records: &[$crate::storage::AuditRecord] = $records;
        let hint: Option<(i64, [u8; 32])> = $hint;
        async {
            use $crate::audit::chain::to_hex;
            use $crate::storage::StorageError;
            let mut out = Vec::with_capacity(records.len());
            let n = records.len() as i64;
            let chain_from = |seq0: i64, prev: [u8; 32]| {
                $crate::storage::audit_events::chain_records(records, seq0, prev)
            };
            if records.is_empty() {
                // Nothing moves: the head is still where the hint says, if anywhere.
                return Ok::<_, StorageError>((out, hint));
            }
            let mut moved = None;
            if let Some((seq0, hash0)) = hint {
                let (chained, last) = chain_from(seq0, hash0);
                let changed = sqlx::query($crate::storage::audit_events::CAS_HEAD)
                    .bind(seq0 + n)
                    .bind(to_hex(&last))
                    .bind(seq0)
                    .bind(to_hex(&hash0))
                    .execute(&mut *conn)
                    .await
                    .map_err(StorageError::from_write)?
                    .rows_affected();
                if changed == 1 {
                    moved = Some((chained, last));
                }
            }
            let (chained, last, set_hash) = match moved {
                Some((chained, last)) => (chained, last, false),
                None => {
                    let (last_seq, prev_hex): (i64, String) =
                        sqlx::query_as($crate::storage::audit_events::TAKE_HEAD)
                            .bind(n)
                            .fetch_one(&mut *conn)
                            .await
                            .map_err(StorageError::from_write)?;
                    let prev = $crate::storage::audit_events::head_hash_bytes(&prev_hex)?;
                    let (chained, last) = chain_from(last_seq - n, prev);
                    (chained, last, true)
                }
            };
            // Insert them with as few multi-row statements as the chunk size allows.
            let mut ids: Vec<(i64, i64)> = Vec::with_capacity(records.len());
            let mut at = 0usize;
            while at < records.len() {
                let size = $crate::storage::audit_events::chunk_size(records.len() - at);
                let sql =
                    $crate::storage::audit_events::ChainedInsert::insert_chained_sql(&*conn, size);
                let mut q = sqlx::query(sql);
                let seqs: Vec<i64> = chained[at..at + size].iter().map(|c| c.0).collect();
                for (r, (seq, prev_hex, hash_hex)) in
                    records[at..at + size].iter().zip(&chained[at..at + size])
                {
                    q = q
                        .bind(*seq)
                        .bind(prev_hex.as_str())
                        .bind(hash_hex.as_str())
                        .bind(r.at_ms)
                        .bind(r.event.as_str())
                        .bind(r.outcome.as_str())
                        .bind(r.actor_account_id)
                        .bind(r.actor_username.as_deref())
                        .bind(r.institution_id)
                        .bind(r.subject.as_deref())
                        .bind(r.detail.as_str())
                        .bind(r.client_ip.as_deref())
                        .bind(r.request_id.as_deref())
                        .bind(r.channel.as_deref())
                        .bind(r.purpose.as_deref())
                        .bind(r.local_user_id.as_deref())
                        .bind(r.dukcapil_user_id.as_deref())
                        .bind(r.nik_hmac.as_deref())
                        .bind(r.nik_masked.as_deref())
                        .bind(r.outcome_code.as_deref())
                        .bind(r.quota_state.as_deref())
                        .bind(r.latency_ms);
                }
                ids.extend(
                    $crate::storage::audit_events::ChainedInsert::insert_chained(
                        &mut *conn, q, &seqs,
                    )
                    .await?,
                );
                at += size;
            }
            // RETURNING promises no row order: match ids to entries by seq.
            ids.sort_unstable_by_key(|&(_, seq)| seq);
            if ids.len() != chained.len() {
                return Err(StorageError::Corrupt(
                    "audit append: fewer rows inserted than entries".into(),
                ));
            }
            let last_seq = chained.last().map_or(0, |c| c.0);
            for ((id, seq), (want, _, hash_hex)) in ids.into_iter().zip(chained) {
                if seq != want {
                    return Err(StorageError::Corrupt(
                        "audit append: inserted seq does not match".into(),
                    ));
                }
                out.push($crate::storage::AppendedEntry {
                    id,
                    seq,
                    entry_hash: hash_hex,
                });
            }
            if set_hash {
                sqlx::query($crate::storage::audit_events::SET_HEAD_HASH)
                    .bind(to_hex(&last))
                    .execute(&mut *conn)
                    .await
                    .map_err(StorageError::from_write)?;
            }
            Ok::<_, StorageError>((out, Some((last_seq, last))))
        }
        .await
    }};
}
pub(crate) use append_chained;

/// Implements [`AuditEventStore`] for a backend struct with a `pool` field.
macro_rules! impl_audit_event_store {
    ($ty:ty) => {
        #[async_trait::async_trait]
        impl $crate::storage::AuditEventStore for $ty {
            async fn append_audit_event(
                &self,
                e: &$crate::storage::NewAuditEvent,
            ) -> Result<i64, $crate::storage::StorageError> {
                let records = [$crate::storage::AuditRecord::from(e)];
                let mut tx = self.begin_write().await?;
                let out = $crate::storage::audit_events::append_chained!(&mut *tx, &records)?;
                tx.commit().await?;
                out.first()
                    .map(|a| a.id)
                    .ok_or($crate::storage::StorageError::NotFound)
            }

            async fn list_audit_events(
                &self,
                f: &$crate::storage::AuditEventFilter,
            ) -> Result<Vec<$crate::storage::AuditEvent>, $crate::storage::StorageError> {
                let limit = if f.limit <= 0 { 100 } else { f.limit.min(1000) };
                Ok(sqlx::query_as($crate::storage::audit_events::LIST_EVENTS)
                    .bind(f.institution_id)
                    .bind(f.actor_account_id)
                    .bind(f.event_prefix.as_deref())
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?)
            }

            async fn append_access_event(
                &self,
                e: &$crate::storage::NewAccessEvent,
            ) -> Result<$crate::storage::AppendedEntry, $crate::storage::StorageError> {
                let records = [$crate::storage::AuditRecord::from(e)];
                let mut tx = self.begin_write().await?;
                let out = $crate::storage::audit_events::append_chained!(&mut *tx, &records)?;
                tx.commit().await?;
                out.into_iter()
                    .next()
                    .ok_or($crate::storage::StorageError::NotFound)
            }

            async fn append_access_events(
                &self,
                events: &[$crate::storage::NewAccessEvent],
            ) -> Result<Vec<$crate::storage::AppendedEntry>, $crate::storage::StorageError> {
                if events.is_empty() {
                    return Ok(Vec::new());
                }
                let records: Vec<$crate::storage::AuditRecord> = events
                    .iter()
                    .map($crate::storage::AuditRecord::from)
                    .collect();
                let mut tx = self.begin_write().await?;
                let out = $crate::storage::audit_events::append_chained!(&mut *tx, &records)?;
                tx.commit().await?;
                Ok(out)
            }

            async fn search_access_events(
                &self,
                f: &$crate::storage::AccessEventFilter,
            ) -> Result<Vec<$crate::storage::AccessEvent>, $crate::storage::StorageError> {
                let (sql, args) = $crate::storage::audit_events::search_access_sql(f);
                let query =
                    $crate::storage::audit_events::bind_search_args(sqlx::query_as(&sql), args);
                Ok(query.fetch_all(&self.pool).await?)
            }

            async fn audit_chain_head(
                &self,
            ) -> Result<$crate::storage::ChainHead, $crate::storage::StorageError> {
                Ok(sqlx::query_as($crate::storage::audit_events::READ_HEAD)
                    .fetch_one(&self.pool)
                    .await?)
            }

            async fn audit_chain_page(
                &self,
                after_seq: i64,
                up_to_seq: i64,
                limit: i64,
            ) -> Result<Vec<$crate::storage::ChainEntry>, $crate::storage::StorageError> {
                self.read_chain_page(after_seq, up_to_seq, limit).await
            }

            async fn audit_chain_links(
                &self,
                after_seq: i64,
                up_to_seq: i64,
                limit: i64,
            ) -> Result<Vec<$crate::audit::chain::ChainLink>, $crate::storage::StorageError> {
                self.read_chain_links(after_seq, up_to_seq, limit).await
            }

            async fn audit_first_unchained(
                &self,
            ) -> Result<Option<i64>, $crate::storage::StorageError> {
                Ok(
                    sqlx::query_scalar($crate::storage::audit_events::FIRST_UNCHAINED)
                        .fetch_one(&self.pool)
                        .await?,
                )
            }

            async fn audit_chain_genesis(&self) -> Result<u64, $crate::storage::StorageError> {
                let mut tx = self.begin_write().await?;
                let head: Option<(i64, String)> =
                    sqlx::query_as($crate::storage::audit_events::START_GENESIS)
                        .fetch_optional(&mut *tx)
                        .await?;
                let Some((mut seq, prev_hex)) = head else {
                    return Ok(0);
                };
                let mut prev = $crate::storage::audit_events::head_hash_bytes(&prev_hex)?;
                let mut chained = 0u64;
                loop {
                    let rows: Vec<$crate::storage::ChainEntry> =
                        sqlx::query_as($crate::storage::audit_events::UNCHAINED_PAGE)
                            .bind(1000_i64)
                            .fetch_all(&mut *tx)
                            .await?;
                    if rows.is_empty() {
                        break;
                    }
                    for row in rows {
                        seq += 1;
                        let hash = $crate::audit::chain::entry_hash(&prev, seq, &row.record);
                        sqlx::query($crate::storage::audit_events::CHAIN_EXISTING)
                            .bind(seq)
                            .bind($crate::audit::chain::to_hex(&prev))
                            .bind($crate::audit::chain::to_hex(&hash))
                            .bind(row.id)
                            .execute(&mut *tx)
                            .await?;
                        prev = hash;
                        chained += 1;
                    }
                }
                sqlx::query($crate::storage::audit_events::SET_HEAD)
                    .bind(seq)
                    .bind($crate::audit::chain::to_hex(&prev))
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(chained)
            }
        }
    };
}
pub(crate) use impl_audit_event_store;
