//! The SIGAP portal: Leptos components, routes and server functions, shared by the server
//! (`ssr`: renders HTML, runs server functions) and the browser (`hydrate`).
//!
//! Pages reach server-side services only through the [`backend`] context, never directly.
#![forbid(unsafe_code)]
// The administration pages nest deep view types; the hydrate build needs more than 128.
#![recursion_limit = "256"]

pub mod backend;
pub mod error;
#[cfg(feature = "ssr")]
pub mod gates;
pub mod i18n;
pub mod layout;
pub mod outcome;
pub mod pages;
pub mod session;

use leptos::prelude::*;
#[cfg(feature = "ssr")]
use leptos_meta::MetaTags;
use leptos_meta::{Stylesheet, Title, provide_meta_context};
use leptos_router::{
    components::{Route, Router, Routes},
    path,
};

pub use error::AppError;

/// The HTML document around the app, rendered on the server only.
///
/// The CSP nonce for Leptos' inline scripts comes from the server's security-header middleware
/// through the request's extensions, so the header and the page always agree.
#[cfg(feature = "ssr")]
pub fn shell(options: LeptosOptions) -> impl IntoView {
    use leptos::nonce::Nonce;

    let parts = use_context::<http::request::Parts>();
    let nonce = parts
        .as_ref()
        .and_then(|p| p.extensions.get::<backend::CspNonce>())
        .map(|n| n.0.clone());
    if let Some(nonce) = &nonce {
        provide_context(Nonce::from_value(nonce.clone()));
    }
    let lang = parts
        .as_ref()
        .map(|p| i18n::Lang::from_cookie_header(p.headers.get(http::header::COOKIE)))
        .unwrap_or_default();
    view! {
        <!DOCTYPE html>
        <html lang=lang.code()>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <link rel="icon" type="image/svg+xml" href="/favicon.svg" />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                // Passkey ceremonies (public/passkey.js): a same-origin module, no inline code
                // (it carries the nonce too, like every script of the page).
                <script type="module" src="/passkey.js" nonce=nonce.map(|n| n.to_string())></script>
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The portal: shell layout, language context and routes.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    i18n::provide_lang();
    session::provide_session();

    view! {
        <Stylesheet id="sigap" href="/pkg/sigap.css" />
        <Title text="SIGAP" />
        <Router>
            <layout::Shell>
                <Routes fallback=pages::not_found::NotFound>
                    <Route path=path!("/") view=pages::home::Home />
                    <Route path=path!("/status") view=pages::status::Status />
                    <Route path=path!("/masuk") view=pages::sign_in::SignInPage />
                    <Route path=path!("/nda") view=pages::nda::NdaPage />
                    <Route path=path!("/akun") view=pages::account::AccountPage />
                    <Route path=path!("/admin") view=pages::admin::InstitutionAdminPage />
                    <Route path=path!("/admin/token") view=pages::tokens::ApiTokensPage />
                    <Route path=path!("/pengawasan") view=pages::oversight::OversightPage />
                    <Route path=path!("/admin/pembaca") view=pages::readers::ReadersPage />
                    <Route path=path!("/cek-kartu") view=pages::card::CardCheckPage />
                    <Route path=path!("/cek-nik") view=pages::check::CheckPage />
                    <Route path=path!("/jejak-audit") view=pages::audit_trail::AuditTrailPage />
                    <Route
                        path=path!("/disdukcapil")
                        view=pages::admin::DisdukcapilAdminPage
                    />
                    <Route path=path!("/akun/passkey") view=pages::passkey::PasskeyEnrolment />
                    <Route path=path!("/masuk/verifikasi") view=pages::passkey::SecondFactor />
                </Routes>
            </layout::Shell>
        </Router>
    }
}
