//! NIK keying for the audit trail: the keyed digest ([`nik_hmac`]) that lets auditors find
//! every attempt on a NIK without the trail holding the NIK, and the masked form shown to them
//! (`3313********0001`, from `domain::nik`).
//!
//! `nik_hmac = lowercase hex of HMAC-SHA256(key, "sigap-nik-v1" 0x00 ‖ the 16 digits)`. The key
//! ([`NikKey`], 32 bytes from `[audit] nik_key_file`) never leaves the server; without it the
//! digests cannot be brute-forced over the (small) NIK space.

use domain::nik::Nik;
use hmac::{Hmac, Mac};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretBox};
use sha2::Sha256;
use std::fmt;

const DOMAIN: &[u8] = b"sigap-nik-v1\x00";

/// The HMAC key for NIK digests. `Debug` prints no key material.
pub struct NikKey(SecretBox<[u8; 32]>);

impl NikKey {
    pub fn from_bytes(bytes: [u8; 32]) -> NikKey {
        NikKey(SecretBox::new(Box::new(bytes)))
    }

    /// A fresh random key (demo, tests).
    pub fn generate() -> NikKey {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        NikKey::from_bytes(bytes)
    }

    fn digest(&self, digits: &[u8]) -> String {
        // HMAC accepts keys of any length: this never fails for our 32 bytes.
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(self.0.expose_secret()) else {
            unreachable!("HMAC-SHA256 takes keys of any length")
        };
        mac.update(DOMAIN);
        mac.update(digits);
        let out: [u8; 32] = mac.finalize().into_bytes().into();
        super::chain::to_hex(&out)
    }
}

impl fmt::Debug for NikKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NikKey([REDACTED])")
    }
}

/// The keyed digest of a NIK (64 lowercase hex digits), as stored in `audit_events.nik_hmac`
/// and as auditors search by.
pub fn nik_hmac(key: &NikKey, nik: &Nik) -> String {
    key.digest(nik.as_str().as_bytes())
}

/// The masked form (`3313********0001`: first 4, 8 stars, last 4).
pub fn nik_masked(nik: &Nik) -> String {
    nik.masked()
}

/// What the audit trail keeps of a NIK: its keyed digest and masked form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtectedNik {
    pub hmac: String,
    pub masked: String,
}

impl ProtectedNik {
    /// A valid NIK.
    pub fn of(key: &NikKey, nik: &Nik) -> ProtectedNik {
        ProtectedNik {
            hmac: nik_hmac(key, nik),
            masked: nik_masked(nik),
        }
    }

    /// Input that did not parse as a NIK (refused `INVALID_NIK`): the digest of the input
    /// without separators (so searching by the same typed text finds it; for 16 digits it is
    /// the same digest as [`nik_hmac`]) and a mask that keeps at most the first and last four
    /// characters of 16 or more, nothing of shorter input.
    pub fn of_input(key: &NikKey, input: &str) -> ProtectedNik {
        let stripped = domain::nik::strip_separators(input);
        let chars: Vec<char> = stripped.chars().collect();
        let masked = if chars.len() >= 16 {
            let head: String = chars[..4].iter().collect();
            let tail: String = chars[chars.len() - 4..].iter().collect();
            format!("{head}{}{tail}", "*".repeat(chars.len() - 8))
        } else {
            "*".repeat(chars.len())
        };
        ProtectedNik {
            hmac: key.digest(stripped.as_bytes()),
            masked,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nik(text: &str) -> Nik {
        Nik::parse(text, time::macros::date!(2026 - 11 - 27)).unwrap()
    }

    #[test]
    fn digest_is_keyed_stable_and_masked_form_hides_the_middle() {
        let key = NikKey::from_bytes([7; 32]);
        let other = NikKey::from_bytes([8; 32]);
        let a = nik("3313014107900001");
        let h = nik_hmac(&key, &a);
        assert_eq!(h.len(), 64);
        assert_eq!(h, nik_hmac(&key, &nik("3313-0141-0790-0001")));
        assert_ne!(h, nik_hmac(&other, &a));
        assert_ne!(h, nik_hmac(&key, &nik("3313014107900002")));
        assert!(!h.contains("3313014107900001"));
        assert_eq!(nik_masked(&a), "3313********0001");
        let p = ProtectedNik::of(&key, &a);
        assert_eq!(p.masked, "3313********0001");
        assert_eq!(ProtectedNik::of_input(&key, "3313 0141 0790 0001").hmac, h);
        assert!(!format!("{key:?}").contains('7'));
    }

    #[test]
    fn invalid_input_is_masked_too() {
        let key = NikKey::from_bytes([1; 32]);
        assert_eq!(ProtectedNik::of_input(&key, "12345").masked, "*****");
        assert_eq!(
            ProtectedNik::of_input(&key, "33130199999900012").masked,
            "3313*********0012"
        );
    }
}
