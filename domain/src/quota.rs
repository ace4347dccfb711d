//! Daily quota arithmetic: the WIB calendar day an instant falls on, when the next day (and
//! so a fresh quota) starts, what remains of a day's limit, and the bounds of a daily limit.
//! Pure: callers pass the instant (Unix milliseconds); the ledger itself lives in the server.

use time::{Date, Duration};

/// The daily limit per Dukcapil user ID when nothing else is known (the usual agreement term).
pub const DEFAULT_DAILY_LIMIT: i64 = 1_000;

/// The largest daily limit an administrator may set for one user ID or one operator.
pub const DAILY_LIMIT_MAX: i64 = 1_000_000;

/// WIB (UTC+7) in milliseconds.
pub const WIB_OFFSET_MS: i64 = 7 * 3_600_000;

const DAY_MS: i64 = 86_400_000;

/// Julian day number of 1970-01-01.
const UNIX_EPOCH_JULIAN_DAY: i64 = 2_440_588;

/// Days since 1970-01-01 of the WIB day containing `at_ms`.
fn wib_day_index(at_ms: i64) -> i64 {
    (at_ms.saturating_add(WIB_OFFSET_MS)).div_euclid(DAY_MS)
}

fn date_of_index(index: i64) -> Date {
    i32::try_from(index + UNIX_EPOCH_JULIAN_DAY)
        .ok()
        .and_then(|jd| Date::from_julian_day(jd).ok())
        .unwrap_or(if index < 0 { Date::MIN } else { Date::MAX })
}

/// The WIB calendar day of a Unix-millisecond instant.
#[must_use]
pub fn wib_day(at_ms: i64) -> Date {
    date_of_index(wib_day_index(at_ms))
}

/// The instant (Unix milliseconds) a WIB calendar day starts: 00:00 WIB, i.e. 17:00 UTC of
/// the day before.
#[must_use]
pub fn wib_day_start_ms(day: Date) -> i64 {
    (i64::from(day.to_julian_day()) - UNIX_EPOCH_JULIAN_DAY) * DAY_MS - WIB_OFFSET_MS
}

/// When the quota of the WIB day containing `at_ms` is renewed: the next 00:00 WIB.
#[must_use]
pub fn resets_at_ms(at_ms: i64) -> i64 {
    (wib_day_index(at_ms) + 1) * DAY_MS - WIB_OFFSET_MS
}

/// The day after `day` (saturating at the last representable day).
#[must_use]
pub fn next_day(day: Date) -> Date {
    day.checked_add(Duration::days(1)).unwrap_or(day)
}

/// What remains of a day's limit: nothing once the upstream said the day is used up (code
/// 05), otherwise `limit - used`, never below zero (a limit lowered during the day may be
/// under what is already used).
#[must_use]
pub fn remaining(limit: i64, used: i64, exhausted: bool) -> i64 {
    if exhausted {
        0
    } else {
        limit.saturating_sub(used).max(0)
    }
}

/// Why a daily limit was refused. The stable code is `QUOTA_INVALID`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DailyLimitError {
    /// Not a whole number.
    #[error("kuota harian harus berupa bilangan bulat 1 sampai {DAILY_LIMIT_MAX}, bukan {0:?}")]
    NotANumber(String),
    /// Zero, negative or more than [`DAILY_LIMIT_MAX`].
    #[error("kuota harian harus 1 sampai {DAILY_LIMIT_MAX}, bukan {0}")]
    OutOfRange(i64),
}

impl DailyLimitError {
    /// The stable code.
    #[must_use]
    pub fn code(&self) -> &'static str {
        "QUOTA_INVALID"
    }
}

/// Checks a daily limit: 1 ..= [`DAILY_LIMIT_MAX`].
pub fn check_daily_limit(limit: i64) -> Result<i64, DailyLimitError> {
    if (1..=DAILY_LIMIT_MAX).contains(&limit) {
        Ok(limit)
    } else {
        Err(DailyLimitError::OutOfRange(limit))
    }
}

/// Reads a daily limit as typed (surrounding spaces and `_`/`.` digit grouping are not
/// accepted: a limit is plain digits), then checks its range.
pub fn parse_daily_limit(text: &str) -> Result<i64, DailyLimitError> {
    let t = text.trim();
    let digits = t.strip_prefix('-').unwrap_or(t);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(DailyLimitError::NotANumber(text.to_string()));
    }
    match t.parse::<i64>() {
        Ok(n) => check_daily_limit(n),
        // Only digits, so the number is too large for i64.
        Err(_) => Err(DailyLimitError::OutOfRange(i64::MAX)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    /// 2026-11-26 17:00 UTC = 2026-11-27 00:00 WIB.
    const MIDNIGHT_WIB: i64 = 1_795_712_400_000;

    #[test]
    fn wib_days_turn_at_17_utc() {
        assert_eq!(wib_day(MIDNIGHT_WIB), date!(2026 - 11 - 27));
        assert_eq!(wib_day(MIDNIGHT_WIB - 1), date!(2026 - 11 - 26));
        assert_eq!(wib_day(0), date!(1970 - 01 - 01));
        assert_eq!(wib_day(-WIB_OFFSET_MS - 1), date!(1969 - 12 - 31));
        assert_eq!(wib_day_start_ms(date!(2026 - 11 - 27)), MIDNIGHT_WIB);
        assert_eq!(next_day(date!(2026 - 12 - 31)), date!(2027 - 01 - 01));
    }

    #[test]
    fn the_quota_resets_at_the_next_wib_midnight() {
        assert_eq!(resets_at_ms(MIDNIGHT_WIB - 1), MIDNIGHT_WIB);
        assert_eq!(resets_at_ms(MIDNIGHT_WIB), MIDNIGHT_WIB + DAY_MS);
        assert_eq!(
            resets_at_ms(MIDNIGHT_WIB + DAY_MS - 1),
            MIDNIGHT_WIB + DAY_MS
        );
        for at in [0, 1, MIDNIGHT_WIB - 5, MIDNIGHT_WIB + 12_345_678] {
            let reset = resets_at_ms(at);
            assert!(reset > at);
            assert_eq!(reset, wib_day_start_ms(next_day(wib_day(at))));
        }
    }

    #[test]
    fn remaining_never_goes_below_zero() {
        assert_eq!(remaining(1000, 0, false), 1000);
        assert_eq!(remaining(1000, 999, false), 1);
        assert_eq!(remaining(50, 60, false), 0);
        assert_eq!(remaining(1000, 3, true), 0);
    }

    #[test]
    fn daily_limits_are_checked() {
        assert_eq!(parse_daily_limit("1"), Ok(1));
        assert_eq!(parse_daily_limit(" 2500 "), Ok(2500));
        assert_eq!(parse_daily_limit("1000000"), Ok(DAILY_LIMIT_MAX));
        for bad in ["", "abc", "1e3", "1.000", "1_000", "+5", "12x"] {
            assert!(
                matches!(parse_daily_limit(bad), Err(DailyLimitError::NotANumber(_))),
                "{bad:?}"
            );
        }
        for bad in ["0", "-1", "1000001", "99999999999999999999999"] {
            assert!(
                matches!(parse_daily_limit(bad), Err(DailyLimitError::OutOfRange(_))),
                "{bad:?}"
            );
        }
        assert_eq!(parse_daily_limit("x").unwrap_err().code(), "QUOTA_INVALID");
    }
}
