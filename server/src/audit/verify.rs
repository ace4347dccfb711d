//! `sigap audit verify`: recomputes the whole chain from the database, page by page (never the
//! whole trail in memory), against the signed checkpoints, and names the first bad entry.
//!
//! Pages are read several ahead (each on its own connection: on SQLite straight from the
//! file through rusqlite, `storage::sqlite_sync::ChainPageReaders`; on PostgreSQL as rows)
//! and hashed on blocking threads; the checks themselves run in seq order.
//!
//! Order of checks: every checkpoint's signature (a forged or altered checkpoint is reported
//! first); then entries in seq order up to the head read at the start (gapless seq, `prev_hash`
//! links to the previous entry, the hash of the canonical encoding, each checkpoint's
//! `(seq, hash)` equals the stored entry); then rows with no chain position; then truncation
//! (the chain must reach the newest checkpoint and the head).

use super::AuditError;
use super::chain::{ChainSummary, ChainVerifier, Finding};
use crate::storage::Storage;
use ed25519_dalek::VerifyingKey;
use std::path::Path;
use std::sync::Arc;

/// Entries read per query.
pub const PAGE: i64 = 10_000;
/// Pages read at once (each on its own connection) ahead of the one being checked.
const READ_AHEAD: usize = 3;

/// The result of a verification that could run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Intact(ChainSummary),
    Broken(Finding),
}

/// Verifies the trail in `storage` against the checkpoints in `checkpoint_file` (checked with
/// `key`; a missing file has none). The next pages are read (in other tasks, on their own
/// connections) while the current one is checked.
///
/// # Errors
/// When verification cannot run (database or file unreadable, checkpoints without a key).
pub async fn verify(
    storage: Arc<dyn Storage>,
    checkpoint_file: &Path,
    key: Option<&VerifyingKey>,
) -> Result<Verdict, AuditError> {
    let checkpoints = match super::checkpoint::read_checked(checkpoint_file, key)? {
        Ok(c) => c,
        Err(finding) => return Ok(Verdict::Broken(finding)),
    };
    let head = storage.audit_chain_head().await?;
    let unchained = storage.clone();
    let mut verifier = ChainVerifier::new(checkpoints);
    let up_to = head.seq;
    // Pages are fixed seq ranges ((k-1)·PAGE, k·PAGE], read READ_AHEAD at a time on separate
    // connections while the oldest is checked; a range with rows missing simply comes back
    // shorter and the verifier names the gap.
    // Each page is hashed where it was read (`audit_chain_links`, on a blocking thread, so on
    // any core); the loop below only compares, in order.
    let fetch = move |after: i64| {
        let storage = storage.clone();
        tokio::spawn(async move { storage.audit_chain_links(after, up_to, PAGE).await })
    };
    let mut pending = std::collections::VecDeque::new();
    let mut next_start = 0i64;
    let mut fill = |pending: &mut std::collections::VecDeque<_>| {
        while pending.len() < READ_AHEAD && next_start < up_to {
            pending.push_back(fetch(next_start));
            next_start += PAGE;
        }
    };
    fill(&mut pending);
    while let Some(task) = pending.pop_front() {
        fill(&mut pending);
        let links = task
            .await
            .map_err(|e| AuditError::Storage(format!("page reader stopped: {e}")))??;
        for link in &links {
            if let Err(finding) = verifier.push_link(link) {
                for p in pending {
                    p.abort();
                }
                return Ok(Verdict::Broken(finding));
            }
        }
    }
    if let Some(id) = unchained.audit_first_unchained().await? {
        return Ok(Verdict::Broken(Finding::Unchained { id }));
    }
    Ok(match verifier.finish(&head) {
        Ok(summary) => Verdict::Intact(summary),
        Err(finding) => Verdict::Broken(finding),
    })
}
