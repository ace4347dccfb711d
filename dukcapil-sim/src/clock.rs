//! Time source of the simulator. The daily quota is counted per WIB calendar day (UTC+7) and
//! access hours are WIB wall-clock times, so tests inject a [`ManualClock`] to move the day.

use std::sync::{Arc, Mutex, PoisonError};

use time::{Date, Duration, OffsetDateTime, Time, UtcOffset};

/// Western Indonesian Time, UTC+7.
pub const WIB: UtcOffset = match UtcOffset::from_hms(7, 0, 0) {
    Ok(offset) => offset,
    Err(_) => UtcOffset::UTC,
};

/// Where the simulator takes the current time from.
///
/// Implemented by [`SystemClock`], [`ManualClock`], and any `Fn() -> OffsetDateTime`.
pub trait Clock: Send + Sync + 'static {
    /// The current instant.
    fn now(&self) -> OffsetDateTime;

    /// The current WIB calendar day.
    fn wib_date(&self) -> Date {
        self.now().to_offset(WIB).date()
    }

    /// The current WIB wall-clock time.
    fn wib_time(&self) -> Time {
        self.now().to_offset(WIB).time()
    }
}

/// The operating system's clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

impl<F> Clock for F
where
    F: Fn() -> OffsetDateTime + Send + Sync + 'static,
{
    fn now(&self) -> OffsetDateTime {
        self()
    }
}

/// A clock that only moves when told to (for tests). Clones share the same time.
#[derive(Clone, Debug)]
pub struct ManualClock {
    now: Arc<Mutex<OffsetDateTime>>,
}

impl ManualClock {
    /// A clock standing at `start`.
    pub fn new(start: OffsetDateTime) -> Self {
        Self {
            now: Arc::new(Mutex::new(start)),
        }
    }

    /// Moves the clock to `to`.
    pub fn set(&self, to: OffsetDateTime) {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner) = to;
    }

    /// Moves the clock forward by `by` (backward when negative).
    pub fn advance(&self, by: Duration) {
        let mut now = self.now.lock().unwrap_or_else(PoisonError::into_inner);
        *now += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn wib_day_turns_at_17_utc() {
        let clock = ManualClock::new(datetime!(2025-03-01 16:59:59 UTC));
        assert_eq!(clock.wib_date(), time::macros::date!(2025 - 03 - 01));
        assert_eq!(clock.wib_time(), time::macros::time!(23:59:59));
        clock.advance(Duration::seconds(1));
        assert_eq!(clock.wib_date(), time::macros::date!(2025 - 03 - 02));
        let shared = clock.clone();
        shared.set(datetime!(2025-03-05 00:00 UTC));
        assert_eq!(clock.wib_time(), time::macros::time!(07:00));
        let fixed = || datetime!(2024-01-01 12:00 UTC);
        assert_eq!(fixed.wib_date(), time::macros::date!(2024 - 01 - 01));
    }
}
