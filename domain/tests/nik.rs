//! NIK and No. KK parsing: every error code, check order, leap years, sex, century choice,
//! separators, region warnings, older-edition codes, masking, and the exact report JSON.
//!
//! All NIKs here are synthetic: real region codes with made-up dates and serials.

use domain::nik::Nik;
use domain::nik::{
    NikError, NikErrorCode, NikOutcome, NikReport, NikWarning, NoKk, NoKkError, NoKkErrorCode, Sex,
    inspect, strip_separators,
};
use domain::region::Edition;
use time::Date;
use time::macros::date;

const TODAY: Date = date!(2025 - 06 - 30);

fn parse(input: &str) -> Result<Nik, NikError> {
    Nik::parse(input, TODAY)
}

fn code_of(input: &str) -> NikErrorCode {
    match parse(input) {
        Ok(nik) => panic!("{input} parsed as {nik:?}"),
        Err(e) => e.code(),
    }
}

#[test]
fn female_day_plus_forty() {
    let nik = parse("3313014107900001").unwrap();
    assert_eq!(nik.sex(), Sex::Female);
    assert_eq!(nik.birth_date(), date!(1990 - 07 - 01));
    assert_eq!(nik.as_str(), "3313014107900001");
    assert_eq!(nik.province_code(), "33");
    assert_eq!(nik.regency_code(), "3313");
    assert_eq!(nik.district_code(), "331301");
    assert_eq!(nik.region_code().to_string(), "33.13.01");
    assert_eq!(nik.serial(), "0001");
    assert_eq!(nik.serial_number(), 1);
    assert!(nik.warnings().is_empty());
}

#[test]
fn male_day_as_is() {
    let nik = parse("3313010107900002").unwrap();
    assert_eq!(nik.sex(), Sex::Male);
    assert_eq!(nik.birth_date(), date!(1990 - 07 - 01));
    assert_eq!(nik.sex().code(), "L");
    assert_eq!(Sex::Female.code(), "P");
}

#[test]
fn day_boundaries() {
    // Men 01..=31, women 41..=71; 00, 32..=40 and 72.. are no day.
    assert_eq!(
        parse("3313013101900001").unwrap().birth_date(),
        date!(1990 - 01 - 31)
    );
    assert_eq!(
        parse("3313017101900001").unwrap().birth_date(),
        date!(1990 - 01 - 31)
    );
    assert_eq!(
        parse("3313014101900001").unwrap().birth_date(),
        date!(1990 - 01 - 01)
    );
    for day in ["00", "32", "40", "72", "99"] {
        let input = format!("331301{day}01900001");
        assert_eq!(code_of(&input), NikErrorCode::NikBadDate, "day {day}");
    }
    // Month 00 and 13.
    assert_eq!(code_of("3313010100900001"), NikErrorCode::NikBadDate);
    assert_eq!(code_of("3313010113900001"), NikErrorCode::NikBadDate);
    // 31 April and, for a woman, 31 June (71-06).
    assert_eq!(code_of("3313013104900001"), NikErrorCode::NikBadDate);
    assert_eq!(code_of("3313017106900001"), NikErrorCode::NikBadDate);
}

#[test]
fn leap_years() {
    // 29-02-2000 exists (divisible by 400).
    let nik = parse("3313012902000001").unwrap();
    assert_eq!(nik.birth_date(), date!(2000 - 02 - 29));
    assert_eq!(nik.sex(), Sex::Male);
    // Women too: 69 = 29 + 40.
    assert_eq!(
        parse("3313016902000001").unwrap().birth_date(),
        date!(2000 - 02 - 29)
    );
    // 29-02-2001 and 29-02-1901 do not exist.
    let err = parse("3313012902010001").unwrap_err();
    assert_eq!(err.code(), NikErrorCode::NikBadDate);
    assert_eq!(
        err,
        NikError::BadDate {
            day: 29,
            month: 2,
            year: 1
        }
    );
    // 29-02-1996 exists; 29-02-1997 does not.
    assert_eq!(
        parse("3313012902960001").unwrap().birth_date(),
        date!(1996 - 02 - 29)
    );
    assert_eq!(code_of("3313012902970001"), NikErrorCode::NikBadDate);
    // 30-02 never exists.
    assert_eq!(code_of("3313013002960001"), NikErrorCode::NikBadDate);
}

#[test]
fn leap_day_of_a_century_year_that_is_not_leap() {
    // With today in early 2000, "29-02-00" is after today in 2000 and 1900 was no leap year.
    let err = Nik::parse("3313012902000001", date!(2000 - 01 - 15)).unwrap_err();
    assert_eq!(err.code(), NikErrorCode::NikBadDate);
    // From 29-02-2000 on it is that day.
    let nik = Nik::parse("3313012902000001", date!(2000 - 02 - 29)).unwrap();
    assert_eq!(nik.birth_date(), date!(2000 - 02 - 29));
}

#[test]
fn century_is_the_latest_not_after_today() {
    let input = "3313010107240001"; // 01-07-24
    assert_eq!(parse(input).unwrap().birth_date(), date!(2024 - 07 - 01));
    // Today before that day in 2024: one century earlier.
    assert_eq!(
        Nik::parse(input, date!(2024 - 06 - 30))
            .unwrap()
            .birth_date(),
        date!(1924 - 07 - 01)
    );
    // Born today is not after today.
    assert_eq!(
        Nik::parse(input, date!(2024 - 07 - 01))
            .unwrap()
            .birth_date(),
        date!(2024 - 07 - 01)
    );
    // "30-06-25" with today 2025-06-30 is today; with today 2025-06-29 it is 1925.
    assert_eq!(
        parse("3313013006250001").unwrap().birth_date(),
        date!(2025 - 06 - 30)
    );
    assert_eq!(
        Nik::parse("3313013006250001", date!(2025 - 06 - 29))
            .unwrap()
            .birth_date(),
        date!(1925 - 06 - 30)
    );
    // Years above today's two digits fall in the previous century.
    assert_eq!(
        parse("3313010101990001").unwrap().birth_date(),
        date!(1999 - 01 - 01)
    );
    assert_eq!(
        parse("3313010101260001").unwrap().birth_date(),
        date!(1926 - 01 - 01)
    );
    // A later today moves the same digits into the 2000s.
    assert_eq!(
        Nik::parse("3313010101260001", date!(2030 - 01 - 01))
            .unwrap()
            .birth_date(),
        date!(2026 - 01 - 01)
    );
    // In another century entirely.
    assert_eq!(
        Nik::parse("3313010101260001", date!(2125 - 01 - 01))
            .unwrap()
            .birth_date(),
        date!(2026 - 01 - 01)
    );
}

#[test]
fn separators_are_stripped() {
    let plain = parse("3313014107900001").unwrap();
    for input in [
        "33.13.01.410790.0001",
        "3313-0141-0790-0001",
        "3313 0141 0790 0001",
        " 3313014107900001 ",
        "33\t13\u{a0}01 41.07.90-0001",
        "3313\u{2013}0141\u{2014}0790\u{2212}0001",
    ] {
        assert_eq!(parse(input).unwrap(), plain, "{input:?}");
    }
    assert_eq!(strip_separators("33.13 01-41"), "33130141");
    assert_eq!(plain.grouped(), "33.13.01.410790.0001");
    assert_eq!(parse(&plain.grouped()).unwrap(), plain);
}

#[test]
fn not_digits() {
    let err = parse("33130141079O0001").unwrap_err(); // letter O
    assert_eq!(err, NikError::NotDigits { found: 'O' });
    assert_eq!(err.code(), NikErrorCode::NikNotDigits);
    // Full-width digits and commas are not digits or separators.
    assert_eq!(code_of("３３13014107900001"), NikErrorCode::NikNotDigits);
    assert_eq!(code_of("3313,014107900001"), NikErrorCode::NikNotDigits);
}

#[test]
fn not_digits_is_checked_before_length() {
    // Too short and a letter: the letter wins.
    assert_eq!(code_of("3313x"), NikErrorCode::NikNotDigits);
    // Too long and a letter.
    assert_eq!(code_of("33130141079000011234a"), NikErrorCode::NikNotDigits);
}

#[test]
fn length() {
    assert_eq!(parse("").unwrap_err(), NikError::Length { found: 0 });
    assert_eq!(parse(" . - ").unwrap_err(), NikError::Length { found: 0 });
    assert_eq!(
        parse("331301410790001").unwrap_err(),
        NikError::Length { found: 15 }
    );
    assert_eq!(
        parse("33130141079000011").unwrap_err(),
        NikError::Length { found: 17 }
    );
    assert_eq!(code_of("331301410790001"), NikErrorCode::NikLength);
}

#[test]
fn length_is_checked_before_province() {
    assert_eq!(code_of("990101"), NikErrorCode::NikLength);
}

#[test]
fn unknown_province() {
    let err = parse("9913014107900001").unwrap_err();
    assert_eq!(err, NikError::UnknownProvince { code: 99 });
    assert_eq!(err.code(), NikErrorCode::NikUnknownProvince);
    assert_eq!(
        code_of("0013014107900001"),
        NikErrorCode::NikUnknownProvince
    );
    assert_eq!(
        code_of("1013014107900001"),
        NikErrorCode::NikUnknownProvince
    );
    // Province is checked before the date and the serial.
    assert_eq!(
        code_of("9913019999990000"),
        NikErrorCode::NikUnknownProvince
    );
}

#[test]
fn bad_date_is_checked_before_serial() {
    assert_eq!(code_of("3313019999990000"), NikErrorCode::NikBadDate);
}

#[test]
fn zero_serial() {
    let err = parse("3313014107900000").unwrap_err();
    assert_eq!(err, NikError::ZeroSerial);
    assert_eq!(err.code(), NikErrorCode::NikZeroSerial);
    assert_eq!(parse("3313014107909999").unwrap().serial_number(), 9999);
}

#[test]
fn error_codes_serialise_screaming_snake() {
    let codes = [
        (NikErrorCode::NikLength, "NIK_LENGTH"),
        (NikErrorCode::NikNotDigits, "NIK_NOT_DIGITS"),
        (NikErrorCode::NikUnknownProvince, "NIK_UNKNOWN_PROVINCE"),
        (NikErrorCode::NikBadDate, "NIK_BAD_DATE"),
        (NikErrorCode::NikZeroSerial, "NIK_ZERO_SERIAL"),
    ];
    for (code, text) in codes {
        assert_eq!(serde_json::to_string(&code).unwrap(), format!("\"{text}\""));
        assert_eq!(code.as_str(), text);
        assert_eq!(code.to_string(), text);
    }
    let kk = [
        (NoKkErrorCode::KkLength, "KK_LENGTH"),
        (NoKkErrorCode::KkNotDigits, "KK_NOT_DIGITS"),
        (NoKkErrorCode::KkUnknownProvince, "KK_UNKNOWN_PROVINCE"),
    ];
    for (code, text) in kk {
        assert_eq!(serde_json::to_string(&code).unwrap(), format!("\"{text}\""));
        assert_eq!(code.as_str(), text);
    }
    assert_eq!(
        serde_json::to_string(&NikWarning::RegionUnknown).unwrap(),
        "\"REGION_UNKNOWN\""
    );
}

#[test]
fn messages_are_indonesian() {
    assert_eq!(
        parse("3313").unwrap_err().message(),
        "NIK harus terdiri dari 16 digit, bukan 4 digit"
    );
    assert_eq!(
        parse("9913014107900001").unwrap_err().to_string(),
        "Kode provinsi 99 pada NIK tidak dikenal"
    );
    assert!(
        parse("3313013002900001")
            .unwrap_err()
            .message()
            .starts_with("Tanggal lahir pada NIK tidak valid: 30-02-90")
    );
    assert!(
        parse("3313014107900000")
            .unwrap_err()
            .message()
            .contains("0000")
    );
    assert!(
        parse("33x")
            .unwrap_err()
            .message()
            .contains("hanya boleh berisi angka")
    );
}

#[test]
fn masked_form() {
    let nik = parse("3313014107900001").unwrap();
    assert_eq!(nik.masked(), "3313********0001");
    // Debug never shows the whole number; Display does.
    assert_eq!(format!("{nik:?}"), "Nik(3313********0001)");
    assert_eq!(nik.to_string(), "3313014107900001");
    assert_eq!(serde_json::to_string(&nik).unwrap(), "\"3313014107900001\"");
}

#[test]
fn region_of_a_current_code() {
    let path = parse("3313014107900001").unwrap().region();
    assert_eq!(path.province.name, "Jawa Tengah");
    assert_eq!(path.regency.unwrap().name, "Kabupaten Karanganyar");
    assert_eq!(path.district.unwrap().name, "Jatipuro");
    assert_eq!(path.edition(), Edition::Y2025);
    assert!(path.is_complete());
}

#[test]
fn region_unknown_regency_is_a_warning() {
    // Jawa Tengah exists, regency 33.99 exists in no edition.
    let nik = parse("3399014107900001").unwrap();
    let path = nik.region();
    assert_eq!(path.province.name, "Jawa Tengah");
    assert!(path.regency.is_none());
    assert!(path.district.is_none());
    assert_eq!(path.edition(), Edition::Y2025);
    assert_eq!(nik.warnings(), vec![NikWarning::RegionUnknown]);
}

#[test]
fn region_unknown_district_is_a_warning() {
    let nik = parse("3313994107900001").unwrap();
    let path = nik.region();
    assert_eq!(path.regency.unwrap().name, "Kabupaten Karanganyar");
    assert!(path.district.is_none());
    assert_eq!(nik.warnings(), vec![NikWarning::RegionUnknown]);
}

#[test]
fn older_edition_codes_are_found_in_their_edition() {
    // 91.01 (Merauke) moved to the new province Papua Selatan in 2022/2023: the newest edition
    // that still has 91.01 is 2022.
    let path = parse("9101014107900001").unwrap().region();
    assert_eq!(path.province.name, "Papua");
    assert_eq!(path.province.edition, Edition::Y2025);
    let regency = path.regency.unwrap();
    assert_eq!(regency.name, "KAB. MERAUKE");
    assert_eq!(regency.edition, Edition::Y2022);
    assert_eq!(path.district.unwrap().name, "Merauke");
    assert_eq!(path.edition(), Edition::Y2022);
    // 92.01 (Sorong) is last in the 2023 edition.
    let path = parse("9201010101850001").unwrap().region();
    assert_eq!(path.regency.unwrap().name, "KAB. SORONG");
    assert_eq!(path.edition(), Edition::Y2023);
    assert_eq!(path.district.unwrap().name, "Makbon");
}

#[test]
fn report_valid_exact_json() {
    let report = inspect("3313014107900001", TODAY);
    assert!(report.is_valid());
    assert_eq!(report.error_code(), None);
    assert_eq!(
        serde_json::to_string(&report).unwrap(),
        r#"{"valid":true,"nik":"3313014107900001","province":{"code":"33","name":"Jawa Tengah"},"regency":{"code":"33.13","name":"Kabupaten Karanganyar"},"district":{"code":"33.13.01","name":"Jatipuro"},"region_edition":"2025","sex":"P","birth_date":"1990-07-01","serial":"0001","warnings":[]}"#
    );
}

#[test]
fn report_region_unknown_exact_json() {
    let report = inspect("33.99.01.010190.0042", TODAY);
    assert_eq!(
        serde_json::to_string(&report).unwrap(),
        r#"{"valid":true,"nik":"3399010101900042","province":{"code":"33","name":"Jawa Tengah"},"regency":null,"district":null,"region_edition":"2025","sex":"L","birth_date":"1990-01-01","serial":"0042","warnings":["REGION_UNKNOWN"]}"#
    );
    let report = inspect("3313990101900042", TODAY);
    let json = serde_json::to_string(&report).unwrap();
    assert!(
        json.contains(
            r#""regency":{"code":"33.13","name":"Kabupaten Karanganyar"},"district":null"#
        ),
        "{json}"
    );
}

#[test]
fn report_older_edition_json() {
    let json = serde_json::to_string(&inspect("9101014107900001", TODAY)).unwrap();
    assert!(
        json.contains(r#""regency":{"code":"91.01","name":"KAB. MERAUKE"},"district":{"code":"91.01.01","name":"Merauke"},"region_edition":"2022""#),
        "{json}"
    );
}

#[test]
fn report_invalid_exact_json() {
    let report = inspect("33.13.01-300290 0001", TODAY);
    assert!(!report.is_valid());
    assert_eq!(report.error_code(), Some(NikErrorCode::NikBadDate));
    let message = NikError::BadDate {
        day: 30,
        month: 2,
        year: 90,
    }
    .message();
    assert_eq!(
        serde_json::to_string(&report).unwrap(),
        format!(
            r#"{{"valid":false,"nik":"3313013002900001","error":{{"code":"NIK_BAD_DATE","message":"{message}"}}}}"#
        )
    );
    // Non-digits are kept in `nik`, separators are not.
    let report = inspect("33-13 abc", TODAY);
    assert_eq!(report.nik, "3313abc");
    assert_eq!(report.error_code(), Some(NikErrorCode::NikNotDigits));
}

#[test]
fn report_round_trips_through_json() {
    for input in [
        "3313014107900001",
        "3399010101900042",
        "123",
        "3313014107900000",
    ] {
        let report = inspect(input, TODAY);
        let json = serde_json::to_string(&report).unwrap();
        let back: NikReport = serde_json::from_str(&json).unwrap();
        assert_eq!(back, report, "{json}");
        match (&back.outcome, back.valid) {
            (NikOutcome::Valid(_), true) | (NikOutcome::Invalid { .. }, false) => {}
            _ => panic!("valid flag and outcome disagree: {json}"),
        }
    }
}

#[test]
fn no_kk_rules() {
    let kk = NoKk::parse("3313 0112 3456 0001").unwrap();
    assert_eq!(kk.as_str(), "3313011234560001");
    assert_eq!(kk.masked(), "3313********0001");
    assert_eq!(kk.district_code(), "331301");
    assert_eq!(kk.region().district.unwrap().name, "Jatipuro");
    assert!(kk.warnings().is_empty());
    assert_eq!(format!("{kk:?}"), "NoKk(3313********0001)");

    assert_eq!(
        NoKk::parse("3313x").unwrap_err(),
        NoKkError::NotDigits { found: 'x' }
    );
    assert_eq!(
        NoKk::parse("3313").unwrap_err().code(),
        NoKkErrorCode::KkLength
    );
    assert_eq!(
        NoKk::parse("9913011234560001").unwrap_err(),
        NoKkError::UnknownProvince { code: 99 }
    );
    assert_eq!(
        NoKk::parse("9913011234560001").unwrap_err().code(),
        NoKkErrorCode::KkUnknownProvince
    );
    assert!(
        NoKk::parse("3313")
            .unwrap_err()
            .message()
            .starts_with("Nomor KK harus")
    );
    // Unknown regency: valid with a warning.
    let kk = NoKk::parse("3399011234560001").unwrap();
    assert_eq!(kk.warnings(), vec![NikWarning::RegionUnknown]);
    // Serde round trip validates.
    let json = serde_json::to_string(&NoKk::parse("3313011234560001").unwrap()).unwrap();
    assert_eq!(json, "\"3313011234560001\"");
    assert!(serde_json::from_str::<NoKk>("\"9913011234560001\"").is_err());
    assert_eq!(
        serde_json::from_str::<NoKk>(&json).unwrap().as_str(),
        "3313011234560001"
    );
}
