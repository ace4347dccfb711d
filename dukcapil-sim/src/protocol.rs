//! The upstream's wire shapes: response codes, the paged answer envelope, the CALL_NIK record,
//! and the request fields of both methods (see `shared/docs/dukcapil-contract.md`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Method name of the look-up by NIK.
pub const CALL_NIK: &str = "CALL_NIK";
/// Method name of the verification by element.
pub const CALL_VERIFY_BY_ELEMEN: &str = "CALL_VERIFY_BY_ELEMEN";

/// `RESPONSE_CODE` values of the upstream.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum ResponseCode {
    /// 01: data found.
    Found,
    /// 12: data found, more than one record.
    Duplicate,
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

impl ResponseCode {
    /// Every code, in the contract table's order.
    pub const ALL: [ResponseCode; 16] = [
        Self::Found,
        Self::Duplicate,
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
            Self::Duplicate => "12",
            Self::NotFound => "13",
            Self::Inactive => "14",
            Self::BadFormat => "15",
            Self::InstitutionInactive => "16",
            Self::UserInactive => "17",
        }
    }

    /// The `RESPON` text sent with the code.
    pub fn respon(self) -> &'static str {
        match self {
            Self::Found => "Data Ditemukan",
            Self::Duplicate => "Data Ditemukan Lebih Dari Satu",
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

    /// Whether the code is an answer about the institution's access (setup error) rather than
    /// about a person. Setup errors are not charged to the daily quota.
    pub fn is_setup_error(self) -> bool {
        matches!(
            self,
            Self::LoginFailed
                | Self::IpMismatch
                | Self::QuotaExhausted
                | Self::OutsideHours
                | Self::Incomplete
                | Self::EmptyCredentials
                | Self::IpNotRegistered
                | Self::InstitutionInactive
                | Self::UserInactive
        )
    }
}

impl fmt::Display for ResponseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that is not one of the sixteen response codes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown response code {0:?}")]
pub struct UnknownCode(pub String);

impl FromStr for ResponseCode {
    type Err = UnknownCode;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str() == s.trim())
            .ok_or_else(|| UnknownCode(s.to_string()))
    }
}

impl TryFrom<String> for ResponseCode {
    type Error = UnknownCode;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<ResponseCode> for String {
    fn from(code: ResponseCode) -> Self {
        code.as_str().to_string()
    }
}

/// The paged envelope every answer comes in.
#[derive(Debug, Serialize)]
pub(crate) struct Envelope<T: Serialize> {
    pub content: Vec<T>,
    #[serde(rename = "lastPage")]
    pub last_page: bool,
    #[serde(rename = "numberOfElements")]
    pub number_of_elements: usize,
    pub sort: Option<()>,
    #[serde(rename = "totalElements")]
    pub total_elements: usize,
    #[serde(rename = "firstPage")]
    pub first_page: bool,
    pub number: usize,
    pub size: usize,
}

impl<T: Serialize> Envelope<T> {
    /// One page holding all of `content`.
    pub(crate) fn new(content: Vec<T>) -> Self {
        let n = content.len();
        Self {
            content,
            last_page: true,
            number_of_elements: n,
            sort: None,
            total_elements: n,
            first_page: true,
            number: 0,
            size: n,
        }
    }
}

/// `content[0]` of an answer that carries only a code.
#[derive(Debug, Serialize)]
pub(crate) struct CodeOnly {
    #[serde(rename = "RESPONSE_CODE")]
    pub code: &'static str,
    #[serde(rename = "RESPON")]
    pub respon: &'static str,
}

impl From<ResponseCode> for CodeOnly {
    fn from(code: ResponseCode) -> Self {
        Self {
            code: code.as_str(),
            respon: code.respon(),
        }
    }
}

/// One registry record as CALL_NIK returns it (all strings), in the upstream's field names.
///
/// It deliberately includes the elements the agreement does not allow (`AGAMA`, `PDDK_AKH`,
/// `NAMA_LGKP_IBU`, `GOL_DARAH`, `EKTP_STATUS`) so that the gateway's filter is exercised.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[allow(missing_docs)]
pub struct Record {
    #[serde(rename = "NIK")]
    pub nik: String,
    #[serde(rename = "NO_KK")]
    pub no_kk: String,
    #[serde(rename = "NAMA_LGKP")]
    pub nama_lgkp: String,
    #[serde(rename = "JENIS_KLMIN")]
    pub jenis_klmin: String,
    #[serde(rename = "TMPT_LHR")]
    pub tmpt_lhr: String,
    #[serde(rename = "TGL_LHR")]
    pub tgl_lhr: String,
    #[serde(rename = "STATUS_KAWIN")]
    pub status_kawin: String,
    #[serde(rename = "JENIS_PKRJN")]
    pub jenis_pkrjn: String,
    #[serde(rename = "ALAMAT")]
    pub alamat: String,
    #[serde(rename = "NO_RT")]
    pub no_rt: String,
    #[serde(rename = "NO_RW")]
    pub no_rw: String,
    #[serde(rename = "NO_KEL")]
    pub no_kel: String,
    #[serde(rename = "KEL_NAME")]
    pub kel_name: String,
    #[serde(rename = "NO_KEC")]
    pub no_kec: String,
    #[serde(rename = "KEC_NAME")]
    pub kec_name: String,
    #[serde(rename = "NO_KAB")]
    pub no_kab: String,
    #[serde(rename = "KAB_NAME")]
    pub kab_name: String,
    #[serde(rename = "NO_PROP")]
    pub no_prop: String,
    #[serde(rename = "PROP_NAME")]
    pub prop_name: String,
    #[serde(rename = "AGAMA")]
    pub agama: String,
    #[serde(rename = "PDDK_AKH")]
    pub pddk_akh: String,
    #[serde(rename = "NAMA_LGKP_IBU")]
    pub nama_lgkp_ibu: String,
    #[serde(rename = "GOL_DARAH")]
    pub gol_darah: String,
    #[serde(rename = "EKTP_STATUS")]
    pub ektp_status: String,
}

/// A record with the code it is answered with (`content[i]` of a CALL_NIK answer).
#[derive(Debug, Serialize)]
pub(crate) struct Answered<'a> {
    #[serde(flatten)]
    pub record: &'a Record,
    #[serde(rename = "RESPONSE_CODE")]
    pub code: &'static str,
    #[serde(rename = "RESPON")]
    pub respon: &'static str,
}

/// Field names the CALL_NIK answer always carries, in order.
pub const RECORD_FIELDS: [&str; 24] = [
    "NIK",
    "NO_KK",
    "NAMA_LGKP",
    "JENIS_KLMIN",
    "TMPT_LHR",
    "TGL_LHR",
    "STATUS_KAWIN",
    "JENIS_PKRJN",
    "ALAMAT",
    "NO_RT",
    "NO_RW",
    "NO_KEL",
    "KEL_NAME",
    "NO_KEC",
    "KEC_NAME",
    "NO_KAB",
    "KAB_NAME",
    "NO_PROP",
    "PROP_NAME",
    "AGAMA",
    "PDDK_AKH",
    "NAMA_LGKP_IBU",
    "GOL_DARAH",
    "EKTP_STATUS",
];

/// Fields of a CALL_NIK answer that the access agreement does not allow past the gateway.
pub const FORBIDDEN_FIELDS: [&str; 5] = [
    "AGAMA",
    "PDDK_AKH",
    "NAMA_LGKP_IBU",
    "GOL_DARAH",
    "EKTP_STATUS",
];

/// Credential and NIK field names of one method.
pub(crate) struct FieldNames {
    pub nik: &'static str,
    pub user_id: &'static str,
    pub password: &'static str,
    pub ip_user: &'static str,
}

/// CALL_NIK uses lower-case field names.
pub(crate) const CALL_NIK_FIELDS: FieldNames = FieldNames {
    nik: "nik",
    user_id: "user_id",
    password: "password",
    ip_user: "ip_user",
};

/// CALL_VERIFY_BY_ELEMEN uses upper-case field names.
pub(crate) const VERIFY_FIELDS: FieldNames = FieldNames {
    nik: "NIK",
    user_id: "USER_ID",
    password: "PASSWORD",
    ip_user: "IP_USER",
};

/// The threshold field of CALL_VERIFY_BY_ELEMEN (spelled so by the upstream).
pub(crate) const TRESHOLD: &str = "TRESHOLD";

/// The elements CALL_VERIFY_BY_ELEMEN can check, in answer order.
pub const VERIFY_ELEMENTS: [&str; 17] = [
    "NO_KK",
    "NAMA_LGKP",
    "TMPT_LHR",
    "TGL_LHR",
    "JENIS_KLMIN",
    "JENIS_PKRJN",
    "ALAMAT",
    "NO_RT",
    "NO_RW",
    "NO_PROP",
    "PROP_NAME",
    "NO_KAB",
    "KAB_NAME",
    "NO_KEC",
    "KEC_NAME",
    "NO_KEL",
    "KEL_NAME",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_are_distinct() {
        let mut seen = std::collections::BTreeSet::new();
        for code in ResponseCode::ALL {
            assert!(seen.insert(code.as_str()));
            assert_eq!(code.as_str().parse::<ResponseCode>(), Ok(code));
            assert!(!code.respon().is_empty());
        }
        assert!("02".parse::<ResponseCode>().is_err());
        assert!(ResponseCode::QuotaExhausted.is_setup_error());
        assert!(!ResponseCode::NotFound.is_setup_error());
        assert_eq!(
            ResponseCode::IpNotRegistered.respon(),
            "IP Client  Tidak terdaftar"
        );
    }

    #[test]
    fn envelope_shape() {
        let v = serde_json::to_value(Envelope::new(vec![CodeOnly::from(ResponseCode::NotFound)]))
            .unwrap();
        assert_eq!(v["content"][0]["RESPONSE_CODE"], "13");
        assert_eq!(v["content"][0]["RESPON"], "Data Tidak Ditemukan");
        assert_eq!(v["numberOfElements"], 1);
        assert_eq!(v["lastPage"], true);
        assert!(v["sort"].is_null());
    }
}
