//! `sigap audit verify`: recomputes the whole chain from the database, page by page (never the
//! whole trail in memory), against the signed checkpoints, and names the first bad entry.
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

/// The result of a verification that could run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Intact(ChainSummary),
    Broken(Finding),
}

/// Verifies the trail in `storage` against the checkpoints in `checkpoint_file` (checked with
/// `key`; a missing file has none). The next page is read (in another task) while the current
/// one is checked.
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
    let fetch = move |after: i64| {
        let storage = storage.clone();
        tokio::spawn(async move { storage.audit_chain_page(after, up_to, PAGE).await })
    };
    let mut next = (head.seq > 0).then(|| fetch(0));
    while let Some(pending) = next.take() {
        let page = pending
            .await
            .map_err(|e| AuditError::Storage(format!("page reader stopped: {e}")))??;
        let Some(last) = page.last() else {
            break;
        };
        if page.len() as i64 == PAGE && last.seq < head.seq {
            next = Some(fetch(last.seq));
        }
        for entry in &page {
            if let Err(finding) = verifier.push(entry) {
                if let Some(p) = next.take() {
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
