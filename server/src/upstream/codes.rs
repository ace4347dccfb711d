//! The upstream's `RESPONSE_CODE`s, each with its kind (success, identity result, setup
//! error) and an Indonesian description for operators and administrators.
//!
//! Identity results are answers about a person (kept as evidence, charged to the quota);
//! setup errors are answers about the institution's access (alert an administrator, never
//! blame the resident). A code the contract does not list is [`ResponseCode::Unknown`] and is
//! treated as a setup error.

use std::fmt;

use serde::{Serialize, Serializer};

/// What a response code is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CodeKind {
    /// 01, 12: data found.
    Success,
    /// 08, 11, 13, 14, 15: an answer about the person.
    IdentityResult,
    /// 03-07, 09, 10, 16, 17 and unknown codes: an answer about the institution's access.
    SetupError,
}

/// A `RESPONSE_CODE`. Serialises as its two-digit code.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
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
    /// A code the contract does not list (at most 8 characters, sanitised; empty when the
    /// answer carried only an unrecognised `RESPON` text).
    Unknown(String),
}

impl ResponseCode {
    /// Every known code, in the contract table's order.
    pub const KNOWN: [ResponseCode; 16] = [
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

    /// Reads a code as sent (`"13"`, `"13 "`, `13`, `"5"`); anything else is
    /// [`ResponseCode::Unknown`].
    pub fn parse(text: &str) -> Self {
        let t = text.trim();
        let padded;
        let t = if t.len() == 1 && t.bytes().all(|b| b.is_ascii_digit()) {
            padded = format!("0{t}");
            padded.as_str()
        } else {
            t
        };
        Self::KNOWN
            .into_iter()
            .find(|c| c.as_str() == t)
            .unwrap_or_else(|| Self::Unknown(sanitise(t)))
    }

    /// The code from a `RESPON` text, for answers that carry no code (texts seen in public
    /// integrations and the simulator; case and spacing ignored). Unrecognised text gives
    /// `Unknown("")`.
    pub fn from_respon(text: &str) -> Self {
        let norm = text
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_uppercase();
        match norm.as_str() {
            "DATA DITEMUKAN" => Self::Found,
            "DATA DITEMUKAN LEBIH DARI SATU" => Self::MultipleRecords,
            "DATA DITEMUKAN, STATUS MENINGGAL" => Self::Deceased,
            "NIK TIDAK DAPAT DIPROSES" => Self::CannotProcess,
            "DATA TIDAK DITEMUKAN" | "NIK TIDAK DITEMUKAN" => Self::NotFound,
            "DATA TIDAK AKTIF" => Self::Inactive,
            "DATA TIDAK DITEMUKAN, NIK TIDAK SESUAI FORMAT" => Self::BadFormat,
            "LOGIN GAGAL" => Self::LoginFailed,
            "IP ADDRESS TIDAK SESUAI" => Self::IpMismatch,
            "KUOTA AKSES HARI INI TELAH HABIS" => Self::QuotaExhausted,
            "AKSES DI LUAR JAM LAYANAN" => Self::OutsideHours,
            "PARAMETER TIDAK LENGKAP" => Self::Incomplete,
            "USER, PASSWORD ATAU IP KOSONG" => Self::EmptyCredentials,
            "IP CLIENT TIDAK TERDAFTAR" => Self::IpNotRegistered,
            "INSTANSI TIDAK AKTIF" => Self::InstitutionInactive,
            "USER ID TIDAK AKTIF" => Self::UserInactive,
            _ => Self::Unknown(String::new()),
        }
    }

    /// The code as sent in `RESPONSE_CODE` (`"01"` ... `"17"`, or the unknown text).
    pub fn as_str(&self) -> &str {
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
            Self::Unknown(code) => code,
        }
    }

    /// What the code is about.
    pub fn kind(&self) -> CodeKind {
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
            | Self::UserInactive
            | Self::Unknown(_) => CodeKind::SetupError,
        }
    }

    /// An Indonesian description for operators.
    pub fn description(&self) -> &'static str {
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
            Self::Unknown(_) => "Kode respons tidak dikenal",
        }
    }

    /// 05: the daily quota is used up (resume on the next WIB day).
    pub fn is_quota_exhausted(&self) -> bool {
        matches!(self, Self::QuotaExhausted)
    }
}

impl fmt::Display for ResponseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ResponseCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// At most 8 ASCII alphanumerics (anything else becomes `?`), so an odd code can be logged.
fn sanitise(code: &str) -> String {
    code.chars()
        .take(8)
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '?' })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips_with_its_kind() {
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
        for (text, kind) in expect {
            let code = ResponseCode::parse(text);
            assert!(!matches!(code, ResponseCode::Unknown(_)), "{text}");
            assert_eq!(code.as_str(), text);
            assert_eq!(code.kind(), kind, "{text}");
            assert!(!code.description().is_empty());
        }
        assert_eq!(ResponseCode::KNOWN.len(), expect.len());
    }

    #[test]
    fn lenient_spellings_and_unknown_codes() {
        assert_eq!(ResponseCode::parse(" 13 "), ResponseCode::NotFound);
        assert_eq!(ResponseCode::parse("5"), ResponseCode::QuotaExhausted);
        let odd = ResponseCode::parse("02");
        assert_eq!(odd, ResponseCode::Unknown("02".into()));
        assert_eq!(odd.kind(), CodeKind::SetupError);
        assert_eq!(
            ResponseCode::parse("<script>alert(1)</script>"),
            ResponseCode::Unknown("?script?".into())
        );
        assert_eq!(
            serde_json::to_string(&ResponseCode::Deceased).unwrap(),
            "\"11\""
        );
    }

    #[test]
    fn respon_texts() {
        assert_eq!(
            ResponseCode::from_respon("Data Tidak Ditemukan"),
            ResponseCode::NotFound
        );
        assert_eq!(
            ResponseCode::from_respon("IP Client  Tidak terdaftar"),
            ResponseCode::IpNotRegistered
        );
        assert_eq!(
            ResponseCode::from_respon("Kuota Akses Hari ini telah Habis"),
            ResponseCode::QuotaExhausted
        );
        assert_eq!(
            ResponseCode::from_respon("Login Gagal"),
            ResponseCode::LoginFailed
        );
        assert_eq!(
            ResponseCode::from_respon("something else"),
            ResponseCode::Unknown(String::new())
        );
    }
}
