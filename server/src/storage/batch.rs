//! Group commit, as stored: several access attempts' writes (quota reservations, settlements,
//! access entries) applied in ONE transaction, in order: the [`BatchStore`] area, its SQL and
//! the `impl_batch_store!` body. Which writes are grouped, and when, is decided by
//! [`crate::group_commit`]; this module only applies a list.
//!
//! Each operation keeps the meaning of its single-transaction counterpart in
//! [`super::QuotaStore`] and [`super::AuditEventStore`]:
//! - a reservation counts on the user ID's day and the operator's day, both or neither (when
//!   the operator's cap refuses, the user ID's hit is taken back inside the same transaction
//!   by a compensating decrement, so no other transaction ever sees it);
//! - a settlement changes the day's counters the same way `settle_quota` does;
//! - access entries are chained in list order through `append_chained!` (one head update for
//!   the whole group).
//!
//! One fsync per group instead of three per request; the durability promise is unchanged: a
//! caller hears "done" only after its group committed.

use super::{AppendedEntry, NewAccessEvent, ReserveOutcome, Settlement, StorageError};
use time::Date;

/// A reservation to apply (owned: it waits in a queue).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchReserve {
    pub dukcapil_user_id: String,
    pub institution_id: i64,
    pub daily_limit: i64,
    pub operator_account_id: i64,
    pub operator_cap: Option<i64>,
    pub day: Date,
    pub now_ms: i64,
}

/// A reserved hit's settlement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchSettle {
    pub dukcapil_user_id: String,
    pub day: Date,
    pub operator_account_id: i64,
    pub settlement: Settlement,
    pub now_ms: i64,
}

/// One write of a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchOp {
    /// Reserve one hit.
    Reserve(BatchReserve),
    /// Settle a hit (if any) and append the attempt's access entry.
    Finish {
        settle: Option<BatchSettle>,
        event: Box<NewAccessEvent>,
    },
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
}

/// Applies a group of writes in one transaction.
#[async_trait::async_trait]
pub trait BatchStore {
    /// Applies `ops` in order in one transaction; the results are in the same order. An error
    /// means nothing of the group was written.
    async fn apply_batch(&self, ops: &[BatchOp]) -> Result<Vec<BatchDone>, StorageError>;
}

/// Takes back a user ID's hit within the reserving transaction (the operator's cap refused).
pub const UNRESERVE_USER_ID: &str = "UPDATE quota_days SET used = used - 1 \
     WHERE dukcapil_user_id = $1 AND day = $2 AND used > 0";

/// The SQL of a settlement and whether it also gives the operator's hit back.
pub fn settle_sql(settlement: Settlement) -> (&'static str, bool) {
    use super::quota as q;
    match settlement {
        Settlement::Spent => (q::SETTLE_SPENT, false),
        Settlement::Ambiguous => (q::SETTLE_AMBIGUOUS, false),
        Settlement::UpstreamExhausted => (q::SETTLE_UPSTREAM_EXHAUSTED, false),
        Settlement::Refund => (q::SETTLE_REFUND, true),
    }
}

/// Implements [`BatchStore`] for a backend struct with a `pool` field and `begin_write`.
macro_rules! impl_batch_store {
    ($ty:ty) => {
        #[async_trait::async_trait]
        impl $crate::storage::BatchStore for $ty {
            async fn apply_batch(
                &self,
                ops: &[$crate::storage::BatchOp],
            ) -> Result<Vec<$crate::storage::BatchDone>, $crate::storage::StorageError> {
                use $crate::storage::{
                    AuditRecord, BatchDone, BatchOp, ReserveOutcome, StorageError, batch as b,
                    quota as q,
                };
                if ops.is_empty() {
                    return Ok(Vec::new());
                }
                let mut tx = self.begin_write().await?;
                // Results in order; the access entries' places are filled after chaining.
                let mut done: Vec<Option<BatchDone>> = Vec::with_capacity(ops.len());
                let mut records: Vec<AuditRecord> = Vec::new();
                let mut finished: Vec<(usize, bool)> = Vec::new();
                for (i, op) in ops.iter().enumerate() {
                    match op {
                        BatchOp::Reserve(r) => {
                            let day = q::day_key(r.day);
                            let used: Option<i64> = sqlx::query_scalar(q::RESERVE_USER_ID)
                                .bind(&r.dukcapil_user_id)
                                .bind(&day)
                                .bind(r.institution_id)
                                .bind(r.daily_limit)
                                .bind(r.now_ms)
                                .fetch_optional(&mut *tx)
                                .await?;
                            let outcome = match used {
                                None => {
                                    let row: Option<(i64, Option<i64>)> = sqlx::query_as(
                                        "SELECT used, exhausted_at FROM quota_days \
                                         WHERE dukcapil_user_id = $1 AND day = $2",
                                    )
                                    .bind(&r.dukcapil_user_id)
                                    .bind(&day)
                                    .fetch_optional(&mut *tx)
                                    .await?;
                                    ReserveOutcome::UserIdExhausted {
                                        used: row.map_or(0, |x| x.0),
                                        exhausted_at: row.and_then(|x| x.1),
                                    }
                                }
                                Some(used) => {
                                    let operator_used: Option<i64> =
                                        sqlx::query_scalar(q::RESERVE_OPERATOR)
                                            .bind(r.operator_account_id)
                                            .bind(&day)
                                            .bind(r.now_ms)
                                            .bind(r.operator_cap)
                                            .fetch_optional(&mut *tx)
                                            .await?;
                                    match operator_used {
                                        Some(operator_used) => ReserveOutcome::Reserved {
                                            used,
                                            operator_used,
                                        },
                                        None => {
                                            sqlx::query(b::UNRESERVE_USER_ID)
                                                .bind(&r.dukcapil_user_id)
                                                .bind(&day)
                                                .execute(&mut *tx)
                                                .await?;
                                            let operator_used: Option<i64> =
                                                sqlx::query_scalar(q::OPERATOR_USED)
                                                    .bind(r.operator_account_id)
                                                    .bind(&day)
                                                    .fetch_optional(&mut *tx)
                                                    .await?;
                                            ReserveOutcome::OperatorCapReached {
                                                operator_used: operator_used.unwrap_or(0),
                                            }
                                        }
                                    }
                                }
                            };
                            done.push(Some(BatchDone::Reserved(outcome)));
                        }
                        BatchOp::Finish { settle, event } => {
                            let mut settled = true;
                            if let Some(s) = settle {
                                let day = q::day_key(s.day);
                                let (sql, refund_operator) = b::settle_sql(s.settlement);
                                let changed = sqlx::query(sql)
                                    .bind(&s.dukcapil_user_id)
                                    .bind(&day)
                                    .bind(s.now_ms)
                                    .execute(&mut *tx)
                                    .await?
                                    .rows_affected();
                                settled = changed > 0;
                                if settled && refund_operator {
                                    sqlx::query(q::REFUND_OPERATOR)
                                        .bind(s.operator_account_id)
                                        .bind(&day)
                                        .bind(s.now_ms)
                                        .execute(&mut *tx)
                                        .await?;
                                }
                            }
                            records.push(AuditRecord::from(event.as_ref()));
                            finished.push((i, settled));
                            done.push(None);
                        }
                    }
                }
                let appended = $crate::storage::audit_events::append_chained!(&mut *tx, &records)?;
                tx.commit().await?;
                for ((i, settled), entry) in finished.into_iter().zip(appended) {
                    done[i] = Some(BatchDone::Finished { entry, settled });
                }
                done.into_iter()
                    .map(|d| {
                        d.ok_or_else(|| {
                            StorageError::Corrupt("group commit: an entry was not chained".into())
                        })
                    })
                    .collect()
            }
        }
    };
}
pub(crate) use impl_batch_store;
