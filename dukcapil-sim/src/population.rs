//! The synthetic population: households of one regency, generated deterministically from a seed
//! and stored compactly (a resident is 32 bytes of indices and packed integers; strings are
//! rendered only when answering).
//!
//! Generation, in order:
//! 1. households are drawn one by one (couples with children, childless couples, single parents,
//!    people living alone, three-generation households), each in a village picked with a
//!    per-village weight, with a religion, an address (hamlet or street), RT and RW;
//! 2. each person gets a sex, an age fitting their role, a name from the name lists (men from
//!    `given_male`, women from `given_female`, often with a family name, a few with titles),
//!    education, occupation and marital status plausible for the age, a birthplace, and the
//!    mother's name (the mother's own name when she lives in the household);
//! 3. NIKs: district code + DDMMYY (day + 40 for women) + a serial that is unique per
//!    district and birth date and stays below 9800 (serials from 9800 are special NIKs);
//! 4. small proportions become deceased, inactive, or get a second record (duplicate NIK);
//! 5. No. KK: district code + DDMMYY of issue + serial, shared by the household.

use std::sync::LazyLock;

use time::Date;

use crate::config::AnomalyRates;
use crate::data::{Tables, TitleKind, tables};
use crate::nik;
use crate::region::Area;
use crate::rng::SimRng;
use crate::special::FIRST_SPECIAL_SERIAL;

/// Oldest age generated: a NIK carries a two-digit year, so nobody may be born a full century
/// before the reference date (the year would read as the current century).
const MAX_AGE: u32 = 98;

/// "No entry" in an optional `u16` index.
pub(crate) const NONE: u16 = u16::MAX;

/// Julian day of 1900-01-01, day 0 of [`Resident::birth`].
const EPOCH_JD: i32 = time::macros::date!(1900 - 01 - 01).to_julian_day();

/// Sex of a resident.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    /// Laki-laki.
    Male,
    /// Perempuan.
    Female,
}

/// Registry status of a record.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum RecordStatus {
    /// Living, active record (code 01, or 12 when the NIK has several records).
    #[default]
    Active,
    /// The person has died (code 11).
    Deceased,
    /// The record is inactive (code 14).
    Inactive,
}

/// One generated record, 32 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Resident {
    /// The NIK's 16 digits as a number.
    pub nik: u64,
    /// Index into [`Population::families`].
    pub family: u32,
    /// Given name (index into the list of the resident's sex).
    pub given: u16,
    /// Second given name (same list) or [`NONE`].
    pub second: u16,
    /// Family name (index into the male or female family-name list) or [`NONE`].
    pub surname: u16,
    /// Mother's given name (female list).
    pub mother_given: u16,
    /// Mother's family name (female family-name list) or [`NONE`].
    pub mother_surname: u16,
    /// Birth date, days since 1900-01-01.
    pub birth: u16,
    /// Index into [`Area::birthplaces`].
    pub birthplace: u8,
    /// Index into `pekerjaan.csv`.
    pub occupation: u8,
    /// 0 = none, else 1 + index into `titles_prefix.txt`.
    pub prefix: u8,
    /// 0 = none, else 1 + index into `titles_suffix.txt`.
    pub suffix: u8,
    /// sex (bit 0), marital status (1-2), religion (3-5), education (6-9), blood group
    /// (10-13), e-KTP status (14-15).
    bits: u16,
    /// [`RecordStatus`] as `u8`.
    status: u8,
}

const _: () = assert!(std::mem::size_of::<Resident>() == 32);

/// The packed small attributes of a resident.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Attrs {
    pub sex: Sex,
    /// Index into `status_kawin.csv`.
    pub marital: u8,
    /// Index into `agama.csv`.
    pub religion: u8,
    /// Index into `pendidikan.csv`.
    pub education: u8,
    /// Index into `golongan_darah.csv`.
    pub blood: u8,
    /// 0 = not yet required (minor), 1 = recorded electronic KTP, 2 = not yet recorded.
    pub ektp: u8,
}

impl Attrs {
    fn pack(self) -> u16 {
        u16::from(self.sex == Sex::Female)
            | u16::from(self.marital & 0x3) << 1
            | u16::from(self.religion & 0x7) << 3
            | u16::from(self.education & 0xF) << 6
            | u16::from(self.blood & 0xF) << 10
            | u16::from(self.ektp & 0x3) << 14
    }

    fn unpack(bits: u16) -> Self {
        Self {
            sex: if bits & 1 == 1 {
                Sex::Female
            } else {
                Sex::Male
            },
            marital: ((bits >> 1) & 0x3) as u8,
            religion: ((bits >> 3) & 0x7) as u8,
            education: ((bits >> 6) & 0xF) as u8,
            blood: ((bits >> 10) & 0xF) as u8,
            ektp: ((bits >> 14) & 0x3) as u8,
        }
    }
}

impl Resident {
    pub(crate) fn attrs(&self) -> Attrs {
        Attrs::unpack(self.bits)
    }

    pub(crate) fn sex(&self) -> Sex {
        self.attrs().sex
    }

    pub(crate) fn status(&self) -> RecordStatus {
        match self.status {
            1 => RecordStatus::Deceased,
            2 => RecordStatus::Inactive,
            _ => RecordStatus::Active,
        }
    }

    fn set_status(&mut self, status: RecordStatus) {
        self.status = match status {
            RecordStatus::Active => 0,
            RecordStatus::Deceased => 1,
            RecordStatus::Inactive => 2,
        };
    }

    /// Birth date.
    pub(crate) fn birth_date(&self) -> Date {
        Date::from_julian_day(EPOCH_JD + i32::from(self.birth)).unwrap_or(Date::MIN)
    }
}

/// One household: a family card (KK) and its address. 16 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Family {
    /// No. KK, 16 digits as a number.
    pub kk: u64,
    /// Index into [`Area::villages`].
    pub village: u16,
    pub rt: u8,
    pub rw: u8,
    /// Index into the hamlet list (desa) or street list (kelurahan).
    pub street: u8,
    /// House number (kelurahan addresses), 0 = none.
    pub house: u16,
}

/// Reference-list indices and weight tables, looked up by name once.
struct Indices {
    belum_kawin: u8,
    kawin: u8,
    cerai_hidup: u8,
    cerai_mati: u8,
    belum_bekerja: u8,
    pelajar: u8,
    /// (occupation, weight) pools.
    men: Vec<(u8, u32)>,
    women: Vec<(u8, u32)>,
    elderly_men: Vec<(u8, u32)>,
    elderly_women: Vec<(u8, u32)>,
    /// Occupations that need at least a diploma (D-III).
    needs_diploma: Vec<u8>,
    /// Weights over `agama.csv`.
    religion: Vec<u32>,
    /// Weights over `golongan_darah.csv`.
    blood: Vec<u32>,
    /// Education (index into `pendidikan.csv`) from which academic titles are plausible.
    graduate: u8,
    /// Education (index) from which diploma-only occupations are plausible.
    diploma: u8,
}

fn pool(t: &Tables, items: &[(&str, u32)]) -> Vec<(u8, u32)> {
    items
        .iter()
        .filter_map(|(name, w)| {
            Tables::position(&t.pekerjaan, name).and_then(|i| u8::try_from(i).ok().map(|i| (i, *w)))
        })
        .collect()
}

fn idx(list: &[&str], name: &str) -> u8 {
    Tables::position(list, name)
        .and_then(|i| u8::try_from(i).ok())
        .unwrap_or(0)
}

static INDICES: LazyLock<Indices> = LazyLock::new(|| {
    let t = tables();
    let by_name = |names: &[(&str, u32)], list: &[&str]| -> Vec<u32> {
        let mut weights = vec![0; list.len()];
        for (name, w) in names {
            if let Some(i) = Tables::position(list, name) {
                weights[i] = *w;
            }
        }
        weights
    };
    Indices {
        belum_kawin: idx(&t.status_kawin, "BELUM KAWIN"),
        kawin: idx(&t.status_kawin, "KAWIN"),
        cerai_hidup: idx(&t.status_kawin, "CERAI HIDUP"),
        cerai_mati: idx(&t.status_kawin, "CERAI MATI"),
        belum_bekerja: idx(&t.pekerjaan, "BELUM/TIDAK BEKERJA"),
        pelajar: idx(&t.pekerjaan, "PELAJAR/MAHASISWA"),
        men: pool(
            t,
            &[
                ("PETANI/PEKEBUN", 140),
                ("BURUH TANI/PERKEBUNAN", 70),
                ("WIRASWASTA", 140),
                ("KARYAWAN SWASTA", 160),
                ("BURUH HARIAN LEPAS", 100),
                ("PEDAGANG", 50),
                ("PERDAGANGAN", 20),
                ("SOPIR", 30),
                ("TUKANG BATU", 30),
                ("TUKANG KAYU", 20),
                ("TUKANG LAS/PANDAI BESI", 5),
                ("MEKANIK", 10),
                ("PETERNAK", 15),
                ("INDUSTRI", 10),
                ("KONSTRUKSI", 10),
                ("TRANSPORTASI", 10),
                ("PEGAWAI NEGERI SIPIL", 30),
                ("GURU", 15),
                ("DOSEN", 2),
                ("DOKTER", 2),
                ("TENTARA NASIONAL INDONESIA", 8),
                ("KEPOLISIAN RI", 8),
                ("KARYAWAN HONORER", 10),
                ("KARYAWAN BUMN", 8),
                ("KARYAWAN BUMD", 3),
                ("PERANGKAT DESA", 8),
                ("KEPALA DESA", 1),
                ("USTADZ/MUBALIGH", 3),
                ("BELUM/TIDAK BEKERJA", 40),
            ],
        ),
        women: pool(
            t,
            &[
                ("MENGURUS RUMAH TANGGA", 300),
                ("KARYAWAN SWASTA", 140),
                ("WIRASWASTA", 100),
                ("PEDAGANG", 70),
                ("PETANI/PEKEBUN", 60),
                ("BURUH TANI/PERKEBUNAN", 50),
                ("BURUH HARIAN LEPAS", 50),
                ("GURU", 40),
                ("PEGAWAI NEGERI SIPIL", 25),
                ("PERAWAT", 10),
                ("BIDAN", 8),
                ("DOKTER", 2),
                ("TUKANG JAHIT", 10),
                ("PENATA RIAS", 5),
                ("KARYAWAN HONORER", 10),
                ("PERANGKAT DESA", 3),
                ("BELUM/TIDAK BEKERJA", 40),
            ],
        ),
        elderly_men: pool(
            t,
            &[
                ("PENSIUNAN", 120),
                ("PETANI/PEKEBUN", 250),
                ("WIRASWASTA", 80),
                ("PEDAGANG", 40),
                ("BURUH TANI/PERKEBUNAN", 60),
                ("BELUM/TIDAK BEKERJA", 250),
            ],
        ),
        elderly_women: pool(
            t,
            &[
                ("MENGURUS RUMAH TANGGA", 350),
                ("PENSIUNAN", 60),
                ("PETANI/PEKEBUN", 120),
                ("PEDAGANG", 50),
                ("BELUM/TIDAK BEKERJA", 250),
            ],
        ),
        needs_diploma: [
            "PEGAWAI NEGERI SIPIL",
            "GURU",
            "DOSEN",
            "DOKTER",
            "PERAWAT",
            "BIDAN",
        ]
        .iter()
        .map(|n| idx(&t.pekerjaan, n))
        .collect(),
        religion: by_name(
            &[
                ("ISLAM", 9500),
                ("KRISTEN", 250),
                ("KATHOLIK", 200),
                ("HINDU", 30),
                ("BUDHA", 10),
                ("KHONGHUCU", 2),
                ("KEPERCAYAAN TERHADAP TUHAN YME", 8),
            ],
            &t.agama,
        ),
        blood: by_name(
            &[
                ("A", 90),
                ("B", 110),
                ("AB", 30),
                ("O", 140),
                ("A+", 25),
                ("B+", 30),
                ("AB+", 8),
                ("O+", 40),
                ("A-", 1),
                ("B-", 1),
                ("AB-", 1),
                ("O-", 1),
                ("TIDAK TAHU", 520),
            ],
            &t.golongan_darah,
        ),
        graduate: idx(&t.pendidikan, "DIPLOMA IV/STRATA I"),
        diploma: idx(&t.pendidikan, "AKADEMI/DIPLOMA III/S. MUDA"),
    }
});

/// A person's (given, second, surname) indices.
#[derive(Clone, Copy, Debug)]
struct Name {
    given: u16,
    second: u16,
    surname: u16,
}

/// Makes people and households: the part of generation shared by the population and by
/// synthetic records for special NIKs.
struct Maker<'a> {
    rng: SimRng,
    t: &'static Tables,
    ix: &'static Indices,
    area: &'a Area,
    /// Reference date as days since 1900-01-01.
    ref_days: i32,
    /// Men's share among children.
    male_share: f64,
}

fn index16(i: usize) -> u16 {
    u16::try_from(i).unwrap_or(NONE - 1)
}

impl<'a> Maker<'a> {
    fn new(rng: SimRng, area: &'a Area, reference: Date) -> Self {
        Self {
            rng,
            t: tables(),
            ix: &INDICES,
            area,
            ref_days: reference.to_julian_day() - EPOCH_JD,
            male_share: area.male_share,
        }
    }

    fn given_list(&self, sex: Sex) -> &'static [String] {
        match sex {
            Sex::Male => &self.t.given_male,
            Sex::Female => &self.t.given_female,
        }
    }

    fn surname_list(&self, sex: Sex) -> &'static [String] {
        match sex {
            Sex::Male => &self.t.family_male,
            Sex::Female => &self.t.family_female,
        }
    }

    fn pick(&mut self, len: usize) -> u16 {
        index16(self.rng.index(len))
    }

    /// A name: a single given name, given + family name, two given names, or all three.
    fn name(&mut self, sex: Sex) -> Name {
        let given_len = self.given_list(sex).len();
        let surname_len = self.surname_list(sex).len();
        let given = self.pick(given_len);
        let roll = self.rng.below(100);
        let (two_given, surname) = match sex {
            Sex::Male => (roll >= 70, (35..70).contains(&roll) || roll >= 88),
            Sex::Female => (roll >= 65, (40..65).contains(&roll) || roll >= 90),
        };
        let mut second = NONE;
        if two_given {
            second = self.pick(given_len);
            if second == given {
                second = NONE;
            }
        }
        let surname = if surname && surname_len > 0 {
            self.pick(surname_len)
        } else {
            NONE
        };
        Name {
            given,
            second,
            surname,
        }
    }

    /// A random mother's name (for adults whose mother does not live with them).
    fn mother_name(&mut self) -> (u16, u16) {
        let n = self.name(Sex::Female);
        (n.given, n.surname)
    }

    /// Days since 1900 of a birth date `age` full years before the reference date.
    fn birth_days(&mut self, age: u32) -> u16 {
        let back = (f64::from(age) * 365.2425) as i32 + self.rng.below(365) as i32 + 1;
        u16::try_from((self.ref_days - back).max(0)).unwrap_or(0)
    }

    fn education(&mut self, age: u32) -> u8 {
        // Indices into pendidikan.csv (TIDAK/BELUM SEKOLAH .. STRATA III).
        match age {
            0..=6 => 0,
            7..=12 => 1,
            13..=15 => 2,
            16..=18 => 3,
            19..=22 => [4, 4, 4, 4, 4, 4, 4, 5, 6, 3][self.rng.index(10)],
            23..=59 => {
                self.rng
                    .weighted(&[20, 50, 200, 200, 330, 30, 50, 100, 15, 2]) as u8
            }
            _ => self
                .rng
                .weighted(&[100, 150, 350, 150, 150, 20, 20, 50, 10, 0]) as u8,
        }
    }

    fn occupation(&mut self, sex: Sex, age: u32, education: u8) -> u8 {
        let ix = self.ix;
        if age < 5 {
            return ix.belum_bekerja;
        }
        if age < 18 || (age < 23 && self.rng.chance(0.4)) {
            return if age >= 7 || self.rng.chance(0.5) {
                ix.pelajar
            } else {
                ix.belum_bekerja
            };
        }
        let pool = match (sex, age >= 58) {
            (Sex::Male, false) => &ix.men,
            (Sex::Female, false) => &ix.women,
            (Sex::Male, true) => &ix.elderly_men,
            (Sex::Female, true) => &ix.elderly_women,
        };
        let weights: Vec<u32> = pool.iter().map(|(_, w)| *w).collect();
        for _ in 0..3 {
            let Some(&(occupation, _)) = pool.get(self.rng.weighted(&weights)) else {
                break;
            };
            if education >= ix.diploma || !ix.needs_diploma.contains(&occupation) {
                return occupation;
            }
        }
        ix.belum_bekerja
    }

    /// Title prefix and suffix: a few adults only.
    fn titles(&mut self, sex: Sex, age: u32, education: u8) -> (u8, u8) {
        if age < 25 {
            return (0, 0);
        }
        let graduate = education >= self.ix.graduate;
        let mut prefix = 0;
        if self.rng.chance(if age >= 45 { 0.05 } else { 0.015 }) {
            let allowed: Vec<usize> = self
                .t
                .prefix
                .iter()
                .enumerate()
                .filter(|(_, title)| match title.kind {
                    TitleKind::Male => sex == Sex::Male,
                    TitleKind::Female => sex == Sex::Female,
                    TitleKind::Academic => graduate,
                    TitleKind::Any => true,
                })
                .map(|(i, _)| i)
                .collect();
            if !allowed.is_empty() {
                let i = allowed[self.rng.index(allowed.len())];
                prefix = u8::try_from(i + 1).unwrap_or(0);
            }
        }
        let mut suffix = 0;
        if graduate && !self.t.suffix.is_empty() && self.rng.chance(0.3) {
            suffix = u8::try_from(self.rng.index(self.t.suffix.len()) + 1).unwrap_or(0);
        }
        (prefix, suffix)
    }

    fn birthplace(&mut self) -> u8 {
        let n = self.area.birthplaces.len();
        if n <= 1 || self.rng.chance(0.78) {
            0
        } else {
            u8::try_from(1 + self.rng.index(n - 1)).unwrap_or(0)
        }
    }

    fn religion(&mut self) -> u8 {
        self.rng.weighted(&self.ix.religion) as u8
    }

    /// One person. `nik` holds only the 12-digit prefix × 10 000 (serial added later).
    #[allow(clippy::too_many_arguments)]
    fn person(
        &mut self,
        sex: Sex,
        age: u32,
        marital: u8,
        religion: u8,
        name: Name,
        mother: (u16, u16),
        family: u32,
        nik_district: u64,
    ) -> Resident {
        let birth = self.birth_days(age);
        let education = self.education(age);
        let occupation = self.occupation(sex, age, education);
        let (prefix, suffix) = self.titles(sex, age, education);
        let ektp = match age {
            0..=16 => 0,
            _ if self.rng.chance(0.96) => 1,
            _ => 2,
        };
        let religion = if self.rng.chance(0.98) {
            religion
        } else {
            self.religion()
        };
        let attrs = Attrs {
            sex,
            marital,
            religion,
            education,
            blood: self.rng.weighted(&self.ix.blood) as u8,
            ektp,
        };
        let birth_date = Date::from_julian_day(EPOCH_JD + i32::from(birth)).unwrap_or(Date::MIN);
        let prefix12 = nik_district * 1_000_000 + nik::ddmmyy(birth_date, sex == Sex::Female);
        Resident {
            nik: prefix12 * 10_000,
            family,
            given: name.given,
            second: name.second,
            surname: name.surname,
            mother_given: mother.0,
            mother_surname: mother.1,
            birth,
            birthplace: self.birthplace(),
            occupation,
            prefix,
            suffix,
            bits: attrs.pack(),
            status: 0,
        }
    }

    /// A household's card and address in `village` (KK number set later).
    fn family(&mut self, village: usize) -> Family {
        let urban = self
            .area
            .villages
            .get(village)
            .is_some_and(|v| v.is_urban());
        let (street, house) = if urban {
            (self.rng.index(self.t.streets.len()), self.rng.range(1, 150))
        } else {
            (self.rng.index(self.t.hamlets.len()), 0)
        };
        Family {
            kk: 0,
            village: index16(village),
            rt: self.rng.range(1, 8) as u8,
            rw: self.rng.range(1, 12) as u8,
            street: u8::try_from(street).unwrap_or(0),
            house: u16::try_from(house).unwrap_or(0),
        }
    }

    /// Age of a household head: 21..=85, younger bands more common.
    fn head_age(&mut self) -> u32 {
        const BANDS: [u32; 13] = [6, 10, 11, 11, 10, 9, 8, 7, 6, 4, 3, 2, 1];
        21 + self.rng.weighted(&BANDS) as u32 * 5 + self.rng.below(5)
    }

    fn child_sex(&mut self) -> Sex {
        if self.rng.chance(self.male_share) {
            Sex::Male
        } else {
            Sex::Female
        }
    }

    /// KK prefix: district code + DDMMYY of a plausible issue date.
    fn kk_prefix(&mut self, district6: u64) -> u64 {
        let span = (self.ref_days - 39_447).max(1); // issue dates from 2008-01-01 on
        let days = self.ref_days - self.rng.below(span as u32) as i32;
        let date = Date::from_julian_day(EPOCH_JD + days).unwrap_or(Date::MIN);
        district6 * 1_000_000 + nik::ddmmyy(date, false)
    }
}

/// The generated population of one regency.
pub(crate) struct Population {
    pub area: Area,
    /// All records, sorted by NIK (records of a duplicated NIK are adjacent).
    pub residents: Vec<Resident>,
    pub families: Vec<Family>,
    /// Number of people (records minus duplicate copies).
    pub people: usize,
    seed: u64,
    reference: Date,
}

/// Household composition drawn for one card.
enum Household {
    Couple { children: bool, grandparent: bool },
    SingleParent,
    Alone,
}

impl Population {
    /// Generates `people` residents of `area`.
    pub(crate) fn generate(
        seed: u64,
        area: Area,
        people: usize,
        reference: Date,
        anomalies: AnomalyRates,
    ) -> Self {
        let mut m = Maker::new(SimRng::derive(seed, 1), &area, reference);
        let ix = m.ix;
        let mut residents: Vec<Resident> = Vec::with_capacity(people + people / 200 + 8);
        let mut families: Vec<Family> = Vec::with_capacity(people / 3 + 8);

        // Village weights (cumulative) so that villages differ in size.
        let mut cumulative = Vec::with_capacity(area.villages.len());
        let mut total = 0u64;
        for _ in &area.villages {
            total += u64::from(m.rng.range(60, 140));
            cumulative.push(total);
        }

        while residents.len() < people {
            let r = m.rng.next_u64() % total.max(1);
            let village = cumulative
                .partition_point(|c| *c <= r)
                .min(area.villages.len() - 1);
            let district = area.villages[village].district;
            let home = area.district_number(district);
            let fam_index = u32::try_from(families.len()).unwrap_or(u32::MAX);
            families.push(m.family(village));
            let religion = m.religion();
            let nik_district = |m: &mut Maker| -> u64 {
                if m.rng.chance(0.9) {
                    home
                } else {
                    area.district_number(m.rng.index(area.districts.len()))
                }
            };
            let kind = match m.rng.below(100) {
                0..=61 => Household::Couple {
                    children: true,
                    grandparent: false,
                },
                62..=71 => Household::Couple {
                    children: false,
                    grandparent: false,
                },
                72..=79 => Household::SingleParent,
                80..=89 => Household::Alone,
                _ => Household::Couple {
                    children: true,
                    grandparent: true,
                },
            };
            let mut members: Vec<Resident> = Vec::with_capacity(7);
            match kind {
                Household::Couple {
                    children,
                    grandparent,
                } => {
                    let husband_age = if children {
                        m.head_age()
                    } else {
                        if m.rng.chance(0.5) {
                            m.rng.range(21, 30)
                        } else {
                            m.rng.range(60, 85)
                        }
                    };
                    let wife_age = if m.rng.chance(0.1) {
                        husband_age + m.rng.range(1, 3)
                    } else {
                        husband_age.saturating_sub(m.rng.range(0, 6)).max(18)
                    };
                    let husband_name = m.name(Sex::Male);
                    let wife_name = m.name(Sex::Female);
                    let (hm, wm) = (m.mother_name(), m.mother_name());
                    let d = nik_district(&mut m);
                    members.push(m.person(
                        Sex::Male,
                        husband_age,
                        ix.kawin,
                        religion,
                        husband_name,
                        hm,
                        fam_index,
                        d,
                    ));
                    let d = nik_district(&mut m);
                    members.push(m.person(
                        Sex::Female,
                        wife_age,
                        ix.kawin,
                        religion,
                        wife_name,
                        wm,
                        fam_index,
                        d,
                    ));
                    if children {
                        let count = match wife_age {
                            0..=24 => m.rng.range(0, 2),
                            25..=45 => 1 + m.rng.weighted(&[2, 4, 3, 1]) as u32,
                            _ => m.rng.range(0, 3),
                        };
                        for _ in 0..count {
                            let Some(age) = wife_age.checked_sub(m.rng.range(19, 40)) else {
                                continue;
                            };
                            if age > 30 {
                                continue; // grown up and moved out
                            }
                            let sex = m.child_sex();
                            let mut name = m.name(sex);
                            if sex == Sex::Male && husband_name.surname != NONE && m.rng.chance(0.5)
                            {
                                name.surname = husband_name.surname;
                            }
                            let d = nik_district(&mut m);
                            members.push(m.person(
                                sex,
                                age,
                                ix.belum_kawin,
                                religion,
                                name,
                                (wife_name.given, wife_name.surname),
                                fam_index,
                                d,
                            ));
                        }
                    }
                    if grandparent {
                        let age = (husband_age + m.rng.range(22, 35)).min(MAX_AGE);
                        let sex = if m.rng.chance(0.7) {
                            Sex::Female
                        } else {
                            Sex::Male
                        };
                        let name = m.name(sex);
                        let mother = m.mother_name();
                        let d = nik_district(&mut m);
                        members.push(m.person(
                            sex,
                            age,
                            ix.cerai_mati,
                            religion,
                            name,
                            mother,
                            fam_index,
                            d,
                        ));
                    }
                }
                Household::SingleParent => {
                    let sex = if m.rng.chance(0.7) {
                        Sex::Female
                    } else {
                        Sex::Male
                    };
                    let age = m.rng.range(25, 70);
                    let marital = if age > 45 && m.rng.chance(0.6) {
                        ix.cerai_mati
                    } else {
                        ix.cerai_hidup
                    };
                    let parent_name = m.name(sex);
                    let mother = m.mother_name();
                    let d = nik_district(&mut m);
                    members.push(m.person(
                        sex,
                        age,
                        marital,
                        religion,
                        parent_name,
                        mother,
                        fam_index,
                        d,
                    ));
                    let other_mother = m.mother_name();
                    let children_mother = if sex == Sex::Female {
                        (parent_name.given, parent_name.surname)
                    } else {
                        other_mother
                    };
                    for _ in 0..m.rng.range(1, 3) {
                        let Some(child_age) = age.checked_sub(m.rng.range(19, 40)) else {
                            continue;
                        };
                        if child_age > 30 {
                            continue;
                        }
                        let child_sex = m.child_sex();
                        let name = m.name(child_sex);
                        let d = nik_district(&mut m);
                        members.push(m.person(
                            child_sex,
                            child_age,
                            ix.belum_kawin,
                            religion,
                            name,
                            children_mother,
                            fam_index,
                            d,
                        ));
                    }
                }
                Household::Alone => {
                    let (sex, age, marital) = if m.rng.chance(0.5) {
                        (m.child_sex(), m.rng.range(20, 35), ix.belum_kawin)
                    } else {
                        let sex = if m.rng.chance(0.7) {
                            Sex::Female
                        } else {
                            Sex::Male
                        };
                        let marital = if m.rng.chance(0.85) {
                            ix.cerai_mati
                        } else {
                            ix.cerai_hidup
                        };
                        (sex, m.rng.range(60, 95), marital)
                    };
                    let name = m.name(sex);
                    let mother = m.mother_name();
                    let d = nik_district(&mut m);
                    members.push(m.person(sex, age, marital, religion, name, mother, fam_index, d));
                }
            }
            let room = people - residents.len();
            members.truncate(room);
            residents.extend(members);
        }

        // NIK serials: unique per 12-digit prefix, increasing, below the special range.
        residents.sort_by_key(|r| r.nik);
        let mut serial_rng = SimRng::derive(seed, 2);
        let mut keep = vec![true; residents.len()];
        let mut i = 0;
        while i < residents.len() {
            let prefix = residents[i].nik;
            let mut serial = 1 + if serial_rng.chance(0.3) {
                serial_rng.below(4)
            } else {
                0
            };
            while i < residents.len() && residents[i].nik == prefix {
                if serial >= u32::from(FIRST_SPECIAL_SERIAL) {
                    keep[i] = false;
                } else {
                    residents[i].nik = prefix + u64::from(serial);
                }
                serial += 1 + if serial_rng.chance(0.15) {
                    serial_rng.below(3)
                } else {
                    0
                };
                i += 1;
            }
        }
        if keep.iter().any(|k| !k) {
            let mut flags = keep.iter();
            residents.retain(|_| flags.next().copied().unwrap_or(true));
        }
        let people = residents.len();

        // Anomalies: deceased (mostly elderly), inactive, duplicate records.
        let mut anomaly_rng = SimRng::derive(seed, 3);
        let ref_days = m.ref_days;
        for r in &mut residents {
            let age_days = ref_days - i32::from(r.birth);
            let weight = match age_days / 365 {
                0..=39 => 0.3,
                40..=59 => 1.0,
                _ => 3.0,
            };
            if anomaly_rng.chance(anomalies.deceased * weight) {
                r.set_status(RecordStatus::Deceased);
            } else if anomaly_rng.chance(anomalies.inactive) {
                r.set_status(RecordStatus::Inactive);
            }
        }
        let mut copies = Vec::new();
        if families.len() > 1 {
            for r in &residents {
                if r.status() == RecordStatus::Active && anomaly_rng.chance(anomalies.duplicate) {
                    let mut copy = *r;
                    let other = anomaly_rng.index(families.len() - 1);
                    let other = if other >= r.family as usize {
                        other + 1
                    } else {
                        other
                    };
                    copy.family = u32::try_from(other).unwrap_or(r.family);
                    copies.push(copy);
                }
            }
        }
        residents.extend(copies);
        residents.sort_unstable_by_key(|r| (r.nik, r.family));

        // No. KK: district of the household's village + issue date + serial.
        let mut kk_rng = SimRng::derive(seed, 4);
        let mut maker_kk = Maker::new(SimRng::derive(seed, 5), &area, reference);
        let mut order: Vec<(u64, u32)> = families
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let district = area
                    .villages
                    .get(usize::from(f.village))
                    .map_or(0, |v| v.district);
                (maker_kk.kk_prefix(area.district_number(district)), i as u32)
            })
            .collect();
        order.sort_unstable();
        let mut j = 0;
        while j < order.len() {
            let prefix = order[j].0;
            let mut serial = 1 + kk_rng.below(3);
            while j < order.len() && order[j].0 == prefix {
                let s = serial.min(u32::from(FIRST_SPECIAL_SERIAL) - 1);
                families[order[j].1 as usize].kk = prefix * 10_000 + u64::from(s);
                serial += 1 + if kk_rng.chance(0.2) {
                    kk_rng.below(4)
                } else {
                    0
                };
                j += 1;
            }
        }

        Self {
            area,
            residents,
            families,
            people,
            seed,
            reference,
        }
    }

    /// The records holding `nik` (empty when unknown; several for a duplicated NIK).
    pub(crate) fn records_of(&self, nik: u64) -> &[Resident] {
        let start = self.residents.partition_point(|r| r.nik < nik);
        let rest = &self.residents[start..];
        let len = rest.partition_point(|r| r.nik == nik);
        &rest[..len]
    }

    /// The family of a record (a placeholder for an out-of-range index, which generation
    /// never produces).
    pub(crate) fn family_of(&self, r: &Resident) -> Family {
        self.families
            .get(r.family as usize)
            .copied()
            .unwrap_or(Family {
                kk: 0,
                village: 0,
                rt: 1,
                rw: 1,
                street: 0,
                house: 0,
            })
    }

    /// A synthetic record for a NIK outside the population (special NIKs, templates): same
    /// NIK, sex and birth date as the NIK says (two-digit year read against `today`), the rest
    /// drawn from the seed and the NIK. `variant` gives a different household (second record
    /// of a duplicate). `None` if the NIK's date is impossible.
    pub(crate) fn phantom(
        &self,
        nik: u64,
        variant: u32,
        today: Date,
    ) -> Option<(Resident, Family)> {
        let (birth, female) = nik::birth_of(nik, today.max(self.reference))?;
        let mut m = Maker::new(
            SimRng::derive(self.seed ^ nik, 0x7068),
            &self.area,
            self.reference,
        );
        let sex = if female { Sex::Female } else { Sex::Male };
        let days = self.reference.to_julian_day() - birth.to_julian_day();
        let age = (f64::from(days.max(0)) / 365.2425) as u32;
        let marital = match age {
            0..=19 => m.ix.belum_kawin,
            20..=29 if m.rng.chance(0.5) => m.ix.belum_kawin,
            _ => m.ix.kawin,
        };
        let name = m.name(sex);
        let mother = m.mother_name();
        let religion = m.religion();
        let mut resident = m.person(sex, age, marital, religion, name, mother, u32::MAX, 0);
        resident.nik = nik;
        resident.birth = u16::try_from(birth.to_julian_day() - EPOCH_JD).unwrap_or(0);

        let mut fm = Maker::new(
            SimRng::derive(self.seed ^ nik, 0x6661 + u64::from(variant)),
            &self.area,
            self.reference,
        );
        let region = nik / 10_000_000_000;
        let own = region / 100
            == u64::from(self.area.province_code) * 100 + u64::from(self.area.regency_code);
        let district = own
            .then(|| self.area.district_by_code((region % 100) as u8))
            .flatten()
            .unwrap_or(0);
        let villages = self
            .area
            .districts
            .get(district)
            .map_or(0..1, |d| d.villages.clone());
        let village = villages.start + fm.rng.index(villages.len());
        let mut family = fm.family(village);
        let prefix = fm.kk_prefix(self.area.district_number(district));
        family.kk = prefix * 10_000 + u64::from(FIRST_SPECIAL_SERIAL) + u64::from(variant % 100);
        Some((resident, family))
    }

    /// Up to `n` record indices spread over the population, deterministic for the seed. With
    /// `active_only`, only records that answer 01 (active, living, NIK not duplicated).
    pub(crate) fn sample(&self, n: usize, active_only: bool) -> Vec<usize> {
        let len = self.residents.len();
        if len == 0 || n == 0 {
            return Vec::new();
        }
        // Walk a permutation i -> (offset + i * stride) mod len, stride coprime with len.
        let gcd = |mut a: usize, mut b: usize| {
            while b != 0 {
                (a, b) = (b, a % b);
            }
            a
        };
        let mut stride = ((len as f64 * 0.618_033_988_7) as usize).max(1);
        while gcd(stride, len) != 1 {
            stride -= 1;
        }
        let offset = (SimRng::derive(self.seed, 6).next_u64() % len as u64) as usize;
        let mut out = Vec::with_capacity(n.min(len));
        for i in 0..len {
            let at = (offset + (i % len) * stride) % len;
            let r = &self.residents[at];
            if !active_only
                || (r.status() == RecordStatus::Active && self.records_of(r.nik).len() == 1)
            {
                out.push(at);
                if out.len() == n {
                    break;
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::region::load_area;

    fn small(seed: u64, n: usize) -> Population {
        Population::generate(
            seed,
            load_area("33.13").unwrap(),
            n,
            time::macros::date!(2025 - 07 - 01),
            AnomalyRates::default(),
        )
    }

    #[test]
    fn attrs_pack_round_trip() {
        let a = Attrs {
            sex: Sex::Female,
            marital: 3,
            religion: 6,
            education: 9,
            blood: 12,
            ektp: 2,
        };
        assert_eq!(Attrs::unpack(a.pack()), a);
    }

    #[test]
    fn deterministic_and_seed_sensitive() {
        let a = small(1, 3000);
        let b = small(1, 3000);
        let c = small(2, 3000);
        assert_eq!(a.residents, b.residents);
        assert_eq!(a.families, b.families);
        assert_ne!(a.residents, c.residents);
        assert_eq!(a.people, 3000);
    }

    #[test]
    fn niks_are_well_formed_unique_and_consistent() {
        let p = small(9, 20_000);
        let reference = p.reference;
        let mut duplicated = 0;
        for w in p.residents.windows(2) {
            assert!(w[0].nik <= w[1].nik);
            if w[0].nik == w[1].nik {
                duplicated += 1;
                assert_ne!(w[0].family, w[1].family);
            }
        }
        assert!(duplicated > 5 && duplicated < 150, "{duplicated}");
        for r in &p.residents {
            let text = nik::digits16(r.nik);
            assert!(text.starts_with("3313"), "{text}");
            assert!(nik::parse_nik(&text, reference).is_some(), "{text}");
            assert!(r.nik % 10_000 < u64::from(FIRST_SPECIAL_SERIAL));
            let (birth, female) = nik::birth_of(r.nik, reference).unwrap();
            assert_eq!(birth, r.birth_date());
            assert_eq!(female, r.sex() == Sex::Female);
            let district = (r.nik / 10_000_000_000) % 100;
            assert!(p.area.district_by_code(district as u8).is_some());
        }
    }

    #[test]
    fn families_share_a_kk_in_their_district() {
        let p = small(4, 10_000);
        let mut kks: Vec<u64> = p.families.iter().map(|f| f.kk).collect();
        kks.sort_unstable();
        kks.dedup();
        assert_eq!(kks.len(), p.families.len(), "KK numbers are unique");
        for f in &p.families {
            let district = p.area.villages[usize::from(f.village)].district;
            assert_eq!(f.kk / 10_000_000_000, p.area.district_number(district));
            let ddmmyy = (f.kk / 10_000) % 1_000_000;
            assert!((1..=31).contains(&(ddmmyy / 10_000)), "{}", f.kk);
        }
        let avg = p.people as f64 / p.families.len() as f64;
        assert!((2.0..4.5).contains(&avg), "household size {avg}");
    }

    #[test]
    fn attributes_are_plausible_for_age() {
        let p = small(5, 30_000);
        let t = tables();
        let ix = &*INDICES;
        let mut deceased = 0;
        let mut inactive = 0;
        let mut titled = 0;
        let mut females = 0;
        for r in &p.residents {
            let a = r.attrs();
            let age = (p.reference.to_julian_day() - r.birth_date().to_julian_day()) / 365;
            assert!((0..=101).contains(&age), "{age}");
            if age < 17 {
                assert_eq!(a.marital, ix.belum_kawin);
                assert!(r.occupation == ix.belum_bekerja || r.occupation == ix.pelajar);
                assert_eq!(r.prefix, 0);
                assert_eq!(r.suffix, 0);
            }
            if r.prefix != 0 || r.suffix != 0 {
                titled += 1;
            }
            assert!(usize::from(r.occupation) < t.pekerjaan.len());
            assert!(usize::from(a.religion) < t.agama.len());
            assert!(usize::from(a.blood) < t.golongan_darah.len());
            assert!(usize::from(r.birthplace) < p.area.birthplaces.len());
            match r.status() {
                RecordStatus::Deceased => deceased += 1,
                RecordStatus::Inactive => inactive += 1,
                RecordStatus::Active => {}
            }
            if a.sex == Sex::Female {
                females += 1;
            }
        }
        let n = p.residents.len() as f64;
        assert!(deceased > 0 && (deceased as f64) < n * 0.03, "{deceased}");
        assert!(inactive > 0 && (inactive as f64) < n * 0.01, "{inactive}");
        assert!(titled > 0 && (titled as f64) < n * 0.1, "{titled}");
        let share = females as f64 / n;
        assert!((0.45..0.56).contains(&share), "{share}");
    }

    #[test]
    fn lookup_and_phantoms() {
        const TODAY: Date = time::macros::date!(2026 - 01 - 01);
        let p = small(6, 2000);
        let r = p.residents[100];
        assert!(p.records_of(r.nik).contains(&r));
        assert!(p.records_of(1).is_empty());
        assert!(p.records_of(u64::MAX).is_empty());
        let nik = 3_313_054_506_859_901;
        let (a, fa) = p.phantom(nik, 0, TODAY).unwrap();
        let (b, fb) = p.phantom(nik, 1, TODAY).unwrap();
        assert_eq!(a.nik, nik);
        assert_eq!(a.sex(), Sex::Female);
        assert_eq!(a.birth_date(), time::macros::date!(1985 - 06 - 05));
        assert_eq!(a, b, "same person");
        assert_ne!(fa.kk, fb.kk, "different households");
        assert_eq!(fa.kk / 10_000_000_000, 331_305);
        assert_eq!(p.phantom(nik, 0, TODAY), p.phantom(nik, 0, TODAY));
        assert!(p.phantom(3_313_053_202_859_901, 0, TODAY).is_none());
        // Born after the census day but before today.
        let (late, _) = p.phantom(3_313_051_011_259_901, 0, TODAY).unwrap();
        assert_eq!(late.birth_date(), time::macros::date!(2025 - 11 - 10));
    }

    #[test]
    fn sample_is_spread_and_active() {
        let p = small(7, 5000);
        let s = p.sample(50, true);
        assert_eq!(s.len(), 50);
        let mut sorted = s.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), 50);
        for i in &s {
            let r = &p.residents[*i];
            assert_eq!(r.status(), RecordStatus::Active);
            assert_eq!(p.records_of(r.nik).len(), 1);
        }
        let districts: std::collections::BTreeSet<u64> = s
            .iter()
            .map(|i| p.residents[*i].nik / 10_000_000_000)
            .collect();
        assert!(districts.len() > 5);
        assert_eq!(p.sample(usize::MAX, false).len(), p.residents.len());
    }
}
