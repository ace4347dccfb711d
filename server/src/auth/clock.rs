//! The clock authentication reads (session timeouts, lockouts, ceremony expiry): the system
//! clock in production, the system clock plus an adjustable offset in tests (so timeouts can
//! be tested without waiting, while everything else keeps real time).

use std::sync::{
    Arc,
    atomic::{AtomicI64, Ordering},
};

/// Milliseconds since the Unix epoch, with an optional test offset. Cheap to clone; clones
/// share the offset.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    offset_ms: Option<Arc<AtomicI64>>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock { offset_ms: None }
    }

    /// The system clock plus an offset that [`Clock::advance`] moves forward (tests).
    pub fn adjustable() -> Clock {
        Clock {
            offset_ms: Some(Arc::new(AtomicI64::new(0))),
        }
    }

    /// Now, in Unix milliseconds.
    pub fn now_ms(&self) -> i64 {
        let offset = self
            .offset_ms
            .as_ref()
            .map_or(0, |o| o.load(Ordering::SeqCst));
        crate::now_ms() + offset
    }

    /// Moves an adjustable clock forward; does nothing on the system clock.
    pub fn advance(&self, by: std::time::Duration) {
        if let Some(o) = &self.offset_ms {
            let ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX / 4);
            o.fetch_add(ms, Ordering::SeqCst);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adjustable_clock_moves_and_clones_share_it() {
        let c = Clock::adjustable();
        let d = c.clone();
        let before = d.now_ms();
        c.advance(std::time::Duration::from_secs(3600));
        assert!(d.now_ms() - before >= 3_600_000);
        let s = Clock::system();
        let t = s.now_ms();
        s.advance(std::time::Duration::from_secs(3600));
        assert!(s.now_ms() - t < 3_600_000);
    }
}
