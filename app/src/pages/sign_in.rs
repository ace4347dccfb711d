//! Masuk: the username + password form, then on to the next step of the session (passkey
//! enrolment, second factor, NDA, or home).

use crate::i18n::use_lang;
use crate::session::{SignIn, use_session};
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

/// The sign-in page.
#[component]
pub fn SignInPage() -> impl IntoView {
    let lang = use_lang();
    let texts = move || lang.get().texts();
    let session = use_session();
    let action = ServerAction::<SignIn>::new();
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(Ok(info))) = action.value().get() {
            session.refresh();
            navigate(info.state.next_path(info.nda_pending), Default::default());
        }
    });
    let error = move || {
        action
            .value()
            .get()
            .and_then(|r| r.and_then(|inner| inner).err())
    };

    view! {
        <section class="card narrow">
            <h1 data-testid="sign-in-title">{move || texts().sign_in_title}</h1>
            <p>{move || texts().sign_in_lead}</p>
            <ActionForm action=action>
                <div class="form-field">
                    <label for="username">{move || texts().username_label}</label>
                    <input
                        id="username"
                        name="username"
                        type="text"
                        autocomplete="username webauthn"
                        autocapitalize="none"
                        spellcheck="false"
                        required
                        maxlength="128"
                        data-testid="username"
                    />
                </div>
                <div class="form-field">
                    <label for="password">{move || texts().password_label}</label>
                    <input
                        id="password"
                        name="password"
                        type="password"
                        autocomplete="current-password"
                        required
                        maxlength="1024"
                        data-testid="password"
                    />
                </div>
                <button
                    type="submit"
                    class="button-primary"
                    data-testid="sign-in-submit"
                    disabled=move || action.pending().get()
                >
                    {move || texts().sign_in_submit}
                </button>
            </ActionForm>
            {move || {
                error()
                    .map(|e| {
                        view! {
                            <p class="form-error" role="alert" data-testid="sign-in-error">
                                {move || texts().error_message(&e)}
                            </p>
                        }
                    })
            }}
        </section>
    }
}
