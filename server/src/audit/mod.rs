//! The audit trail's keys, checkpoints and verification (issue 5). Storage of the entries and
//! the chained append live in `storage::audit_events`; this module owns what surrounds it:
//!
//! * [`chain`]: the canonical encoding and hash of an entry, the streaming verifier;
//! * [`nik`]: the NIK's keyed HMAC and masked form ([`NikKey`], [`nik_hmac`], [`ProtectedNik`]);
//! * [`checkpoint`]: ed25519-signed checkpoints appended to a file outside the database, the
//!   background [`Checkpointer`];
//! * [`verify`]: `sigap audit verify` over the configured database;
//! * [`cli`]: the `sigap audit …` commands;
//! * [`AuditConfig`] (`[audit]`) and [`AuditKeys`] (loaded keys; demo keys are generated
//!   under the data folder with mode 0600).

pub mod chain;
pub mod checkpoint;
pub mod cli;
pub mod nik;
pub mod verify;

pub use checkpoint::{Checkpoint, CheckpointSigner, Checkpointer};
pub use nik::{NikKey, ProtectedNik, nik_hmac, nik_masked};
pub use verify::{Verdict, verify};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use secrecy::zeroize::Zeroizing;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Demo key files under the data folder.
pub const DEMO_SIGNING_KEY_FILE: &str = "audit-signing.key";
pub const DEMO_NIK_KEY_FILE: &str = "audit-nik.key";
/// The checkpoint file under the data folder when `checkpoint_file` is not set.
pub const DEFAULT_CHECKPOINT_FILE: &str = "audit-checkpoints.jsonl";

/// The `[audit]` configuration section.
///
/// ```toml
/// [audit]
/// signing_key_file = "/etc/sigap/audit-signing.key"   # ed25519 secret, base64 of 32 bytes
/// nik_key_file = "/etc/sigap/audit-nik.key"           # HMAC key, base64 of 32 bytes
/// checkpoint_file = "/var/lib/sigap-audit/checkpoints.jsonl"  # default <data_dir>/audit-checkpoints.jsonl
/// checkpoint_interval_secs = 5
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuditConfig {
    pub signing_key_file: Option<PathBuf>,
    pub nik_key_file: Option<PathBuf>,
    pub checkpoint_file: Option<PathBuf>,
    pub checkpoint_interval_secs: u64,
}

impl Default for AuditConfig {
    fn default() -> Self {
        AuditConfig {
            signing_key_file: None,
            nik_key_file: None,
            checkpoint_file: None,
            checkpoint_interval_secs: 5,
        }
    }
}

impl AuditConfig {
    /// Checks what can be checked without reading files.
    ///
    /// # Errors
    /// A message naming the key.
    pub fn validate(&self) -> Result<(), (String, String)> {
        if !(1..=3600).contains(&self.checkpoint_interval_secs) {
            return Err((
                "audit.checkpoint_interval_secs".into(),
                "must be between 1 and 3600 seconds".into(),
            ));
        }
        Ok(())
    }

    /// The checkpoint file in force.
    pub fn effective_checkpoint_file(&self, data_dir: &Path) -> PathBuf {
        self.checkpoint_file
            .clone()
            .unwrap_or_else(|| data_dir.join(DEFAULT_CHECKPOINT_FILE))
    }
}

/// Why the audit machinery could not do its work. `code()` is stable.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("configuration key `{key}`: {message}")]
    Config { key: String, message: String },
    #[error("checkpoint file {0}")]
    File(String),
    #[error("audit storage: {0}")]
    Storage(String),
}

impl AuditError {
    pub fn code(&self) -> &'static str {
        match self {
            AuditError::Config { .. } => "AUDIT_CONFIG",
            AuditError::File(_) => "AUDIT_CHECKPOINT_FILE",
            AuditError::Storage(_) => "AUDIT_STORAGE",
        }
    }
}

impl From<crate::storage::StorageError> for AuditError {
    fn from(e: crate::storage::StorageError) -> Self {
        AuditError::Storage(e.to_string())
    }
}

/// The loaded audit keys and where checkpoints go. `Debug` shows no key material.
#[derive(Debug)]
pub struct AuditKeys {
    /// `None` outside demo mode without `nik_key_file`: NIK access must then be refused.
    pub nik: Option<NikKey>,
    /// `None` outside demo mode without `signing_key_file`: no checkpoints are written.
    pub signer: Option<CheckpointSigner>,
    pub checkpoint_file: PathBuf,
    pub checkpoint_interval: Duration,
}

impl AuditKeys {
    /// The keys the configuration names; in demo mode, missing ones are generated (0600)
    /// under the data folder and reused.
    ///
    /// # Errors
    /// `AUDIT_CONFIG` naming the key or file at fault.
    pub fn load(
        config: &AuditConfig,
        data_dir: &Path,
        demo: bool,
    ) -> Result<AuditKeys, AuditError> {
        config
            .validate()
            .map_err(|(key, message)| AuditError::Config { key, message })?;
        let signing = key_bytes(
            config.signing_key_file.as_deref(),
            "audit.signing_key_file",
            data_dir,
            DEMO_SIGNING_KEY_FILE,
            demo,
        )?;
        let nik = key_bytes(
            config.nik_key_file.as_deref(),
            "audit.nik_key_file",
            data_dir,
            DEMO_NIK_KEY_FILE,
            demo,
        )?;
        Ok(AuditKeys {
            nik: nik.map(|k| NikKey::from_bytes(*k)),
            signer: signing.map(|k| CheckpointSigner::from_bytes(&k)),
            checkpoint_file: config.effective_checkpoint_file(data_dir),
            checkpoint_interval: Duration::from_secs(config.checkpoint_interval_secs),
        })
    }
}

fn key_bytes(
    configured: Option<&Path>,
    key: &str,
    data_dir: &Path,
    demo_name: &str,
    demo: bool,
) -> Result<Option<Zeroizing<[u8; 32]>>, AuditError> {
    match configured {
        Some(path) => read_key_file(path, key).map(Some),
        None if demo => demo_key(&data_dir.join(demo_name)).map(Some),
        None => Ok(None),
    }
}

/// Reads a key file: base64 of 32 bytes, one line.
///
/// # Errors
/// `AUDIT_CONFIG` naming `key`.
pub fn read_key_file(path: &Path, key: &str) -> Result<Zeroizing<[u8; 32]>, AuditError> {
    let config = |message: String| AuditError::Config {
        key: key.to_string(),
        message: format!("{}: {message}", path.display()),
    };
    let text = Zeroizing::new(
        std::fs::read_to_string(path).map_err(|e| config(format!("cannot be read: {e}")))?,
    );
    let t = text.trim();
    let bytes = Zeroizing::new(
        STANDARD
            .decode(t)
            .or_else(|_| STANDARD_NO_PAD.decode(t))
            .map_err(|_| {
                config("must be base64 of 32 bytes (e.g. `openssl rand -base64 32`)".into())
            })?,
    );
    if bytes.len() != 32 {
        return Err(config(format!(
            "must be 32 bytes in base64, not {}",
            bytes.len()
        )));
    }
    let mut out = Zeroizing::new([0u8; 32]);
    out.copy_from_slice(&bytes);
    Ok(out)
}

/// A demo key file: read when present, else generated with mode 0600.
fn demo_key(path: &Path) -> Result<Zeroizing<[u8; 32]>, AuditError> {
    if path.exists() {
        return read_key_file(path, "data_dir");
    }
    let mut key = Zeroizing::new([0u8; 32]);
    rand::RngCore::fill_bytes(&mut rand::rng(), key.as_mut_slice());
    let text = Zeroizing::new(format!("{}\n", STANDARD.encode(key.as_slice())));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let write = || -> std::io::Result<()> {
        use std::io::Write;
        let mut f = options.open(path)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()
    };
    match write() {
        Ok(()) => Ok(key),
        // Another process created it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => read_key_file(path, "data_dir"),
        Err(e) => Err(AuditError::Config {
            key: "data_dir".into(),
            message: format!("cannot write the demo key {}: {e}", path.display()),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_keys_are_generated_private_and_reused() {
        let dir = std::env::temp_dir().join(format!("sigap-audit-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let a = AuditKeys::load(&AuditConfig::default(), &dir, true).unwrap();
        let b = AuditKeys::load(&AuditConfig::default(), &dir, true).unwrap();
        let (sa, sb) = (a.signer.unwrap(), b.signer.unwrap());
        assert_eq!(sa.verifying_key(), sb.verifying_key());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            for f in [DEMO_SIGNING_KEY_FILE, DEMO_NIK_KEY_FILE] {
                let mode = std::fs::metadata(dir.join(f)).unwrap().permissions().mode();
                assert_eq!(mode & 0o777, 0o600, "{f}");
            }
        }
        assert_eq!(a.checkpoint_file, dir.join(DEFAULT_CHECKPOINT_FILE));
        let none = AuditKeys::load(&AuditConfig::default(), &dir, false).unwrap();
        assert!(none.signer.is_none() && none.nik.is_none());
        std::fs::write(dir.join("short.key"), "c2hvcnQ=\n").unwrap();
        let err = AuditKeys::load(
            &AuditConfig {
                nik_key_file: Some(dir.join("short.key")),
                ..AuditConfig::default()
            },
            &dir,
            false,
        )
        .unwrap_err();
        assert!(err.to_string().contains("audit.nik_key_file"), "{err}");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
