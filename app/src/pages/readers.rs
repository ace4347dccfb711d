//! Pembaca kartu (`/admin/pembaca`): the card-reader inventory. Institution admins
//! (`readers.manage`) list their institution's readers, register one (the server generates the
//! secret and shows it once with the reader-bridge configuration to paste), deactivate,
//! reactivate or retire it, and rotate its secret (shown once). Disdukcapil admins
//! (`agreements.manage`) see every institution's readers without controls. Every check is on
//! the server (`server/src/portal/readers.rs`).

use crate::AppError;
use crate::backend::{IssuedReaderSecret, ReaderForm, ReaderSummary, ReadersView};
use crate::i18n::use_lang;
use crate::pages::admin::wib_time;
use crate::session::RequireNda;
use leptos::prelude::*;

/// The readers the caller may see.
#[leptos::server(prefix = "/api/sf", endpoint = "readers")]
pub async fn get_readers() -> Result<ReadersView, AppError> {
    let parts = crate::backend::request_parts()?;
    crate::backend::backend()?.readers(parts).await
}

/// Registers a reader of the caller's institution; the answer carries its secret, once.
#[leptos::server(prefix = "/api/sf", endpoint = "register_reader")]
pub async fn register_reader(form: ReaderForm) -> Result<IssuedReaderSecret, AppError> {
    let parts = crate::backend::request_parts()?;
    crate::backend::backend()?
        .register_reader(parts, form)
        .await
}

/// Moves a reader to `active`, `inactive` or `deactivated` (final).
#[leptos::server(prefix = "/api/sf", endpoint = "set_reader_status")]
pub async fn set_reader_status(id: i64, status: String) -> Result<ReadersView, AppError> {
    let parts = crate::backend::request_parts()?;
    crate::backend::backend()?
        .set_reader_status(parts, id, status)
        .await
}

/// Gives a reader a new secret (shown once); the old one stops working.
#[leptos::server(prefix = "/api/sf", endpoint = "rotate_reader_secret")]
pub async fn rotate_reader_secret(id: i64) -> Result<IssuedReaderSecret, AppError> {
    let parts = crate::backend::request_parts()?;
    crate::backend::backend()?
        .rotate_reader_secret(parts, id)
        .await
}

/// The inventory page.
#[component]
pub fn ReadersPage() -> impl IntoView {
    view! {
        <RequireNda>
            <Readers />
        </RequireNda>
    }
}

#[component]
fn Readers() -> impl IntoView {
    let lang = use_lang();
    let rt = move || lang.get().reader_texts();
    let texts = move || lang.get().texts();
    let register = ServerAction::<RegisterReader>::new();
    let set_status = ServerAction::<SetReaderStatus>::new();
    let rotate = ServerAction::<RotateReaderSecret>::new();
    let data = Resource::new(
        move || {
            (
                register.version().get(),
                set_status.version().get(),
                rotate.version().get(),
            )
        },
        |_| get_readers(),
    );
    // The secret of the last registration or rotation, shown once (browser memory only).
    let issued = RwSignal::new(None::<Result<IssuedReaderSecret, AppError>>);
    Effect::new(move |_| {
        if let Some(v) = register.value().get() {
            issued.set(Some(v));
        }
    });
    Effect::new(move |_| {
        if let Some(v) = rotate.value().get() {
            issued.set(Some(v));
        }
    });
    let status_error = move || set_status.value().get().and_then(Result::err);
    view! {
        <section class="card">
            <h1 data-testid="readers-title">{move || rt().inv_title}</h1>
        </section>
        <Suspense fallback=move || view! { <p>{move || texts().loading}</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(view) => {
                        view! { <ReaderList view=view set_status=set_status rotate=rotate /> }
                            .into_any()
                    }
                    Err(e) => {
                        view! {
                            <p class="form-error" role="alert" data-testid="readers-error" data-error-code=e.code().to_string()>
                                {
                        let e = e.clone();
                        move || texts().error_message(&e)
                    }
                            </p>
                        }
                            .into_any()
                    }
                }
            })}
        </Suspense>
        {move || {
            status_error()
                .map(|e| {
                    view! {
                        <p class="form-error" role="alert" data-testid="reader-status-error" data-error-code=e.code().to_string()>
                            {
                        let e = e.clone();
                        move || texts().error_message(&e)
                    }
                        </p>
                    }
                })
        }}
        {move || {
            issued
                .get()
                .map(|r| match r {
                    Ok(s) => view! { <IssuedSecret issued=s /> }.into_any(),
                    Err(e) => {
                        view! {
                            <p class="form-error" role="alert" data-testid="reader-register-error" data-error-code=e.code().to_string()>
                                {
                        let e = e.clone();
                        move || texts().error_message(&e)
                    }
                            </p>
                        }
                            .into_any()
                    }
                })
        }}
        <RegisterForm action=register />
    }
}

#[component]
fn ReaderList(
    view: ReadersView,
    set_status: ServerAction<SetReaderStatus>,
    rotate: ServerAction<RotateReaderSecret>,
) -> impl IntoView {
    let lang = use_lang();
    let rt = move || lang.get().reader_texts();
    let manage = view.manage;
    let empty = view.readers.is_empty();
    view! {
        <section class="card" data-testid="readers" data-manage=manage.to_string()>
            <p class="muted">
                {move || if manage { rt().inv_lead } else { rt().inv_lead_readonly }}
            </p>
            <Show when=move || empty>
                <p data-testid="readers-empty">{move || rt().inv_none}</p>
            </Show>
            <Show when=move || !empty>
                <div class="table-wrap"><table class="table">
                    <thead>
                        <tr>
                            <th>{move || rt().col_reader_id}</th>
                            {(!manage).then(|| view! { <th>{move || rt().col_institution}</th> })}
                            <th>{move || rt().col_work_unit}</th>
                            <th>{move || rt().col_serial}</th>
                            <th>{move || rt().col_sam}</th>
                            <th>{move || rt().col_status}</th>
                            <th>{move || rt().col_rotated}</th>
                            {manage.then(|| view! { <th>{move || rt().col_actions}</th> })}
                        </tr>
                    </thead>
                    <tbody>
                        {view
                            .readers
                            .clone()
                            .into_iter()
                            .map(|r| view! { <ReaderRow r=r manage=manage set_status=set_status rotate=rotate /> })
                            .collect_view()}
                    </tbody>
                </table></div>
            </Show>
        </section>
    }
}

#[component]
fn ReaderRow(
    r: ReaderSummary,
    manage: bool,
    set_status: ServerAction<SetReaderStatus>,
    rotate: ServerAction<RotateReaderSecret>,
) -> impl IntoView {
    let lang = use_lang();
    let rt = move || lang.get().reader_texts();
    let status = r.status.clone();
    let id = r.id;
    let can_rotate = r.status != "deactivated";
    let confirming = RwSignal::new(None::<String>);
    let buttons = r
        .next_statuses
        .iter()
        .map(|to| {
            let to = to.clone();
            let label_to = to.clone();
            view! {
                <button
                    type="button"
                    class="button-secondary"
                    data-testid="reader-status-button"
                    data-to=to.clone()
                    on:click=move |_| confirming.set(Some(to.clone()))
                >
                    {move || match label_to.as_str() {
                        "active" => rt().to_active,
                        "inactive" => rt().to_inactive,
                        _ => rt().to_deactivated,
                    }}
                </button>
            }
        })
        .collect_view();
    view! {
        <tr data-testid="reader-row" data-reader-id=r.reader_id.clone() data-status=r.status.clone()>
            <td>{r.reader_id.clone()}</td>
            {(!manage).then(|| view! { <td>{r.institution_name.clone()}</td> })}
            <td>{r.work_unit.clone()}</td>
            <td>{r.serial_number.clone()}</td>
            <td>{r.sam_number.clone()}</td>
            <td>{move || rt().status(&status)}</td>
            <td>{wib_time(r.secret_rotated_at_ms)}</td>
            {manage
                .then(|| {
                    view! {
                        <td class="actions">
                            {buttons}
                            {can_rotate
                                .then(|| {
                                    view! {
                                        <button
                                            type="button"
                                            class="button-secondary"
                                            data-testid="reader-rotate"
                                            on:click=move |_| confirming.set(Some("rotate".into()))
                                        >
                                            {move || rt().rotate}
                                        </button>
                                    }
                                })}
                            {move || {
                                confirming
                                    .get()
                                    .map(|what| {
                                        view! {
                                            <button
                                                type="button"
                                                data-testid="reader-confirm"
                                                on:click=move |_| {
                                                    if what == "rotate" {
                                                        rotate.dispatch(RotateReaderSecret { id });
                                                    } else {
                                                        set_status
                                                            .dispatch(SetReaderStatus {
                                                                id,
                                                                status: what.clone(),
                                                            });
                                                    }
                                                    confirming.set(None);
                                                }
                                            >
                                                {move || rt().confirm}
                                            </button>
                                        }
                                    })
                            }}
                        </td>
                    }
                })}
        </tr>
    }
}

/// The secret and the configuration, once.
#[component]
fn IssuedSecret(issued: IssuedReaderSecret) -> impl IntoView {
    let lang = use_lang();
    let rt = move || lang.get().reader_texts();
    view! {
        <section class="card" data-testid="reader-secret-card" data-reader-id=issued.reader.reader_id.clone()>
            <h2>{move || rt().secret_title} " · " {issued.reader.reader_id.clone()}</h2>
            <p class="badge-warn">{move || rt().secret_once}</p>
            <pre data-testid="reader-secret">{issued.secret.clone()}</pre>
            <h3>{move || rt().snippet_title}</h3>
            <pre data-testid="reader-snippet">{issued.config_snippet.clone()}</pre>
        </section>
    }
}

#[component]
fn RegisterForm(action: ServerAction<RegisterReader>) -> impl IntoView {
    let lang = use_lang();
    let rt = move || lang.get().reader_texts();
    view! {
        <section class="card">
            <h2>{move || rt().register_title}</h2>
            <ActionForm action=action>
                <div class="form-grid">
                    <label>
                        {move || rt().col_reader_id}
                        // Browsers compile `pattern` with the `v` flag: a `-` in a class is escaped.
                        <input name="form[reader_id]" required maxlength="64" pattern="[A-Za-z0-9_\\-]{1,64}" data-testid="reader-id" />
                    </label>
                    <label>
                        {move || rt().col_work_unit}
                        <input name="form[work_unit]" required maxlength="120" data-testid="reader-work-unit" />
                    </label>
                    <label>
                        {move || rt().col_serial}
                        <input name="form[serial_number]" required maxlength="120" data-testid="reader-serial" />
                    </label>
                    <label>
                        {move || rt().col_sam}
                        <input name="form[sam_number]" required maxlength="120" data-testid="reader-sam" />
                    </label>
                </div>
                <button type="submit" data-testid="reader-register">{move || rt().register_button}</button>
            </ActionForm>
        </section>
    }
}
