//! The daily quota: which limit applies to a Dukcapil user ID on a WIB day, reserving one hit
//! before an upstream call ([`reserve`] → [`Reservation`]), settling it once the outcome is
//! known ([`Reservation::settle`] with a [`Settlement`]), and the status the quota meter and
//! `GET /api/v1/quota` show ([`status`], [`operator_status`]).
//!
//! The limit of a user ID is, in order: the limit set for it (`sigap admin quota set`), the
//! daily quota of the institution's agreement in force on the day (the newest one when
//! several are), or [`domain::quota::DEFAULT_DAILY_LIMIT`]. The counting itself is one
//! conditional statement in storage ([`crate::storage::QuotaStore`]), so several replicas
//! sharing PostgreSQL never let more than the limit through. Nothing about residents (no
//! NIK, no answer) ever passes through this module.

use crate::storage::{
    BatchSettle, QuotaSubject, ReserveOutcome, ReserveRequest, Storage, StorageError,
};
use crate::upstream::{LookupOutcome, ResponseCode, UpstreamCode, VerifyOutcome};
use domain::quota as arith;
use serde::Serialize;
use std::sync::Arc;
use time::Date;

pub use crate::storage::Settlement;

/// Where a day's limit comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "source", rename_all = "snake_case")]
pub enum LimitSource {
    /// Set for the user ID by an administrator.
    Override,
    /// The daily quota of this agreement (PKS).
    Agreement { agreement_id: i64 },
    /// No agreement in force: the default.
    Default,
}

/// The limit in force for a user ID on a day, and where it comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DailyLimit {
    pub limit: i64,
    #[serde(flatten)]
    pub source: LimitSource,
}

/// A user ID's quota on one WIB day: what the quota meter shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuotaStatus {
    pub dukcapil_user_id: String,
    /// The WIB day, `YYYY-MM-DD`.
    #[serde(serialize_with = "serialize_day")]
    pub day: Date,
    pub limit: i64,
    pub limit_source: LimitSource,
    /// Reserved and not refunded (calls in flight included).
    pub used: i64,
    /// What may still be reserved today (0 once the upstream said 05).
    pub remaining: i64,
    /// Calls that may have reached the upstream without an answer (kept in `used`).
    pub ambiguous: i64,
    /// Calls given back because they never reached the upstream.
    pub refunded: i64,
    /// Calls the upstream answered.
    pub spent: i64,
    /// The upstream said the day's quota is used up (code 05).
    pub exhausted: bool,
    pub exhausted_at_ms: Option<i64>,
    /// The next 00:00 WIB, when a fresh quota starts.
    pub resets_at_ms: i64,
}

/// An operator's own daily count and cap.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OperatorQuotaStatus {
    pub account_id: i64,
    #[serde(serialize_with = "serialize_day")]
    pub day: Date,
    /// `None`: no cap, only the user ID's quota applies.
    pub cap: Option<i64>,
    pub used: i64,
    /// `None` without a cap.
    pub remaining: Option<i64>,
    pub resets_at_ms: i64,
}

fn serialize_day<S: serde::Serializer>(day: &Date, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&crate::storage::actor::day_text(*day))
}

/// Why no hit was reserved (or the quota could not be read).
#[derive(Debug, thiserror::Error)]
pub enum QuotaRefusal {
    /// `QUOTA_EXHAUSTED`: the user ID's day is at its limit, or the upstream closed it (05).
    #[error(
        "Kuota harian ID pengguna Dukcapil telah habis ({used} dari {limit}); kuota baru tersedia {}",
        wib_text(*resets_at_ms)
    )]
    Exhausted {
        limit: i64,
        used: i64,
        resets_at_ms: i64,
        /// The upstream answered 05 earlier today.
        closed_by_upstream: bool,
    },
    /// `OPERATOR_QUOTA_EXHAUSTED`: the operator's own daily cap is reached.
    #[error(
        "Batas harian petugas telah tercapai ({used} dari {cap}); batas baru berlaku {}",
        wib_text(*resets_at_ms)
    )]
    OperatorCapReached {
        cap: i64,
        used: i64,
        resets_at_ms: i64,
    },
    /// `USER_ID_UNKNOWN`: no application was ever granted this Dukcapil user ID.
    #[error("ID pengguna Dukcapil tidak dikenal")]
    UserIdUnknown,
    /// The ledger could not be read or written (the call must not be made).
    #[error("kuota tidak dapat diperiksa: {0}")]
    Storage(#[from] StorageError),
}

impl QuotaRefusal {
    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            QuotaRefusal::Exhausted { .. } => "QUOTA_EXHAUSTED",
            QuotaRefusal::OperatorCapReached { .. } => "OPERATOR_QUOTA_EXHAUSTED",
            QuotaRefusal::UserIdUnknown => "USER_ID_UNKNOWN",
            QuotaRefusal::Storage(e) => e.code(),
        }
    }

    /// When a new quota starts, for refusals that end at midnight.
    pub fn resets_at_ms(&self) -> Option<i64> {
        match self {
            QuotaRefusal::Exhausted { resets_at_ms, .. }
            | QuotaRefusal::OperatorCapReached { resets_at_ms, .. } => Some(*resets_at_ms),
            _ => None,
        }
    }
}

/// `dd-mm-yyyy HH:MM WIB` of an instant.
pub fn wib_text(at_ms: i64) -> String {
    let day = arith::wib_day(at_ms);
    let minutes = (at_ms - arith::wib_day_start_ms(day)) / 60_000;
    format!(
        "{:02}-{:02}-{:04} {:02}:{:02} WIB",
        day.day(),
        day.month() as u8,
        day.year(),
        minutes / 60,
        minutes % 60
    )
}

/// The limit in force for a user ID of `subject` on `day`.
pub async fn daily_limit(
    storage: &dyn Storage,
    subject: &QuotaSubject,
    day: Date,
) -> Result<DailyLimit, StorageError> {
    if subject.limit_override.is_some() {
        return Ok(limit_from_agreements(subject, &[], day));
    }
    let agreements = storage.list_agreements(subject.institution_id).await?;
    Ok(limit_from_agreements(subject, &agreements, day))
}

/// [`daily_limit`] over agreements already read (they must be the subject's institution's).
pub fn limit_from_agreements(
    subject: &QuotaSubject,
    agreements: &[crate::storage::Agreement],
    day: Date,
) -> DailyLimit {
    if let Some(limit) = subject.limit_override {
        return DailyLimit {
            limit,
            source: LimitSource::Override,
        };
    }
    let in_force = agreements
        .iter()
        .filter(|a| a.state(day).is_active())
        .max_by_key(|a| (a.valid_from, a.id));
    match in_force {
        Some(a) => DailyLimit {
            limit: a.daily_quota,
            source: LimitSource::Agreement { agreement_id: a.id },
        },
        None => DailyLimit {
            limit: arith::DEFAULT_DAILY_LIMIT,
            source: LimitSource::Default,
        },
    }
}

async fn subject(
    storage: &dyn Storage,
    dukcapil_user_id: &str,
) -> Result<QuotaSubject, QuotaRefusal> {
    storage
        .quota_subject(dukcapil_user_id)
        .await?
        .ok_or(QuotaRefusal::UserIdUnknown)
}

/// Reserves one hit for a call by `operator_account_id` under `dukcapil_user_id` at `now_ms`
/// (the WIB day of `now_ms` is the day charged), in its own transaction. Call it after every
/// local check (NIK parsed, access authorised) and immediately before the upstream call; then
/// settle the [`Reservation`] with the call's outcome. The access path uses
/// [`reserve_grouped`].
pub async fn reserve(
    storage: &Arc<dyn Storage>,
    dukcapil_user_id: &str,
    operator_account_id: i64,
    now_ms: i64,
) -> Result<Reservation, QuotaRefusal> {
    // The same reads as the access path, uncached.
    let reads = crate::read_cache::ReadCache::new(storage.clone(), std::time::Duration::ZERO);
    let request = plan(&reads, dukcapil_user_id, operator_account_id, now_ms, None).await?;
    let outcome = storage.reserve_quota(&request).await?;
    conclude(storage, &request, outcome)
}

/// [`reserve`] through the group writer: the reservation is committed together with the
/// writes of concurrent requests (one transaction for the group). `known`: the agreements of
/// an institution the caller has just read (its id and list), used instead of reading them
/// again when the user ID belongs to that institution.
pub async fn reserve_grouped(
    writer: &crate::group_commit::GroupWriter,
    reads: &crate::read_cache::ReadCache,
    dukcapil_user_id: &str,
    operator_account_id: i64,
    now_ms: i64,
    known: Option<(i64, &[crate::storage::Agreement])>,
) -> Result<Reservation, QuotaRefusal> {
    let request = plan(reads, dukcapil_user_id, operator_account_id, now_ms, known).await?;
    // An operator cap is counted at reservation, both or neither with the user ID's hit:
    // such hits are reserved one by one; all others come from the server's leased pool.
    let leased = writer.leasing() && request.operator_cap.is_none();
    let outcome = if leased {
        writer.reserve_leased(request.clone()).await?
    } else {
        writer.reserve(request.clone()).await?
    };
    let mut reservation = conclude(writer.storage(), &request, outcome)?;
    reservation.writer = Some(writer.clone());
    reservation.leased = leased;
    Ok(reservation)
}

/// The hit to count: the day, the user ID's institution and limit, the operator's cap.
async fn plan(
    reads: &crate::read_cache::ReadCache,
    dukcapil_user_id: &str,
    operator_account_id: i64,
    now_ms: i64,
    known: Option<(i64, &[crate::storage::Agreement])>,
) -> Result<ReserveRequest, QuotaRefusal> {
    let day = arith::wib_day(now_ms);
    let subject = reads
        .quota_subject(dukcapil_user_id)
        .await?
        .ok_or(QuotaRefusal::UserIdUnknown)?;
    let limit = match known {
        Some((institution_id, agreements)) if institution_id == subject.institution_id => {
            limit_from_agreements(&subject, agreements, day)
        }
        _ if subject.limit_override.is_some() => limit_from_agreements(&subject, &[], day),
        _ => limit_from_agreements(
            &subject,
            &reads.agreements(subject.institution_id).await?,
            day,
        ),
    };
    Ok(ReserveRequest {
        dukcapil_user_id: dukcapil_user_id.to_string(),
        institution_id: subject.institution_id,
        daily_limit: limit.limit,
        operator_account_id,
        operator_cap: reads.operator_daily_cap(operator_account_id).await?,
        day,
        now_ms,
    })
}

/// The reservation, or the refusal, from what the ledger did.
fn conclude(
    storage: &Arc<dyn Storage>,
    request: &ReserveRequest,
    outcome: ReserveOutcome,
) -> Result<Reservation, QuotaRefusal> {
    let resets_at_ms = arith::resets_at_ms(request.now_ms);
    match outcome {
        ReserveOutcome::Reserved {
            used,
            operator_used,
        } => Ok(Reservation {
            storage: Some(storage.clone()),
            dukcapil_user_id: request.dukcapil_user_id.clone(),
            operator_account_id: request.operator_account_id,
            day: request.day,
            limit: request.daily_limit,
            used,
            operator_used,
            writer: None,
            leased: false,
        }),
        ReserveOutcome::UserIdExhausted { used, exhausted_at } => Err(QuotaRefusal::Exhausted {
            limit: request.daily_limit,
            used,
            resets_at_ms,
            closed_by_upstream: exhausted_at.is_some(),
        }),
        ReserveOutcome::OperatorCapReached { operator_used } => {
            Err(QuotaRefusal::OperatorCapReached {
                cap: request.operator_cap.unwrap_or(operator_used),
                used: operator_used,
                resets_at_ms,
            })
        }
    }
}

/// A user ID's quota on the WIB day of `now_ms`.
pub async fn status(
    storage: &dyn Storage,
    dukcapil_user_id: &str,
    now_ms: i64,
) -> Result<QuotaStatus, QuotaRefusal> {
    let day = arith::wib_day(now_ms);
    let subject = subject(storage, dukcapil_user_id).await?;
    let limit = daily_limit(storage, &subject, day).await?;
    let row = storage.quota_day(dukcapil_user_id, day).await?;
    let (used, spent, ambiguous, refunded, exhausted_at) = row
        .map(|d| (d.used, d.spent, d.ambiguous, d.refunded, d.exhausted_at))
        .unwrap_or_default();
    Ok(QuotaStatus {
        dukcapil_user_id: dukcapil_user_id.to_string(),
        day,
        limit: limit.limit,
        limit_source: limit.source,
        used,
        remaining: arith::remaining(limit.limit, used, exhausted_at.is_some()),
        ambiguous,
        refunded,
        spent,
        exhausted: exhausted_at.is_some(),
        exhausted_at_ms: exhausted_at,
        resets_at_ms: arith::resets_at_ms(now_ms),
    })
}

/// The quota of every active Dukcapil user ID of an institution on the WIB day of `now_ms`
/// (what `quota.view_own` shows), in the order the IDs were requested.
pub async fn institution_status(
    storage: &dyn Storage,
    institution_id: i64,
    now_ms: i64,
) -> Result<Vec<QuotaStatus>, QuotaRefusal> {
    let mut out = Vec::new();
    for entry in storage.list_dukcapil_user_ids(institution_id).await? {
        if entry.status != domain::identity::UserIdStatus::Active {
            continue;
        }
        if let Some(user_id) = entry.dukcapil_user_id.as_deref()
            && !out
                .iter()
                .any(|s: &QuotaStatus| s.dukcapil_user_id == user_id)
        {
            out.push(status(storage, user_id, now_ms).await?);
        }
    }
    Ok(out)
}

/// An operator's count and cap on the WIB day of `now_ms`.
pub async fn operator_status(
    storage: &dyn Storage,
    account_id: i64,
    now_ms: i64,
) -> Result<OperatorQuotaStatus, StorageError> {
    let day = arith::wib_day(now_ms);
    let cap = storage.operator_daily_cap(account_id).await?;
    let used = storage.operator_quota_used(account_id, day).await?;
    Ok(OperatorQuotaStatus {
        account_id,
        day,
        cap,
        used,
        remaining: cap.map(|c| arith::remaining(c, used, false)),
        resets_at_ms: arith::resets_at_ms(now_ms),
    })
}

/// One reserved hit. Settle it exactly once with [`Reservation::settle`] when the call's
/// outcome is known. Dropped unsettled (a panic, a cancelled request), it counts as
/// [`Settlement::Ambiguous`]: the call may have reached the upstream.
#[must_use = "a reservation must be settled with the call's outcome"]
pub struct Reservation {
    /// `Some` until settled.
    storage: Option<Arc<dyn Storage>>,
    dukcapil_user_id: String,
    operator_account_id: i64,
    day: Date,
    limit: i64,
    used: i64,
    operator_used: i64,
    /// The group writer it came through (closes its pool on 05).
    writer: Option<crate::group_commit::GroupWriter>,
    /// Taken from the writer's leased pool (`BatchSettle::leased`).
    leased: bool,
}

impl std::fmt::Debug for Reservation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reservation")
            .field("dukcapil_user_id", &self.dukcapil_user_id)
            .field("operator_account_id", &self.operator_account_id)
            .field("day", &self.day)
            .field("limit", &self.limit)
            .field("used", &self.used)
            .field("leased", &self.leased)
            .field("settled", &self.storage.is_none())
            .finish()
    }
}

impl Reservation {
    /// The WIB day charged.
    pub fn day(&self) -> Date {
        self.day
    }

    /// The Dukcapil user ID charged.
    pub fn dukcapil_user_id(&self) -> &str {
        &self.dukcapil_user_id
    }

    /// The limit in force when reserved.
    pub fn limit(&self) -> i64 {
        self.limit
    }

    /// The user ID's `used` including this hit.
    pub fn used(&self) -> i64 {
        self.used
    }

    /// What remained after this hit.
    pub fn remaining(&self) -> i64 {
        arith::remaining(self.limit, self.used, false)
    }

    /// The operator's count today including this hit (0 for a hit from the leased pool:
    /// it is counted on the operator's day when settled).
    pub fn operator_used(&self) -> i64 {
        self.operator_used
    }

    /// Disarms the reservation and returns its settlement as a group write (see
    /// [`crate::group_commit`]); the caller must hand it to the writer at once (no `.await`
    /// in between), so a cancelled request cannot lose it.
    pub fn into_batch_settle(mut self, settlement: Settlement, now_ms: i64) -> BatchSettle {
        self.storage = None;
        let leased = std::mem::take(&mut self.leased);
        if let Some(writer) = self.writer.take() {
            match settlement {
                Settlement::Refund if leased => {
                    writer.give_back(&self.dukcapil_user_id, self.day);
                }
                // Whichever way the hit was reserved, this server's pool for the day goes.
                Settlement::UpstreamExhausted => {
                    writer.close_day(&self.dukcapil_user_id, self.day);
                }
                _ => {}
            }
        }
        BatchSettle {
            dukcapil_user_id: std::mem::take(&mut self.dukcapil_user_id),
            day: self.day,
            operator_account_id: self.operator_account_id,
            settlement,
            now_ms,
            leased,
        }
    }

    /// Records how the call ended. Consumes the reservation: a failure is returned (and must be
    /// logged by the caller); the hit is not settled twice either way.
    pub async fn settle(mut self, settlement: Settlement, now_ms: i64) -> Result<(), StorageError> {
        let Some(storage) = self.storage.clone() else {
            return Ok(());
        };
        if let Some(writer) = self.writer.clone().filter(|_| self.leased) {
            let s = self.into_batch_settle(settlement, now_ms);
            return writer
                .apply(crate::storage::BatchOp::Settle(s))
                .await
                .map(|_| ());
        }
        let result = storage
            .settle_quota(
                &self.dukcapil_user_id,
                self.day,
                self.operator_account_id,
                settlement,
                now_ms,
            )
            .await;
        // Reached only when the settlement ran to completion (not cancelled).
        self.storage = None;
        result
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        let Some(storage) = self.storage.take() else {
            return;
        };
        let user_id = std::mem::take(&mut self.dukcapil_user_id);
        let (day, operator) = (self.day, self.operator_account_id);
        tracing::warn!(
            dukcapil_user_id = %user_id,
            day = %day,
            operator_account_id = operator,
            "quota reservation dropped unsettled; counted as ambiguous"
        );
        if let Some(writer) = self.writer.take().filter(|_| self.leased) {
            writer.submit(crate::storage::BatchOp::Settle(BatchSettle {
                dukcapil_user_id: user_id,
                day,
                operator_account_id: operator,
                settlement: Settlement::Ambiguous,
                now_ms: crate::now_ms(),
                leased: true,
            }));
            return;
        }
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => {
                handle.spawn(async move {
                    if let Err(e) = storage
                        .settle_quota(
                            &user_id,
                            day,
                            operator,
                            Settlement::Ambiguous,
                            crate::now_ms(),
                        )
                        .await
                    {
                        tracing::error!(
                            dukcapil_user_id = %user_id,
                            day = %day,
                            code = e.code(),
                            "could not record a dropped quota reservation as ambiguous"
                        );
                    }
                });
            }
            Err(_) => tracing::error!(
                dukcapil_user_id = %user_id,
                day = %day,
                "quota reservation dropped outside a runtime; it stays used, not marked ambiguous"
            ),
        }
    }
}

impl Settlement {
    /// How a CALL_NIK outcome settles its hit: an answer is spent (05 also closes the day),
    /// no answer is refunded only when the request certainly never left, otherwise ambiguous.
    pub fn for_lookup(outcome: &LookupOutcome) -> Settlement {
        match outcome {
            LookupOutcome::Found { .. } | LookupOutcome::IdentityResult { .. } => Settlement::Spent,
            LookupOutcome::SetupError { code } => Settlement::for_code(code),
            LookupOutcome::Unavailable {
                may_have_reached_upstream,
                ..
            } => Settlement::for_unavailable(*may_have_reached_upstream),
        }
    }

    /// How a CALL_VERIFY_BY_ELEMEN outcome settles its hit (as [`Settlement::for_lookup`]).
    pub fn for_verify(outcome: &VerifyOutcome) -> Settlement {
        match outcome {
            VerifyOutcome::Verdicts { .. } | VerifyOutcome::IdentityResult { .. } => {
                Settlement::Spent
            }
            VerifyOutcome::SetupError { code } => Settlement::for_code(code),
            VerifyOutcome::Unavailable {
                may_have_reached_upstream,
                ..
            } => Settlement::for_unavailable(*may_have_reached_upstream),
        }
    }

    fn for_code(code: &UpstreamCode) -> Settlement {
        if code.known() == Some(ResponseCode::QuotaExhausted) {
            Settlement::UpstreamExhausted
        } else {
            Settlement::Spent
        }
    }

    fn for_unavailable(may_have_reached_upstream: bool) -> Settlement {
        if may_have_reached_upstream {
            Settlement::Ambiguous
        } else {
            Settlement::Refund
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::upstream::UnavailableReason;

    #[test]
    fn outcomes_settle_as_the_issue_says() {
        let unavailable = |reason: UnavailableReason| LookupOutcome::Unavailable {
            reason,
            may_have_reached_upstream: reason.may_have_reached_upstream(),
        };
        assert_eq!(
            Settlement::for_lookup(&unavailable(UnavailableReason::ConnectRefused)),
            Settlement::Refund
        );
        assert_eq!(
            Settlement::for_lookup(&unavailable(UnavailableReason::BreakerOpen)),
            Settlement::Refund
        );
        assert_eq!(
            Settlement::for_lookup(&unavailable(UnavailableReason::Timeout)),
            Settlement::Ambiguous
        );
        assert_eq!(
            Settlement::for_lookup(&unavailable(UnavailableReason::ConnectionLost)),
            Settlement::Ambiguous
        );
        assert_eq!(
            Settlement::for_lookup(&LookupOutcome::SetupError {
                code: UpstreamCode::parse("05")
            }),
            Settlement::UpstreamExhausted
        );
        assert_eq!(
            Settlement::for_verify(&VerifyOutcome::SetupError {
                code: UpstreamCode::parse("05")
            }),
            Settlement::UpstreamExhausted
        );
        assert_eq!(
            Settlement::for_lookup(&LookupOutcome::SetupError {
                code: UpstreamCode::parse("06")
            }),
            Settlement::Spent
        );
        assert_eq!(
            Settlement::for_lookup(&LookupOutcome::IdentityResult {
                code: UpstreamCode::parse("11")
            }),
            Settlement::Spent
        );
    }

    #[test]
    fn refusals_carry_codes_and_the_reset_time_in_wib() {
        // 2026-11-28 00:00 WIB.
        let reset = 1_795_712_400_000 + 86_400_000;
        let r = QuotaRefusal::Exhausted {
            limit: 50,
            used: 50,
            resets_at_ms: reset,
            closed_by_upstream: false,
        };
        assert_eq!(r.code(), "QUOTA_EXHAUSTED");
        assert_eq!(r.resets_at_ms(), Some(reset));
        assert!(r.to_string().contains("28-11-2026 00:00 WIB"), "{r}");
        let r = QuotaRefusal::OperatorCapReached {
            cap: 5,
            used: 5,
            resets_at_ms: reset,
        };
        assert_eq!(r.code(), "OPERATOR_QUOTA_EXHAUSTED");
        assert_eq!(wib_text(reset + 90 * 60_000), "28-11-2026 01:30 WIB");
    }
}
