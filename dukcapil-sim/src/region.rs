//! The simulated regency: its province, districts and villages, the birthplaces residents may
//! have, and its official population figures, as the registry prints them (upper case).
//!
//! The region tables come from the `domain` crate (`domain::region`), which compiles the
//! Kemendagri tables in `datasets/wilayah/`; this module only shapes them for the simulator.

use crate::error::SimError;

/// One district (kecamatan) of the simulated regency.
#[derive(Clone, Debug)]
pub(crate) struct District {
    /// Two-digit district number within the regency (`01` in `33.13.01`).
    pub code: u8,
    /// Upper-case name, e.g. `JATIPURO`.
    pub name: String,
    /// Indices of its villages in [`Area::villages`].
    pub villages: std::ops::Range<usize>,
}

/// One village (desa/kelurahan).
#[derive(Clone, Debug)]
pub(crate) struct Village {
    /// Index of its district in [`Area::districts`].
    pub district: usize,
    /// Four-digit village number (`2001` in `33.13.01.2001`); 1xxx = kelurahan, 2xxx = desa.
    pub code: u16,
    /// Upper-case name.
    pub name: String,
}

impl Village {
    /// Kelurahan (urban ward) rather than desa.
    pub(crate) fn is_urban(&self) -> bool {
        self.code < 2000
    }
}

/// The regency a population lives in.
#[derive(Clone, Debug)]
pub(crate) struct Area {
    pub province_code: u8,
    /// Upper-case, e.g. `JAWA TENGAH`.
    pub province_name: String,
    pub regency_code: u8,
    /// As printed in `KAB_NAME`: `KARANGANYAR` for a kabupaten, `KOTA SURAKARTA` for a city.
    pub regency_name: String,
    pub districts: Vec<District>,
    pub villages: Vec<Village>,
    /// Birthplaces (`TMPT_LHR`): index 0 is the regency itself, then the other regencies and
    /// cities of the province.
    pub birthplaces: Vec<String>,
    /// Share of men in the official population (0.5 when unknown).
    pub male_share: f64,
    /// Official population (2025) when known.
    pub official_population: Option<u64>,
}

impl Area {
    /// Six-digit district code as a number (`331301`).
    pub(crate) fn district_number(&self, district: usize) -> u64 {
        let code = self.districts.get(district).map_or(0, |d| d.code);
        u64::from(self.province_code) * 10_000
            + u64::from(self.regency_code) * 100
            + u64::from(code)
    }

    /// Index of the district whose two-digit code is `code`.
    pub(crate) fn district_by_code(&self, code: u8) -> Option<usize> {
        self.districts.iter().position(|d| d.code == code)
    }
}

/// Strips the `Kabupaten ` (`KAB. ` in older editions) prefix the tables carry; cities keep
/// `KOTA `.
fn regency_display(name: &str) -> String {
    let upper = name.trim().to_uppercase();
    let name = match upper
        .strip_prefix("KABUPATEN ")
        .or_else(|| upper.strip_prefix("KAB. "))
    {
        Some(rest) => rest.trim().to_string(),
        None => upper,
    };
    // "Kota Administrasi Jakarta Pusat", "Kabupaten Administrasi Kepulauan Seribu".
    match name.strip_prefix("KOTA ADMINISTRASI ") {
        Some(rest) => format!("KOTA {rest}"),
        None => name
            .strip_prefix("ADMINISTRASI ")
            .map_or(name.clone(), str::to_string),
    }
}

/// A birthplace as people write it: the town's name, without `KABUPATEN`/`KOTA`.
fn birthplace_display(name: &str) -> String {
    let display = regency_display(name);
    match display.strip_prefix("KOTA ") {
        Some(rest) => rest.to_string(),
        None => display,
    }
}

/// A province as the registry prints it: `DKI JAKARTA`, `DI YOGYAKARTA`, `JAWA TENGAH`.
fn province_display(name: &str) -> String {
    let upper = name.trim().to_uppercase();
    for (long, short) in [
        ("DAERAH KHUSUS IBUKOTA ", "DKI "),
        ("DAERAH KHUSUS ", "DK "),
        ("DAERAH ISTIMEWA ", "DI "),
    ] {
        if let Some(rest) = upper.strip_prefix(long) {
            return format!("{short}{rest}");
        }
    }
    upper
}

/// Parses `33.13` (or `3313`) into (province, regency).
pub(crate) fn parse_regency_code(code: &str) -> Result<(u8, u8), SimError> {
    let code = code.trim();
    let digits: String = code.chars().filter(|c| *c != '.').collect();
    let bad = || SimError::UnknownRegency(code.to_string());
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let province = digits[..2].parse().map_err(|_| bad())?;
    let regency = digits[2..].parse().map_err(|_| bad())?;
    Ok((province, regency))
}

/// Loads the regency `code` (`33.13`) with its districts and villages.
pub(crate) fn load_area(code: &str) -> Result<Area, SimError> {
    let (province_code, regency_code) = parse_regency_code(code)?;
    let unknown = || SimError::UnknownRegency(code.to_string());
    let source = source::regency(province_code, regency_code).ok_or_else(unknown)?;

    let mut districts = Vec::new();
    let mut villages = Vec::new();
    for (district_code, district_name, village_list) in source.districts {
        let start = villages.len();
        for (village_code, village_name) in village_list {
            villages.push(Village {
                district: districts.len(),
                code: village_code,
                name: village_name.trim().to_uppercase(),
            });
        }
        if villages.len() == start {
            continue; // a district without villages cannot house anyone
        }
        districts.push(District {
            code: district_code,
            name: district_name.trim().to_uppercase(),
            villages: start..villages.len(),
        });
    }
    if districts.is_empty() {
        return Err(unknown());
    }

    let own = birthplace_display(&source.regency_name);
    let mut birthplaces = vec![own.clone()];
    for name in source.sibling_regencies {
        let display = birthplace_display(&name);
        if !birthplaces.contains(&display) {
            birthplaces.push(display);
        }
    }
    birthplaces.truncate(255);

    let (male_share, official_population) = match source.population {
        Some((male, female)) if male + female > 0 => {
            (male as f64 / (male + female) as f64, Some(male + female))
        }
        _ => (0.5, None),
    };

    Ok(Area {
        province_code,
        province_name: province_display(&source.province_name),
        regency_code,
        regency_name: regency_display(&source.regency_name),
        districts,
        villages,
        birthplaces,
        male_share,
        official_population,
    })
}

mod source {
    //! Where the region tables come from: an adapter over `domain::region` (feature
    //! `villages`).

    /// A district as stored: (two-digit code, name, villages as (four-digit code, name)).
    pub(super) type DistrictSource = (u8, String, Vec<(u16, String)>);

    /// What the simulator needs to know about one regency, as stored in the tables.
    pub(super) struct RegencySource {
        pub province_name: String,
        pub regency_name: String,
        pub districts: Vec<DistrictSource>,
        /// Names of the other regencies and cities of the same province.
        pub sibling_regencies: Vec<String>,
        /// (men, women) in 2025, when known.
        pub population: Option<(u64, u64)>,
    }

    /// Reads the regency from `domain::region` (2025 table; a regency known only from an older
    /// edition comes with the districts of that edition).
    pub(super) fn regency(province: u8, regency: u8) -> Option<RegencySource> {
        use domain::region;
        let province_code = format!("{province:02}");
        let regency_code = format!("{province:02}.{regency:02}");
        let reg = region::regency(&regency_code)?;
        let prov = region::province(&province_code)?;
        let districts = region::districts_of(&regency_code)
            .filter(|d| d.edition == reg.edition)
            .filter_map(|d| {
                let number = d.code.district_part()?;
                let villages = region::villages_of(&d.code.to_string())
                    .filter_map(|v| Some((v.code.village_part()?, v.name.to_string())))
                    .collect();
                Some((number, d.name.to_string(), villages))
            })
            .collect();
        let sibling_regencies = region::regencies_of(&province_code)
            .filter(|r| r.edition == region::Edition::Y2025 && r.code != reg.code)
            .map(|r| r.name.to_string())
            .collect();
        let population =
            region::population(&regency_code).map(|p| (u64::from(p.male), u64::from(p.female)));
        Some(RegencySource {
            province_name: prov.name.to_string(),
            regency_name: reg.name.to_string(),
            districts,
            sibling_regencies,
            population,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn karanganyar_has_its_districts_and_villages() {
        let area = load_area("33.13").unwrap();
        assert_eq!(area.province_name, "JAWA TENGAH");
        assert_eq!(area.regency_name, "KARANGANYAR");
        assert_eq!(area.districts.len(), 17);
        assert_eq!(area.districts[0].name, "JATIPURO");
        assert_eq!(area.district_number(0), 331_301);
        assert_eq!(area.villages.len(), 177);
        assert_eq!(
            area.villages[area.districts[0].villages.start].name,
            "NGEPUNGSARI"
        );
        assert_eq!(area.birthplaces[0], "KARANGANYAR");
        assert!(area.birthplaces.iter().any(|b| b == "SURAKARTA"));
        assert_eq!(area.official_population, Some(953_696));
        assert!((area.male_share - 475_381.0 / 953_696.0).abs() < 1e-9);
        assert_eq!(load_area("3313").unwrap().regency_name, "KARANGANYAR");
    }

    #[test]
    fn unknown_or_malformed_regency_is_an_error() {
        assert!(load_area("33.99").is_err());
        assert!(load_area("x").is_err());
        assert!(load_area("33.1").is_err());
    }

    #[test]
    fn cities_keep_kota() {
        let area = load_area("33.72").unwrap();
        assert_eq!(area.regency_name, "KOTA SURAKARTA");
        assert_eq!(area.birthplaces[0], "SURAKARTA");
        let jakarta = load_area("31.71").unwrap();
        assert_eq!(jakarta.regency_name, "KOTA JAKARTA PUSAT");
        assert_eq!(jakarta.birthplaces[0], "JAKARTA PUSAT");
        assert_eq!(jakarta.province_name, "DKI JAKARTA");
        assert!(jakarta.villages.iter().all(Village::is_urban));
    }
}
