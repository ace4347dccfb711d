//! Strings of the Cek NIK page and the "Masalah akses" card (Bahasa Indonesia and English),
//! and the words for every outcome code the page can meet.

use crate::outcome::About;

/// Every string of the Cek NIK page.
pub struct CheckTexts {
    pub nav: &'static str,
    pub title: &'static str,
    pub lead: &'static str,
    pub nik_label: &'static str,
    pub decoded_title: &'static str,
    pub province: &'static str,
    pub regency: &'static str,
    pub district: &'static str,
    pub region_unknown: &'static str,
    pub sex: &'static str,
    pub male: &'static str,
    pub female: &'static str,
    pub birth_date: &'static str,
    pub invalid: &'static str,
    pub purpose_label: &'static str,
    pub purpose_hint: &'static str,
    pub mode_label: &'static str,
    pub mode_lookup: &'static str,
    pub mode_verify: &'static str,
    pub claims_title: &'static str,
    pub sex_none: &'static str,
    pub submit_lookup: &'static str,
    pub submit_verify: &'static str,
    pub busy: &'static str,
    pub clear: &'static str,
    pub result_title: &'static str,
    pub result_note: &'static str,
    pub multiple_records: &'static str,
    pub sesuai: &'static str,
    pub tidak_sesuai: &'static str,
    pub score: &'static str,
    pub col_element: &'static str,
    pub col_value: &'static str,
    pub col_verdict: &'static str,
    pub about_resident: &'static str,
    pub about_access: &'static str,
    pub about_input: &'static str,
    pub quota_title: &'static str,
    pub quota_used: &'static str,
    pub quota_remaining: &'static str,
    pub quota_resets: &'static str,
    pub quota_exhausted: &'static str,
    pub quota_none: &'static str,
    pub earlier_title: &'static str,
    pub earlier_by: &'static str,
    pub earlier_outcome: &'static str,
    pub earlier_confirm: &'static str,
    pub earlier_cancel: &'static str,
    pub kind_lookup: &'static str,
    pub kind_verify: &'static str,
    pub problems_title: &'static str,
    pub problems_lead: &'static str,
    pub problems_none: &'static str,
    pub col_time: &'static str,
    pub col_code: &'static str,
    pub col_user: &'static str,
    pub col_channel: &'static str,
    pub col_problem: &'static str,
    /// Labels of the nine elements and the claimable ones, by stable code.
    pub elements: [(&'static str, &'static str); 9],
}

pub static ID: CheckTexts = CheckTexts {
    nav: "Cek NIK",
    title: "Cek NIK",
    lead: "Cari atau verifikasi data penduduk berdasarkan NIK. Setiap permintaan ke Dukcapil memakai satu kuota dan tercatat di jejak audit; hasilnya hanya ditampilkan sekali dan tidak disimpan.",
    nik_label: "NIK (16 digit)",
    decoded_title: "Dibaca dari NIK (di peramban, tanpa kuota)",
    province: "Provinsi",
    regency: "Kabupaten/kota",
    district: "Kecamatan",
    region_unknown: "tidak ditemukan di tabel wilayah",
    sex: "Jenis kelamin",
    male: "Laki-laki",
    female: "Perempuan",
    birth_date: "Tanggal lahir",
    invalid: "NIK tidak valid",
    purpose_label: "Keperluan (mis. kejadian bencana)",
    purpose_hint: "Wajib, paling banyak 200 karakter. Tercatat di jejak audit.",
    mode_label: "Jenis pemeriksaan",
    mode_lookup: "Cari data",
    mode_verify: "Verifikasi data",
    claims_title: "Data yang diverifikasi (isi yang diketahui)",
    sex_none: "—",
    submit_lookup: "Cari",
    submit_verify: "Verifikasi",
    busy: "Memproses…",
    clear: "Bersihkan",
    result_title: "Hasil",
    result_note: "Hasil ini hanya ada di halaman ini: tidak disimpan, hilang saat Anda menekan Bersihkan atau meninggalkan halaman.",
    multiple_records: "Perhatian: Dukcapil mencatat lebih dari satu data untuk NIK ini (kode 12).",
    sesuai: "Sesuai",
    tidak_sesuai: "Tidak Sesuai",
    score: "skor",
    col_element: "Elemen",
    col_value: "Data",
    col_verdict: "Hasil",
    about_resident: "Hasil identitas (tentang penduduk)",
    about_access: "Masalah akses instansi (bukan tentang penduduk)",
    about_input: "Periksa isian",
    quota_title: "Kuota hari ini",
    quota_used: "Terpakai",
    quota_remaining: "Sisa",
    quota_resets: "Kuota baru",
    quota_exhausted: "Kuota hari ini habis.",
    quota_none: "Akun ini belum terhubung dengan ID pengguna Dukcapil yang aktif.",
    earlier_title: "NIK ini sudah diperiksa instansi Anda",
    earlier_by: "oleh",
    earlier_outcome: "hasil",
    earlier_confirm: "Tetap periksa (memakai 1 kuota)",
    earlier_cancel: "Batal",
    kind_lookup: "pencarian",
    kind_verify: "verifikasi",
    problems_title: "Masalah akses",
    problems_lead: "Permintaan NIK 7 hari terakhir yang gagal karena akses instansi (bukan karena data penduduk). Tidak ada data penduduk di sini.",
    problems_none: "Tidak ada masalah akses dalam 7 hari terakhir.",
    col_time: "Waktu",
    col_code: "Kode",
    col_user: "Petugas",
    col_channel: "Kanal",
    col_problem: "Masalah",
    elements: [
        ("no_kk", "No. KK"),
        ("nik", "NIK"),
        ("nama_lengkap", "Nama lengkap"),
        ("jenis_kelamin", "Jenis kelamin"),
        ("tempat_lahir", "Tempat lahir"),
        ("tanggal_lahir", "Tanggal lahir"),
        ("status_perkawinan", "Status perkawinan"),
        ("jenis_pekerjaan", "Jenis pekerjaan"),
        ("alamat", "Alamat"),
    ],
};

pub static EN: CheckTexts = CheckTexts {
    nav: "Check NIK",
    title: "Check NIK",
    lead: "Look a resident up or verify their data by NIK. Every request to Dukcapil uses one quota hit and is recorded in the audit trail; the result is shown once and never stored.",
    nik_label: "NIK (16 digits)",
    decoded_title: "Read from the NIK (in the browser, no quota)",
    province: "Province",
    regency: "Regency/city",
    district: "District",
    region_unknown: "not in the region table",
    sex: "Sex",
    male: "Male",
    female: "Female",
    birth_date: "Date of birth",
    invalid: "Invalid NIK",
    purpose_label: "Purpose (e.g. the disaster event)",
    purpose_hint: "Required, at most 200 characters. Recorded in the audit trail.",
    mode_label: "Kind of check",
    mode_lookup: "Look up",
    mode_verify: "Verify data",
    claims_title: "Data to verify (fill in what you know)",
    sex_none: "—",
    submit_lookup: "Look up",
    submit_verify: "Verify",
    busy: "Working…",
    clear: "Clear",
    result_title: "Result",
    result_note: "This result exists only on this page: it is not stored and disappears when you press Clear or leave the page.",
    multiple_records: "Attention: Dukcapil holds more than one record for this NIK (code 12).",
    sesuai: "Match",
    tidak_sesuai: "No match",
    score: "score",
    col_element: "Element",
    col_value: "Data",
    col_verdict: "Result",
    about_resident: "Identity result (about the resident)",
    about_access: "Institution access problem (not about the resident)",
    about_input: "Check your input",
    quota_title: "Today's quota",
    quota_used: "Used",
    quota_remaining: "Remaining",
    quota_resets: "New quota",
    quota_exhausted: "Today's quota is used up.",
    quota_none: "This account is not linked to an active Dukcapil user ID.",
    earlier_title: "Your institution already checked this NIK",
    earlier_by: "by",
    earlier_outcome: "result",
    earlier_confirm: "Check again (uses 1 quota hit)",
    earlier_cancel: "Cancel",
    kind_lookup: "look-up",
    kind_verify: "verification",
    problems_title: "Access problems",
    problems_lead: "NIK requests of the last 7 days that failed because of the institution's access (not because of a resident's data). No population data here.",
    problems_none: "No access problems in the last 7 days.",
    col_time: "Time",
    col_code: "Code",
    col_user: "Operator",
    col_channel: "Channel",
    col_problem: "Problem",
    elements: [
        ("no_kk", "Family card no."),
        ("nik", "NIK"),
        ("nama_lengkap", "Full name"),
        ("jenis_kelamin", "Sex"),
        ("tempat_lahir", "Place of birth"),
        ("tanggal_lahir", "Date of birth"),
        ("status_perkawinan", "Marital status"),
        ("jenis_pekerjaan", "Occupation"),
        ("alamat", "Address"),
    ],
};

impl CheckTexts {
    fn id(&self) -> bool {
        std::ptr::eq(self, &ID)
    }

    /// The label of an element code; the code if unknown.
    pub fn element<'a>(&self, code: &'a str) -> &'a str {
        self.elements
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(_, l)| *l)
            .unwrap_or(code)
    }

    /// The heading that says what a message is about.
    pub fn about(&self, about: About) -> &'static str {
        match about {
            About::Resident | About::Success => self.about_resident,
            About::Access => self.about_access,
            About::Input => self.about_input,
        }
    }

    /// Words for an invalid NIK's code (the Indonesian ones come from `domain::nik`).
    pub fn nik_error(&self, e: &domain::nik::NikError) -> String {
        use domain::nik::NikError;
        if self.id() {
            return e.to_string();
        }
        match e {
            NikError::NotDigits { found } => format!("only digits are allowed; found {found:?}"),
            NikError::Length { found } => format!("a NIK has 16 digits, not {found}"),
            NikError::UnknownProvince { code } => format!("province code {code:02} is unknown"),
            NikError::BadDate { .. } => {
                "the birth-date digits are no date (day 01-31 for men, 41-71 for women)".into()
            }
            NikError::ZeroSerial => "the last four digits may not be 0000".into(),
        }
    }

    /// A clear message for an outcome code: upstream codes, local refusals, unavailability.
    pub fn code_message(&self, code: &str) -> String {
        let id = self.id();
        let pick = |i: &str, e: &str| if id { i.to_string() } else { e.to_string() };
        if let Some(reason) = code.strip_prefix("UNAVAILABLE") {
            let reason = reason.trim_start_matches('_').to_ascii_lowercase();
            return if id {
                format!(
                    "Layanan Dukcapil tidak dapat dihubungi ({reason}). Coba lagi nanti; bila berulang, hubungi admin instansi."
                )
            } else {
                format!(
                    "The Dukcapil service could not be reached ({reason}). Try again later; if it keeps happening, tell the institution admin."
                )
            };
        }
        match code {
            "01" => pick("Data ditemukan.", "Resident found."),
            "12" => pick(
                "Data ditemukan lebih dari satu; periksa dengan Disdukcapil.",
                "More than one record found; check with Disdukcapil.",
            ),
            "11" => pick(
                "Data ditemukan dengan status meninggal.",
                "Record found; the resident is recorded as deceased.",
            ),
            "08" => pick(
                "NIK tidak dapat diproses Dukcapil (mis. NIK ganda); hubungi Disdukcapil.",
                "Dukcapil cannot process this NIK (e.g. a duplicate); contact Disdukcapil.",
            ),
            "13" => pick(
                "NIK tidak ditemukan di database kependudukan.",
                "NIK not found in the population register.",
            ),
            "14" => pick(
                "Data penduduk tidak aktif.",
                "The resident's record is inactive.",
            ),
            "15" => pick(
                "Data tidak ditemukan: NIK tidak sesuai format Dukcapil.",
                "Not found: the NIK does not match Dukcapil's format.",
            ),
            "03" => pick(
                "Login ke Dukcapil gagal (user ID atau password salah). Hubungi admin instansi.",
                "Sign-in to Dukcapil failed (wrong user ID or password). Tell the institution admin.",
            ),
            "04" | "10" => pick(
                "Alamat IP server tidak sesuai/terdaftar di Dukcapil. Hubungi admin instansi.",
                "The server's IP address is not registered with Dukcapil. Tell the institution admin.",
            ),
            "05" | "QUOTA_EXHAUSTED" => pick(
                "Kuota harian ID pengguna Dukcapil habis; kuota baru tersedia pukul 00.00 WIB.",
                "The Dukcapil user ID's daily quota is used up; a new quota starts at 00:00 WIB.",
            ),
            "OPERATOR_QUOTA_EXHAUSTED" => pick(
                "Batas harian Anda sebagai petugas tercapai; batas baru berlaku pukul 00.00 WIB.",
                "Your own daily limit is reached; it resets at 00:00 WIB.",
            ),
            "06" => pick(
                "Akses di luar jam layanan Dukcapil.",
                "Outside Dukcapil's service hours.",
            ),
            "07" | "09" => pick(
                "Permintaan ke Dukcapil tidak lengkap (konfigurasi). Hubungi admin instansi.",
                "The request to Dukcapil was incomplete (configuration). Tell the institution admin.",
            ),
            "16" => pick(
                "Instansi tidak aktif di Dukcapil. Hubungi admin instansi.",
                "The institution is inactive at Dukcapil. Tell the institution admin.",
            ),
            "17" | "USER_ID_NOT_ACTIVE" | "USER_ID_UNKNOWN" => pick(
                "ID pengguna Dukcapil akun ini tidak aktif atau dicabut. Hubungi admin instansi.",
                "This account's Dukcapil user ID is not active or was revoked. Tell the institution admin.",
            ),
            "NDA_REQUIRED" => pick(
                "Setujui pernyataan kerahasiaan (NDA) versi terbaru lebih dulu.",
                "Accept the latest non-disclosure agreement (NDA) first.",
            ),
            "INVALID_NIK" => pick("NIK tidak valid.", "Invalid NIK."),
            "PURPOSE_REQUIRED" => pick(
                "Keperluan (mis. kejadian bencana) wajib diisi.",
                "The purpose (e.g. the disaster event) is required.",
            ),
            "PURPOSE_TOO_LONG" => pick(
                "Keperluan paling banyak 200 karakter.",
                "The purpose may have at most 200 characters.",
            ),
            "CLAIMED_REQUIRED" => pick(
                "Isi minimal satu data yang akan diverifikasi.",
                "Fill in at least one element to verify.",
            ),
            "CLAIM_INVALID" => pick(
                "Data verifikasi tidak valid (tanggal TTTT-BB-HH, jenis kelamin L/P).",
                "Invalid verification data (date YYYY-MM-DD, sex L/P).",
            ),
            "UPSTREAM_NOT_CONFIGURED" => pick(
                "Layanan Dukcapil belum dikonfigurasi di server ini. Hubungi admin instansi.",
                "The Dukcapil service is not configured on this server. Tell the institution admin.",
            ),
            "AUDIT_UNAVAILABLE" => pick(
                "Jejak audit tidak tersedia, akses ditolak. Hubungi admin instansi.",
                "The audit trail is unavailable, so access is refused. Tell the institution admin.",
            ),
            "NO_AGREEMENT"
            | "AGREEMENT_DRAFT"
            | "AGREEMENT_SUSPENDED"
            | "AGREEMENT_TERMINATED"
            | "AGREEMENT_NOT_STARTED"
            | "AGREEMENT_EXPIRED"
            | "SPTJM_MISSING" => {
                let t = if id {
                    &crate::i18n::ID
                } else {
                    &crate::i18n::EN
                };
                let reason = t.access_reason(code);
                if id {
                    format!("Akses instansi tidak aktif: {reason}.")
                } else {
                    format!("The institution's access is not active: {reason}.")
                }
            }
            other => {
                if id {
                    format!("Kode jawaban {other}.")
                } else {
                    format!("Answer code {other}.")
                }
            }
        }
    }
}
