//! The institution admin's web-service API tokens, `/admin/token` (`api_tokens.manage`,
//! checked again by every server function): the institution's tokens (service account,
//! purpose, created, last used, expiry, state; never the token), a form issuing one for an
//! active service account (the token is shown once, with a copy button) and revocation behind a
//! confirm step. Issuing and revoking are audited on the server (`api_token.create`,
//! `api_token.revoke`).

use crate::AppError;
use crate::backend::{ApiTokenForm, ApiTokensView, IssuedApiToken};
use crate::i18n::use_lang;
use crate::pages::admin::wib_time;
use crate::session::RequireNda;
use leptos::prelude::*;

/// The caller's institution's tokens and service accounts.
#[leptos::server(prefix = "/api/sf", endpoint = "api_tokens")]
pub async fn get_api_tokens() -> Result<ApiTokensView, AppError> {
    let parts = crate::backend::request_parts()?;
    crate::backend::backend()?.api_tokens(parts).await
}

/// Issues a token; its text is in the answer once and never again.
#[leptos::server(prefix = "/api/sf", endpoint = "create_api_token")]
pub async fn create_api_token(form: ApiTokenForm) -> Result<IssuedApiToken, AppError> {
    let parts = crate::backend::request_parts()?;
    crate::backend::backend()?
        .create_api_token(parts, form)
        .await
}

/// Revokes a token of the caller's institution.
#[leptos::server(prefix = "/api/sf", endpoint = "revoke_api_token")]
pub async fn revoke_api_token(token_id: i64) -> Result<ApiTokensView, AppError> {
    let parts = crate::backend::request_parts()?;
    crate::backend::backend()?
        .revoke_api_token(parts, token_id)
        .await
}

/// `/admin/token`.
#[component]
pub fn ApiTokensPage() -> impl IntoView {
    view! {
        <RequireNda>
            <ApiTokens />
        </RequireNda>
    }
}

/// Copies `text` to the clipboard (browser only; the field stays selectable otherwise).
fn copy_to_clipboard(text: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(w) = web_sys::window() {
        let _ = w.navigator().clipboard().write_text(text);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = text;
}

#[component]
fn ApiTokens() -> impl IntoView {
    let lang = use_lang();
    let texts = move || lang.get().texts();
    let create = ServerAction::<CreateApiToken>::new();
    let revoke = ServerAction::<RevokeApiToken>::new();
    let confirm = RwSignal::new(None::<(i64, String)>);
    let copied = RwSignal::new(false);
    let data = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| get_api_tokens(),
    );
    Effect::new(move |_| {
        if let Some(Ok(_)) = revoke.value().get() {
            confirm.set(None);
        }
    });

    view! {
        <section class="card">
            <h1 data-testid="tokens-title">{move || texts().token_title}</h1>
            <p class="muted">{move || texts().token_lead}</p>
            <p><a href="/admin">{move || texts().token_back}</a></p>
            {move || {
                create
                    .value()
                    .get()
                    .map(|r| match r {
                        Ok(issued) => {
                            let token = issued.token.clone();
                            view! {
                                <div class="confirm" role="status" data-testid="token-issued">
                                    <p><strong>{move || texts().token_shown_once}</strong></p>
                                    <input
                                        class="token-once"
                                        readonly
                                        value=issued.token.clone()
                                        data-testid="token-text"
                                    />
                                    <button
                                        type="button"
                                        class="button-secondary"
                                        data-testid="token-copy"
                                        on:click=move |_| {
                                            copy_to_clipboard(&token);
                                            copied.set(true);
                                        }
                                    >
                                        {move || {
                                            if copied.get() { texts().token_copied } else { texts().token_copy }
                                        }}
                                    </button>
                                </div>
                            }
                                .into_any()
                        }
                        Err(e) => {
                            view! {
                                <p class="form-error" role="alert" data-testid="token-error">
                                    {move || texts().error_message(&e)}
                                </p>
                            }
                                .into_any()
                        }
                    })
            }}
            <Suspense fallback=move || view! { <p>{move || texts().loading}</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(v) => {
                            let empty = v.tokens.is_empty();
                            let no_accounts = v.accounts.is_empty();
                            let tokens = StoredValue::new(v.tokens);
                            let accounts = StoredValue::new(v.accounts);
                            view! {
                                <h2>{move || texts().token_list}</h2>
                                <Show when=move || empty>
                                    <p data-testid="tokens-empty">{move || texts().token_none}</p>
                                </Show>
                                <Show when=move || !empty>
                                    <div class="table-wrap"><table class="table" data-testid="tokens">
                                        <thead>
                                            <tr>
                                                <th>{move || texts().token_col_prefix}</th>
                                                <th>{move || texts().token_col_account}</th>
                                                <th>{move || texts().token_col_purpose}</th>
                                                <th>{move || texts().token_col_created}</th>
                                                <th>{move || texts().token_col_last_used}</th>
                                                <th>{move || texts().token_col_expires}</th>
                                                <th>{move || texts().token_col_state}</th>
                                                <th></th>
                                            </tr>
                                        </thead>
                                        <tbody>
                                            {tokens.with_value(|tokens| tokens
                                                .iter()
                                                .map(|t| {
                                                    let id = t.id;
                                                    let prefix = t.prefix.clone();
                                                    let state = t.state.clone();
                                                    let state_label = state.clone();
                                                    let live = state != "revoked";
                                                    let purpose = t.purpose.clone();
                                                    let account = match &t.local_user_id {
                                                        Some(l) => format!("{} · {l}", t.account_username),
                                                        None => t.account_username.clone(),
                                                    };
                                                    let created = match &t.created_by {
                                                        Some(by) => format!("{} · {by}", wib_time(t.created_at_ms)),
                                                        None => wib_time(t.created_at_ms),
                                                    };
                                                    let last_used = t.last_used_at_ms.map(wib_time);
                                                    let expires = t.expires_at_ms.map(wib_time);
                                                    view! {
                                                        <tr data-testid="token" data-prefix=t.prefix.clone() data-state=state.clone()>
                                                            <td><code>{t.prefix.clone()}"…"</code></td>
                                                            <td>{account}</td>
                                                            <td>
                                                                {move || {
                                                                    if purpose.is_empty() {
                                                                        texts().token_purpose_none.to_string()
                                                                    } else {
                                                                        purpose.clone()
                                                                    }
                                                                }}
                                                            </td>
                                                            <td>{created}</td>
                                                            <td>
                                                                {match last_used {
                                                                    Some(s) => s.into_any(),
                                                                    None => view! { {move || texts().token_never} }.into_any(),
                                                                }}
                                                            </td>
                                                            <td>
                                                                {match expires {
                                                                    Some(s) => s.into_any(),
                                                                    None => view! { {move || texts().token_no_expiry} }.into_any(),
                                                                }}
                                                            </td>
                                                            <td data-testid="token-state">
                                                                {move || texts().token_state(&state_label)}
                                                            </td>
                                                            <td>
                                                                <Show when=move || live>
                                                                    {
                                                                        let prefix = prefix.clone();
                                                                        view! {
                                                                            <button
                                                                                type="button"
                                                                                class="button-secondary"
                                                                                data-testid="token-revoke"
                                                                                on:click=move |_| confirm.set(Some((id, prefix.clone())))
                                                                            >
                                                                                {move || texts().token_revoke}
                                                                            </button>
                                                                        }
                                                                    }
                                                                </Show>
                                                            </td>
                                                        </tr>
                                                    }
                                                })
                                                .collect_view())}
                                        </tbody>
                                    </table></div>
                                </Show>
                                <h2>{move || texts().token_new}</h2>
                                <Show when=move || no_accounts>
                                    <p data-testid="tokens-no-accounts">{move || texts().token_no_accounts}</p>
                                </Show>
                                <Show when=move || !no_accounts>
                                    <ActionForm action=create>
                                        <div class="form-grid">
                                            <label class="form-field">
                                                <span>{move || texts().token_col_account}</span>
                                                <select name="form[account_id]" required data-testid="token-account">
                                                    {accounts.with_value(|accounts| accounts
                                                        .iter()
                                                        .map(|a| {
                                                            let label = match &a.local_user_id {
                                                                Some(local) => format!("{} · {local}", a.username),
                                                                None => a.username.clone(),
                                                            };
                                                            view! { <option value=a.id.to_string()>{label}</option> }
                                                        })
                                                        .collect_view())}
                                                </select>
                                            </label>
                                            <label class="form-field">
                                                <span>{move || texts().token_col_purpose}</span>
                                                <input name="form[purpose]" maxlength="200" data-testid="token-purpose" />
                                                <small class="muted">{move || texts().token_purpose_hint}</small>
                                            </label>
                                            <label class="form-field">
                                                <span>{move || texts().token_expires_days}</span>
                                                <input
                                                    name="form[expires_days]"
                                                    type="number"
                                                    min="1"
                                                    max="3650"
                                                    data-testid="token-expires"
                                                />
                                                <small class="muted">{move || texts().token_expires_hint}</small>
                                            </label>
                                        </div>
                                        <button
                                            type="submit"
                                            class="button-primary"
                                            data-testid="token-submit"
                                            disabled=move || create.pending().get()
                                            on:click=move |_| copied.set(false)
                                        >
                                            {move || texts().token_submit}
                                        </button>
                                    </ActionForm>
                                </Show>
                            }
                                .into_any()
                        }
                        Err(e) => {
                            let code = e.code().to_string();
                            view! {
                                <p class="form-error" role="alert" data-testid="tokens-error" data-error-code=code>
                                    {move || texts().error_message(&e)}
                                </p>
                            }
                                .into_any()
                        }
                    }
                })}
            </Suspense>
            {move || {
                confirm
                    .get()
                    .map(|(id, prefix)| {
                        view! {
                            <div class="confirm" role="alertdialog" data-testid="token-confirm">
                                <p>
                                    <code>{prefix}"…"</code>
                                    " · "
                                    {move || texts().token_revoke_confirm}
                                </p>
                                <div class="button-row">
                                    <ActionForm action=revoke>
                                        <input type="hidden" name="token_id" value=move || id.to_string() />
                                        <button
                                            type="submit"
                                            class="button-primary"
                                            data-testid="token-revoke-confirm"
                                            disabled=move || revoke.pending().get()
                                        >
                                            {move || texts().token_revoke_yes}
                                        </button>
                                    </ActionForm>
                                    <button
                                        type="button"
                                        class="button-secondary"
                                        on:click=move |_| confirm.set(None)
                                    >
                                        {move || texts().admin_cancel}
                                    </button>
                                </div>
                            </div>
                        }
                    })
            }}
            {move || {
                revoke
                    .value()
                    .get()
                    .map(|r| match r {
                        Ok(_) => {
                            view! {
                                <p role="status" data-testid="token-revoked">
                                    {move || texts().token_revoked_ok}
                                </p>
                            }
                                .into_any()
                        }
                        Err(e) => {
                            view! {
                                <p class="form-error" role="alert" data-testid="token-action-error">
                                    {move || texts().error_message(&e)}
                                </p>
                            }
                                .into_any()
                        }
                    })
            }}
        </section>
    }
}
