//! Build script: compiles the Kemendagri region tables in `../datasets/wilayah/` into compact,
//! direct-indexed arrays (no file is read at run time, no hashing at lookup time).
//!
//! Editions are merged newest first (2025, 2023, 2022, 2020, 2018, 2016): a code is stored once,
//! with the name and edition of the newest edition that has it, so an older edition only adds
//! the codes missing from every newer one.
//!
//! Generated files in `OUT_DIR`:
//! * `regions.rs` + `region_names.txt`: provinces, regencies and districts (always compiled).
//! * `villages.rs` + `village_names.txt`: villages and population (only with feature `villages`).
//!
//! Layout (see `src/region/table.rs` for the reader):
//! * entries are numbered provinces first, then regencies, then districts, each group sorted by
//!   code; `ENTRIES[i]` packs the name (start in the names blob: 21 bits, length: 8 bits) and the
//!   edition index (3 bits);
//! * `ROOT[p]` is `1 + entry` of province `p` (0 = absent);
//! * for a province or regency entry `e`, its children's slots are
//!   `SLOTS[CHILD_START[e] .. CHILD_START[e] + CHILD_LEN[e]]`, indexed by the child's two-digit
//!   code, each `1 + entry` or 0.

use std::collections::BTreeMap;
use std::error::Error;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

/// Editions, newest first. The index in this list is the edition index stored in the tables and
/// must match `region::Edition` in `src/region/mod.rs`.
const EDITIONS: [(&str, &str); 6] = [
    ("2025", "wilayah.csv"),
    ("2023", "wilayah_2023.csv"),
    ("2022", "wilayah_2022.csv"),
    ("2020", "wilayah_2020.csv"),
    ("2018", "wilayah_2018.csv"),
    ("2016", "wilayah_2016.csv"),
];

const POPULATION_FILE: &str = "wilayah_penduduk.csv";

type BoxResult<T> = Result<T, Box<dyn Error>>;

/// A region code split into its numeric parts; absent parts are `None`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Code {
    province: u8,
    regency: Option<u8>,
    district: Option<u8>,
    village: Option<u16>,
}

impl Code {
    fn level(&self) -> u8 {
        match (self.regency, self.district, self.village) {
            (None, _, _) => 1,
            (Some(_), None, _) => 2,
            (Some(_), Some(_), None) => 3,
            (Some(_), Some(_), Some(_)) => 4,
        }
    }
}

fn parse_part(part: &str, width: usize) -> Option<u16> {
    if part.len() == width && part.bytes().all(|b| b.is_ascii_digit()) {
        part.parse().ok()
    } else {
        None
    }
}

fn parse_code(code: &str) -> Option<Code> {
    let parts: Vec<&str> = code.split('.').collect();
    let two = |i: usize| -> Option<u8> {
        parts
            .get(i)
            .and_then(|p| parse_part(p, 2))
            .and_then(|v| u8::try_from(v).ok())
    };
    match parts.len() {
        1 => Some(Code {
            province: two(0)?,
            regency: None,
            district: None,
            village: None,
        }),
        2 => Some(Code {
            province: two(0)?,
            regency: Some(two(1)?),
            district: None,
            village: None,
        }),
        3 => Some(Code {
            province: two(0)?,
            regency: Some(two(1)?),
            district: Some(two(2)?),
            village: None,
        }),
        4 => Some(Code {
            province: two(0)?,
            regency: Some(two(1)?),
            district: Some(two(2)?),
            village: Some(parts.get(3).and_then(|p| parse_part(p, 4))?),
        }),
        _ => None,
    }
}

/// The name field of a `kode,nama` line: CSV quotes removed (`""` inside quotes is a quote), a
/// backslash escape (`\'`, `\,` in the 2016/2018 dumps) reduced to the escaped character,
/// surrounding whitespace trimmed. Otherwise the name is kept as stored in that edition.
fn clean_name(raw: &str) -> String {
    let raw = raw.trim();
    let unquoted = if raw.len() >= 2 && raw.starts_with('"') && raw.ends_with('"') {
        raw[1..raw.len() - 1].replace("\"\"", "\"")
    } else {
        raw.to_string()
    };
    let mut out = String::with_capacity(unquoted.len());
    let mut chars = unquoted.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(next) = chars.next() {
                out.push(next);
            }
        } else {
            out.push(c);
        }
    }
    out.trim().to_string()
}

/// One edition's rows: levels 1-3 keyed by code, and villages grouped by district.
struct EditionRows {
    regions: BTreeMap<Code, String>,
    villages: BTreeMap<Code, Vec<(u16, String)>>,
}

fn read_edition(path: &Path) -> BoxResult<EditionRows> {
    let text = fs::read_to_string(path)
        .map_err(|e| format!("cannot read region table {}: {e}", path.display()))?;
    let mut rows = EditionRows {
        regions: BTreeMap::new(),
        villages: BTreeMap::new(),
    };
    for (number, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if number == 0 || line.trim().is_empty() {
            continue; // header `kode,nama`
        }
        let (code, name) = line
            .split_once(',')
            .ok_or_else(|| format!("{}:{}: no comma", path.display(), number + 1))?;
        let code = parse_code(code.trim()).ok_or_else(|| {
            format!(
                "{}:{}: bad region code {code:?}",
                path.display(),
                number + 1
            )
        })?;
        let name = clean_name(name);
        if name.is_empty() {
            return Err(format!("{}:{}: empty name", path.display(), number + 1).into());
        }
        if let Some(village) = code.village {
            let district = Code {
                village: None,
                ..code
            };
            rows.villages
                .entry(district)
                .or_default()
                .push((village, name));
        } else {
            rows.regions.insert(code, name);
        }
    }
    for list in rows.villages.values_mut() {
        list.sort_by_key(|(code, _)| *code);
        list.dedup_by_key(|(code, _)| *code);
    }
    Ok(rows)
}

/// Appends `items` as a Rust array body, 24 per line.
fn write_array<T: std::fmt::Display>(out: &mut String, items: &[T]) -> BoxResult<()> {
    for chunk in items.chunks(24) {
        out.push_str("    ");
        for item in chunk {
            write!(out, "{item},")?;
        }
        out.push('\n');
    }
    Ok(())
}

fn main() -> BoxResult<()> {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let data_dir = manifest_dir.join("..").join("datasets").join("wilayah");
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    let with_villages = std::env::var_os("CARGO_FEATURE_VILLAGES").is_some();

    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed={}", data_dir.display());
    for (_, file) in EDITIONS {
        println!("cargo::rerun-if-changed={}", data_dir.join(file).display());
    }
    println!(
        "cargo::rerun-if-changed={}",
        data_dir.join(POPULATION_FILE).display()
    );

    let editions: Vec<EditionRows> = EDITIONS
        .iter()
        .map(|(_, file)| read_edition(&data_dir.join(file)))
        .collect::<BoxResult<_>>()?;

    // Merge, newest edition first: the first edition that has a code owns it.
    let mut merged: BTreeMap<Code, (usize, String)> = BTreeMap::new();
    for (index, rows) in editions.iter().enumerate() {
        for (code, name) in &rows.regions {
            merged.entry(*code).or_insert_with(|| (index, name.clone()));
        }
    }
    // Every regency and district must hang under a known parent.
    for code in merged.keys() {
        let parent = match code.level() {
            2 => Some(Code {
                regency: None,
                ..*code
            }),
            3 => Some(Code {
                district: None,
                ..*code
            }),
            _ => None,
        };
        if let Some(parent) = parent
            && !merged.contains_key(&parent)
        {
            return Err(format!("region {code:?} has no parent {parent:?} in any edition").into());
        }
    }

    // Entry order: provinces, regencies, districts, each sorted by code.
    let mut ordered: Vec<(&Code, &(usize, String))> = merged.iter().collect();
    ordered.sort_by_key(|(code, _)| (code.level(), **code));
    let entry_of: BTreeMap<Code, usize> = ordered
        .iter()
        .enumerate()
        .map(|(i, (code, _))| (**code, i))
        .collect();
    let province_count = ordered.iter().filter(|(c, _)| c.level() == 1).count();
    let regency_count = ordered.iter().filter(|(c, _)| c.level() == 2).count();
    let district_count = ordered.iter().filter(|(c, _)| c.level() == 3).count();

    let mut names = String::new();
    let mut entries: Vec<u32> = Vec::with_capacity(ordered.len());
    for (_, (edition, name)) in &ordered {
        let start = names.len();
        names.push_str(name);
        let len = name.len();
        if start >= (1 << 21) || len >= (1 << 8) || *edition >= (1 << 3) {
            return Err(format!("region name table overflow at {name:?}").into());
        }
        entries
            .push(u32::try_from(start)? | (u32::try_from(len)? << 21) | ((*edition as u32) << 29));
    }

    let slot_value = |code: &Code| -> BoxResult<u16> {
        match entry_of.get(code) {
            Some(e) => Ok(u16::try_from(e + 1)?),
            None => Ok(0),
        }
    };

    let mut root = vec![0u16; 100];
    let mut child_start: Vec<u16> = Vec::new();
    let mut child_len: Vec<u8> = Vec::new();
    let mut slots: Vec<u16> = Vec::new();
    for (code, _) in &ordered {
        match code.level() {
            1 => {
                root[usize::from(code.province)] = slot_value(code)?;
            }
            2 | 3 => {}
            _ => unreachable!("villages are not in the merged table"),
        }
    }
    for (code, _) in ordered.iter().filter(|(c, _)| c.level() <= 2) {
        // Children of this province (regencies) or regency (districts).
        let children: Vec<&Code> = merged
            .keys()
            .filter(|c| match code.level() {
                1 => c.level() == 2 && c.province == code.province,
                _ => c.level() == 3 && c.province == code.province && c.regency == code.regency,
            })
            .collect();
        let child_number = |c: &Code| -> u8 {
            if code.level() == 1 {
                c.regency.unwrap_or(0)
            } else {
                c.district.unwrap_or(0)
            }
        };
        let len = children
            .iter()
            .map(|c| usize::from(child_number(c)) + 1)
            .max()
            .unwrap_or(0);
        child_start.push(u16::try_from(slots.len())?);
        child_len.push(u8::try_from(len)?);
        let base = slots.len();
        slots.resize(base + len, 0);
        for child in children {
            slots[base + usize::from(child_number(child))] = slot_value(child)?;
        }
    }

    let names_file = out_dir.join("region_names.txt");
    fs::write(&names_file, &names)?;

    let mut rs = String::new();
    writeln!(
        rs,
        "// @generated by domain/build.rs from datasets/wilayah; do not edit.\n"
    )?;
    writeln!(
        rs,
        "/// Number of province entries (entries `0..PROVINCE_COUNT`)."
    )?;
    writeln!(
        rs,
        "pub(crate) const PROVINCE_COUNT: usize = {province_count};"
    )?;
    writeln!(rs, "/// Number of regency entries (after the provinces).")?;
    writeln!(
        rs,
        "pub(crate) const REGENCY_COUNT: usize = {regency_count};"
    )?;
    writeln!(rs, "/// Number of district entries (after the regencies).")?;
    writeln!(
        rs,
        "pub(crate) const DISTRICT_COUNT: usize = {district_count};"
    )?;
    writeln!(rs, "/// All region names, concatenated.")?;
    writeln!(
        rs,
        "pub(crate) static NAMES: &str = include_str!(concat!(env!(\"OUT_DIR\"), \"/region_names.txt\"));"
    )?;
    writeln!(
        rs,
        "/// Packed entries: name start (21 bits), name length (8), edition (3)."
    )?;
    writeln!(
        rs,
        "pub(crate) static ENTRIES: [u32; {}] = [",
        entries.len()
    )?;
    write_array(&mut rs, &entries)?;
    writeln!(rs, "];")?;
    writeln!(rs, "/// Province code -> 1 + entry (0 = absent).")?;
    writeln!(rs, "pub(crate) static ROOT: [u16; 100] = [")?;
    write_array(&mut rs, &root)?;
    writeln!(rs, "];")?;
    writeln!(
        rs,
        "/// Start of a province's or regency's child slots in `SLOTS`."
    )?;
    writeln!(
        rs,
        "pub(crate) static CHILD_START: [u16; {}] = [",
        child_start.len()
    )?;
    write_array(&mut rs, &child_start)?;
    writeln!(rs, "];")?;
    writeln!(rs, "/// Number of child slots (highest child code + 1).")?;
    writeln!(
        rs,
        "pub(crate) static CHILD_LEN: [u8; {}] = [",
        child_len.len()
    )?;
    write_array(&mut rs, &child_len)?;
    writeln!(rs, "];")?;
    writeln!(rs, "/// Child slots: 1 + entry (0 = absent).")?;
    writeln!(rs, "pub(crate) static SLOTS: [u16; {}] = [", slots.len())?;
    write_array(&mut rs, &slots)?;
    writeln!(rs, "];")?;
    fs::write(out_dir.join("regions.rs"), rs)?;

    if with_villages {
        write_villages(
            &out_dir,
            &data_dir,
            &editions,
            &ordered,
            &entry_of,
            province_count + regency_count,
        )?;
    }
    Ok(())
}

/// Villages of every district (taken from the edition that owns the district) and population of
/// provinces and regencies.
fn write_villages(
    out_dir: &Path,
    data_dir: &Path,
    editions: &[EditionRows],
    ordered: &[(&Code, &(usize, String))],
    entry_of: &BTreeMap<Code, usize>,
    district_base: usize,
) -> BoxResult<()> {
    let mut names = String::new();
    let mut starts: Vec<u32> = vec![0];
    let mut codes: Vec<u16> = Vec::new();
    let mut ends: Vec<u32> = Vec::new();
    for (code, (edition, _)) in ordered.iter().filter(|(c, _)| c.level() == 3) {
        if let Some(list) = editions
            .get(*edition)
            .and_then(|rows| rows.villages.get(code))
        {
            for (village, name) in list {
                codes.push(*village);
                names.push_str(name);
                ends.push(u32::try_from(names.len())?);
            }
        }
        starts.push(u32::try_from(codes.len())?);
    }
    fs::write(out_dir.join("village_names.txt"), &names)?;

    // Population: kode,nama,pria,wanita,total (2025 codes, provinces and regencies; `0` = national).
    let population_path = data_dir.join(POPULATION_FILE);
    let text = fs::read_to_string(&population_path)
        .map_err(|e| format!("cannot read {}: {e}", population_path.display()))?;
    let mut population = vec![(u32::MAX, u32::MAX); district_base];
    let mut national = (u32::MAX, u32::MAX);
    for (number, line) in text.lines().enumerate().skip(1) {
        let fields: Vec<&str> = line.trim_end_matches('\r').split(',').collect();
        let [code, _name, male, female, total] = fields.as_slice() else {
            return Err(format!(
                "{}:{}: expected 5 fields",
                population_path.display(),
                number + 1
            )
            .into());
        };
        let male: u32 = male.trim().parse()?;
        let female: u32 = female.trim().parse()?;
        let total: u64 = total.trim().parse()?;
        if u64::from(male) + u64::from(female) != total {
            return Err(format!(
                "{}:{}: pria + wanita != total",
                population_path.display(),
                number + 1
            )
            .into());
        }
        if code.trim() == "0" {
            national = (male, female);
            continue;
        }
        let parsed = parse_code(code.trim())
            .ok_or_else(|| format!("{}:{}: bad code", population_path.display(), number + 1))?;
        let entry = entry_of
            .get(&parsed)
            .filter(|e| **e < district_base)
            .ok_or_else(|| {
                format!(
                    "{}:{}: unknown region {code}",
                    population_path.display(),
                    number + 1
                )
            })?;
        population[*entry] = (male, female);
    }

    let mut rs = String::new();
    writeln!(
        rs,
        "// @generated by domain/build.rs from datasets/wilayah; do not edit.\n"
    )?;
    writeln!(rs, "/// All village names, concatenated.")?;
    writeln!(
        rs,
        "pub(crate) static VILLAGE_NAMES: &str = include_str!(concat!(env!(\"OUT_DIR\"), \"/village_names.txt\"));"
    )?;
    writeln!(
        rs,
        "/// District `i` (0-based among districts) owns villages `START[i]..START[i+1]`."
    )?;
    writeln!(
        rs,
        "pub(crate) static VILLAGE_START: [u32; {}] = [",
        starts.len()
    )?;
    write_array(&mut rs, &starts)?;
    writeln!(rs, "];")?;
    writeln!(rs, "/// Four-digit village code within its district.")?;
    writeln!(
        rs,
        "pub(crate) static VILLAGE_CODE: [u16; {}] = [",
        codes.len()
    )?;
    write_array(&mut rs, &codes)?;
    writeln!(rs, "];")?;
    writeln!(
        rs,
        "/// End of village `i`'s name in `VILLAGE_NAMES` (start = end of `i - 1`)."
    )?;
    writeln!(
        rs,
        "pub(crate) static VILLAGE_NAME_END: [u32; {}] = [",
        ends.len()
    )?;
    write_array(&mut rs, &ends)?;
    writeln!(rs, "];")?;
    writeln!(
        rs,
        "/// (male, female) by province/regency entry; `u32::MAX` = unknown."
    )?;
    writeln!(
        rs,
        "pub(crate) static POPULATION: [(u32, u32); {}] = [",
        population.len()
    )?;
    let pairs: Vec<String> = population
        .iter()
        .map(|(m, f)| format!("({m}, {f})"))
        .collect();
    write_array(&mut rs, &pairs)?;
    writeln!(rs, "];")?;
    writeln!(rs, "/// National (male, female).")?;
    writeln!(
        rs,
        "pub(crate) const NATIONAL_POPULATION: (u32, u32) = ({}, {});",
        national.0, national.1
    )?;
    fs::write(out_dir.join("villages.rs"), rs)?;
    Ok(())
}
