//! Rendering records: a compact [`Resident`] (or an inserted [`ResidentSpec`]) becomes the
//! upstream's all-strings [`Record`], spelled as the configured [`OutputFormat`] says.

use time::Date;

use crate::config::{CodeStyle, DateFormat, OutputFormat, SexSpelling};
use crate::data::tables;
use crate::nik::digits16;
use crate::population::{Family, NONE, Population, RecordStatus, Resident, Sex};
use crate::protocol::Record;

/// A resident given in full, for [`crate::Simulator::insert_resident`]: every string is
/// answered as given (e.g. unique marker strings for a canary test); dates, sex and numbers
/// are spelled per the output format.
///
/// Start from [`crate::Simulator::resident_template`] and change what the test needs.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ResidentSpec {
    /// NIK, 16 digits. Inserting a NIK that already has a record makes it a duplicate (12).
    pub nik: String,
    /// No. KK.
    pub no_kk: String,
    /// NAMA_LGKP.
    pub name: String,
    /// JENIS_KLMIN.
    pub sex: Sex,
    /// TMPT_LHR.
    pub birth_place: String,
    /// TGL_LHR.
    pub birth_date: Date,
    /// STATUS_KAWIN, e.g. `KAWIN`.
    pub marital_status: String,
    /// JENIS_PKRJN, e.g. `WIRASWASTA`.
    pub occupation: String,
    /// ALAMAT (street or hamlet; RT/RW and regions are separate fields).
    pub address: String,
    /// NO_RT.
    pub rt: u16,
    /// NO_RW.
    pub rw: u16,
    /// NO_KEL: four-digit village number within the district (`2001`).
    pub village_code: u16,
    /// KEL_NAME.
    pub village_name: String,
    /// NO_KEC: district number within the regency (`1` for `33.13.01`).
    pub district_code: u8,
    /// KEC_NAME.
    pub district_name: String,
    /// NO_KAB: regency number within the province (`13`).
    pub regency_code: u8,
    /// KAB_NAME.
    pub regency_name: String,
    /// NO_PROP (`33`).
    pub province_code: u8,
    /// PROP_NAME.
    pub province_name: String,
    /// AGAMA (not allowed past the gateway).
    pub religion: String,
    /// PDDK_AKH (not allowed past the gateway).
    pub education: String,
    /// NAMA_LGKP_IBU (not allowed past the gateway).
    pub mother_name: String,
    /// GOL_DARAH (not allowed past the gateway).
    pub blood_type: String,
    /// EKTP_STATUS (not allowed past the gateway).
    pub ektp_status: String,
    /// Registry status (active: 01, deceased: 11, inactive: 14).
    pub status: RecordStatus,
}

/// `TGL_LHR` text.
pub(crate) fn date_text(date: Date, format: DateFormat) -> String {
    let (y, m, d) = (date.year(), u8::from(date.month()), date.day());
    match format {
        DateFormat::DdMmYyyy => format!("{d:02}-{m:02}-{y:04}"),
        DateFormat::YyyyMmDd => format!("{y:04}-{m:02}-{d:02}"),
    }
}

/// `JENIS_KLMIN` text.
pub(crate) fn sex_text(sex: Sex, spelling: SexSpelling) -> &'static str {
    match (sex, spelling) {
        (Sex::Male, SexSpelling::Upper) => "LAKI-LAKI",
        (Sex::Female, SexSpelling::Upper) => "PEREMPUAN",
        (Sex::Male, SexSpelling::Title) => "Laki-laki",
        (Sex::Female, SexSpelling::Title) => "Perempuan",
    }
}

fn code_text(value: u16, width: usize, style: CodeStyle) -> String {
    match style {
        CodeStyle::Padded => format!("{value:0width$}"),
        CodeStyle::Bare => value.to_string(),
    }
}

fn push_part(out: &mut String, part: &str) {
    if !out.is_empty() {
        out.push(' ');
    }
    out.push_str(part);
}

/// NAMA_LGKP of a generated resident: `[PREFIX] GIVEN [SECOND] [SURNAME][, SUFFIX]`.
pub(crate) fn full_name(r: &Resident) -> String {
    let t = tables();
    let (given, surnames) = match r.sex() {
        Sex::Male => (&t.given_male, &t.family_male),
        Sex::Female => (&t.given_female, &t.family_female),
    };
    let mut out = String::with_capacity(40);
    if r.prefix > 0
        && let Some(p) = t.prefix.get(usize::from(r.prefix) - 1)
    {
        push_part(&mut out, &p.text);
    }
    if let Some(g) = given.get(usize::from(r.given)) {
        push_part(&mut out, g);
    }
    if r.second != NONE
        && let Some(g) = given.get(usize::from(r.second))
    {
        push_part(&mut out, g);
    }
    if r.surname != NONE
        && let Some(s) = surnames.get(usize::from(r.surname))
    {
        push_part(&mut out, s);
    }
    if r.suffix > 0
        && let Some(s) = t.suffix.get(usize::from(r.suffix) - 1)
    {
        out.push_str(", ");
        out.push_str(s);
    }
    out
}

/// NAMA_LGKP_IBU of a generated resident.
pub(crate) fn mother_name(r: &Resident) -> String {
    let t = tables();
    let mut out = String::with_capacity(24);
    if let Some(g) = t.given_female.get(usize::from(r.mother_given)) {
        out.push_str(g);
    }
    if r.mother_surname != NONE
        && let Some(s) = t.family_female.get(usize::from(r.mother_surname))
    {
        push_part(&mut out, s);
    }
    out
}

/// ALAMAT of a household: `JL. MAWAR NO. 12` in a kelurahan, `DUSUN KRAJAN` in a desa.
pub(crate) fn address(pop: &Population, f: &Family) -> String {
    let t = tables();
    let urban = pop
        .area
        .villages
        .get(usize::from(f.village))
        .is_some_and(|v| v.is_urban());
    if urban {
        let street = t
            .streets
            .get(usize::from(f.street))
            .copied()
            .unwrap_or("RAYA");
        format!("JL. {street} NO. {}", f.house)
    } else {
        let hamlet = t
            .hamlets
            .get(usize::from(f.street))
            .copied()
            .unwrap_or("KRAJAN");
        format!("DUSUN {hamlet}")
    }
}

/// The full spec of a generated record (for templates and samples).
pub(crate) fn spec_of(pop: &Population, r: &Resident, f: &Family) -> ResidentSpec {
    let t = tables();
    let a = r.attrs();
    let area = &pop.area;
    let village = area.villages.get(usize::from(f.village));
    let district = village.and_then(|v| area.districts.get(v.district));
    let pick =
        |list: &[&'static str], i: u8| list.get(usize::from(i)).copied().unwrap_or("").to_string();
    let ektp = match a.ektp {
        0 => "BELUM WAJIB KTP",
        1 => "ELEKTRONIK",
        _ => "BELUM REKAM",
    };
    ResidentSpec {
        nik: digits16(r.nik),
        no_kk: digits16(f.kk),
        name: full_name(r),
        sex: a.sex,
        birth_place: area
            .birthplaces
            .get(usize::from(r.birthplace))
            .cloned()
            .unwrap_or_default(),
        birth_date: r.birth_date(),
        marital_status: pick(&t.status_kawin, a.marital),
        occupation: pick(&t.pekerjaan, r.occupation),
        address: address(pop, f),
        rt: u16::from(f.rt),
        rw: u16::from(f.rw),
        village_code: village.map_or(0, |v| v.code),
        village_name: village.map(|v| v.name.clone()).unwrap_or_default(),
        district_code: district.map_or(0, |d| d.code),
        district_name: district.map(|d| d.name.clone()).unwrap_or_default(),
        regency_code: area.regency_code,
        regency_name: area.regency_name.clone(),
        province_code: area.province_code,
        province_name: area.province_name.clone(),
        religion: pick(&t.agama, a.religion),
        education: pick(&t.pendidikan, a.education),
        mother_name: mother_name(r),
        blood_type: pick(&t.golongan_darah, a.blood),
        ektp_status: ektp.to_string(),
        status: r.status(),
    }
}

/// The upstream record of a spec, spelled per `format` (moves the strings).
pub(crate) fn into_record(s: ResidentSpec, format: &OutputFormat) -> Record {
    let style = format.codes;
    Record {
        jenis_klmin: sex_text(s.sex, format.sex).to_string(),
        tgl_lhr: date_text(s.birth_date, format.date),
        no_rt: code_text(s.rt, 3, style),
        no_rw: code_text(s.rw, 3, style),
        no_kel: code_text(s.village_code, 4, style),
        no_kec: code_text(u16::from(s.district_code), 2, style),
        no_kab: code_text(u16::from(s.regency_code), 2, style),
        no_prop: code_text(u16::from(s.province_code), 2, style),
        nik: s.nik,
        no_kk: s.no_kk,
        nama_lgkp: s.name,
        tmpt_lhr: s.birth_place,
        status_kawin: s.marital_status,
        jenis_pkrjn: s.occupation,
        alamat: s.address,
        kel_name: s.village_name,
        kec_name: s.district_name,
        kab_name: s.regency_name,
        prop_name: s.province_name,
        agama: s.religion,
        pddk_akh: s.education,
        nama_lgkp_ibu: s.mother_name,
        gol_darah: s.blood_type,
        ektp_status: s.ektp_status,
    }
}

/// The upstream record of a generated resident.
pub(crate) fn record(pop: &Population, r: &Resident, f: &Family, format: &OutputFormat) -> Record {
    into_record(spec_of(pop, r, f), format)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn spellings() {
        assert_eq!(
            date_text(date!(1990 - 02 - 03), DateFormat::DdMmYyyy),
            "03-02-1990"
        );
        assert_eq!(
            date_text(date!(1990 - 02 - 03), DateFormat::YyyyMmDd),
            "1990-02-03"
        );
        assert_eq!(sex_text(Sex::Female, SexSpelling::Title), "Perempuan");
        assert_eq!(sex_text(Sex::Male, SexSpelling::Upper), "LAKI-LAKI");
        assert_eq!(code_text(3, 3, CodeStyle::Padded), "003");
        assert_eq!(code_text(3, 3, CodeStyle::Bare), "3");
        assert_eq!(code_text(2001, 4, CodeStyle::Padded), "2001");
    }
}
