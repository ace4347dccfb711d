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
                // Resources are awaited inside `Suspend` rather than read with `.get()`: reading
                // one resource under several `<Suspense>` boundaries can leave a server-rendered
                // stream waiting forever (leptos issues 4578/4851); awaiting it cannot.
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        match info.await {
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
                        }
                    })}
                </Suspense>
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        match session.info.await.ok().and_then(|i| i.account) {
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
                        }
                    })}
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
                // Shown only to roles the server says may open them (`domain::access`); the
                // server functions refuse everyone else anyway.
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        let info = session
                            .info
                            .await
                            .ok()
                            .filter(|i| i.state == SessionState::Authenticated);
                        let nda_pending = info.as_ref().is_some_and(|i| i.nda_pending);
                        let signed_in = info.is_some();
                        let account = info.and_then(|i| i.account);
                        let may = |f: fn(&SessionAccount) -> bool| account.as_ref().is_some_and(f);
                        let admin = may(|a| a.institution_admin);
                        let disdukcapil = may(|a| a.disdukcapil_admin);
                        let oversight = may(|a| a.oversight);
                        let check_nik = may(|a| a.check_nik);
                        let audit_trail = may(|a| a.audit_trail);
                        view! {
                            {nda_pending.then(|| view! { <A href="/nda">{move || texts().nav_nda}</A> })}
                            {(check_nik && !nda_pending).then(|| view! { <A href="/cek-nik">{move || texts().check().nav}</A> })}
                            {signed_in.then(|| view! { <A href="/akun">{move || texts().nav_account}</A> })}
                            {admin.then(|| view! { <A href="/admin">{move || texts().nav_admin}</A> })}
                            {disdukcapil.then(|| view! { <A href="/disdukcapil">{move || texts().nav_disdukcapil}</A> })}
                            {oversight.then(|| view! { <A href="/pengawasan">{move || texts().nav_oversight}</A> })}
                            // Card readers: institution admins (readers.manage) and, read-only,
                            // Disdukcapil admins; the page gate and server check again.
                            {(admin || disdukcapil).then(|| view! { <A href="/admin/pembaca">{move || lang.get().reader_texts().inv_title}</A> })}
                            {audit_trail.then(|| view! { <A href="/jejak-audit">{move || texts().audit.nav}</A> })}
                        }
                    })}
                </Suspense>
            </nav>
        </header>
        <main class="container main">{children()}</main>
        <footer class="site-footer">
            <div class="container">{move || texts().footer}</div>
        </footer>
    }
}
