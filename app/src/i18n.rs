//! Interface language: Bahasa Indonesia by default, English on request.
//!
//! The choice lives in the `sigap_lang` cookie so the server renders the same language the
//! browser shows (no flash after hydration). All UI strings are in [`Texts`].

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

pub mod check;

/// A supported interface language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Lang {
    #[default]
    Id,
    En,
}

/// Name of the cookie that remembers the language (not personal data).
pub const LANG_COOKIE: &str = "sigap_lang";

impl Lang {
    /// The BCP 47 code, for `<html lang>` and the cookie.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Id => "id",
            Lang::En => "en",
        }
    }

    /// The other language, for the toggle.
    pub fn other(self) -> Lang {
        match self {
            Lang::Id => Lang::En,
            Lang::En => Lang::Id,
        }
    }

    /// Reads the language from a `Cookie` header value; anything unknown means Indonesian.
    pub fn from_cookie_str(cookies: &str) -> Lang {
        cookies
            .split(';')
            .filter_map(|c| c.trim().split_once('='))
            .find(|(k, _)| *k == LANG_COOKIE)
            .map(|(_, v)| if v.trim() == "en" { Lang::En } else { Lang::Id })
            .unwrap_or_default()
    }

    #[cfg(feature = "ssr")]
    pub fn from_cookie_header(value: Option<&http::HeaderValue>) -> Lang {
        value
            .and_then(|v| v.to_str().ok())
            .map(Lang::from_cookie_str)
            .unwrap_or_default()
    }

    /// All strings of the interface in this language.
    pub fn texts(self) -> &'static Texts {
        match self {
            Lang::Id => &ID,
            Lang::En => &EN,
        }
    }
}

/// Every user-visible string of the portal shell.
pub struct Texts {
    pub toggle_label: &'static str,
    pub toggle_title: &'static str,
    pub tagline: &'static str,
    pub nav_home: &'static str,
    pub nav_status: &'static str,
    pub demo_badge: &'static str,
    pub no_institution: &'static str,
    pub home_title: &'static str,
    pub home_lead: &'static str,
    pub home_rules_title: &'static str,
    pub home_rules: [&'static str; 4],
    pub home_elements_title: &'static str,
    pub home_elements_toggle_show: &'static str,
    pub home_elements_toggle_hide: &'static str,
    pub elements: [&'static str; 9],
    pub status_title: &'static str,
    pub status_version: &'static str,
    pub status_database: &'static str,
    pub status_ready: &'static str,
    pub status_not_ready: &'static str,
    pub status_migrations: &'static str,
    pub loading: &'static str,
    pub not_found_title: &'static str,
    pub not_found_body: &'static str,
    pub back_home: &'static str,
    pub error_title: &'static str,
    pub error_body: &'static str,
    pub nav_sign_in: &'static str,
    pub sign_out: &'static str,
    pub signed_in_as: &'static str,
    pub sign_in_title: &'static str,
    pub sign_in_lead: &'static str,
    pub username_label: &'static str,
    pub password_label: &'static str,
    pub sign_in_submit: &'static str,
    pub err_sign_in_failed: &'static str,
    /// `{}` is replaced by the seconds to wait.
    pub err_too_many_attempts: &'static str,
    pub err_auth_required: &'static str,
    pub err_second_factor: &'static str,
    pub err_forbidden: &'static str,
    pub err_request: &'static str,
    pub err_rejected: &'static str,
    pub nda_title: &'static str,
    pub nda_lead: &'static str,
    pub nda_version: &'static str,
    pub nda_accept: &'static str,
    pub nda_accepted: &'static str,
    pub nda_pending_title: &'static str,
    pub nda_pending_body: &'static str,
    pub nda_open: &'static str,
    pub passkey_enrol_title: &'static str,
    pub passkey_enrol_lead: &'static str,
    pub passkey_name_label: &'static str,
    pub passkey_register: &'static str,
    pub verify_title: &'static str,
    pub verify_lead: &'static str,
    pub verify_passkey: &'static str,
    pub recovery_label: &'static str,
    pub recovery_submit: &'static str,
    pub passkey_cancelled: &'static str,
    pub passkey_unsupported: &'static str,
    pub nav_account: &'static str,
    pub nav_nda: &'static str,
    pub account_title: &'static str,
    pub account_name: &'static str,
    pub account_role: &'static str,
    pub account_institution: &'static str,
    pub account_recovery_remaining: &'static str,
    pub account_passkeys: &'static str,
    pub account_passkey_remove: &'static str,
    pub account_passkey_add: &'static str,
    pub account_recovery_title: &'static str,
    pub account_recovery_lead: &'static str,
    pub account_recovery_generate: &'static str,
    pub account_recovery_once: &'static str,
    pub account_sessions_title: &'static str,
    pub account_sign_out_everywhere: &'static str,
    pub nav_admin: &'static str,
    pub nav_disdukcapil: &'static str,
    pub admin_title: &'static str,
    pub admin_access: &'static str,
    pub admin_access_active: &'static str,
    pub admin_accounts: &'static str,
    pub admin_col_username: &'static str,
    pub admin_col_name: &'static str,
    pub admin_col_role: &'static str,
    pub admin_col_local_user_id: &'static str,
    pub admin_col_status: &'static str,
    pub admin_col_nda: &'static str,
    pub admin_status_active: &'static str,
    pub admin_status_inactive: &'static str,
    pub admin_nda_current: &'static str,
    pub admin_nda_none: &'static str,
    pub admin_deactivate: &'static str,
    pub admin_deactivate_confirm: &'static str,
    pub admin_deactivate_yes: &'static str,
    pub admin_cancel: &'static str,
    pub admin_deactivated: &'static str,
    pub admin_history: &'static str,
    pub admin_col_from: &'static str,
    pub admin_col_until: &'static str,
    pub admin_current: &'static str,
    pub admin_agreements: &'static str,
    pub admin_no_agreements: &'static str,
    pub agreement_numbers: &'static str,
    pub agreement_status: &'static str,
    pub agreement_validity: &'static str,
    pub agreement_addenda: &'static str,
    pub agreement_sptjm: &'static str,
    pub agreement_sptjm_missing: &'static str,
    pub dk_title: &'static str,
    pub dk_institutions: &'static str,
    pub dk_col_code: &'static str,
    pub dk_open: &'static str,
    pub dk_user_ids: &'static str,
    pub dk_no_user_ids: &'static str,
    pub dk_col_dukcapil_user_id: &'static str,
    pub dk_col_position: &'static str,
    pub dk_col_credential: &'static str,
    pub dk_credential_stored: &'static str,
    pub dk_credential_none: &'static str,
    pub dk_activate: &'static str,
    pub dk_revoke: &'static str,
    pub dk_reason: &'static str,
    pub ag_manage: &'static str,
    pub ag_new: &'static str,
    pub ag_new_title: &'static str,
    pub ag_edit_title: &'static str,
    pub ag_institution_number: &'static str,
    pub ag_dukcapil_number: &'static str,
    pub ag_institution_party: &'static str,
    pub ag_dukcapil_party: &'static str,
    pub ag_signed_on: &'static str,
    pub ag_valid_from: &'static str,
    pub ag_valid_to: &'static str,
    pub ag_elements: &'static str,
    pub ag_quota: &'static str,
    pub ag_create: &'static str,
    pub ag_save: &'static str,
    pub ag_addendum_title: &'static str,
    pub ag_addendum_number: &'static str,
    pub ag_addendum_valid_to: &'static str,
    pub ag_addendum_note: &'static str,
    pub ag_addendum_submit: &'static str,
    pub ag_sptjm_title: &'static str,
    pub ag_sptjm_name: &'static str,
    pub ag_sptjm_position: &'static str,
    pub ag_sptjm_signed_on: &'static str,
    pub ag_sptjm_submit: &'static str,
    pub ag_status_title: &'static str,
    pub ag_close: &'static str,
    pub ag_saved: &'static str,
    pub ag_daily_quota: &'static str,
    pub ag_parties: &'static str,
    pub notice_title: &'static str,
    pub notice_lead: &'static str,
    pub notice_none: &'static str,
    pub notice_col_when: &'static str,
    pub notice_col_sender: &'static str,
    pub notice_col_what: &'static str,
    pub notice_col_reference: &'static str,
    pub notice_new: &'static str,
    pub notice_account: &'static str,
    pub notice_account_none: &'static str,
    pub notice_submit: &'static str,
    pub notice_saved: &'static str,
    pub token_title: &'static str,
    pub token_lead: &'static str,
    pub token_back: &'static str,
    pub token_link: &'static str,
    pub token_list: &'static str,
    pub token_none: &'static str,
    pub token_col_prefix: &'static str,
    pub token_col_account: &'static str,
    pub token_col_purpose: &'static str,
    pub token_col_created: &'static str,
    pub token_col_last_used: &'static str,
    pub token_col_expires: &'static str,
    pub token_col_state: &'static str,
    pub token_purpose_none: &'static str,
    pub token_never: &'static str,
    pub token_no_expiry: &'static str,
    pub token_new: &'static str,
    pub token_no_accounts: &'static str,
    pub token_purpose_hint: &'static str,
    pub token_expires_days: &'static str,
    pub token_expires_hint: &'static str,
    pub token_submit: &'static str,
    pub token_shown_once: &'static str,
    pub token_copy: &'static str,
    pub token_copied: &'static str,
    pub token_revoke: &'static str,
    pub token_revoke_confirm: &'static str,
    pub token_revoke_yes: &'static str,
    pub token_revoked_ok: &'static str,
    pub token_state_active: &'static str,
    pub token_state_expired: &'static str,
    pub token_state_revoked: &'static str,
    pub token_state_account_inactive: &'static str,
    pub nav_oversight: &'static str,
    /// The audit page (`/jejak-audit`).
    pub audit: &'static AuditTexts,
    pub oversight_title: &'static str,
    pub oversight_lead: &'static str,
    pub oversight_nda_count: &'static str,
    pub oversight_signatures: &'static str,
    pub oversight_not_current: &'static str,
    pub oversight_no_people: &'static str,
    pub account_password_title: &'static str,
    pub account_password_lead: &'static str,
    pub account_password_current: &'static str,
    pub account_password_new: &'static str,
    pub account_password_confirm: &'static str,
    pub account_password_submit: &'static str,
    pub account_password_changed: &'static str,
    /// Role labels by stable role code.
    pub roles: [(&'static str, &'static str); 7],
    pub footer: &'static str,
}

/// Bahasa Indonesia.
pub static ID: Texts = Texts {
    toggle_label: "English",
    toggle_title: "Switch the interface to English",
    tagline: "Gerbang akses data kependudukan",
    nav_home: "Beranda",
    nav_status: "Status Sistem",
    demo_badge: "MODE DEMO · data sintetis",
    no_institution: "Instansi belum dikonfigurasi",
    home_title: "Selamat datang di SIGAP",
    home_lead: "SIGAP membantu petugas memverifikasi korban bencana dan penerima bantuan berdasarkan NIK, \
                sesuai Perjanjian Kerja Sama dengan Disdukcapil: cepat, sah, dan aman.",
    home_rules_title: "Prinsip akses",
    home_rules: [
        "Akses hanya dengan NIK, melalui jaringan tertutup.",
        "Verifikasi lalu lupakan: data kependudukan tidak disimpan oleh instansi.",
        "Setiap akses tercatat: siapa, kapan, dan untuk keperluan apa.",
        "Kuota 1.000 NIK per hari per User ID (hari WIB).",
    ],
    home_elements_title: "Elemen data yang boleh ditampilkan",
    home_elements_toggle_show: "Tampilkan elemen data",
    home_elements_toggle_hide: "Sembunyikan elemen data",
    elements: [
        "No KK",
        "NIK",
        "Nama lengkap",
        "Jenis kelamin",
        "Tempat lahir",
        "Tanggal lahir",
        "Status perkawinan",
        "Jenis pekerjaan",
        "Alamat",
    ],
    status_title: "Status Sistem",
    status_version: "Versi",
    status_database: "Basis data",
    status_ready: "Siap",
    status_not_ready: "Belum siap",
    status_migrations: "Migrasi diterapkan",
    loading: "Memuat…",
    not_found_title: "Halaman tidak ditemukan",
    not_found_body: "Alamat yang Anda buka tidak ada di SIGAP.",
    back_home: "Kembali ke Beranda",
    error_title: "Terjadi kesalahan",
    error_body: "Permintaan tidak dapat diproses. Sebutkan kode rujukan ini kepada admin:",
    nav_sign_in: "Masuk",
    sign_out: "Keluar",
    signed_in_as: "Masuk sebagai",
    sign_in_title: "Masuk ke SIGAP",
    sign_in_lead: "Gunakan akun yang diberikan admin instansi Anda.",
    username_label: "Nama pengguna",
    password_label: "Kata sandi",
    sign_in_submit: "Masuk",
    err_sign_in_failed: "Nama pengguna atau kata sandi salah.",
    err_too_many_attempts: "Terlalu banyak percobaan yang gagal. Coba lagi dalam {} detik.",
    err_auth_required: "Silakan masuk terlebih dahulu.",
    err_second_factor: "Verifikasi langkah kedua diperlukan: gunakan passkey atau kode pemulihan Anda.",
    err_forbidden: "Anda tidak berwenang membuka halaman ini.",
    err_request: "Permintaan gagal. Periksa sambungan lalu coba lagi.",
    err_rejected: "Permintaan ditolak:",
    nda_title: "Pernyataan Kerahasiaan (NDA)",
    nda_lead: "Sebelum mengakses data kependudukan, Anda wajib menyetujui pernyataan kerahasiaan instansi Anda.",
    nda_version: "Versi",
    nda_accept: "Saya setuju",
    nda_accepted: "Anda telah menyetujui versi ini.",
    nda_pending_title: "NDA belum disetujui",
    nda_pending_body: "Setujui pernyataan kerahasiaan (NDA) instansi Anda sebelum mengakses data kependudukan.",
    nda_open: "Baca dan setujui NDA",
    passkey_enrol_title: "Daftarkan passkey",
    passkey_enrol_lead: "Peran Anda memerlukan verifikasi langkah kedua. Daftarkan passkey (sidik jari, \
                         PIN perangkat, atau kunci keamanan) untuk menyelesaikan proses masuk.",
    passkey_name_label: "Nama passkey (opsional)",
    passkey_register: "Daftarkan passkey",
    verify_title: "Verifikasi langkah kedua",
    verify_lead: "Gunakan passkey Anda, atau salah satu kode pemulihan yang pernah Anda simpan.",
    verify_passkey: "Gunakan passkey",
    recovery_label: "Kode pemulihan",
    recovery_submit: "Gunakan kode pemulihan",
    passkey_cancelled: "Passkey dibatalkan atau tidak tersedia. Silakan coba lagi.",
    passkey_unsupported: "Peramban ini tidak mendukung passkey. Gunakan kode pemulihan.",
    nav_account: "Akun",
    nav_nda: "NDA",
    account_title: "Akun saya",
    account_name: "Nama",
    account_role: "Peran",
    account_institution: "Instansi",
    account_recovery_remaining: "Sisa kode pemulihan",
    account_passkeys: "Passkey",
    account_passkey_remove: "Hapus",
    account_passkey_add: "Tambah passkey",
    account_recovery_title: "Kode pemulihan",
    account_recovery_lead: "Kode pemulihan dipakai bila passkey tidak tersedia. Membuat kode baru \
                            membatalkan kode lama.",
    account_recovery_generate: "Buat kode pemulihan baru",
    account_recovery_once: "Simpan kode ini di tempat aman sekarang: kode hanya ditampilkan sekali.",
    account_sessions_title: "Sesi",
    account_sign_out_everywhere: "Keluar dari semua perangkat",
    nav_admin: "Admin Instansi",
    nav_disdukcapil: "Admin Disdukcapil",
    admin_title: "Administrasi instansi",
    admin_access: "Status akses",
    admin_access_active: "Aktif sampai",
    admin_accounts: "Petugas dan akun",
    admin_col_username: "Nama pengguna",
    admin_col_name: "Nama",
    admin_col_role: "Peran",
    admin_col_local_user_id: "ID pengguna lokal",
    admin_col_status: "Status",
    admin_col_nda: "NDA disetujui",
    admin_status_active: "Aktif",
    admin_status_inactive: "Nonaktif",
    admin_nda_current: "NDA versi berlaku",
    admin_nda_none: "belum",
    admin_deactivate: "Nonaktifkan",
    admin_deactivate_confirm: "Nonaktifkan akun ini? Semua sesinya segera berakhir dan tindakan ini tidak dapat dibatalkan.",
    admin_deactivate_yes: "Ya, nonaktifkan",
    admin_cancel: "Batal",
    admin_deactivated: "Akun telah dinonaktifkan.",
    admin_history: "Riwayat ID pengguna lokal",
    admin_col_from: "Sejak",
    admin_col_until: "Sampai",
    admin_current: "sekarang",
    admin_agreements: "Perjanjian kerja sama (PKS)",
    admin_no_agreements: "Belum ada perjanjian kerja sama.",
    agreement_numbers: "Nomor (instansi / Disdukcapil)",
    agreement_status: "Status",
    agreement_validity: "Masa berlaku",
    agreement_addenda: "Adendum",
    agreement_sptjm: "SPTJM",
    agreement_sptjm_missing: "SPTJM belum tercatat",
    dk_title: "Administrasi Disdukcapil",
    dk_institutions: "Instansi",
    dk_col_code: "Kode",
    dk_open: "Buka",
    dk_user_ids: "Permohonan ID pengguna Dukcapil",
    dk_no_user_ids: "Belum ada permohonan.",
    dk_col_dukcapil_user_id: "ID pengguna Dukcapil",
    dk_col_position: "Jabatan",
    dk_col_credential: "Kredensial",
    dk_credential_stored: "tersimpan",
    dk_credential_none: "belum",
    dk_activate: "Setujui dan aktifkan",
    dk_revoke: "Tolak / cabut",
    dk_reason: "Alasan",
    ag_manage: "Kelola",
    ag_new: "Tambah PKS",
    ag_new_title: "PKS baru (disimpan sebagai draf)",
    ag_edit_title: "Ubah PKS (hanya selama draf)",
    ag_institution_number: "Nomor PKS di instansi",
    ag_dukcapil_number: "Nomor PKS di Disdukcapil",
    ag_institution_party: "Pihak instansi (nama, jabatan)",
    ag_dukcapil_party: "Pihak Disdukcapil (nama, jabatan)",
    ag_signed_on: "Tanggal penandatanganan",
    ag_valid_from: "Berlaku mulai",
    ag_valid_to: "Berlaku sampai",
    ag_elements: "Elemen data yang diizinkan",
    ag_quota: "Kuota harian (NIK per hari per User ID)",
    ag_create: "Simpan draf PKS",
    ag_save: "Simpan perubahan",
    ag_addendum_title: "Tambah adendum (perpanjangan masa berlaku)",
    ag_addendum_number: "Nomor adendum",
    ag_addendum_valid_to: "Berlaku sampai (baru)",
    ag_addendum_note: "Catatan (opsional)",
    ag_addendum_submit: "Tambah adendum",
    ag_sptjm_title: "Catat SPTJM penanggung jawab",
    ag_sptjm_name: "Nama penanda tangan",
    ag_sptjm_position: "Jabatan penanda tangan",
    ag_sptjm_signed_on: "Tanggal SPTJM",
    ag_sptjm_submit: "Catat SPTJM",
    ag_status_title: "Status",
    ag_close: "Tutup",
    ag_saved: "Perubahan tersimpan dan tercatat di jejak audit.",
    ag_daily_quota: "Kuota harian",
    ag_parties: "Para pihak",
    notice_title: "Pemberitahuan perubahan petugas ke Disdukcapil",
    notice_lead: "Catat setiap pemberitahuan yang dikirim ke Disdukcapil saat petugas pindah, berhenti, atau berganti ID pengguna lokal.",
    notice_none: "Belum ada pemberitahuan tercatat.",
    notice_col_when: "Tanggal dikirim",
    notice_col_sender: "Pengirim (nama, jabatan)",
    notice_col_what: "Perubahan",
    notice_col_reference: "Nomor surat / referensi",
    notice_new: "Catat pemberitahuan baru",
    notice_account: "Akun yang bersangkutan",
    notice_account_none: "— tidak terkait satu akun —",
    notice_submit: "Catat pemberitahuan",
    notice_saved: "Pemberitahuan tercatat dan masuk jejak audit.",
    token_title: "Token API",
    token_lead: "Token untuk aplikasi internal instansi yang memakai API layanan web SIGAP (panduan: docs/API.md). Setiap token milik satu akun layanan; token hanya ditampilkan sekali saat dibuat. Pembuatan dan pencabutan tercatat di jejak audit.",
    token_back: "← Kembali ke Admin Instansi",
    token_link: "Token API",
    token_list: "Token instansi",
    token_none: "Belum ada token.",
    token_col_prefix: "Token",
    token_col_account: "Akun layanan",
    token_col_purpose: "Keperluan",
    token_col_created: "Dibuat",
    token_col_last_used: "Terakhir dipakai",
    token_col_expires: "Kedaluwarsa",
    token_col_state: "Status",
    token_purpose_none: "(diisi per permintaan)",
    token_never: "belum pernah",
    token_no_expiry: "tidak ada",
    token_new: "Buat token baru",
    token_no_accounts: "Instansi belum punya akun layanan aktif. Minta Admin Disdukcapil atau operator server membuatnya.",
    token_purpose_hint: "Boleh kosong: setiap permintaan API lalu wajib menyebut keperluannya.",
    token_expires_days: "Berlaku (hari)",
    token_expires_hint: "Kosong: tanpa kedaluwarsa (cabut bila tidak dipakai lagi).",
    token_submit: "Buat token",
    token_shown_once: "Salin token ini sekarang dan simpan di penyimpanan rahasia aplikasi: token tidak akan ditampilkan lagi.",
    token_copy: "Salin",
    token_copied: "Tersalin",
    token_revoke: "Cabut",
    token_revoke_confirm: "Cabut token ini? Aplikasi yang memakainya langsung ditolak (TOKEN_REVOKED).",
    token_revoke_yes: "Ya, cabut",
    token_revoked_ok: "Token dicabut dan tercatat di jejak audit.",
    token_state_active: "aktif",
    token_state_expired: "kedaluwarsa",
    token_state_revoked: "dicabut",
    token_state_account_inactive: "akun layanan nonaktif",
    nav_oversight: "Pengawasan",
    audit: &AUDIT_ID,
    oversight_title: "Pengawasan",
    oversight_lead: "Halaman ini hanya untuk dibaca: status akses, perjanjian kerja sama, SPTJM, dan persetujuan NDA setiap petugas. Tidak ada yang dapat diubah di sini.",
    oversight_nda_count: "Telah menyetujui NDA versi berlaku",
    oversight_signatures: "Persetujuan NDA",
    oversight_not_current: "belum menyetujui versi berlaku",
    oversight_no_people: "Belum ada akun yang wajib menyetujui NDA.",
    account_password_title: "Ganti kata sandi",
    account_password_lead: "Minimal 12 karakter, bukan kata sandi umum, dan tidak memuat nama pengguna. Setelah diganti, sesi di perangkat lain berakhir; peramban ini tetap masuk.",
    account_password_current: "Kata sandi sekarang",
    account_password_new: "Kata sandi baru",
    account_password_confirm: "Ulangi kata sandi baru",
    account_password_submit: "Ganti kata sandi",
    account_password_changed: "Kata sandi telah diganti. Sesi di perangkat lain telah diakhiri.",
    roles: [
        ("operator", "Petugas"),
        ("institution_admin", "Admin Instansi"),
        ("head", "Penanggung Jawab"),
        ("disdukcapil_admin", "Admin Disdukcapil"),
        ("disdukcapil_evaluator", "Evaluator Disdukcapil"),
        ("auditor", "Auditor"),
        ("service", "Akun Layanan (API)"),
    ],
    footer: "SIGAP · perangkat lunak sumber terbuka untuk pemanfaatan data kependudukan yang sah",
};

/// English.
pub static EN: Texts = Texts {
    toggle_label: "Bahasa Indonesia",
    toggle_title: "Ganti bahasa antarmuka ke Bahasa Indonesia",
    tagline: "Population data access gateway",
    nav_home: "Home",
    nav_status: "System status",
    demo_badge: "DEMO MODE · synthetic data",
    no_institution: "No institution configured",
    home_title: "Welcome to SIGAP",
    home_lead: "SIGAP helps officers verify disaster victims and aid recipients by NIK, under the \
                cooperation agreement with Disdukcapil: quickly, lawfully and safely.",
    home_rules_title: "Access principles",
    home_rules: [
        "Access by NIK only, over a closed network.",
        "Verify and forget: the institution does not store population data.",
        "Every access is recorded: who, when and for what purpose.",
        "A quota of 1,000 NIKs per day per User ID (WIB day).",
    ],
    home_elements_title: "Data elements that may be shown",
    home_elements_toggle_show: "Show data elements",
    home_elements_toggle_hide: "Hide data elements",
    elements: [
        "Family card number (No KK)",
        "NIK",
        "Full name",
        "Sex",
        "Place of birth",
        "Date of birth",
        "Marital status",
        "Occupation",
        "Address",
    ],
    status_title: "System status",
    status_version: "Version",
    status_database: "Database",
    status_ready: "Ready",
    status_not_ready: "Not ready",
    status_migrations: "Migrations applied",
    loading: "Loading…",
    not_found_title: "Page not found",
    not_found_body: "The address you opened does not exist in SIGAP.",
    back_home: "Back to Home",
    error_title: "Something went wrong",
    error_body: "The request could not be processed. Give this reference to your admin:",
    nav_sign_in: "Sign in",
    sign_out: "Sign out",
    signed_in_as: "Signed in as",
    sign_in_title: "Sign in to SIGAP",
    sign_in_lead: "Use the account your institution's admin gave you.",
    username_label: "Username",
    password_label: "Password",
    sign_in_submit: "Sign in",
    err_sign_in_failed: "Wrong username or password.",
    err_too_many_attempts: "Too many failed attempts. Try again in {} seconds.",
    err_auth_required: "Please sign in first.",
    err_second_factor: "A second step is needed: use your passkey or a recovery code.",
    err_forbidden: "You are not allowed to open this page.",
    err_request: "The request failed. Check the connection and try again.",
    err_rejected: "Request refused:",
    nda_title: "Confidentiality statement (NDA)",
    nda_lead: "Before you access population data you must accept your institution's confidentiality statement.",
    nda_version: "Version",
    nda_accept: "I agree",
    nda_accepted: "You have accepted this version.",
    nda_pending_title: "NDA not yet accepted",
    nda_pending_body: "Accept your institution's confidentiality statement (NDA) before accessing population data.",
    nda_open: "Read and accept the NDA",
    passkey_enrol_title: "Register a passkey",
    passkey_enrol_lead: "Your role needs a second verification step. Register a passkey (fingerprint, \
                         device PIN or security key) to finish signing in.",
    passkey_name_label: "Passkey name (optional)",
    passkey_register: "Register passkey",
    verify_title: "Second-step verification",
    verify_lead: "Use your passkey, or one of the recovery codes you saved.",
    verify_passkey: "Use passkey",
    recovery_label: "Recovery code",
    recovery_submit: "Use recovery code",
    passkey_cancelled: "The passkey was cancelled or is not available. Please try again.",
    passkey_unsupported: "This browser does not support passkeys. Use a recovery code.",
    nav_account: "Account",
    nav_nda: "NDA",
    account_title: "My account",
    account_name: "Name",
    account_role: "Role",
    account_institution: "Institution",
    account_recovery_remaining: "Recovery codes left",
    account_passkeys: "Passkeys",
    account_passkey_remove: "Remove",
    account_passkey_add: "Add a passkey",
    account_recovery_title: "Recovery codes",
    account_recovery_lead: "Recovery codes are for when no passkey is at hand. New codes cancel \
                            the old ones.",
    account_recovery_generate: "Generate new recovery codes",
    account_recovery_once: "Store these codes somewhere safe now: they are shown only once.",
    account_sessions_title: "Sessions",
    account_sign_out_everywhere: "Sign out on every device",
    nav_admin: "Institution admin",
    nav_disdukcapil: "Disdukcapil admin",
    admin_title: "Institution administration",
    admin_access: "Access state",
    admin_access_active: "Active until",
    admin_accounts: "Operators and accounts",
    admin_col_username: "Username",
    admin_col_name: "Name",
    admin_col_role: "Role",
    admin_col_local_user_id: "Local user ID",
    admin_col_status: "Status",
    admin_col_nda: "NDA accepted",
    admin_status_active: "Active",
    admin_status_inactive: "Deactivated",
    admin_nda_current: "Current NDA version",
    admin_nda_none: "not yet",
    admin_deactivate: "Deactivate",
    admin_deactivate_confirm: "Deactivate this account? All its sessions end at once and this cannot be undone.",
    admin_deactivate_yes: "Yes, deactivate",
    admin_cancel: "Cancel",
    admin_deactivated: "The account has been deactivated.",
    admin_history: "Local user ID history",
    admin_col_from: "From",
    admin_col_until: "Until",
    admin_current: "current",
    admin_agreements: "Agreements (PKS)",
    admin_no_agreements: "No agreement yet.",
    agreement_numbers: "Number (institution / Disdukcapil)",
    agreement_status: "Status",
    agreement_validity: "Validity",
    agreement_addenda: "Addenda",
    agreement_sptjm: "SPTJM",
    agreement_sptjm_missing: "SPTJM not recorded",
    dk_title: "Disdukcapil administration",
    dk_institutions: "Institutions",
    dk_col_code: "Code",
    dk_open: "Open",
    dk_user_ids: "Dukcapil user-ID applications",
    dk_no_user_ids: "No applications yet.",
    dk_col_dukcapil_user_id: "Dukcapil user ID",
    dk_col_position: "Position",
    dk_col_credential: "Credential",
    dk_credential_stored: "stored",
    dk_credential_none: "none",
    dk_activate: "Approve and activate",
    dk_revoke: "Reject / revoke",
    dk_reason: "Reason",
    ag_manage: "Manage",
    ag_new: "Add an agreement",
    ag_new_title: "New agreement (saved as a draft)",
    ag_edit_title: "Edit the agreement (only while draft)",
    ag_institution_number: "Agreement number at the institution",
    ag_dukcapil_number: "Agreement number at Disdukcapil",
    ag_institution_party: "Institution's party (name, position)",
    ag_dukcapil_party: "Disdukcapil's party (name, position)",
    ag_signed_on: "Signed on",
    ag_valid_from: "Valid from",
    ag_valid_to: "Valid until",
    ag_elements: "Data elements allowed",
    ag_quota: "Daily quota (NIKs per day per User ID)",
    ag_create: "Save draft agreement",
    ag_save: "Save changes",
    ag_addendum_title: "Add an addendum (extension)",
    ag_addendum_number: "Addendum number",
    ag_addendum_valid_to: "New end date",
    ag_addendum_note: "Note (optional)",
    ag_addendum_submit: "Add addendum",
    ag_sptjm_title: "Record the head's SPTJM",
    ag_sptjm_name: "Signer's name",
    ag_sptjm_position: "Signer's position",
    ag_sptjm_signed_on: "SPTJM signed on",
    ag_sptjm_submit: "Record SPTJM",
    ag_status_title: "Status",
    ag_close: "Close",
    ag_saved: "Saved and recorded in the audit trail.",
    ag_daily_quota: "Daily quota",
    ag_parties: "Parties",
    notice_title: "Staff-change notices to Disdukcapil",
    notice_lead: "Record every notice sent to Disdukcapil when an operator moves, leaves or changes local user ID.",
    notice_none: "No notices recorded yet.",
    notice_col_when: "Sent on",
    notice_col_sender: "Sent by (name, position)",
    notice_col_what: "What changed",
    notice_col_reference: "Letter / reference",
    notice_new: "Record a new notice",
    notice_account: "Account concerned",
    notice_account_none: "— not about one account —",
    notice_submit: "Record notice",
    notice_saved: "Notice recorded and written to the audit trail.",
    token_title: "API tokens",
    token_lead: "Tokens for the institution's own applications that use SIGAP's web-service API (guide: docs/API.md). Each token belongs to one service account and is shown only once, when it is created. Issuing and revoking are written to the audit trail.",
    token_back: "← Back to institution admin",
    token_link: "API tokens",
    token_list: "The institution's tokens",
    token_none: "No tokens yet.",
    token_col_prefix: "Token",
    token_col_account: "Service account",
    token_col_purpose: "Purpose",
    token_col_created: "Created",
    token_col_last_used: "Last used",
    token_col_expires: "Expires",
    token_col_state: "State",
    token_purpose_none: "(given per request)",
    token_never: "never",
    token_no_expiry: "never",
    token_new: "Issue a new token",
    token_no_accounts: "The institution has no active service account. Ask the Disdukcapil admin or the server's operator to create one.",
    token_purpose_hint: "May be empty: every API request must then state its purpose.",
    token_expires_days: "Valid for (days)",
    token_expires_hint: "Empty: no expiry (revoke it when no longer needed).",
    token_submit: "Issue token",
    token_shown_once: "Copy this token now into the application's secret store: it will not be shown again.",
    token_copy: "Copy",
    token_copied: "Copied",
    token_revoke: "Revoke",
    token_revoke_confirm: "Revoke this token? Applications using it are refused at once (TOKEN_REVOKED).",
    token_revoke_yes: "Yes, revoke",
    token_revoked_ok: "Token revoked and written to the audit trail.",
    token_state_active: "active",
    token_state_expired: "expired",
    token_state_revoked: "revoked",
    token_state_account_inactive: "service account inactive",
    nav_oversight: "Oversight",
    audit: &AUDIT_EN,
    oversight_title: "Oversight",
    oversight_lead: "Read-only: access state, agreements, SPTJMs and every person's NDA acceptance. Nothing can be changed here.",
    oversight_nda_count: "Accepted the current NDA",
    oversight_signatures: "NDA acceptances",
    oversight_not_current: "current version not accepted",
    oversight_no_people: "No account has to accept the NDA yet.",
    account_password_title: "Change password",
    account_password_lead: "At least 12 characters, not a common password, not containing your username. Afterwards your sessions on other devices end; this browser stays signed in.",
    account_password_current: "Current password",
    account_password_new: "New password",
    account_password_confirm: "Repeat the new password",
    account_password_submit: "Change password",
    account_password_changed: "Password changed. Your sessions on other devices have ended.",
    roles: [
        ("operator", "Operator"),
        ("institution_admin", "Institution admin"),
        ("head", "Head (responsible official)"),
        ("disdukcapil_admin", "Disdukcapil admin"),
        ("disdukcapil_evaluator", "Disdukcapil evaluator"),
        ("auditor", "Auditor"),
        ("service", "Service account (API)"),
    ],
    footer: "SIGAP · open-source software for lawful use of population data",
};

/// The strings of the audit page (`/jejak-audit`).
pub struct AuditTexts {
    pub nav: &'static str,
    pub title: &'static str,
    pub lead: &'static str,
    pub search_title: &'static str,
    pub nik_label: &'static str,
    pub nik_help: &'static str,
    pub operator_label: &'static str,
    pub institution_label: &'static str,
    pub outcome_label_field: &'static str,
    pub from_label: &'static str,
    pub to_label: &'static str,
    pub any: &'static str,
    pub search_button: &'static str,
    pub results_title: &'static str,
    pub empty: &'static str,
    /// `{}` is the number of rows loaded.
    pub shown: &'static str,
    pub more: &'static str,
    pub csv: &'static str,
    pub col_time: &'static str,
    pub col_institution: &'static str,
    pub col_operator: &'static str,
    pub col_local_user_id: &'static str,
    pub col_dukcapil_user_id: &'static str,
    pub col_channel: &'static str,
    pub col_event: &'static str,
    pub col_purpose: &'static str,
    pub col_nik: &'static str,
    pub col_outcome_code: &'static str,
    pub col_outcome: &'static str,
    pub col_quota: &'static str,
    pub col_latency: &'static str,
    pub col_client: &'static str,
    pub col_request_id: &'static str,
    pub col_fingerprint: &'static str,
    pub chain_title: &'static str,
    pub head_seq: &'static str,
    pub last_checkpoint: &'static str,
    pub no_checkpoint: &'static str,
    pub no_signer: &'static str,
    pub checkpoint_signature: &'static str,
    pub checkpoint_entry: &'static str,
    pub head_at_checkpoint: &'static str,
    /// `{}` is the number of entries after the newest checkpoint.
    pub entries_since: &'static str,
    pub yes: &'static str,
    pub no: &'static str,
    pub verify_help: &'static str,
    pub verify_button: &'static str,
    pub verifying: &'static str,
    /// `{entries}`, `{checkpoints}`, `{last}`, `{ms}`.
    pub intact: &'static str,
    pub broken: &'static str,
    /// `{}` is where (seq, id, checkpoint line).
    pub first_bad: &'static str,
}

pub static AUDIT_ID: AuditTexts = AuditTexts {
    nav: "Jejak Audit",
    title: "Jejak audit akses NIK",
    lead: "Setiap upaya akses data kependudukan (berhasil maupun ditolak) tercatat dalam rantai hash. NIK dicari dengan NIK lengkap; yang tersimpan dan ditampilkan hanya NIK tersamar. Setiap pencarian di halaman ini juga dicatat.",
    search_title: "Cari",
    nik_label: "NIK (16 digit, lengkap)",
    nik_help: "Dicocokkan dengan sidik kunci (HMAC) di server; NIK tidak disimpan.",
    operator_label: "Petugas (nama pengguna)",
    institution_label: "Instansi",
    outcome_label_field: "Hasil",
    from_label: "Dari tanggal (WIB)",
    to_label: "Sampai tanggal (WIB)",
    any: "Semua",
    search_button: "Cari",
    results_title: "Hasil pencarian",
    empty: "Tidak ada akses yang cocok dengan pencarian ini.",
    shown: "{} entri ditampilkan, terbaru lebih dulu.",
    more: "Muat lebih banyak",
    csv: "Unduh CSV",
    col_time: "Waktu (WIB)",
    col_institution: "Instansi",
    col_operator: "Petugas",
    col_local_user_id: "ID pengguna lokal",
    col_dukcapil_user_id: "ID pengguna Dukcapil",
    col_channel: "Kanal",
    col_event: "Jenis",
    col_purpose: "Keperluan",
    col_nik: "NIK (tersamar)",
    col_outcome_code: "Kode hasil",
    col_outcome: "Hasil",
    col_quota: "Kuota",
    col_latency: "Latensi",
    col_client: "Alamat klien",
    col_request_id: "ID permintaan",
    col_fingerprint: "Sidik jari (pembaca)",
    chain_title: "Keutuhan rantai audit",
    head_seq: "Entri terakhir (seq)",
    last_checkpoint: "Titik periksa bertanda tangan terakhir",
    no_checkpoint: "Belum ada titik periksa",
    no_signer: "Kunci tanda tangan belum dikonfigurasi: tidak ada titik periksa",
    checkpoint_signature: "Tanda tangan titik periksa sah",
    checkpoint_entry: "Entri pada titik periksa sesuai",
    head_at_checkpoint: "Rantai berakhir tepat di titik periksa",
    entries_since: "Belum: {} entri sesudahnya (titik periksa berikutnya menyusul)",
    yes: "Ya",
    no: "Tidak",
    verify_help: "Verifikasi penuh membaca seluruh rantai dan semua titik periksa (beberapa detik untuk ukuran demo). Hasilnya juga dicatat dalam jejak audit.",
    verify_button: "Verifikasi seluruh rantai",
    verifying: "Memverifikasi…",
    intact: "Rantai utuh: {entries} entri dan {checkpoints} titik periksa diperiksa, entri terakhir seq {last} ({ms} ms).",
    broken: "Rantai TIDAK utuh:",
    first_bad: "Masalah pertama: {}.",
};

pub static AUDIT_EN: AuditTexts = AuditTexts {
    nav: "Audit trail",
    title: "NIK access audit trail",
    lead: "Every attempt to access population data (granted or refused) is recorded in a hash chain. Search a NIK by typing it in full; only the masked NIK is stored and shown. Every search on this page is recorded too.",
    search_title: "Search",
    nik_label: "NIK (all 16 digits)",
    nik_help: "Matched by its keyed digest (HMAC) on the server; the NIK is not stored.",
    operator_label: "Operator (username)",
    institution_label: "Institution",
    outcome_label_field: "Outcome",
    from_label: "From day (WIB)",
    to_label: "To day (WIB)",
    any: "Any",
    search_button: "Search",
    results_title: "Results",
    empty: "No access matches this search.",
    shown: "{} entries shown, newest first.",
    more: "Load more",
    csv: "Download CSV",
    col_time: "Time (WIB)",
    col_institution: "Institution",
    col_operator: "Operator",
    col_local_user_id: "Local user ID",
    col_dukcapil_user_id: "Dukcapil user ID",
    col_channel: "Channel",
    col_event: "Kind",
    col_purpose: "Purpose",
    col_nik: "NIK (masked)",
    col_outcome_code: "Outcome code",
    col_outcome: "Outcome",
    col_quota: "Quota",
    col_latency: "Latency",
    col_client: "Client address",
    col_request_id: "Request ID",
    col_fingerprint: "Fingerprint (reader)",
    chain_title: "Audit chain integrity",
    head_seq: "Last entry (seq)",
    last_checkpoint: "Last signed checkpoint",
    no_checkpoint: "No checkpoint yet",
    no_signer: "No signing key configured: no checkpoints",
    checkpoint_signature: "Checkpoint signature valid",
    checkpoint_entry: "Entry at the checkpoint matches",
    head_at_checkpoint: "Chain ends exactly at the checkpoint",
    entries_since: "Not yet: {} entries after it (the next checkpoint follows)",
    yes: "Yes",
    no: "No",
    verify_help: "A full verification reads the whole chain and every checkpoint (seconds at demo sizes). The result is recorded in the audit trail too.",
    verify_button: "Verify the whole chain",
    verifying: "Verifying…",
    intact: "Chain intact: {entries} entries and {checkpoints} checkpoints checked, last entry seq {last} ({ms} ms).",
    broken: "Chain NOT intact:",
    first_bad: "First problem: {}.",
};

impl AuditTexts {
    fn id(&self) -> bool {
        std::ptr::eq(self, &AUDIT_ID)
    }

    /// An access entry's outcome code in words (upstream codes, unavailability, SIGAP's own
    /// refusals); the code itself if unknown.
    pub fn outcome_label<'a>(&self, code: &'a str) -> &'a str {
        let id = self.id();
        // Upstream codes: the words of `domain::dukcapil::ResponseCode::description` (domain
        // is not in the browser build).
        let (ind, eng) = match code {
            "01" => ("Data ditemukan", "Data found"),
            "12" => (
                "Data ditemukan lebih dari satu (perlu diperiksa)",
                "Data found, more than one record (needs checking)",
            ),
            "11" => (
                "Data ditemukan, status meninggal",
                "Data found, person deceased",
            ),
            "08" => ("NIK tidak dapat diproses", "NIK cannot be processed"),
            "13" => ("NIK tidak ditemukan", "NIK not found"),
            "14" => ("Data tidak aktif", "Record inactive"),
            "15" => (
                "Data tidak ditemukan, NIK tidak sesuai format",
                "Not found, NIK not in registry format",
            ),
            "03" => (
                "Login gagal (user ID atau password salah)",
                "Login failed (user ID or password wrong)",
            ),
            "04" => (
                "Alamat IP tidak sesuai dengan user ID",
                "IP address does not match the user ID",
            ),
            "05" => (
                "Kuota akses hari ini telah habis",
                "Daily quota used up (upstream)",
            ),
            "06" => ("Akses di luar jam layanan", "Access outside service hours"),
            "07" => (
                "Parameter permintaan tidak lengkap",
                "Request parameters incomplete",
            ),
            "09" => (
                "User ID, password atau IP kosong",
                "User ID, password or IP empty",
            ),
            "10" => ("Alamat IP tidak terdaftar", "IP address not registered"),
            "16" => ("Instansi tidak aktif", "Institution not active"),
            "17" => (
                "User ID tidak aktif (hubungi admin Disdukcapil)",
                "User ID not active (contact the Disdukcapil admin)",
            ),
            "UNAVAILABLE_BREAKER_OPEN" => (
                "Layanan Dukcapil sementara dihentikan (pemutus sirkuit), tidak dikirim",
                "Upstream paused (circuit breaker), not sent",
            ),
            "UNAVAILABLE_CONNECT_REFUSED" => ("Koneksi ke Dukcapil ditolak", "Connection refused"),
            "UNAVAILABLE_CONNECT_TIMEOUT" => (
                "Koneksi ke Dukcapil melewati batas waktu",
                "Connection timed out",
            ),
            "UNAVAILABLE_DNS" => ("Nama server Dukcapil tidak ditemukan", "DNS failure"),
            "UNAVAILABLE_TLS" => ("Jabat tangan TLS gagal", "TLS handshake failed"),
            "UNAVAILABLE_CONNECT_FAILED" => ("Koneksi ke Dukcapil gagal", "Connection failed"),
            "UNAVAILABLE_TIMEOUT" => ("Dukcapil tidak menjawab tepat waktu", "No answer in time"),
            "UNAVAILABLE_CONNECTION_LOST" => (
                "Koneksi terputus setelah permintaan dikirim",
                "Connection lost after sending",
            ),
            "UNAVAILABLE_HTTP_STATUS" => (
                "Dukcapil menjawab dengan status HTTP galat",
                "Upstream answered with an HTTP error",
            ),
            "UNAVAILABLE_MALFORMED_JSON" => {
                ("Jawaban Dukcapil bukan JSON", "Upstream answer is not JSON")
            }
            "UNAVAILABLE_UNEXPECTED_SHAPE" => (
                "Bentuk jawaban Dukcapil tidak dikenal",
                "Upstream answer of unexpected shape",
            ),
            "FORBIDDEN" => (
                "Ditolak: peran tidak boleh mengakses data",
                "Refused: role may not access data",
            ),
            "INVALID_NIK" => ("Ditolak: NIK tidak valid", "Refused: invalid NIK"),
            "PURPOSE_REQUIRED" => ("Ditolak: keperluan tidak diisi", "Refused: purpose missing"),
            "PURPOSE_TOO_LONG" => (
                "Ditolak: keperluan terlalu panjang",
                "Refused: purpose too long",
            ),
            "NDA_REQUIRED" => (
                "Ditolak: NDA versi terbaru belum disetujui",
                "Refused: current NDA not accepted",
            ),
            "NO_AGREEMENT" => (
                "Ditolak: belum ada perjanjian kerja sama",
                "Refused: no agreement",
            ),
            "AGREEMENT_DRAFT" => (
                "Ditolak: perjanjian kerja sama masih draf",
                "Refused: agreement is a draft",
            ),
            "AGREEMENT_SUSPENDED" => (
                "Ditolak: perjanjian kerja sama ditangguhkan",
                "Refused: agreement suspended",
            ),
            "AGREEMENT_TERMINATED" => (
                "Ditolak: perjanjian kerja sama diakhiri",
                "Refused: agreement terminated",
            ),
            "AGREEMENT_NOT_STARTED" => (
                "Ditolak: perjanjian kerja sama belum berlaku",
                "Refused: agreement not yet in force",
            ),
            "AGREEMENT_EXPIRED" => (
                "Ditolak: perjanjian kerja sama telah berakhir",
                "Refused: agreement expired",
            ),
            "SPTJM_MISSING" => (
                "Ditolak: SPTJM belum tercatat",
                "Refused: SPTJM not recorded",
            ),
            "USER_ID_NOT_ACTIVE" => (
                "Ditolak: tidak ada ID pengguna Dukcapil aktif",
                "Refused: no active Dukcapil user ID",
            ),
            "USER_ID_UNKNOWN" => (
                "Ditolak: ID pengguna Dukcapil tidak dikenal",
                "Refused: unknown Dukcapil user ID",
            ),
            "QUOTA_EXHAUSTED" => (
                "Ditolak: kuota harian habis",
                "Refused: daily quota used up",
            ),
            "OPERATOR_QUOTA_EXHAUSTED" => (
                "Ditolak: batas harian petugas tercapai",
                "Refused: operator's daily cap reached",
            ),
            "UPSTREAM_NOT_CONFIGURED" => (
                "Ditolak: layanan Dukcapil belum dikonfigurasi",
                "Refused: upstream not configured",
            ),
            "AUDIT_UNAVAILABLE" => (
                "Ditolak: jejak audit tidak tersedia",
                "Refused: audit trail unavailable",
            ),
            _ => return code,
        };
        if id { ind } else { eng }
    }

    /// The channel code in words.
    /// The card reader's fingerprint verdict in words.
    pub fn fingerprint_label<'a>(&self, code: &'a str) -> &'a str {
        let id = self.id();
        match code {
            "matched" if id => "Sidik jari cocok",
            "matched" => "Fingerprint matched",
            "not_matched" if id => "Sidik jari tidak cocok",
            "not_matched" => "Fingerprint did not match",
            "not_performed" if id => "Sidik jari tidak diperiksa",
            "not_performed" => "Fingerprint not checked",
            _ => code,
        }
    }

    pub fn channel_label<'a>(&self, code: &'a str) -> &'a str {
        let id = self.id();
        match code {
            "web" if id => "Portal",
            "web" => "Portal",
            "api" if id => "API layanan web",
            "api" => "Web-service API",
            "batch" if id => "Berkas (batch)",
            "batch" => "Batch",
            "reader" if id => "Pembaca KTP-el",
            "reader" => "Card reader",
            _ => code,
        }
    }

    /// The entry's event code in words.
    pub fn event_label<'a>(&self, code: &'a str) -> &'a str {
        let id = self.id();
        match code {
            "nik.lookup" if id => "Cek NIK",
            "nik.lookup" => "NIK look-up",
            "nik.verify" if id => "Verifikasi elemen",
            "nik.verify" => "Element verification",
            _ => code,
        }
    }

    /// A verification finding code in words.
    pub fn finding_label<'a>(&self, code: &'a str) -> &'a str {
        let id = self.id();
        let (ind, eng) = match code {
            "AUDIT_ENTRY_EDITED" => ("entri diubah setelah ditulis", "an entry was edited"),
            "AUDIT_ENTRY_MISSING" => ("entri hilang (dihapus)", "an entry is missing (deleted)"),
            "AUDIT_ENTRY_REORDERED" => (
                "urutan entri diubah atau ada sisipan",
                "entries reordered or inserted",
            ),
            "AUDIT_ENTRY_UNCHAINED" => (
                "ada entri di luar rantai",
                "an entry was written outside the chain",
            ),
            "AUDIT_CHAIN_TRUNCATED" => ("rantai dipotong", "the chain was truncated"),
            "AUDIT_HEAD_MISMATCH" => (
                "kepala rantai tidak cocok dengan entri terakhir",
                "the head does not match the last entry",
            ),
            "AUDIT_CHECKPOINT_MISMATCH" => (
                "entri berbeda dari titik periksa bertanda tangan",
                "an entry differs from a signed checkpoint",
            ),
            "AUDIT_CHECKPOINT_BAD_SIGNATURE" => (
                "tanda tangan titik periksa tidak sah",
                "a checkpoint's signature is invalid",
            ),
            "AUDIT_CHECKPOINT_MALFORMED" => (
                "berkas titik periksa rusak",
                "the checkpoint file is malformed",
            ),
            _ => return code,
        };
        if id { ind } else { eng }
    }

    /// The audit page's own refusal codes in words.
    pub fn rejection(&self, code: &str) -> Option<&'static str> {
        let id = self.id();
        let (ind, eng) = match code {
            "INVALID_NIK" => (
                "NIK tidak valid: ketik NIK lengkap 16 digit. Pencarian tidak dijalankan.",
                "Invalid NIK: type all 16 digits. Nothing was searched.",
            ),
            "OPERATOR_UNKNOWN" => (
                "Petugas dengan nama pengguna ini tidak ditemukan.",
                "No operator with this username.",
            ),
            "OUTCOME_CODE_UNKNOWN" => ("Kode hasil tidak dikenal.", "Unknown outcome code."),
            "DATE_INVALID" => (
                "Tanggal tidak valid: gunakan TTTT-BB-HH.",
                "Invalid date: use YYYY-MM-DD.",
            ),
            "DATE_RANGE_INVALID" => (
                "Tanggal awal tidak boleh setelah tanggal akhir.",
                "The start day may not be after the end day.",
            ),
            "INSTITUTION_UNKNOWN" => ("Instansi tidak ditemukan.", "Unknown institution."),
            "CURSOR_INVALID" => (
                "Halaman berikutnya tidak valid; cari ulang.",
                "Invalid next page; search again.",
            ),
            "AUDIT_UNAVAILABLE" => (
                "Kunci audit belum dikonfigurasi di server ini.",
                "The audit keys are not configured on this server.",
            ),
            "AUDIT_VERIFY_BUSY" => (
                "Verifikasi lain sedang berjalan; coba lagi sebentar lagi.",
                "Another verification is running; try again shortly.",
            ),
            "AUDIT_VERIFY_TIMEOUT" => (
                "Verifikasi melewati batas waktu; jalankan `sigap audit verify` di server.",
                "Verification timed out; run `sigap audit verify` on the server.",
            ),
            _ => return None,
        };
        Some(if id { ind } else { eng })
    }
}

impl Texts {
    /// The label of a role code (the code itself if unknown).
    pub fn role_label<'a>(&self, code: &'a str) -> &'a str {
        self.roles
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(_, l)| *l)
            .unwrap_or(code)
    }

    /// The strings of the Cek NIK page in this language.
    pub fn check(&self) -> &'static check::CheckTexts {
        if std::ptr::eq(self, &ID) {
            &check::ID
        } else {
            &check::EN
        }
    }

    /// The label of an access-state reason code (`NO_AGREEMENT`, ...); the code if unknown.
    pub fn access_reason<'a>(&self, code: &'a str) -> &'a str {
        let id = std::ptr::eq(self, &ID);
        match code {
            "NO_AGREEMENT" if id => "Belum ada perjanjian kerja sama",
            "NO_AGREEMENT" => "No agreement",
            "AGREEMENT_DRAFT" if id => "Perjanjian kerja sama masih draf",
            "AGREEMENT_DRAFT" => "Agreement is a draft",
            "AGREEMENT_SUSPENDED" if id => "Perjanjian kerja sama ditangguhkan",
            "AGREEMENT_SUSPENDED" => "Agreement suspended",
            "AGREEMENT_TERMINATED" if id => "Perjanjian kerja sama diakhiri",
            "AGREEMENT_TERMINATED" => "Agreement terminated",
            "AGREEMENT_NOT_STARTED" if id => "Perjanjian kerja sama belum berlaku",
            "AGREEMENT_NOT_STARTED" => "Agreement not yet in force",
            "AGREEMENT_EXPIRED" if id => "Perjanjian kerja sama telah berakhir",
            "AGREEMENT_EXPIRED" => "Agreement expired",
            "SPTJM_MISSING" if id => "SPTJM penanggung jawab belum tercatat",
            "SPTJM_MISSING" => "SPTJM of the head not recorded",
            _ => code,
        }
    }

    /// The label of an agreement or user-ID status code; the code if unknown.
    pub fn status_label<'a>(&self, code: &'a str) -> &'a str {
        let id = std::ptr::eq(self, &ID);
        match code {
            "draft" if id => "Draf",
            "draft" => "Draft",
            "active" if id => "Aktif",
            "active" => "Active",
            "suspended" if id => "Ditangguhkan",
            "suspended" => "Suspended",
            "terminated" if id => "Diakhiri",
            "terminated" => "Terminated",
            "requested" if id => "Diajukan",
            "requested" => "Requested",
            "revoked" if id => "Dicabut",
            "revoked" => "Revoked",
            _ => code,
        }
    }

    /// The button that moves an agreement to status `code` (`active`, `suspended`,
    /// `terminated`).
    pub fn status_action<'a>(&self, code: &'a str) -> &'a str {
        let id = std::ptr::eq(self, &ID);
        match code {
            "active" if id => "Aktifkan",
            "active" => "Activate",
            "suspended" if id => "Tangguhkan",
            "suspended" => "Suspend",
            "terminated" if id => "Akhiri",
            "terminated" => "Terminate",
            _ => code,
        }
    }

    /// What the confirm step says before an agreement moves to status `code`.
    pub fn status_confirm(&self, code: &str) -> &'static str {
        let id = std::ptr::eq(self, &ID);
        match code {
            "active" if id => {
                "Aktifkan PKS ini? Akses instansi berlaku bila tanggal berlaku dan SPTJM terpenuhi."
            }
            "active" => {
                "Activate this agreement? The institution's access starts once its dates and the SPTJM are in order."
            }
            "suspended" if id => {
                "Tangguhkan PKS ini? Akses instansi ke data kependudukan segera berhenti sampai diaktifkan kembali."
            }
            "suspended" => {
                "Suspend this agreement? The institution's access to population data stops at once until it is reactivated."
            }
            "terminated" if id => {
                "Akhiri PKS ini? Akses instansi berhenti dan tindakan ini final: tidak dapat dibatalkan."
            }
            "terminated" => {
                "Terminate this agreement? The institution's access stops and this is final: it cannot be undone."
            }
            _ if id => "Lanjutkan?",
            _ => "Continue?",
        }
    }

    /// The label of a data element code of an agreement (`nik`, `no_kk`, ...); the code if
    /// unknown. Same words as the home page's list.
    pub fn element_label<'a>(&self, code: &'a str) -> &'a str {
        // `elements` follows the home page's order: No KK first, then NIK.
        let index = match code {
            "no_kk" => 0,
            "nik" => 1,
            "nama_lengkap" => 2,
            "jenis_kelamin" => 3,
            "tempat_lahir" => 4,
            "tanggal_lahir" => 5,
            "status_perkawinan" => 6,
            "jenis_pekerjaan" => 7,
            "alamat" => 8,
            _ => return code,
        };
        self.elements[index]
    }

    /// A token's state (`active`, `expired`, `revoked`, `account_inactive`) in words.
    pub fn token_state(&self, state: &str) -> &'static str {
        match state {
            "active" => self.token_state_active,
            "expired" => self.token_state_expired,
            "revoked" => self.token_state_revoked,
            _ => self.token_state_account_inactive,
        }
    }

    /// A refusal code in words, when the portal knows it (storage and server codes).
    pub fn rejection(&self, code: &str) -> Option<&'static str> {
        let id = std::ptr::eq(self, &ID);
        let (ind, eng) = match code {
            "AGREEMENT_NUMBER_INVALID" => (
                "Nomor PKS wajib diisi (satu baris, maks. 300 karakter), dan nomor instansi harus berbeda dari nomor Disdukcapil.",
                "Both agreement numbers are required (one line, at most 300 characters) and must differ.",
            ),
            "AGREEMENT_NUMBER_TAKEN" => (
                "Nomor PKS ini sudah dipakai perjanjian lain.",
                "This agreement number is already used by another agreement.",
            ),
            "PARTY_INVALID" => (
                "Para pihak wajib diisi (satu baris, maks. 300 karakter).",
                "Both parties are required (one line, at most 300 characters).",
            ),
            "AGREEMENT_DATES_INVALID" => (
                "Tanggal tidak valid: isi semua tanggal (TTTT-BB-HH) dan tanggal mulai berlaku tidak boleh setelah tanggal berakhir.",
                "Invalid dates: fill in every date (YYYY-MM-DD); the start may not be after the end.",
            ),
            "ELEMENTS_INVALID" => (
                "Pilih sekurang-kurangnya satu elemen data.",
                "Choose at least one data element.",
            ),
            "QUOTA_INVALID" => (
                "Kuota harian harus bilangan bulat antara 1 dan 10.000.000.",
                "The daily quota must be a whole number from 1 to 10,000,000.",
            ),
            "AGREEMENT_STATUS_INVALID" => {
                ("Status PKS tidak dikenal.", "Unknown agreement status.")
            }
            "AGREEMENT_STATUS_TRANSITION" => (
                "Perubahan status ini tidak diizinkan dari status PKS sekarang.",
                "This status change is not allowed from the agreement's current status.",
            ),
            "AGREEMENT_TERMINATED" => (
                "PKS sudah diakhiri dan tidak dapat diubah lagi.",
                "The agreement is terminated and can no longer be changed.",
            ),
            "AGREEMENT_NOT_DRAFT" => (
                "Hanya PKS berstatus draf yang dapat diubah; PKS yang sudah berlaku diubah melalui adendum atau status.",
                "Only a draft agreement can be edited; a signed one changes by addendum or status.",
            ),
            "SPTJM_INVALID" => (
                "SPTJM tidak lengkap: isi nama dan jabatan penanda tangan serta tanggal (TTTT-BB-HH).",
                "Incomplete SPTJM: fill in the signer's name, position and date (YYYY-MM-DD).",
            ),
            "SPTJM_SIGNER_INVALID" => (
                "Penanda tangan SPTJM harus penanggung jawab aktif instansi ini.",
                "The SPTJM signer must be an active head of this institution.",
            ),
            "ADDENDUM_INVALID" => (
                "Adendum tidak lengkap: isi nomor dan tanggal (TTTT-BB-HH).",
                "Incomplete addendum: fill in its number and dates (YYYY-MM-DD).",
            ),
            "ADDENDUM_NUMBER_TAKEN" => (
                "Nomor adendum ini sudah dipakai pada PKS ini.",
                "This addendum number is already used in this agreement.",
            ),
            "ADDENDUM_NOT_LATER" => (
                "Tanggal berakhir adendum harus setelah akhir masa berlaku PKS sekarang.",
                "The addendum's end must be after the agreement's current end.",
            ),
            "INSTITUTION_UNKNOWN" => ("Instansi tidak ditemukan.", "Unknown institution."),
            "CONFLICT" => (
                "Data baru saja diubah oleh orang lain. Muat ulang halaman lalu coba lagi.",
                "Someone else changed this just now. Reload the page and try again.",
            ),
            "ACCOUNT_DEACTIVATED" => ("Akun sudah nonaktif.", "The account is deactivated."),
            "PASSWORD_CURRENT_WRONG" => (
                "Kata sandi sekarang salah.",
                "The current password is wrong.",
            ),
            "PASSWORD_MISMATCH" => (
                "Kedua isian kata sandi baru tidak sama.",
                "The two new passwords differ.",
            ),
            "PASSWORD_UNCHANGED" => (
                "Kata sandi baru harus berbeda dari kata sandi sekarang.",
                "The new password must differ from the current one.",
            ),
            "PASSWORD_TOO_SHORT" => (
                "Kata sandi terlalu pendek: minimal 12 karakter.",
                "The password is too short: at least 12 characters.",
            ),
            "PASSWORD_TOO_LONG" => (
                "Kata sandi terlalu panjang: maksimal 128 karakter.",
                "The password is too long: at most 128 characters.",
            ),
            "PASSWORD_COMMON" => (
                "Kata sandi terlalu umum dan mudah ditebak. Pilih kata sandi lain.",
                "The password is too common and easy to guess. Choose another.",
            ),
            "PASSWORD_CONTAINS_USERNAME" => (
                "Kata sandi tidak boleh memuat nama pengguna atau nama aplikasi (SIGAP).",
                "The password may not contain your username or the application's name (SIGAP).",
            ),
            "PASSWORD_NOT_ALLOWED" => (
                "Akun ini tidak memakai kata sandi.",
                "This account does not use a password.",
            ),
            "NOTICE_INVALID" => (
                "Pemberitahuan belum lengkap: isi perubahan (maks. 1.000 karakter) dan pengirim (satu baris, maks. 300 karakter); nomor surat paling banyak satu baris.",
                "Incomplete notice: fill in what changed (at most 1,000 characters) and the sender (one line, at most 300 characters); the reference is one line at most.",
            ),
            "NOTICE_DATE_INVALID" => (
                "Tanggal pemberitahuan tidak valid: isi tanggal (TTTT-BB-HH) yang tidak melewati hari ini.",
                "Invalid notice date: give a day (YYYY-MM-DD) no later than today.",
            ),
            "ACCOUNT_NOT_IN_INSTITUTION" => (
                "Akun tersebut bukan akun instansi ini.",
                "That account does not belong to this institution.",
            ),
            "EXPIRY_INVALID" => (
                "Masa berlaku token 1 sampai 3650 hari, atau kosong.",
                "A token is valid for 1 to 3650 days, or leave it empty.",
            ),
            "TOKEN_ACCOUNT_REQUIRED" => ("Pilih akun layanan.", "Choose a service account."),
            "ACCOUNT_NOT_SERVICE" => (
                "Token hanya untuk akun layanan (API).",
                "Tokens are for service (API) accounts only.",
            ),
            "ACCOUNT_INACTIVE" => ("Akun itu sudah nonaktif.", "That account is deactivated."),
            "PURPOSE_TOO_LONG" => (
                "Keperluan paling banyak 200 karakter.",
                "The purpose has at most 200 characters.",
            ),
            "TOKEN_ALREADY_REVOKED" => {
                ("Token itu sudah dicabut.", "That token is already revoked.")
            }
            "USER_ID_STATUS_TRANSITION" => (
                "Perubahan status ID pengguna ini tidak diizinkan.",
                "This user-ID status change is not allowed.",
            ),
            "READER_INVALID" => (
                "Data pembaca tidak valid: ID 1-64 karakter A-Z a-z 0-9 _ -, unit kerja, nomor seri dan nomor SAM wajib diisi.",
                "Invalid reader: the ID is 1-64 characters of A-Z a-z 0-9 _ -; work unit, serial and SAM numbers are required.",
            ),
            "READER_ID_TAKEN" => (
                "ID pembaca ini sudah terdaftar.",
                "This reader ID is already registered.",
            ),
            "READER_UNKNOWN" => (
                "Pembaca kartu ini tidak terdaftar.",
                "This card reader is not registered.",
            ),
            "READER_INACTIVE" => (
                "Pembaca kartu ini tidak aktif.",
                "This card reader is not active.",
            ),
            "READER_DEACTIVATED" => (
                "Pembaca kartu ini sudah dipensiunkan.",
                "This card reader has been retired.",
            ),
            "READER_STATUS_NOT_ALLOWED" | "READER_STATUS_INVALID" => (
                "Perubahan status pembaca ini tidak diizinkan.",
                "This reader status change is not allowed.",
            ),
            "SECRETS_UNAVAILABLE" => (
                "Kunci penyegel rahasia ([secrets]) belum dikonfigurasi di server.",
                "The sealing key ([secrets]) is not configured on the server.",
            ),
            "FINGERPRINT_INVALID" => (
                "Hasil sidik jari dari pembaca tidak dikenali.",
                "The reader's fingerprint verdict is not recognised.",
            ),
            _ => return None,
        };
        Some(if id { ind } else { eng })
    }

    /// The message a page shows for a server function's error.
    pub fn error_message(&self, error: &crate::AppError) -> String {
        use crate::AppError;
        match error {
            AppError::SignInFailed => self.err_sign_in_failed.to_string(),
            AppError::TooManyAttempts { retry_after_secs } => self
                .err_too_many_attempts
                .replace("{}", &retry_after_secs.to_string()),
            AppError::AuthRequired => self.err_auth_required.to_string(),
            AppError::SecondFactorRequired => self.err_second_factor.to_string(),
            AppError::Forbidden | AppError::NotFound => self.err_forbidden.to_string(),
            AppError::Request(_) => self.err_request.to_string(),
            AppError::Rejected { code } => match self.rejection(code) {
                Some(words) => format!("{words} ({code})"),
                None => format!("{} {code}", self.err_rejected),
            },
            AppError::Internal { reference } => format!("{} {reference}", self.error_body),
        }
    }
}

/// The current language, shared by every component.
#[derive(Clone, Copy)]
pub struct LangContext(pub RwSignal<Lang>);

/// Puts the language signal in context, starting from the cookie (server) or the document
/// (browser) so both render the same thing.
pub fn provide_lang() {
    provide_context(LangContext(RwSignal::new(initial_lang())));
}

fn initial_lang() -> Lang {
    #[cfg(feature = "ssr")]
    {
        use_context::<http::request::Parts>()
            .map(|p| Lang::from_cookie_header(p.headers.get(http::header::COOKIE)))
            .unwrap_or_default()
    }
    #[cfg(not(feature = "ssr"))]
    {
        browser::cookie_lang()
    }
}

/// The language signal; Indonesian if no context (should not happen inside `App`).
pub fn use_lang() -> RwSignal<Lang> {
    use_context::<LangContext>()
        .map(|c| c.0)
        .unwrap_or_else(|| RwSignal::new(Lang::Id))
}

/// Switches the language and remembers it in the cookie.
pub fn set_lang(lang: Lang) {
    use_lang().set(lang);
    #[cfg(feature = "hydrate")]
    browser::store_lang(lang);
}

#[cfg(feature = "hydrate")]
mod browser {
    use super::{LANG_COOKIE, Lang};
    use wasm_bindgen::JsCast;

    fn html_document() -> Option<web_sys::HtmlDocument> {
        web_sys::window()?
            .document()?
            .dyn_into::<web_sys::HtmlDocument>()
            .ok()
    }

    pub fn cookie_lang() -> Lang {
        html_document()
            .and_then(|d| d.cookie().ok())
            .map(|c| Lang::from_cookie_str(&c))
            .unwrap_or_default()
    }

    pub fn store_lang(lang: Lang) {
        if let Some(doc) = html_document() {
            let cookie = format!(
                "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Strict",
                lang.code()
            );
            // Failing to remember the language only costs the user one more click.
            let _ = doc.set_cookie(&cookie);
        }
        if let Some(html) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.document_element())
        {
            let _ = html.set_attribute("lang", lang.code());
        }
    }
}

#[cfg(all(not(feature = "ssr"), not(feature = "hydrate")))]
mod browser {
    use super::Lang;
    pub fn cookie_lang() -> Lang {
        Lang::Id
    }
}

/// The card-reader pages' strings (`/admin/pembaca`, `/cek-kartu`), kept apart from
/// [`Texts`] so the reader work merges on its own; same two languages.
pub struct ReaderTexts {
    pub inv_title: &'static str,
    pub inv_lead: &'static str,
    pub inv_lead_readonly: &'static str,
    pub inv_none: &'static str,
    pub col_reader_id: &'static str,
    pub col_institution: &'static str,
    pub col_work_unit: &'static str,
    pub col_serial: &'static str,
    pub col_sam: &'static str,
    pub col_status: &'static str,
    pub col_rotated: &'static str,
    pub col_actions: &'static str,
    pub register_title: &'static str,
    pub register_button: &'static str,
    pub to_active: &'static str,
    pub to_inactive: &'static str,
    pub to_deactivated: &'static str,
    pub rotate: &'static str,
    pub confirm: &'static str,
    pub secret_title: &'static str,
    pub secret_once: &'static str,
    pub snippet_title: &'static str,
    pub status_active: &'static str,
    pub status_inactive: &'static str,
    pub status_deactivated: &'static str,
    pub card_title: &'static str,
    pub card_lead: &'static str,
    pub reader_label: &'static str,
    pub no_readers: &'static str,
    pub connect: &'static str,
    pub bridge_idle: &'static str,
    pub bridge_connecting: &'static str,
    pub bridge_connected: &'static str,
    pub bridge_unavailable: &'static str,
    pub bridge_help: &'static str,
    pub bridge_help_link: &'static str,
    pub card_present: &'static str,
    pub card_absent: &'static str,
    pub with_fingerprint: &'static str,
    pub read: &'static str,
    pub reading: &'static str,
    pub nik_read: &'static str,
    pub fingerprint: &'static str,
    pub fp_matched: &'static str,
    pub fp_not_matched: &'static str,
    pub fp_not_performed: &'static str,
    pub purpose: &'static str,
    pub compare: &'static str,
    pub compare_note: &'static str,
    pub same: &'static str,
    pub different: &'static str,
    pub not_compared: &'static str,
    pub no_differences: &'static str,
    pub differences: &'static str,
    pub not_found: &'static str,
    pub quota: &'static str,
}

impl ReaderTexts {
    /// The words for a card element code.
    pub fn element(&self, code: &str) -> &'static str {
        let id = std::ptr::eq(self, &READER_ID);
        let (ind, eng) = match code {
            "name" => ("Nama", "Name"),
            "birth_place" => ("Tempat lahir", "Place of birth"),
            "birth_date" => ("Tanggal lahir", "Date of birth"),
            "sex" => ("Jenis kelamin", "Sex"),
            "address" => ("Alamat", "Address"),
            "rt" => ("RT", "RT"),
            "rw" => ("RW", "RW"),
            "village" => ("Kelurahan/Desa", "Village"),
            "district" => ("Kecamatan", "District"),
            "regency" => ("Kabupaten/Kota", "Regency/City"),
            "province" => ("Provinsi", "Province"),
            "marital_status" => ("Status perkawinan", "Marital status"),
            "occupation" => ("Pekerjaan", "Occupation"),
            _ => ("—", "—"),
        };
        if id { ind } else { eng }
    }

    /// The words for a reader status code.
    pub fn status(&self, code: &str) -> &'static str {
        match code {
            "active" => self.status_active,
            "inactive" => self.status_inactive,
            "deactivated" => self.status_deactivated,
            _ => "—",
        }
    }

    /// The words for a fingerprint verdict.
    pub fn fingerprint_verdict(&self, code: &str) -> &'static str {
        match code {
            "matched" => self.fp_matched,
            "not_matched" => self.fp_not_matched,
            _ => self.fp_not_performed,
        }
    }
}

impl Lang {
    /// The card-reader pages' strings.
    pub fn reader_texts(self) -> &'static ReaderTexts {
        match self {
            Lang::Id => &READER_ID,
            Lang::En => &READER_EN,
        }
    }
}

pub static READER_ID: ReaderTexts = ReaderTexts {
    inv_title: "Pembaca kartu",
    inv_lead: "Pembaca e-KTP yang terdaftar untuk instansi ini. Rahasia pemasangan dibuat server dan hanya ditampilkan sekali.",
    inv_lead_readonly: "Pembaca e-KTP semua instansi (hanya baca).",
    inv_none: "Belum ada pembaca kartu terdaftar.",
    col_reader_id: "ID pembaca",
    col_institution: "Instansi",
    col_work_unit: "Unit kerja",
    col_serial: "Nomor seri",
    col_sam: "Nomor SAM",
    col_status: "Status",
    col_rotated: "Rahasia diganti",
    col_actions: "Tindakan",
    register_title: "Daftarkan pembaca",
    register_button: "Daftarkan",
    to_active: "Aktifkan",
    to_inactive: "Nonaktifkan",
    to_deactivated: "Pensiunkan",
    rotate: "Ganti rahasia",
    confirm: "Yakin?",
    secret_title: "Rahasia pembaca",
    secret_once: "Salin sekarang: rahasia ini tidak akan ditampilkan lagi.",
    snippet_title: "Konfigurasi reader-bridge",
    status_active: "Aktif",
    status_inactive: "Nonaktif",
    status_deactivated: "Dipensiunkan",
    card_title: "Cek kartu (e-KTP)",
    card_lead: "Baca e-KTP dengan pembaca kartu di PC ini, lalu bandingkan isinya dengan data Dukcapil (satu kuota).",
    reader_label: "Pembaca kartu",
    no_readers: "Instansi ini belum punya pembaca kartu aktif.",
    connect: "Hubungkan",
    bridge_idle: "Belum terhubung ke reader-bridge.",
    bridge_connecting: "Menghubungkan…",
    bridge_connected: "Terhubung ke reader-bridge.",
    bridge_unavailable: "reader-bridge tidak menjawab di PC ini.",
    bridge_help: "Jalankan reader-bridge di PC ini, misalnya:",
    bridge_help_link: "Petunjuk reader-bridge",
    card_present: "Kartu terpasang",
    card_absent: "Tidak ada kartu",
    with_fingerprint: "Cocokkan sidik jari",
    read: "Baca kartu",
    reading: "Membaca…",
    nik_read: "NIK terbaca",
    fingerprint: "Sidik jari",
    fp_matched: "Cocok",
    fp_not_matched: "Tidak cocok",
    fp_not_performed: "Tidak dilakukan",
    purpose: "Keperluan",
    compare: "Bandingkan dengan data Dukcapil",
    compare_note: "Memakai satu kuota. Data kartu dan data Dukcapil tidak disimpan.",
    same: "Sama",
    different: "Berbeda",
    not_compared: "Tidak dibandingkan",
    no_differences: "Semua elemen yang dibandingkan sama.",
    differences: "Elemen berbeda",
    not_found: "Data Dukcapil tidak ditemukan untuk NIK ini; kode",
    quota: "Kuota terpakai",
};

pub static READER_EN: ReaderTexts = ReaderTexts {
    inv_title: "Card readers",
    inv_lead: "The e-KTP readers registered for this institution. Pairing secrets are generated by the server and shown once.",
    inv_lead_readonly: "Every institution's e-KTP readers (read-only).",
    inv_none: "No card reader registered yet.",
    col_reader_id: "Reader ID",
    col_institution: "Institution",
    col_work_unit: "Work unit",
    col_serial: "Serial number",
    col_sam: "SAM number",
    col_status: "Status",
    col_rotated: "Secret changed",
    col_actions: "Actions",
    register_title: "Register a reader",
    register_button: "Register",
    to_active: "Activate",
    to_inactive: "Deactivate",
    to_deactivated: "Retire",
    rotate: "Rotate secret",
    confirm: "Sure?",
    secret_title: "Reader secret",
    secret_once: "Copy it now: this secret will not be shown again.",
    snippet_title: "reader-bridge configuration",
    status_active: "Active",
    status_inactive: "Inactive",
    status_deactivated: "Retired",
    card_title: "Check a card (e-KTP)",
    card_lead: "Read an e-KTP with the card reader on this PC, then compare it with the Dukcapil registry (one quota hit).",
    reader_label: "Card reader",
    no_readers: "This institution has no active card reader.",
    connect: "Connect",
    bridge_idle: "Not connected to reader-bridge.",
    bridge_connecting: "Connecting…",
    bridge_connected: "Connected to reader-bridge.",
    bridge_unavailable: "reader-bridge does not answer on this PC.",
    bridge_help: "Start reader-bridge on this PC, for example:",
    bridge_help_link: "reader-bridge instructions",
    card_present: "Card inserted",
    card_absent: "No card",
    with_fingerprint: "Match fingerprint",
    read: "Read card",
    reading: "Reading…",
    nik_read: "NIK read",
    fingerprint: "Fingerprint",
    fp_matched: "Matched",
    fp_not_matched: "Not matched",
    fp_not_performed: "Not performed",
    purpose: "Purpose",
    compare: "Compare with the Dukcapil registry",
    compare_note: "Uses one quota hit. Neither the card's nor the registry's data is stored.",
    same: "Same",
    different: "Different",
    not_compared: "Not compared",
    no_differences: "Every compared element is the same.",
    differences: "Different elements",
    not_found: "The registry has no data for this NIK; code",
    quota: "Quota used",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_parsing_defaults_to_indonesian() {
        assert_eq!(Lang::from_cookie_str(""), Lang::Id);
        assert_eq!(Lang::from_cookie_str("a=b; sigap_lang=en"), Lang::En);
        assert_eq!(Lang::from_cookie_str("sigap_lang=fr"), Lang::Id);
        assert_eq!(Lang::from_cookie_str("xsigap_lang=en"), Lang::Id);
    }

    #[test]
    fn error_messages_are_translated() {
        let e = crate::AppError::TooManyAttempts {
            retry_after_secs: 7,
        };
        assert!(ID.error_message(&e).contains("7 detik"));
        assert!(EN.error_message(&e).contains("7 seconds"));
        assert_eq!(
            ID.error_message(&crate::AppError::SignInFailed),
            "Nama pengguna atau kata sandi salah."
        );
        assert_eq!(ID.role_label("operator"), "Petugas");
        assert_eq!(EN.role_label("operator"), "Operator");
        assert_eq!(
            ID.access_reason("AGREEMENT_EXPIRED"),
            "Perjanjian kerja sama telah berakhir"
        );
        assert_eq!(
            EN.access_reason("SPTJM_MISSING"),
            "SPTJM of the head not recorded"
        );
        assert_eq!(ID.access_reason("X"), "X");
        assert_eq!(ID.status_label("requested"), "Diajukan");
        let e = crate::AppError::Rejected {
            code: "ADDENDUM_NOT_LATER".into(),
        };
        assert!(ID.error_message(&e).starts_with("Tanggal berakhir adendum"));
        assert!(ID.error_message(&e).ends_with("(ADDENDUM_NOT_LATER)"));
        assert!(EN.error_message(&e).starts_with("The addendum's end"));
        let unknown = crate::AppError::Rejected {
            code: "SOMETHING_NEW".into(),
        };
        assert_eq!(
            ID.error_message(&unknown),
            "Permintaan ditolak: SOMETHING_NEW"
        );
        assert_eq!(ID.element_label("nik"), "NIK");
        assert_eq!(ID.element_label("no_kk"), "No KK");
        assert_eq!(EN.element_label("alamat"), "Address");
        assert_eq!(ID.status_action("suspended"), "Tangguhkan");
    }
}
