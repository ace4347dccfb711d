//! The portal's 404 page (also sets the HTTP status on the server).

use crate::i18n::use_lang;
use leptos::prelude::*;

/// Shown for every route the portal does not have.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
        resp.set_status(http::StatusCode::NOT_FOUND);
    }
    let lang = use_lang();
    let texts = move || lang.get().texts();
    view! {
        <section class="card error-page" data-testid="not-found">
            <h1>{move || texts().not_found_title}</h1>
            <p>{move || texts().not_found_body}</p>
            <a class="button" href="/">{move || texts().back_home}</a>
        </section>
    }
}

/// Shown when a server function fails: only a reference id, never the cause.
#[component]
pub fn ErrorNotice(error: crate::AppError) -> impl IntoView {
    let lang = use_lang();
    let texts = move || lang.get().texts();
    let code = error.code().to_string();
    let reference = match &error {
        crate::AppError::Internal { reference } => reference.clone(),
        other => other.code().to_string(),
    };
    view! {
        <section class="card error-page" role="alert" data-error-code=code>
            <h2>{move || texts().error_title}</h2>
            <p>{move || texts().error_body} " " <code>{reference}</code></p>
        </section>
    }
}
