//! Property tests (cargo-fuzz needs nightly; proptest runs on stable): arbitrary input never
//! panics, valid NIKs round-trip, similarity is bounded, symmetric and 100 on itself.
//!
//! Case counts are fixed so the suite runs in a few seconds; failures are persisted in
//! `proptest-regressions/fuzz.txt` (committed) and replayed first on every run.

use domain::names::{PreparedName, normalize, similarity, similarity_prepared};
use domain::nik::{Nik, NikOutcome, NoKk, inspect, strip_separators};
use domain::region::{self, RegionCode};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use time::Date;

/// `cases` unless `PROPTEST_CASES` is set (for a longer run: `PROPTEST_CASES=100000`).
fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(cases);
    ProptestConfig {
        cases,
        // Relative to the package root (cargo runs tests there).
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "proptest-regressions/fuzz.txt",
        ))),
        ..ProptestConfig::default()
    }
}

/// A `today` between 1950 and 2150.
fn today() -> impl Strategy<Value = Date> {
    let start = time::macros::date!(1950 - 01 - 01).to_julian_day();
    let end = time::macros::date!(2150 - 12 - 31).to_julian_day();
    (start..=end).prop_filter_map("a calendar date", |jd| Date::from_julian_day(jd).ok())
}

/// Strings that look like NIKs: digits, separators, and now and then anything.
fn nik_like() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-9]{16}",
        "[0-9 .\\-]{0,24}",
        "[0-9]{2}[0-9 .\\-]{10,20}[0-9a-zA-Z]{0,3}",
        any::<String>(),
        "\\PC{0,40}",
    ]
}

/// Names: Latin letters with titles' punctuation, or any Unicode.
fn name_like() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-z]{1,12}( [A-Za-z.]{1,12}){0,4}(, [A-Z]\\.[A-Za-z]{1,3}\\.?)?",
        "[a-zA-Z' .,\\-]{0,40}",
        any::<String>(),
        "\\PC{0,30}",
    ]
}

proptest! {
    #![proptest_config(config(2000))]

    #[test]
    fn nik_parse_never_panics(input in nik_like(), today in today()) {
        let _ = Nik::parse(&input, today);
    }

    #[test]
    fn no_kk_parse_never_panics(input in nik_like()) {
        if let Ok(kk) = NoKk::parse(&input) {
            prop_assert_eq!(kk.as_str().len(), 16);
            prop_assert_eq!(NoKk::parse(kk.as_str()), Ok(kk));
        }
    }

    #[test]
    fn inspect_is_complete_and_consistent(input in nik_like(), today in today()) {
        let report = inspect(&input, today);
        let json = serde_json::to_string(&report).unwrap();
        let prefix = if report.valid { r#"{"valid":true,"# } else { r#"{"valid":false,"# };
        prop_assert!(json.starts_with(prefix), "{}", json);
        match (&report.outcome, Nik::parse(&input, today)) {
            (NikOutcome::Valid(details), Ok(nik)) => {
                prop_assert!(report.valid);
                prop_assert_eq!(&report.nik, nik.as_str());
                prop_assert_eq!(details.birth_date, nik.birth_date());
                prop_assert!(details.birth_date <= today);
            }
            (NikOutcome::Invalid { error }, Err(e)) => {
                prop_assert!(!report.valid);
                prop_assert_eq!(error.code, e.code());
                prop_assert_eq!(&report.nik, &strip_separators(&input));
                prop_assert!(!error.message.is_empty());
            }
            _ => prop_assert!(false, "report and parse disagree for {:?}", input),
        }
    }

    #[test]
    fn region_code_parse_never_panics(input in "[0-9.]{0,14}|\\PC{0,14}") {
        if let Some(code) = RegionCode::parse(&input) {
            prop_assert_eq!(RegionCode::parse(&code.to_string()), Some(code));
            prop_assert_eq!(RegionCode::parse(&code.to_digits()), Some(code));
            let _ = region::lookup(code);
        }
    }
}

/// A valid NIK's parts: a known province, any regency/district digits, a real date not after
/// `today`, a sex and a non-zero serial.
fn valid_nik_parts() -> impl Strategy<Value = (u8, u8, u8, Date, bool, u16, Date)> {
    let provinces: Vec<u8> = region::provinces()
        .map(|p| p.code.province_part())
        .collect();
    (
        proptest::sample::select(provinces),
        0u8..100,
        0u8..100,
        0u16..36_500,
        any::<bool>(),
        1u16..=9999,
        today(),
    )
        .prop_map(|(p, r, d, days_before, female, serial, today)| {
            let birth = today - time::Duration::days(i64::from(days_before) % 36_000);
            (p, r, d, birth, female, serial, today)
        })
}

fn format_nik(p: u8, r: u8, d: u8, birth: Date, female: bool, serial: u16) -> String {
    let day = birth.day() + if female { 40 } else { 0 };
    format!(
        "{p:02}{r:02}{d:02}{day:02}{:02}{:02}{serial:04}",
        u8::from(birth.month()),
        birth.year().rem_euclid(100)
    )
}

proptest! {
    #![proptest_config(config(2000))]

    #[test]
    fn valid_niks_round_trip((p, r, d, birth, female, serial, today) in valid_nik_parts()) {
        let text = format_nik(p, r, d, birth, female, serial);
        let nik = Nik::parse(&text, today).unwrap();
        prop_assert_eq!(nik.as_str(), text.as_str());
        prop_assert_eq!(nik.birth_date(), birth);
        prop_assert_eq!(nik.sex() == domain::nik::Sex::Female, female);
        prop_assert_eq!(nik.serial_number(), serial);
        prop_assert_eq!(nik.region().province.code.province_part(), p);
        prop_assert_eq!(Nik::parse(&nik.to_string(), today), Ok(nik));
        prop_assert_eq!(Nik::parse(&nik.grouped(), today), Ok(nik));
        let masked = nik.masked();
        prop_assert_eq!(&masked[..4], &text[..4]);
        prop_assert_eq!(&masked[4..12], "********");
        prop_assert_eq!(&masked[12..], &text[12..]);
    }
}

proptest! {
    #![proptest_config(config(1000))]

    #[test]
    fn similarity_bounded_and_symmetric(a in name_like(), b in name_like()) {
        let ab = similarity(&a, &b);
        prop_assert!(ab <= 100);
        prop_assert_eq!(ab, similarity(&b, &a));
        prop_assert_eq!(
            ab,
            similarity_prepared(&PreparedName::new(&a), &PreparedName::new(&b))
        );
    }

    #[test]
    fn similarity_with_itself_is_100(a in name_like()) {
        let prepared = PreparedName::new(&a);
        let _ = normalize(&a);
        if prepared.is_empty() {
            prop_assert_eq!(similarity(&a, &a), 0);
        } else {
            prop_assert_eq!(similarity(&a, &a), 100);
            // ASCII case and surrounding space do not matter.
            if a.is_ascii() {
                prop_assert_eq!(similarity(&a, &format!("  {}  ", a.to_ascii_uppercase())), 100);
            }
        }
    }
}
