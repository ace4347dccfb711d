//! Interface language: Bahasa Indonesia by default, English on request.
//!
//! The choice lives in the `sigap_lang` cookie so the server renders the same language the
//! browser shows (no flash after hydration). All UI strings are in [`Texts`].

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

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
    footer: "SIGAP · open-source software for lawful use of population data",
};

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
}
