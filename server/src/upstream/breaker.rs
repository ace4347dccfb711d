//! A small circuit breaker in front of the upstream: closed → open after N consecutive
//! unavailable outcomes → half-open after the cool-down, when exactly one trial request is let
//! through; its success closes the breaker, its failure opens it again. Time comes from an
//! injected [`Clock`] so the transitions are tested without sleeping.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde::Serialize;

/// A monotonic time source.
pub trait Clock: Send + Sync + fmt::Debug + 'static {
    /// Now.
    fn now(&self) -> Instant;
}

/// The real monotonic clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
}

/// A clock that moves only when told (tests).
#[derive(Debug)]
pub struct ManualClock {
    base: Instant,
    offset: Mutex<Duration>,
}

impl Default for ManualClock {
    fn default() -> Self {
        Self {
            base: Instant::now(),
            offset: Mutex::new(Duration::ZERO),
        }
    }
}

impl ManualClock {
    /// A clock standing still at the moment of creation.
    pub fn new() -> Self {
        Self::default()
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        *self.offset.lock().unwrap_or_else(PoisonError::into_inner) += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        self.base + *self.offset.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The breaker's state as seen from outside.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BreakerState {
    /// Requests flow.
    Closed,
    /// Requests are refused until the cool-down ends.
    Open,
    /// The cool-down has ended: the next request is a trial (or one is under way).
    HalfOpen,
}

#[derive(Debug, Clone, Copy)]
enum State {
    Closed { failures: u32 },
    Open { until: Instant },
    HalfOpen { trial_in_flight: bool },
}

/// The circuit breaker. Share it behind the client's `Arc`.
#[derive(Debug)]
pub struct CircuitBreaker {
    failures_to_open: u32,
    open_for: Duration,
    clock: Arc<dyn Clock>,
    state: Mutex<State>,
}

impl CircuitBreaker {
    /// A closed breaker that opens after `failures_to_open` (at least 1) consecutive failures
    /// and stays open for `open_for`.
    pub fn new(failures_to_open: u32, open_for: Duration, clock: Arc<dyn Clock>) -> Self {
        Self {
            failures_to_open: failures_to_open.max(1),
            open_for,
            clock,
            state: Mutex::new(State::Closed { failures: 0 }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The current state.
    pub fn state(&self) -> BreakerState {
        match *self.lock() {
            State::Closed { .. } => BreakerState::Closed,
            State::Open { until } if self.clock.now() < until => BreakerState::Open,
            State::Open { .. } | State::HalfOpen { .. } => BreakerState::HalfOpen,
        }
    }

    /// Permission to send one request, or `None` while open (or while the half-open trial is
    /// under way). Settle the permit with [`Permit::success`] or [`Permit::failure`]; a
    /// permit dropped unsettled (cancelled request) frees the trial slot.
    pub fn try_acquire(&self) -> Option<Permit<'_>> {
        let mut state = self.lock();
        match *state {
            State::Closed { .. } => Some(Permit::new(self, false)),
            State::Open { until } => {
                if self.clock.now() < until {
                    return None;
                }
                *state = State::HalfOpen {
                    trial_in_flight: true,
                };
                tracing::info!(target: super::LOG_TARGET, "upstream circuit breaker half-open: sending one trial request");
                Some(Permit::new(self, true))
            }
            State::HalfOpen { trial_in_flight } => {
                if trial_in_flight {
                    return None;
                }
                *state = State::HalfOpen {
                    trial_in_flight: true,
                };
                Some(Permit::new(self, true))
            }
        }
    }

    fn settle(&self, trial: bool, ok: bool) {
        let mut state = self.lock();
        match (*state, trial, ok) {
            (State::HalfOpen { .. }, true, true) => {
                *state = State::Closed { failures: 0 };
                tracing::info!(target: super::LOG_TARGET, "upstream circuit breaker closed: the trial request succeeded");
            }
            (State::HalfOpen { .. }, true, false) => {
                *state = State::Open {
                    until: self.clock.now() + self.open_for,
                };
                tracing::warn!(
                    target: super::LOG_TARGET,
                    open_ms = duration_ms(self.open_for),
                    "upstream circuit breaker open again: the trial request failed"
                );
            }
            (State::Closed { .. }, _, true) => *state = State::Closed { failures: 0 },
            (State::Closed { failures }, _, false) => {
                let failures = failures.saturating_add(1);
                if failures >= self.failures_to_open {
                    *state = State::Open {
                        until: self.clock.now() + self.open_for,
                    };
                    tracing::warn!(
                        target: super::LOG_TARGET,
                        failures,
                        open_ms = duration_ms(self.open_for),
                        "upstream circuit breaker opened after consecutive failures"
                    );
                } else {
                    *state = State::Closed { failures };
                }
            }
            // A request admitted while closed that ends after the breaker opened (or a trial
            // settling late) changes nothing.
            _ => {}
        }
    }

    fn release_trial(&self) {
        let mut state = self.lock();
        if let State::HalfOpen {
            trial_in_flight: true,
        } = *state
        {
            *state = State::HalfOpen {
                trial_in_flight: false,
            };
        }
    }
}

fn duration_ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Permission for one request; settle it with the outcome.
#[derive(Debug)]
#[must_use = "settle the permit with success() or failure()"]
pub struct Permit<'a> {
    breaker: &'a CircuitBreaker,
    trial: bool,
    settled: bool,
}

impl<'a> Permit<'a> {
    fn new(breaker: &'a CircuitBreaker, trial: bool) -> Self {
        Self {
            breaker,
            trial,
            settled: false,
        }
    }

    /// Whether this is the half-open trial.
    pub fn is_trial(&self) -> bool {
        self.trial
    }

    /// The upstream answered (any response code).
    pub fn success(mut self) {
        self.settled = true;
        self.breaker.settle(self.trial, true);
    }

    /// The upstream was unavailable.
    pub fn failure(mut self) {
        self.settled = true;
        self.breaker.settle(self.trial, false);
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        if !self.settled && self.trial {
            self.breaker.release_trial();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn breaker(n: u32) -> (CircuitBreaker, Arc<ManualClock>) {
        let clock = Arc::new(ManualClock::new());
        (
            CircuitBreaker::new(n, Duration::from_secs(30), clock.clone()),
            clock,
        )
    }

    #[test]
    fn opens_after_n_consecutive_failures_only() {
        let (b, _clock) = breaker(3);
        b.try_acquire().unwrap().failure();
        b.try_acquire().unwrap().failure();
        b.try_acquire().unwrap().success(); // resets the count
        b.try_acquire().unwrap().failure();
        b.try_acquire().unwrap().failure();
        assert_eq!(b.state(), BreakerState::Closed);
        b.try_acquire().unwrap().failure();
        assert_eq!(b.state(), BreakerState::Open);
        assert!(b.try_acquire().is_none());
    }

    #[test]
    fn half_open_lets_one_trial_through_and_closes_on_success() {
        let (b, clock) = breaker(1);
        b.try_acquire().unwrap().failure();
        assert!(b.try_acquire().is_none());
        clock.advance(Duration::from_secs(29));
        assert!(b.try_acquire().is_none());
        clock.advance(Duration::from_secs(1));
        assert_eq!(b.state(), BreakerState::HalfOpen);
        let trial = b.try_acquire().unwrap();
        assert!(trial.is_trial());
        assert!(b.try_acquire().is_none(), "only one trial at a time");
        trial.success();
        assert_eq!(b.state(), BreakerState::Closed);
        let p = b.try_acquire().unwrap();
        assert!(!p.is_trial());
        p.success();
    }

    #[test]
    fn a_failed_trial_reopens_for_a_full_cool_down() {
        let (b, clock) = breaker(2);
        b.try_acquire().unwrap().failure();
        b.try_acquire().unwrap().failure();
        clock.advance(Duration::from_secs(31));
        b.try_acquire().unwrap().failure();
        assert_eq!(b.state(), BreakerState::Open);
        clock.advance(Duration::from_secs(29));
        assert!(b.try_acquire().is_none());
        clock.advance(Duration::from_secs(1));
        assert!(b.try_acquire().unwrap().is_trial());
    }

    #[test]
    fn a_cancelled_trial_frees_the_slot() {
        let (b, clock) = breaker(1);
        b.try_acquire().unwrap().failure();
        clock.advance(Duration::from_secs(30));
        let trial = b.try_acquire().unwrap();
        drop(trial);
        assert_eq!(b.state(), BreakerState::HalfOpen);
        let again = b.try_acquire().unwrap();
        assert!(again.is_trial());
        again.success();
        assert_eq!(b.state(), BreakerState::Closed);
    }

    #[test]
    fn late_results_of_requests_admitted_while_closed_change_nothing() {
        let (b, clock) = breaker(1);
        let slow = b.try_acquire().unwrap();
        b.try_acquire().unwrap().failure();
        assert_eq!(b.state(), BreakerState::Open);
        slow.success(); // admitted before the breaker opened: ignored
        assert_eq!(b.state(), BreakerState::Open);
        clock.advance(Duration::from_secs(30));
        let trial = b.try_acquire().unwrap();
        trial.success();
        assert_eq!(b.state(), BreakerState::Closed);
    }
}
