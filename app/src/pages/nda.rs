//! NDA gate: the current confidentiality statement of the operator's institution and the
//! "Saya setuju" button. Pages with personal data send operators here until they accept
//! (`session::RequireNda`).

use crate::AppError;
use crate::backend::NdaView;
use crate::i18n::use_lang;
use crate::session::use_session;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

/// The current NDA of the caller's institution (fully authenticated, role with `nda.accept`).
#[leptos::server(prefix = "/api/sf", endpoint = "current_nda")]
pub async fn get_current_nda() -> Result<NdaView, AppError> {
    let parts = crate::backend::request_parts()?;
    crate::backend::backend()?.current_nda(parts).await
}

/// Accepts NDA version `version_id` (it must be the current one of the caller's institution).
#[leptos::server(prefix = "/api/sf", endpoint = "accept_nda")]
pub async fn accept_nda(version_id: i64) -> Result<NdaView, AppError> {
    let parts = crate::backend::request_parts()?;
    crate::backend::backend()?
        .accept_nda(parts, version_id)
        .await
}

/// The NDA page.
#[component]
pub fn NdaPage() -> impl IntoView {
    let lang = use_lang();
    let texts = move || lang.get().texts();
    let session = use_session();
    let nda = Resource::new(|| (), |_| get_current_nda());
    let action = ServerAction::<AcceptNda>::new();
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(_)) = action.value().get() {
            session.refresh();
            navigate("/", Default::default());
        }
    });

    view! {
        <section class="card">
            <h1 data-testid="nda-title">{move || texts().nda_title}</h1>
            <p>{move || texts().nda_lead}</p>
            <Suspense fallback=move || view! { <p>{move || texts().loading}</p> }>
                {move || {
                    nda.get()
                        .map(|r| match r {
                            Ok(n) => {
                                let accepted = n.accepted_at_ms.is_some();
                                let version_id = n.version_id;
                                view! {
                                    <article class="nda" data-testid="nda-text">
                                        <h2>{n.title.clone()}</h2>
                                        <p class="muted">
                                            {n.institution_name.clone()} " · "
                                            {move || texts().nda_version} " " {n.version}
                                        </p>
                                        <div class="nda-body">{n.body.clone()}</div>
                                    </article>
                                    <Show
                                        when=move || !accepted
                                        fallback=move || {
                                            view! {
                                                <p data-testid="nda-accepted">
                                                    {move || texts().nda_accepted}
                                                </p>
                                            }
                                        }
                                    >
                                        <ActionForm action=action>
                                            <input
                                                type="hidden"
                                                name="version_id"
                                                value=move || version_id.to_string()
                                            />
                                            <button
                                                type="submit"
                                                class="button-primary"
                                                data-testid="nda-accept"
                                                disabled=move || action.pending().get()
                                            >
                                                {move || texts().nda_accept}
                                            </button>
                                        </ActionForm>
                                    </Show>
                                }
                                    .into_any()
                            }
                            Err(e) => {
                                view! {
                                    <p class="form-error" role="alert" data-testid="nda-error">
                                        {move || texts().error_message(&e)}
                                    </p>
                                }
                                    .into_any()
                            }
                        })
                }}
            </Suspense>
            {move || {
                action
                    .value()
                    .get()
                    .and_then(|r| r.err())
                    .map(|e| {
                        view! {
                            <p class="form-error" role="alert" data-testid="nda-error">
                                {move || texts().error_message(&e)}
                            </p>
                        }
                    })
            }}
        </section>
    }
}
