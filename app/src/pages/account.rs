//! Akun: who am I (name, role, institution), my passkeys (add, remove), new recovery codes
//! (shown once), password change (other sessions end, this one continues), sign out and sign
//! out everywhere.

use crate::AppError;
use crate::backend::AccountView;
use crate::i18n::use_lang;
use crate::session::{SignOut, use_session};
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

/// The caller's account page (fully authenticated).
#[leptos::server(prefix = "/api/sf", endpoint = "account")]
pub async fn get_account() -> Result<AccountView, AppError> {
    let parts = crate::backend::request_parts()?;
    crate::backend::backend()?.account(parts).await
}

/// Removes one of the caller's own passkeys.
#[leptos::server(prefix = "/api/sf", endpoint = "remove_passkey")]
pub async fn remove_passkey(passkey_id: i64) -> Result<AccountView, AppError> {
    let parts = crate::backend::request_parts()?;
    crate::backend::backend()?
        .remove_passkey(parts, passkey_id)
        .await
}

/// New recovery codes for the caller (earlier ones stop working); shown once.
#[leptos::server(prefix = "/api/sf", endpoint = "recovery_codes")]
pub async fn generate_recovery_codes() -> Result<Vec<String>, AppError> {
    let parts = crate::backend::request_parts()?;
    crate::backend::backend()?
        .generate_recovery_codes(parts)
        .await
}

/// Changes the caller's password. A refusal (wrong current password, policy, throttled) is
/// the inner `Err` of an HTTP 200 answer, like sign-in.
#[leptos::server(prefix = "/api/sf", endpoint = "change_password")]
pub async fn change_password(
    current_password: String,
    new_password: String,
    confirm_password: String,
) -> Result<Result<(), AppError>, AppError> {
    let parts = crate::backend::request_parts()?;
    crate::backend::backend()?
        .change_password(parts, current_password, new_password, confirm_password)
        .await
}

/// Ends every session of the caller's account.
#[leptos::server(prefix = "/api/sf", endpoint = "sign_out_everywhere")]
pub async fn sign_out_everywhere() -> Result<(), AppError> {
    let parts = crate::backend::request_parts()?;
    crate::backend::backend()?.sign_out_everywhere(parts).await
}

/// The account page.
#[component]
pub fn AccountPage() -> impl IntoView {
    let lang = use_lang();
    let texts = move || lang.get().texts();
    let session = use_session();
    let remove = ServerAction::<RemovePasskey>::new();
    let codes = ServerAction::<GenerateRecoveryCodes>::new();
    let sign_out = ServerAction::<SignOut>::new();
    let everywhere = ServerAction::<SignOutEverywhere>::new();
    let password = ServerAction::<ChangePassword>::new();
    let account = Resource::new(
        move || (remove.version().get(), codes.version().get()),
        |_| get_account(),
    );
    let navigate = use_navigate();
    Effect::new(move |_| {
        let out = matches!(sign_out.value().get(), Some(Ok(())))
            || matches!(everywhere.value().get(), Some(Ok(())));
        if out {
            session.refresh();
            navigate("/masuk", Default::default());
        }
    });
    let action_error = move || {
        remove
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| codes.value().get().and_then(|r| r.err()))
            .or_else(|| everywhere.value().get().and_then(|r| r.err()))
    };

    view! {
        <section class="card">
            <h1 data-testid="account-title">{move || texts().account_title}</h1>
            <Suspense fallback=move || view! { <p>{move || texts().loading}</p> }>
                {move || {
                    account
                        .get()
                        .map(|r| match r {
                            Ok(a) => {
                                let role = a.account.role.clone();
                                let manages = a.manages_passkeys;
                                let remaining = a.recovery_codes_remaining;
                                let passkeys = a.passkeys.clone();
                                view! {
                                    <dl class="facts" data-testid="account-facts">
                                        <dt>{move || texts().account_name}</dt>
                                        <dd>{a.account.display_name.clone()}</dd>
                                        <dt>{move || texts().username_label}</dt>
                                        <dd>{a.account.username.clone()}</dd>
                                        <dt>{move || texts().account_role}</dt>
                                        <dd>{move || texts().role_label(&role).to_string()}</dd>
                                        <dt>{move || texts().account_institution}</dt>
                                        <dd>
                                            {a
                                                .account
                                                .institution_name
                                                .clone()
                                                .unwrap_or_else(|| "—".to_string())}
                                        </dd>
                                        <dt>{move || texts().account_recovery_remaining}</dt>
                                        <dd data-testid="recovery-remaining">{remaining}</dd>
                                    </dl>
                                    <Show when=move || manages>
                                        <h2>{move || texts().account_passkeys}</h2>
                                        <ul class="passkeys" data-testid="passkey-list">
                                            {passkeys
                                                .iter()
                                                .map(|p| {
                                                    let id = p.id;
                                                    view! {
                                                        <li data-testid="passkey-item">
                                                            <span>{p.name.clone()}</span>
                                                            <ActionForm action=remove>
                                                                <input
                                                                    type="hidden"
                                                                    name="passkey_id"
                                                                    value=move || id.to_string()
                                                                />
                                                                <button
                                                                    type="submit"
                                                                    class="button-secondary"
                                                                    data-testid="passkey-remove"
                                                                >
                                                                    {move || texts().account_passkey_remove}
                                                                </button>
                                                            </ActionForm>
                                                        </li>
                                                    }
                                                })
                                                .collect_view()}
                                        </ul>
                                        <a
                                            class="button-secondary"
                                            href="/akun/passkey"
                                            data-testid="passkey-add"
                                        >
                                            {move || texts().account_passkey_add}
                                        </a>
                                    </Show>
                                }
                                    .into_any()
                            }
                            Err(e) => {
                                view! {
                                    <p class="form-error" role="alert" data-testid="account-error">
                                        {move || texts().error_message(&e)}
                                    </p>
                                }
                                    .into_any()
                            }
                        })
                }}
            </Suspense>
        </section>
        <section class="card">
            <h2>{move || texts().account_recovery_title}</h2>
            <p>{move || texts().account_recovery_lead}</p>
            <ActionForm action=codes>
                <button type="submit" class="button-secondary" data-testid="recovery-generate">
                    {move || texts().account_recovery_generate}
                </button>
            </ActionForm>
            {move || {
                codes
                    .value()
                    .get()
                    .and_then(|r| r.ok())
                    .map(|list| {
                        view! {
                            <p role="status">{move || texts().account_recovery_once}</p>
                            <ol class="recovery-codes" data-testid="recovery-codes">
                                {list
                                    .into_iter()
                                    .map(|c| view! { <li><code>{c}</code></li> })
                                    .collect_view()}
                            </ol>
                        }
                    })
            }}
        </section>
        <section class="card">
            <h2>{move || texts().account_password_title}</h2>
            <p class="muted">{move || texts().account_password_lead}</p>
            <ActionForm action=password>
                <label class="form-field">
                    <span>{move || texts().account_password_current}</span>
                    <input
                        type="password"
                        name="current_password"
                        autocomplete="current-password"
                        required
                        data-testid="password-current"
                    />
                </label>
                <label class="form-field">
                    <span>{move || texts().account_password_new}</span>
                    <input
                        type="password"
                        name="new_password"
                        autocomplete="new-password"
                        required
                        data-testid="password-new"
                    />
                </label>
                <label class="form-field">
                    <span>{move || texts().account_password_confirm}</span>
                    <input
                        type="password"
                        name="confirm_password"
                        autocomplete="new-password"
                        required
                        data-testid="password-confirm"
                    />
                </label>
                <button
                    type="submit"
                    class="button-primary"
                    data-testid="password-submit"
                    disabled=move || password.pending().get()
                >
                    {move || texts().account_password_submit}
                </button>
            </ActionForm>
            {move || {
                password
                    .value()
                    .get()
                    .map(|r| match r.and_then(|inner| inner) {
                        Ok(()) => {
                            view! {
                                <p role="status" class="form-ok" data-testid="password-changed">
                                    {move || texts().account_password_changed}
                                </p>
                            }
                                .into_any()
                        }
                        Err(e) => {
                            view! {
                                <p class="form-error" role="alert" data-testid="password-error">
                                    {move || texts().error_message(&e)}
                                </p>
                            }
                                .into_any()
                        }
                    })
            }}
        </section>
        <section class="card">
            <h2>{move || texts().account_sessions_title}</h2>
            <div class="button-row">
                <ActionForm action=sign_out>
                    <button type="submit" class="button-secondary" data-testid="account-sign-out">
                        {move || texts().sign_out}
                    </button>
                </ActionForm>
                <ActionForm action=everywhere>
                    <button
                        type="submit"
                        class="button-secondary"
                        data-testid="sign-out-everywhere"
                    >
                        {move || texts().account_sign_out_everywhere}
                    </button>
                </ActionForm>
            </div>
            {move || {
                action_error()
                    .map(|e| {
                        view! {
                            <p class="form-error" role="alert" data-testid="account-action-error">
                                {move || texts().error_message(&e)}
                            </p>
                        }
                    })
            }}
        </section>
    }
}
