//! The daily quota ledger as stored: per-(Dukcapil user ID, WIB day) counters, per-user-ID
//! limit overrides, per-operator daily caps and per-(operator, day) counters: the
//! [`QuotaStore`] area, its SQL and the `impl_quota_store!` body.
//!
//! A reservation is one conditional upsert on the day row (`used = used + 1 ... WHERE used <
//! limit AND exhausted_at IS NULL`), and in the same transaction one conditional upsert on the
//! operator's day row: both or neither. Which limit applies, and the refusals callers see,
//! are decided by [`crate::quota`]; this module only counts.

use super::StorageError;
use super::actor::{day_text, parse_day};
use serde::Serialize;
use time::Date;

/// What the ledger knows of a Dukcapil user ID: its institution (the active grant's, else the
/// latest) and the daily limit set for it, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct QuotaSubject {
    pub institution_id: i64,
    /// Set by `sigap admin quota set`; `None`: the agreement's quota applies.
    pub limit_override: Option<i64>,
}

/// One Dukcapil user ID's counters for one WIB day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuotaDay {
    pub dukcapil_user_id: String,
    pub day: Date,
    pub institution_id: i64,
    /// The limit in force at the day's last reservation.
    pub daily_limit: i64,
    /// Reserved and not refunded (includes calls in flight reserved one by one; a hit taken
    /// from a server's leased block counts here once settled).
    pub used: i64,
    /// Leased to servers' in-memory pools and not yet settled (pools and calls in flight):
    /// not available to reserve, not yet used.
    pub held: i64,
    /// The upstream answered.
    pub spent: i64,
    /// May have reached the upstream; kept in `used`.
    pub ambiguous: i64,
    /// Never reached the upstream; given back.
    pub refunded: i64,
    /// When the upstream said the day's quota is used up (code 05).
    pub exhausted_at: Option<i64>,
    pub first_reserved_at: i64,
    pub updated_at: i64,
}

/// A day row as stored.
#[derive(sqlx::FromRow)]
pub struct QuotaDayRow {
    dukcapil_user_id: String,
    day: String,
    institution_id: i64,
    daily_limit: i64,
    used: i64,
    held: i64,
    spent: i64,
    ambiguous: i64,
    refunded: i64,
    exhausted_at: Option<i64>,
    first_reserved_at: i64,
    updated_at: i64,
}

impl TryFrom<QuotaDayRow> for QuotaDay {
    type Error = StorageError;

    fn try_from(r: QuotaDayRow) -> Result<Self, StorageError> {
        Ok(QuotaDay {
            day: parse_day("quota_days.day", &r.day)?,
            dukcapil_user_id: r.dukcapil_user_id,
            institution_id: r.institution_id,
            daily_limit: r.daily_limit,
            used: r.used,
            held: r.held,
            spent: r.spent,
            ambiguous: r.ambiguous,
            refunded: r.refunded,
            exhausted_at: r.exhausted_at,
            first_reserved_at: r.first_reserved_at,
            updated_at: r.updated_at,
        })
    }
}

/// One hit to reserve (owned: on the access path it waits in the group writer's queue).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReserveRequest {
    pub dukcapil_user_id: String,
    pub institution_id: i64,
    /// The limit in force (resolved by [`crate::quota`]), at least 1.
    pub daily_limit: i64,
    pub operator_account_id: i64,
    /// The operator's daily cap, when one is set.
    pub operator_cap: Option<i64>,
    /// The WIB day the hit counts against.
    pub day: Date,
    pub now_ms: i64,
}

/// What a reservation attempt did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReserveOutcome {
    /// Counted on both the user ID's and the operator's day.
    Reserved {
        /// The user ID's `used` after this hit.
        used: i64,
        /// The operator's count after this hit.
        operator_used: i64,
    },
    /// Nothing counted: the user ID's day is at its limit, or the upstream closed it (05).
    UserIdExhausted {
        used: i64,
        exhausted_at: Option<i64>,
    },
    /// Nothing counted: the operator's day is at its cap.
    OperatorCapReached { operator_used: i64 },
}

/// How a reserved hit ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Settlement {
    /// The upstream answered: the hit stays used.
    Spent,
    /// The request provably never reached the upstream (connection refused, breaker open,
    /// rejected locally before sending): the hit is given back.
    Refund,
    /// It may have reached the upstream (timeout or broken connection after sending): the hit
    /// stays used and is counted as ambiguous.
    Ambiguous,
    /// The upstream answered 05 (daily quota used up): the hit stays used and the day is
    /// closed, so further reservations are refused without calling.
    UpstreamExhausted,
}

impl Settlement {
    pub fn as_str(self) -> &'static str {
        match self {
            Settlement::Spent => "spent",
            Settlement::Refund => "refund",
            Settlement::Ambiguous => "ambiguous",
            Settlement::UpstreamExhausted => "upstream_exhausted",
        }
    }
}

/// The daily quota ledger. Limits and caps changes are audited in their transaction
/// (`quota.set`, `quota.clear`, `quota.operator_cap_set`, `quota.operator_cap_clear`).
#[async_trait::async_trait]
pub trait QuotaStore {
    /// The institution and limit override of a granted Dukcapil user ID; `None` when no
    /// application was ever granted that ID.
    async fn quota_subject(
        &self,
        dukcapil_user_id: &str,
    ) -> Result<Option<QuotaSubject>, StorageError>;
    /// The daily cap set for an operator, if any.
    async fn operator_daily_cap(&self, account_id: i64) -> Result<Option<i64>, StorageError>;
    /// Reserves one hit atomically on the user ID's day and the operator's day (both or
    /// neither).
    async fn reserve_quota(&self, request: &ReserveRequest)
    -> Result<ReserveOutcome, StorageError>;
    /// Settles one reserved hit of `day`. `NotFound` when the day has no row (nothing was
    /// reserved).
    async fn settle_quota(
        &self,
        dukcapil_user_id: &str,
        day: Date,
        operator_account_id: i64,
        settlement: Settlement,
        now_ms: i64,
    ) -> Result<(), StorageError>;
    /// A user ID's counters of one day, if anything was reserved that day.
    async fn quota_day(
        &self,
        dukcapil_user_id: &str,
        day: Date,
    ) -> Result<Option<QuotaDay>, StorageError>;
    /// Hits an operator has reserved (and not had refunded) on a day.
    async fn operator_quota_used(&self, account_id: i64, day: Date) -> Result<i64, StorageError>;
    /// Sets (`Some`) or removes (`None`) the daily limit of a Dukcapil user ID. Refusals:
    /// `USER_ID_UNKNOWN`, `QUOTA_INVALID`.
    async fn set_user_id_daily_limit(
        &self,
        dukcapil_user_id: &str,
        daily_limit: Option<i64>,
        actor: &super::Actor,
        now_ms: i64,
    ) -> Result<QuotaSubject, StorageError>;
    /// Sets (`Some`) or removes (`None`) an operator's daily cap. Refusals: `ACCOUNT_UNKNOWN`,
    /// `OPERATOR_CAP_NOT_APPLICABLE` (the role never calls the upstream), `QUOTA_INVALID`.
    async fn set_operator_daily_cap(
        &self,
        account_id: i64,
        daily_cap: Option<i64>,
        actor: &super::Actor,
        now_ms: i64,
    ) -> Result<Option<i64>, StorageError>;
}

/// The stored text of a quota day.
pub(crate) fn day_key(day: Date) -> String {
    day_text(day)
}

pub(crate) fn checked_limit(limit: Option<i64>) -> Result<Option<i64>, StorageError> {
    match limit {
        None => Ok(None),
        Some(n) => domain::quota::check_daily_limit(n)
            .map(Some)
            .map_err(|e| super::actor::rejected(e.code(), e.to_string())),
    }
}

pub const SUBJECT: &str = "SELECT u.institution_id, l.daily_limit AS limit_override \
     FROM dukcapil_user_ids u \
     LEFT JOIN quota_user_limits l ON l.dukcapil_user_id = u.dukcapil_user_id \
     WHERE u.dukcapil_user_id = $1 \
     ORDER BY CASE WHEN u.status = 'active' THEN 0 ELSE 1 END, u.id DESC LIMIT 1";

pub const OPERATOR_CAP: &str = "SELECT daily_cap FROM quota_operator_caps WHERE account_id = $1";

/// The one conditional statement that reserves a hit on a user ID's day.
pub const RESERVE_USER_ID: &str = "INSERT INTO quota_days \
       (dukcapil_user_id, day, institution_id, daily_limit, used, first_reserved_at, updated_at) \
     VALUES ($1, $2, $3, $4, 1, $5, $5) \
     ON CONFLICT (dukcapil_user_id, day) DO UPDATE SET \
       used = quota_days.used + 1, daily_limit = excluded.daily_limit, \
       updated_at = excluded.updated_at \
     WHERE quota_days.used + quota_days.held < excluded.daily_limit \
       AND quota_days.exhausted_at IS NULL \
     RETURNING used";

/// The conditional statement that counts a hit on an operator's day (capped when `$4` is set).
pub const RESERVE_OPERATOR: &str = "INSERT INTO quota_operator_days (account_id, day, used, updated_at) \
     VALUES ($1, $2, 1, $3) \
     ON CONFLICT (account_id, day) DO UPDATE SET \
       used = quota_operator_days.used + 1, updated_at = excluded.updated_at \
     WHERE $4 IS NULL OR quota_operator_days.used < $4 \
     RETURNING used";

pub const DAY: &str = "SELECT dukcapil_user_id, day, institution_id, daily_limit, used, held, spent, \
       ambiguous, refunded, exhausted_at, first_reserved_at, updated_at \
     FROM quota_days WHERE dukcapil_user_id = $1 AND day = $2";

pub const OPERATOR_USED: &str =
    "SELECT used FROM quota_operator_days WHERE account_id = $1 AND day = $2";

pub const SETTLE_SPENT: &str = "UPDATE quota_days SET spent = spent + 1, updated_at = $3 \
     WHERE dukcapil_user_id = $1 AND day = $2";
pub const SETTLE_AMBIGUOUS: &str = "UPDATE quota_days SET ambiguous = ambiguous + 1, \
       updated_at = $3 \
     WHERE dukcapil_user_id = $1 AND day = $2";
pub const SETTLE_UPSTREAM_EXHAUSTED: &str = "UPDATE quota_days SET spent = spent + 1, \
       exhausted_at = COALESCE(exhausted_at, $3), updated_at = $3, held = 0 \
     WHERE dukcapil_user_id = $1 AND day = $2";
pub const SETTLE_REFUND: &str = "UPDATE quota_days SET used = used - 1, \
       refunded = refunded + 1, updated_at = $3 \
     WHERE dukcapil_user_id = $1 AND day = $2 AND used > 0";
pub const REFUND_OPERATOR: &str = "UPDATE quota_operator_days SET used = used - 1, \
       updated_at = $3 \
     WHERE account_id = $1 AND day = $2 AND used > 0";

pub const SET_LIMIT: &str = "INSERT INTO quota_user_limits (dukcapil_user_id, daily_limit, set_at, set_by) \
     VALUES ($1, $2, $3, $4) \
     ON CONFLICT (dukcapil_user_id) DO UPDATE SET daily_limit = excluded.daily_limit, \
       set_at = excluded.set_at, set_by = excluded.set_by";
pub const CLEAR_LIMIT: &str = "DELETE FROM quota_user_limits WHERE dukcapil_user_id = $1";

pub const SET_CAP: &str = "INSERT INTO quota_operator_caps (account_id, daily_cap, set_at, set_by) \
     VALUES ($1, $2, $3, $4) \
     ON CONFLICT (account_id) DO UPDATE SET daily_cap = excluded.daily_cap, \
       set_at = excluded.set_at, set_by = excluded.set_by";
pub const CLEAR_CAP: &str = "DELETE FROM quota_operator_caps WHERE account_id = $1";

/// Implements [`QuotaStore`] for a backend struct with a `pool` field.
macro_rules! impl_quota_store {
    ($ty:ty) => {
        #[async_trait::async_trait]
        impl $crate::storage::QuotaStore for $ty {
            async fn quota_subject(
                &self,
                dukcapil_user_id: &str,
            ) -> Result<Option<$crate::storage::QuotaSubject>, $crate::storage::StorageError>
            {
                Ok(sqlx::query_as($crate::storage::quota::SUBJECT)
                    .bind(dukcapil_user_id)
                    .fetch_optional(&self.pool)
                    .await?)
            }

            async fn operator_daily_cap(
                &self,
                account_id: i64,
            ) -> Result<Option<i64>, $crate::storage::StorageError> {
                Ok(sqlx::query_scalar($crate::storage::quota::OPERATOR_CAP)
                    .bind(account_id)
                    .fetch_optional(&self.pool)
                    .await?)
            }

            async fn reserve_quota(
                &self,
                r: &$crate::storage::ReserveRequest,
            ) -> Result<$crate::storage::ReserveOutcome, $crate::storage::StorageError> {
                use $crate::storage::{ReserveOutcome, quota as q};
                let day = q::day_key(r.day);
                // The first statement writes, so SQLite takes its write lock (waiting up to the
                // busy timeout) before reading anything: no stale-snapshot upgrade.
                let mut tx = self.begin_write().await?;
                let used: Option<i64> = sqlx::query_scalar(q::RESERVE_USER_ID)
                    .bind(&r.dukcapil_user_id)
                    .bind(&day)
                    .bind(r.institution_id)
                    .bind(r.daily_limit)
                    .bind(r.now_ms)
                    .fetch_optional(&mut *tx)
                    .await?;
                let Some(used) = used else {
                    tx.rollback().await?;
                    let row = self.quota_day(&r.dukcapil_user_id, r.day).await?;
                    return Ok(ReserveOutcome::UserIdExhausted {
                        used: row.as_ref().map_or(0, |d| d.used),
                        exhausted_at: row.and_then(|d| d.exhausted_at),
                    });
                };
                let operator_used: Option<i64> = sqlx::query_scalar(q::RESERVE_OPERATOR)
                    .bind(r.operator_account_id)
                    .bind(&day)
                    .bind(r.now_ms)
                    .bind(r.operator_cap)
                    .fetch_optional(&mut *tx)
                    .await?;
                let Some(operator_used) = operator_used else {
                    // Neither: the user ID's hit is rolled back with the transaction.
                    tx.rollback().await?;
                    let operator_used = self
                        .operator_quota_used(r.operator_account_id, r.day)
                        .await?;
                    return Ok(ReserveOutcome::OperatorCapReached { operator_used });
                };
                tx.commit().await?;
                Ok(ReserveOutcome::Reserved {
                    used,
                    operator_used,
                })
            }

            async fn settle_quota(
                &self,
                dukcapil_user_id: &str,
                day: time::Date,
                operator_account_id: i64,
                settlement: $crate::storage::Settlement,
                now_ms: i64,
            ) -> Result<(), $crate::storage::StorageError> {
                use $crate::storage::{Settlement, StorageError, quota as q};
                let day = q::day_key(day);
                let sql = match settlement {
                    Settlement::Spent => q::SETTLE_SPENT,
                    Settlement::Ambiguous => q::SETTLE_AMBIGUOUS,
                    Settlement::UpstreamExhausted => q::SETTLE_UPSTREAM_EXHAUSTED,
                    Settlement::Refund => q::SETTLE_REFUND,
                };
                let mut tx = self.begin_write().await?;
                let changed = sqlx::query(sql)
                    .bind(dukcapil_user_id)
                    .bind(&day)
                    .bind(now_ms)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if changed == 0 {
                    tx.rollback().await?;
                    return Err(StorageError::NotFound);
                }
                if settlement == Settlement::Refund {
                    sqlx::query(q::REFUND_OPERATOR)
                        .bind(operator_account_id)
                        .bind(&day)
                        .bind(now_ms)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn quota_day(
                &self,
                dukcapil_user_id: &str,
                day: time::Date,
            ) -> Result<Option<$crate::storage::QuotaDay>, $crate::storage::StorageError> {
                let row: Option<$crate::storage::quota::QuotaDayRow> =
                    sqlx::query_as($crate::storage::quota::DAY)
                        .bind(dukcapil_user_id)
                        .bind($crate::storage::quota::day_key(day))
                        .fetch_optional(&self.pool)
                        .await?;
                row.map($crate::storage::QuotaDay::try_from).transpose()
            }

            async fn operator_quota_used(
                &self,
                account_id: i64,
                day: time::Date,
            ) -> Result<i64, $crate::storage::StorageError> {
                let used: Option<i64> =
                    sqlx::query_scalar($crate::storage::quota::OPERATOR_USED)
                        .bind(account_id)
                        .bind($crate::storage::quota::day_key(day))
                        .fetch_optional(&self.pool)
                        .await?;
                Ok(used.unwrap_or(0))
            }

            async fn set_user_id_daily_limit(
                &self,
                dukcapil_user_id: &str,
                daily_limit: Option<i64>,
                actor: &$crate::storage::Actor,
                now_ms: i64,
            ) -> Result<$crate::storage::QuotaSubject, $crate::storage::StorageError> {
                use $crate::storage::{StorageError, quota as q};
                let daily_limit = q::checked_limit(daily_limit)?;
                let before = self.quota_subject(dukcapil_user_id).await?.ok_or_else(|| {
                    $crate::storage::actor::rejected(
                        "USER_ID_UNKNOWN",
                        format!("no Dukcapil user ID {dukcapil_user_id:?} was ever granted"),
                    )
                })?;
                let mut tx = self.begin_write().await?;
                match daily_limit {
                    Some(n) => {
                        sqlx::query(q::SET_LIMIT)
                            .bind(dukcapil_user_id)
                            .bind(n)
                            .bind(now_ms)
                            .bind(actor.account_id)
                            .execute(&mut *tx)
                            .await
                            .map_err(StorageError::from_write)?;
                    }
                    None => {
                        sqlx::query(q::CLEAR_LIMIT)
                            .bind(dukcapil_user_id)
                            .execute(&mut *tx)
                            .await?;
                    }
                }
                let event = actor.event(
                    now_ms,
                    if daily_limit.is_some() {
                        "quota.set"
                    } else {
                        "quota.clear"
                    },
                    Some(before.institution_id),
                    format!("dukcapil_user_id:{dukcapil_user_id}"),
                    serde_json::json!({
                        "dukcapil_user_id": dukcapil_user_id,
                        "daily": daily_limit,
                        "previous": before.limit_override,
                    }),
                );
                $crate::storage::actor::insert_audit_event!(&mut *tx, &event)?;
                tx.commit().await?;
                Ok($crate::storage::QuotaSubject {
                    institution_id: before.institution_id,
                    limit_override: daily_limit,
                })
            }

            async fn set_operator_daily_cap(
                &self,
                account_id: i64,
                daily_cap: Option<i64>,
                actor: &$crate::storage::Actor,
                now_ms: i64,
            ) -> Result<Option<i64>, $crate::storage::StorageError> {
                use $crate::storage::{StorageError, quota as q};
                let daily_cap = q::checked_limit(daily_cap)?;
                let account = $crate::storage::AccountStore::account_by_id(self, account_id)
                    .await?
                    .ok_or_else(|| {
                        $crate::storage::actor::rejected(
                            "ACCOUNT_UNKNOWN",
                            format!("no account {account_id}"),
                        )
                    })?;
                if !account
                    .role
                    .allows(domain::access::Permission::NikLookup)
                {
                    return Err($crate::storage::actor::rejected(
                        "OPERATOR_CAP_NOT_APPLICABLE",
                        format!(
                            "{} is a {} and never calls Dukcapil",
                            account.username,
                            account.role.as_str()
                        ),
                    ));
                }
                let previous = self.operator_daily_cap(account_id).await?;
                let mut tx = self.begin_write().await?;
                match daily_cap {
                    Some(n) => {
                        sqlx::query(q::SET_CAP)
                            .bind(account_id)
                            .bind(n)
                            .bind(now_ms)
                            .bind(actor.account_id)
                            .execute(&mut *tx)
                            .await
                            .map_err(StorageError::from_write)?;
                    }
                    None => {
                        sqlx::query(q::CLEAR_CAP)
                            .bind(account_id)
                            .execute(&mut *tx)
                            .await?;
                    }
                }
                let event = actor.event(
                    now_ms,
                    if daily_cap.is_some() {
                        "quota.operator_cap_set"
                    } else {
                        "quota.operator_cap_clear"
                    },
                    account.institution_id,
                    format!("account:{account_id}"),
                    serde_json::json!({
                        "username": account.username,
                        "daily": daily_cap,
                        "previous": previous,
                    }),
                );
                $crate::storage::actor::insert_audit_event!(&mut *tx, &event)?;
                tx.commit().await?;
                Ok(daily_cap)
            }
        }
    };
}
pub(crate) use impl_quota_store;
