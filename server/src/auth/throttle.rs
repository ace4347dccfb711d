//! Throttling of guessable secrets (passwords, recovery codes): a progressive delay after
//! repeated failures and a temporary lockout, per username and per client address. The
//! counters live in the database (`storage::ThrottleStore`) so several replicas agree; this
//! module decides from a counter whether an attempt may go ahead.
//!
//! Attempts refused here never reach the password check and are not counted as failures
//! (a lockout does not extend itself). Keys are the username as typed (lower-cased), not
//! account ids, so unknown usernames are throttled exactly like known ones.

use crate::storage::ThrottleState;

/// Limits for one kind of key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// Failures (within `lockout_ms` of each other) that lock the key.
    pub max_failures: i64,
    /// How long a lock lasts, from the last failure; failures older than this are forgotten.
    pub lockout_ms: i64,
    /// Delay after the second failure, doubling after each further one; 0: no delay.
    pub delay_base_ms: i64,
    pub delay_max_ms: i64,
}

/// Throttle scopes (the `scope` column).
pub mod scope {
    /// Password sign-in, keyed by the lower-cased username as typed.
    pub const SIGN_IN_USER: &str = "sign_in_user";
    /// Any guess (password, recovery code, passkey assertion), keyed by client address.
    pub const CLIENT_IP: &str = "client_ip";
    /// Recovery codes, keyed by account id.
    pub const RECOVERY_CODE: &str = "recovery_code";
}

impl Limit {
    /// Failures older than this are forgotten (the window of the counter).
    pub fn window_ms(&self) -> i64 {
        self.lockout_ms
    }

    /// Until when a key with this counter is blocked, if it is at `now_ms`.
    pub fn blocked_until(&self, state: &ThrottleState, now_ms: i64) -> Option<i64> {
        if state.last_failure_ms < now_ms - self.window_ms() {
            return None; // forgotten
        }
        let until = if state.failures >= self.max_failures {
            state.last_failure_ms + self.lockout_ms
        } else if state.failures >= 2 && self.delay_base_ms > 0 {
            let doublings = u32::try_from((state.failures - 2).min(20)).unwrap_or(20);
            let delay = self
                .delay_base_ms
                .saturating_mul(1_i64 << doublings)
                .min(self.delay_max_ms.max(self.delay_base_ms));
            state.last_failure_ms + delay
        } else {
            return None;
        };
        (until > now_ms).then_some(until)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(failures: i64, last: i64) -> ThrottleState {
        ThrottleState {
            failures,
            first_failure_ms: last,
            last_failure_ms: last,
        }
    }

    const L: Limit = Limit {
        max_failures: 5,
        lockout_ms: 15 * 60_000,
        delay_base_ms: 1000,
        delay_max_ms: 30_000,
    };

    #[test]
    fn first_failure_costs_nothing_then_delays_double_then_lock() {
        assert_eq!(L.blocked_until(&state(1, 0), 1), None);
        assert_eq!(L.blocked_until(&state(2, 0), 1), Some(1000));
        assert_eq!(L.blocked_until(&state(3, 0), 1), Some(2000));
        assert_eq!(L.blocked_until(&state(4, 0), 1), Some(4000));
        assert_eq!(L.blocked_until(&state(5, 0), 1), Some(15 * 60_000));
        assert_eq!(L.blocked_until(&state(2, 0), 1000), None, "delay over");
        assert_eq!(
            L.blocked_until(&state(9, 0), 15 * 60_000),
            None,
            "lock over"
        );
    }

    #[test]
    fn delays_are_capped_and_can_be_disabled() {
        let l = Limit {
            max_failures: 100,
            ..L
        };
        assert_eq!(l.blocked_until(&state(50, 0), 1), Some(30_000));
        let none = Limit {
            delay_base_ms: 0,
            ..L
        };
        assert_eq!(none.blocked_until(&state(4, 0), 1), None);
        assert!(none.blocked_until(&state(5, 0), 1).is_some());
    }
}
