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

use crate::storage::{
    AppendedEntry, BatchDone, BatchOp, BatchReserve, BatchSettle, NewAccessEvent, ReserveOutcome,
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
    pub fn new(storage: Arc<dyn Storage>) -> Self {
        GroupWriter {
            inner: Arc::new(Inner {
                storage,
                queue: Mutex::new(Queue::default()),
            }),
        }
    }

    /// The storage the writer writes to (reads go there directly).
    pub fn storage(&self) -> &Arc<dyn Storage> {
        &self.inner.storage
    }

    /// Reserves one hit (see [`crate::storage::QuotaStore::reserve_quota`]). Queued when
    /// called, before the returned future is first polled.
    pub fn reserve(
        &self,
        r: BatchReserve,
    ) -> impl Future<Output = Result<ReserveOutcome, StorageError>> + Send + 'static {
        let done = self.apply(BatchOp::Reserve(r));
        async move {
            match done.await? {
                BatchDone::Reserved(outcome) => Ok(outcome),
                BatchDone::Finished { .. } => Err(mismatch()),
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
                BatchDone::Reserved(_) => Err(mismatch()),
            }
        }
    }

    /// Queues one write and waits for its group to commit. The write is queued before the
    /// first `.await`, so dropping the returned future after the call cannot lose it.
    pub fn apply(
        &self,
        op: BatchOp,
    ) -> impl Future<Output = Result<BatchDone, StorageError>> + Send + 'static {
        let (reply, answer) = oneshot::channel();
        let start = {
            let mut q = lock(&self.inner.queue);
            q.jobs.push(Job { op, reply });
            !std::mem::replace(&mut q.draining, true)
        };
        if start {
            let inner = self.inner.clone();
            tokio::spawn(async move { drain(inner).await });
        }
        async move {
            answer.await.unwrap_or_else(|_| {
                Err(StorageError::Corrupt(
                    "group commit: the writer stopped before answering".into(),
                ))
            })
        }
    }
}

fn mismatch() -> StorageError {
    StorageError::Corrupt("group commit: answer of another kind".into())
}

fn lock(m: &Mutex<Queue>) -> std::sync::MutexGuard<'_, Queue> {
    // A panic while holding this lock leaves a consistent queue (push / take only).
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Clears `draining` when the drain task ends, normally or by cancellation (runtime shut
/// down); queued writes left then are answered with an error by dropping their senders.
struct DrainGuard(Arc<Inner>);

impl Drop for DrainGuard {
    fn drop(&mut self) {
        let mut q = lock(&self.0.queue);
        q.draining = false;
        q.jobs.clear();
    }
}

async fn drain(inner: Arc<Inner>) {
    let guard = DrainGuard(inner);
    loop {
        let jobs: Vec<Job> = {
            let mut q = lock(&guard.0.queue);
            if q.jobs.is_empty() {
                q.draining = false;
                return;
            }
            let n = q.jobs.len().min(MAX_GROUP);
            q.jobs.drain(..n).collect()
        };
        commit(guard.0.storage.as_ref(), jobs).await;
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
