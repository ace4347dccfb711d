//! This server's leased quota hits: per (Dukcapil user ID, WIB day), the hits of a block the
//! group writer leased from the day's row (`held`, see [`crate::storage::BatchOp::Lease`])
//! and not yet handed out. Pure in-memory bookkeeping; the leasing itself, and giving hits
//! back to the database, is [`crate::group_commit::GroupWriter`]'s.
//!
//! A pool belongs to one day and one limit: a pool of an earlier day, or of a limit that has
//! since changed (`sigap admin quota set`, a new agreement), is flushed on the next take and
//! its hits given back. Nothing about residents passes through here.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};
use time::Date;

/// A pool's key: (Dukcapil user ID, WIB day).
pub type PoolKey = (String, Date);

/// Hits to give back to the database: (user ID, day, count).
pub type Flushed = Vec<(String, Date, i64)>;

#[derive(Debug, Clone, Copy)]
struct Pool {
    /// Leased and not handed out.
    available: i64,
    /// The limit in force when leased.
    limit: i64,
    /// The day's `used` when the block was leased.
    base_used: i64,
    /// Handed out from this block (less those given back).
    handed: i64,
    /// Last filled or taken from.
    touched: Instant,
}

/// The pools of one server.
#[derive(Debug, Default)]
pub struct HitPools {
    pools: Mutex<HashMap<PoolKey, Pool>>,
    /// One lease at a time per key: requests finding the pool empty wait for the lease in
    /// flight instead of each leasing a block.
    turns: Mutex<HashMap<PoolKey, Arc<tokio::sync::Mutex<()>>>>,
    /// Days the upstream closed (05) as this server heard: no block is kept for them.
    closed: Mutex<HashSet<PoolKey>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every critical section leaves the map consistent (plain field updates).
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl HitPools {
    /// Takes one hit of `key`'s pool leased under `limit`; `Some(used)`: the day's `used`
    /// as this server knows it, this hit included (for the quota meter). Pools of days before
    /// `key`'s, and `key`'s own when its limit changed, are removed and their hits added to
    /// `flushed`.
    pub fn take(&self, key: &PoolKey, limit: i64, flushed: &mut Flushed) -> Option<i64> {
        let mut pools = lock(&self.pools);
        if pools.len() > 1 || pools.get(key).is_some_and(|p| p.limit != limit) {
            pools.retain(|(user_id, day), p| {
                let stale =
                    *day < key.1 || (user_id == &key.0 && *day == key.1 && p.limit != limit);
                if stale && p.available > 0 {
                    flushed.push((user_id.clone(), *day, p.available));
                }
                !stale
            });
            lock(&self.turns).retain(|(_, day), _| *day >= key.1);
            lock(&self.closed).retain(|(_, day)| *day >= key.1);
        }
        let pool = pools.get_mut(key)?;
        if pool.available == 0 {
            return None;
        }
        pool.available -= 1;
        pool.handed += 1;
        pool.touched = Instant::now();
        Some(pool.base_used + pool.handed)
    }

    /// Adds a leased block to `key`'s pool; `used`: the day's `used` at the lease. `false`:
    /// the day was closed by 05 meanwhile, nothing was added (give the block back).
    pub fn fill(&self, key: PoolKey, limit: i64, granted: i64, used: i64) -> bool {
        if lock(&self.closed).contains(&key) {
            return false;
        }
        let mut pools = lock(&self.pools);
        let pool = pools.entry(key).or_insert(Pool {
            available: 0,
            limit,
            base_used: used,
            handed: 0,
            touched: Instant::now(),
        });
        pool.available += granted;
        pool.limit = limit;
        pool.base_used = used;
        pool.handed = 0;
        pool.touched = Instant::now();
        true
    }

    /// Removes the pools nobody took from for `idle`; what they held, to give back (so that
    /// another replica, or an operator with a cap, can use those hits).
    pub fn take_idle(&self, idle: Duration) -> Flushed {
        let mut out = Flushed::new();
        lock(&self.pools).retain(|(user_id, day), p| {
            let stale = p.touched.elapsed() >= idle;
            if stale && p.available > 0 {
                out.push((user_id.clone(), *day, p.available));
            }
            !stale
        });
        out
    }

    /// A hit that never reached the upstream goes back to its pool; `false`: the pool is gone
    /// (flushed or closed), the caller gives the hit back to the database.
    pub fn give_back(&self, key: &PoolKey) -> bool {
        match lock(&self.pools).get_mut(key) {
            Some(pool) => {
                pool.available += 1;
                pool.handed = (pool.handed - 1).max(0);
                true
            }
            None => false,
        }
    }

    /// The upstream closed the day (05): the pool is dropped (the day's `held` is cleared in
    /// the database by the settlement itself) and no later block is kept for the day.
    pub fn close(&self, key: &PoolKey) {
        lock(&self.closed).insert(key.clone());
        lock(&self.pools).remove(key);
    }

    /// Removes every pool; what they held, to give back (shutdown).
    pub fn drain_all(&self) -> Flushed {
        lock(&self.pools)
            .drain()
            .filter(|(_, p)| p.available > 0)
            .map(|((user_id, day), p)| (user_id, day, p.available))
            .collect()
    }

    /// The lease turn of `key`.
    pub fn turn(&self, key: &PoolKey) -> Arc<tokio::sync::Mutex<()>> {
        lock(&self.turns).entry(key.clone()).or_default().clone()
    }

    /// Hits `key`'s pool holds (tests, diagnostics).
    pub fn available(&self, key: &PoolKey) -> i64 {
        lock(&self.pools).get(key).map_or(0, |p| p.available)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use time::macros::date;

    fn key(day: Date) -> PoolKey {
        ("U1".to_string(), day)
    }

    #[test]
    fn hands_out_exactly_what_was_leased() {
        let p = HitPools::default();
        let k = key(date!(2026 - 11 - 27));
        let mut flushed = Flushed::new();
        assert_eq!(p.take(&k, 100, &mut flushed), None, "nothing leased yet");
        p.fill(k.clone(), 100, 3, 10);
        assert_eq!(p.take(&k, 100, &mut flushed), Some(11));
        assert_eq!(p.take(&k, 100, &mut flushed), Some(12));
        assert!(p.give_back(&k));
        assert_eq!(p.take(&k, 100, &mut flushed), Some(12));
        assert_eq!(p.take(&k, 100, &mut flushed), Some(13));
        assert_eq!(p.take(&k, 100, &mut flushed), None);
        assert!(flushed.is_empty());
    }

    #[test]
    fn a_changed_limit_or_a_new_day_flushes_the_old_pool() {
        let p = HitPools::default();
        let today = key(date!(2026 - 11 - 27));
        let mut flushed = Flushed::new();
        p.fill(today.clone(), 100, 5, 0);
        assert_eq!(p.take(&today, 50, &mut flushed), None);
        assert_eq!(flushed, vec![("U1".to_string(), today.1, 5)]);
        assert!(
            !p.give_back(&today),
            "the pool is gone: back to the database"
        );

        flushed.clear();
        p.fill(today.clone(), 50, 4, 0);
        let tomorrow = key(date!(2026 - 11 - 28));
        assert_eq!(p.take(&tomorrow, 50, &mut flushed), None);
        p.fill(tomorrow.clone(), 50, 2, 0);
        assert_eq!(p.take(&tomorrow, 50, &mut flushed), Some(1));
        assert_eq!(flushed, vec![("U1".to_string(), today.1, 4)]);
        assert_eq!(p.available(&today), 0);
    }

    #[test]
    fn closing_and_draining_empty_the_pools() {
        let p = HitPools::default();
        let k = key(date!(2026 - 11 - 27));
        assert!(p.fill(k.clone(), 100, 5, 0));
        p.close(&k);
        assert_eq!(p.available(&k), 0);
        assert!(!p.fill(k.clone(), 100, 5, 0), "a closed day keeps no block");
        let other = ("U2".to_string(), k.1);
        assert!(p.fill(other.clone(), 100, 5, 0));
        assert_eq!(p.drain_all(), vec![("U2".to_string(), k.1, 5)]);
        assert!(p.drain_all().is_empty());
        assert!(p.fill(other.clone(), 100, 3, 0));
        assert!(p.take_idle(Duration::from_secs(60)).is_empty());
        assert_eq!(
            p.take_idle(Duration::ZERO),
            vec![("U2".to_string(), k.1, 3)]
        );
    }
}
