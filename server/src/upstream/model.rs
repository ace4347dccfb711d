//! What the upstream client returns: typed outcomes that can hold nothing but the nine
//! elements the access agreement allows (NO_KK, NIK, NAMA_LGKP, JENIS_KLMIN, TMPT_LHR,
//! TGL_LHR, STATUS_KAWIN, JENIS_PKRJN and "alamat sekarang"), response codes, verdicts and
//! reasons. There is no field here into which anything else could be put.

use std::collections::BTreeMap;
use std::fmt;

use domain::nik::Sex;
use serde::{Deserialize, Serialize};
use time::Date;

use super::codes::{ResponseCode, UpstreamCode};

/// The elements (and parts of "alamat sekarang") the client reads, in answer order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Element {
    /// NIK.
    Nik,
    /// No. KK.
    NoKk,
    /// Nama lengkap.
    NamaLengkap,
    /// Jenis kelamin.
    JenisKelamin,
    /// Tempat lahir.
    TempatLahir,
    /// Tanggal lahir.
    TanggalLahir,
    /// Status perkawinan.
    StatusPerkawinan,
    /// Jenis pekerjaan.
    JenisPekerjaan,
    /// Alamat: street or hamlet.
    Alamat,
    /// Alamat: RT.
    Rt,
    /// Alamat: RW.
    Rw,
    /// Alamat: kelurahan/desa number.
    KelurahanKode,
    /// Alamat: kelurahan/desa name.
    KelurahanNama,
    /// Alamat: kecamatan number.
    KecamatanKode,
    /// Alamat: kecamatan name.
    KecamatanNama,
    /// Alamat: kabupaten/kota number.
    KabupatenKode,
    /// Alamat: kabupaten/kota name.
    KabupatenNama,
    /// Alamat: provinsi number.
    ProvinsiKode,
    /// Alamat: provinsi name.
    ProvinsiNama,
}

impl Element {
    /// Every element, in answer order.
    pub const ALL: [Element; 19] = [
        Self::Nik,
        Self::NoKk,
        Self::NamaLengkap,
        Self::JenisKelamin,
        Self::TempatLahir,
        Self::TanggalLahir,
        Self::StatusPerkawinan,
        Self::JenisPekerjaan,
        Self::Alamat,
        Self::Rt,
        Self::Rw,
        Self::KelurahanKode,
        Self::KelurahanNama,
        Self::KecamatanKode,
        Self::KecamatanNama,
        Self::KabupatenKode,
        Self::KabupatenNama,
        Self::ProvinsiKode,
        Self::ProvinsiNama,
    ];

    /// The elements CALL_VERIFY_BY_ELEMEN accepts as claims, in the contract's order.
    pub const CLAIMABLE: [Element; 17] = [
        Self::NoKk,
        Self::NamaLengkap,
        Self::TempatLahir,
        Self::TanggalLahir,
        Self::JenisKelamin,
        Self::JenisPekerjaan,
        Self::Alamat,
        Self::Rt,
        Self::Rw,
        Self::ProvinsiKode,
        Self::ProvinsiNama,
        Self::KabupatenKode,
        Self::KabupatenNama,
        Self::KecamatanKode,
        Self::KecamatanNama,
        Self::KelurahanKode,
        Self::KelurahanNama,
    ];

    /// Position in [`Element::ALL`].
    pub(crate) fn index(self) -> usize {
        self as usize
    }

    /// The snake-case name (as serialised).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Nik => "nik",
            Self::NoKk => "no_kk",
            Self::NamaLengkap => "nama_lengkap",
            Self::JenisKelamin => "jenis_kelamin",
            Self::TempatLahir => "tempat_lahir",
            Self::TanggalLahir => "tanggal_lahir",
            Self::StatusPerkawinan => "status_perkawinan",
            Self::JenisPekerjaan => "jenis_pekerjaan",
            Self::Alamat => "alamat",
            Self::Rt => "rt",
            Self::Rw => "rw",
            Self::KelurahanKode => "kelurahan_kode",
            Self::KelurahanNama => "kelurahan_nama",
            Self::KecamatanKode => "kecamatan_kode",
            Self::KecamatanNama => "kecamatan_nama",
            Self::KabupatenKode => "kabupaten_kode",
            Self::KabupatenNama => "kabupaten_nama",
            Self::ProvinsiKode => "provinsi_kode",
            Self::ProvinsiNama => "provinsi_nama",
        }
    }
}

/// A region (kelurahan, kecamatan, kabupaten, provinsi): number and name as the registry
/// spells them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Wilayah {
    /// Number (`NO_KEL`, `NO_KEC`, `NO_KAB`, `NO_PROP`), e.g. `2001`, `01`, `13`, `33`.
    pub kode: String,
    /// Name (`KEL_NAME`, ...).
    pub nama: String,
}

/// "Alamat sekarang": the current address.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Alamat {
    /// `ALAMAT`: street and number, or hamlet.
    pub alamat: String,
    /// `NO_RT`.
    pub rt: String,
    /// `NO_RW`.
    pub rw: String,
    /// Kelurahan/desa.
    pub kelurahan: Wilayah,
    /// Kecamatan.
    pub kecamatan: Wilayah,
    /// Kabupaten/kota.
    pub kabupaten: Wilayah,
    /// Provinsi.
    pub provinsi: Wilayah,
}

/// A resident as found by CALL_NIK: exactly the nine allowed elements. Strings are trimmed;
/// an element the answer lacks is empty (`None` for sex and birth date, also when spelled in
/// a way the client does not recognise).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Resident {
    /// `NO_KK`.
    pub no_kk: String,
    /// `NIK` (always the NIK asked for: an answer about another NIK is refused).
    pub nik: String,
    /// `NAMA_LGKP`.
    pub nama_lengkap: String,
    /// `JENIS_KLMIN`, normalised to L/P.
    pub jenis_kelamin: Option<Sex>,
    /// `TMPT_LHR`.
    pub tempat_lahir: String,
    /// `TGL_LHR` (`dd-mm-yyyy` or `yyyy-mm-dd` upstream), serialised as ISO `yyyy-mm-dd`.
    #[serde(serialize_with = "iso_date::serialize_opt")]
    pub tanggal_lahir: Option<Date>,
    /// `STATUS_KAWIN`.
    pub status_perkawinan: String,
    /// `JENIS_PKRJN`.
    pub jenis_pekerjaan: String,
    /// Alamat sekarang.
    pub alamat: Alamat,
}

/// Claimed elements for CALL_VERIFY_BY_ELEMEN; `None` (or empty) elements are sent empty.
/// `Debug` names only the elements present, never their values.
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClaimedElements {
    /// No. KK.
    pub no_kk: Option<String>,
    /// Full name.
    pub nama_lengkap: Option<String>,
    /// Place of birth.
    pub tempat_lahir: Option<String>,
    /// Date of birth (`yyyy-mm-dd` when deserialised); sent as `upstream.verify_date_format`.
    #[serde(deserialize_with = "iso_date::deserialize_opt")]
    pub tanggal_lahir: Option<Date>,
    /// Sex (`"L"` / `"P"` when deserialised); sent as `LAKI-LAKI` / `PEREMPUAN`.
    pub jenis_kelamin: Option<Sex>,
    /// Occupation.
    pub jenis_pekerjaan: Option<String>,
    /// Street or hamlet.
    pub alamat: Option<String>,
    /// RT.
    pub rt: Option<String>,
    /// RW.
    pub rw: Option<String>,
    /// Province number.
    pub provinsi_kode: Option<String>,
    /// Province name.
    pub provinsi_nama: Option<String>,
    /// Regency number.
    pub kabupaten_kode: Option<String>,
    /// Regency name.
    pub kabupaten_nama: Option<String>,
    /// District number.
    pub kecamatan_kode: Option<String>,
    /// District name.
    pub kecamatan_nama: Option<String>,
    /// Village number.
    pub kelurahan_kode: Option<String>,
    /// Village name.
    pub kelurahan_nama: Option<String>,
}

impl ClaimedElements {
    /// The claimed text of a string element (`None` for sex and date, and for elements that
    /// cannot be claimed).
    pub(crate) fn text(&self, element: Element) -> Option<&str> {
        let v = match element {
            Element::NoKk => &self.no_kk,
            Element::NamaLengkap => &self.nama_lengkap,
            Element::TempatLahir => &self.tempat_lahir,
            Element::JenisPekerjaan => &self.jenis_pekerjaan,
            Element::Alamat => &self.alamat,
            Element::Rt => &self.rt,
            Element::Rw => &self.rw,
            Element::ProvinsiKode => &self.provinsi_kode,
            Element::ProvinsiNama => &self.provinsi_nama,
            Element::KabupatenKode => &self.kabupaten_kode,
            Element::KabupatenNama => &self.kabupaten_nama,
            Element::KecamatanKode => &self.kecamatan_kode,
            Element::KecamatanNama => &self.kecamatan_nama,
            Element::KelurahanKode => &self.kelurahan_kode,
            Element::KelurahanNama => &self.kelurahan_nama,
            Element::Nik
            | Element::JenisKelamin
            | Element::TanggalLahir
            | Element::StatusPerkawinan => return None,
        };
        v.as_deref().map(str::trim).filter(|s| !s.is_empty())
    }

    /// The elements that carry a claim.
    pub fn present(&self) -> Vec<Element> {
        Element::CLAIMABLE
            .into_iter()
            .filter(|e| match e {
                Element::TanggalLahir => self.tanggal_lahir.is_some(),
                Element::JenisKelamin => self.jenis_kelamin.is_some(),
                other => self.text(*other).is_some(),
            })
            .collect()
    }

    /// Whether nothing is claimed (the upstream would answer 07).
    pub fn is_empty(&self) -> bool {
        self.present().is_empty()
    }
}

impl fmt::Debug for ClaimedElements {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.present().into_iter().map(Element::as_str).collect();
        f.debug_struct("ClaimedElements")
            .field("present", &names)
            .finish_non_exhaustive()
    }
}

/// The upstream's verdict on one claimed element.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    /// `Sesuai`, or `Sesuai (97)` for a scored element.
    Sesuai {
        /// Similarity 0-100, when the upstream gives one.
        score: Option<u8>,
    },
    /// `Tidak Sesuai`, or `Tidak Sesuai (59)` for a scored element.
    TidakSesuai {
        /// Similarity 0-100, when the upstream gives one.
        score: Option<u8>,
    },
}

impl Verdict {
    /// Parses `Sesuai`, `Tidak Sesuai`, optionally followed by a score in brackets (case and
    /// spacing ignored). Anything else is `None`.
    pub fn parse(text: &str) -> Option<Verdict> {
        let upper = text.trim().to_uppercase();
        let (head, score) = match upper.split_once('(') {
            None => (upper.as_str(), None),
            Some((head, rest)) => {
                let digits = rest.strip_suffix(')')?.trim();
                if digits.is_empty()
                    || digits.len() > 3
                    || !digits.bytes().all(|b| b.is_ascii_digit())
                {
                    return None;
                }
                let score: u8 = digits.parse().ok()?;
                if score > 100 {
                    return None;
                }
                (head, Some(score))
            }
        };
        let words: Vec<&str> = head.split_whitespace().collect();
        match words.as_slice() {
            ["SESUAI"] => Some(Verdict::Sesuai { score }),
            ["TIDAK", "SESUAI"] | ["TIDAKSESUAI"] => Some(Verdict::TidakSesuai { score }),
            _ => None,
        }
    }

    /// Whether the element matched.
    pub fn is_match(self) -> bool {
        matches!(self, Verdict::Sesuai { .. })
    }

    /// The score, if any.
    pub fn score(self) -> Option<u8> {
        match self {
            Verdict::Sesuai { score } | Verdict::TidakSesuai { score } => score,
        }
    }
}

/// Why the upstream gave no usable answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UnavailableReason {
    /// The circuit breaker is open: no request was sent.
    BreakerOpen,
    /// The connection was refused.
    ConnectRefused,
    /// The connection could not be made within `connect_timeout_ms`.
    ConnectTimeout,
    /// The host name did not resolve.
    Dns,
    /// The TLS handshake failed (e.g. the certificate is not trusted).
    Tls,
    /// The connection failed otherwise before the request was sent.
    ConnectFailed,
    /// No complete answer within `total_timeout_ms` after the request was sent.
    Timeout,
    /// The connection broke after the request was sent (reset, closed mid-answer).
    ConnectionLost,
    /// An HTTP status other than 2xx with no usable code in the body (e.g. 500).
    HttpStatus(u16),
    /// The body is not JSON.
    MalformedJson,
    /// JSON, but not the expected shape (no `content`, no code, foreign NIK, bad verdict,
    /// too large).
    UnexpectedShape,
}

impl UnavailableReason {
    /// Whether the request may have reached the upstream (and may have been charged to the
    /// daily quota): `false` only when it certainly was never sent.
    pub fn may_have_reached_upstream(self) -> bool {
        !matches!(
            self,
            Self::BreakerOpen
                | Self::ConnectRefused
                | Self::ConnectTimeout
                | Self::Dns
                | Self::Tls
                | Self::ConnectFailed
        )
    }

    /// A stable snake-case name (for logs and audit).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BreakerOpen => "breaker_open",
            Self::ConnectRefused => "connect_refused",
            Self::ConnectTimeout => "connect_timeout",
            Self::Dns => "dns",
            Self::Tls => "tls",
            Self::ConnectFailed => "connect_failed",
            Self::Timeout => "timeout",
            Self::ConnectionLost => "connection_lost",
            Self::HttpStatus(_) => "http_status",
            Self::MalformedJson => "malformed_json",
            Self::UnexpectedShape => "unexpected_shape",
        }
    }
}

/// The outcome of CALL_NIK.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum LookupOutcome {
    /// 01 (or 12: `multiple_records`, the first record is given; needs attention).
    Found {
        /// The nine allowed elements (boxed: the other variants are small).
        resident: Box<Resident>,
        /// Code 12: the registry holds more than one record for the NIK.
        multiple_records: bool,
    },
    /// 08, 11, 13, 14, 15: an answer about the person.
    IdentityResult {
        /// The code.
        code: UpstreamCode,
    },
    /// 03-07, 09, 10, 16, 17 or an unknown code: an answer about the institution's access.
    SetupError {
        /// The code.
        code: UpstreamCode,
    },
    /// No usable answer.
    Unavailable {
        /// Why.
        reason: UnavailableReason,
        /// `false` only when the request certainly was never sent (quota refund).
        may_have_reached_upstream: bool,
    },
}

/// The outcome of CALL_VERIFY_BY_ELEMEN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum VerifyOutcome {
    /// 01 (or 12): a verdict per answered element (allowed elements only).
    Verdicts {
        /// Verdict per element.
        verdicts: BTreeMap<Element, Verdict>,
        /// Code 12: the registry holds more than one record for the NIK.
        multiple_records: bool,
    },
    /// 08, 11, 13, 14, 15.
    IdentityResult {
        /// The code.
        code: UpstreamCode,
    },
    /// 03-07, 09, 10, 16, 17 or an unknown code.
    SetupError {
        /// The code.
        code: UpstreamCode,
    },
    /// No usable answer.
    Unavailable {
        /// Why.
        reason: UnavailableReason,
        /// `false` only when the request certainly was never sent (quota refund).
        may_have_reached_upstream: bool,
    },
}

macro_rules! outcome_helpers {
    ($t:ty, $success:ident, $label:literal) => {
        impl $t {
            /// `found`/`verdicts`, `identity_result`, `setup_error` or `unavailable`.
            pub fn kind(&self) -> &'static str {
                match self {
                    Self::$success { .. } => $label,
                    Self::IdentityResult { .. } => "identity_result",
                    Self::SetupError { .. } => "setup_error",
                    Self::Unavailable { .. } => "unavailable",
                }
            }

            /// The response code, if the upstream answered with one (01/12 for success).
            pub fn code(&self) -> Option<UpstreamCode> {
                match self {
                    Self::$success {
                        multiple_records, ..
                    } => Some(if *multiple_records {
                        UpstreamCode::Known(ResponseCode::MultipleRecords)
                    } else {
                        UpstreamCode::Known(ResponseCode::Found)
                    }),
                    Self::IdentityResult { code } | Self::SetupError { code } => Some(code.clone()),
                    Self::Unavailable { .. } => None,
                }
            }

            /// Whether the request may have reached the upstream (for quota settlement):
            /// always, except an unavailable outcome whose request was never sent.
            pub fn may_have_reached_upstream(&self) -> bool {
                match self {
                    Self::Unavailable {
                        may_have_reached_upstream,
                        ..
                    } => *may_have_reached_upstream,
                    _ => true,
                }
            }

            pub(crate) fn unavailable(reason: UnavailableReason) -> Self {
                Self::Unavailable {
                    reason,
                    may_have_reached_upstream: reason.may_have_reached_upstream(),
                }
            }
        }
    };
}

outcome_helpers!(LookupOutcome, Found, "found");
outcome_helpers!(VerifyOutcome, Verdicts, "verdicts");

/// ISO `yyyy-mm-dd` (de)serialisation of optional dates.
pub(crate) mod iso_date {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::Date;
    use time::macros::format_description;

    const ISO: &[time::format_description::BorrowedFormatItem<'static>] =
        format_description!("[year]-[month]-[day]");

    pub(crate) fn format(date: Date) -> String {
        date.format(ISO).unwrap_or_default()
    }

    pub(crate) fn serialize_opt<S: Serializer>(d: &Option<Date>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(date) => s.serialize_str(&format(*date)),
            None => s.serialize_none(),
        }
    }

    pub(crate) fn deserialize_opt<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Date>, D::Error> {
        let text: Option<String> = Option::deserialize(d)?;
        match text.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(t) => Date::parse(t, ISO)
                .map(Some)
                .map_err(|_| serde::de::Error::custom("expected a date yyyy-mm-dd")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_parse() {
        assert_eq!(
            Verdict::parse("Sesuai"),
            Some(Verdict::Sesuai { score: None })
        );
        assert_eq!(
            Verdict::parse("Sesuai (97)"),
            Some(Verdict::Sesuai { score: Some(97) })
        );
        assert_eq!(
            Verdict::parse("Tidak Sesuai (59)"),
            Some(Verdict::TidakSesuai { score: Some(59) })
        );
        assert_eq!(
            Verdict::parse("  TIDAK  SESUAI "),
            Some(Verdict::TidakSesuai { score: None })
        );
        assert_eq!(
            Verdict::parse("tidak sesuai(0)"),
            Some(Verdict::TidakSesuai { score: Some(0) })
        );
        for bad in [
            "",
            "Ya",
            "Sesuai (101)",
            "Sesuai (9a)",
            "Sesuai ()",
            "Sesuai (97",
            "BUDI SANTOSO",
            "Sesuai (97) BUDI",
            "Tidak",
        ] {
            assert_eq!(Verdict::parse(bad), None, "{bad}");
        }
        assert!(Verdict::Sesuai { score: Some(80) }.is_match());
        assert_eq!(Verdict::TidakSesuai { score: Some(3) }.score(), Some(3));
    }

    #[test]
    fn claimed_debug_hides_values() {
        let c = ClaimedElements {
            nama_lengkap: Some("SITI AMINAH".into()),
            rt: Some("   ".into()),
            tanggal_lahir: Some(time::macros::date!(1990 - 01 - 01)),
            ..ClaimedElements::default()
        };
        let d = format!("{c:?}");
        assert!(!d.contains("SITI"), "{d}");
        assert!(
            d.contains("nama_lengkap") && d.contains("tanggal_lahir"),
            "{d}"
        );
        assert!(!d.contains("\"rt\""), "{d}");
        assert_eq!(
            c.present(),
            vec![Element::NamaLengkap, Element::TanggalLahir]
        );
        assert!(ClaimedElements::default().is_empty());
        let parsed: ClaimedElements =
            serde_json::from_str(r#"{"tanggal_lahir":"1990-01-31","jenis_kelamin":"P"}"#).unwrap();
        assert_eq!(
            parsed.tanggal_lahir,
            Some(time::macros::date!(1990 - 01 - 31))
        );
        assert_eq!(parsed.jenis_kelamin, Some(Sex::Female));
    }

    #[test]
    fn outcomes_serialise_with_a_tag() {
        let o = LookupOutcome::IdentityResult {
            code: ResponseCode::NotFound.into(),
        };
        assert_eq!(
            serde_json::to_value(&o).unwrap(),
            serde_json::json!({"outcome": "identity_result", "code": "13"})
        );
        assert_eq!(o.kind(), "identity_result");
        let u = VerifyOutcome::unavailable(UnavailableReason::HttpStatus(500));
        assert_eq!(
            serde_json::to_value(&u).unwrap(),
            serde_json::json!({"outcome": "unavailable", "reason": {"http_status": 500},
                               "may_have_reached_upstream": true})
        );
        assert!(
            !LookupOutcome::unavailable(UnavailableReason::ConnectRefused)
                .may_have_reached_upstream()
        );
        let mut verdicts = BTreeMap::new();
        verdicts.insert(
            Element::NamaLengkap,
            Verdict::TidakSesuai { score: Some(59) },
        );
        let v = VerifyOutcome::Verdicts {
            verdicts,
            multiple_records: false,
        };
        assert_eq!(v.kind(), "verdicts");
        assert_eq!(v.code(), Some(ResponseCode::Found.into()));
        assert_eq!(
            serde_json::to_value(&v).unwrap(),
            serde_json::json!({"outcome": "verdicts", "multiple_records": false,
                "verdicts": {"nama_lengkap": {"verdict": "tidak_sesuai", "score": 59}}})
        );
    }
}
