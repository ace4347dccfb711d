//! Signed checkpoints of the audit chain, kept outside the database: a line of JSON per
//! checkpoint appended to `[audit] checkpoint_file`, written by a background task every few
//! seconds when the head moved (and on shutdown), and by `sigap audit checkpoint`.
//!
//! ```text
//! {"v":1,"seq":1234,"entry_hash":"<hex>","at_ms":1795712400000,"key_id":"<8 hex>","signature":"<base64>"}
//! signature = ed25519(signing key, "SIGAP-AUDIT-CHECKPOINT" 0x00 0x01 ‖ seq i64 BE ‖ hash 32 bytes ‖ at_ms i64 BE)
//! key_id    = first 4 bytes of SHA-256(public key), hex
//! ```
//!
//! Whoever can edit the database can recompute the whole hash chain, but cannot sign: a
//! checkpoint pins `(seq, entry_hash)`, so rewriting or truncating the chain before it is
//! detected by `sigap audit verify`.

use super::AuditError;
use super::chain::{self, CheckedCheckpoint, Finding};
use crate::storage::Storage;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;
use std::io::{BufRead, Write};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

const MESSAGE_PREFIX: &[u8] = b"SIGAP-AUDIT-CHECKPOINT\x00";
const VERSION: u8 = 1;

/// One checkpoint line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    pub v: u8,
    pub seq: i64,
    pub entry_hash: String,
    pub at_ms: i64,
    pub key_id: String,
    pub signature: String,
}

fn message(seq: i64, hash: &[u8; 32], at_ms: i64) -> Vec<u8> {
    let mut m = Vec::with_capacity(MESSAGE_PREFIX.len() + 1 + 8 + 32 + 8);
    m.extend_from_slice(MESSAGE_PREFIX);
    m.push(VERSION);
    m.extend_from_slice(&seq.to_be_bytes());
    m.extend_from_slice(hash);
    m.extend_from_slice(&at_ms.to_be_bytes());
    m
}

/// The id of a verifying key: 8 hex digits of SHA-256 of the public key.
pub fn key_id(key: &VerifyingKey) -> String {
    let digest = Sha256::digest(key.as_bytes());
    digest[..4].iter().map(|b| format!("{b:02x}")).collect()
}

/// Signs checkpoints. `Debug` shows only the key id.
pub struct CheckpointSigner {
    key: SigningKey,
}

impl CheckpointSigner {
    pub fn from_bytes(secret: &[u8; 32]) -> CheckpointSigner {
        CheckpointSigner {
            key: SigningKey::from_bytes(secret),
        }
    }

    /// The public half, for verification.
    pub fn verifying_key(&self) -> VerifyingKey {
        self.key.verifying_key()
    }

    /// A signed checkpoint of the entry `seq` with hash `entry_hash` (hex).
    ///
    /// # Errors
    /// `AUDIT_STORAGE` when the hash is not 64 hex digits.
    pub fn sign(&self, seq: i64, entry_hash: &str, at_ms: i64) -> Result<Checkpoint, AuditError> {
        let hash = chain::from_hex(entry_hash)
            .ok_or_else(|| AuditError::Storage("the chain head's hash is not hex".into()))?;
        let sig = self.key.sign(&message(seq, &hash, at_ms));
        Ok(Checkpoint {
            v: VERSION,
            seq,
            entry_hash: chain::to_hex(&hash),
            at_ms,
            key_id: key_id(&self.verifying_key()),
            signature: STANDARD.encode(sig.to_bytes()),
        })
    }
}

impl fmt::Debug for CheckpointSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CheckpointSigner(key {})", key_id(&self.verifying_key()))
    }
}

/// Whether `cp` is signed by `key` over exactly its fields.
pub fn signature_ok(key: &VerifyingKey, cp: &Checkpoint) -> bool {
    if cp.v != VERSION || cp.key_id != key_id(key) {
        return false;
    }
    let Some(hash) = chain::from_hex(&cp.entry_hash) else {
        return false;
    };
    let Ok(bytes) = STANDARD.decode(&cp.signature) else {
        return false;
    };
    let Ok(sig) = Signature::from_slice(&bytes) else {
        return false;
    };
    key.verify(&message(cp.seq, &hash, cp.at_ms), &sig).is_ok()
}

/// Appends one checkpoint line (one write, then fsync).
///
/// # Errors
/// `AUDIT_CHECKPOINT_FILE` when the file cannot be written.
pub fn append_checkpoint(path: &Path, cp: &Checkpoint) -> Result<(), AuditError> {
    let io = |e: std::io::Error| AuditError::File(format!("{}: {e}", path.display()));
    let mut line = serde_json::to_string(cp).map_err(|e| AuditError::File(e.to_string()))?;
    line.push('\n');
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(io)?;
    f.write_all(line.as_bytes()).map_err(io)?;
    f.sync_data().map_err(io)
}

/// Reads the checkpoint file (a missing file has none) and checks every signature, line by
/// line; keeps only what verification needs per checkpoint.
///
/// # Errors
/// Outer: the file cannot be read, or there are checkpoints but no key to check them. Inner:
/// the first malformed or badly signed line.
pub fn read_checked(
    path: &Path,
    key: Option<&VerifyingKey>,
) -> Result<Result<Vec<CheckedCheckpoint>, Finding>, AuditError> {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Ok(Vec::new())),
        Err(e) => return Err(AuditError::File(format!("{}: {e}", path.display()))),
    };
    let mut out = Vec::new();
    for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line_no = i + 1;
        let line = line.map_err(|e| AuditError::File(format!("{}: {e}", path.display())))?;
        if line.trim().is_empty() {
            continue;
        }
        let cp: Checkpoint = match serde_json::from_str(&line) {
            Ok(cp) => cp,
            Err(e) => {
                return Ok(Err(Finding::MalformedCheckpoint {
                    line: line_no,
                    reason: e.to_string(),
                }));
            }
        };
        let Some(key) = key else {
            return Err(AuditError::Config {
                key: "audit.signing_key_file".into(),
                message: format!(
                    "{} holds checkpoints but no signing key is configured to check them",
                    path.display()
                ),
            });
        };
        if !signature_ok(key, &cp) {
            return Ok(Err(Finding::BadSignature { line: line_no }));
        }
        let Some(hash) = chain::from_hex(&cp.entry_hash) else {
            return Ok(Err(Finding::BadSignature { line: line_no }));
        };
        out.push(CheckedCheckpoint {
            line: line_no,
            seq: cp.seq,
            hash,
        });
    }
    Ok(Ok(out))
}

/// Signs the current head and appends it to the file; `None` while the chain is empty.
///
/// # Errors
/// Storage or file errors.
pub async fn write_checkpoint(
    storage: &dyn Storage,
    signer: &CheckpointSigner,
    path: &Path,
    now_ms: i64,
) -> Result<Option<Checkpoint>, AuditError> {
    let head = storage.audit_chain_head().await?;
    if head.seq == 0 {
        return Ok(None);
    }
    let cp = signer.sign(head.seq, &head.hash, now_ms)?;
    append_checkpoint(path, &cp)?;
    Ok(Some(cp))
}

/// The background checkpoint writer; [`Checkpointer::shutdown`] writes a last checkpoint.
pub struct Checkpointer {
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Checkpointer {
    /// Starts writing a checkpoint every `interval` when the head moved.
    pub fn spawn(
        storage: Arc<dyn Storage>,
        keys: Arc<super::AuditKeys>,
        interval: Duration,
    ) -> Option<Checkpointer> {
        keys.signer.as_ref()?;
        let (stop, mut stopped) = tokio::sync::watch::channel(false);
        let task = tokio::spawn(async move {
            let mut last: Option<i64> = None;
            loop {
                let done = tokio::select! {
                    _ = tokio::time::sleep(interval) => false,
                    _ = stopped.changed() => true,
                };
                tick(storage.as_ref(), &keys, &mut last).await;
                if done {
                    break;
                }
            }
        });
        Some(Checkpointer { stop, task })
    }

    /// Stops the task after a final checkpoint (if the head moved since the last one).
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

async fn tick(storage: &dyn Storage, keys: &super::AuditKeys, last: &mut Option<i64>) {
    let Some(signer) = &keys.signer else {
        return;
    };
    let head = match storage.audit_chain_head().await {
        Ok(h) => h,
        Err(e) => {
            tracing::warn!(
                code = e.code(),
                "audit checkpoint: cannot read the chain head"
            );
            return;
        }
    };
    if head.seq == 0 || *last == Some(head.seq) {
        return;
    }
    let result = signer
        .sign(head.seq, &head.hash, crate::now_ms())
        .and_then(|cp| append_checkpoint(&keys.checkpoint_file, &cp));
    match result {
        Ok(()) => *last = Some(head.seq),
        Err(e) => tracing::warn!(code = e.code(), error = %e, "audit checkpoint not written"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_cover_every_field() {
        let signer = CheckpointSigner::from_bytes(&[3; 32]);
        let key = signer.verifying_key();
        let cp = signer.sign(42, &"ab".repeat(32), 1_000).unwrap();
        assert!(signature_ok(&key, &cp));
        for forged in [
            Checkpoint {
                seq: 43,
                ..cp.clone()
            },
            Checkpoint {
                entry_hash: "ac".repeat(32),
                ..cp.clone()
            },
            Checkpoint {
                at_ms: 1_001,
                ..cp.clone()
            },
            Checkpoint {
                signature: STANDARD.encode([0u8; 64]),
                ..cp.clone()
            },
        ] {
            assert!(!signature_ok(&key, &forged), "{forged:?}");
        }
        let other = CheckpointSigner::from_bytes(&[4; 32]);
        assert!(!signature_ok(&other.verifying_key(), &cp));
        assert!(!format!("{signer:?}").contains("0303"));
    }

    #[test]
    fn file_round_trip_and_bad_lines_are_named() {
        let dir = std::env::temp_dir().join(format!("sigap-cp-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("cp.jsonl");
        let signer = CheckpointSigner::from_bytes(&[5; 32]);
        let key = signer.verifying_key();
        assert_eq!(read_checked(&path, Some(&key)).unwrap(), Ok(vec![]));
        append_checkpoint(&path, &signer.sign(1, &"01".repeat(32), 10).unwrap()).unwrap();
        append_checkpoint(&path, &signer.sign(5, &"05".repeat(32), 20).unwrap()).unwrap();
        let ok = read_checked(&path, Some(&key)).unwrap().unwrap();
        assert_eq!(
            ok.iter().map(|c| (c.line, c.seq)).collect::<Vec<_>>(),
            vec![(1, 1), (2, 5)]
        );
        assert!(read_checked(&path, None).is_err());
        std::fs::write(&path, "not json\n").unwrap();
        assert!(matches!(
            read_checked(&path, Some(&key)).unwrap(),
            Err(Finding::MalformedCheckpoint { line: 1, .. })
        ));
        std::fs::remove_dir_all(dir).unwrap();
    }
}
