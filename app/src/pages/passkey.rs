//! Passkey enrolment (`/akun/passkey`) and the second step of signing in
//! (`/masuk/verifikasi`). The WebAuthn ceremony itself runs in `public/passkey.js` (a separate
//! module: the CSP allows no inline script), which finds the buttons by their
//! `data-passkey` attribute and talks to the `/auth/passkey/...` endpoints.

use crate::i18n::use_lang;
use leptos::prelude::*;

/// Registers the first (or another) passkey.
#[component]
pub fn PasskeyEnrolment() -> impl IntoView {
    let lang = use_lang();
    let texts = move || lang.get().texts();
    view! {
        <section class="card narrow" data-passkey-scope="">
            <h1 data-testid="passkey-title">{move || texts().passkey_enrol_title}</h1>
            <p>{move || texts().passkey_enrol_lead}</p>
            <div class="form-field">
                <label for="passkey-name">{move || texts().passkey_name_label}</label>
                <input id="passkey-name" type="text" maxlength="64" data-passkey-name="" />
            </div>
            <button
                type="button"
                class="button-primary"
                data-passkey="register"
                data-testid="passkey-register"
                data-unsupported=move || texts().passkey_unsupported
            >
                {move || texts().passkey_register}
            </button>
            <p
                class="form-error"
                role="alert"
                hidden=true
                data-passkey-error=""
                data-cancelled=move || texts().passkey_cancelled
                data-testid="passkey-error"
            ></p>
        </section>
    }
}

/// The second factor after the password: a passkey or a recovery code.
#[component]
pub fn SecondFactor() -> impl IntoView {
    let lang = use_lang();
    let texts = move || lang.get().texts();
    view! {
        <section class="card narrow" data-passkey-scope="">
            <h1 data-testid="verify-title">{move || texts().verify_title}</h1>
            <p>{move || texts().verify_lead}</p>
            <button
                type="button"
                class="button-primary"
                data-passkey="sign-in"
                data-testid="passkey-verify"
                data-unsupported=move || texts().passkey_unsupported
            >
                {move || texts().verify_passkey}
            </button>
            <form data-recovery-code="" class="recovery-form">
                <div class="form-field">
                    <label for="recovery-code">{move || texts().recovery_label}</label>
                    <input
                        id="recovery-code"
                        name="code"
                        type="text"
                        autocomplete="one-time-code"
                        autocapitalize="none"
                        spellcheck="false"
                        required
                        maxlength="64"
                        data-testid="recovery-code"
                    />
                </div>
                <button type="submit" class="button-secondary" data-testid="recovery-submit">
                    {move || texts().recovery_submit}
                </button>
            </form>
            <p
                class="form-error"
                role="alert"
                hidden=true
                data-passkey-error=""
                data-cancelled=move || texts().passkey_cancelled
                data-testid="passkey-error"
            ></p>
        </section>
    }
}
