//! Region tables: lookups by code, edition fallback, iteration, code parsing, and (feature
//! `villages`) villages and population.

use domain::region::{self, Edition, Level, RegionCode};

#[test]
fn province_regency_district_lookup() {
    let p = region::province("33").unwrap();
    assert_eq!(p.name, "Jawa Tengah");
    assert_eq!(p.edition, Edition::Y2025);
    assert_eq!(p.code.level(), Level::Province);
    let r = region::regency("33.13").unwrap();
    assert_eq!(r.name, "Kabupaten Karanganyar");
    assert_eq!(region::regency("3313").unwrap(), r);
    let d = region::district("33.13.01").unwrap();
    assert_eq!(d.name, "Jatipuro");
    assert_eq!(d.code.to_string(), "33.13.01");
    assert_eq!(region::district("331301").unwrap(), d);
}

#[test]
fn wrong_level_or_unknown_is_none() {
    assert!(region::province("33.13").is_none());
    assert!(region::regency("33").is_none());
    assert!(region::district("33.13").is_none());
    assert!(region::province("99").is_none());
    assert!(region::regency("33.99").is_none());
    assert!(region::district("33.13.99").is_none());
    assert!(region::province("").is_none());
    assert!(region::province("3x").is_none());
}

#[test]
fn older_editions_fill_in_missing_codes() {
    let merauke = region::regency("91.01").unwrap();
    assert_eq!(merauke.name, "KAB. MERAUKE");
    assert_eq!(merauke.edition, Edition::Y2022);
    let sorong = region::regency("92.01").unwrap();
    assert_eq!(sorong.name, "KAB. SORONG");
    assert_eq!(sorong.edition, Edition::Y2023);
    // The current edition wins where it has the code.
    assert_eq!(
        region::regency("92.02").unwrap().name,
        "Kabupaten Manokwari"
    );
    assert_eq!(region::province("91").unwrap().name, "Papua");
}

#[test]
fn deduplicated_table_is_compact() {
    let (provinces, regencies, districts) = region::table_sizes();
    // 2025 has 38 provinces, 514 regencies, 7285 districts; older editions add only the
    // renumbered Papua codes.
    assert_eq!(provinces, 38);
    assert!((514..600).contains(&regencies), "{regencies}");
    assert!((7285..8000).contains(&districts), "{districts}");
}

#[test]
fn iteration() {
    let provinces: Vec<_> = region::provinces().collect();
    assert_eq!(provinces.len(), 38);
    assert!(provinces.windows(2).all(|w| w[0].code < w[1].code));
    let regencies: Vec<_> = region::regencies_of("33").collect();
    assert_eq!(
        regencies
            .iter()
            .filter(|r| r.edition == Edition::Y2025)
            .count(),
        35
    );
    assert!(regencies.iter().any(|r| r.name == "Kabupaten Karanganyar"));
    let districts: Vec<_> = region::districts_of("33.13").collect();
    assert_eq!(districts.len(), 17);
    assert_eq!(districts[0].name, "Jatipuro");
    assert!(
        districts
            .iter()
            .all(|d| d.code.parent().unwrap().to_string() == "33.13")
    );
    // Old Papua regency: its districts from the 2022 edition.
    let merauke: Vec<_> = region::districts_of("91.01").collect();
    assert!(!merauke.is_empty());
    assert!(merauke.iter().all(|d| d.edition == Edition::Y2022));
    assert_eq!(region::districts_of("33.99").count(), 0);
    assert_eq!(region::districts_of("33").count(), 0);
    assert_eq!(region::regencies_of("nonsense").count(), 0);
}

#[test]
fn resolve_by_numbers() {
    let path = region::resolve(33, 13, 1).unwrap();
    assert_eq!(path.district.unwrap().name, "Jatipuro");
    assert!(region::resolve(99, 1, 1).is_none());
    assert!(region::resolve(33, 100, 1).is_none());
    let partial = region::resolve(33, 99, 1).unwrap();
    assert!(partial.regency.is_none() && !partial.is_complete());
}

#[test]
fn region_code_parse_and_display() {
    for (text, shown, level) in [
        ("33", "33", Level::Province),
        ("33.13", "33.13", Level::Regency),
        ("3313", "33.13", Level::Regency),
        ("33.13.01", "33.13.01", Level::District),
        ("331301", "33.13.01", Level::District),
        ("33.13.01.2001", "33.13.01.2001", Level::Village),
        ("3313012001", "33.13.01.2001", Level::Village),
    ] {
        let code = RegionCode::parse(text).unwrap();
        assert_eq!(code.to_string(), shown);
        assert_eq!(code.level(), level);
        assert_eq!(text.parse::<RegionCode>().unwrap(), code);
    }
    for bad in [
        "",
        "3",
        "333",
        "33.",
        ".33",
        "33..13",
        "331.3",
        "33.13.",
        "33.13.01.20",
        "33-13",
        "33.1301",
        "3313.01",
        "33131",
        "33.13.01.2001.1",
    ] {
        assert!(RegionCode::parse(bad).is_none(), "{bad:?}");
    }
    let code = RegionCode::parse("33.13.01").unwrap();
    assert_eq!(code.to_digits(), "331301");
    assert_eq!(code.province_part(), 33);
    assert_eq!(code.regency_part(), Some(13));
    assert_eq!(code.district_part(), Some(1));
    assert_eq!(code.village_part(), None);
    assert_eq!(serde_json::to_string(&code).unwrap(), "\"33.13.01\"");
    assert_eq!(
        serde_json::from_str::<RegionCode>("\"331301\"").unwrap(),
        code
    );
    assert!(RegionCode::province(100).is_none());
    assert!(RegionCode::village(33, 13, 1, 10_000).is_none());
}

#[test]
fn edition_serialises_as_year() {
    assert_eq!(serde_json::to_string(&Edition::Y2016).unwrap(), "\"2016\"");
    assert_eq!(
        serde_json::from_str::<Edition>("\"2023\"").unwrap(),
        Edition::Y2023
    );
    assert_eq!(
        Edition::ALL.map(Edition::year),
        [2025, 2023, 2022, 2020, 2018, 2016]
    );
}

#[cfg(not(feature = "villages"))]
#[test]
fn village_codes_need_the_feature() {
    let code = RegionCode::parse("33.13.01.2001").unwrap();
    assert!(region::lookup(code).is_none());
}

#[cfg(feature = "villages")]
mod villages {
    use domain::region::{self, Edition};

    #[test]
    fn villages_of_a_district() {
        let villages: Vec<_> = region::villages_of("33.13.01").collect();
        assert_eq!(villages.len(), 10);
        assert_eq!(villages[0].code.to_string(), "33.13.01.2001");
        assert_eq!(villages[0].name, "Ngepungsari");
        assert!(villages.windows(2).all(|w| w[0].code < w[1].code));
        assert_eq!(region::village("33.13.01.2003").unwrap().name, "Jatipuro");
        assert!(region::village("33.13.01.2999").is_none());
        assert_eq!(region::villages_of("33.13.99").count(), 0);
        assert_eq!(region::villages_of("33.13").count(), 0);
    }

    #[test]
    fn villages_of_an_older_district_come_from_its_edition() {
        let villages: Vec<_> = region::villages_of("91.01.01").collect();
        assert!(villages.iter().any(|v| v.name == "Samkai"));
        assert!(villages.iter().all(|v| v.edition == Edition::Y2022));
    }

    #[test]
    fn escaped_names_are_cleaned() {
        // Stored as `Pasi Kuala Ba'u` in 2025 (`Ba\'u` style escapes only in old dumps).
        assert!(region::villages_of("11.01.02").any(|v| v.name == "Pasi Kuala Ba'u"));
        // Quoted CSV field with a comma.
        assert_eq!(
            region::village("12.07.28.1007").unwrap().name,
            "Lubuk Pakam I,II"
        );
    }

    #[test]
    fn population() {
        let p = region::population("33.13").unwrap();
        assert_eq!((p.male, p.female, p.total()), (475_381, 478_315, 953_696));
        assert_eq!(region::population("33").unwrap().total(), 38_430_645);
        assert_eq!(region::national_population().total(), 284_973_643);
        assert!(region::population("33.13.01").is_none());
        assert!(region::population("91.01").is_none());
    }
}
