//! Group commit, as stored: several access attempts' writes (quota reservations, settlements,
//! access entries) applied in ONE transaction, in order: the [`BatchStore`] area, its SQL and
//! the `impl_batch_store!` body. Which writes are grouped, and when, is decided by
//! [`crate::group_commit`]; this module only applies a list.
//!
//! A group touches few counter rows (usually one user ID's day and a few operators' days) many
//! times, so it is applied in three steps with a handful of statements whatever its size:
//! 1. **lock** every counter row the group needs, in key order (so two replicas' groups never
//!    wait on each other in a cycle): an upsert that creates a missing row and returns its
//!    counters for rows a reservation needs, an `UPDATE … RETURNING` for rows only a
//!    settlement needs (a missing row stays missing: "nothing to settle");
//! 2. **decide** every write in queue order in memory ([`Ledger::apply`], pure), with exactly
//!    the meaning of its single-transaction counterpart in [`super::QuotaStore`]: a
//!    reservation counts on the user ID's day (below the limit, day not closed by 05) and on
//!    the operator's day (below the cap, if any), both or neither; settlements change the
//!    day's counters as `settle_quota` does;
//! 3. **write** each touched row once (absolute counters: the rows are locked) and chain the
//!    access entries in queue order through `append_chained!`.
//!
//! One fsync per group instead of three per request; the durability promise is unchanged: a
//! caller hears "done" only after its group committed.

use super::{
    AppendedEntry, AuditRecord, NewAccessEvent, ReserveOutcome, ReserveRequest, Settlement,
    StorageError,
};
use std::collections::BTreeMap;
use time::Date;

/// A reserved hit's settlement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchSettle {
    pub dukcapil_user_id: String,
    pub day: Date,
    pub operator_account_id: i64,
    pub settlement: Settlement,
    pub now_ms: i64,
    /// The hit came from a block leased to this server ([`BatchOp::Lease`]): it is counted in
    /// the day's `held`, not yet in `used` nor on the operator's day. Settling moves it from
    /// `held` to `used` and counts it on the operator's day; a refund only counts `refunded`
    /// (the hit went back to the server's pool, still held).
    pub leased: bool,
}

/// Most hits one lease may take: a share of what remains, so that several replicas leasing
/// from one day leave each other hits and the last hits of a day go one by one.
pub const LEASE_SHARE: i64 = 16;

/// One write of a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchOp {
    /// Reserve one hit.
    Reserve(ReserveRequest),
    /// Settle a hit (if any) and append the attempt's access entry.
    Finish {
        settle: Option<BatchSettle>,
        event: Box<NewAccessEvent>,
    },
    /// Lease a block of hits for this server's in-memory pool: at most `max_block`, at most
    /// a [`LEASE_SHARE`]th of what remains (at least one), counted in the day's `held`.
    Lease {
        request: ReserveRequest,
        max_block: i64,
    },
    /// Settle a hit without an access entry (a reservation dropped unsettled).
    Settle(BatchSettle),
    /// Give back `count` leased hits this server will not hand out (pool flushed).
    Return {
        dukcapil_user_id: String,
        day: Date,
        count: i64,
        now_ms: i64,
    },
}

/// What a [`BatchOp::Lease`] got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeaseGrant {
    /// Hits leased; 0: the day is at its limit or closed by 05.
    pub granted: i64,
    /// The day's `used` (settled hits) when leased.
    pub used: i64,
    /// The day's `held` after the lease (all servers' pools and leased calls in flight).
    pub held: i64,
    pub exhausted_at: Option<i64>,
}

/// What one write did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchDone {
    Reserved(ReserveOutcome),
    Finished {
        entry: AppendedEntry,
        /// `false` when the settlement found no reserved hit to settle (the day row is
        /// missing): the entry is still written.
        settled: bool,
    },
    Leased(LeaseGrant),
    /// As `settled` in `Finished`.
    Settled(bool),
    Returned,
}

/// Applies a group of writes in one transaction.
#[async_trait::async_trait]
pub trait BatchStore {
    /// Applies `ops` in order in one transaction; the results are in the same order. An error
    /// means nothing of the group was written.
    ///
    /// SQLite's implementation blocks the calling thread for the group's time (including a
    /// wait of up to the busy timeout for the write lock): call it from the group writer's
    /// drain thread ([`crate::group_commit`]), never from a task on a runtime worker.
    async fn apply_batch(&self, ops: &[BatchOp]) -> Result<Vec<BatchDone>, StorageError>;
}

/// A user ID's day row key: (Dukcapil user ID, stored day text).
pub type UserDayKey = (String, String);
/// An operator's day row key: (account id, stored day text).
pub type OperatorDayKey = (i64, String);

/// How a counter row is locked: created if missing (a reservation needs it), or only if it
/// exists (settlements only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockMode {
    /// Insert with zero counters if missing: (institution id, daily limit, now) of the first
    /// reservation.
    Create {
        institution_id: i64,
        daily_limit: i64,
        now_ms: i64,
    },
    Existing,
}

/// A user ID's day as locked, then as the group leaves it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserDay {
    pub used: i64,
    pub spent: i64,
    pub ambiguous: i64,
    pub refunded: i64,
    /// Leased to servers' pools and not settled.
    pub held: i64,
    pub exhausted_at: Option<i64>,
    pub daily_limit: Option<i64>,
    pub updated_at: Option<i64>,
    /// Something changed (the row is written back).
    pub touched: bool,
}

impl UserDay {
    /// Nothing was ever counted on the row.
    pub fn counts_nothing(&self) -> bool {
        self.used == 0
            && self.spent == 0
            && self.ambiguous == 0
            && self.refunded == 0
            && self.held == 0
            && self.exhausted_at.is_none()
    }
}

/// An operator's day as locked, then as the group leaves it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OperatorDay {
    pub used: i64,
    pub updated_at: Option<i64>,
    pub touched: bool,
}

/// The counter rows of one group, locked; `None`: no such row (settlements find nothing).
#[derive(Debug, Default)]
pub struct Ledger {
    pub users: BTreeMap<UserDayKey, Option<UserDay>>,
    pub operators: BTreeMap<OperatorDayKey, Option<OperatorDay>>,
}

/// The rows a group must lock, in key order, with how.
pub fn rows_to_lock(
    ops: &[BatchOp],
) -> (
    BTreeMap<UserDayKey, LockMode>,
    BTreeMap<OperatorDayKey, LockMode>,
) {
    let mut users: BTreeMap<UserDayKey, LockMode> = BTreeMap::new();
    let mut operators: BTreeMap<OperatorDayKey, LockMode> = BTreeMap::new();
    let stronger = |m: &mut LockMode, new: LockMode| {
        if *m == LockMode::Existing {
            *m = new;
        }
    };
    for op in ops {
        match op {
            BatchOp::Reserve(r) => {
                let day = super::quota::day_key(r.day);
                let create = LockMode::Create {
                    institution_id: r.institution_id,
                    daily_limit: r.daily_limit,
                    now_ms: r.now_ms,
                };
                stronger(
                    users
                        .entry((r.dukcapil_user_id.clone(), day.clone()))
                        .or_insert(create),
                    create,
                );
                stronger(
                    operators
                        .entry((r.operator_account_id, day))
                        .or_insert(create),
                    create,
                );
            }
            BatchOp::Finish {
                settle: Some(s), ..
            }
            | BatchOp::Settle(s) => {
                let day = super::quota::day_key(s.day);
                users
                    .entry((s.dukcapil_user_id.clone(), day.clone()))
                    .or_insert(LockMode::Existing);
                match (s.leased, s.settlement) {
                    (false, Settlement::Refund) => {
                        operators
                            .entry((s.operator_account_id, day))
                            .or_insert(LockMode::Existing);
                    }
                    // A leased hit is counted on the operator's day when settled.
                    (true, settlement) if settlement != Settlement::Refund => {
                        // Only `now_ms` is used for an operator's row.
                        let create = LockMode::Create {
                            institution_id: 0,
                            daily_limit: 0,
                            now_ms: s.now_ms,
                        };
                        stronger(
                            operators
                                .entry((s.operator_account_id, day))
                                .or_insert(create),
                            create,
                        );
                    }
                    _ => {}
                }
            }
            BatchOp::Lease { request: r, .. } => {
                let create = LockMode::Create {
                    institution_id: r.institution_id,
                    daily_limit: r.daily_limit,
                    now_ms: r.now_ms,
                };
                stronger(
                    users
                        .entry((r.dukcapil_user_id.clone(), super::quota::day_key(r.day)))
                        .or_insert(create),
                    create,
                );
            }
            BatchOp::Return {
                dukcapil_user_id,
                day,
                ..
            } => {
                users
                    .entry((dukcapil_user_id.clone(), super::quota::day_key(*day)))
                    .or_insert(LockMode::Existing);
            }
            BatchOp::Finish { settle: None, .. } => {}
        }
    }
    (users, operators)
}

/// What [`Ledger::apply`] decided for one write; access entries get their place when chained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decided {
    Reserved(ReserveOutcome),
    /// An access entry to chain; `settled` as in [`BatchDone::Finished`].
    Finish {
        settled: bool,
    },
    Leased(LeaseGrant),
    Settled(bool),
    Returned,
}

/// One counter row statement of a group's write-back ([`Ledger::write_backs`]).
#[derive(Debug, PartialEq, Eq)]
pub enum CounterWrite<'a> {
    /// `WRITE_USER_DAY` with the row as the group leaves it.
    User(&'a UserDayKey, &'a UserDay),
    /// `DROP_EMPTY_USER_DAY`.
    DropUser(&'a UserDayKey),
    /// `WRITE_OPERATOR_DAY`.
    Operator(&'a OperatorDayKey, &'a OperatorDay),
    /// `DROP_EMPTY_OPERATOR_DAY`.
    DropOperator(&'a OperatorDayKey),
}

impl Ledger {
    /// What each backend writes after [`Ledger::apply`], in key order: each locked row once,
    /// written back if the group changed it, removed if it counts nothing (the lock step
    /// created it and every reservation was refused; the single-write path never leaves such
    /// a row).
    pub fn write_backs(&self) -> impl Iterator<Item = CounterWrite<'_>> {
        let users = self.users.iter().filter_map(|(key, state)| match state {
            Some(u) if u.touched => Some(CounterWrite::User(key, u)),
            Some(u) if u.counts_nothing() => Some(CounterWrite::DropUser(key)),
            _ => None,
        });
        let operators = self
            .operators
            .iter()
            .filter_map(|(key, state)| match state {
                Some(o) if o.touched => Some(CounterWrite::Operator(key, o)),
                Some(o) if o.used == 0 => Some(CounterWrite::DropOperator(key)),
                _ => None,
            });
        users.chain(operators)
    }

    /// Decides every write in order against the locked rows. A row the group needs but did not
    /// lock is a bug: `Corrupt`.
    pub fn apply(&mut self, ops: &[BatchOp]) -> Result<Vec<Decided>, StorageError> {
        let mut out = Vec::with_capacity(ops.len());
        for op in ops {
            match op {
                BatchOp::Reserve(r) => {
                    let day = super::quota::day_key(r.day);
                    let user = self
                        .users
                        .get_mut(&(r.dukcapil_user_id.clone(), day.clone()))
                        .and_then(Option::as_mut)
                        .ok_or_else(not_locked)?;
                    if user.used + user.held >= r.daily_limit || user.exhausted_at.is_some() {
                        out.push(Decided::Reserved(ReserveOutcome::UserIdExhausted {
                            used: user.used + user.held,
                            exhausted_at: user.exhausted_at,
                        }));
                        continue;
                    }
                    let operator = self
                        .operators
                        .get_mut(&(r.operator_account_id, day))
                        .and_then(Option::as_mut)
                        .ok_or_else(not_locked)?;
                    if r.operator_cap.is_some_and(|cap| operator.used >= cap) {
                        out.push(Decided::Reserved(ReserveOutcome::OperatorCapReached {
                            operator_used: operator.used,
                        }));
                        continue;
                    }
                    user.used += 1;
                    user.daily_limit = Some(r.daily_limit);
                    user.updated_at = Some(r.now_ms);
                    user.touched = true;
                    operator.used += 1;
                    operator.updated_at = Some(r.now_ms);
                    operator.touched = true;
                    out.push(Decided::Reserved(ReserveOutcome::Reserved {
                        used: user.used,
                        operator_used: operator.used,
                    }));
                }
                BatchOp::Lease {
                    request: r,
                    max_block,
                } => {
                    let user = self
                        .users
                        .get_mut(&(r.dukcapil_user_id.clone(), super::quota::day_key(r.day)))
                        .and_then(Option::as_mut)
                        .ok_or_else(not_locked)?;
                    let remaining = r.daily_limit - user.used - user.held;
                    let granted = if remaining <= 0 || user.exhausted_at.is_some() {
                        0
                    } else {
                        (remaining / LEASE_SHARE)
                            .clamp(1, (*max_block).max(1))
                            .min(remaining)
                    };
                    if granted > 0 {
                        user.held += granted;
                        user.daily_limit = Some(r.daily_limit);
                        user.updated_at = Some(r.now_ms);
                        user.touched = true;
                    }
                    out.push(Decided::Leased(LeaseGrant {
                        granted,
                        used: user.used,
                        held: user.held,
                        exhausted_at: user.exhausted_at,
                    }));
                }
                BatchOp::Finish { settle: None, .. } => out.push(Decided::Finish { settled: true }),
                BatchOp::Finish {
                    settle: Some(s), ..
                } => {
                    let settled = self.settle(s)?;
                    out.push(Decided::Finish { settled });
                }
                BatchOp::Settle(s) => {
                    let settled = self.settle(s)?;
                    out.push(Decided::Settled(settled));
                }
                BatchOp::Return {
                    dukcapil_user_id,
                    day,
                    count,
                    now_ms,
                } => {
                    let key = (dukcapil_user_id.clone(), super::quota::day_key(*day));
                    if let Some(user) = self.users.get_mut(&key).ok_or_else(not_locked)? {
                        let back = (*count).clamp(0, user.held);
                        if back > 0 {
                            user.held -= back;
                            user.updated_at = Some(*now_ms);
                            user.touched = true;
                        }
                    }
                    out.push(Decided::Returned);
                }
            }
        }
        Ok(out)
    }

    /// One settlement, as `settle_quota` does it (a leased hit as [`BatchSettle::leased`]
    /// says); `false`: no reserved hit was found to settle.
    fn settle(&mut self, s: &BatchSettle) -> Result<bool, StorageError> {
        let day = super::quota::day_key(s.day);
        let Some(user) = self
            .users
            .get_mut(&(s.dukcapil_user_id.clone(), day.clone()))
            .ok_or_else(not_locked)?
        else {
            return Ok(false);
        };
        if s.leased {
            if s.settlement == Settlement::Refund {
                // The hit went back to the server's pool: still held.
                user.refunded += 1;
            } else {
                let found = user.held > 0;
                user.held = (user.held - 1).max(0);
                user.used += 1;
                match s.settlement {
                    Settlement::Ambiguous => user.ambiguous += 1,
                    Settlement::UpstreamExhausted => {
                        user.spent += 1;
                        user.exhausted_at.get_or_insert(s.now_ms);
                        // The day is closed: no pool may hand out what it still holds.
                        user.held = 0;
                    }
                    _ => user.spent += 1,
                }
                let op = self
                    .operators
                    .get_mut(&(s.operator_account_id, day))
                    .and_then(Option::as_mut)
                    .ok_or_else(not_locked)?;
                op.used += 1;
                op.updated_at = Some(s.now_ms);
                op.touched = true;
                // After 05 `held` is cleared while leased calls may still be in flight:
                // their settlements are expected, not "nothing to settle".
                if !found && user.exhausted_at.is_none() {
                    user.updated_at = Some(s.now_ms);
                    user.touched = true;
                    return Ok(false);
                }
            }
            user.updated_at = Some(s.now_ms);
            user.touched = true;
            return Ok(true);
        }
        let mut settled = true;
        match s.settlement {
            Settlement::Spent => user.spent += 1,
            Settlement::Ambiguous => user.ambiguous += 1,
            Settlement::UpstreamExhausted => {
                user.spent += 1;
                user.exhausted_at.get_or_insert(s.now_ms);
                user.held = 0;
            }
            Settlement::Refund => {
                // As SETTLE_REFUND: only while something is counted.
                if user.used > 0 {
                    user.used -= 1;
                    user.refunded += 1;
                    if let Some(Some(op)) = self.operators.get_mut(&(s.operator_account_id, day))
                        && op.used > 0
                    {
                        op.used -= 1;
                        op.updated_at = Some(s.now_ms);
                        op.touched = true;
                    }
                } else {
                    settled = false;
                }
            }
        }
        if settled {
            user.updated_at = Some(s.now_ms);
            user.touched = true;
        }
        Ok(settled)
    }
}

/// The access entries of a group, in queue order.
pub fn access_records(ops: &[BatchOp]) -> Vec<AuditRecord> {
    ops.iter()
        .filter_map(|op| match op {
            BatchOp::Finish { event, .. } => Some(AuditRecord::from(event.as_ref())),
            _ => None,
        })
        .collect()
}

/// Each write's answer once the group committed: the decisions, with the chained entries
/// (in queue order) given to the access entries.
pub fn answers(
    decided: Vec<Decided>,
    appended: Vec<AppendedEntry>,
) -> Result<Vec<BatchDone>, StorageError> {
    let mut entries = appended.into_iter();
    decided
        .into_iter()
        .map(|d| match d {
            Decided::Reserved(outcome) => Ok(BatchDone::Reserved(outcome)),
            Decided::Leased(grant) => Ok(BatchDone::Leased(grant)),
            Decided::Settled(settled) => Ok(BatchDone::Settled(settled)),
            Decided::Returned => Ok(BatchDone::Returned),
            Decided::Finish { settled } => entries
                .next()
                .map(|entry| BatchDone::Finished { entry, settled })
                .ok_or_else(|| {
                    StorageError::Corrupt("group commit: an entry was not chained".into())
                }),
        })
        .collect()
}

fn not_locked() -> StorageError {
    StorageError::Corrupt("group commit: a counter row was not locked".into())
}

/// Locks a user ID's day, creating it with zero counters if missing.
pub const LOCK_USER_DAY_CREATE: &str = "INSERT INTO quota_days \
       (dukcapil_user_id, day, institution_id, daily_limit, used, first_reserved_at, updated_at) \
     VALUES ($1, $2, $3, $4, 0, $5, $5) \
     ON CONFLICT (dukcapil_user_id, day) DO UPDATE SET updated_at = quota_days.updated_at \
     RETURNING used, spent, ambiguous, refunded, held, exhausted_at";
/// Locks a user ID's day if it exists.
pub const LOCK_USER_DAY: &str = "UPDATE quota_days SET updated_at = updated_at \
     WHERE dukcapil_user_id = $1 AND day = $2 \
     RETURNING used, spent, ambiguous, refunded, held, exhausted_at";
/// Writes a user ID's day back (absolute counters; the row is locked).
pub const WRITE_USER_DAY: &str = "UPDATE quota_days SET used = $3, spent = $4, ambiguous = $5, \
       refunded = $6, exhausted_at = $7, daily_limit = COALESCE($8, daily_limit), \
       updated_at = COALESCE($9, updated_at), held = $10 \
     WHERE dukcapil_user_id = $1 AND day = $2";
/// Removes a user ID's day the lock step may have created, if nothing was ever counted on it.
pub const DROP_EMPTY_USER_DAY: &str = "DELETE FROM quota_days \
     WHERE dukcapil_user_id = $1 AND day = $2 AND used = 0 AND spent = 0 AND ambiguous = 0 \
       AND refunded = 0 AND held = 0 AND exhausted_at IS NULL";
/// Removes an operator's day the lock step may have created, if it counts nothing.
pub const DROP_EMPTY_OPERATOR_DAY: &str =
    "DELETE FROM quota_operator_days WHERE account_id = $1 AND day = $2 AND used = 0";
/// Locks an operator's day, creating it with a zero count if missing.
pub const LOCK_OPERATOR_DAY_CREATE: &str = "INSERT INTO quota_operator_days \
       (account_id, day, used, updated_at) VALUES ($1, $2, 0, $3) \
     ON CONFLICT (account_id, day) DO UPDATE SET updated_at = quota_operator_days.updated_at \
     RETURNING used";
/// Locks an operator's day if it exists.
pub const LOCK_OPERATOR_DAY: &str = "UPDATE quota_operator_days SET updated_at = updated_at \
     WHERE account_id = $1 AND day = $2 RETURNING used";
/// Writes an operator's day back.
pub const WRITE_OPERATOR_DAY: &str = "UPDATE quota_operator_days SET used = $3, \
       updated_at = COALESCE($4, updated_at) WHERE account_id = $1 AND day = $2";

/// Implements [`BatchStore`] for a backend struct with a `pool` field and `begin_write`.
macro_rules! impl_batch_store {
    ($ty:ty) => {
        #[async_trait::async_trait]
        impl $crate::storage::BatchStore for $ty {
            async fn apply_batch(
                &self,
                ops: &[$crate::storage::BatchOp],
            ) -> Result<Vec<$crate::storage::BatchDone>, $crate::storage::StorageError> {
                use $crate::storage::StorageError;
                use $crate::storage::batch::{self as b, LockMode, OperatorDay, UserDay};
                if ops.is_empty() {
                    return Ok(Vec::new());
                }
                let (user_rows, operator_rows) = b::rows_to_lock(ops);
                let mut tx = self.begin_batch_write().await?;
                let mut ledger = b::Ledger::default();
                for ((user_id, day), mode) in user_rows {
                    type Row = (i64, i64, i64, i64, i64, Option<i64>);
                    let row: Option<Row> = match mode {
                        LockMode::Create {
                            institution_id,
                            daily_limit,
                            now_ms,
                        } => sqlx::query_as(b::LOCK_USER_DAY_CREATE)
                            .bind(&user_id)
                            .bind(&day)
                            .bind(institution_id)
                            .bind(daily_limit)
                            .bind(now_ms)
                            .fetch_optional(&mut *tx)
                            .await
                            .map_err(StorageError::from_write)?,
                        LockMode::Existing => sqlx::query_as(b::LOCK_USER_DAY)
                            .bind(&user_id)
                            .bind(&day)
                            .fetch_optional(&mut *tx)
                            .await
                            .map_err(StorageError::from_write)?,
                    };
                    let state = row.map(
                        |(used, spent, ambiguous, refunded, held, exhausted_at)| UserDay {
                            used,
                            spent,
                            ambiguous,
                            refunded,
                            held,
                            exhausted_at,
                            ..UserDay::default()
                        },
                    );
                    ledger.users.insert((user_id, day), state);
                }
                for ((account_id, day), mode) in operator_rows {
                    let used: Option<i64> = match mode {
                        LockMode::Create { now_ms, .. } => {
                            sqlx::query_scalar(b::LOCK_OPERATOR_DAY_CREATE)
                                .bind(account_id)
                                .bind(&day)
                                .bind(now_ms)
                                .fetch_optional(&mut *tx)
                                .await
                                .map_err(StorageError::from_write)?
                        }
                        LockMode::Existing => sqlx::query_scalar(b::LOCK_OPERATOR_DAY)
                            .bind(account_id)
                            .bind(&day)
                            .fetch_optional(&mut *tx)
                            .await
                            .map_err(StorageError::from_write)?,
                    };
                    let state = used.map(|used| OperatorDay {
                        used,
                        ..OperatorDay::default()
                    });
                    ledger.operators.insert((account_id, day), state);
                }
                let decided = ledger.apply(ops)?;
                for write in ledger.write_backs() {
                    let query = match write {
                        b::CounterWrite::User((user_id, day), u) => sqlx::query(b::WRITE_USER_DAY)
                            .bind(user_id)
                            .bind(day)
                            .bind(u.used)
                            .bind(u.spent)
                            .bind(u.ambiguous)
                            .bind(u.refunded)
                            .bind(u.exhausted_at)
                            .bind(u.daily_limit)
                            .bind(u.updated_at)
                            .bind(u.held),
                        b::CounterWrite::DropUser((user_id, day)) => {
                            sqlx::query(b::DROP_EMPTY_USER_DAY).bind(user_id).bind(day)
                        }
                        b::CounterWrite::Operator((account_id, day), o) => {
                            sqlx::query(b::WRITE_OPERATOR_DAY)
                                .bind(account_id)
                                .bind(day)
                                .bind(o.used)
                                .bind(o.updated_at)
                        }
                        b::CounterWrite::DropOperator((account_id, day)) => {
                            sqlx::query(b::DROP_EMPTY_OPERATOR_DAY)
                                .bind(account_id)
                                .bind(day)
                        }
                    };
                    query
                        .execute(&mut *tx)
                        .await
                        .map_err(StorageError::from_write)?;
                }
                let records = b::access_records(ops);
                // The head this process wrote last, taken: any failure below leaves none.
                let hint = self.head_hint.take();
                let (appended, head) =
                    $crate::storage::audit_events::append_chained!(&mut *tx, &records, hint)?;
                tx.commit()
                    .await
                    .map_err(|e| StorageError::CommitOutcomeUnknown(e.to_string()))?;
                self.head_hint.set(head);
                b::answers(decided, appended)
            }
        }
    };
}
pub(crate) use impl_batch_store;

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::storage::{AccessChannel, AccessKind, AuditOutcome};
    use time::macros::date;

    const DAY: Date = date!(2026 - 11 - 27);

    /// Each locked row once: a changed row is written, a row that counts nothing is removed,
    /// an unchanged row and a missing one are left alone; users first, in key order.
    #[test]
    fn write_backs_name_each_locked_row_at_most_once() {
        let mut ledger = Ledger::default();
        let day = "2026-11-27".to_string();
        let changed = UserDay {
            used: 3,
            touched: true,
            ..UserDay::default()
        };
        let kept = UserDay {
            used: 5,
            ..UserDay::default()
        };
        ledger
            .users
            .insert(("A".into(), day.clone()), Some(changed.clone()));
        ledger
            .users
            .insert(("B".into(), day.clone()), Some(UserDay::default()));
        ledger.users.insert(("C".into(), day.clone()), Some(kept));
        ledger.users.insert(("D".into(), day.clone()), None);
        let op = OperatorDay {
            used: 1,
            touched: true,
            ..OperatorDay::default()
        };
        ledger.operators.insert((1, day.clone()), Some(op.clone()));
        ledger
            .operators
            .insert((2, day.clone()), Some(OperatorDay::default()));
        ledger.operators.insert((3, day.clone()), None);
        let a = ("A".to_string(), day.clone());
        let b = ("B".to_string(), day.clone());
        let (o1, o2) = ((1, day.clone()), (2, day.clone()));
        assert_eq!(
            ledger.write_backs().collect::<Vec<_>>(),
            vec![
                CounterWrite::User(&a, &changed),
                CounterWrite::DropUser(&b),
                CounterWrite::Operator(&o1, &op),
                CounterWrite::DropOperator(&o2),
            ]
        );
    }

    fn reserve(op: i64, limit: i64, cap: Option<i64>) -> BatchOp {
        BatchOp::Reserve(ReserveRequest {
            dukcapil_user_id: "U1".into(),
            institution_id: 1,
            daily_limit: limit,
            operator_account_id: op,
            operator_cap: cap,
            day: DAY,
            now_ms: 10,
        })
    }

    fn finish(op: i64, how: Option<Settlement>) -> BatchOp {
        BatchOp::Finish {
            settle: how.map(|settlement| BatchSettle {
                dukcapil_user_id: "U1".into(),
                day: DAY,
                operator_account_id: op,
                settlement,
                now_ms: 20,
                leased: false,
            }),
            event: Box::new(NewAccessEvent {
                at_ms: 20,
                kind: AccessKind::Lookup,
                outcome: AuditOutcome::Success,
                outcome_code: "00".into(),
                channel: AccessChannel::Api,
                institution_id: None,
                actor_account_id: Some(op),
                actor_username: None,
                local_user_id: None,
                dukcapil_user_id: None,
                purpose: None,
                nik_hmac: "00".into(),
                nik_masked: "3313********0001".into(),
                quota_state: None,
                latency_ms: None,
                client_ip: None,
                request_id: None,
                fingerprint: None,
            }),
        }
    }

    /// A ledger as the lock step would leave it for `ops`, from these stored counters.
    fn locked(ops: &[BatchOp], user_used: Option<i64>, op_used: &[(i64, i64)]) -> Ledger {
        let (users, operators) = rows_to_lock(ops);
        let mut l = Ledger::default();
        for (k, mode) in users {
            let row = match (mode, user_used) {
                (_, Some(used)) => Some(UserDay {
                    used,
                    ..UserDay::default()
                }),
                (LockMode::Create { .. }, None) => Some(UserDay::default()),
                (LockMode::Existing, None) => None,
            };
            l.users.insert(k, row);
        }
        for (k, mode) in operators {
            let used = op_used.iter().find(|(a, _)| *a == k.0).map(|(_, u)| *u);
            let row = match (mode, used) {
                (_, Some(used)) => Some(OperatorDay {
                    used,
                    ..OperatorDay::default()
                }),
                (LockMode::Create { .. }, None) => Some(OperatorDay::default()),
                (LockMode::Existing, None) => None,
            };
            l.operators.insert(k, row);
        }
        l
    }

    #[test]
    fn exactly_the_limit_is_reserved_in_queue_order() {
        let ops: Vec<BatchOp> = (0..5).map(|i| reserve(i % 2, 3, None)).collect();
        let mut l = locked(&ops, Some(1), &[]);
        let d = l.apply(&ops).unwrap();
        let granted = d
            .iter()
            .filter(|d| matches!(d, Decided::Reserved(ReserveOutcome::Reserved { .. })))
            .count();
        assert_eq!(granted, 2, "1 used + 2 = the limit of 3");
        assert_eq!(
            d[2],
            Decided::Reserved(ReserveOutcome::UserIdExhausted {
                used: 3,
                exhausted_at: None
            })
        );
        let user = l.users.values().next().unwrap().as_ref().unwrap();
        assert_eq!((user.used, user.touched), (3, true));
    }

    #[test]
    fn an_operator_cap_refusal_counts_nothing() {
        let ops = vec![
            reserve(7, 10, Some(1)),
            reserve(7, 10, Some(1)),
            reserve(8, 10, None),
        ];
        let mut l = locked(&ops, Some(0), &[]);
        let d = l.apply(&ops).unwrap();
        assert_eq!(
            d[1],
            Decided::Reserved(ReserveOutcome::OperatorCapReached { operator_used: 1 })
        );
        assert_eq!(
            d[2],
            Decided::Reserved(ReserveOutcome::Reserved {
                used: 2,
                operator_used: 1
            })
        );
    }

    #[test]
    fn a_refund_frees_a_slot_for_a_later_write_of_the_same_group() {
        let ops = vec![
            finish(7, Some(Settlement::Refund)),
            reserve(7, 2, None),
            finish(7, Some(Settlement::UpstreamExhausted)),
            reserve(7, 9, None),
        ];
        let mut l = locked(&ops, Some(2), &[(7, 2)]);
        let d = l.apply(&ops).unwrap();
        assert_eq!(d[0], Decided::Finish { settled: true });
        assert_eq!(
            d[1],
            Decided::Reserved(ReserveOutcome::Reserved {
                used: 2,
                operator_used: 2
            })
        );
        assert_eq!(d[2], Decided::Finish { settled: true });
        assert_eq!(
            d[3],
            Decided::Reserved(ReserveOutcome::UserIdExhausted {
                used: 2,
                exhausted_at: Some(20)
            }),
            "05 closes the day whatever the limit"
        );
        let user = l.users.values().next().unwrap().as_ref().unwrap();
        assert_eq!((user.refunded, user.spent), (1, 1));
    }

    #[test]
    fn settling_without_a_row_or_count_is_reported_not_invented() {
        let ops = vec![finish(7, Some(Settlement::Spent)), finish(7, None)];
        let mut l = locked(&ops, None, &[]);
        let d = l.apply(&ops).unwrap();
        assert_eq!(
            d,
            vec![
                Decided::Finish { settled: false },
                Decided::Finish { settled: true }
            ]
        );
        let ops = vec![finish(7, Some(Settlement::Refund))];
        let mut l = locked(&ops, Some(0), &[]);
        assert_eq!(
            l.apply(&ops).unwrap(),
            vec![Decided::Finish { settled: false }]
        );
    }

    #[test]
    fn rows_are_locked_in_key_order_created_only_for_reservations() {
        let ops = vec![finish(9, Some(Settlement::Refund)), reserve(3, 5, None)];
        let (users, operators) = rows_to_lock(&ops);
        assert!(matches!(
            users.values().next(),
            Some(LockMode::Create { .. })
        ));
        let keys: Vec<i64> = operators.keys().map(|k| k.0).collect();
        assert_eq!(keys, vec![3, 9]);
        assert_eq!(
            operators[&(9, "2026-11-27".to_string())],
            LockMode::Existing
        );
    }

    fn lease(limit: i64, max_block: i64) -> BatchOp {
        let BatchOp::Reserve(request) = reserve(1, limit, None) else {
            unreachable!()
        };
        BatchOp::Lease { request, max_block }
    }

    fn leased_settle(op: i64, settlement: Settlement) -> BatchOp {
        BatchOp::Settle(BatchSettle {
            dukcapil_user_id: "U1".into(),
            day: DAY,
            operator_account_id: op,
            settlement,
            now_ms: 30,
            leased: true,
        })
    }

    #[test]
    fn leases_take_a_share_of_what_remains_and_never_pass_the_limit() {
        let ops = vec![
            lease(1000, 64),
            lease(1000, 64),
            lease(100, 64),
            lease(20, 64),
        ];
        let mut l = locked(&ops, Some(0), &[]);
        let d = l.apply(&ops).unwrap();
        let granted: Vec<i64> = d
            .iter()
            .map(|d| match d {
                Decided::Leased(g) => g.granted,
                other => panic!("{other:?}"),
            })
            .collect();
        // 1000/16 = 62; (1000-62)/16 = 58; (100-120) < 0: none; (20-120) < 0: none.
        assert_eq!(granted, vec![62, 58, 0, 0]);
        let user = l.users.values().next().unwrap().as_ref().unwrap();
        assert_eq!((user.used, user.held), (0, 120));

        // The last hits go one by one; a plain reservation counts `held` as taken.
        let ops = vec![
            lease(3, 64),
            reserve(1, 3, None),
            lease(3, 64),
            lease(3, 64),
        ];
        let mut l = locked(&ops, Some(1), &[]);
        let d = l.apply(&ops).unwrap();
        assert!(matches!(
            d[0],
            Decided::Leased(LeaseGrant { granted: 1, .. })
        ));
        assert!(matches!(
            d[1],
            Decided::Reserved(ReserveOutcome::Reserved { used: 2, .. })
        ));
        assert!(matches!(
            d[2],
            Decided::Leased(LeaseGrant { granted: 0, .. })
        ));
        assert!(matches!(
            d[3],
            Decided::Leased(LeaseGrant { granted: 0, .. })
        ));
    }

    #[test]
    fn a_settled_leased_hit_moves_from_held_to_used_and_to_its_operator() {
        let ops = vec![
            lease(100, 4),
            leased_settle(7, Settlement::Spent),
            leased_settle(8, Settlement::Ambiguous),
            leased_settle(7, Settlement::Refund),
            BatchOp::Return {
                dukcapil_user_id: "U1".into(),
                day: DAY,
                count: 5,
                now_ms: 40,
            },
        ];
        let mut l = locked(&ops, Some(0), &[]);
        let d = l.apply(&ops).unwrap();
        assert!(matches!(
            d[0],
            Decided::Leased(LeaseGrant { granted: 4, .. })
        ));
        assert_eq!(d[1..4], vec![Decided::Settled(true); 3]);
        assert_eq!(d[4], Decided::Returned);
        let user = l.users.values().next().unwrap().as_ref().unwrap();
        assert_eq!(
            (
                user.used,
                user.held,
                user.spent,
                user.ambiguous,
                user.refunded
            ),
            (2, 0, 1, 1, 1),
            "the refunded hit stayed held until returned; the return gives back only what is held"
        );
        let ops_used: Vec<i64> = l
            .operators
            .values()
            .map(|o| o.as_ref().unwrap().used)
            .collect();
        assert_eq!(ops_used, vec![1, 1], "refunds count on no operator");

        // 05 closes the day and clears what every pool holds.
        let ops = vec![
            lease(100, 8),
            leased_settle(7, Settlement::UpstreamExhausted),
        ];
        let mut l = locked(&ops, Some(0), &[]);
        l.apply(&ops).unwrap();
        let user = l.users.values().next().unwrap().as_ref().unwrap();
        assert_eq!((user.used, user.held, user.spent), (1, 0, 1));
        assert!(user.exhausted_at.is_some());
    }
}
