//! The `[upstream]` section of `sigap.toml`: where the Dukcapil web service is, the
//! credentials of the institution's user ID, timeouts, the circuit breaker, and the spellings
//! of method and field names (deployments differ; the defaults are those of
//! `shared/docs/dukcapil-contract.md`).
//!
//! The password comes from `password` (file or `SIGAP_UPSTREAM__PASSWORD`) or from the file
//! named by `password_file`; it is held in a [`secrecy::SecretString`], never serialised and
//! never printed by `Debug`. There is deliberately no option to turn certificate verification
//! off: `ca_file` adds a CA (PEM) for a service whose certificate a private CA signed.

use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer, Serialize};

use super::error::UpstreamSetupError;
use super::model::Element;

/// Field names the access agreement forbids: no element may be mapped onto one of them.
pub const FORBIDDEN_FIELDS: [&str; 5] = [
    "AGAMA",
    "PDDK_AKH",
    "NAMA_LGKP_IBU",
    "GOL_DARAH",
    "EKTP_STATUS",
];

/// The `[upstream]` configuration section.
///
/// ```toml
/// [upstream]
/// base_url = "https://10.10.1.5:8443/dukcapil/get_json"
/// consumer = "BPBD3313"
/// user_id = "BPBD3313"
/// password_file = "/etc/sigap/dukcapil-password"
/// ip_user = "10.20.0.7"
/// ca_file = "/etc/sigap/dukcapil-ca.pem"
/// ```
///
/// Requests go to `<base_url>/<consumer>/<method>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UpstreamConfig {
    /// Base URL up to (not including) the consumer segment, e.g.
    /// `https://10.10.1.5:8443/dukcapil/get_json`. `http://` is accepted (tests, the demo's
    /// in-process simulator) with a warning at start when the host is not loopback.
    pub base_url: Option<String>,
    /// Institution code, the `<consumer>` path segment.
    pub consumer: String,
    /// The institution's Dukcapil user ID.
    pub user_id: String,
    /// The user ID's password (prefer `password_file` or `SIGAP_UPSTREAM__PASSWORD`).
    /// Never serialised.
    #[serde(skip_serializing)]
    pub password: Option<UpstreamPassword>,
    /// A file holding the password (one line; a trailing line break is ignored).
    pub password_file: Option<PathBuf>,
    /// The IP address the user ID is bound to (`ip_user` in requests).
    pub ip_user: String,
    /// Extra CA certificate(s), PEM, trusted in addition to the built-in roots.
    pub ca_file: Option<PathBuf>,
    /// Time allowed to resolve, connect and finish TLS.
    pub connect_timeout_ms: u64,
    /// Time allowed for the whole exchange, until the last byte of the answer.
    pub total_timeout_ms: u64,
    /// Consecutive unavailable outcomes that open the circuit breaker.
    pub breaker_failures: u32,
    /// How long the breaker stays open before one trial request is let through.
    pub breaker_open_ms: u64,
    /// Default `TRESHOLD` (0-100) for CALL_VERIFY_BY_ELEMEN.
    pub verify_threshold: u8,
    /// How a claimed birth date is spelled in CALL_VERIFY_BY_ELEMEN.
    pub verify_date_format: ClaimDateFormat,
    /// Larger answers are refused (unexpected shape).
    pub max_response_bytes: usize,
    /// Method names (last path segment).
    pub methods: MethodNames,
    /// Field-name spellings of requests and answers.
    pub fields: FieldNames,
}

impl Default for UpstreamConfig {
    fn default() -> Self {
        Self {
            base_url: None,
            consumer: String::new(),
            user_id: String::new(),
            password: None,
            password_file: None,
            ip_user: String::new(),
            ca_file: None,
            connect_timeout_ms: 3_000,
            total_timeout_ms: 15_000,
            breaker_failures: 5,
            breaker_open_ms: 30_000,
            verify_threshold: 90,
            verify_date_format: ClaimDateFormat::default(),
            max_response_bytes: 1024 * 1024,
            methods: MethodNames::default(),
            fields: FieldNames::default(),
        }
    }
}

impl UpstreamConfig {
    /// Connect timeout as a [`Duration`].
    pub fn connect_timeout(&self) -> Duration {
        Duration::from_millis(self.connect_timeout_ms)
    }

    /// Total timeout as a [`Duration`].
    pub fn total_timeout(&self) -> Duration {
        Duration::from_millis(self.total_timeout_ms)
    }

    /// Whether `base_url` is set (an installation without it has no upstream, e.g. before
    /// setup).
    pub fn is_configured(&self) -> bool {
        self.base_url
            .as_deref()
            .is_some_and(|u| !u.trim().is_empty())
    }

    /// Checks everything that needs no file access (start-up calls this early; the client
    /// checks again and then reads `password_file` and `ca_file`).
    pub fn validate(&self) -> Result<(), UpstreamSetupError> {
        let base = self
            .base_url
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .ok_or(UpstreamSetupError::Missing { key: "base_url" })?;
        parse_base_url(base)?;
        for (key, value) in [
            ("consumer", &self.consumer),
            ("user_id", &self.user_id),
            ("ip_user", &self.ip_user),
        ] {
            if value.trim().is_empty() {
                return Err(UpstreamSetupError::Missing { key });
            }
        }
        if self.consumer.contains('/') {
            return Err(invalid("consumer", "must not contain `/`"));
        }
        if self.ip_user.trim().parse::<IpAddr>().is_err() {
            return Err(invalid(
                "ip_user",
                "must be an IP address such as 10.20.0.7",
            ));
        }
        match (&self.password, &self.password_file) {
            (Some(_), Some(_)) => {
                return Err(invalid(
                    "password",
                    "set either `password` or `password_file`, not both",
                ));
            }
            (None, None) => return Err(UpstreamSetupError::Missing { key: "password" }),
            (Some(p), None) if p.0.expose_secret().is_empty() => {
                return Err(invalid("password", "must not be empty"));
            }
            _ => {}
        }
        if self.connect_timeout_ms == 0 {
            return Err(invalid("connect_timeout_ms", "must be above 0"));
        }
        if self.total_timeout_ms <= self.connect_timeout_ms {
            return Err(invalid(
                "total_timeout_ms",
                "must be longer than connect_timeout_ms",
            ));
        }
        if self.breaker_failures == 0 {
            return Err(invalid("breaker_failures", "must be at least 1"));
        }
        if self.breaker_open_ms == 0 {
            return Err(invalid("breaker_open_ms", "must be above 0"));
        }
        if self.verify_threshold > 100 {
            return Err(invalid("verify_threshold", "must be within 0..=100"));
        }
        if self.max_response_bytes < 1024 {
            return Err(invalid("max_response_bytes", "must be at least 1024"));
        }
        self.methods.validate()?;
        self.fields.validate()
    }
}

fn invalid(key: &'static str, message: impl Into<String>) -> UpstreamSetupError {
    UpstreamSetupError::Invalid {
        key,
        message: message.into(),
    }
}

/// Parses and checks the base URL: http(s), a host, no credentials, query or fragment.
pub(crate) fn parse_base_url(text: &str) -> Result<reqwest::Url, UpstreamSetupError> {
    let url = reqwest::Url::parse(text.trim())
        .map_err(|e| invalid("base_url", format!("is not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid("base_url", "must start with https:// (or http://)"));
    }
    if url.host().is_none() {
        return Err(invalid("base_url", "has no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid(
            "base_url",
            "must not carry credentials; use user_id and password",
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("base_url", "must not have a query or fragment"));
    }
    if url.cannot_be_a_base() {
        return Err(invalid("base_url", "cannot be a base URL"));
    }
    Ok(url)
}

/// The user ID's password. `Debug` prints `[REDACTED]`; it is never serialised.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct UpstreamPassword(#[serde(deserialize_with = "secret_string")] SecretString);

impl UpstreamPassword {
    /// Wraps a password.
    pub fn new(password: impl Into<String>) -> Self {
        Self(SecretString::from(password.into()))
    }

    /// The secret.
    pub fn secret(&self) -> &SecretString {
        &self.0
    }
}

impl fmt::Debug for UpstreamPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("UpstreamPassword([REDACTED])")
    }
}

impl PartialEq for UpstreamPassword {
    fn eq(&self, other: &Self) -> bool {
        self.0.expose_secret() == other.0.expose_secret()
    }
}

impl Eq for UpstreamPassword {}

/// A string only; other types are refused without echoing the value (serde's default
/// message would quote it, e.g. an all-digit password read from the environment).
fn secret_string<'de, D: Deserializer<'de>>(d: D) -> Result<SecretString, D::Error> {
    struct V;
    impl serde::de::Visitor<'_> for V {
        type Value = SecretString;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string")
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<SecretString, E> {
            Ok(SecretString::from(v))
        }
        fn visit_string<E: serde::de::Error>(self, v: String) -> Result<SecretString, E> {
            Ok(SecretString::from(v))
        }
        fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<SecretString, E> {
            Err(not_a_string())
        }
        fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<SecretString, E> {
            Err(not_a_string())
        }
        fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<SecretString, E> {
            Err(not_a_string())
        }
        fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<SecretString, E> {
            Err(not_a_string())
        }
    }
    fn not_a_string<E: serde::de::Error>() -> E {
        E::custom("the password must be a string (quote it; the value is not shown)")
    }
    d.deserialize_any(V)
}

/// How a claimed birth date is written in CALL_VERIFY_BY_ELEMEN.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum ClaimDateFormat {
    /// `31-12-1990` (default).
    #[default]
    #[serde(rename = "dd-mm-yyyy")]
    DdMmYyyy,
    /// `1990-12-31`.
    #[serde(rename = "yyyy-mm-dd")]
    YyyyMmDd,
}

/// Method names: the last path segment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MethodNames {
    /// Look-up by NIK (`CALL_NIK`).
    pub call_nik: String,
    /// Verification by element (`CALL_VERIFY_BY_ELEMEN`).
    pub verify_by_element: String,
}

impl Default for MethodNames {
    fn default() -> Self {
        Self {
            call_nik: "CALL_NIK".into(),
            verify_by_element: "CALL_VERIFY_BY_ELEMEN".into(),
        }
    }
}

impl MethodNames {
    fn validate(&self) -> Result<(), UpstreamSetupError> {
        for (key, v) in [
            ("methods.call_nik", &self.call_nik),
            ("methods.verify_by_element", &self.verify_by_element),
        ] {
            if v.trim().is_empty() || v.contains('/') {
                return Err(invalid(key, "must be a non-empty path segment"));
            }
        }
        Ok(())
    }
}

/// Field-name spellings.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FieldNames {
    /// Request fields of CALL_NIK (lower case by default).
    pub call_nik: CallNikFields,
    /// Request fields of CALL_VERIFY_BY_ELEMEN (upper case by default).
    pub verify: VerifyFields,
    /// Envelope and code fields of answers.
    pub answer: AnswerFields,
    /// Element names: in CALL_NIK answers, in verify requests (claims) and verify answers.
    pub elements: ElementNames,
}

impl FieldNames {
    fn validate(&self) -> Result<(), UpstreamSetupError> {
        let c = &self.call_nik;
        distinct(
            "fields.call_nik",
            &[&c.nik, &c.user_id, &c.password, &c.ip_user],
        )?;
        let v = &self.verify;
        let mut verify_names: Vec<&String> =
            vec![&v.nik, &v.user_id, &v.password, &v.ip_user, &v.threshold];
        verify_names.extend(Element::CLAIMABLE.iter().map(|e| self.elements.name(*e)));
        distinct("fields.verify", &verify_names)?;
        let a = &self.answer;
        let mut answer_names: Vec<&String> = vec![&a.response_code, &a.respon];
        answer_names.extend(Element::ALL.iter().map(|e| self.elements.name(*e)));
        distinct("fields.elements", &answer_names)?;
        if a.content.trim().is_empty() {
            return Err(invalid("fields.answer.content", "must not be empty"));
        }
        for e in Element::ALL {
            let name = self.elements.name(e);
            if FORBIDDEN_FIELDS
                .iter()
                .any(|f| f.eq_ignore_ascii_case(name.trim()))
            {
                return Err(UpstreamSetupError::Invalid {
                    key: "fields.elements",
                    message: format!(
                        "`{}` is mapped to `{name}`, an element the access agreement forbids",
                        e.as_str()
                    ),
                });
            }
        }
        Ok(())
    }
}

fn distinct(section: &'static str, names: &[&String]) -> Result<(), UpstreamSetupError> {
    let mut seen = std::collections::BTreeSet::new();
    for n in names {
        if n.trim().is_empty() {
            return Err(invalid(section, "field names must not be empty"));
        }
        if !seen.insert(n.as_str()) {
            return Err(UpstreamSetupError::Invalid {
                key: section,
                message: format!("field name `{n}` is used twice"),
            });
        }
    }
    Ok(())
}

/// Request field names of CALL_NIK.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CallNikFields {
    /// `nik`.
    pub nik: String,
    /// `user_id`.
    pub user_id: String,
    /// `password`.
    pub password: String,
    /// `ip_user`.
    pub ip_user: String,
}

impl Default for CallNikFields {
    fn default() -> Self {
        Self {
            nik: "nik".into(),
            user_id: "user_id".into(),
            password: "password".into(),
            ip_user: "ip_user".into(),
        }
    }
}

/// Request field names of CALL_VERIFY_BY_ELEMEN (claimed elements use
/// [`FieldNames::elements`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VerifyFields {
    /// `NIK`.
    pub nik: String,
    /// `USER_ID`.
    pub user_id: String,
    /// `PASSWORD`.
    pub password: String,
    /// `IP_USER`.
    pub ip_user: String,
    /// `TRESHOLD` (sic).
    pub threshold: String,
}

impl Default for VerifyFields {
    fn default() -> Self {
        Self {
            nik: "NIK".into(),
            user_id: "USER_ID".into(),
            password: "PASSWORD".into(),
            ip_user: "IP_USER".into(),
            threshold: "TRESHOLD".into(),
        }
    }
}

/// Envelope and code field names of answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AnswerFields {
    /// The array of records: `content`.
    pub content: String,
    /// `RESPONSE_CODE`.
    pub response_code: String,
    /// `RESPON` (text; used only when no code is sent).
    pub respon: String,
}

impl Default for AnswerFields {
    fn default() -> Self {
        Self {
            content: "content".into(),
            response_code: "RESPONSE_CODE".into(),
            respon: "RESPON".into(),
        }
    }
}

/// Upstream names of the allowed elements. Only these fields are ever read from an answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ElementNames {
    /// `NIK`.
    pub nik: String,
    /// `NO_KK`.
    pub no_kk: String,
    /// `NAMA_LGKP`.
    pub nama_lengkap: String,
    /// `JENIS_KLMIN`.
    pub jenis_kelamin: String,
    /// `TMPT_LHR`.
    pub tempat_lahir: String,
    /// `TGL_LHR`.
    pub tanggal_lahir: String,
    /// `STATUS_KAWIN`.
    pub status_perkawinan: String,
    /// `JENIS_PKRJN`.
    pub jenis_pekerjaan: String,
    /// `ALAMAT` (street or hamlet).
    pub alamat: String,
    /// `NO_RT`.
    pub rt: String,
    /// `NO_RW`.
    pub rw: String,
    /// `NO_KEL`.
    pub kelurahan_kode: String,
    /// `KEL_NAME`.
    pub kelurahan_nama: String,
    /// `NO_KEC`.
    pub kecamatan_kode: String,
    /// `KEC_NAME`.
    pub kecamatan_nama: String,
    /// `NO_KAB`.
    pub kabupaten_kode: String,
    /// `KAB_NAME`.
    pub kabupaten_nama: String,
    /// `NO_PROP`.
    pub provinsi_kode: String,
    /// `PROP_NAME`.
    pub provinsi_nama: String,
}

impl Default for ElementNames {
    fn default() -> Self {
        Self {
            nik: "NIK".into(),
            no_kk: "NO_KK".into(),
            nama_lengkap: "NAMA_LGKP".into(),
            jenis_kelamin: "JENIS_KLMIN".into(),
            tempat_lahir: "TMPT_LHR".into(),
            tanggal_lahir: "TGL_LHR".into(),
            status_perkawinan: "STATUS_KAWIN".into(),
            jenis_pekerjaan: "JENIS_PKRJN".into(),
            alamat: "ALAMAT".into(),
            rt: "NO_RT".into(),
            rw: "NO_RW".into(),
            kelurahan_kode: "NO_KEL".into(),
            kelurahan_nama: "KEL_NAME".into(),
            kecamatan_kode: "NO_KEC".into(),
            kecamatan_nama: "KEC_NAME".into(),
            kabupaten_kode: "NO_KAB".into(),
            kabupaten_nama: "KAB_NAME".into(),
            provinsi_kode: "NO_PROP".into(),
            provinsi_nama: "PROP_NAME".into(),
        }
    }
}

impl ElementNames {
    /// The upstream name of `element`.
    pub fn name(&self, element: Element) -> &String {
        match element {
            Element::Nik => &self.nik,
            Element::NoKk => &self.no_kk,
            Element::NamaLengkap => &self.nama_lengkap,
            Element::JenisKelamin => &self.jenis_kelamin,
            Element::TempatLahir => &self.tempat_lahir,
            Element::TanggalLahir => &self.tanggal_lahir,
            Element::StatusPerkawinan => &self.status_perkawinan,
            Element::JenisPekerjaan => &self.jenis_pekerjaan,
            Element::Alamat => &self.alamat,
            Element::Rt => &self.rt,
            Element::Rw => &self.rw,
            Element::KelurahanKode => &self.kelurahan_kode,
            Element::KelurahanNama => &self.kelurahan_nama,
            Element::KecamatanKode => &self.kecamatan_kode,
            Element::KecamatanNama => &self.kecamatan_nama,
            Element::KabupatenKode => &self.kabupaten_kode,
            Element::KabupatenNama => &self.kabupaten_nama,
            Element::ProvinsiKode => &self.provinsi_kode,
            Element::ProvinsiNama => &self.provinsi_nama,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> UpstreamConfig {
        UpstreamConfig {
            base_url: Some("https://10.10.1.5:8443/dukcapil/get_json".into()),
            consumer: "BPBD3313".into(),
            user_id: "BPBD3313".into(),
            password: Some(UpstreamPassword::new("s3cret-pass")),
            ip_user: "10.20.0.7".into(),
            ..UpstreamConfig::default()
        }
    }

    #[test]
    fn defaults_follow_the_contract() {
        let c = UpstreamConfig::default();
        assert_eq!(c.methods.call_nik, "CALL_NIK");
        assert_eq!(c.methods.verify_by_element, "CALL_VERIFY_BY_ELEMEN");
        assert_eq!(c.fields.call_nik.ip_user, "ip_user");
        assert_eq!(c.fields.verify.threshold, "TRESHOLD");
        assert_eq!(c.fields.elements.nama_lengkap, "NAMA_LGKP");
        assert_eq!(c.fields.answer.response_code, "RESPONSE_CODE");
        assert!(!c.is_configured());
        assert!(matches!(
            c.validate(),
            Err(UpstreamSetupError::Missing { key: "base_url" })
        ));
        valid().validate().unwrap();
    }

    #[test]
    fn debug_and_serialize_never_show_the_password() {
        let c = valid();
        let debug = format!("{c:?}");
        assert!(!debug.contains("s3cret-pass"), "{debug}");
        assert!(debug.contains("REDACTED"));
        let json = serde_json::to_value(&c).unwrap();
        assert!(!json.to_string().contains("s3cret-pass"), "{json}");
        assert!(json.get("password").is_none(), "{json}");
    }

    #[test]
    fn deserialises_with_partial_sections_and_refuses_unknown_keys() {
        let c: UpstreamConfig = serde_json::from_str(
            r#"{"base_url":"http://127.0.0.1:9000/dukcapil/get_json","consumer":"X",
                "user_id":"U","password":"p","ip_user":"127.0.0.1",
                "fields":{"verify":{"threshold":"THRESHOLD"}},
                "methods":{"call_nik":"CALL_NIK_V2"}}"#,
        )
        .unwrap();
        assert_eq!(c.fields.verify.threshold, "THRESHOLD");
        assert_eq!(c.fields.verify.nik, "NIK");
        assert_eq!(c.methods.call_nik, "CALL_NIK_V2");
        assert_eq!(c.password, Some(UpstreamPassword::new("p")));
        c.validate().unwrap();

        assert!(serde_json::from_str::<UpstreamConfig>(r#"{"verify_tls":false}"#).is_err());
        assert!(
            serde_json::from_str::<UpstreamConfig>(r#"{"danger_accept_invalid_certs":true}"#)
                .is_err()
        );
    }

    #[test]
    fn a_non_string_password_is_refused_without_echo() {
        let err = serde_json::from_str::<UpstreamConfig>(r#"{"password":987654321}"#)
            .unwrap_err()
            .to_string();
        assert!(!err.contains("987654321"), "{err}");
        assert!(err.contains("password must be a string"), "{err}");
    }

    #[test]
    fn invalid_settings_name_their_key() {
        let key_of = |c: UpstreamConfig| match c.validate() {
            Err(UpstreamSetupError::Invalid { key, .. } | UpstreamSetupError::Missing { key }) => {
                key
            }
            other => panic!("{other:?}"),
        };
        let mut c = valid();
        c.base_url = Some("ftp://x/y".into());
        assert_eq!(key_of(c), "base_url");
        let mut c = valid();
        c.base_url = Some("https://user:pw@10.0.0.1/x".into());
        assert_eq!(key_of(c), "base_url");
        let mut c = valid();
        c.password_file = Some("/x".into());
        assert_eq!(key_of(c), "password");
        let mut c = valid();
        c.password = None;
        assert_eq!(key_of(c), "password");
        let mut c = valid();
        c.ip_user = "not-an-ip".into();
        assert_eq!(key_of(c), "ip_user");
        let mut c = valid();
        c.total_timeout_ms = c.connect_timeout_ms;
        assert_eq!(key_of(c), "total_timeout_ms");
        let mut c = valid();
        c.breaker_failures = 0;
        assert_eq!(key_of(c), "breaker_failures");
        let mut c = valid();
        c.verify_threshold = 101;
        assert_eq!(key_of(c), "verify_threshold");
        let mut c = valid();
        c.fields.elements.nama_lengkap = "NAMA_LGKP_IBU".into();
        assert_eq!(key_of(c), "fields.elements");
        let mut c = valid();
        c.fields.elements.alamat = "NIK".into();
        assert_eq!(key_of(c), "fields.verify");
        let mut c = valid();
        c.methods.call_nik = "a/b".into();
        assert_eq!(key_of(c), "methods.call_nik");
    }
}
