//! SQLite's synchronous connections (rusqlite, over the same SQLite library sqlx links: one
//! `libsqlite3-sys` in the graph) for the two hot paths where sqlx's per-statement and per-row
//! hand-overs to its worker thread cost more than the work: the group writer
//! ([`SqliteWriter`]) and the chain page reads of `sigap audit verify` ([`ChainPageReaders`]).
//!
//! **The writer**: the access path's group writes ([`super::BatchStore::apply_batch`]: counter
//! rows and chained access entries, see [`super::batch`]) run synchronously on the calling
//! thread.
//!
//! Why not sqlx here: sqlx runs each statement of a SQLite connection on that connection's
//! worker thread, so every statement of a group (`BEGIN`, the counter locks and write-backs,
//! the chain head, the insert, `COMMIT`) was a hand-over to that thread and a wake-up back; on
//! a busy two-core host most of a group's time was those scheduling waits, and every request
//! waits for its group. The group writer already drains on a thread of its own
//! ([`crate::group_commit`]), so the statements run right there. Everything else (reads,
//! administration, single audit appends, migrations) stays on sqlx's pool; SQLite's file
//! locking (WAL, `BEGIN IMMEDIATE`, the busy timeout) orders this connection's transactions
//! with the pool's as it orders the pool's own.
//!
//! The statements, their order and their meaning are those of the sqlx path PostgreSQL takes
//! (`impl_batch_store!`): lock the counter rows in key order, decide in memory
//! ([`super::batch::Ledger`]), write each touched row once, chain the entries
//! ([`super::audit_events`]' head compare-and-set), commit; only the entries go in one row per
//! statement here, not as a multi-row insert (see `append_chained`).

use super::audit_events as ae;
use super::batch::{self as b, LockMode, OperatorDay, UserDay};
use super::{
    AppendedEntry, AuditRecord, BatchDone, BatchOp, ChainEntry, HeadAt, HeadHint, StorageError,
};
use crate::audit::chain::{ChainLink, stored_link_hash, to_hex};
use rusqlite::{Connection, OptionalExtension as _, Transaction, TransactionBehavior, params};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

/// The writer's connection to one database file, opened when first needed.
pub(crate) struct SqliteWriter {
    path: PathBuf,
    conn: Mutex<Option<Connection>>,
}

impl SqliteWriter {
    /// For the database file at `path` (as the pool opened it; the file exists and is in WAL
    /// mode by then).
    pub(crate) fn new(path: PathBuf) -> Self {
        SqliteWriter {
            path,
            conn: Mutex::new(None),
        }
    }

    /// The pool's settings (`SqliteStorage::connect`) that matter to a writer: the busy
    /// timeout, foreign keys, `synchronous = FULL` (a group is durable when answered), the
    /// page cache and memory-mapped reads; and room for every statement text (the 64 insert
    /// sizes and the counter statements).
    fn open(&self) -> Result<Connection, StorageError> {
        let conn = open_existing(
            &self.path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE,
            "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL; \
             PRAGMA cache_size = -32768; PRAGMA mmap_size = 268435456;",
        )?;
        conn.set_prepared_statement_cache_capacity(256);
        Ok(conn)
    }

    /// Applies `ops` in one transaction, blocking the calling thread until it committed (the
    /// group writer's drain thread; called on an async runtime's own thread it would hold that
    /// thread for the group's time, including a busy wait for the write lock). `head` is the
    /// chain head this process wrote last (taken here; set again after the commit).
    ///
    /// After a failure the transaction is rolled back (rusqlite rolls back a transaction
    /// dropped uncommitted) and the connection kept for the next group; a connection whose
    /// rollback failed (a transaction still open) is closed instead, which rolls back too.
    pub(crate) fn apply(
        &self,
        ops: &[BatchOp],
        head: &HeadHint,
    ) -> Result<Vec<BatchDone>, StorageError> {
        if ops.is_empty() {
            return Ok(Vec::new());
        }
        let mut slot = self
            .conn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut conn = match slot.take() {
            Some(conn) => conn,
            None => self.open()?,
        };
        let result = apply_on(&mut conn, ops, head);
        if conn.is_autocommit() {
            *slot = Some(conn);
        }
        result
    }
}

/// Prepares (or takes from the connection's cache) one of the SQL texts shared with sqlx, whose
/// placeholders are `$1`, `$2`, …: SQLite reads `$N` as a *named* parameter and numbers named
/// parameters in order of first appearance, so `SET used = $3 … WHERE id = $1` would take the
/// first value for `$3`. sqlx binds them by name; here they are rewritten to `?N`, which SQLite
/// numbers by N, so positional `params![]` bind `$1` first whatever the order in the text.
/// Each text is rewritten once per process (a handful of constants), not on every statement
/// of every group.
fn prepare<'c>(
    conn: &'c Connection,
    sql: &'static str,
) -> rusqlite::Result<rusqlite::CachedStatement<'c>> {
    static REWRITTEN: Mutex<Vec<(&'static str, &'static str)>> = Mutex::new(Vec::new());
    let text = {
        let mut known = REWRITTEN
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match known.iter().find(|(shared, _)| *shared == sql) {
            Some((_, text)) => *text,
            None => {
                let text: &'static str = Box::leak(numbered(sql).into_boxed_str());
                known.push((sql, text));
                text
            }
        }
    };
    conn.prepare_cached(text)
}

/// `sql` with every `$N` placeholder written `?N` (the shared texts have no `$` elsewhere).
fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('?');
        } else {
            out.push(c);
        }
    }
    out
}

fn apply_on(
    conn: &mut Connection,
    ops: &[BatchOp],
    head: &HeadHint,
) -> Result<Vec<BatchDone>, StorageError> {
    let (user_rows, operator_rows) = b::rows_to_lock(ops);
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut ledger = b::Ledger::default();
    let user_day = |r: &rusqlite::Row<'_>| {
        Ok(UserDay {
            used: r.get(0)?,
            spent: r.get(1)?,
            ambiguous: r.get(2)?,
            refunded: r.get(3)?,
            held: r.get(4)?,
            exhausted_at: r.get(5)?,
            ..UserDay::default()
        })
    };
    for ((user_id, day), mode) in user_rows {
        let row = match mode {
            LockMode::Create {
                institution_id,
                daily_limit,
                now_ms,
            } => prepare(&tx, b::LOCK_USER_DAY_CREATE)?
                .query_row(
                    params![user_id, day, institution_id, daily_limit, now_ms],
                    user_day,
                )
                .optional()?,
            LockMode::Existing => prepare(&tx, b::LOCK_USER_DAY)?
                .query_row(params![user_id, day], user_day)
                .optional()?,
        };
        ledger.users.insert((user_id, day), row);
    }
    for ((account_id, day), mode) in operator_rows {
        let used: Option<i64> = match mode {
            LockMode::Create { now_ms, .. } => prepare(&tx, b::LOCK_OPERATOR_DAY_CREATE)?
                .query_row(params![account_id, day, now_ms], |r| r.get(0))
                .optional()?,
            LockMode::Existing => prepare(&tx, b::LOCK_OPERATOR_DAY)?
                .query_row(params![account_id, day], |r| r.get(0))
                .optional()?,
        };
        let state = used.map(|used| OperatorDay {
            used,
            ..OperatorDay::default()
        });
        ledger.operators.insert((account_id, day), state);
    }
    let decided = ledger.apply(ops)?;
    for write in ledger.write_backs() {
        match write {
            b::CounterWrite::User((user_id, day), u) => {
                prepare(&tx, b::WRITE_USER_DAY)?.execute(params![
                    user_id,
                    day,
                    u.used,
                    u.spent,
                    u.ambiguous,
                    u.refunded,
                    u.exhausted_at,
                    u.daily_limit,
                    u.updated_at,
                    u.held
                ])?;
            }
            b::CounterWrite::DropUser((user_id, day)) => {
                prepare(&tx, b::DROP_EMPTY_USER_DAY)?.execute(params![user_id, day])?;
            }
            b::CounterWrite::Operator((account_id, day), o) => {
                prepare(&tx, b::WRITE_OPERATOR_DAY)?.execute(params![
                    account_id,
                    day,
                    o.used,
                    o.updated_at
                ])?;
            }
            b::CounterWrite::DropOperator((account_id, day)) => {
                prepare(&tx, b::DROP_EMPTY_OPERATOR_DAY)?.execute(params![account_id, day])?;
            }
        }
    }
    let records = b::access_records(ops);
    // The head this process wrote last, taken: any failure below leaves none.
    let hint = head.take();
    let (appended, new_head) = append_chained(&tx, &records, hint)?;
    tx.commit()
        .map_err(|e| StorageError::CommitOutcomeUnknown(e.to_string()))?;
    head.set(new_head);
    b::answers(decided, appended)
}

/// `append_chained!` on this connection: the entries chained after the head (moved by one
/// compare-and-set when `hint` is still the head, taken otherwise), inserted one row per
/// statement. Answers the entries (with the rowid each was given) and the new head.
fn append_chained(
    tx: &Transaction<'_>,
    records: &[AuditRecord],
    hint: Option<HeadAt>,
) -> Result<(Vec<AppendedEntry>, Option<HeadAt>), StorageError> {
    if records.is_empty() {
        return Ok((Vec::new(), hint));
    }
    let n = records.len() as i64;
    let mut moved = None;
    if let Some((seq0, hash0)) = hint {
        let (chained, last) = ae::chain_records(records, seq0, hash0);
        let changed = prepare(tx, ae::CAS_HEAD)?.execute(params![
            seq0 + n,
            to_hex(&last),
            seq0,
            to_hex(&hash0)
        ])?;
        if changed == 1 {
            moved = Some((chained, last));
        }
    }
    let (chained, last, set_hash) = match moved {
        Some((chained, last)) => (chained, last, false),
        None => {
            let (last_seq, prev_hex): (i64, String) = prepare(tx, ae::TAKE_HEAD)?
                .query_row(params![n], |r| Ok((r.get(0)?, r.get(1)?)))?;
            let prev = ae::head_hash_bytes(&prev_hex)?;
            let (chained, last) = ae::chain_records(records, last_seq - n, prev);
            (chained, last, true)
        }
    };
    // One row per statement, the statement prepared once per connection: a multi-row insert
    // may abort after writing some of its rows, so SQLite copies every page it touches into a
    // statement journal first (a 4 KB copy per page, for each index of the table); a one-row
    // insert cannot, and needs none. Here a statement costs no hop (this thread runs SQLite
    // itself), so the multi-row form saved nothing. Each row's id is the rowid it was given.
    let mut out = Vec::with_capacity(records.len());
    let mut insert = tx.prepare_cached(ae::sqlite_insert_chained_sql(1))?;
    for (r, (seq, prev_hex, hash_hex)) in records.iter().zip(&chained) {
        let inserted = insert.execute(params![
            seq,
            prev_hex,
            hash_hex,
            r.at_ms,
            r.event,
            r.outcome,
            r.actor_account_id,
            r.actor_username,
            r.institution_id,
            r.subject,
            r.detail,
            r.client_ip,
            r.request_id,
            r.channel,
            r.purpose,
            r.local_user_id,
            r.dukcapil_user_id,
            r.nik_hmac,
            r.nik_masked,
            r.outcome_code,
            r.quota_state,
            r.latency_ms,
        ])?;
        if inserted != 1 {
            return Err(StorageError::Corrupt(
                "audit append: an entry was not inserted".into(),
            ));
        }
        out.push(AppendedEntry {
            id: tx.last_insert_rowid(),
            seq: *seq,
            entry_hash: hash_hex.clone(),
        });
    }
    drop(insert);
    let last_seq = chained.last().map_or(0, |c| c.0);
    if set_hash {
        prepare(tx, ae::SET_HEAD_HASH)?.execute(params![to_hex(&last)])?;
    }
    Ok((out, Some((last_seq, last))))
}

/// Opens the database file at `path` with `mode` (read-write or read-only), without
/// `SQLITE_OPEN_CREATE` (a file gone since start is an error, not a new empty database), with
/// the pool's busy timeout, then runs `pragmas`.
fn open_existing(
    path: &std::path::Path,
    mode: rusqlite::OpenFlags,
    pragmas: &str,
) -> Result<Connection, StorageError> {
    let conn = Connection::open_with_flags(path, mode | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.execute_batch(pragmas)?;
    Ok(conn)
}

/// Connections that read the audit chain page by page for `sigap audit verify` (several pages
/// are read at once, each on its own connection; idle ones are kept for the next page).
///
/// Rows are read straight from SQLite on a blocking thread: through sqlx every row was handed
/// over from the connection's worker thread with a wake-up (~35,000 entries a second), and one
/// JSON value a page built by the database (the previous way) cost its building and parsing.
/// Every column is read with its type: a value of another type (a BLOB or a REAL written into
/// the table from outside: SQLite keeps any type in any column) is an error naming the entry
/// and the column, never a value converted to pass.
pub(crate) struct ChainPageReaders {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

/// Most idle page readers kept (verification reads three pages ahead).
const IDLE_READERS: usize = 4;

impl ChainPageReaders {
    pub(crate) fn new(path: PathBuf) -> Self {
        ChainPageReaders {
            path,
            idle: Mutex::new(Vec::new()),
        }
    }

    fn open(&self) -> Result<Connection, StorageError> {
        // Memory-mapped reads; SQLite's default page cache (2 MiB): a page is read once, in
        // order, and idle readers stay open between verifications.
        open_existing(
            &self.path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
            "PRAGMA mmap_size = 268435456;",
        )
    }

    /// The entries with `after_seq < seq <= up_to_seq`, in seq order, at most `limit`.
    /// Blocks the calling thread (run it on a blocking thread).
    pub(crate) fn read(
        &self,
        after_seq: i64,
        up_to_seq: i64,
        limit: i64,
    ) -> Result<Vec<ChainEntry>, StorageError> {
        self.with_reader(|conn| read_page(conn, after_seq, up_to_seq, limit))
    }

    /// The same entries as links with their hashes ([`ChainLink`]), computed from the values
    /// SQLite hands out for each row (no owned copy of the record; only the two stored hashes
    /// are kept). Blocks the calling thread.
    pub(crate) fn read_links(
        &self,
        after_seq: i64,
        up_to_seq: i64,
        limit: i64,
    ) -> Result<Vec<ChainLink>, StorageError> {
        self.with_reader(|conn| read_links(conn, after_seq, up_to_seq, limit))
    }

    /// Runs `read` on an idle reader (or a new one), kept afterwards if it succeeded.
    fn with_reader<T>(
        &self,
        read: impl FnOnce(&Connection) -> Result<T, StorageError>,
    ) -> Result<T, StorageError> {
        let taken = self
            .idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .pop();
        let conn = match taken {
            Some(conn) => conn,
            None => self.open()?,
        };
        let page = read(&conn);
        let mut idle = self
            .idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if page.is_ok() && idle.len() < IDLE_READERS {
            idle.push(conn);
        }
        page
    }
}

fn read_page(
    conn: &Connection,
    after_seq: i64,
    up_to_seq: i64,
    limit: i64,
) -> Result<Vec<ChainEntry>, StorageError> {
    read_rows(conn, after_seq, up_to_seq, limit, |cell, _buf| {
        Ok(ChainEntry {
            id: cell.id,
            seq: cell.seq,
            prev_hash: cell.owned(2, "prev_hash")?,
            entry_hash: cell.owned(3, "entry_hash")?,
            record: ae::chain_fields(cell)?.to_record(),
        })
    })
}

/// [`read_page`] as links: each row's hash computed from its borrowed column values, with
/// the same typing; only the two stored hashes are copied.
fn read_links(
    conn: &Connection,
    after_seq: i64,
    up_to_seq: i64,
    limit: i64,
) -> Result<Vec<ChainLink>, StorageError> {
    read_rows(conn, after_seq, up_to_seq, limit, |cell, buf| {
        let prev_hash: Option<String> = cell.owned(2, "prev_hash")?;
        let entry_hash: Option<String> = cell.owned(3, "entry_hash")?;
        let fields = ae::chain_fields(cell)?;
        let computed = stored_link_hash(buf, prev_hash.as_deref(), cell.seq, &fields);
        Ok(ChainLink {
            id: cell.id,
            seq: cell.seq,
            prev_hash,
            entry_hash,
            computed,
        })
    })
}

/// The page's rows (`CHAIN_PAGE_BOUNDED`), each turned into a `T` by `each` (given the row
/// and a reusable encoding buffer).
fn read_rows<T>(
    conn: &Connection,
    after_seq: i64,
    up_to_seq: i64,
    limit: i64,
    mut each: impl FnMut(&Cell<'_, '_>, &mut Vec<u8>) -> Result<T, StorageError>,
) -> Result<Vec<T>, StorageError> {
    let mut stmt = prepare(conn, ae::CHAIN_PAGE_BOUNDED)?;
    let mut rows = stmt.query(params![after_seq, up_to_seq, limit])?;
    let mut out = Vec::with_capacity(usize::try_from(limit.clamp(0, 10_000)).unwrap_or(0));
    let mut buf = Vec::with_capacity(512);
    while let Some(r) = rows.next()? {
        let id: i64 = r.get(0).map_err(|e| wrong_type("id", &"?", &e))?;
        let seq: i64 = r.get(1).map_err(|e| wrong_type("seq", &id, &e))?;
        out.push(each(&Cell { r, id, seq }, &mut buf)?);
    }
    Ok(out)
}

/// One row's columns, read with their types: text only from TEXT, integers only from
/// INTEGER, NULL only where the column may be NULL (a BLOB or a REAL is an error).
struct Cell<'r, 's> {
    r: &'r rusqlite::Row<'s>,
    id: i64,
    seq: i64,
}

impl<'r> Cell<'r, '_> {
    fn wrong(&self, column: &str, e: impl std::fmt::Display) -> StorageError {
        StorageError::Corrupt(format!(
            "audit chain page: entry id {} seq {}, column {column}: {e}",
            self.id, self.seq
        ))
    }

    fn value(&self, i: usize, column: &str) -> Result<rusqlite::types::ValueRef<'r>, StorageError> {
        self.r.get_ref(i).map_err(|e| self.wrong(column, e))
    }

    fn owned<T: rusqlite::types::FromSql>(
        &self,
        i: usize,
        column: &str,
    ) -> Result<T, StorageError> {
        self.r.get(i).map_err(|e| self.wrong(column, e))
    }
}

impl<'r> ae::ChainRow<'r> for Cell<'r, '_> {
    fn int(&self, i: usize, column: &'static str) -> Result<i64, StorageError> {
        self.value(i, column)?
            .as_i64()
            .map_err(|e| self.wrong(column, e))
    }

    fn int_or_null(&self, i: usize, column: &'static str) -> Result<Option<i64>, StorageError> {
        self.value(i, column)?
            .as_i64_or_null()
            .map_err(|e| self.wrong(column, e))
    }

    fn text(&self, i: usize, column: &'static str) -> Result<&'r str, StorageError> {
        self.value(i, column)?
            .as_str()
            .map_err(|e| self.wrong(column, e))
    }

    fn text_or_null(
        &self,
        i: usize,
        column: &'static str,
    ) -> Result<Option<&'r str>, StorageError> {
        self.value(i, column)?
            .as_str_or_null()
            .map_err(|e| self.wrong(column, e))
    }
}

fn wrong_type(column: &str, id: &dyn std::fmt::Display, e: &rusqlite::Error) -> StorageError {
    StorageError::Corrupt(format!(
        "audit chain page: entry id {id}, column {column}: {e}"
    ))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn numbered_placeholders_bind_by_their_number_not_their_place() {
        assert_eq!(
            numbered("UPDATE t SET a = $3, b = COALESCE($10, b) WHERE k = $1 AND d = $2"),
            "UPDATE t SET a = ?3, b = COALESCE(?10, b) WHERE k = ?1 AND d = ?2"
        );
        let conn = Connection::open_in_memory().unwrap();
        let (a, b, c): (i64, String, i64) = prepare(&conn, "SELECT $3, $1, $2 + $3")
            .unwrap()
            .query_row(params!["one", 2, 3], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .unwrap();
        assert_eq!((a, b.as_str(), c), (3, "one", 5));
        // The same text as `$N` would have bound in order of appearance.
        let (x,): (i64,) = conn
            .prepare("SELECT $3, $1")
            .unwrap()
            .query_row(params![7, 8], |r| Ok((r.get(0)?,)))
            .unwrap();
        assert_eq!(x, 7, "SQLite numbers `$N` by first appearance");
    }
}
