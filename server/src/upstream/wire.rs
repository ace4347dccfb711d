//! The wire: request bodies of both methods, and the filter that reads an answer.
//!
//! Answers are read with a streaming `serde` visitor that knows only the configured names of
//! the allowed elements, `RESPONSE_CODE` and `RESPON`. Every other field (AGAMA, PDDK_AKH,
//! NAMA_LGKP_IBU, GOL_DARAH, EKTP_STATUS, ...) is skipped with `IgnoredAny` and so never
//! exists in memory beyond the raw bytes; records after the first are skipped the same way
//! (only their number is kept). The raw bytes are zeroised by the caller after parsing.

use std::collections::BTreeMap;
use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, Serializer};
use time::Date;

use super::codes::{CodeKind, ResponseCode, UpstreamCode};
use super::config::{ClaimDateFormat, FieldNames};
use super::model::{
    Alamat, ClaimedElements, Element, LookupOutcome, Resident, UnavailableReason, Verdict,
    VerifyOutcome, Wilayah,
};

/// Credentials as they go into a request body.
pub(crate) struct Credentials<'a> {
    pub user_id: &'a str,
    pub password: &'a SecretString,
    pub ip_user: &'a str,
}

/// The CALL_NIK body.
pub(crate) struct NikRequest<'a> {
    pub fields: &'a FieldNames,
    pub nik: &'a str,
    pub credentials: Credentials<'a>,
}

impl Serialize for NikRequest<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let f = &self.fields.call_nik;
        let c = &self.credentials;
        let mut map = s.serialize_map(Some(4))?;
        map.serialize_entry(&f.nik, self.nik)?;
        map.serialize_entry(&f.user_id, c.user_id)?;
        map.serialize_entry(&f.password, c.password.expose_secret())?;
        map.serialize_entry(&f.ip_user, c.ip_user)?;
        map.end()
    }
}

/// The CALL_VERIFY_BY_ELEMEN body: credentials, threshold, NIK and every claimable element
/// (empty when not claimed).
pub(crate) struct VerifyRequest<'a> {
    pub fields: &'a FieldNames,
    pub nik: &'a str,
    pub credentials: Credentials<'a>,
    pub threshold: u8,
    pub claimed: &'a ClaimedElements,
    pub date_format: ClaimDateFormat,
}

impl Serialize for VerifyRequest<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let f = &self.fields.verify;
        let c = &self.credentials;
        let mut map = s.serialize_map(Some(5 + Element::CLAIMABLE.len()))?;
        map.serialize_entry(&f.user_id, c.user_id)?;
        map.serialize_entry(&f.password, c.password.expose_secret())?;
        map.serialize_entry(&f.ip_user, c.ip_user)?;
        map.serialize_entry(&f.threshold, &self.threshold.min(100).to_string())?;
        map.serialize_entry(&f.nik, self.nik)?;
        for element in Element::CLAIMABLE {
            let name = self.fields.elements.name(element);
            match element {
                Element::TanggalLahir => {
                    let text = self
                        .claimed
                        .tanggal_lahir
                        .map(|d| claim_date(d, self.date_format))
                        .unwrap_or_default();
                    map.serialize_entry(name, &text)?;
                }
                Element::JenisKelamin => {
                    let text = match self.claimed.jenis_kelamin {
                        Some(domain::nik::Sex::Male) => "LAKI-LAKI",
                        Some(domain::nik::Sex::Female) => "PEREMPUAN",
                        None => "",
                    };
                    map.serialize_entry(name, text)?;
                }
                other => map.serialize_entry(name, self.claimed.text(other).unwrap_or(""))?,
            }
        }
        map.end()
    }
}

fn claim_date(d: Date, format: ClaimDateFormat) -> String {
    let (y, m, day) = (d.year(), u8::from(d.month()), d.day());
    match format {
        ClaimDateFormat::DdMmYyyy => format!("{day:02}-{m:02}-{y:04}"),
        ClaimDateFormat::YyyyMmDd => format!("{y:04}-{m:02}-{day:02}"),
    }
}

/// Where a field of `content[i]` goes.
#[derive(Clone, Copy, Debug)]
enum Slot {
    Code,
    Respon,
    Element(Element),
}

/// The configured answer field names, resolved once.
#[derive(Debug, Clone)]
pub(crate) struct AnswerNames {
    content: String,
    slots: Vec<(String, Slot)>,
}

impl AnswerNames {
    pub(crate) fn new(fields: &FieldNames) -> Self {
        let mut slots = vec![
            (fields.answer.response_code.clone(), Slot::Code),
            (fields.answer.respon.clone(), Slot::Respon),
        ];
        slots.extend(
            Element::ALL
                .iter()
                .map(|e| (fields.elements.name(*e).clone(), Slot::Element(*e))),
        );
        Self {
            content: fields.answer.content.clone(),
            slots,
        }
    }

    fn slot(&self, key: &str) -> Option<Slot> {
        self.slots
            .iter()
            .find(|(name, _)| name == key)
            .map(|(_, slot)| *slot)
    }
}

/// The allowed part of `content[0]`.
#[derive(Default)]
pub(crate) struct RawRecord {
    code: Option<String>,
    respon: Option<String>,
    values: [Option<String>; Element::ALL.len()],
}

impl RawRecord {
    fn value(&self, e: Element) -> Option<&str> {
        self.values[e.index()]
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
    }

    fn take(&mut self, e: Element) -> String {
        match self.values[e.index()].take() {
            Some(mut v) => {
                let trimmed = v.trim();
                if trimmed.len() != v.len() {
                    v = trimmed.to_string();
                }
                v
            }
            None => String::new(),
        }
    }

    /// The code the record states (`RESPONSE_CODE`, else a known `RESPON` text).
    fn declared_code(&self) -> Option<UpstreamCode> {
        if let Some(code) = self.code.as_deref().filter(|c| !c.trim().is_empty()) {
            return Some(UpstreamCode::parse(code));
        }
        self.respon
            .as_deref()
            .filter(|r| !r.trim().is_empty())
            .map(UpstreamCode::from_respon)
    }
}

/// The filtered answer: `content[0]` and the number of records.
pub(crate) struct RawAnswer {
    first: Option<RawRecord>,
    count: usize,
}

impl RawAnswer {
    /// The code `content[0]` states (`RESPONSE_CODE` or a known `RESPON`), not inferred from
    /// data.
    pub(crate) fn declared_code(&self) -> Option<UpstreamCode> {
        self.first.as_ref().and_then(RawRecord::declared_code)
    }
}

/// Why an answer could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ParseError {
    /// Not JSON (syntax error, truncated).
    Syntax,
    /// JSON of another shape.
    Shape,
}

impl From<ParseError> for UnavailableReason {
    fn from(e: ParseError) -> Self {
        match e {
            ParseError::Syntax => UnavailableReason::MalformedJson,
            ParseError::Shape => UnavailableReason::UnexpectedShape,
        }
    }
}

/// Reads an answer, keeping only the allowed fields of `content[0]`.
pub(crate) fn parse_answer(bytes: &[u8], names: &AnswerNames) -> Result<RawAnswer, ParseError> {
    let classify = |e: serde_json::Error| match e.classify() {
        serde_json::error::Category::Data => ParseError::Shape,
        _ => ParseError::Syntax,
    };
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let answer = EnvelopeSeed(names).deserialize(&mut de).map_err(classify)?;
    de.end().map_err(classify)?;
    answer.ok_or(ParseError::Shape)
}

struct EnvelopeSeed<'a>(&'a AnswerNames);

impl<'de> DeserializeSeed<'de> for EnvelopeSeed<'_> {
    type Value = Option<RawAnswer>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for EnvelopeSeed<'_> {
    type Value = Option<RawAnswer>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an answer object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut answer = None;
        let content = self.0.content.as_str();
        while let Some(is_content) = map.next_key_seed(KeyWith(|key: &str| key == content))? {
            if answer.is_none() && is_content {
                answer = Some(map.next_value_seed(ContentSeed(self.0))?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(answer)
    }
}

struct ContentSeed<'a>(&'a AnswerNames);

impl<'de> DeserializeSeed<'de> for ContentSeed<'_> {
    type Value = RawAnswer;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ContentSeed<'_> {
    type Value = RawAnswer;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of records")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let first = seq.next_element_seed(RecordSeed(self.0))?;
        let mut count = usize::from(first.is_some());
        while seq.next_element::<IgnoredAny>()?.is_some() {
            count += 1;
        }
        Ok(RawAnswer { first, count })
    }
}

struct RecordSeed<'a>(&'a AnswerNames);

impl<'de> DeserializeSeed<'de> for RecordSeed<'_> {
    type Value = RawRecord;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RecordSeed<'_> {
    type Value = RawRecord;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a record object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut record = RawRecord::default();
        let names = self.0;
        while let Some(slot) = map.next_key_seed(KeyWith(|key: &str| names.slot(key)))? {
            match slot {
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
                Some(Slot::Code) => record.code = map.next_value::<Loose>()?.0,
                Some(Slot::Respon) => record.respon = map.next_value::<Loose>()?.0,
                Some(Slot::Element(e)) => record.values[e.index()] = map.next_value::<Loose>()?.0,
            }
        }
        Ok(record)
    }
}

/// A map key, looked at without being kept: `F` answers what the key means. No allocation
/// unless the key has escapes (an answer has some 30 keys, most of them dropped unread).
struct KeyWith<F>(F);

impl<'de, T, F: FnOnce(&str) -> T> DeserializeSeed<'de> for KeyWith<F> {
    type Value = T;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de, T, F: FnOnce(&str) -> T> Visitor<'de> for KeyWith<F> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field name")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        Ok((self.0)(v))
    }
}

/// A scalar as text: strings as they are, numbers and booleans spelled out, null as `None`.
struct Loose(Option<String>);

impl<'de> serde::Deserialize<'de> for Loose {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(LooseVisitor)
    }
}

struct LooseVisitor;

impl<'de> Visitor<'de> for LooseVisitor {
    type Value = Loose;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string, number or null")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Loose, E> {
        Ok(Loose(Some(v.to_string())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Loose, E> {
        Ok(Loose(Some(v)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Loose, E> {
        Ok(Loose(Some(v.to_string())))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Loose, E> {
        Ok(Loose(Some(v.to_string())))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Loose, E> {
        Ok(Loose(Some(v.to_string())))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Loose, E> {
        Ok(Loose(Some(v.to_string())))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Loose, E> {
        Ok(Loose(None))
    }
    fn visit_none<E: de::Error>(self) -> Result<Loose, E> {
        Ok(Loose(None))
    }
}

/// The code of an answer: stated, else inferred (data present: 01, or 12 for several
/// records), else from `RESPON`.
fn code_of(record: &RawRecord, has_data: bool, count: usize) -> Option<UpstreamCode> {
    if let Some(code) = record.code.as_deref().filter(|c| !c.trim().is_empty()) {
        return Some(UpstreamCode::parse(code));
    }
    if has_data {
        return Some(if count > 1 {
            UpstreamCode::Known(ResponseCode::MultipleRecords)
        } else {
            UpstreamCode::Known(ResponseCode::Found)
        });
    }
    record.declared_code()
}

/// A CALL_NIK answer as an outcome. `requested_nik` is the 16 digits asked for.
pub(crate) fn lookup_outcome(answer: RawAnswer, requested_nik: &str) -> LookupOutcome {
    let shape = || LookupOutcome::unavailable(UnavailableReason::UnexpectedShape);
    let count = answer.count;
    let Some(mut record) = answer.first else {
        return shape();
    };
    let has_data =
        record.value(Element::Nik).is_some() || record.value(Element::NamaLengkap).is_some();
    let Some(code) = code_of(&record, has_data, count) else {
        return shape();
    };
    match code.kind() {
        CodeKind::IdentityResult => LookupOutcome::IdentityResult { code },
        CodeKind::SetupError => LookupOutcome::SetupError { code },
        CodeKind::Success => {
            if !has_data {
                return shape();
            }
            let nik = record.take(Element::Nik);
            let digits: String = nik.chars().filter(char::is_ascii_digit).collect();
            if !nik.is_empty() && digits != requested_nik {
                tracing::warn!(target: super::LOG_TARGET, "upstream answered about a different NIK; answer refused");
                return shape();
            }
            let multiple_records = code == ResponseCode::MultipleRecords || count > 1;
            LookupOutcome::Found {
                resident: Box::new(resident_of(&mut record, requested_nik)),
                multiple_records,
            }
        }
    }
}

fn resident_of(r: &mut RawRecord, nik: &str) -> Resident {
    let tanggal_raw = r.take(Element::TanggalLahir);
    let tanggal_lahir = parse_date(&tanggal_raw);
    if tanggal_lahir.is_none() && !tanggal_raw.is_empty() {
        tracing::debug!(target: super::LOG_TARGET, "upstream birth date in an unrecognised format");
    }
    let sex_raw = r.take(Element::JenisKelamin);
    let jenis_kelamin = parse_sex(&sex_raw);
    if jenis_kelamin.is_none() && !sex_raw.is_empty() {
        tracing::debug!(target: super::LOG_TARGET, "upstream sex in an unrecognised spelling");
    }
    let mut wilayah = |kode: Element, nama: Element| Wilayah {
        kode: r.take(kode),
        nama: r.take(nama),
    };
    let kelurahan = wilayah(Element::KelurahanKode, Element::KelurahanNama);
    let kecamatan = wilayah(Element::KecamatanKode, Element::KecamatanNama);
    let kabupaten = wilayah(Element::KabupatenKode, Element::KabupatenNama);
    let provinsi = wilayah(Element::ProvinsiKode, Element::ProvinsiNama);
    Resident {
        no_kk: r.take(Element::NoKk),
        nik: nik.to_string(),
        nama_lengkap: r.take(Element::NamaLengkap),
        jenis_kelamin,
        tempat_lahir: r.take(Element::TempatLahir),
        tanggal_lahir,
        status_perkawinan: r.take(Element::StatusPerkawinan),
        jenis_pekerjaan: r.take(Element::JenisPekerjaan),
        alamat: Alamat {
            alamat: r.take(Element::Alamat),
            rt: r.take(Element::Rt),
            rw: r.take(Element::Rw),
            kelurahan,
            kecamatan,
            kabupaten,
            provinsi,
        },
    }
}

/// A CALL_VERIFY_BY_ELEMEN answer as an outcome.
pub(crate) fn verify_outcome(answer: RawAnswer) -> VerifyOutcome {
    let shape = || VerifyOutcome::unavailable(UnavailableReason::UnexpectedShape);
    let count = answer.count;
    let Some(record) = answer.first else {
        return shape();
    };
    let has_data = Element::ALL.iter().any(|e| record.value(*e).is_some());
    let Some(code) = code_of(&record, has_data, count) else {
        return shape();
    };
    match code.kind() {
        CodeKind::IdentityResult => VerifyOutcome::IdentityResult { code },
        CodeKind::SetupError => VerifyOutcome::SetupError { code },
        CodeKind::Success => {
            let mut verdicts = BTreeMap::new();
            for e in Element::ALL {
                let Some(text) = record.value(e) else {
                    continue;
                };
                match Verdict::parse(text) {
                    Some(v) => {
                        verdicts.insert(e, v);
                    }
                    None => {
                        // Not a verdict (perhaps a registry value): refuse the whole answer.
                        tracing::warn!(
                            target: super::LOG_TARGET,
                            element = e.as_str(),
                            "upstream verify answer holds something other than a verdict; \
                             answer refused"
                        );
                        return shape();
                    }
                }
            }
            VerifyOutcome::Verdicts {
                verdicts,
                multiple_records: code == ResponseCode::MultipleRecords || count > 1,
            }
        }
    }
}

/// `dd-mm-yyyy` or `yyyy-mm-dd` (also with `/`), optionally followed by a time.
pub(crate) fn parse_date(text: &str) -> Option<Date> {
    let date_part = text.trim().split([' ', 'T']).next()?;
    let parts: Vec<&str> = date_part.split(['-', '/']).collect();
    let [a, b, c] = parts.as_slice() else {
        return None;
    };
    let (y, m, d) = match (a.len(), c.len()) {
        (4, 1..=2) => (a, b, c),
        (1..=2, 4) => (c, b, a),
        _ => return None,
    };
    if !(y.len() == 4 && m.len() <= 2 && d.len() <= 2) {
        return None;
    }
    let month = time::Month::try_from(m.parse::<u8>().ok()?).ok()?;
    Date::from_calendar_date(y.parse().ok()?, month, d.parse().ok()?).ok()
}

/// `LAKI-LAKI`, `Laki-laki`, `L`, `PRIA` → L; `PEREMPUAN`, `Perempuan`, `P`, `WANITA` → P.
pub(crate) fn parse_sex(text: &str) -> Option<domain::nik::Sex> {
    let norm: String = text
        .chars()
        .filter(char::is_ascii_alphabetic)
        .collect::<String>()
        .to_ascii_uppercase();
    match norm.as_str() {
        "L" | "LAKILAKI" | "LAKI" | "PRIA" => Some(domain::nik::Sex::Male),
        "P" | "PEREMPUAN" | "WANITA" => Some(domain::nik::Sex::Female),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::nik::Sex;
    use serde_json::json;
    use time::macros::date;

    const NIK: &str = "3313010101900001";

    fn names() -> AnswerNames {
        AnswerNames::new(&FieldNames::default())
    }

    fn record() -> serde_json::Value {
        json!({
            "NIK": NIK, "NO_KK": "3313010101900100", "NAMA_LGKP": "BUDI SANTOSO",
            "JENIS_KLMIN": "LAKI-LAKI", "TMPT_LHR": "KARANGANYAR", "TGL_LHR": "31-12-1990",
            "STATUS_KAWIN": "KAWIN", "JENIS_PKRJN": "PETANI/PEKEBUN", "ALAMAT": "DUSUN KRAJAN",
            "NO_RT": "003", "NO_RW": "011", "NO_KEL": "2001", "KEL_NAME": "JATIPURO",
            "NO_KEC": "01", "KEC_NAME": "JATIPURO", "NO_KAB": "13", "KAB_NAME": "KARANGANYAR",
            "NO_PROP": "33", "PROP_NAME": "JAWA TENGAH",
            "AGAMA": "ISLAM", "PDDK_AKH": "SLTA/SEDERAJAT", "NAMA_LGKP_IBU": "SRI WAHYUNI",
            "GOL_DARAH": "O", "EKTP_STATUS": "ELEKTRONIK",
            "RESPONSE_CODE": "01", "RESPON": "Data Ditemukan"
        })
    }

    fn envelope(content: serde_json::Value) -> Vec<u8> {
        serde_json::to_vec(
            &json!({"content": content, "lastPage": true, "numberOfElements": 1,
            "sort": null, "totalElements": 1, "firstPage": true, "number": 0, "size": 1}),
        )
        .unwrap()
    }

    fn lookup(bytes: &[u8]) -> LookupOutcome {
        match parse_answer(bytes, &names()) {
            Ok(a) => lookup_outcome(a, NIK),
            Err(e) => LookupOutcome::unavailable(e.into()),
        }
    }

    fn verify(bytes: &[u8]) -> VerifyOutcome {
        match parse_answer(bytes, &names()) {
            Ok(a) => verify_outcome(a),
            Err(e) => VerifyOutcome::unavailable(e.into()),
        }
    }

    #[test]
    fn field_names_written_with_escapes_are_still_recognised() {
        // `\u005f` is `_`, `\u0063` is `c`: the same names, spelled as JSON allows.
        let body = format!(
            r#"{{"\u0063ontent":[{{"NIK":"{NIK}","NAMA\u005fLGKP":"BUDI SANTOSO","RESPONSE\u005fCODE":"01"}}]}}"#
        );
        let LookupOutcome::Found { resident, .. } = lookup(body.as_bytes()) else {
            panic!("not found: {body}")
        };
        assert_eq!(resident.nama_lengkap, "BUDI SANTOSO");
        assert_eq!(resident.nik, NIK);
    }

    #[test]
    fn found_keeps_only_the_nine_elements() {
        let out = lookup(&envelope(json!([record()])));
        let LookupOutcome::Found {
            resident,
            multiple_records,
        } = &out
        else {
            panic!("{out:?}")
        };
        assert!(!multiple_records);
        assert_eq!(resident.nama_lengkap, "BUDI SANTOSO");
        assert_eq!(resident.jenis_kelamin, Some(Sex::Male));
        assert_eq!(resident.tanggal_lahir, Some(date!(1990 - 12 - 31)));
        assert_eq!(resident.alamat.kelurahan.kode, "2001");
        assert_eq!(resident.alamat.provinsi.nama, "JAWA TENGAH");
        let text = format!("{out:?} {}", serde_json::to_string(&out).unwrap());
        for forbidden in ["ISLAM", "SLTA", "SRI WAHYUNI", "ELEKTRONIK", "AGAMA", "IBU"] {
            assert!(!text.contains(forbidden), "{forbidden} in {text}");
        }
        assert!(text.contains("\"tanggal_lahir\":\"1990-12-31\""), "{text}");
    }

    #[test]
    fn multiple_records_and_inferred_codes() {
        let mut second = record();
        second["NAMA_LGKP"] = json!("BUDI SANTOSO ALIAS");
        let mut first = record();
        first["RESPONSE_CODE"] = json!("12");
        let out = lookup(&envelope(json!([first, second])));
        assert!(
            matches!(&out, LookupOutcome::Found { multiple_records: true, resident } if resident.nama_lengkap == "BUDI SANTOSO"),
            "{out:?}"
        );
        // No code at all, data present: 01; two records: 12.
        let mut bare = record();
        bare.as_object_mut().unwrap().remove("RESPONSE_CODE");
        bare.as_object_mut().unwrap().remove("RESPON");
        assert!(matches!(
            lookup(&envelope(json!([bare.clone()]))),
            LookupOutcome::Found {
                multiple_records: false,
                ..
            }
        ));
        assert!(matches!(
            lookup(&envelope(json!([bare.clone(), bare]))),
            LookupOutcome::Found {
                multiple_records: true,
                ..
            }
        ));
        // RESPON only.
        assert_eq!(
            lookup(&envelope(json!([{"RESPON": "Data Tidak Ditemukan"}]))),
            LookupOutcome::IdentityResult {
                code: ResponseCode::NotFound.into()
            }
        );
        assert_eq!(
            lookup(&envelope(json!([{"RESPON": "Sistem sedang gangguan"}]))),
            LookupOutcome::SetupError {
                code: UpstreamCode::Unknown(String::new())
            }
        );
        // Numeric code.
        assert_eq!(
            lookup(&envelope(json!([{"RESPONSE_CODE": 5}]))),
            LookupOutcome::SetupError {
                code: ResponseCode::QuotaExhausted.into()
            }
        );
    }

    #[test]
    fn identity_codes_drop_any_data_sent_with_them() {
        let mut deceased = record();
        deceased["RESPONSE_CODE"] = json!("11");
        let out = lookup(&envelope(json!([deceased])));
        assert_eq!(
            out,
            LookupOutcome::IdentityResult {
                code: ResponseCode::Deceased.into()
            }
        );
    }

    #[test]
    fn shapes_that_are_refused() {
        let shape = LookupOutcome::unavailable(UnavailableReason::UnexpectedShape);
        let syntax = LookupOutcome::unavailable(UnavailableReason::MalformedJson);
        assert_eq!(lookup(b"{\"content\":[{\"NIK\":\"33"), syntax);
        assert_eq!(lookup(b"<html>500</html>"), syntax);
        assert_eq!(lookup(b"{}"), shape);
        assert_eq!(lookup(b"[]"), shape);
        assert_eq!(lookup(b"{\"content\":[]}"), shape);
        assert_eq!(lookup(b"{\"content\":\"x\"}"), shape);
        assert_eq!(lookup(b"{\"content\":[{}]}"), shape);
        assert_eq!(lookup(b"{\"content\":[{\"NAMA_LGKP\":{\"a\":1}}]}"), shape);
        assert_eq!(lookup(b"{\"content\":[{\"RESPONSE_CODE\":\"01\"}]}"), shape);
        assert_eq!(lookup(b"{\"content\":[]} trailing"), syntax);
        let mut other = record();
        other["NIK"] = json!("3313010101900002");
        assert_eq!(lookup(&envelope(json!([other]))), shape);
    }

    #[test]
    fn configured_spellings_are_used() {
        let mut fields = FieldNames::default();
        fields.answer.content = "data".into();
        fields.answer.response_code = "kode".into();
        fields.elements.nama_lengkap = "nama".into();
        let names = AnswerNames::new(&fields);
        let bytes = serde_json::to_vec(
            &json!({"data": [{"kode": "01", "NIK": NIK, "nama": "ANI", "NAMA_LGKP": "X"}]}),
        )
        .unwrap();
        let out = lookup_outcome(parse_answer(&bytes, &names).unwrap(), NIK);
        assert!(
            matches!(&out, LookupOutcome::Found { resident, .. } if resident.nama_lengkap == "ANI"),
            "{out:?}"
        );
    }

    #[test]
    fn verify_answers() {
        let bytes = envelope(json!([{
            "NAMA_LGKP": "Tidak Sesuai (59)", "TGL_LHR": "Sesuai", "KEL_NAME": "Sesuai (97)",
            "AGAMA": "Sesuai", "RESPONSE_CODE": "01", "RESPON": "Data Ditemukan"
        }]));
        let out = verify(&bytes);
        let VerifyOutcome::Verdicts { verdicts, .. } = &out else {
            panic!("{out:?}")
        };
        assert_eq!(verdicts.len(), 3);
        assert_eq!(
            verdicts[&Element::NamaLengkap],
            Verdict::TidakSesuai { score: Some(59) }
        );
        assert_eq!(
            verdicts[&Element::KelurahanNama],
            Verdict::Sesuai { score: Some(97) }
        );
        // A value where a verdict belongs is refused.
        let leaky = envelope(json!([{"NAMA_LGKP": "BUDI SANTOSO", "RESPONSE_CODE": "01"}]));
        assert_eq!(
            verify(&leaky),
            VerifyOutcome::unavailable(UnavailableReason::UnexpectedShape)
        );
        assert_eq!(
            verify(&envelope(
                json!([{"RESPONSE_CODE": "13", "RESPON": "Data Tidak Ditemukan"}])
            )),
            VerifyOutcome::IdentityResult {
                code: ResponseCode::NotFound.into()
            }
        );
    }

    #[test]
    fn requests_use_the_configured_names() {
        let fields = FieldNames::default();
        let password = SecretString::from("pw");
        let creds = || Credentials {
            user_id: "U",
            password: &password,
            ip_user: "10.0.0.1",
        };
        let body = serde_json::to_value(NikRequest {
            fields: &fields,
            nik: NIK,
            credentials: creds(),
        })
        .unwrap();
        assert_eq!(
            body,
            json!({"nik": NIK, "user_id": "U", "password": "pw", "ip_user": "10.0.0.1"})
        );
        let claimed = ClaimedElements {
            nama_lengkap: Some(" ANI ".into()),
            tanggal_lahir: Some(date!(1990 - 01 - 31)),
            jenis_kelamin: Some(Sex::Female),
            ..ClaimedElements::default()
        };
        let body = serde_json::to_value(VerifyRequest {
            fields: &fields,
            nik: NIK,
            credentials: creds(),
            threshold: 90,
            claimed: &claimed,
            date_format: ClaimDateFormat::DdMmYyyy,
        })
        .unwrap();
        assert_eq!(body["NIK"], NIK);
        assert_eq!(body["USER_ID"], "U");
        assert_eq!(body["PASSWORD"], "pw");
        assert_eq!(body["IP_USER"], "10.0.0.1");
        assert_eq!(body["TRESHOLD"], "90");
        assert_eq!(body["NAMA_LGKP"], "ANI");
        assert_eq!(body["TGL_LHR"], "31-01-1990");
        assert_eq!(body["JENIS_KLMIN"], "PEREMPUAN");
        assert_eq!(body["KEL_NAME"], "");
        assert_eq!(body.as_object().unwrap().len(), 5 + 17);
        assert!(body.get("STATUS_KAWIN").is_none());
    }

    #[test]
    fn dates_and_sexes() {
        assert_eq!(parse_date("31-12-1990"), Some(date!(1990 - 12 - 31)));
        assert_eq!(parse_date("1990-12-31"), Some(date!(1990 - 12 - 31)));
        assert_eq!(parse_date("1/2/1990"), Some(date!(1990 - 02 - 01)));
        assert_eq!(
            parse_date("1990-12-31 00:00:00"),
            Some(date!(1990 - 12 - 31))
        );
        assert_eq!(parse_date("31-02-1990"), None);
        assert_eq!(parse_date("19901231"), None);
        assert_eq!(parse_date(""), None);
        for (t, s) in [
            ("LAKI-LAKI", Some(Sex::Male)),
            ("Laki-laki", Some(Sex::Male)),
            ("L", Some(Sex::Male)),
            ("PEREMPUAN", Some(Sex::Female)),
            ("Perempuan", Some(Sex::Female)),
            ("P", Some(Sex::Female)),
            ("X", None),
            ("", None),
        ] {
            assert_eq!(parse_sex(t), s, "{t}");
        }
    }
}
