//! Group commit for the access path: the quota reservations, settlements and access entries of
//! concurrent requests are written together, one transaction (one fsync) per group, instead of
//! one transaction per write.
//!
//! ```text
//! request ─► GroupWriter::reserve / finish ─► queue ─┐
//! request ─► …                              ─► queue ─┼─► writer thread: take everything
//! request ─► …                              ─► queue ─┘    queued, BatchStore::apply_batch
//!                                                          (one txn), answer each request
//! ```
//!
//! No timer: while one group commits, the next one gathers, so an idle server commits each
//! write at once and a busy one commits many per fsync. A request hears "done" only after its
//! group committed (durability as before). A write handed to the queue is applied even if the
//! request that queued it is cancelled (client gone): the writer thread owns it. When a group
//! fails, each of its writes is retried alone, so one bad write cannot fail the others.
//!
//! The drain runs on the writer's own thread with its own single-threaded tokio runtime,
//! started by the first write and ended when the writer is dropped (or restarted by the next
//! write if it died). Its database connection lives on that runtime: each of a group's
//! statements is answered by a wake-up of this thread alone, not a task waiting in the
//! request runtime's queue behind the requests in flight and for its I/O driver's next turn.

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
    /// What the writer thread shares with the requests: the storage, the queue and its
    /// wake-up.
    shared: Arc<Shared>,
    /// Leased hits (`None`: every reservation is its own write).
    pools: Option<HitPools>,
    /// Most hits one lease takes.
    max_block: i64,
}

/// The queue and the writer thread's wake-up; the thread holds this, not [`Inner`], so the
/// last [`GroupWriter`] dropped ends it.
struct Shared {
    storage: Arc<dyn Storage>,
    queue: Mutex<Queue>,
    wake: tokio::sync::Notify,
}

#[derive(Default)]
struct Queue {
    jobs: Vec<Job>,
    /// The thread has been told of the jobs queued (it drains until the queue is empty).
    draining: bool,
    /// A writer thread is running.
    running: bool,
    /// The writer was dropped: the thread drains what is queued and ends.
    closed: bool,
    /// [`GroupWriter::flush`] callers, told when the queue is next found empty.
    flushed: Vec<oneshot::Sender<()>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        lock(&self.shared.queue).closed = true;
        self.shared.wake.notify_one();
    }
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
                shared: Arc::new(Shared {
                    storage,
                    queue: Mutex::new(Queue::default()),
                    wake: tokio::sync::Notify::new(),
                }),
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

    /// Waits until every write queued before the call has been applied (or the writer thread
    /// died): shutdown calls it, so writes queued without waiting ([`GroupWriter::submit`]:
    /// hits given back) are not lost when the process exits with the writer's thread.
    pub async fn flush(&self) {
        let done = {
            let mut q = lock(&self.inner.shared.queue);
            if !q.draining {
                return;
            }
            let (tell, done) = oneshot::channel();
            q.flushed.push(tell);
            done
        };
        let _ = done.await;
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
        &self.inner.shared.storage
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
            storage: self.inner.shared.storage.clone(),
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
        let (wake, start) = {
            let mut q = lock(&self.inner.shared.queue);
            q.jobs.push(Job { op, reply });
            let wake = !std::mem::replace(&mut q.draining, true);
            (wake, wake && !std::mem::replace(&mut q.running, true))
        };
        if start {
            // SQLite's writer runs a group's statements synchronously on the new thread
            // (never on a runtime worker); PostgreSQL's connection is that thread's.
            let shared = self.inner.shared.clone();
            let spawned = std::thread::Builder::new()
                .name("sigap-group-writer".into())
                .spawn(move || writer_thread(shared));
            if let Err(e) = spawned {
                tracing::error!(error = %e, "group commit: the writer thread did not start");
                let mut q = lock(&self.inner.shared.queue);
                q.running = false;
                q.draining = false;
                // Their senders dropped: each waiting request hears the writer stopped.
                q.jobs.clear();
                q.flushed.clear();
            }
        } else if wake {
            self.inner.shared.wake.notify_one();
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

/// Marks the writer thread gone however it ends (closed, its runtime not built, a panic):
/// the writes still queued are answered with an error by dropping their senders, and the
/// next write starts a new thread.
struct ThreadGuard {
    shared: Arc<Shared>,
}

impl Drop for ThreadGuard {
    fn drop(&mut self) {
        let mut q = lock(&self.shared.queue);
        q.running = false;
        q.draining = false;
        q.jobs.clear();
        q.flushed.clear();
    }
}

/// The writer thread: drains the queue whenever woken, until the writer is dropped.
fn writer_thread(shared: Arc<Shared>) {
    let guard = ThreadGuard { shared };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %e, "group commit: the writer's runtime did not start");
            return;
        }
    };
    runtime.block_on(async {
        let shared = &guard.shared;
        loop {
            // Woken before the first drain too: the first write found no thread.
            if drain(shared).await {
                return;
            }
            shared.wake.notified().await;
        }
    });
}

/// Commits every queued write, a group at a time, until the queue is empty; answers whether
/// the writer was closed (nothing more will come).
async fn drain(shared: &Shared) -> bool {
    loop {
        let jobs: Vec<Job> = {
            let mut q = lock(&shared.queue);
            if q.jobs.is_empty() {
                q.draining = false;
                for f in q.flushed.drain(..) {
                    let _ = f.send(());
                }
                return q.closed;
            }
            let n = q.jobs.len().min(MAX_GROUP);
            q.jobs.drain(..n).collect()
        };
        commit(shared.storage.as_ref(), jobs).await;
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
