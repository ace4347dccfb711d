//! Group commit for the access path: the quota reservations, settlements and access entries of
//! concurrent requests are written together, one transaction (one fsync) per group, instead of
//! one transaction per write.
//!
//! ```text
//! request ─► GroupWriter::reserve / finish ─► queue ─┐
//! request ─► …                              ─► queue ─┼─► drain task: take everything queued,
//! request ─► …                              ─► queue ─┘    BatchStore::apply_batch (one txn),
//!                                                          answer each request
//! ```
//!
//! No timer: while one group commits, the next one gathers, so an idle server commits each
//! write at once and a busy one commits many per fsync. A request hears "done" only after its
//! group committed (durability as before). A write handed to the queue is applied even if the
//! request that queued it is cancelled (client gone): the drain task owns it. When a group
//! fails, each of its writes is retried alone, so one bad write cannot fail the others.
//! The drain task is spawned on the runtime of the write that finds none running, and ends
//! when the queue is empty.

use crate::hit_pool::{Flushed, HitPools, PoolKey};
use crate::storage::{
    AppendedEntry, BatchDone, BatchOp, BatchSettle, NewAccessEvent, ReserveOutcome, ReserveRequest,
    Storage, StorageError,
};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::sync::oneshot;

/// Largest group written in one transaction.
pub const MAX_GROUP: usize = 256;

/// Process-wide counters of group commits (for benchmarks and diagnostics).
static GROUPS: AtomicU64 = AtomicU64::new(0);
static WRITES: AtomicU64 = AtomicU64::new(0);
static COMMIT_MICROS: AtomicU64 = AtomicU64::new(0);

/// What the group writers of this process have done so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GroupStats {
    /// Transactions (groups) written.
    pub groups: u64,
    /// Writes in them.
    pub writes: u64,
    /// Time spent applying and committing groups, microseconds.
    pub commit_micros: u64,
}

/// The counters since the process started.
pub fn stats() -> GroupStats {
    GroupStats {
        groups: GROUPS.load(Ordering::Relaxed),
        writes: WRITES.load(Ordering::Relaxed),
        commit_micros: COMMIT_MICROS.load(Ordering::Relaxed),
    }
}

/// The in-process group writer of one server (clone freely: one queue).
#[derive(Clone)]
pub struct GroupWriter {
    inner: Arc<Inner>,
}

struct Inner {
    storage: Arc<dyn Storage>,
    queue: Mutex<Queue>,
    /// Leased hits (`None`: every reservation is its own write).
    pools: Option<HitPools>,
    /// Most hits one lease takes.
    max_block: i64,
}

#[derive(Default)]
struct Queue {
    jobs: Vec<Job>,
    draining: bool,
}

struct Job {
    op: BatchOp,
    reply: oneshot::Sender<Result<BatchDone, StorageError>>,
}

impl std::fmt::Debug for GroupWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupWriter").finish_non_exhaustive()
    }
}

impl GroupWriter {
    /// A writer that reserves every hit with its own write ([`GroupWriter::reserve`]).
    pub fn new(storage: Arc<dyn Storage>) -> Self {
        Self::with_leases(storage, 0)
    }

    /// A writer that leases blocks of at most `max_block` hits for an in-memory pool
    /// ([`GroupWriter::reserve_leased`]); below 2, no leasing.
    pub fn with_leases(storage: Arc<dyn Storage>, max_block: u32) -> Self {
        GroupWriter {
            inner: Arc::new(Inner {
                storage,
                queue: Mutex::new(Queue::default()),
                pools: (max_block >= 2).then(HitPools::default),
                max_block: i64::from(max_block),
            }),
        }
    }

    /// Hits are leased in blocks.
    pub fn leasing(&self) -> bool {
        self.inner.pools.is_some()
    }

    /// Hits this server's pool for (user ID, day) holds (tests, diagnostics).
    pub fn pooled(&self, dukcapil_user_id: &str, day: time::Date) -> i64 {
        self.inner
            .pools
            .as_ref()
            .map_or(0, |p| p.available(&(dukcapil_user_id.to_string(), day)))
    }

    /// Reserves one hit from this server's pool, leasing a block when it is empty; without
    /// leasing, as [`GroupWriter::reserve`]. The outcome's `operator_used` is 0 for a pooled
    /// hit: it is counted on the operator's day when settled (`BatchSettle::leased`).
    ///
    /// Exactly the limit still holds: a lease takes at most what `used + held` leaves, and a
    /// pool hands out only what was leased. A block whose requester is cancelled while it is
    /// leased still lands in the pool (the lease runs in its own task).
    pub async fn reserve_leased(&self, r: ReserveRequest) -> Result<ReserveOutcome, StorageError> {
        let Some(pools) = &self.inner.pools else {
            return self.reserve(r).await;
        };
        let key = (r.dukcapil_user_id.clone(), r.day);
        loop {
            if let Some(hit) = self.take_pooled(pools, &key, r.daily_limit) {
                return Ok(hit);
            }
            let turn = pools.turn(&key);
            let _turn = turn.lock().await;
            if let Some(hit) = self.take_pooled(pools, &key, r.daily_limit) {
                return Ok(hit);
            }
            let writer = self.clone();
            let request = r.clone();
            let lease = tokio::spawn(async move {
                let done = writer
                    .apply(BatchOp::Lease {
                        request: request.clone(),
                        max_block: writer.inner.max_block,
                    })
                    .await?;
                let BatchDone::Leased(grant) = done else {
                    return Err(mismatch());
                };
                if grant.granted > 0
                    && let Some(pools) = &writer.inner.pools
                    && !pools.fill(
                        (request.dukcapil_user_id.clone(), request.day),
                        request.daily_limit,
                        grant.granted,
                        grant.used,
                    )
                {
                    // The upstream closed the day while the block was leased.
                    writer.give_back_all(vec![(
                        request.dukcapil_user_id.clone(),
                        request.day,
                        grant.granted,
                    )]);
                }
                Ok(grant)
            });
            let grant = lease.await.map_err(|_| {
                StorageError::Corrupt("group commit: the lease task did not finish".into())
            })??;
            if grant.granted == 0 {
                // A refund may have put a hit back meanwhile.
                if let Some(hit) = self.take_pooled(pools, &key, r.daily_limit) {
                    return Ok(hit);
                }
                return Ok(ReserveOutcome::UserIdExhausted {
                    used: grant.used + grant.held,
                    exhausted_at: grant.exhausted_at,
                });
            }
        }
    }

    /// One hit of the pool, as a reservation's outcome; stale pools found on the way are
    /// given back.
    fn take_pooled(&self, pools: &HitPools, key: &PoolKey, limit: i64) -> Option<ReserveOutcome> {
        let mut flushed = Flushed::new();
        let taken = pools.take(key, limit, &mut flushed);
        self.give_back_all(flushed);
        taken.map(|used| ReserveOutcome::Reserved {
            used,
            operator_used: 0,
        })
    }

    fn give_back_all(&self, flushed: Flushed) {
        for (dukcapil_user_id, day, count) in flushed {
            self.submit(BatchOp::Return {
                dukcapil_user_id,
                day,
                count,
                now_ms: crate::now_ms(),
            });
        }
    }

    /// A leased hit that never reached the upstream: back to its pool, or to the database
    /// when the pool is gone.
    pub fn give_back(&self, dukcapil_user_id: &str, day: time::Date) {
        let key = (dukcapil_user_id.to_string(), day);
        if let Some(pools) = &self.inner.pools
            && !pools.give_back(&key)
        {
            self.give_back_all(vec![(key.0, day, 1)]);
        }
    }

    /// The upstream closed the day (05): this server's pool for it is dropped.
    pub fn close_day(&self, dukcapil_user_id: &str, day: time::Date) {
        if let Some(pools) = &self.inner.pools {
            pools.close(&(dukcapil_user_id.to_string(), day));
        }
    }

    /// Gives back what pools nobody took from for `idle` hold (run now and then, so hits a
    /// quiet server holds can be used by another replica or a capped operator).
    pub fn return_idle(&self, idle: std::time::Duration) {
        if let Some(pools) = &self.inner.pools {
            self.give_back_all(pools.take_idle(idle));
        }
    }

    /// Gives back every pooled hit and waits for it to be written (shutdown).
    pub async fn return_pooled(&self) -> Result<(), StorageError> {
        let Some(pools) = &self.inner.pools else {
            return Ok(());
        };
        for (dukcapil_user_id, day, count) in pools.drain_all() {
            self.apply(BatchOp::Return {
                dukcapil_user_id,
                day,
                count,
                now_ms: crate::now_ms(),
            })
            .await?;
        }
        Ok(())
    }

    /// Queues a write without waiting for it (it is applied all the same). Outside a tokio
    /// runtime nothing can be written: logged.
    pub fn submit(&self, op: BatchOp) {
        if tokio::runtime::Handle::try_current().is_err() {
            tracing::error!("group commit: a write was submitted outside a runtime; not written");
            return;
        }
        let answer = self.queue(op);
        tokio::spawn(async move {
            if let Err(e) = answered(answer.await) {
                tracing::error!(
                    code = e.code(),
                    "group commit: a write submitted without waiting failed"
                );
            }
        });
    }

    /// The storage the writer writes to (reads go there directly).
    pub fn storage(&self) -> &Arc<dyn Storage> {
        &self.inner.storage
    }

    /// Reserves one hit (see [`crate::storage::QuotaStore::reserve_quota`]). Queued when
    /// called, before the returned future is first polled.
    ///
    /// If the returned future is dropped before the answer (the request was cancelled while
    /// its group committed), a hit it reserved is given back: no call was made with it.
    pub fn reserve(
        &self,
        r: ReserveRequest,
    ) -> impl Future<Output = Result<ReserveOutcome, StorageError>> + Send + 'static {
        let mut pending = AbandonedReservation {
            storage: self.inner.storage.clone(),
            settle: BatchSettle {
                dukcapil_user_id: r.dukcapil_user_id.clone(),
                day: r.day,
                operator_account_id: r.operator_account_id,
                settlement: crate::storage::Settlement::Refund,
                now_ms: r.now_ms,
                leased: false,
            },
            answer: None,
        };
        pending.answer = Some(self.queue(BatchOp::Reserve(r)));
        async move {
            let answer = match pending.answer.as_mut() {
                Some(answer) => answer.await,
                None => return Err(mismatch()),
            };
            pending.answered();
            match answered(answer)? {
                BatchDone::Reserved(outcome) => Ok(outcome),
                _ => Err(mismatch()),
            }
        }
    }

    /// Settles a hit (if any) and appends the attempt's access entry, in one write; queued
    /// when called. Answers the entry and whether the settlement found its hit.
    pub fn finish(
        &self,
        settle: Option<BatchSettle>,
        event: NewAccessEvent,
    ) -> impl Future<Output = Result<(AppendedEntry, bool), StorageError>> + Send + 'static {
        let done = self.apply(BatchOp::Finish {
            settle,
            event: Box::new(event),
        });
        async move {
            match done.await? {
                BatchDone::Finished { entry, settled } => Ok((entry, settled)),
                _ => Err(mismatch()),
            }
        }
    }

    /// Queues one write and waits for its group to commit. The write is queued before the
    /// first `.await`, so dropping the returned future after the call cannot lose it.
    pub fn apply(
        &self,
        op: BatchOp,
    ) -> impl Future<Output = Result<BatchDone, StorageError>> + Send + 'static {
        let answer = self.queue(op);
        async move { answered(answer.await) }
    }

    /// Queues one write; the receiver gets its result once its group committed.
    fn queue(&self, op: BatchOp) -> Answer {
        let (reply, answer) = oneshot::channel();
        let start = {
            let mut q = lock(&self.inner.queue);
            q.jobs.push(Job { op, reply });
            !std::mem::replace(&mut q.draining, true)
        };
        if start {
            let inner = self.inner.clone();
            // The drain runs on its own thread (a blocking-pool thread driving it with the
            // runtime's handle), not as one task among the request tasks: SQLite's writer runs
            // a group's statements synchronously right here (blocking this thread, never a
            // runtime worker), and each of PostgreSQL's statements is a wake-up, which in the
            // runtime's queue would wait behind the requests in flight.
            let handle = tokio::runtime::Handle::current();
            tokio::task::spawn_blocking(move || handle.block_on(drain(inner)));
        }
        answer
    }
}

type Answer = oneshot::Receiver<Result<BatchDone, StorageError>>;

fn answered(
    answer: Result<Result<BatchDone, StorageError>, oneshot::error::RecvError>,
) -> Result<BatchDone, StorageError> {
    answer.unwrap_or_else(|_| {
        Err(StorageError::Corrupt(
            "group commit: the writer stopped before answering".into(),
        ))
    })
}

/// A queued reservation whose requester may go away before the answer: dropped with the
/// answer still pending, it waits for it (in a new task) and refunds a hit it reserved.
struct AbandonedReservation {
    storage: Arc<dyn Storage>,
    settle: BatchSettle,
    answer: Option<Answer>,
}

impl AbandonedReservation {
    /// The answer arrived: nothing to give back on drop.
    fn answered(&mut self) {
        self.answer.take();
    }
}

impl Drop for AbandonedReservation {
    fn drop(&mut self) {
        let Some(answer) = self.answer.take() else {
            return;
        };
        let Ok(handle) = tokio::runtime::Handle::try_current() else {
            tracing::error!("a cancelled quota reservation could not be refunded (no runtime)");
            return;
        };
        let storage = self.storage.clone();
        let s = self.settle.clone();
        handle.spawn(async move {
            if let Ok(Ok(BatchDone::Reserved(ReserveOutcome::Reserved { .. }))) = answer.await {
                let refunded = storage
                    .settle_quota(
                        &s.dukcapil_user_id,
                        s.day,
                        s.operator_account_id,
                        s.settlement,
                        crate::now_ms(),
                    )
                    .await;
                match refunded {
                    Ok(()) => tracing::warn!(
                        dukcapil_user_id = %s.dukcapil_user_id,
                        "quota reservation cancelled before the call; its hit was given back"
                    ),
                    Err(e) => tracing::error!(
                        dukcapil_user_id = %s.dukcapil_user_id,
                        code = e.code(),
                        "a cancelled quota reservation could not be refunded"
                    ),
                }
            }
        });
    }
}

fn mismatch() -> StorageError {
    StorageError::Corrupt("group commit: answer of another kind".into())
}

fn lock(m: &Mutex<Queue>) -> std::sync::MutexGuard<'_, Queue> {
    // A panic while holding this lock leaves a consistent queue (push / take only).
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Clears `draining` when the drain task is cancelled (runtime shut down) or panics; the
/// writes still queued then are answered with an error by dropping their senders. A drain
/// task that ends normally disarms it: it has already cleared `draining` under the lock, and
/// by then another drain task may own the queue.
struct DrainGuard {
    inner: Arc<Inner>,
    armed: bool,
}

impl Drop for DrainGuard {
    fn drop(&mut self) {
        if self.armed {
            let mut q = lock(&self.inner.queue);
            q.draining = false;
            q.jobs.clear();
        }
    }
}

async fn drain(inner: Arc<Inner>) {
    let mut guard = DrainGuard { inner, armed: true };
    loop {
        let jobs: Option<Vec<Job>> = {
            let mut q = lock(&guard.inner.queue);
            if q.jobs.is_empty() {
                q.draining = false;
                None
            } else {
                let n = q.jobs.len().min(MAX_GROUP);
                Some(q.jobs.drain(..n).collect())
            }
        };
        let Some(jobs) = jobs else {
            guard.armed = false;
            return;
        };
        commit(guard.inner.storage.as_ref(), jobs).await;
    }
}

async fn commit(storage: &dyn Storage, jobs: Vec<Job>) {
    let (ops, replies): (Vec<BatchOp>, Vec<_>) = jobs.into_iter().map(|j| (j.op, j.reply)).unzip();
    let started = Instant::now();
    let applied = storage.apply_batch(&ops).await;
    GROUPS.fetch_add(1, Ordering::Relaxed);
    WRITES.fetch_add(ops.len() as u64, Ordering::Relaxed);
    COMMIT_MICROS.fetch_add(
        u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
        Ordering::Relaxed,
    );
    match applied {
        Ok(done) if done.len() == ops.len() => {
            for (reply, d) in replies.into_iter().zip(done) {
                let _ = reply.send(Ok(d));
            }
        }
        Err(e) if ops.len() == 1 => {
            if let Some(reply) = replies.into_iter().next() {
                let _ = reply.send(Err(e));
            }
        }
        Err(StorageError::CommitOutcomeUnknown(e)) => {
            // The group may be durable: writing it again could count hits and entries
            // twice. Every write of it gets the error; nothing is retried.
            tracing::error!(
                size = ops.len(),
                error = %e,
                "group commit: the commit's outcome is unknown; not retried"
            );
            for reply in replies {
                let _ = reply.send(Err(StorageError::CommitOutcomeUnknown(
                    "the group's commit did not answer".into(),
                )));
            }
        }
        outcome => {
            if let Err(e) = &outcome {
                tracing::warn!(
                    code = e.code(),
                    size = ops.len(),
                    "group commit failed; writing its writes one by one"
                );
            }
            for (op, reply) in ops.iter().zip(replies) {
                let one = storage
                    .apply_batch(std::slice::from_ref(op))
                    .await
                    .and_then(|mut d| d.pop().ok_or_else(mismatch));
                let _ = reply.send(one);
            }
        }
    }
}
