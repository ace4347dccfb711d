//! CALL_VERIFY_BY_ELEMEN: compares claimed elements with a registry record and answers, per
//! element, `Sesuai` / `Tidak Sesuai` (exact elements) or `Sesuai (93)` / `Tidak Sesuai (59)`
//! (fuzzy elements, with the 0-100 score, matched when score >= `TRESHOLD`). No registry value
//! is ever returned. Elements absent from the request or sent empty are not answered.

use serde::ser::{Serialize, SerializeMap, Serializer};
use time::Date;

use crate::protocol::{Record, ResponseCode, VERIFY_ELEMENTS};

/// How an element is compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// Digits only, leading zeros ignored (NO_KK, NO_RT, NO_PROP, ...).
    Number,
    /// A date in any usual spelling.
    Date,
    /// Sex in any usual spelling.
    Sex,
    /// Places and addresses: scored 0-100 by [`similarity`].
    Fuzzy,
    /// A person's name: scored 0-100 by `domain::names::similarity`.
    Name,
}

fn kind_of(element: &str) -> Kind {
    match element {
        "NAMA_LGKP" => Kind::Name,
        "TGL_LHR" => Kind::Date,
        "JENIS_KLMIN" => Kind::Sex,
        "NO_KK" | "NO_RT" | "NO_RW" | "NO_PROP" | "NO_KAB" | "NO_KEC" | "NO_KEL" => Kind::Number,
        _ => Kind::Fuzzy,
    }
}

fn registry_value<'a>(record: &'a Record, element: &str) -> &'a str {
    match element {
        "NO_KK" => &record.no_kk,
        "NAMA_LGKP" => &record.nama_lgkp,
        "TMPT_LHR" => &record.tmpt_lhr,
        "TGL_LHR" => &record.tgl_lhr,
        "JENIS_KLMIN" => &record.jenis_klmin,
        "JENIS_PKRJN" => &record.jenis_pkrjn,
        "ALAMAT" => &record.alamat,
        "NO_RT" => &record.no_rt,
        "NO_RW" => &record.no_rw,
        "NO_PROP" => &record.no_prop,
        "PROP_NAME" => &record.prop_name,
        "NO_KAB" => &record.no_kab,
        "KAB_NAME" => &record.kab_name,
        "NO_KEC" => &record.no_kec,
        "KEC_NAME" => &record.kec_name,
        "NO_KEL" => &record.no_kel,
        "KEL_NAME" => &record.kel_name,
        _ => "",
    }
}

/// The verdicts of one verification, serialised as `content[0]`.
#[derive(Debug)]
pub(crate) struct Verdicts {
    pub items: Vec<(&'static str, String)>,
    pub code: ResponseCode,
}

impl Serialize for Verdicts {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.items.len() + 2))?;
        for (k, v) in &self.items {
            map.serialize_entry(k, v)?;
        }
        map.serialize_entry("RESPONSE_CODE", self.code.as_str())?;
        map.serialize_entry("RESPON", self.code.respon())?;
        map.end()
    }
}

/// Compares `claims` (element name, claimed value) with `record`.
pub(crate) fn verify(
    record: &Record,
    claims: &[(&'static str, String)],
    threshold: u8,
    code: ResponseCode,
) -> Verdicts {
    let mut items = Vec::with_capacity(claims.len());
    for element in VERIFY_ELEMENTS {
        let Some((_, claimed)) = claims.iter().find(|(e, _)| *e == element) else {
            continue;
        };
        if claimed.trim().is_empty() {
            continue;
        }
        let actual = registry_value(record, element);
        let verdict = match kind_of(element) {
            Kind::Number => exact(same_number(claimed, actual)),
            Kind::Date => {
                exact(parse_date(claimed).is_some() && parse_date(claimed) == parse_date(actual))
            }
            Kind::Sex => exact(sex_of(claimed).is_some() && sex_of(claimed) == sex_of(actual)),
            Kind::Fuzzy => scored(similarity(claimed, actual), threshold),
            Kind::Name => scored(domain::names::similarity(claimed, actual), threshold),
        };
        items.push((element, verdict));
    }
    Verdicts { items, code }
}

fn exact(ok: bool) -> String {
    if ok { "Sesuai" } else { "Tidak Sesuai" }.to_string()
}

fn scored(score: u8, threshold: u8) -> String {
    if score >= threshold {
        format!("Sesuai ({score})")
    } else {
        format!("Tidak Sesuai ({score})")
    }
}

fn same_number(a: &str, b: &str) -> bool {
    let digits = |s: &str| -> Option<String> {
        let s = s.trim();
        if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let stripped = s.trim_start_matches('0');
        Some(if stripped.is_empty() { "0" } else { stripped }.to_string())
    };
    matches!((digits(a), digits(b)), (Some(x), Some(y)) if x == y)
}

/// `dd-mm-yyyy`, `yyyy-mm-dd`, with `-` or `/`.
fn parse_date(s: &str) -> Option<Date> {
    let parts: Vec<&str> = s.trim().split(['-', '/']).collect();
    let [a, b, c] = parts.as_slice() else {
        return None;
    };
    let (y, m, d) = if a.len() == 4 { (a, b, c) } else { (c, b, a) };
    let month = time::Month::try_from(m.parse::<u8>().ok()?).ok()?;
    Date::from_calendar_date(y.parse().ok()?, month, d.parse().ok()?).ok()
}

/// `true` = male.
fn sex_of(s: &str) -> Option<bool> {
    let norm: String = s
        .trim()
        .to_uppercase()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    match norm.as_str() {
        "L" | "LAKILAKI" | "LAKI" | "PRIA" | "1" | "M" | "MALE" => Some(true),
        "P" | "PEREMPUAN" | "WANITA" | "2" | "F" | "FEMALE" => Some(false),
        _ => None,
    }
}

fn normalise(s: &str) -> String {
    s.to_uppercase()
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn levenshtein(a: &[char], b: &[char]) -> usize {
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

fn ratio(a: &str, b: &str) -> u8 {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let longest = a.len().max(b.len());
    if longest == 0 {
        return 100;
    }
    let d = levenshtein(&a, &b);
    (100 * (longest - d.min(longest)) / longest) as u8
}

/// Similarity 0-100 of two places or addresses: case, punctuation and word order ignored,
/// digits kept (Levenshtein ratio, the better of as-written and words-sorted). Personal names
/// use `domain::names::similarity` instead (titles, spellings, initials).
pub(crate) fn similarity(a: &str, b: &str) -> u8 {
    let (a, b) = (normalise(a), normalise(b));
    if a.is_empty() || b.is_empty() {
        return if a == b { 100 } else { 0 };
    }
    let sorted = |s: &str| {
        let mut w: Vec<&str> = s.split_whitespace().collect();
        w.sort_unstable();
        w.join(" ")
    };
    ratio(&a, &b).max(ratio(&sorted(&a), &sorted(&b)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> Record {
        Record {
            nik: "3313010101900001".into(),
            no_kk: "3313011203150004".into(),
            nama_lgkp: "H. BUDI SANTOSO, S.PD".into(),
            jenis_klmin: "LAKI-LAKI".into(),
            tmpt_lhr: "KARANGANYAR".into(),
            tgl_lhr: "01-01-1990".into(),
            status_kawin: "KAWIN".into(),
            jenis_pkrjn: "GURU".into(),
            alamat: "DUSUN KRAJAN".into(),
            no_rt: "003".into(),
            no_rw: "011".into(),
            no_kel: "2001".into(),
            kel_name: "NGEPUNGSARI".into(),
            no_kec: "01".into(),
            kec_name: "JATIPURO".into(),
            no_kab: "13".into(),
            kab_name: "KARANGANYAR".into(),
            no_prop: "33".into(),
            prop_name: "JAWA TENGAH".into(),
            agama: "ISLAM".into(),
            pddk_akh: "DIPLOMA IV/STRATA I".into(),
            nama_lgkp_ibu: "SITI".into(),
            gol_darah: "O".into(),
            ektp_status: "ELEKTRONIK".into(),
        }
    }

    fn verdict(v: &Verdicts, e: &str) -> Option<String> {
        v.items
            .iter()
            .find(|(k, _)| *k == e)
            .map(|(_, v)| v.clone())
    }

    #[test]
    fn similarity_scores() {
        assert_eq!(similarity("Jl. Mawar No. 12", "JL. MAWAR NO. 12"), 100);
        assert_eq!(similarity("KRAJAN DUSUN", "DUSUN KRAJAN"), 100);
        assert!(similarity("JL. MAWAR NO. 12", "JL. MAWAR NO. 99") < 100);
        assert!(similarity("KARANGANYAR", "KARANGANJAR") >= 90);
        assert!(similarity("SURAKARTA", "KARANGANYAR") < 50);
        assert_eq!(similarity("", "X"), 0);
    }

    #[test]
    fn verdicts_per_element() {
        let claims: Vec<(&'static str, String)> = vec![
            ("NAMA_LGKP", "budi santoso".into()),
            ("TGL_LHR", "1990-01-01".into()),
            ("JENIS_KLMIN", "L".into()),
            ("NO_RT", "3".into()),
            ("NO_RW", "12".into()),
            ("NO_KK", "3313011203150004".into()),
            ("TMPT_LHR", "SURAKARTA".into()),
            ("KEC_NAME", "".into()),
        ];
        let v = verify(&record(), &claims, 80, ResponseCode::Found);
        assert_eq!(verdict(&v, "NAMA_LGKP").as_deref(), Some("Sesuai (100)"));
        assert_eq!(verdict(&v, "TGL_LHR").as_deref(), Some("Sesuai"));
        assert_eq!(verdict(&v, "JENIS_KLMIN").as_deref(), Some("Sesuai"));
        assert_eq!(verdict(&v, "NO_RT").as_deref(), Some("Sesuai"));
        assert_eq!(verdict(&v, "NO_RW").as_deref(), Some("Tidak Sesuai"));
        assert_eq!(verdict(&v, "NO_KK").as_deref(), Some("Sesuai"));
        let tmpt = verdict(&v, "TMPT_LHR").unwrap();
        assert!(tmpt.starts_with("Tidak Sesuai ("), "{tmpt}");
        assert_eq!(
            verdict(&v, "KEC_NAME"),
            None,
            "empty claims are not answered"
        );
        let json = serde_json::to_value(&v).unwrap();
        assert_eq!(json["RESPONSE_CODE"], "01");
        let text = json.to_string();
        for secret in ["KARANGANYAR", "H. BUDI", "3313011203150004", "1990"] {
            assert!(
                !text.contains(secret),
                "registry value {secret} leaked: {text}"
            );
        }
    }

    #[test]
    fn threshold_decides_fuzzy_verdicts() {
        let claims = vec![("NAMA_LGKP", "BUDI SANTOSA".to_string())];
        let strict = verify(&record(), &claims, 99, ResponseCode::Found);
        let lax = verify(&record(), &claims, 80, ResponseCode::Found);
        assert!(
            verdict(&strict, "NAMA_LGKP")
                .unwrap()
                .starts_with("Tidak Sesuai (")
        );
        assert!(verdict(&lax, "NAMA_LGKP").unwrap().starts_with("Sesuai ("));
    }

    #[test]
    fn bad_dates_and_sexes_do_not_match() {
        let claims = vec![
            ("TGL_LHR", "1990-13-01".to_string()),
            ("JENIS_KLMIN", "X".to_string()),
        ];
        let v = verify(&record(), &claims, 80, ResponseCode::Found);
        assert_eq!(verdict(&v, "TGL_LHR").as_deref(), Some("Tidak Sesuai"));
        assert_eq!(verdict(&v, "JENIS_KLMIN").as_deref(), Some("Tidak Sesuai"));
    }
}
