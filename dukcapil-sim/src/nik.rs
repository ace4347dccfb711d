//! NIK format as the registry checks it (answer 15 when a NIK is not in registry format), and
//! the packing of NIK / No. KK digits into `u64`.

use time::Date;

/// The NIK as a number if `input` is a NIK in registry format, else `None` (code 15): exactly
/// 16 ASCII digits (no separators: the registry takes the bare number) that
/// `domain::nik::Nik::parse` accepts (known province, real birth date, serial not 0000).
pub(crate) fn parse_nik(input: &str, today: Date) -> Option<u64> {
    let bytes = input.as_bytes();
    if bytes.len() != 16 || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    domain::nik::Nik::parse(input, today).ok()?;
    input.parse().ok()
}

/// 16 digits, zero-padded.
pub(crate) fn digits16(n: u64) -> String {
    format!("{n:016}")
}

/// The DDMMYY part of a NIK for a birth date (day + 40 for women).
pub(crate) fn ddmmyy(date: Date, female: bool) -> u64 {
    let day = u64::from(date.day()) + if female { 40 } else { 0 };
    let month = u64::from(u8::from(date.month()));
    let yy = (date.year().rem_euclid(100)) as u64;
    day * 10_000 + month * 100 + yy
}

/// Decodes the birth date and sex in a NIK (`None` if the date is impossible). Two-digit years
/// not after `today`'s are read as this century, others as the last.
pub(crate) fn birth_of(nik: u64, today: Date) -> Option<(Date, bool)> {
    let ddmmyy = (nik / 10_000) % 1_000_000;
    let mut day = (ddmmyy / 10_000) as u8;
    let month = ((ddmmyy / 100) % 100) as u8;
    let yy = (ddmmyy % 100) as i32;
    let female = day > 40;
    if female {
        day -= 40;
    }
    let century = today.year() - today.year().rem_euclid(100);
    let mut year = century + yy;
    if year > today.year() {
        year -= 100;
    }
    let month = time::Month::try_from(month).ok()?;
    let date = Date::from_calendar_date(year, month, day).ok()?;
    (date <= today).then_some((date, female))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const TODAY: Date = date!(2025 - 07 - 01);

    #[test]
    fn registry_format() {
        assert_eq!(
            parse_nik("3313010101900001", TODAY),
            Some(3_313_010_101_900_001)
        );
        assert_eq!(
            parse_nik("3313014101900001", TODAY),
            Some(3_313_014_101_900_001)
        );
        for bad in [
            "",
            "331301010190000",
            "33130101019000011",
            "33130101019000a1",
            "3313010101900000",   // serial 0000
            "3313013201900001",   // day 32
            "3313017201900001",   // day 72
            "3313010113900001",   // month 13
            "3313013002900001",   // 30 February
            "0013010101900001",   // province 00
            "9913010101900001",   // province 99 in no edition
            "3313 010101900001",  // separators are not accepted upstream
            "３３13010101900001", // non-ASCII digits
        ] {
            assert_eq!(parse_nik(bad, TODAY), None, "{bad}");
        }
    }

    #[test]
    fn birth_and_sex_decoding() {
        let (d, f) = birth_of(3_313_014_512_050_001, TODAY).unwrap();
        assert_eq!((d, f), (date!(2005 - 12 - 05), true));
        let (d, f) = birth_of(3_313_010_101_900_001, TODAY).unwrap();
        assert_eq!((d, f), (date!(1990 - 01 - 01), false));
        let (d, _) = birth_of(3_313_010_101_300_001, TODAY).unwrap();
        assert_eq!(
            d,
            date!(1930 - 01 - 01),
            "a two-digit year after today's is last century"
        );
        assert_eq!(ddmmyy(date!(2005 - 12 - 05), true), 451_205);
        assert_eq!(ddmmyy(date!(1990 - 01 - 01), false), 10_190);
        assert_eq!(digits16(331_301_010_190_001), "0331301010190001");
    }
}
