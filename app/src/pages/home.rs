//! Beranda: what SIGAP is for and the rules every access follows.

use crate::backend::SessionState;
use crate::i18n::use_lang;
use crate::session::use_session;
use leptos::prelude::*;

/// The home page.
#[component]
pub fn Home() -> impl IntoView {
    let lang = use_lang();
    let texts = move || lang.get().texts();
    let show_elements = RwSignal::new(false);
    let session = use_session();
    view! {
        <section class="hero">
            <h1 data-testid="home-title">{move || texts().home_title}</h1>
            <p class="lead">{move || texts().home_lead}</p>
        </section>
        // Awaited, not read with `.get()` (see the note in `layout.rs`).
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let pending = session
                    .info
                    .await
                    .is_ok_and(|i| i.state == SessionState::Authenticated && i.nda_pending);
                pending
                    .then(|| {
                        view! {
                            <section class="card card-warning" role="status" data-testid="nda-pending">
                                <h2>{move || texts().nda_pending_title}</h2>
                                <p>{move || texts().nda_pending_body}</p>
                                <a class="button-primary" href="/nda">{move || texts().nda_open}</a>
                            </section>
                        }
                    })
            })}
        </Suspense>
        <div class="cards">
            <section class="card">
                <h2>{move || texts().home_rules_title}</h2>
                <ul class="rules">
                    {move || {
                        texts().home_rules.iter().map(|r| view! { <li>{*r}</li> }).collect_view()
                    }}
                </ul>
            </section>
            <section class="card">
                <h2>{move || texts().home_elements_title}</h2>
                <button
                    type="button"
                    class="button-secondary"
                    data-testid="elements-toggle"
                    aria-expanded=move || show_elements.get().to_string()
                    on:click=move |_| show_elements.update(|s| *s = !*s)
                >
                    {move || {
                        if show_elements.get() {
                            texts().home_elements_toggle_hide
                        } else {
                            texts().home_elements_toggle_show
                        }
                    }}
                </button>
                <Show when=move || show_elements.get()>
                    <ol class="elements" data-testid="elements-list">
                        {move || {
                            texts().elements.iter().map(|e| view! { <li>{*e}</li> }).collect_view()
                        }}
                    </ol>
                </Show>
            </section>
        </div>
    }
}
