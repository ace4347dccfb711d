//! Secrets at rest: the Dukcapil user IDs' credentials are sealed with XChaCha20-Poly1305
//! before they reach the database, and opened only to hand them to the upstream client.
//!
//! * Key: 32 random bytes, base64, from `[secrets] key` / `SIGAP_SECRETS__KEY` or the file
//!   named by `[secrets] key_file` (one line). In demo mode without either, a key is generated
//!   once into `<data_dir>/secret.key` (mode 0600) and reused.
//! * Sealed form (text, stored as is): `v1:<key id>:<base64(nonce ‖ ciphertext ‖ tag)>` with
//!   a random 24-byte nonce per value. The key id (8 hex digits of SHA-256 of the key) names
//!   the key that sealed it, so after a rotation `[secrets] previous_key_files` can still open
//!   older values while new ones are sealed with the current key.
//! * Associated data binds a value to its place (e.g. [`credential_aad`] of the row), so a
//!   value copied to another row does not open.
//!
//! Plaintext only ever leaves this module as a [`SecretString`]; `Debug` of every type here
//! hides key material and values.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use rand::RngCore;
use secrecy::zeroize::Zeroizing;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;
use std::path::{Path, PathBuf};

/// Key length in bytes.
pub const KEY_LEN: usize = 32;
const NONCE_LEN: usize = 24;
const VERSION: &str = "v1";
/// The file a demo key is generated into, under the data folder.
pub const DEMO_KEY_FILE: &str = "secret.key";

/// The `[secrets]` configuration section.
///
/// ```toml
/// [secrets]
/// key_file = "/etc/sigap/secret.key"          # or key = "<base64 of 32 bytes>"
/// previous_key_files = ["/etc/sigap/secret-2025.key"]
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SecretsConfig {
    /// The key, base64 of 32 bytes (prefer `key_file` or `SIGAP_SECRETS__KEY`). Never
    /// serialised, never printed.
    #[serde(skip_serializing)]
    pub key: Option<KeyText>,
    /// A file holding the key (base64, one line).
    pub key_file: Option<PathBuf>,
    /// Earlier keys' files, to open values sealed before a rotation.
    pub previous_key_files: Vec<PathBuf>,
}

impl SecretsConfig {
    /// Checks what can be checked without reading files.
    ///
    /// # Errors
    /// A message naming the key.
    pub fn validate(&self) -> Result<(), (String, String)> {
        if self.key.is_some() && self.key_file.is_some() {
            return Err((
                "secrets.key".into(),
                "set either `secrets.key` or `secrets.key_file`, not both".into(),
            ));
        }
        if let Some(k) = &self.key {
            decode_key(k.0.expose_secret()).map_err(|m| ("secrets.key".to_string(), m))?;
        }
        Ok(())
    }
}

/// A key as configured (base64 text). `Debug` prints `[REDACTED]`.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct KeyText(#[serde(deserialize_with = "string_only")] SecretString);

impl KeyText {
    pub fn new(base64: impl Into<String>) -> Self {
        KeyText(SecretString::from(base64.into()))
    }
}

impl fmt::Debug for KeyText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeyText([REDACTED])")
    }
}

impl PartialEq for KeyText {
    fn eq(&self, other: &Self) -> bool {
        self.0.expose_secret() == other.0.expose_secret()
    }
}

impl Eq for KeyText {}

/// Strings only; other values are refused without echoing them.
fn string_only<'de, D: Deserializer<'de>>(d: D) -> Result<SecretString, D::Error> {
    struct V;
    impl serde::de::Visitor<'_> for V {
        type Value = SecretString;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a base64 string")
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<SecretString, E> {
            Ok(SecretString::from(v))
        }
        fn visit_string<E: serde::de::Error>(self, v: String) -> Result<SecretString, E> {
            Ok(SecretString::from(v))
        }
        fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<SecretString, E> {
            Err(E::custom(
                "the key must be a base64 string (the value is not shown)",
            ))
        }
        fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<SecretString, E> {
            Err(E::custom(
                "the key must be a base64 string (the value is not shown)",
            ))
        }
        fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<SecretString, E> {
            Err(E::custom(
                "the key must be a base64 string (the value is not shown)",
            ))
        }
        fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<SecretString, E> {
            Err(E::custom(
                "the key must be a base64 string (the value is not shown)",
            ))
        }
    }
    d.deserialize_any(V)
}

fn decode_key(text: &str) -> Result<Zeroizing<[u8; KEY_LEN]>, String> {
    let text = text.trim();
    let bytes = Zeroizing::new(
        STANDARD
            .decode(text)
            .or_else(|_| STANDARD_NO_PAD.decode(text))
            .map_err(|_| "must be base64 (e.g. from `openssl rand -base64 32`)".to_string())?,
    );
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    if bytes.len() != KEY_LEN {
        return Err(format!(
            "must be {KEY_LEN} bytes in base64, not {} bytes",
            bytes.len()
        ));
    }
    key.copy_from_slice(&bytes);
    Ok(key)
}

/// Why sealing, opening or loading keys failed. `code()` is stable.
#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    #[error("configuration key `{key}`: {message}")]
    Config { key: String, message: String },
    #[error(
        "no secrets key is configured (`secrets.key`, `secrets.key_file` or SIGAP_SECRETS__KEY)"
    )]
    NoKey,
    #[error("the sealed value is not in the v1:<key id>:<base64> form")]
    Malformed,
    #[error(
        "the sealed value was made with key {0}, which is not configured (current or previous)"
    )]
    UnknownKey(String),
    #[error("the sealed value does not open: altered, moved to another record, or a wrong key")]
    Tampered,
    #[error("the value is not UTF-8 text")]
    NotText,
    #[error("encryption failed")]
    Seal,
}

impl SecretsError {
    /// Stable code.
    pub fn code(&self) -> &'static str {
        match self {
            SecretsError::Config { .. } => "SECRETS_CONFIG",
            SecretsError::NoKey => "SECRETS_KEY_MISSING",
            SecretsError::Malformed => "SECRET_MALFORMED",
            SecretsError::UnknownKey(_) => "SECRET_UNKNOWN_KEY",
            SecretsError::Tampered => "SECRET_TAMPERED",
            SecretsError::NotText => "SECRET_NOT_TEXT",
            SecretsError::Seal => "SECRET_SEAL_FAILED",
        }
    }
}

/// A sealed value as stored. `Debug` shows only the key id.
#[derive(Clone, PartialEq, Eq)]
pub struct Sealed(String);

impl Sealed {
    /// A value read from storage (checked when opened).
    pub fn from_stored(text: String) -> Sealed {
        Sealed(text)
    }

    /// The text to store.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The id of the key that sealed it, if well-formed.
    pub fn key_id(&self) -> Option<&str> {
        let mut parts = self.0.splitn(3, ':');
        match (parts.next(), parts.next(), parts.next()) {
            (Some(VERSION), Some(id), Some(_)) => Some(id),
            _ => None,
        }
    }
}

impl fmt::Debug for Sealed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sealed(key {})", self.key_id().unwrap_or("?"))
    }
}

/// The associated data of a Dukcapil user ID's credential: the row it belongs to.
pub fn credential_aad(dukcapil_user_id_row: i64) -> String {
    format!("sigap:dukcapil_user_ids:{dukcapil_user_id_row}:credential")
}

/// The associated data of a card reader's pairing secret: the reader id it belongs to
/// (unique across the portal, and never changed).
pub fn reader_secret_aad(reader_id: &str) -> String {
    format!("sigap:readers:{reader_id}:secret")
}

struct KeyEntry {
    id: String,
    key: Zeroizing<[u8; KEY_LEN]>,
}

impl KeyEntry {
    fn new(key: Zeroizing<[u8; KEY_LEN]>) -> KeyEntry {
        let mut h = Sha256::new();
        h.update(b"sigap-secrets-key-id:");
        h.update(key.as_slice());
        let digest = h.finalize();
        let id = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
        KeyEntry { id, key }
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(Key::from_slice(self.key.as_slice()))
    }
}

/// The current key (seals and opens) and earlier keys (open only).
pub struct Keyring {
    current: KeyEntry,
    previous: Vec<KeyEntry>,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring")
            .field("current", &self.current.id)
            .field(
                "previous",
                &self.previous.iter().map(|k| &k.id).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl Keyring {
    /// A keyring with one key.
    pub fn from_key(key: [u8; KEY_LEN]) -> Keyring {
        Keyring {
            current: KeyEntry::new(Zeroizing::new(key)),
            previous: Vec::new(),
        }
    }

    /// A keyring with one key given as base64.
    ///
    /// # Errors
    /// `SECRETS_CONFIG` naming `secrets.key`.
    pub fn from_base64(text: &str) -> Result<Keyring, SecretsError> {
        let key = decode_key(text).map_err(|message| SecretsError::Config {
            key: "secrets.key".into(),
            message,
        })?;
        Ok(Keyring {
            current: KeyEntry::new(key),
            previous: Vec::new(),
        })
    }

    /// A fresh random key.
    pub fn generate() -> Keyring {
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        rand::rng().fill_bytes(key.as_mut_slice());
        Keyring {
            current: KeyEntry::new(key),
            previous: Vec::new(),
        }
    }

    /// Adds an earlier key (opens values it sealed; never seals).
    pub fn with_previous(mut self, earlier: Keyring) -> Keyring {
        self.previous.push(earlier.current);
        self.previous.extend(earlier.previous);
        self
    }

    /// The keyring the configuration names; in demo mode without a configured key, the one
    /// in `<data_dir>/secret.key` (generated with mode 0600 when missing). `Ok(None)` outside
    /// demo mode when no key is configured (credentials can then be neither stored nor read).
    ///
    /// # Errors
    /// `SECRETS_CONFIG` naming the key or file at fault.
    pub fn load(
        config: &SecretsConfig,
        data_dir: &Path,
        demo: bool,
    ) -> Result<Option<Keyring>, SecretsError> {
        config
            .validate()
            .map_err(|(key, message)| SecretsError::Config { key, message })?;
        let mut ring = if let Some(k) = &config.key {
            Keyring::from_base64(k.0.expose_secret())?
        } else if let Some(path) = &config.key_file {
            read_key_file(path, "secrets.key_file")?
        } else if demo {
            demo_key(data_dir)?
        } else {
            return Ok(None);
        };
        for path in &config.previous_key_files {
            let earlier = read_key_file(path, "secrets.previous_key_files")?;
            ring = ring.with_previous(earlier);
        }
        Ok(Some(ring))
    }

    /// The id of the key that seals.
    pub fn key_id(&self) -> &str {
        &self.current.id
    }

    /// Seals `plaintext` for the place `aad` names, with a fresh random nonce.
    ///
    /// # Errors
    /// `SECRET_SEAL_FAILED` (never expected).
    pub fn seal(&self, plaintext: &str, aad: &str) -> Result<Sealed, SecretsError> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let ct = self
            .current
            .cipher()
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| SecretsError::Seal)?;
        let mut blob = Vec::with_capacity(NONCE_LEN + ct.len());
        blob.extend_from_slice(&nonce);
        blob.extend_from_slice(&ct);
        Ok(Sealed(format!(
            "{VERSION}:{}:{}",
            self.current.id,
            STANDARD_NO_PAD.encode(blob)
        )))
    }

    /// Opens a sealed value for the place `aad` names.
    ///
    /// # Errors
    /// `SECRET_MALFORMED`, `SECRET_UNKNOWN_KEY`, `SECRET_TAMPERED`, `SECRET_NOT_TEXT`.
    pub fn open(&self, sealed: &Sealed, aad: &str) -> Result<SecretString, SecretsError> {
        let mut parts = sealed.0.splitn(3, ':');
        let (Some(VERSION), Some(id), Some(body)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(SecretsError::Malformed);
        };
        let entry = std::iter::once(&self.current)
            .chain(self.previous.iter())
            .find(|k| k.id == id)
            .ok_or_else(|| SecretsError::UnknownKey(id.to_string()))?;
        let blob = STANDARD_NO_PAD
            .decode(body)
            .map_err(|_| SecretsError::Malformed)?;
        if blob.len() < NONCE_LEN + 16 {
            return Err(SecretsError::Malformed);
        }
        let (nonce, ct) = blob.split_at(NONCE_LEN);
        let plain = Zeroizing::new(
            entry
                .cipher()
                .decrypt(
                    XNonce::from_slice(nonce),
                    Payload {
                        msg: ct,
                        aad: aad.as_bytes(),
                    },
                )
                .map_err(|_| SecretsError::Tampered)?,
        );
        let text = std::str::from_utf8(&plain).map_err(|_| SecretsError::NotText)?;
        Ok(SecretString::from(text.to_string()))
    }

    /// Whether `sealed` was made with a previous key (re-seal it with the current one).
    pub fn needs_reseal(&self, sealed: &Sealed) -> bool {
        sealed.key_id() != Some(self.current.id.as_str())
    }
}

fn read_key_file(path: &Path, key: &str) -> Result<Keyring, SecretsError> {
    let config = |message: String| SecretsError::Config {
        key: key.to_string(),
        message: format!("{}: {message}", path.display()),
    };
    let text = Zeroizing::new(
        std::fs::read_to_string(path).map_err(|e| config(format!("cannot be read: {e}")))?,
    );
    warn_if_readable_by_others(path);
    let k = decode_key(&text).map_err(config)?;
    Ok(Keyring {
        current: KeyEntry::new(k),
        previous: Vec::new(),
    })
}

#[cfg(unix)]
fn warn_if_readable_by_others(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = std::fs::metadata(path)
        && meta.permissions().mode() & 0o077 != 0
    {
        tracing::warn!(
            path = %path.display(),
            "the secrets key file is readable by other users: chmod 600 it"
        );
    }
}

#[cfg(not(unix))]
fn warn_if_readable_by_others(_path: &Path) {}

/// The demo's key: `<data_dir>/secret.key`, generated (mode 0600) when missing.
fn demo_key(data_dir: &Path) -> Result<Keyring, SecretsError> {
    let path = data_dir.join(DEMO_KEY_FILE);
    if path.exists() {
        return read_key_file(&path, "data_dir");
    }
    let ring = Keyring::generate();
    let text = Zeroizing::new(format!(
        "{}\n",
        STANDARD.encode(ring.current.key.as_slice())
    ));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let write = || -> std::io::Result<()> {
        use std::io::Write;
        let mut f = options.open(&path)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()
    };
    match write() {
        Ok(()) => Ok(ring),
        // Another process created it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => read_key_file(&path, "data_dir"),
        Err(e) => Err(SecretsError::Config {
            key: "data_dir".into(),
            message: format!("cannot write the demo key {}: {e}", path.display()),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("sigap-secrets-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn round_trip_with_a_fresh_nonce_each_time() {
        let ring = Keyring::generate();
        let aad = credential_aad(7);
        let a = ring.seal("rahasia-sintetis", &aad).unwrap();
        let b = ring.seal("rahasia-sintetis", &aad).unwrap();
        assert_ne!(a, b, "random nonce per value");
        assert!(a.as_str().starts_with(&format!("v1:{}:", ring.key_id())));
        assert!(!a.as_str().contains("rahasia"));
        assert_eq!(
            ring.open(&a, &aad).unwrap().expose_secret(),
            "rahasia-sintetis"
        );
        assert_eq!(
            ring.open(&b, &aad).unwrap().expose_secret(),
            "rahasia-sintetis"
        );
        assert_eq!(a.key_id(), Some(ring.key_id()));
        assert!(!format!("{a:?}{ring:?}").contains("rahasia"));
    }

    #[test]
    fn tampering_is_detected() {
        let ring = Keyring::generate();
        let aad = credential_aad(1);
        let sealed = ring.seal("pw-sintetis-123", &aad).unwrap();
        // Flip one bit of the ciphertext.
        let (head, body) = sealed.as_str().rsplit_once(':').unwrap();
        let mut blob = STANDARD_NO_PAD.decode(body).unwrap();
        let last = blob.len() - 1;
        blob[last] ^= 1;
        let altered = Sealed::from_stored(format!("{head}:{}", STANDARD_NO_PAD.encode(&blob)));
        assert!(matches!(
            ring.open(&altered, &aad),
            Err(SecretsError::Tampered)
        ));
        // Moved to another row.
        assert!(matches!(
            ring.open(&sealed, &credential_aad(2)),
            Err(SecretsError::Tampered)
        ));
        // Not our format.
        for bad in ["", "v1:x", "v2:abcd:AAAA", "v1:abcd:!!!"] {
            let r = ring.open(&Sealed::from_stored(bad.into()), &aad);
            assert!(
                matches!(
                    r,
                    Err(SecretsError::Malformed | SecretsError::UnknownKey(_))
                ),
                "{bad}"
            );
        }
        let short = format!("v1:{}:AAAA", ring.key_id());
        assert!(matches!(
            ring.open(&Sealed::from_stored(short), &aad),
            Err(SecretsError::Malformed)
        ));
    }

    #[test]
    fn a_wrong_key_does_not_open() {
        let a = Keyring::generate();
        let b = Keyring::generate();
        let sealed = a.seal("pw", "x").unwrap();
        let err = b.open(&sealed, "x").unwrap_err();
        assert!(matches!(err, SecretsError::UnknownKey(ref id) if id == a.key_id()));
        assert_eq!(err.code(), "SECRET_UNKNOWN_KEY");
        // The same key id with other key bytes (a forged prefix) fails authentication.
        let forged = Sealed::from_stored(sealed.as_str().replace(a.key_id(), b.key_id()));
        assert!(matches!(b.open(&forged, "x"), Err(SecretsError::Tampered)));
    }

    #[test]
    fn rotation_opens_old_values_and_seals_with_the_new_key() {
        let old = Keyring::from_key([7u8; KEY_LEN]);
        let sealed = old.seal("lama", "x").unwrap();
        let ring =
            Keyring::from_key([9u8; KEY_LEN]).with_previous(Keyring::from_key([7u8; KEY_LEN]));
        assert_eq!(ring.open(&sealed, "x").unwrap().expose_secret(), "lama");
        assert!(ring.needs_reseal(&sealed));
        let fresh = ring.seal("baru", "x").unwrap();
        assert!(!ring.needs_reseal(&fresh));
        assert!(old.open(&fresh, "x").is_err());
    }

    #[test]
    fn keys_from_config_text_and_files() {
        let b64 = STANDARD.encode([5u8; KEY_LEN]);
        let dir = temp_dir();
        let cfg = SecretsConfig {
            key: Some(KeyText::new(b64.clone())),
            ..Default::default()
        };
        let ring = Keyring::load(&cfg, &dir, false).unwrap().unwrap();
        assert_eq!(ring.key_id(), Keyring::from_key([5u8; KEY_LEN]).key_id());

        let file = dir.join("k");
        std::fs::write(&file, format!("{b64}\n")).unwrap();
        let cfg = SecretsConfig {
            key_file: Some(file.clone()),
            ..Default::default()
        };
        assert_eq!(
            Keyring::load(&cfg, &dir, false).unwrap().unwrap().key_id(),
            ring.key_id()
        );

        let both = SecretsConfig {
            key: Some(KeyText::new(b64)),
            key_file: Some(file),
            ..Default::default()
        };
        assert!(both.validate().is_err());
        let short = SecretsConfig {
            key: Some(KeyText::new(STANDARD.encode([1u8; 16]))),
            ..Default::default()
        };
        let (key, msg) = short.validate().unwrap_err();
        assert_eq!(key, "secrets.key");
        assert!(msg.contains("32 bytes"), "{msg}");
        let missing = SecretsConfig {
            key_file: Some(dir.join("nope")),
            ..Default::default()
        };
        let err = Keyring::load(&missing, &dir, false).unwrap_err();
        assert!(err.to_string().contains("secrets.key_file"), "{err}");
        // Nothing configured outside demo: no keyring.
        assert!(
            Keyring::load(&SecretsConfig::default(), &dir, false)
                .unwrap()
                .is_none()
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn demo_generates_a_private_key_file_once() {
        let dir = temp_dir();
        let first = Keyring::load(&SecretsConfig::default(), &dir, true)
            .unwrap()
            .unwrap();
        let path = dir.join(DEMO_KEY_FILE);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let again = Keyring::load(&SecretsConfig::default(), &dir, true)
            .unwrap()
            .unwrap();
        assert_eq!(first.key_id(), again.key_id());
        let sealed = first.seal("demo", "x").unwrap();
        assert_eq!(again.open(&sealed, "x").unwrap().expose_secret(), "demo");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
