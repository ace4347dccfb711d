//! Status Sistem: version, database backend and migration state, for admins and evaluators.

use crate::AppError;
use crate::backend::SystemStatus;
use crate::i18n::use_lang;
use crate::pages::not_found::ErrorNotice;
use leptos::prelude::*;

/// Readiness facts (no personal data, no secrets: backend kind only, never the URL).
#[leptos::server(prefix = "/api/sf", endpoint = "system_status")]
pub async fn get_system_status() -> Result<SystemStatus, AppError> {
    crate::backend::backend()?.system_status().await
}

/// The status page.
#[component]
pub fn Status() -> impl IntoView {
    let lang = use_lang();
    let texts = move || lang.get().texts();
    let status = Resource::new(|| (), |_| get_system_status());
    view! {
        <section class="card">
            <h1>{move || texts().status_title}</h1>
            <Suspense fallback=move || view! { <p>{move || texts().loading}</p> }>
                {move || {
                    status.get().map(|r| match r {
                        Ok(s) => {
                            let ready = s.database_ready;
                            view! {
                                <dl class="facts" data-testid="status">
                                    <dt>{move || texts().status_version}</dt>
                                    <dd>{s.version.clone()}</dd>
                                    <dt>{move || texts().status_database}</dt>
                                    <dd>
                                        {s.database_backend.clone()} " · "
                                        {move || if ready { texts().status_ready } else { texts().status_not_ready }}
                                    </dd>
                                    <dt>{move || texts().status_migrations}</dt>
                                    <dd>{format!("{} / {}", s.migrations_applied, s.migrations_expected)}</dd>
                                </dl>
                            }
                                .into_any()
                        }
                        Err(e) => view! { <ErrorNotice error=e /> }.into_any(),
                    })
                }}
            </Suspense>
        </section>
    }
}
