//! NIK (Nomor Induk Kependudukan) and No. KK (Nomor Kartu Keluarga): parsing, validation with
//! stable error codes and Indonesian messages, accessors, masking, and the [`NikReport`] that
//! `sigap nik inspect` and the API print.
//!
//! A NIK is 16 digits: `PP RR DD DDMMYY SSSS` = province (2), regency (2), district (2), birth
//! date (day + 40 for women), serial (4). A No. KK is 16 digits whose first six are the region.
//!
//! # Input
//! Spaces (any Unicode whitespace), dots and hyphens (`-` and the Unicode dashes U+2010..U+2015,
//! U+2212) are separators and are stripped. Every other character must be an ASCII digit.
//!
//! # Check order
//! [`Nik::parse`] stops at the first failing rule, in this order:
//! 1. `NIK_NOT_DIGITS`: a character other than a digit or separator (reported even when the
//!    length is also wrong);
//! 2. `NIK_LENGTH`: not exactly 16 digits (an empty input is `NIK_LENGTH`, 0 digits);
//! 3. `NIK_UNKNOWN_PROVINCE`: digits 1-2 are a province code in no edition of the region table;
//! 4. `NIK_BAD_DATE`: digits 7-12 are no calendar date (day `01..=31` for men, `41..=71` for
//!    women, month `01..=12`, leap years checked) in either candidate century;
//! 5. `NIK_ZERO_SERIAL`: digits 13-16 are `0000`.
//!
//! A known province with a regency or district found in no edition is still a valid NIK, with
//! the warning `REGION_UNKNOWN` ([`NikWarning::RegionUnknown`]).
//!
//! # Century
//! `YY` is read as the latest century that does not put the birth date after `today`: first
//! `CC YY` with `CC` = today's century, else one century earlier. A date that does not exist
//! in the chosen year (29 February) moves to the earlier century if it exists there, otherwise
//! it is `NIK_BAD_DATE`. A birth date equal to `today` is accepted.
//!
//! # Privacy
//! `Debug` of [`Nik`] and [`NoKk`] shows the masked form (`3313********0001`); `Display` and
//! `Serialize` give the full 16 digits.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::{Date, Month};

use crate::region::{self, Edition, RegionCode, RegionPath};

time::serde::format_description!(iso_date, Date, "[year]-[month]-[day]");

/// Number of digits in a NIK and in a No. KK.
pub const LENGTH: usize = 16;

/// Whether `c` is a separator that parsing strips (whitespace, dot, hyphen or Unicode dash).
#[must_use]
pub fn is_separator(c: char) -> bool {
    c.is_whitespace() || matches!(c, '.' | '-' | '\u{2010}'..='\u{2015}' | '\u{2212}')
}

/// The input with separators removed (what [`NikReport::nik`] shows for an invalid NIK).
#[must_use]
pub fn strip_separators(input: &str) -> String {
    input.chars().filter(|c| !is_separator(*c)).collect()
}

/// Scan result: the first 16 digits, the digit count, and the first non-digit character.
struct Scan {
    digits: [u8; LENGTH],
    count: usize,
    bad: Option<char>,
}

fn scan(input: &str) -> Scan {
    let mut scan = Scan {
        digits: [b'0'; LENGTH],
        count: 0,
        bad: None,
    };
    if input.is_ascii() {
        for &b in input.as_bytes() {
            if b.is_ascii_digit() {
                if let Some(slot) = scan.digits.get_mut(scan.count) {
                    *slot = b;
                }
                scan.count += 1;
            } else if !matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0B | 0x0C | b'.' | b'-') {
                scan.bad = Some(char::from(b));
                break;
            }
        }
        return scan;
    }
    for c in input.chars() {
        if c.is_ascii_digit() {
            if let Some(slot) = scan.digits.get_mut(scan.count) {
                *slot = u8::try_from(c).unwrap_or(b'0');
            }
            scan.count += 1;
        } else if !is_separator(c) {
            scan.bad = Some(c);
            break;
        }
    }
    scan
}

fn two_digits(digits: &[u8; LENGTH], at: usize) -> u8 {
    (digits[at] - b'0') * 10 + (digits[at + 1] - b'0')
}

fn digits_str(digits: &[u8; LENGTH]) -> &str {
    // Only ASCII digits are ever stored.
    std::str::from_utf8(digits).unwrap_or("")
}

fn masked(digits: &[u8; LENGTH]) -> String {
    let mut out = String::with_capacity(LENGTH);
    for (i, d) in digits.iter().enumerate() {
        out.push(if (4..12).contains(&i) {
            '*'
        } else {
            char::from(*d)
        });
    }
    out
}

/// Sex encoded in a NIK (day + 40 for women). Serialises as `"L"` / `"P"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Sex {
    /// Laki-laki.
    #[serde(rename = "L")]
    Male,
    /// Perempuan.
    #[serde(rename = "P")]
    Female,
}

impl Sex {
    /// `"L"` or `"P"`.
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            Sex::Male => "L",
            Sex::Female => "P",
        }
    }

    /// `"Laki-laki"` or `"Perempuan"`.
    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            Sex::Male => "Laki-laki",
            Sex::Female => "Perempuan",
        }
    }
}

/// Stable NIK error code. Serialises as `NIK_LENGTH`, `NIK_NOT_DIGITS`, ...
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum NikErrorCode {
    /// Not exactly 16 digits.
    NikLength,
    /// A character other than a digit or separator.
    NikNotDigits,
    /// Province code in no edition of the region table.
    NikUnknownProvince,
    /// The birth-date digits are no calendar date.
    NikBadDate,
    /// Serial `0000`.
    NikZeroSerial,
}

impl NikErrorCode {
    /// The code as serialised, e.g. `"NIK_BAD_DATE"`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            NikErrorCode::NikLength => "NIK_LENGTH",
            NikErrorCode::NikNotDigits => "NIK_NOT_DIGITS",
            NikErrorCode::NikUnknownProvince => "NIK_UNKNOWN_PROVINCE",
            NikErrorCode::NikBadDate => "NIK_BAD_DATE",
            NikErrorCode::NikZeroSerial => "NIK_ZERO_SERIAL",
        }
    }
}

impl fmt::Display for NikErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a NIK is invalid. `Display` is the Indonesian message; [`NikError::code`] the stable code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NikError {
    /// `NIK_NOT_DIGITS`.
    #[error("NIK hanya boleh berisi angka; ditemukan karakter {found:?}")]
    NotDigits {
        /// The first offending character.
        found: char,
    },
    /// `NIK_LENGTH`.
    #[error("NIK harus terdiri dari 16 digit, bukan {found} digit")]
    Length {
        /// Number of digits found.
        found: usize,
    },
    /// `NIK_UNKNOWN_PROVINCE`.
    #[error("Kode provinsi {code:02} pada NIK tidak dikenal")]
    UnknownProvince {
        /// The two-digit province code.
        code: u8,
    },
    /// `NIK_BAD_DATE`.
    #[error(
        "Tanggal lahir pada NIK tidak valid: {day:02}-{month:02}-{year:02} bukan tanggal yang ada \
         (tanggal 01-31 untuk laki-laki, 41-71 untuk perempuan)"
    )]
    BadDate {
        /// Day digits as written (women: day + 40).
        day: u8,
        /// Month digits.
        month: u8,
        /// Two-digit year.
        year: u8,
    },
    /// `NIK_ZERO_SERIAL`.
    #[error("Nomor urut pada NIK (4 digit terakhir) tidak boleh 0000")]
    ZeroSerial,
}

impl NikError {
    /// The stable code.
    #[must_use]
    pub const fn code(&self) -> NikErrorCode {
        match self {
            NikError::NotDigits { .. } => NikErrorCode::NikNotDigits,
            NikError::Length { .. } => NikErrorCode::NikLength,
            NikError::UnknownProvince { .. } => NikErrorCode::NikUnknownProvince,
            NikError::BadDate { .. } => NikErrorCode::NikBadDate,
            NikError::ZeroSerial => NikErrorCode::NikZeroSerial,
        }
    }

    /// The Indonesian message (same as `to_string()`).
    #[must_use]
    pub fn message(&self) -> String {
        self.to_string()
    }

    /// Code and message, as in [`NikReport`].
    #[must_use]
    pub fn body(&self) -> ErrorBody<NikErrorCode> {
        ErrorBody {
            code: self.code(),
            message: self.message(),
        }
    }
}

/// A serialisable error: `{"code": "...", "message": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ErrorBody<C> {
    /// Stable code.
    pub code: C,
    /// Indonesian message.
    pub message: String,
}

/// Warning on a valid NIK or No. KK. Serialises as `REGION_UNKNOWN`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum NikWarning {
    /// The province is known but the regency or district is in no edition of the region table.
    RegionUnknown,
}

impl NikWarning {
    /// The code as serialised.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            NikWarning::RegionUnknown => "REGION_UNKNOWN",
        }
    }

    /// Indonesian message.
    #[must_use]
    pub const fn message(self) -> &'static str {
        match self {
            NikWarning::RegionUnknown => {
                "Kode kabupaten/kota atau kecamatan pada nomor ini tidak ditemukan di tabel wilayah"
            }
        }
    }
}

/// The latest century that puts `day-month-yy` on or before `today` (see the module docs).
fn birth_date(day: u8, month: u8, yy: u8, today: Date) -> Option<Date> {
    let month = Month::try_from(month).ok()?;
    let century = today.year() - today.year().rem_euclid(100);
    let recent = century + i32::from(yy);
    [recent, recent - 100].into_iter().find_map(|year| {
        Date::from_calendar_date(year, month, day)
            .ok()
            .filter(|date| *date <= today)
    })
}

/// A valid NIK. Construct with [`Nik::parse`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Nik {
    digits: [u8; LENGTH],
    birth_date: Date,
    sex: Sex,
}

impl Nik {
    /// Parses and validates a NIK; see the module docs for separators, check order and century.
    ///
    /// # Errors
    /// The first failing rule as a [`NikError`].
    pub fn parse(input: &str, today: Date) -> Result<Nik, NikError> {
        let Scan { digits, count, bad } = scan(input);
        if let Some(found) = bad {
            return Err(NikError::NotDigits { found });
        }
        if count != LENGTH {
            return Err(NikError::Length { found: count });
        }
        let province = two_digits(&digits, 0);
        if !region::is_known_province(province) {
            return Err(NikError::UnknownProvince { code: province });
        }
        let raw_day = two_digits(&digits, 6);
        let month = two_digits(&digits, 8);
        let yy = two_digits(&digits, 10);
        let bad_date = NikError::BadDate {
            day: raw_day,
            month,
            year: yy,
        };
        let (day, sex) = match raw_day {
            1..=31 => (raw_day, Sex::Male),
            41..=71 => (raw_day - 40, Sex::Female),
            _ => return Err(bad_date),
        };
        let birth_date = birth_date(day, month, yy, today).ok_or(bad_date)?;
        if digits[12..] == *b"0000" {
            return Err(NikError::ZeroSerial);
        }
        Ok(Nik {
            digits,
            birth_date,
            sex,
        })
    }

    /// The 16 digits.
    #[must_use]
    pub fn as_str(&self) -> &str {
        digits_str(&self.digits)
    }

    /// Province code digits, e.g. `"33"`.
    #[must_use]
    pub fn province_code(&self) -> &str {
        &self.as_str()[0..2]
    }

    /// Regency code digits including the province, e.g. `"3313"`.
    #[must_use]
    pub fn regency_code(&self) -> &str {
        &self.as_str()[0..4]
    }

    /// District code digits including province and regency, e.g. `"331301"`.
    #[must_use]
    pub fn district_code(&self) -> &str {
        &self.as_str()[0..6]
    }

    /// The district-level [`RegionCode`] (`33.13.01`).
    #[must_use]
    pub fn region_code(&self) -> RegionCode {
        district_code_of(&self.digits)
    }

    /// Looks up province, regency and district (O(1)). The province is always known.
    #[must_use]
    pub fn region(&self) -> RegionPath {
        region_path_of(&self.digits)
    }

    /// `[RegionUnknown]` when the regency or district is in no edition, else empty.
    #[must_use]
    pub fn warnings(&self) -> Vec<NikWarning> {
        warnings_of(&self.region())
    }

    /// Sex (day + 40 = female).
    #[must_use]
    pub const fn sex(&self) -> Sex {
        self.sex
    }

    /// Birth date, with the century chosen against the `today` given to [`Nik::parse`].
    #[must_use]
    pub const fn birth_date(&self) -> Date {
        self.birth_date
    }

    /// The four serial digits, e.g. `"0001"`.
    #[must_use]
    pub fn serial(&self) -> &str {
        &self.as_str()[12..16]
    }

    /// The serial as a number (`1..=9999`).
    #[must_use]
    pub fn serial_number(&self) -> u16 {
        u16::from(two_digits(&self.digits, 12)) * 100 + u16::from(two_digits(&self.digits, 14))
    }

    /// First 4 and last 4 digits, 8 stars between: `3313********0001`.
    #[must_use]
    pub fn masked(&self) -> String {
        masked(&self.digits)
    }

    /// Grouped for display: `33.13.01.410790.0001` (parses back to the same NIK).
    #[must_use]
    pub fn grouped(&self) -> String {
        let s = self.as_str();
        format!(
            "{}.{}.{}.{}.{}",
            &s[0..2],
            &s[2..4],
            &s[4..6],
            &s[6..12],
            &s[12..16]
        )
    }
}

fn district_code_of(digits: &[u8; LENGTH]) -> RegionCode {
    RegionCode::district_wrapping(
        two_digits(digits, 0),
        two_digits(digits, 2),
        two_digits(digits, 4),
    )
}

fn region_path_of(digits: &[u8; LENGTH]) -> RegionPath {
    let province = two_digits(digits, 0);
    region::resolve(province, two_digits(digits, 2), two_digits(digits, 4))
        .or_else(|| region::resolve(province, 0, 0))
        .unwrap_or_else(|| RegionPath {
            // Only reachable for a province that vanished from the tables after parsing,
            // which cannot happen: the tables are compiled in.
            province: region::Region {
                code: RegionCode::province_wrapping(province),
                name: "",
                edition: Edition::Y2025,
            },
            regency: None,
            district: None,
        })
}

fn warnings_of(path: &RegionPath) -> Vec<NikWarning> {
    if path.is_complete() {
        Vec::new()
    } else {
        vec![NikWarning::RegionUnknown]
    }
}

impl fmt::Display for Nik {
    /// The 16 digits.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Nik {
    /// Masked, so a NIK never lands whole in a log through `{:?}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Nik({})", self.masked())
    }
}

impl Serialize for Nik {
    /// The 16 digits as a string. (No `Deserialize`: parsing needs `today`.)
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// Stable No. KK error code. Serialises as `KK_LENGTH`, `KK_NOT_DIGITS`, `KK_UNKNOWN_PROVINCE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum NoKkErrorCode {
    /// Not exactly 16 digits.
    KkLength,
    /// A character other than a digit or separator.
    KkNotDigits,
    /// Province code in no edition of the region table.
    KkUnknownProvince,
}

impl NoKkErrorCode {
    /// The code as serialised.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            NoKkErrorCode::KkLength => "KK_LENGTH",
            NoKkErrorCode::KkNotDigits => "KK_NOT_DIGITS",
            NoKkErrorCode::KkUnknownProvince => "KK_UNKNOWN_PROVINCE",
        }
    }
}

impl fmt::Display for NoKkErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a No. KK is invalid. Checked in this order: not digits, length, province.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoKkError {
    /// `KK_NOT_DIGITS`.
    #[error("Nomor KK hanya boleh berisi angka; ditemukan karakter {found:?}")]
    NotDigits {
        /// The first offending character.
        found: char,
    },
    /// `KK_LENGTH`.
    #[error("Nomor KK harus terdiri dari 16 digit, bukan {found} digit")]
    Length {
        /// Number of digits found.
        found: usize,
    },
    /// `KK_UNKNOWN_PROVINCE`.
    #[error("Kode provinsi {code:02} pada nomor KK tidak dikenal")]
    UnknownProvince {
        /// The two-digit province code.
        code: u8,
    },
}

impl NoKkError {
    /// The stable code.
    #[must_use]
    pub const fn code(&self) -> NoKkErrorCode {
        match self {
            NoKkError::NotDigits { .. } => NoKkErrorCode::KkNotDigits,
            NoKkError::Length { .. } => NoKkErrorCode::KkLength,
            NoKkError::UnknownProvince { .. } => NoKkErrorCode::KkUnknownProvince,
        }
    }

    /// The Indonesian message.
    #[must_use]
    pub fn message(&self) -> String {
        self.to_string()
    }

    /// Code and message.
    #[must_use]
    pub fn body(&self) -> ErrorBody<NoKkErrorCode> {
        ErrorBody {
            code: self.code(),
            message: self.message(),
        }
    }
}

/// A valid No. KK (family card number): 16 digits, first six the region, province known.
///
/// Rules: separators as for a NIK; `KK_NOT_DIGITS`, then `KK_LENGTH`, then
/// `KK_UNKNOWN_PROVINCE`. An unknown regency/district is a warning, as for a NIK. Digits 7-16
/// (issue date and serial) are not checked: their layout is not reliable across issuers.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NoKk {
    digits: [u8; LENGTH],
}

impl NoKk {
    /// Parses and validates a No. KK.
    ///
    /// # Errors
    /// The first failing rule as a [`NoKkError`].
    pub fn parse(input: &str) -> Result<NoKk, NoKkError> {
        let Scan { digits, count, bad } = scan(input);
        if let Some(found) = bad {
            return Err(NoKkError::NotDigits { found });
        }
        if count != LENGTH {
            return Err(NoKkError::Length { found: count });
        }
        let province = two_digits(&digits, 0);
        if !region::is_known_province(province) {
            return Err(NoKkError::UnknownProvince { code: province });
        }
        Ok(NoKk { digits })
    }

    /// The 16 digits.
    #[must_use]
    pub fn as_str(&self) -> &str {
        digits_str(&self.digits)
    }

    /// Province code digits, e.g. `"33"`.
    #[must_use]
    pub fn province_code(&self) -> &str {
        &self.as_str()[0..2]
    }

    /// Regency code digits, e.g. `"3313"`.
    #[must_use]
    pub fn regency_code(&self) -> &str {
        &self.as_str()[0..4]
    }

    /// District code digits, e.g. `"331301"`.
    #[must_use]
    pub fn district_code(&self) -> &str {
        &self.as_str()[0..6]
    }

    /// The district-level [`RegionCode`].
    #[must_use]
    pub fn region_code(&self) -> RegionCode {
        district_code_of(&self.digits)
    }

    /// Looks up province, regency and district.
    #[must_use]
    pub fn region(&self) -> RegionPath {
        region_path_of(&self.digits)
    }

    /// `[RegionUnknown]` when the regency or district is in no edition, else empty.
    #[must_use]
    pub fn warnings(&self) -> Vec<NikWarning> {
        warnings_of(&self.region())
    }

    /// First 4 and last 4 digits, 8 stars between.
    #[must_use]
    pub fn masked(&self) -> String {
        masked(&self.digits)
    }
}

impl fmt::Display for NoKk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for NoKk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NoKk({})", self.masked())
    }
}

impl Serialize for NoKk {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for NoKk {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        NoKk::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// `{"code": "33.13", "name": "Kabupaten Karanganyar"}` in a [`NikReport`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RegionName {
    /// Dotted code.
    pub code: String,
    /// Name as stored in the edition that has the code.
    pub name: String,
}

impl From<region::Region> for RegionName {
    fn from(region: region::Region) -> Self {
        RegionName {
            code: region.code.to_string(),
            name: region.name.to_string(),
        }
    }
}

/// The decoded fields of a valid NIK, in report order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NikDetails {
    /// Province (always known for a valid NIK).
    pub province: RegionName,
    /// Regency/city, `null` when unknown.
    pub regency: Option<RegionName>,
    /// District, `null` when unknown.
    pub district: Option<RegionName>,
    /// Edition that named the most specific level found.
    pub region_edition: Edition,
    /// `"L"` or `"P"`.
    pub sex: Sex,
    /// `YYYY-MM-DD`.
    #[serde(with = "iso_date")]
    pub birth_date: Date,
    /// Four serial digits.
    pub serial: String,
    /// `["REGION_UNKNOWN"]` or empty.
    pub warnings: Vec<NikWarning>,
}

/// Valid or invalid part of a [`NikReport`] (flattened into it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum NikOutcome {
    /// A valid NIK.
    Valid(NikDetails),
    /// An invalid NIK.
    Invalid {
        /// Code and Indonesian message of the first failing rule.
        error: ErrorBody<NikErrorCode>,
    },
}

/// Everything `sigap nik inspect` prints. Serialises exactly as
///
/// `{"valid":true,"nik":"3313014107900001","province":{"code":"33","name":"..."},`
/// `"regency":{"code":"33.13","name":"..."},"district":{"code":"33.13.01","name":"..."},`
/// `"region_edition":"2025","sex":"P","birth_date":"1990-07-01","serial":"0001","warnings":[]}`
///
/// or `{"valid":false,"nik":"<input without separators>","error":{"code":"NIK_BAD_DATE","message":"..."}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NikReport {
    /// Whether the NIK is valid (warnings do not make it invalid).
    pub valid: bool,
    /// The 16 digits, or for an invalid NIK the input with separators stripped.
    pub nik: String,
    /// Details or error.
    #[serde(flatten)]
    pub outcome: NikOutcome,
}

impl NikReport {
    /// The report for a parsed NIK.
    #[must_use]
    pub fn from_nik(nik: &Nik) -> NikReport {
        let path = nik.region();
        NikReport {
            valid: true,
            nik: nik.as_str().to_string(),
            outcome: NikOutcome::Valid(NikDetails {
                province: path.province.into(),
                regency: path.regency.map(RegionName::from),
                district: path.district.map(RegionName::from),
                region_edition: path.edition(),
                sex: nik.sex(),
                birth_date: nik.birth_date(),
                serial: nik.serial().to_string(),
                warnings: warnings_of(&path),
            }),
        }
    }

    /// The report for an input that failed with `error`.
    #[must_use]
    pub fn from_error(input: &str, error: &NikError) -> NikReport {
        NikReport {
            valid: false,
            nik: strip_separators(input),
            outcome: NikOutcome::Invalid {
                error: error.body(),
            },
        }
    }

    /// Whether the NIK is valid.
    #[must_use]
    pub const fn is_valid(&self) -> bool {
        self.valid
    }

    /// The error code, for an invalid NIK.
    #[must_use]
    pub fn error_code(&self) -> Option<NikErrorCode> {
        match &self.outcome {
            NikOutcome::Valid(_) => None,
            NikOutcome::Invalid { error } => Some(error.code),
        }
    }
}

/// Parses `input` against `today` and describes the result (never fails).
#[must_use]
pub fn inspect(input: &str, today: Date) -> NikReport {
    match Nik::parse(input, today) {
        Ok(nik) => NikReport::from_nik(&nik),
        Err(error) => NikReport::from_error(input, &error),
    }
}
