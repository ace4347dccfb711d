//! The frame around every page: header (brand, institution, navigation, language toggle),
//! main area and footer.

use crate::AppError;
use crate::backend::ShellInfo;
use crate::backend::{SessionAccount, SessionState};
use crate::i18n::{set_lang, use_lang};
use crate::session::{SignOut, use_session};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;

/// Header facts from the server (institution name, demo mode).
#[leptos::server(prefix = "/api/sf", endpoint = "shell_info")]
pub async fn get_shell_info() -> Result<ShellInfo, AppError> {
    // Public: the institution's display name is shown on the sign-in page too.
    crate::backend::backend()?.shell_info().await
}

/// The page frame.
#[component]
pub fn Shell(children: Children) -> impl IntoView {
    let lang = use_lang();
    let texts = move || lang.get().texts();
    let info = Resource::new(|| (), |_| get_shell_info());
    let session = use_session();
    let sign_out = ServerAction::<SignOut>::new();
    let navigate = use_navigate();
    let authenticated_account = move |f: fn(&SessionAccount) -> bool| {
        session.info.get().is_some_and(|r| {
            r.is_ok_and(|i| {
                i.state == SessionState::Authenticated && i.account.as_ref().is_some_and(f)
            })
        })
    };
    Effect::new(move |_| {
        if let Some(Ok(())) = sign_out.value().get() {
            session.refresh();
            navigate("/masuk", Default::default());
        }
    });

    view! {
        <header class="site-header">
            <div class="container header-row">
                <a class="brand" href="/">
                    <span class="brand-mark" aria-hidden="true">"S"</span>
                    <span class="brand-text">
                        <strong>"SIGAP"</strong>
                        <small>{move || texts().tagline}</small>
                    </span>
                </a>
                <Suspense fallback=|| ()>
                    {move || {
                        info.get()
                            .map(|r| match r {
                                Ok(i) => {
                                    let demo = i.demo;
                                    let name = i.institution_name.clone();
                                    view! {
                                        <div class="institution" data-testid="institution">
                                            {move || {
                                                name.clone()
                                                    .unwrap_or_else(|| texts().no_institution.to_string())
                                            }}
                                            <Show when=move || demo>
                                                <span class="badge-demo">{move || texts().demo_badge}</span>
                                            </Show>
                                        </div>
                                    }
                                        .into_any()
                                }
                                Err(_) => ().into_any(),
                            })
                    }}
                </Suspense>
                <Suspense fallback=|| ()>
                    {move || {
                        session
                            .info
                            .get()
                            .map(|r| match r.ok().and_then(|i| i.account) {
                                Some(a) => {
                                    let role = a.role.clone();
                                    view! {
                                        <div class="account" data-testid="account">
                                            <span class="account-name" data-testid="account-name">
                                                {a.display_name.clone()}
                                            </span>
                                            <small class="account-role" data-testid="account-role">
                                                {move || texts().role_label(&role).to_string()}
                                            </small>
                                            <ActionForm action=sign_out>
                                                <button
                                                    type="submit"
                                                    class="button-secondary"
                                                    data-testid="sign-out"
                                                >
                                                    {move || texts().sign_out}
                                                </button>
                                            </ActionForm>
                                        </div>
                                    }
                                        .into_any()
                                }
                                None => {
                                    view! {
                                        <a class="sign-in-link" href="/masuk" data-testid="sign-in-link">
                                            {move || texts().nav_sign_in}
                                        </a>
                                    }
                                        .into_any()
                                }
                            })
                    }}
                </Suspense>
                <button
                    type="button"
                    class="lang-toggle"
                    data-testid="lang-toggle"
                    title=move || texts().toggle_title
                    on:click=move |_| set_lang(lang.get_untracked().other())
                >
                    {move || texts().toggle_label}
                </button>
            </div>
            <nav class="container nav" aria-label="Navigasi utama">
                <A href="/" exact=true>{move || texts().nav_home}</A>
                <A href="/status">{move || texts().nav_status}</A>
                <Suspense fallback=|| ()>
                    <Show when=move || {
                        session.info.get().is_some_and(|r| {
                            r.is_ok_and(|i| i.state == SessionState::Authenticated && i.nda_pending)
                        })
                    }>
                        <A href="/nda">{move || texts().nav_nda}</A>
                    </Show>
                    <Show when=move || {
                        session.info.get().is_some_and(|r| {
                            r.is_ok_and(|i| i.state == SessionState::Authenticated)
                        })
                    }>
                        <A href="/akun">{move || texts().nav_account}</A>
                    </Show>
                    // Shown only to roles the server says may open them (`domain::access`);
                    // the server functions refuse everyone else anyway.
                    <Show when=move || authenticated_account(|a| a.institution_admin)>
                        <A href="/admin">{move || texts().nav_admin}</A>
                    </Show>
                    <Show when=move || authenticated_account(|a| a.disdukcapil_admin)>
                        <A href="/disdukcapil">{move || texts().nav_disdukcapil}</A>
                    </Show>
                    <Show when=move || authenticated_account(|a| a.oversight)>
                        <A href="/pengawasan">{move || texts().nav_oversight}</A>
                    </Show>
                </Suspense>
            </nav>
        </header>
        <main class="container main">{children()}</main>
        <footer class="site-footer">
            <div class="container">{move || texts().footer}</div>
        </footer>
    }
}
