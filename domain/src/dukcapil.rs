//! The Dukcapil web service's response codes, as publicly known: the one definition shared by
//! the upstream client (`server::upstream`), the simulator and the pages.
//!
//! Each code has a kind: a success, an identity result (an answer about a person: kept as
//! evidence, charged to the quota) or a setup error (an answer about the institution's access:
//! alert an administrator, never blame the resident).

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// What a response code is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CodeKind {
    /// 01, 12: data found.
    Success,
    /// 08, 11, 13, 14, 15: an answer about the person.
    IdentityResult,
    /// 03-07, 09, 10, 16, 17: an answer about the institution's access.
    SetupError,
}

/// A `RESPONSE_CODE` of the contract table. Serialises as its two-digit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ResponseCode {
    /// 01: data found.
    Found,
    /// 12: data found, more than one record.
    MultipleRecords,
    /// 11: data found, person deceased.
    Deceased,
    /// 08: NIK cannot be processed.
    CannotProcess,
    /// 13: NIK not found.
    NotFound,
    /// 14: record inactive.
    Inactive,
    /// 15: not found, NIK not in registry format.
    BadFormat,
    /// 03: login failed.
    LoginFailed,
    /// 04: IP address does not match the user ID.
    IpMismatch,
    /// 05: daily quota used up.
    QuotaExhausted,
    /// 06: access outside permitted hours.
    OutsideHours,
    /// 07: request parameters incomplete.
    Incomplete,
    /// 09: user, password or IP empty.
    EmptyCredentials,
    /// 10: IP not registered.
    IpNotRegistered,
    /// 16: institution not active.
    InstitutionInactive,
    /// 17: user ID not active.
    UserInactive,
}

/// A string that is not one of the sixteen response codes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown response code {0:?}")]
pub struct UnknownResponseCode(pub String);

impl ResponseCode {
    /// Every code, in the contract table's order.
    pub const ALL: [ResponseCode; 16] = [
        Self::Found,
        Self::MultipleRecords,
        Self::Deceased,
        Self::CannotProcess,
        Self::NotFound,
        Self::Inactive,
        Self::BadFormat,
        Self::LoginFailed,
        Self::IpMismatch,
        Self::QuotaExhausted,
        Self::OutsideHours,
        Self::Incomplete,
        Self::EmptyCredentials,
        Self::IpNotRegistered,
        Self::InstitutionInactive,
        Self::UserInactive,
    ];

    /// The two-digit code as sent in `RESPONSE_CODE`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Found => "01",
            Self::LoginFailed => "03",
            Self::IpMismatch => "04",
            Self::QuotaExhausted => "05",
            Self::OutsideHours => "06",
            Self::Incomplete => "07",
            Self::CannotProcess => "08",
            Self::EmptyCredentials => "09",
            Self::IpNotRegistered => "10",
            Self::Deceased => "11",
            Self::MultipleRecords => "12",
            Self::NotFound => "13",
            Self::Inactive => "14",
            Self::BadFormat => "15",
            Self::InstitutionInactive => "16",
            Self::UserInactive => "17",
        }
    }

    /// Reads a code leniently as deployments send it (`"13"`, `" 13 "`, `"5"`).
    pub fn parse_lenient(text: &str) -> Option<ResponseCode> {
        let t = text.trim();
        match t.len() {
            1 if t.bytes().all(|b| b.is_ascii_digit()) => Self::ALL
                .into_iter()
                .find(|c| c.as_str()[1..] == *t && c.as_str().starts_with('0')),
            _ => Self::ALL.into_iter().find(|c| c.as_str() == t),
        }
    }

    /// The `RESPON` text the service sends with the code (spellings as seen in public
    /// integrations, including their odd spacing).
    pub fn respon(self) -> &'static str {
        match self {
            Self::Found => "Data Ditemukan",
            Self::MultipleRecords => "Data Ditemukan Lebih Dari Satu",
            Self::Deceased => "Data Ditemukan, Status Meninggal",
            Self::CannotProcess => "NIK Tidak Dapat Diproses",
            Self::NotFound => "Data Tidak Ditemukan",
            Self::Inactive => "Data Tidak Aktif",
            Self::BadFormat => "Data Tidak Ditemukan, NIK Tidak Sesuai Format",
            Self::LoginFailed => "Login Gagal",
            Self::IpMismatch => "IP Address Tidak Sesuai",
            Self::QuotaExhausted => "Kuota Akses Hari ini telah Habis",
            Self::OutsideHours => "Akses Di Luar Jam Layanan",
            Self::Incomplete => "Parameter Tidak Lengkap",
            Self::EmptyCredentials => "User, Password atau IP Kosong",
            Self::IpNotRegistered => "IP Client  Tidak terdaftar",
            Self::InstitutionInactive => "Instansi Tidak Aktif",
            Self::UserInactive => "User ID Tidak Aktif",
        }
    }

    /// The code a `RESPON` text stands for, for answers without a code (case and spacing
    /// ignored; `NIK TIDAK DITEMUKAN` is also read as 13).
    pub fn from_respon(text: &str) -> Option<ResponseCode> {
        let norm = |s: &str| {
            s.split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .to_uppercase()
        };
        let wanted = norm(text);
        if wanted == "NIK TIDAK DITEMUKAN" {
            return Some(Self::NotFound);
        }
        Self::ALL.into_iter().find(|c| norm(c.respon()) == wanted)
    }

    /// What the code is about.
    pub fn kind(self) -> CodeKind {
        match self {
            Self::Found | Self::MultipleRecords => CodeKind::Success,
            Self::Deceased
            | Self::CannotProcess
            | Self::NotFound
            | Self::Inactive
            | Self::BadFormat => CodeKind::IdentityResult,
            Self::LoginFailed
            | Self::IpMismatch
            | Self::QuotaExhausted
            | Self::OutsideHours
            | Self::Incomplete
            | Self::EmptyCredentials
            | Self::IpNotRegistered
            | Self::InstitutionInactive
            | Self::UserInactive => CodeKind::SetupError,
        }
    }

    /// Whether the code is about the institution's access rather than about a person.
    pub fn is_setup_error(self) -> bool {
        self.kind() == CodeKind::SetupError
    }

    /// 05: the daily quota is used up (resume on the next WIB day).
    pub fn is_quota_exhausted(self) -> bool {
        self == Self::QuotaExhausted
    }

    /// An Indonesian description for operators and administrators.
    pub fn description(self) -> &'static str {
        match self {
            Self::Found => "Data ditemukan",
            Self::MultipleRecords => "Data ditemukan lebih dari satu (perlu diperiksa)",
            Self::Deceased => "Data ditemukan, status meninggal",
            Self::CannotProcess => "NIK tidak dapat diproses",
            Self::NotFound => "NIK tidak ditemukan",
            Self::Inactive => "Data tidak aktif",
            Self::BadFormat => "Data tidak ditemukan, NIK tidak sesuai format",
            Self::LoginFailed => "Login gagal (user ID atau password salah)",
            Self::IpMismatch => "Alamat IP tidak sesuai dengan user ID",
            Self::QuotaExhausted => "Kuota akses hari ini telah habis",
            Self::OutsideHours => "Akses di luar jam layanan",
            Self::Incomplete => "Parameter permintaan tidak lengkap",
            Self::EmptyCredentials => "User ID, password atau IP kosong",
            Self::IpNotRegistered => "Alamat IP tidak terdaftar",
            Self::InstitutionInactive => "Instansi tidak aktif",
            Self::UserInactive => "User ID tidak aktif (hubungi admin Disdukcapil)",
        }
    }
}

impl fmt::Display for ResponseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ResponseCode {
    type Err = UnknownResponseCode;

    /// Strict: exactly one of the sixteen two-digit codes (surrounding spaces ignored).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str() == s.trim())
            .ok_or_else(|| UnknownResponseCode(s.into()))
    }
}

impl Serialize for ResponseCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ResponseCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips_with_its_kind_and_texts() {
        let expect = [
            ("01", CodeKind::Success),
            ("12", CodeKind::Success),
            ("08", CodeKind::IdentityResult),
            ("11", CodeKind::IdentityResult),
            ("13", CodeKind::IdentityResult),
            ("14", CodeKind::IdentityResult),
            ("15", CodeKind::IdentityResult),
            ("03", CodeKind::SetupError),
            ("04", CodeKind::SetupError),
            ("05", CodeKind::SetupError),
            ("06", CodeKind::SetupError),
            ("07", CodeKind::SetupError),
            ("09", CodeKind::SetupError),
            ("10", CodeKind::SetupError),
            ("16", CodeKind::SetupError),
            ("17", CodeKind::SetupError),
        ];
        assert_eq!(ResponseCode::ALL.len(), expect.len());
        for (text, kind) in expect {
            let code: ResponseCode = text.parse().unwrap();
            assert_eq!(code.as_str(), text);
            assert_eq!(code.kind(), kind, "{text}");
            assert_eq!(
                ResponseCode::from_respon(code.respon()),
                Some(code),
                "{text}"
            );
            assert!(!code.description().is_empty());
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{text}\""));
            assert_eq!(serde_json::from_str::<ResponseCode>(&json).unwrap(), code);
        }
    }

    #[test]
    fn lenient_and_strict_parsing() {
        assert_eq!(
            ResponseCode::parse_lenient(" 13 "),
            Some(ResponseCode::NotFound)
        );
        assert_eq!(
            ResponseCode::parse_lenient("5"),
            Some(ResponseCode::QuotaExhausted)
        );
        assert_eq!(ResponseCode::parse_lenient("02"), None);
        assert_eq!(ResponseCode::parse_lenient("1"), Some(ResponseCode::Found));
        assert!("5".parse::<ResponseCode>().is_err());
        assert!("02".parse::<ResponseCode>().is_err());
        assert!(serde_json::from_str::<ResponseCode>("\"99\"").is_err());
    }

    #[test]
    fn respon_texts_are_read_loosely() {
        assert_eq!(
            ResponseCode::from_respon("ip client tidak   terdaftar"),
            Some(ResponseCode::IpNotRegistered)
        );
        assert_eq!(
            ResponseCode::from_respon("NIK Tidak Ditemukan"),
            Some(ResponseCode::NotFound)
        );
        assert_eq!(ResponseCode::from_respon("something else"), None);
    }
}
