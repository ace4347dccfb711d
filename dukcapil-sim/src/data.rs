//! Embedded synthetic-data tables: name lists (`datasets/names`) and SIAK reference lists
//! (`datasets/reference`), loaded once and kept upper case as the registry prints them.
//!
//! Residents store indices into these tables; strings are rendered only when answering.

use std::sync::LazyLock;

const GIVEN_MALE: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../datasets/names/given_male.txt"
));
const GIVEN_FEMALE: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../datasets/names/given_female.txt"
));
const FAMILY: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../datasets/names/family.txt"
));
const TITLES_PREFIX: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../datasets/names/titles_prefix.txt"
));
const TITLES_SUFFIX: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../datasets/names/titles_suffix.txt"
));
const PEKERJAAN: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../datasets/reference/pekerjaan.csv"
));
const STATUS_KAWIN: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../datasets/reference/status_kawin.csv"
));
const AGAMA: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../datasets/reference/agama.csv"
));
const PENDIDIKAN: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../datasets/reference/pendidikan.csv"
));
const GOLONGAN_DARAH: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../datasets/reference/golongan_darah.csv"
));

/// Hamlet (dukuh/dusun) name stems for rural addresses. Generic Javanese place words, not
/// taken from any real address register.
const HAMLETS: &[&str] = &[
    "KRAJAN",
    "NGEMPLAK",
    "SUKOREJO",
    "KARANGREJO",
    "TEGALSARI",
    "SIDOMULYO",
    "NGASINAN",
    "GUMUK",
    "PUCANGAN",
    "KEDUNGSARI",
    "WATUGEDE",
    "SENDANG",
    "BULU",
    "JATIREJO",
    "NGLOROG",
    "GEBANG",
    "DUWET",
    "SUMBERSARI",
    "KALIWUNGU",
    "TANGKIL",
    "BANARAN",
    "PLOSOREJO",
    "SABRANG",
    "KARANGTENGAH",
    "NGRINGIN",
    "GONDANG",
    "SIWALAN",
    "KEPUH",
    "TLOGO",
    "GEMBOL",
    "PANDEAN",
    "MIJEN",
    "KUWUNG",
    "DOYONG",
    "SALAM",
    "SONO",
    "JETIS",
    "PUNTUKAN",
    "KEMBANG",
    "WONOREJO",
];

/// Street name stems for urban (kelurahan) addresses: flowers, trees, fruits, mountains.
const STREETS: &[&str] = &[
    "MELATI",
    "MAWAR",
    "ANGGREK",
    "KENANGA",
    "CEMPAKA",
    "DAHLIA",
    "FLAMBOYAN",
    "BOUGENVILLE",
    "SAWO",
    "MANGGA",
    "RAMBUTAN",
    "DURIAN",
    "NANGKA",
    "SALAK",
    "MERAPI",
    "MERBABU",
    "LAWU",
    "SINDORO",
    "SUMBING",
    "BENGAWAN",
    "CENDANA",
    "JATI",
    "MAHONI",
    "BERINGIN",
    "KAMBOJA",
    "TERATAI",
    "SEROJA",
    "KELAPA",
    "PISANG",
    "DELIMA",
];

/// The loaded tables. Indices into these vectors are what residents store.
pub(crate) struct Tables {
    pub given_male: Vec<String>,
    pub given_female: Vec<String>,
    /// Family names that read as male (and unisex clan names).
    pub family_male: Vec<String>,
    /// Family names that read as female (`-WATI`, `-SARI`, `-AH`, ...).
    pub family_female: Vec<String>,
    pub prefix: Vec<Title>,
    pub suffix: Vec<String>,
    pub pekerjaan: Vec<&'static str>,
    pub status_kawin: Vec<&'static str>,
    pub agama: Vec<&'static str>,
    pub pendidikan: Vec<&'static str>,
    pub golongan_darah: Vec<&'static str>,
    pub hamlets: &'static [&'static str],
    pub streets: &'static [&'static str],
}

/// Who may carry a title prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TitleKind {
    /// Religious or noble title for men (H., KH., R.M., ...).
    Male,
    /// Religious or noble title for women (Hj., R.A., Cut, Puti).
    Female,
    /// Academic or professional prefix for either sex (Dr., Ir., dr., ...).
    Academic,
    /// Either sex, no education needed (R.).
    Any,
}

/// A title prefix and who may carry it.
pub(crate) struct Title {
    pub text: String,
    pub kind: TitleKind,
}

fn lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines().map(str::trim).filter(|l| !l.is_empty())
}

/// Names of a `kode,nama` CSV in file order (header skipped).
fn csv_names(text: &'static str) -> Vec<&'static str> {
    lines(text)
        .skip(1)
        .filter_map(|l| l.split_once(',').map(|(_, name)| name.trim()))
        .collect()
}

/// Heuristic used to split `family.txt` (which mixes both): Indonesian second names ending in
/// these are borne by women.
fn reads_female(name: &str) -> bool {
    const MALE_EXCEPTIONS: &[&str] = &["HABIBI", "JAILANI", "USAMAH", "NARPATI"];
    const FEMALE_ENDINGS: &[&str] = &["I", "AH", "INA", "IDA", "ITA", "IKA", "NDA", "SARI", "YU"];
    !MALE_EXCEPTIONS.contains(&name) && FEMALE_ENDINGS.iter().any(|e| name.ends_with(e))
}

fn title_kind(title: &str) -> TitleKind {
    match title {
        "HJ." | "R.A." | "CUT" | "PUTI" => TitleKind::Female,
        "H." | "KH." | "R.M." | "SUTAN" | "DT." | "TGK." | "T." => TitleKind::Male,
        "R." => TitleKind::Any,
        _ => TitleKind::Academic,
    }
}

static TABLES: LazyLock<Tables> = LazyLock::new(|| {
    let upper = |text: &str| lines(text).map(str::to_uppercase).collect::<Vec<_>>();
    let (family_female, family_male): (Vec<String>, Vec<String>) =
        upper(FAMILY).into_iter().partition(|n| reads_female(n));
    Tables {
        given_male: upper(GIVEN_MALE),
        given_female: upper(GIVEN_FEMALE),
        family_male,
        family_female,
        prefix: upper(TITLES_PREFIX)
            .into_iter()
            .map(|text| Title {
                kind: title_kind(&text),
                text,
            })
            .collect(),
        suffix: upper(TITLES_SUFFIX),
        pekerjaan: csv_names(PEKERJAAN),
        status_kawin: csv_names(STATUS_KAWIN),
        agama: csv_names(AGAMA),
        pendidikan: csv_names(PENDIDIKAN),
        golongan_darah: csv_names(GOLONGAN_DARAH),
        hamlets: HAMLETS,
        streets: STREETS,
    }
});

/// The process-wide tables (built on first use).
pub(crate) fn tables() -> &'static Tables {
    &TABLES
}

impl Tables {
    /// Index of `name` in a reference list, if present.
    pub(crate) fn position(list: &[&str], name: &str) -> Option<usize> {
        list.iter().position(|n| *n == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_loaded_upper_case() {
        let t = tables();
        assert!(t.given_male.len() > 400);
        assert!(t.given_female.len() > 200);
        assert!(!t.family_male.is_empty() && !t.family_female.is_empty());
        assert!(t.given_male.iter().all(|n| n == &n.to_uppercase()));
        assert!(t.family_female.iter().any(|n| n == "LESTARI"));
        assert!(t.family_male.iter().any(|n| n == "SANTOSO"));
        assert_eq!(t.pekerjaan.len(), 89);
        assert_eq!(t.pekerjaan[0], "BELUM/TIDAK BEKERJA");
        assert_eq!(
            t.status_kawin,
            ["BELUM KAWIN", "KAWIN", "CERAI HIDUP", "CERAI MATI"]
        );
        assert_eq!(t.agama[0], "ISLAM");
        assert!(
            t.prefix
                .iter()
                .any(|p| p.text == "HJ." && p.kind == TitleKind::Female)
        );
        assert!(t.suffix.iter().any(|s| s == "S.PD"));
    }
}
