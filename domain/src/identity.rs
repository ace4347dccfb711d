//! Identity records: the statuses of accounts and Dukcapil user IDs, employment statuses of the
//! user-ID application form, and the rules every field must meet before it is stored, each
//! with a stable code ([`FieldError`]). Shared by the server (which checks before any write)
//! and the browser (which can check while typing).

use crate::nik::Nik;
use serde::{Deserialize, Serialize};
use std::fmt;
use time::Date;

/// A field that breaks its rule: which field, a stable code and an Indonesian message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{code} ({field}): {message}")]
pub struct FieldError {
    /// The field's name, e.g. `username`.
    pub field: &'static str,
    /// Stable code, e.g. `USERNAME_INVALID`.
    pub code: &'static str,
    /// Indonesian message.
    pub message: String,
}

impl FieldError {
    /// A new error.
    #[must_use]
    pub fn new(field: &'static str, code: &'static str, message: impl Into<String>) -> Self {
        FieldError {
            field,
            code,
            message: message.into(),
        }
    }
}

/// Whether an account may sign in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    /// May sign in.
    Active,
    /// Deactivated (staff left or moved): sessions and tokens ended; final.
    Deactivated,
}

impl AccountStatus {
    /// The stored code.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            AccountStatus::Active => "active",
            AccountStatus::Deactivated => "deactivated",
        }
    }

    /// Parses a stored code (unknown: `None`).
    #[must_use]
    pub fn parse(code: &str) -> Option<AccountStatus> {
        [AccountStatus::Active, AccountStatus::Deactivated]
            .into_iter()
            .find(|s| s.as_str() == code)
    }
}

/// The life cycle of a Dukcapil user ID (application → grant → revocation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserIdStatus {
    /// Application submitted to Disdukcapil.
    Requested,
    /// Granted: the Dukcapil user ID is known and may carry credentials.
    Active,
    /// Rejected or revoked; final.
    Revoked,
}

impl UserIdStatus {
    /// Every status.
    pub const ALL: [UserIdStatus; 3] = [
        UserIdStatus::Requested,
        UserIdStatus::Active,
        UserIdStatus::Revoked,
    ];

    /// The stored code.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            UserIdStatus::Requested => "requested",
            UserIdStatus::Active => "active",
            UserIdStatus::Revoked => "revoked",
        }
    }

    /// Parses a stored code (unknown: `None`).
    #[must_use]
    pub fn parse(code: &str) -> Option<UserIdStatus> {
        UserIdStatus::ALL.into_iter().find(|s| s.as_str() == code)
    }

    /// `requested → active`, `requested → revoked` (rejected), `active → revoked`.
    #[must_use]
    pub fn may_become(self, to: UserIdStatus) -> bool {
        use UserIdStatus::*;
        matches!(
            (self, to),
            (Requested, Active) | (Requested, Revoked) | (Active, Revoked)
        )
    }
}

/// Employment status (status kepegawaian) on the user-ID application form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmploymentStatus {
    /// Pegawai Negeri Sipil (civil servant): has a NIP.
    Pns,
    /// Pegawai Pemerintah dengan Perjanjian Kerja (contract civil servant): has a NIP.
    Pppk,
    /// Non-ASN staff: no NIP.
    NonAsn,
}

impl EmploymentStatus {
    /// Every status.
    pub const ALL: [EmploymentStatus; 3] = [
        EmploymentStatus::Pns,
        EmploymentStatus::Pppk,
        EmploymentStatus::NonAsn,
    ];

    /// The stored code.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            EmploymentStatus::Pns => "pns",
            EmploymentStatus::Pppk => "pppk",
            EmploymentStatus::NonAsn => "non_asn",
        }
    }

    /// Parses a stored code (unknown: `None`).
    #[must_use]
    pub fn parse(code: &str) -> Option<EmploymentStatus> {
        EmploymentStatus::ALL
            .into_iter()
            .find(|s| s.as_str() == code)
    }

    /// ASN (PNS and PPPK) have a NIP; non-ASN staff have none.
    #[must_use]
    pub fn has_nip(self) -> bool {
        !matches!(self, EmploymentStatus::NonAsn)
    }
}

impl fmt::Display for EmploymentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Longest username, in characters.
pub const USERNAME_MAX: usize = 64;
/// Longest display name, full name, position.
pub const NAME_MAX: usize = 120;
/// Longest local or Dukcapil user ID.
pub const USER_ID_MAX: usize = 64;
/// Longest one-line text (office name, agreement party, document number).
pub const LINE_MAX: usize = 300;
/// Longest address or note.
pub const TEXT_MAX: usize = 1_000;
/// Longest NDA text.
pub const NDA_BODY_MAX: usize = 100_000;
/// Longest stored password hash (PHC string).
pub const PASSWORD_HASH_MAX: usize = 512;

/// Usernames: 3-64 ASCII letters, digits, `.`, `_`, `-`, starting with a letter or digit.
/// Unique regardless of case.
///
/// # Errors
/// `USERNAME_INVALID`.
pub fn check_username(username: &str) -> Result<(), FieldError> {
    let ok = (3..=USERNAME_MAX).contains(&username.len())
        && username
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
        && username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(FieldError::new(
            "username",
            "USERNAME_INVALID",
            format!(
                "Nama pengguna harus 3-{USERNAME_MAX} karakter: huruf, angka, titik, garis bawah \
                 atau tanda hubung, diawali huruf atau angka"
            ),
        ))
    }
}

/// The case-insensitive form of a username (what uniqueness and look-ups compare).
#[must_use]
pub fn username_key(username: &str) -> String {
    username.to_ascii_lowercase()
}

/// Local user IDs (the institution's ID for a person or an internal app, e.g. `op-demo-1`)
/// and Dukcapil user IDs (e.g. `BPBD3313`): 1-64 ASCII letters, digits, `.`, `_`, `-`.
///
/// # Errors
/// `code` (e.g. `LOCAL_USER_ID_INVALID`) naming `field`.
pub fn check_user_id(field: &'static str, code: &'static str, id: &str) -> Result<(), FieldError> {
    let ok = (1..=USER_ID_MAX).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(FieldError::new(
            field,
            code,
            format!(
                "Harus 1-{USER_ID_MAX} karakter: huruf, angka, titik, garis bawah atau tanda hubung"
            ),
        ))
    }
}

/// One line of text: not blank, no control characters, at most `max` characters, no leading
/// or trailing spaces.
///
/// # Errors
/// `code` naming `field`.
pub fn check_line(
    field: &'static str,
    code: &'static str,
    value: &str,
    max: usize,
) -> Result<(), FieldError> {
    check_text_inner(field, code, value, max, false)
}

/// Text that may span lines (addresses, notes, the NDA): as [`check_line`] but line breaks and
/// tabs are allowed.
///
/// # Errors
/// `code` naming `field`.
pub fn check_text(
    field: &'static str,
    code: &'static str,
    value: &str,
    max: usize,
) -> Result<(), FieldError> {
    check_text_inner(field, code, value, max, true)
}

fn check_text_inner(
    field: &'static str,
    code: &'static str,
    value: &str,
    max: usize,
    multiline: bool,
) -> Result<(), FieldError> {
    let count = value.chars().count();
    if value.trim().is_empty() {
        return Err(FieldError::new(field, code, "Tidak boleh kosong"));
    }
    if count > max {
        return Err(FieldError::new(
            field,
            code,
            format!("Paling banyak {max} karakter, bukan {count}"),
        ));
    }
    if value.trim() != value {
        return Err(FieldError::new(
            field,
            code,
            "Tidak boleh diawali atau diakhiri spasi",
        ));
    }
    let bad = value
        .chars()
        .any(|c| c.is_control() && !(multiline && matches!(c, '\n' | '\r' | '\t')));
    if bad {
        return Err(FieldError::new(
            field,
            code,
            "Mengandung karakter kendali yang tidak diizinkan",
        ));
    }
    Ok(())
}

/// A NIK on the application form: a valid NIK ([`Nik::parse`]); returns the 16 digits.
///
/// # Errors
/// `NIK_INVALID` with the parser's message.
pub fn normalize_nik(nik: &str, today: Date) -> Result<String, FieldError> {
    Nik::parse(nik, today)
        .map(|n| n.as_str().to_string())
        .map_err(|e| FieldError::new("nik", "NIK_INVALID", format!("{} ({})", e, e.code())))
}

/// A NIP (Nomor Induk Pegawai): 18 digits `YYYYMMDD YYYYMM S NNN` (birth date, appointment
/// month, sex 1 or 2, serial), required for ASN and absent for non-ASN staff. Spaces are
/// stripped; returns the digits.
///
/// # Errors
/// `NIP_INVALID`, or `NIP_REQUIRED` / `NIP_NOT_ALLOWED` for the employment status.
pub fn normalize_nip(
    nip: Option<&str>,
    status: EmploymentStatus,
) -> Result<Option<String>, FieldError> {
    let nip = nip.map(|n| n.chars().filter(|c| !c.is_whitespace()).collect::<String>());
    let nip = nip.filter(|n| !n.is_empty());
    match (nip, status.has_nip()) {
        (None, true) => Err(FieldError::new(
            "nip",
            "NIP_REQUIRED",
            "NIP wajib diisi untuk PNS dan PPPK",
        )),
        (Some(_), false) => Err(FieldError::new(
            "nip",
            "NIP_NOT_ALLOWED",
            "Pegawai non-ASN tidak memiliki NIP",
        )),
        (None, false) => Ok(None),
        (Some(n), true) => {
            let bytes = n.as_bytes();
            let digits = bytes.len() == 18 && bytes.iter().all(u8::is_ascii_digit);
            let num = |a: usize, b: usize| n.get(a..b).and_then(|s| s.parse::<u16>().ok());
            let birth_ok = digits
                && matches!((num(0, 4), num(4, 6), num(6, 8)), (Some(y), Some(m), Some(d))
                if time::Month::try_from(m as u8).ok().is_some_and(|m| {
                    Date::from_calendar_date(i32::from(y), m, d as u8).is_ok()
                }));
            let month_ok = digits && num(12, 14).is_some_and(|m| (1..=12).contains(&m));
            let sex_ok = digits && matches!(bytes[14], b'1' | b'2');
            if birth_ok && month_ok && sex_ok {
                Ok(Some(n))
            } else {
                Err(FieldError::new(
                    "nip",
                    "NIP_INVALID",
                    "NIP harus 18 digit: tanggal lahir (8), TMT (6), jenis kelamin 1/2 (1), nomor urut (3)",
                ))
            }
        }
    }
}

/// A Kemendagri region code of a regency/city or district known to the region tables
/// (`33.13`, `33.13.01`; dots optional). Returns the dotted form.
///
/// # Errors
/// `REGION_CODE_INVALID`.
pub fn normalize_region_code(field: &'static str, code: &str) -> Result<String, FieldError> {
    let parsed = crate::region::RegionCode::parse(code).filter(|c| {
        matches!(
            c.level(),
            crate::region::Level::Regency | crate::region::Level::District
        )
    });
    match parsed.and_then(crate::region::lookup) {
        Some(region) => Ok(region.code.to_string()),
        None => Err(FieldError::new(
            field,
            "REGION_CODE_INVALID",
            "Kode wilayah kabupaten/kota atau kecamatan tidak dikenal (contoh: 33.13)",
        )),
    }
}

/// A password hash to store: an Argon2id PHC string (`$argon2id$...`), at most 512 bytes.
///
/// # Errors
/// `PASSWORD_HASH_INVALID`.
pub fn check_password_hash(phc: &str) -> Result<(), FieldError> {
    if phc.starts_with("$argon2id$")
        && phc.len() <= PASSWORD_HASH_MAX
        && phc.chars().all(|c| c.is_ascii_graphic())
    {
        Ok(())
    } else {
        Err(FieldError::new(
            "password_hash",
            "PASSWORD_HASH_INVALID",
            "Hash kata sandi harus berupa string PHC Argon2id",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn usernames() {
        for ok in ["op1", "Operator.Satu", "admin-bpbd_2", "a23"] {
            assert_eq!(check_username(ok), Ok(()), "{ok}");
        }
        for bad in ["", "ab", "-op", "op satu", "op@x", "ópé", &"a".repeat(65)] {
            assert_eq!(
                check_username(bad).map_err(|e| e.code),
                Err("USERNAME_INVALID"),
                "{bad}"
            );
        }
        assert_eq!(username_key("Admin-BPBD"), "admin-bpbd");
    }

    #[test]
    fn lines_and_texts() {
        assert!(check_line("name", "X", "Budi Santoso", 120).is_ok());
        assert!(check_line("name", "X", " Budi", 120).is_err());
        assert!(check_line("name", "X", "   ", 120).is_err());
        assert!(check_line("name", "X", "a\nb", 120).is_err());
        assert!(check_text("body", "X", "a\nb", 120).is_ok());
        assert!(check_text("body", "X", "a\u{0}b", 120).is_err());
        assert_eq!(
            check_line("name", "NAME_INVALID", &"é".repeat(121), 120)
                .unwrap_err()
                .code,
            "NAME_INVALID"
        );
        assert!(check_line("name", "X", &"é".repeat(120), 120).is_ok());
    }

    #[test]
    fn nik_and_nip() {
        let today = date!(2026 - 11 - 27);
        assert_eq!(
            normalize_nik("3313-0141-0790-0001", today).unwrap(),
            "3313014107900001"
        );
        assert_eq!(normalize_nik("123", today).unwrap_err().code, "NIK_INVALID");
        let nip = "199001012015031002";
        assert_eq!(
            normalize_nip(Some("19900101 201503 1 002"), EmploymentStatus::Pns).unwrap(),
            Some(nip.to_string())
        );
        assert_eq!(normalize_nip(None, EmploymentStatus::NonAsn).unwrap(), None);
        assert_eq!(
            normalize_nip(Some(" "), EmploymentStatus::NonAsn).unwrap(),
            None
        );
        let code = |n: Option<&str>, s| normalize_nip(n, s).unwrap_err().code;
        assert_eq!(code(None, EmploymentStatus::Pppk), "NIP_REQUIRED");
        assert_eq!(code(Some(nip), EmploymentStatus::NonAsn), "NIP_NOT_ALLOWED");
        assert_eq!(
            code(Some("19900101201503100"), EmploymentStatus::Pns),
            "NIP_INVALID"
        );
        assert_eq!(
            code(Some("199002302015031002"), EmploymentStatus::Pns),
            "NIP_INVALID"
        );
        assert_eq!(
            code(Some("199001012015131002"), EmploymentStatus::Pns),
            "NIP_INVALID"
        );
        assert_eq!(
            code(Some("199001012015033002"), EmploymentStatus::Pns),
            "NIP_INVALID"
        );
    }

    #[test]
    fn region_codes_user_ids_and_hashes() {
        assert_eq!(normalize_region_code("r", "3313").unwrap(), "33.13");
        assert_eq!(normalize_region_code("r", "33.13.01").unwrap(), "33.13.01");
        assert!(normalize_region_code("r", "33").is_err());
        assert!(normalize_region_code("r", "99.99").is_err());
        assert!(check_user_id("local_user_id", "LOCAL_USER_ID_INVALID", "api-demo").is_ok());
        assert!(check_user_id("local_user_id", "LOCAL_USER_ID_INVALID", "api demo").is_err());
        assert!(check_user_id("local_user_id", "LOCAL_USER_ID_INVALID", "").is_err());
        assert!(check_password_hash("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA").is_ok());
        assert!(check_password_hash("$2b$12$bcrypt").is_err());
        assert!(check_password_hash("plain-password").is_err());
    }

    #[test]
    fn statuses_round_trip() {
        for s in UserIdStatus::ALL {
            assert_eq!(UserIdStatus::parse(s.as_str()), Some(s));
        }
        assert!(UserIdStatus::Requested.may_become(UserIdStatus::Active));
        assert!(!UserIdStatus::Revoked.may_become(UserIdStatus::Active));
        assert!(!UserIdStatus::Active.may_become(UserIdStatus::Requested));
        for s in EmploymentStatus::ALL {
            assert_eq!(EmploymentStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(
            AccountStatus::parse("deactivated"),
            Some(AccountStatus::Deactivated)
        );
        assert_eq!(AccountStatus::parse("locked"), None);
    }
}
