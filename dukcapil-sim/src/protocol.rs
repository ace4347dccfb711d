//! The upstream's wire shapes: response codes, the paged answer envelope, the CALL_NIK record,
//! and the request fields of both methods (see `shared/docs/dukcapil-contract.md`).

use serde::Serialize;

/// Method name of the look-up by NIK.
pub const CALL_NIK: &str = "CALL_NIK";
/// Method name of the verification by element.
pub const CALL_VERIFY_BY_ELEMEN: &str = "CALL_VERIFY_BY_ELEMEN";

pub use domain::dukcapil::ResponseCode;

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
