//! The hash chain over `audit_events`: the canonical encoding of an entry, its hash, and the
//! streaming [`ChainVerifier`] that `sigap audit verify` (and the benchmark) feed entries to.
//!
//! # Canonical encoding, version 1
//!
//! ```text
//! entry_hash = SHA-256( prev_hash ‖ encoding )            prev_hash: 32 raw bytes
//! encoding   = "SIGAP-AUDIT" 0x00 0x01 field_1 … field_20  (0x01 = version)
//! field      = 0x00                                        NULL
//!            | 0x01 ‖ i64, 8 bytes big-endian              integer
//!            | 0x02 ‖ u32 big-endian byte length ‖ UTF-8   text
//! ```
//!
//! The twenty fields, in this order: `seq`, `at_ms`, `event`, `outcome`, `actor_account_id`,
//! `actor_username`, `institution_id`, `subject`, `detail` (the JSON text exactly as stored),
//! `client_ip`, `request_id`, `channel`, `purpose`, `local_user_id`, `dukcapil_user_id`,
//! `nik_hmac`, `nik_masked`, `outcome_code`, `quota_state`, `latency_ms`. Every stored column
//! is covered except the surrogate key `id` (assigned by the database after the hash is
//! computed; the chain position is `seq`) and the two hash columns themselves (`prev_hash` is
//! the hash's prefix, and verification checks it links to the previous entry). The first
//! entry (`seq` 1) has 32 zero bytes as `prev_hash`. Hashes are stored as lowercase hex.
//!
//! Length prefixes and type tags make the encoding injective (no two different rows encode
//! alike, `NULL` differs from `""`), and nothing depends on the database's formatting. A
//! future version 2 would change the version byte; verification then dispatches on it.

use crate::storage::{AuditRecord, ChainEntry, ChainHead};
use sha2::{Digest, Sha256};

/// The version byte of the encoding written today.
pub const ENCODING_VERSION: u8 = 1;
/// `prev_hash` of the first entry: 32 zero bytes, as hex.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";
const MAGIC: &[u8] = b"SIGAP-AUDIT\x00";

const TAG_NULL: u8 = 0;
const TAG_INT: u8 = 1;
const TAG_TEXT: u8 = 2;

fn put_int(b: &mut Vec<u8>, v: Option<i64>) {
    match v {
        None => b.push(TAG_NULL),
        Some(v) => {
            b.push(TAG_INT);
            b.extend_from_slice(&v.to_be_bytes());
        }
    }
}

fn put_text(b: &mut Vec<u8>, v: Option<&str>) {
    match v {
        None => b.push(TAG_NULL),
        Some(s) => {
            b.push(TAG_TEXT);
            // Texts over 4 GiB cannot be stored; saturating keeps this total.
            let len = u32::try_from(s.len()).unwrap_or(u32::MAX);
            b.extend_from_slice(&len.to_be_bytes());
            b.extend_from_slice(s.as_bytes());
        }
    }
}

/// An entry's hashed fields as borrowed values: an [`AuditRecord`] ([`AuditRecord::fields`]),
/// or the column values a database read hands out, encoded without copying them first.
#[derive(Debug, Clone, Copy)]
pub struct RecordFields<'a> {
    pub at_ms: i64,
    pub event: &'a str,
    pub outcome: &'a str,
    pub actor_account_id: Option<i64>,
    pub actor_username: Option<&'a str>,
    pub institution_id: Option<i64>,
    pub subject: Option<&'a str>,
    pub detail: &'a str,
    pub client_ip: Option<&'a str>,
    pub request_id: Option<&'a str>,
    pub channel: Option<&'a str>,
    pub purpose: Option<&'a str>,
    pub local_user_id: Option<&'a str>,
    pub dukcapil_user_id: Option<&'a str>,
    pub nik_hmac: Option<&'a str>,
    pub nik_masked: Option<&'a str>,
    pub outcome_code: Option<&'a str>,
    pub quota_state: Option<&'a str>,
    pub latency_ms: Option<i64>,
}

impl RecordFields<'_> {
    /// An owned record of these fields.
    pub fn to_record(&self) -> AuditRecord {
        let own = |v: Option<&str>| v.map(str::to_string);
        AuditRecord {
            at_ms: self.at_ms,
            event: self.event.to_string(),
            outcome: self.outcome.to_string(),
            actor_account_id: self.actor_account_id,
            actor_username: own(self.actor_username),
            institution_id: self.institution_id,
            subject: own(self.subject),
            detail: self.detail.to_string(),
            client_ip: own(self.client_ip),
            request_id: own(self.request_id),
            channel: own(self.channel),
            purpose: own(self.purpose),
            local_user_id: own(self.local_user_id),
            dukcapil_user_id: own(self.dukcapil_user_id),
            nik_hmac: own(self.nik_hmac),
            nik_masked: own(self.nik_masked),
            outcome_code: own(self.outcome_code),
            quota_state: own(self.quota_state),
            latency_ms: self.latency_ms,
        }
    }
}

impl AuditRecord {
    /// The record's hashed fields, borrowed.
    pub fn fields(&self) -> RecordFields<'_> {
        RecordFields {
            at_ms: self.at_ms,
            event: &self.event,
            outcome: &self.outcome,
            actor_account_id: self.actor_account_id,
            actor_username: self.actor_username.as_deref(),
            institution_id: self.institution_id,
            subject: self.subject.as_deref(),
            detail: &self.detail,
            client_ip: self.client_ip.as_deref(),
            request_id: self.request_id.as_deref(),
            channel: self.channel.as_deref(),
            purpose: self.purpose.as_deref(),
            local_user_id: self.local_user_id.as_deref(),
            dukcapil_user_id: self.dukcapil_user_id.as_deref(),
            nik_hmac: self.nik_hmac.as_deref(),
            nik_masked: self.nik_masked.as_deref(),
            outcome_code: self.outcome_code.as_deref(),
            quota_state: self.quota_state.as_deref(),
            latency_ms: self.latency_ms,
        }
    }
}

/// Writes `prev ‖ encoding` of the entry at `seq` into `buf` (cleared first): what is hashed.
pub fn encode_into(buf: &mut Vec<u8>, prev: &[u8; 32], seq: i64, r: &AuditRecord) {
    encode_fields_into(buf, prev, seq, &r.fields());
}

/// [`encode_into`] from borrowed fields: the one place the encoding is written.
pub fn encode_fields_into(buf: &mut Vec<u8>, prev: &[u8; 32], seq: i64, r: &RecordFields<'_>) {
    buf.clear();
    buf.extend_from_slice(prev);
    buf.extend_from_slice(MAGIC);
    buf.push(ENCODING_VERSION);
    put_int(buf, Some(seq));
    put_int(buf, Some(r.at_ms));
    put_text(buf, Some(r.event));
    put_text(buf, Some(r.outcome));
    put_int(buf, r.actor_account_id);
    put_text(buf, r.actor_username);
    put_int(buf, r.institution_id);
    put_text(buf, r.subject);
    put_text(buf, Some(r.detail));
    put_text(buf, r.client_ip);
    put_text(buf, r.request_id);
    put_text(buf, r.channel);
    put_text(buf, r.purpose);
    put_text(buf, r.local_user_id);
    put_text(buf, r.dukcapil_user_id);
    put_text(buf, r.nik_hmac);
    put_text(buf, r.nik_masked);
    put_text(buf, r.outcome_code);
    put_text(buf, r.quota_state);
    put_int(buf, r.latency_ms);
}

/// The hash of an entry from borrowed fields, after the `prev_hash` as stored (hex; zeros when
/// missing or not hex: [`ChainVerifier::push_link`] reports such a link before using the
/// hash), encoding into `buf`. Entries are independent, so pages hash on any core.
pub fn stored_link_hash(
    buf: &mut Vec<u8>,
    stored_prev: Option<&str>,
    seq: i64,
    r: &RecordFields<'_>,
) -> [u8; 32] {
    let prev = stored_prev.and_then(from_hex).unwrap_or([0u8; 32]);
    encode_fields_into(buf, &prev, seq, r);
    Sha256::digest(buf.as_slice()).into()
}

/// The hash of the entry at `seq` with these fields, after `prev`, encoding into `buf` (reuse
/// one buffer across entries: one allocation and one SHA-256 pass per entry).
pub fn entry_hash_with(buf: &mut Vec<u8>, prev: &[u8; 32], seq: i64, r: &AuditRecord) -> [u8; 32] {
    encode_into(buf, prev, seq, r);
    Sha256::digest(buf.as_slice()).into()
}

/// The hash of the entry at `seq` with these fields, after `prev`.
pub fn entry_hash(prev: &[u8; 32], seq: i64, r: &AuditRecord) -> [u8; 32] {
    let mut buf = Vec::with_capacity(512);
    entry_hash_with(&mut buf, prev, seq, r)
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Lowercase hex of a hash, into a stack buffer.
pub fn hex_bytes(hash: &[u8; 32]) -> [u8; 64] {
    let mut out = [0u8; 64];
    for (i, b) in hash.iter().enumerate() {
        out[2 * i] = HEX[usize::from(b >> 4)];
        out[2 * i + 1] = HEX[usize::from(b & 0x0f)];
    }
    out
}

/// Lowercase hex of a hash.
pub fn to_hex(hash: &[u8; 32]) -> String {
    // The digits are ASCII: one copy, no per-character encoding (this runs several times
    // for every access: token, NIK key, each chained entry).
    String::from_utf8(hex_bytes(hash).to_vec()).unwrap_or_default()
}

/// A stored hash back to bytes; `None` unless exactly 64 hex digits.
pub fn from_hex(text: &str) -> Option<[u8; 32]> {
    let t = text.as_bytes();
    if t.len() != 64 {
        return None;
    }
    let nibble = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    };
    let mut out = [0u8; 32];
    for (i, o) in out.iter_mut().enumerate() {
        *o = (nibble(t[2 * i])? << 4) | nibble(t[2 * i + 1])?;
    }
    Some(out)
}

/// What is wrong with the trail: the first problem found. `code()` is stable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// The entry's fields do not hash to its stored hash: edited after it was written.
    Edited { seq: i64, id: i64 },
    /// No entry at `seq`: deleted (the next stored entry is `next_seq`, or none).
    Missing { seq: i64, next_seq: Option<i64> },
    /// The entry at `seq` does not link to the entry before it: moved, swapped or inserted.
    Reordered { seq: i64, id: i64 },
    /// A row with no chain position: written outside the chain.
    Unchained { id: i64 },
    /// The chain ends at `last_seq` but the signed checkpoint on line `line` covers `seq`.
    TruncatedAfterCheckpoint {
        line: usize,
        seq: i64,
        last_seq: i64,
    },
    /// The chain ends before the head the database itself records.
    TruncatedBeforeHead { last_seq: i64, head_seq: i64 },
    /// The head's hash is not the last entry's hash.
    HeadMismatch { head_seq: i64 },
    /// The stored entry at `seq` is not the one the checkpoint on line `line` signed: the
    /// chain was rewritten from there or earlier.
    CheckpointMismatch { line: usize, seq: i64 },
    /// The checkpoint on `line` does not carry a valid signature of our key.
    BadSignature { line: usize },
    /// The checkpoint file's `line` cannot be read as a checkpoint.
    MalformedCheckpoint { line: usize, reason: String },
}

impl Finding {
    /// Stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Finding::Edited { .. } => "AUDIT_ENTRY_EDITED",
            Finding::Missing { .. } => "AUDIT_ENTRY_MISSING",
            Finding::Reordered { .. } => "AUDIT_ENTRY_REORDERED",
            Finding::Unchained { .. } => "AUDIT_ENTRY_UNCHAINED",
            Finding::TruncatedAfterCheckpoint { .. } | Finding::TruncatedBeforeHead { .. } => {
                "AUDIT_CHAIN_TRUNCATED"
            }
            Finding::HeadMismatch { .. } => "AUDIT_HEAD_MISMATCH",
            Finding::CheckpointMismatch { .. } => "AUDIT_CHECKPOINT_MISMATCH",
            Finding::BadSignature { .. } => "AUDIT_CHECKPOINT_BAD_SIGNATURE",
            Finding::MalformedCheckpoint { .. } => "AUDIT_CHECKPOINT_MALFORMED",
        }
    }
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Finding::Edited { seq, id } => write!(
                f,
                "entry seq {seq} (id {id}) was edited: its fields do not match its hash"
            ),
            Finding::Missing { seq, next_seq } => match next_seq {
                Some(n) => write!(
                    f,
                    "entry seq {seq} is missing (deleted): the next stored entry is seq {n}"
                ),
                None => write!(f, "entry seq {seq} is missing (deleted)"),
            },
            Finding::Reordered { seq, id } => write!(
                f,
                "entry seq {seq} (id {id}) is out of order: it does not follow entry seq {} \
                 (reordered or inserted)",
                seq - 1
            ),
            Finding::Unchained { id } => write!(
                f,
                "entry id {id} has no chain position: written outside the audit chain"
            ),
            Finding::TruncatedAfterCheckpoint {
                line,
                seq,
                last_seq,
            } => write!(
                f,
                "chain truncated after checkpoint {line}: the checkpoint signs entry seq {seq} \
                 but the chain ends at seq {last_seq} (entry seq {} is missing)",
                last_seq + 1
            ),
            Finding::TruncatedBeforeHead { last_seq, head_seq } => write!(
                f,
                "chain truncated: it ends at seq {last_seq} but its head records seq {head_seq} \
                 (entry seq {} is missing)",
                last_seq + 1
            ),
            Finding::HeadMismatch { head_seq } => write!(
                f,
                "the chain head (seq {head_seq}) does not match the last entry's hash"
            ),
            Finding::CheckpointMismatch { line, seq } => write!(
                f,
                "entry seq {seq} differs from signed checkpoint {line}: the chain was \
                 rewritten at or before seq {seq}"
            ),
            Finding::BadSignature { line } => {
                write!(
                    f,
                    "checkpoint {line} has a bad signature (forged or altered)"
                )
            }
            Finding::MalformedCheckpoint { line, reason } => {
                write!(f, "checkpoint {line} cannot be read: {reason}")
            }
        }
    }
}

/// What the in-order checks need of an entry once its hash is computed: its place, its stored
/// hashes (as read, so a malformed one is reported, not refused on reading) and the hash
/// recomputed over its fields and its stored `prev_hash` ([`stored_link_hash`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainLink {
    pub id: i64,
    pub seq: i64,
    pub prev_hash: Option<String>,
    pub entry_hash: Option<String>,
    pub computed: [u8; 32],
}

impl ChainLink {
    /// The links of entries read as whole rows: the reference the backends' page reads
    /// (`AuditEventStore::audit_chain_links`, hashing from borrowed column values) are tested
    /// against, and the in-memory verification of the unit tests.
    pub fn of_page(entries: Vec<ChainEntry>) -> Vec<ChainLink> {
        let mut buf = Vec::with_capacity(512);
        entries
            .into_iter()
            .map(|e| {
                let computed =
                    stored_link_hash(&mut buf, e.prev_hash.as_deref(), e.seq, &e.record.fields());
                ChainLink {
                    id: e.id,
                    seq: e.seq,
                    prev_hash: e.prev_hash,
                    entry_hash: e.entry_hash,
                    computed,
                }
            })
            .collect()
    }
}

/// A checkpoint whose signature has been checked: the line it came from and what it signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckedCheckpoint {
    /// 1-based line in the checkpoint file (the checkpoint's number in messages).
    pub line: usize,
    pub seq: i64,
    pub hash: [u8; 32],
}

/// An intact chain's summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainSummary {
    pub entries: u64,
    pub checkpoints: usize,
    pub last_seq: i64,
    pub last_hash: String,
}

/// Checks entries fed in `seq` order against each other and against signed checkpoints.
pub struct ChainVerifier {
    next_seq: i64,
    prev: [u8; 32],
    entries: u64,
    /// Sorted by seq; `cp_next` is the first not yet reached.
    checkpoints: Vec<CheckedCheckpoint>,
    cp_next: usize,
    /// The encoding buffer, reused for every entry.
    buf: Vec<u8>,
}

impl ChainVerifier {
    /// A verifier starting at seq 1, with checkpoints already signature-checked.
    pub fn new(mut checkpoints: Vec<CheckedCheckpoint>) -> ChainVerifier {
        checkpoints.sort_by_key(|c| (c.seq, c.line));
        ChainVerifier {
            next_seq: 1,
            prev: [0u8; 32],
            entries: 0,
            checkpoints,
            cp_next: 0,
            buf: Vec::with_capacity(512),
        }
    }

    /// The next entry, in seq order, hashed here over the previous entry's hash.
    ///
    /// # Errors
    /// The first problem with it.
    pub fn push(&mut self, e: &ChainEntry) -> Result<(), Finding> {
        let computed = entry_hash_with(&mut self.buf, &self.prev, e.seq, &e.record);
        self.check(
            e.id,
            e.seq,
            e.prev_hash.as_deref(),
            e.entry_hash.as_deref(),
            &computed,
        )
    }

    /// The next entry, in seq order, with its hash already computed over its fields and its
    /// **stored** `prev_hash` ([`ChainLink`], [`stored_link_hash`]), so pages can be hashed on
    /// other cores while this checks them in order: the stored `prev_hash` is checked against
    /// the previous entry's hash before `computed` is used, so a hash over it is the hash over
    /// the chain.
    ///
    /// # Errors
    /// The first problem with it.
    pub fn push_link(&mut self, l: &ChainLink) -> Result<(), Finding> {
        self.check(
            l.id,
            l.seq,
            l.prev_hash.as_deref(),
            l.entry_hash.as_deref(),
            &l.computed,
        )
    }

    fn check(
        &mut self,
        id: i64,
        seq: i64,
        stored_prev: Option<&str>,
        stored_hash: Option<&str>,
        computed: &[u8; 32],
    ) -> Result<(), Finding> {
        if seq != self.next_seq {
            return Err(Finding::Missing {
                seq: self.next_seq,
                next_seq: Some(seq),
            });
        }
        let hex_prev = hex_bytes(&self.prev);
        if stored_prev.map(str::as_bytes) != Some(&hex_prev[..]) {
            return Err(Finding::Reordered { seq, id });
        }
        if stored_hash.map(str::as_bytes) != Some(&hex_bytes(computed)[..]) {
            return Err(Finding::Edited { seq, id });
        }
        while let Some(cp) = self.checkpoints.get(self.cp_next) {
            if cp.seq > seq {
                break;
            }
            // Checkpoints below the current seq were matched when their entry passed; one
            // below seq 1 (never written) cannot match anything.
            if cp.seq != seq || cp.hash != *computed {
                return Err(Finding::CheckpointMismatch {
                    line: cp.line,
                    seq: cp.seq,
                });
            }
            self.cp_next += 1;
        }
        self.prev = *computed;
        self.next_seq += 1;
        self.entries += 1;
        Ok(())
    }

    /// The seq of the last entry accepted (0 when none).
    pub fn last_seq(&self) -> i64 {
        self.next_seq - 1
    }

    /// After the last entry: checkpoints beyond the end mean truncation; the head must be the
    /// last entry.
    ///
    /// # Errors
    /// Truncation or a head that does not match.
    pub fn finish(self, head: &ChainHead) -> Result<ChainSummary, Finding> {
        let last_seq = self.last_seq();
        if let Some(cp) = self.checkpoints.get(self.cp_next) {
            return Err(Finding::TruncatedAfterCheckpoint {
                line: cp.line,
                seq: cp.seq,
                last_seq,
            });
        }
        if head.seq > last_seq {
            return Err(Finding::TruncatedBeforeHead {
                last_seq,
                head_seq: head.seq,
            });
        }
        if head.seq != last_seq || head.hash.as_bytes() != &hex_bytes(&self.prev)[..] {
            return Err(Finding::HeadMismatch { head_seq: head.seq });
        }
        Ok(ChainSummary {
            entries: self.entries,
            checkpoints: self.checkpoints.len(),
            last_seq,
            last_hash: to_hex(&self.prev),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(n: i64) -> AuditRecord {
        AuditRecord {
            at_ms: 1_795_000_000_000 + n,
            event: "nik.lookup".into(),
            outcome: "success".into(),
            actor_account_id: Some(7),
            actor_username: Some("operator1".into()),
            institution_id: Some(1),
            subject: None,
            detail: "{}".into(),
            client_ip: Some("127.0.0.1".into()),
            request_id: Some(format!("req-{n}")),
            channel: Some("web".into()),
            purpose: Some("bantuan".into()),
            local_user_id: Some("L-1".into()),
            dukcapil_user_id: Some("BPBD3313".into()),
            nik_hmac: Some("ab".repeat(32)),
            nik_masked: Some("3313********0001".into()),
            outcome_code: Some("00".into()),
            quota_state: Some("1/100".into()),
            latency_ms: Some(12),
        }
    }

    fn chain(n: i64) -> Vec<ChainEntry> {
        let mut prev = [0u8; 32];
        (1..=n)
            .map(|seq| {
                let record = record(seq);
                let h = entry_hash(&prev, seq, &record);
                let e = ChainEntry {
                    id: seq + 100,
                    seq,
                    prev_hash: Some(to_hex(&prev)),
                    entry_hash: Some(to_hex(&h)),
                    record,
                };
                prev = h;
                e
            })
            .collect()
    }

    fn head_of(entries: &[ChainEntry]) -> ChainHead {
        entries.last().map_or(
            ChainHead {
                seq: 0,
                hash: GENESIS_HASH.into(),
            },
            |e| ChainHead {
                seq: e.seq,
                hash: e.entry_hash.clone().unwrap(),
            },
        )
    }

    fn run(entries: &[ChainEntry], cps: Vec<CheckedCheckpoint>) -> Result<ChainSummary, Finding> {
        let mut v = ChainVerifier::new(cps);
        for e in entries {
            v.push(e)?;
        }
        v.finish(&head_of(entries))
    }

    fn run_ahead(
        entries: &[ChainEntry],
        cps: Vec<CheckedCheckpoint>,
    ) -> Result<ChainSummary, Finding> {
        let mut v = ChainVerifier::new(cps);
        for l in &ChainLink::of_page(entries.to_vec()) {
            v.push_link(l)?;
        }
        v.finish(&head_of(entries))
    }

    /// Hashing ahead over the stored `prev_hash` finds exactly what hashing in order finds.
    #[test]
    fn hashing_ahead_finds_what_hashing_in_order_finds() {
        let entries = chain(8);
        let mut cases = vec![entries.clone()];
        let mut edited = entries.clone();
        edited[2].record.purpose = Some("lain".into());
        cases.push(edited);
        let mut deleted = entries.clone();
        deleted.remove(5);
        cases.push(deleted);
        // An entry rewritten to link to a forged predecessor: its own hash is consistent with
        // the forged prev_hash, so only the link check can catch it.
        let mut relinked = entries.clone();
        let forged = [9u8; 32];
        relinked[4].prev_hash = Some(to_hex(&forged));
        relinked[4].entry_hash = Some(to_hex(&entry_hash(&forged, 5, &relinked[4].record)));
        cases.push(relinked);
        let mut not_hex = entries.clone();
        not_hex[1].prev_hash = Some("zz".into());
        cases.push(not_hex);
        let mut no_prev = entries.clone();
        no_prev[0].prev_hash = None;
        cases.push(no_prev);
        let mut swapped = entries.clone();
        swapped.swap(3, 4);
        cases.push(swapped);
        for (i, case) in cases.iter().enumerate() {
            let cp = vec![CheckedCheckpoint {
                line: 1,
                seq: 6,
                hash: from_hex(entries[5].entry_hash.as_deref().unwrap()).unwrap(),
            }];
            assert_eq!(run_ahead(case, cp.clone()), run(case, cp), "case {i}");
        }
        assert!(run_ahead(&entries, vec![]).is_ok());
        assert_eq!(
            run_ahead(&cases[3], vec![]),
            Err(Finding::Reordered { seq: 5, id: 105 })
        );
    }

    #[test]
    fn hex_round_trips() {
        let h = entry_hash(&[7u8; 32], 3, &record(3));
        assert_eq!(from_hex(&to_hex(&h)), Some(h));
        assert_eq!(from_hex("zz"), None);
        assert_eq!(from_hex(GENESIS_HASH), Some([0u8; 32]));
    }

    #[test]
    fn null_and_empty_text_hash_differently_and_every_field_counts() {
        let base = record(1);
        let h = entry_hash(&[0; 32], 1, &base);
        let mut a = base.clone();
        a.subject = Some(String::new());
        assert_ne!(entry_hash(&[0; 32], 1, &a), h);
        let mut b = base.clone();
        b.latency_ms = Some(13);
        assert_ne!(entry_hash(&[0; 32], 1, &b), h);
        // Moving bytes between adjacent fields changes the hash (length prefixes).
        let mut c = base.clone();
        c.event = "nik.looku".into();
        c.outcome = "psuccess".into();
        assert_ne!(entry_hash(&[0; 32], 1, &c), h);
        assert_ne!(entry_hash(&[0; 32], 2, &base), h);
        assert_ne!(entry_hash(&[1; 32], 1, &base), h);
    }

    #[test]
    fn intact_chain_passes_and_tampering_is_named() {
        let entries = chain(10);
        let ok = run(&entries, vec![]).unwrap();
        assert_eq!((ok.entries, ok.last_seq), (10, 10));

        let mut edited = entries.clone();
        edited[3].record.outcome_code = Some("05".into());
        assert_eq!(
            run(&edited, vec![]),
            Err(Finding::Edited { seq: 4, id: 104 })
        );

        let mut deleted = entries.clone();
        deleted.remove(4);
        assert_eq!(
            run(&deleted, vec![]),
            Err(Finding::Missing {
                seq: 5,
                next_seq: Some(6)
            })
        );

        let mut swapped = entries.clone();
        swapped.swap(2, 3);
        swapped[2].seq = 3;
        swapped[3].seq = 4;
        assert_eq!(
            run(&swapped, vec![]),
            Err(Finding::Reordered { seq: 3, id: 104 })
        );

        let cp = CheckedCheckpoint {
            line: 2,
            seq: 8,
            hash: from_hex(entries[7].entry_hash.as_deref().unwrap()).unwrap(),
        };
        assert!(run(&entries, vec![cp]).is_ok());
        assert_eq!(
            run(&entries[..6], vec![cp]),
            Err(Finding::TruncatedAfterCheckpoint {
                line: 2,
                seq: 8,
                last_seq: 6
            })
        );
        let wrong = CheckedCheckpoint {
            hash: [9; 32],
            ..cp
        };
        assert_eq!(
            run(&entries, vec![wrong]),
            Err(Finding::CheckpointMismatch { line: 2, seq: 8 })
        );
    }

    #[test]
    fn head_beyond_the_last_entry_is_truncation() {
        let entries = chain(5);
        let mut v = ChainVerifier::new(vec![]);
        for e in &entries[..3] {
            v.push(e).unwrap();
        }
        assert_eq!(
            v.finish(&head_of(&entries)),
            Err(Finding::TruncatedBeforeHead {
                last_seq: 3,
                head_seq: 5
            })
        );
    }
}
