//! Pairing tokens between the portal and a card reader's `reader-bridge`.
//!
//! The portal issues a short-lived token to a signed-in operator for one registered reader;
//! the operator's browser hands it to the bridge on the operator's PC, which reads a card only
//! with a valid token for its own reader. Both sides hold the reader's registered secret.
//!
//! Token text (all ASCII, safe in a URL query without escaping):
//!
//! ```text
//! v1.<operator id>.<reader id>.<expires at, Unix ms>.<HMAC-SHA256, 64 lower-case hex digits>
//! ```
//!
//! The MAC covers the versioned canonical string
//! `"SIGAP-READER-PAIRING\nv1\n<operator id>\n<reader id>\n<expires at>"` keyed with the reader's
//! secret. Operator and reader ids are 1-64 characters of `A-Z a-z 0-9 _ -` (so neither can
//! contain the separators). A token lives at most [`MAX_LIFETIME_MS`].
//!
//! Pure logic: no clock, callers pass `now` (Unix milliseconds).

use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::fmt;

/// The token format version this module writes and accepts.
pub const VERSION: &str = "v1";
/// Longest lifetime a token may have (10 minutes), at creation and at verification.
pub const MAX_LIFETIME_MS: i64 = 10 * 60 * 1000;
/// Default lifetime the portal should use (2 minutes).
pub const DEFAULT_LIFETIME_MS: i64 = 2 * 60 * 1000;
/// Shortest accepted reader secret, in bytes.
pub const MIN_SECRET_BYTES: usize = 32;
/// Longest accepted id (operator or reader).
pub const MAX_ID_CHARS: usize = 64;

const DOMAIN_TAG: &str = "SIGAP-READER-PAIRING";

type HmacSha256 = Hmac<Sha256>;

/// Why a token could not be created or was refused. [`PairingError::code`] is the stable code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PairingError {
    /// The reader secret is shorter than [`MIN_SECRET_BYTES`].
    #[error("rahasia pembaca kartu terlalu pendek")]
    SecretTooShort,
    /// An operator or reader id is empty, too long or has characters outside `A-Za-z0-9_-`.
    #[error("ID operator atau pembaca kartu tidak valid")]
    BadId,
    /// The lifetime asked for is not positive or exceeds [`MAX_LIFETIME_MS`].
    #[error("masa berlaku token tidak valid")]
    BadLifetime,
    /// The text is not a token of this format.
    #[error("token pemasangan tidak dikenali")]
    Malformed,
    /// The token carries another format version.
    #[error("versi token pemasangan tidak didukung")]
    UnsupportedVersion,
    /// The MAC does not match (forged, altered, or made with another secret).
    #[error("token pemasangan tidak sah")]
    BadSignature,
    /// The token was issued for another reader.
    #[error("token pemasangan untuk pembaca kartu lain")]
    OtherReader,
    /// The token's expiry has passed.
    #[error("token pemasangan sudah kedaluwarsa")]
    Expired,
    /// The token claims to live longer than [`MAX_LIFETIME_MS`] from now.
    #[error("masa berlaku token pemasangan terlalu panjang")]
    LifetimeTooLong,
}

impl PairingError {
    /// Stable SCREAMING_SNAKE code.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            PairingError::SecretTooShort => "PAIRING_SECRET_TOO_SHORT",
            PairingError::BadId => "PAIRING_BAD_ID",
            PairingError::BadLifetime => "PAIRING_BAD_LIFETIME",
            PairingError::Malformed => "TOKEN_MALFORMED",
            PairingError::UnsupportedVersion => "TOKEN_UNSUPPORTED_VERSION",
            PairingError::BadSignature => "TOKEN_INVALID",
            PairingError::OtherReader => "TOKEN_OTHER_READER",
            PairingError::Expired => "TOKEN_EXPIRED",
            PairingError::LifetimeTooLong => "TOKEN_LIFETIME_TOO_LONG",
        }
    }
}

/// A reader's registered secret (the HMAC key). `Debug` never shows it.
#[derive(Clone)]
pub struct ReaderSecret(Vec<u8>);

impl ReaderSecret {
    /// Wraps the secret's bytes; at least [`MIN_SECRET_BYTES`].
    pub fn new(bytes: impl Into<Vec<u8>>) -> Result<Self, PairingError> {
        let bytes = bytes.into();
        if bytes.len() < MIN_SECRET_BYTES {
            return Err(PairingError::SecretTooShort);
        }
        Ok(ReaderSecret(bytes))
    }

    fn mac(&self) -> Result<HmacSha256, PairingError> {
        // HMAC takes keys of any length; the error arm is never taken.
        <HmacSha256 as Mac>::new_from_slice(&self.0).map_err(|_| PairingError::SecretTooShort)
    }
}

impl fmt::Debug for ReaderSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ReaderSecret(..)")
    }
}

/// The verified content of a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pairing {
    /// The portal account the token was issued to.
    pub operator_id: String,
    /// The registered reader it is valid for.
    pub reader_id: String,
    /// Unix milliseconds after which it is refused.
    pub expires_at_ms: i64,
}

/// Whether `id` is a valid operator or reader id: 1-64 of `A-Z a-z 0-9 _ -`.
#[must_use]
pub fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_CHARS
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The canonical string the MAC covers.
#[must_use]
pub fn canonical_string(operator_id: &str, reader_id: &str, expires_at_ms: i64) -> String {
    format!("{DOMAIN_TAG}\n{VERSION}\n{operator_id}\n{reader_id}\n{expires_at_ms}")
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    let digit = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    text.as_bytes()
        .chunks(2)
        .map(|pair| Some(digit(pair[0])? << 4 | digit(pair[1])?))
        .collect()
}

/// Creates a token for `operator_id` on `reader_id`, valid from `now_ms` for `lifetime_ms`
/// (positive, at most [`MAX_LIFETIME_MS`]).
pub fn create(
    secret: &ReaderSecret,
    operator_id: &str,
    reader_id: &str,
    now_ms: i64,
    lifetime_ms: i64,
) -> Result<String, PairingError> {
    if !valid_id(operator_id) || !valid_id(reader_id) {
        return Err(PairingError::BadId);
    }
    if lifetime_ms <= 0 || lifetime_ms > MAX_LIFETIME_MS {
        return Err(PairingError::BadLifetime);
    }
    let expires_at_ms = now_ms
        .checked_add(lifetime_ms)
        .ok_or(PairingError::BadLifetime)?;
    let mut mac = secret.mac()?;
    mac.update(canonical_string(operator_id, reader_id, expires_at_ms).as_bytes());
    let tag = mac.finalize().into_bytes();
    Ok(format!(
        "{VERSION}.{operator_id}.{reader_id}.{expires_at_ms}.{}",
        hex(&tag)
    ))
}

/// Verifies `token` for the reader `reader_id` at `now_ms`. Checks, in order: format and
/// version, the MAC (constant time), the reader, the expiry, the lifetime bound.
pub fn verify(
    secret: &ReaderSecret,
    token: &str,
    reader_id: &str,
    now_ms: i64,
) -> Result<Pairing, PairingError> {
    if token.len() > 300 {
        return Err(PairingError::Malformed);
    }
    let parts: Vec<&str> = token.split('.').collect();
    let [version, operator_id, token_reader, expires, tag] = parts.as_slice() else {
        return Err(PairingError::Malformed);
    };
    if *version != VERSION {
        return if version.starts_with('v') && version.len() > 1 {
            Err(PairingError::UnsupportedVersion)
        } else {
            Err(PairingError::Malformed)
        };
    }
    if !valid_id(operator_id) || !valid_id(token_reader) {
        return Err(PairingError::Malformed);
    }
    // Digits only (no sign, no leading '+'), so one expiry has one spelling.
    if expires.is_empty() || expires.len() > 15 || !expires.bytes().all(|b| b.is_ascii_digit()) {
        return Err(PairingError::Malformed);
    }
    let expires_at_ms: i64 = expires.parse().map_err(|_| PairingError::Malformed)?;
    let tag = unhex(tag)
        .filter(|t| t.len() == 32)
        .ok_or(PairingError::Malformed)?;
    let mut mac = secret.mac()?;
    mac.update(canonical_string(operator_id, token_reader, expires_at_ms).as_bytes());
    mac.verify_slice(&tag)
        .map_err(|_| PairingError::BadSignature)?;
    if *token_reader != reader_id {
        return Err(PairingError::OtherReader);
    }
    if now_ms >= expires_at_ms {
        return Err(PairingError::Expired);
    }
    if expires_at_ms - now_ms > MAX_LIFETIME_MS {
        return Err(PairingError::LifetimeTooLong);
    }
    Ok(Pairing {
        operator_id: (*operator_id).to_owned(),
        reader_id: (*token_reader).to_owned(),
        expires_at_ms,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_790_000_000_000;

    fn secret() -> ReaderSecret {
        ReaderSecret::new(b"synthetic-reader-secret-0123456789abcdef".to_vec()).unwrap()
    }

    fn other_secret() -> ReaderSecret {
        ReaderSecret::new(b"another-synthetic-secret-0123456789abcdef".to_vec()).unwrap()
    }

    #[test]
    fn round_trip() {
        let token = create(&secret(), "op-42", "RDR-01", NOW, DEFAULT_LIFETIME_MS).unwrap();
        assert!(token.starts_with("v1.op-42.RDR-01."));
        let p = verify(&secret(), &token, "RDR-01", NOW + 1_000).unwrap();
        assert_eq!(p.operator_id, "op-42");
        assert_eq!(p.reader_id, "RDR-01");
        assert_eq!(p.expires_at_ms, NOW + DEFAULT_LIFETIME_MS);
    }

    #[test]
    fn mac_is_hmac_sha256_over_the_canonical_string() {
        let token = create(&secret(), "op", "rdr", NOW, 1_000).unwrap();
        let mut mac =
            HmacSha256::new_from_slice(b"synthetic-reader-secret-0123456789abcdef").unwrap();
        mac.update(format!("SIGAP-READER-PAIRING\nv1\nop\nrdr\n{}", NOW + 1_000).as_bytes());
        let expected = hex(&mac.finalize().into_bytes());
        assert_eq!(token.rsplit('.').next().unwrap(), expected);
    }

    #[test]
    fn expired_token_is_refused() {
        let token = create(&secret(), "op", "RDR-01", NOW, 60_000).unwrap();
        assert_eq!(
            verify(&secret(), &token, "RDR-01", NOW + 60_000),
            Err(PairingError::Expired)
        );
        assert!(verify(&secret(), &token, "RDR-01", NOW + 59_999).is_ok());
    }

    #[test]
    fn token_for_another_reader_is_refused() {
        let token = create(&secret(), "op", "RDR-02", NOW, 60_000).unwrap();
        assert_eq!(
            verify(&secret(), &token, "RDR-01", NOW),
            Err(PairingError::OtherReader)
        );
    }

    #[test]
    fn other_secret_or_altered_fields_are_refused() {
        let token = create(&secret(), "op", "RDR-01", NOW, 60_000).unwrap();
        assert_eq!(
            verify(&other_secret(), &token, "RDR-01", NOW),
            Err(PairingError::BadSignature)
        );
        let altered = token.replace(".op.", ".op2.");
        assert_eq!(
            verify(&secret(), &altered, "RDR-01", NOW),
            Err(PairingError::BadSignature)
        );
        let later = token.replace(
            &format!(".{}.", NOW + 60_000),
            &format!(".{}.", NOW + 120_000),
        );
        assert_eq!(
            verify(&secret(), &later, "RDR-01", NOW),
            Err(PairingError::BadSignature)
        );
    }

    #[test]
    fn lifetime_is_bounded_both_ways() {
        assert_eq!(
            create(&secret(), "op", "RDR-01", NOW, MAX_LIFETIME_MS + 1),
            Err(PairingError::BadLifetime)
        );
        assert_eq!(
            create(&secret(), "op", "RDR-01", NOW, 0),
            Err(PairingError::BadLifetime)
        );
        // A token made "now" with the maximum lifetime but checked by a bridge whose clock is
        // behind looks too long-lived: refused.
        let token = create(&secret(), "op", "RDR-01", NOW, MAX_LIFETIME_MS).unwrap();
        assert!(verify(&secret(), &token, "RDR-01", NOW).is_ok());
        assert_eq!(
            verify(&secret(), &token, "RDR-01", NOW - 1),
            Err(PairingError::LifetimeTooLong)
        );
    }

    #[test]
    fn malformed_tokens() {
        for bad in [
            "",
            "v1",
            "v1.op.RDR-01.123",
            "v1.op.RDR-01.123.zz",
            "v1.op.RDR-01.-5.00",
            "v1..RDR-01.123.00",
            "v1.op.RDR-01.12a.00",
            "v1.op.RDR 01.123.00",
            "x1.op.RDR-01.123.00",
        ] {
            assert_eq!(
                verify(&secret(), bad, "RDR-01", NOW),
                Err(PairingError::Malformed),
                "{bad:?}"
            );
        }
        let token = create(&secret(), "op", "RDR-01", NOW, 60_000).unwrap();
        assert_eq!(
            verify(&secret(), &token.replacen("v1", "v2", 1), "RDR-01", NOW),
            Err(PairingError::UnsupportedVersion)
        );
        // Upper-case hex is another spelling: refused as malformed.
        let upper = {
            let (head, tag) = token.rsplit_once('.').unwrap();
            format!("{head}.{}", tag.to_uppercase())
        };
        assert_eq!(
            verify(&secret(), &upper, "RDR-01", NOW),
            Err(PairingError::Malformed)
        );
    }

    #[test]
    fn ids_and_secrets_are_checked_at_creation() {
        assert_eq!(
            create(&secret(), "op.1", "RDR-01", NOW, 1_000),
            Err(PairingError::BadId)
        );
        assert_eq!(
            create(&secret(), "op", &"R".repeat(65), NOW, 1_000),
            Err(PairingError::BadId)
        );
        assert_eq!(
            ReaderSecret::new(b"short".to_vec()).unwrap_err(),
            PairingError::SecretTooShort
        );
        assert_eq!(format!("{:?}", secret()), "ReaderSecret(..)");
    }

    #[test]
    fn codes_are_stable() {
        assert_eq!(PairingError::Expired.code(), "TOKEN_EXPIRED");
        assert_eq!(PairingError::OtherReader.code(), "TOKEN_OTHER_READER");
        assert_eq!(PairingError::BadSignature.code(), "TOKEN_INVALID");
    }
}
