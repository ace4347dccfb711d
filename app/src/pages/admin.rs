//! Administration pages: the institution admin's `/admin` (accounts, who has signed which NDA,
//! deactivation, local user ID history, staff-change notices from `pages::notices`, agreement
//! state and SPTJM) and the Disdukcapil admin's
//! `/disdukcapil` (institutions, agreements with their editor from `pages::agreements`,
//! user-ID applications).
//!
//! The server functions check authorisation themselves (`domain::access`, deny by default; one
//! institution never sees another's data); the navigation only hides the links.

use crate::AppError;
use crate::backend::{
    AccessSummary, AgreementSummary, DisdukcapilInstitutionView, InstitutionAdminView,
    InstitutionSummary,
};
use crate::i18n::use_lang;
use crate::pages::agreements::{AgreementActions, AgreementEditor, AgreementOutcome, NewAgreement};
use crate::pages::notices::{RecordStaffChangeNotice, StaffNotices};
use crate::session::RequireNda;
use leptos::prelude::*;

/// The caller's institution (`operators.manage`).
#[leptos::server(prefix = "/api/sf", endpoint = "institution_admin")]
pub async fn get_institution_admin() -> Result<InstitutionAdminView, AppError> {
    let parts = crate::backend::request_parts()?;
    crate::backend::backend()?.institution_admin(parts).await
}

/// Deactivates an operator of the caller's institution; its sessions end at once.
#[leptos::server(prefix = "/api/sf", endpoint = "deactivate_account")]
pub async fn deactivate_account(account_id: i64) -> Result<InstitutionAdminView, AppError> {
    let parts = crate::backend::request_parts()?;
    crate::backend::backend()?
        .deactivate_account(parts, account_id)
        .await
}

/// Every institution with its access state (`agreements.manage`).
#[leptos::server(prefix = "/api/sf", endpoint = "disdukcapil_institutions")]
pub async fn get_disdukcapil_institutions() -> Result<Vec<InstitutionSummary>, AppError> {
    let parts = crate::backend::request_parts()?;
    crate::backend::backend()?
        .disdukcapil_institutions(parts)
        .await
}

/// One institution's agreements and user-ID applications (`agreements.manage`).
#[leptos::server(prefix = "/api/sf", endpoint = "disdukcapil_institution")]
pub async fn get_disdukcapil_institution(
    institution_id: i64,
) -> Result<DisdukcapilInstitutionView, AppError> {
    let parts = crate::backend::request_parts()?;
    crate::backend::backend()?
        .disdukcapil_institution(parts, institution_id)
        .await
}

/// Grants a requested user ID with the ID Disdukcapil assigned (`user_ids.approve`).
#[leptos::server(prefix = "/api/sf", endpoint = "activate_user_id")]
pub async fn activate_user_id(
    id: i64,
    dukcapil_user_id: String,
) -> Result<DisdukcapilInstitutionView, AppError> {
    let parts = crate::backend::request_parts()?;
    crate::backend::backend()?
        .activate_user_id(parts, id, dukcapil_user_id)
        .await
}

/// Rejects (requested) or revokes (active) a user ID (`user_ids.approve`).
#[leptos::server(prefix = "/api/sf", endpoint = "revoke_user_id")]
pub async fn revoke_user_id(
    id: i64,
    reason: String,
) -> Result<DisdukcapilInstitutionView, AppError> {
    let parts = crate::backend::request_parts()?;
    crate::backend::backend()?
        .revoke_user_id(parts, id, reason)
        .await
}

/// Unix milliseconds as `YYYY-MM-DD HH:MM` in WIB (UTC+7), the same on server and browser.
pub fn wib_time(ms: i64) -> String {
    let secs = ms.div_euclid(1000) + 7 * 3600;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}",
        rem / 3600,
        (rem % 3600) / 60
    )
}

/// The access state: "Aktif sampai ..." or the reason in words with its code.
#[component]
pub(crate) fn AccessBadge(access: AccessSummary) -> impl IntoView {
    let lang = use_lang();
    let texts = move || lang.get().texts();
    let active = access.active;
    let valid_to = access.valid_to.clone().unwrap_or_default();
    let reason = access.reason.clone().unwrap_or_default();
    let code = if active {
        "ACTIVE".to_string()
    } else {
        reason.clone()
    };
    view! {
        <span
            class=if active { "badge-ok" } else { "badge-warn" }
            data-testid="access-state"
            data-code=code
        >
            {move || {
                if active {
                    format!("{} {}", texts().admin_access_active, valid_to)
                } else {
                    format!("{} ({})", texts().access_reason(&reason), reason)
                }
            }}
        </span>
    }
}

/// Agreements with numbers, validity (addenda included), quota and SPTJM. With `manage`, each
/// row gets a "Kelola" button that selects it (the Disdukcapil admin's editor); without, the
/// table is read-only.
#[component]
pub(crate) fn Agreements(
    agreements: Vec<AgreementSummary>,
    #[prop(optional)] manage: Option<RwSignal<Option<i64>>>,
) -> impl IntoView {
    let lang = use_lang();
    let texts = move || lang.get().texts();
    if agreements.is_empty() {
        return view! { <p>{move || texts().admin_no_agreements}</p> }.into_any();
    }
    view! {
        <div class="table-wrap"><table class="table" data-testid="agreements">
            <thead>
                <tr>
                    <th>{move || texts().agreement_numbers}</th>
                    <th>{move || texts().agreement_status}</th>
                    <th>{move || texts().agreement_validity}</th>
                    <th>{move || texts().agreement_addenda}</th>
                    <th>{move || texts().ag_daily_quota}</th>
                    <th>{move || texts().agreement_sptjm}</th>
                    {manage.map(|_| view! { <th></th> })}
                </tr>
            </thead>
            <tbody>
                {agreements
                    .into_iter()
                    .map(|a| {
                        let status = a.status.clone();
                        let addenda = a
                            .addenda
                            .iter()
                            .map(|d| format!("{} ({} → {})", d.number, d.signed_on, d.valid_to))
                            .collect::<Vec<_>>()
                            .join("; ");
                        let sptjm = match (&a.sptjm_signer, &a.sptjm_signed_on) {
                            (Some(name), Some(on)) => {
                                Some(
                                    format!(
                                        "{name}, {} · {on}",
                                        a.sptjm_position.clone().unwrap_or_default(),
                                    ),
                                )
                            }
                            _ => None,
                        };
                        let id = a.id;
                        let quota = a.daily_quota;
                        view! {
                            <tr data-testid="agreement-row" data-number=a.institution_number.clone()>
                                <td>{a.institution_number.clone()} " / " {a.dukcapil_number.clone()}</td>
                                <td data-testid="agreement-status" data-status=a.status.clone()>
                                    {move || texts().status_label(&status).to_string()}
                                </td>
                                <td>
                                    {a.valid_from.clone()} " – " {a.effective_valid_to.clone()}
                                </td>
                                <td data-testid="agreement-addenda">{addenda}</td>
                                <td>{quota}</td>
                                <td data-testid="agreement-sptjm">
                                    {match sptjm {
                                        Some(s) => s.into_any(),
                                        None => {
                                            view! { {move || texts().agreement_sptjm_missing} }
                                                .into_any()
                                        }
                                    }}
                                </td>
                                {manage
                                    .map(|selected| {
                                        view! {
                                            <td>
                                                <button
                                                    type="button"
                                                    class="button-secondary"
                                                    data-testid="agreement-manage"
                                                    on:click=move |_| selected.set(Some(id))
                                                >
                                                    {move || texts().ag_manage}
                                                </button>
                                            </td>
                                        }
                                    })}
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table></div>
    }
    .into_any()
}

/// The institution admin's page.
#[component]
pub fn InstitutionAdminPage() -> impl IntoView {
    view! {
        <RequireNda>
            <InstitutionAdmin />
        </RequireNda>
    }
}

#[component]
fn InstitutionAdmin() -> impl IntoView {
    let lang = use_lang();
    let texts = move || lang.get().texts();
    let deactivate = ServerAction::<DeactivateAccount>::new();
    let notice = ServerAction::<RecordStaffChangeNotice>::new();
    let confirm = RwSignal::new(None::<(i64, String)>);
    let view_data = Resource::new(
        move || (deactivate.version().get(), notice.version().get()),
        |_| get_institution_admin(),
    );
    Effect::new(move |_| {
        if let Some(Ok(_)) = deactivate.value().get() {
            confirm.set(None);
        }
    });

    view! {
        <crate::pages::check::AccessProblemsCard />
        <section class="card">
            <h1 data-testid="admin-title">{move || texts().admin_title}</h1>
            <p>
                <a href="/admin/token" data-testid="admin-tokens-link">{move || texts().token_link}</a>
            </p>
            <Suspense fallback=move || view! { <p>{move || texts().loading}</p> }>
                {move || {
                    view_data
                        .get()
                        .map(|r| match r {
                            Ok(v) => {
                                let nda_current = v.current_nda_version;
                                let accounts = v.accounts.clone();
                                let notices = v.notices.clone();
                                view! {
                                    <dl class="facts">
                                        <dt>{move || texts().account_institution}</dt>
                                        <dd data-testid="admin-institution">{v.institution_name.clone()}</dd>
                                        <dt>{move || texts().admin_access}</dt>
                                        <dd>
                                            <AccessBadge access=v.access.clone() />
                                        </dd>
                                        <dt>{move || texts().admin_nda_current}</dt>
                                        <dd>
                                            {nda_current
                                                .map(|n| n.to_string())
                                                .unwrap_or_else(|| "—".into())}
                                        </dd>
                                    </dl>
                                    <h2>{move || texts().admin_accounts}</h2>
                                    <div class="table-wrap"><table class="table" data-testid="admin-accounts">
                                        <thead>
                                            <tr>
                                                <th>{move || texts().admin_col_username}</th>
                                                <th>{move || texts().admin_col_name}</th>
                                                <th>{move || texts().admin_col_role}</th>
                                                <th>{move || texts().admin_col_local_user_id}</th>
                                                <th>{move || texts().admin_col_status}</th>
                                                <th>{move || texts().admin_col_nda}</th>
                                                <th></th>
                                            </tr>
                                        </thead>
                                        <tbody>
                                            {v
                                                .accounts
                                                .into_iter()
                                                .map(|a| {
                                                    let role = a.role.clone();
                                                    let active = a.active;
                                                    let id = a.id;
                                                    let username = a.username.clone();
                                                    let nda = match (a.nda_accepted_version, a.nda_accepted_at_ms) {
                                                        (Some(ver), Some(at)) => Some(format!("v{ver} · {}", wib_time(at))),
                                                        _ => None,
                                                    };
                                                    let deactivatable = a.deactivatable;
                                                    view! {
                                                        <tr data-testid="admin-account" data-username=a.username.clone()>
                                                            <td>{a.username.clone()}</td>
                                                            <td>{a.display_name.clone()}</td>
                                                            <td>{move || texts().role_label(&role).to_string()}</td>
                                                            <td>{a.local_user_id.clone().unwrap_or_else(|| "—".into())}</td>
                                                            <td data-testid="admin-account-status">
                                                                {move || {
                                                                    if active {
                                                                        texts().admin_status_active
                                                                    } else {
                                                                        texts().admin_status_inactive
                                                                    }
                                                                }}
                                                            </td>
                                                            <td>
                                                                {match nda {
                                                                    Some(s) => s.into_any(),
                                                                    None => view! { {move || texts().admin_nda_none} }.into_any(),
                                                                }}
                                                            </td>
                                                            <td>
                                                                <Show when=move || deactivatable>
                                                                    {
                                                                        let username = username.clone();
                                                                        view! {
                                                                            <button
                                                                                type="button"
                                                                                class="button-secondary"
                                                                                data-testid="admin-deactivate"
                                                                                on:click=move |_| confirm.set(Some((id, username.clone())))
                                                                            >
                                                                                {move || texts().admin_deactivate}
                                                                            </button>
                                                                        }
                                                                    }
                                                                </Show>
                                                            </td>
                                                        </tr>
                                                    }
                                                })
                                                .collect_view()}
                                        </tbody>
                                    </table></div>
                                    <h2>{move || texts().admin_history}</h2>
                                    <div class="table-wrap"><table class="table" data-testid="admin-local-user-ids">
                                        <thead>
                                            <tr>
                                                <th>{move || texts().admin_col_local_user_id}</th>
                                                <th>{move || texts().admin_col_username}</th>
                                                <th>{move || texts().admin_col_from}</th>
                                                <th>{move || texts().admin_col_until}</th>
                                            </tr>
                                        </thead>
                                        <tbody>
                                            {v
                                                .local_user_ids
                                                .into_iter()
                                                .map(|h| {
                                                    let until = h.ended_at_ms.map(wib_time);
                                                    view! {
                                                        <tr>
                                                            <td>{h.local_user_id.clone()}</td>
                                                            <td>{h.username.clone()}</td>
                                                            <td>{wib_time(h.assigned_at_ms)}</td>
                                                            <td>
                                                                {match until {
                                                                    Some(s) => s.into_any(),
                                                                    None => view! { {move || texts().admin_current} }.into_any(),
                                                                }}
                                                            </td>
                                                        </tr>
                                                    }
                                                })
                                                .collect_view()}
                                        </tbody>
                                    </table></div>
                                    <StaffNotices notices=notices accounts=accounts action=notice />
                                    <h2>{move || texts().admin_agreements}</h2>
                                    <Agreements agreements=v.agreements.clone() />
                                }
                                    .into_any()
                            }
                            Err(e) => {
                                view! {
                                    <p class="form-error" role="alert" data-testid="admin-error">
                                        {move || texts().error_message(&e)}
                                    </p>
                                }
                                    .into_any()
                            }
                        })
                }}
            </Suspense>
            {move || {
                confirm
                    .get()
                    .map(|(id, username)| {
                        view! {
                            <div class="confirm" role="alertdialog" data-testid="admin-confirm">
                                <p>
                                    <strong>{username}</strong>
                                    " · "
                                    {move || texts().admin_deactivate_confirm}
                                </p>
                                <div class="button-row">
                                    <ActionForm action=deactivate>
                                        <input
                                            type="hidden"
                                            name="account_id"
                                            value=move || id.to_string()
                                        />
                                        <button
                                            type="submit"
                                            class="button-primary"
                                            data-testid="admin-deactivate-confirm"
                                            disabled=move || deactivate.pending().get()
                                        >
                                            {move || texts().admin_deactivate_yes}
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
                deactivate
                    .value()
                    .get()
                    .map(|r| match r {
                        Ok(_) => {
                            view! {
                                <p role="status" data-testid="admin-deactivated">
                                    {move || texts().admin_deactivated}
                                </p>
                            }
                                .into_any()
                        }
                        Err(e) => {
                            view! {
                                <p class="form-error" role="alert" data-testid="admin-action-error">
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

/// The Disdukcapil admin's page.
#[component]
pub fn DisdukcapilAdminPage() -> impl IntoView {
    view! {
        <RequireNda>
            <DisdukcapilAdmin />
        </RequireNda>
    }
}

#[component]
fn DisdukcapilAdmin() -> impl IntoView {
    let lang = use_lang();
    let texts = move || lang.get().texts();
    let institutions = Resource::new(|| (), |_| get_disdukcapil_institutions());
    let selected = RwSignal::new(None::<i64>);

    view! {
        <section class="card">
            <h1 data-testid="dk-title">{move || texts().dk_title}</h1>
            <h2>{move || texts().dk_institutions}</h2>
            <Suspense fallback=move || view! { <p>{move || texts().loading}</p> }>
                {move || {
                    institutions
                        .get()
                        .map(|r| match r {
                            Ok(list) => {
                                view! {
                                    <div class="table-wrap"><table class="table" data-testid="dk-institutions">
                                        <thead>
                                            <tr>
                                                <th>{move || texts().dk_col_code}</th>
                                                <th>{move || texts().admin_col_name}</th>
                                                <th>{move || texts().admin_access}</th>
                                                <th></th>
                                            </tr>
                                        </thead>
                                        <tbody>
                                            {list
                                                .into_iter()
                                                .map(|i| {
                                                    let id = i.id;
                                                    view! {
                                                        <tr data-testid="dk-institution" data-code=i.code.clone()>
                                                            <td>{i.code.clone()}</td>
                                                            <td>{i.name.clone()}</td>
                                                            <td>
                                                                <AccessBadge access=i.access.clone() />
                                                            </td>
                                                            <td>
                                                                <button
                                                                    type="button"
                                                                    class="button-secondary"
                                                                    data-testid="dk-open"
                                                                    on:click=move |_| selected.set(Some(id))
                                                                >
                                                                    {move || texts().dk_open}
                                                                </button>
                                                            </td>
                                                        </tr>
                                                    }
                                                })
                                                .collect_view()}
                                        </tbody>
                                    </table></div>
                                }
                                    .into_any()
                            }
                            Err(e) => {
                                view! {
                                    <p class="form-error" role="alert" data-testid="dk-error">
                                        {move || texts().error_message(&e)}
                                    </p>
                                }
                                    .into_any()
                            }
                        })
                }}
            </Suspense>
        </section>
        {move || selected.get().map(|id| view! { <DisdukcapilInstitution institution_id=id /> })}
    }
}

/// One institution: agreements and user-ID applications with their actions.
#[component]
fn DisdukcapilInstitution(institution_id: i64) -> impl IntoView {
    let lang = use_lang();
    let texts = move || lang.get().texts();
    let activate = ServerAction::<ActivateUserId>::new();
    let revoke = ServerAction::<RevokeUserId>::new();
    let agreement_actions = AgreementActions::new();
    let selected_agreement = RwSignal::new(None::<i64>);
    let detail = Resource::new(
        move || {
            (
                activate.version().get(),
                revoke.version().get(),
                agreement_actions.version(),
            )
        },
        move |_| get_disdukcapil_institution(institution_id),
    );
    let action_error = move || {
        activate
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| revoke.value().get().and_then(|r| r.err()))
    };

    view! {
        <section class="card" data-testid="dk-detail">
            <Suspense fallback=move || view! { <p>{move || texts().loading}</p> }>
                {move || {
                    detail
                        .get()
                        .map(|r| match r {
                            Ok(v) => {
                                let empty = v.user_ids.is_empty();
                                view! {
                                    <h2 data-testid="dk-detail-name">{v.institution.name.clone()}</h2>
                                    <p>
                                        <AccessBadge access=v.institution.access.clone() />
                                    </p>
                                    <h3>{move || texts().admin_agreements}</h3>
                                    <Agreements
                                        agreements=v.agreements.clone()
                                        manage=selected_agreement
                                    />
                                    {
                                        let agreements = v.agreements.clone();
                                        let all_elements = v.all_elements.clone();
                                        move || {
                                            selected_agreement
                                                .get()
                                                .and_then(|id| {
                                                    agreements.iter().find(|a| a.id == id).cloned()
                                                })
                                                .map(|a| {
                                                    view! {
                                                        <AgreementEditor
                                                            agreement=a
                                                            all_elements=all_elements.clone()
                                                            selected=selected_agreement
                                                            actions=agreement_actions
                                                        />
                                                    }
                                                })
                                        }
                                    }
                                    <NewAgreement
                                        institution_id=institution_id
                                        all_elements=v.all_elements.clone()
                                        actions=agreement_actions
                                    />
                                    <AgreementOutcome actions=agreement_actions />
                                    <h3>{move || texts().dk_user_ids}</h3>
                                    <Show when=move || empty>
                                        <p>{move || texts().dk_no_user_ids}</p>
                                    </Show>
                                    <div class="table-wrap"><table class="table" data-testid="dk-user-ids">
                                        <thead>
                                            <tr>
                                                <th>{move || texts().admin_col_name}</th>
                                                <th>{move || texts().dk_col_position}</th>
                                                <th>{move || texts().admin_col_local_user_id}</th>
                                                <th>{move || texts().dk_col_dukcapil_user_id}</th>
                                                <th>{move || texts().admin_col_status}</th>
                                                <th>{move || texts().dk_col_credential}</th>
                                                <th></th>
                                            </tr>
                                        </thead>
                                        <tbody>
                                            {v
                                                .user_ids
                                                .into_iter()
                                                .map(|u| {
                                                    let status = u.status.clone();
                                                    let requested = u.status == "requested";
                                                    let live = u.status != "revoked";
                                                    let id = u.id;
                                                    let has_credential = u.has_credential;
                                                    view! {
                                                        <tr data-testid="dk-user-id" data-local=u.local_user_id.clone()>
                                                            <td>{u.full_name.clone()}</td>
                                                            <td>{u.position.clone()}</td>
                                                            <td>{u.local_user_id.clone()}</td>
                                                            <td>{u.dukcapil_user_id.clone().unwrap_or_else(|| "—".into())}</td>
                                                            <td data-testid="dk-user-id-status">
                                                                {move || texts().status_label(&status).to_string()}
                                                                {u.revoke_reason.clone().map(|r| format!(" · {r}"))}
                                                            </td>
                                                            <td>
                                                                {move || {
                                                                    if has_credential {
                                                                        texts().dk_credential_stored
                                                                    } else {
                                                                        texts().dk_credential_none
                                                                    }
                                                                }}
                                                            </td>
                                                            <td>
                                                                <Show when=move || requested>
                                                                    <ActionForm action=activate>
                                                                        <input type="hidden" name="id" value=move || id.to_string() />
                                                                        <input
                                                                            name="dukcapil_user_id"
                                                                            required
                                                                            aria-label=move || texts().dk_col_dukcapil_user_id
                                                                            data-testid="dk-activate-id"
                                                                        />
                                                                        <button type="submit" class="button-primary" data-testid="dk-activate">
                                                                            {move || texts().dk_activate}
                                                                        </button>
                                                                    </ActionForm>
                                                                </Show>
                                                                <Show when=move || live>
                                                                    <ActionForm action=revoke>
                                                                        <input type="hidden" name="id" value=move || id.to_string() />
                                                                        <input
                                                                            name="reason"
                                                                            required
                                                                            aria-label=move || texts().dk_reason
                                                                            placeholder=move || texts().dk_reason
                                                                            data-testid="dk-revoke-reason"
                                                                        />
                                                                        <button type="submit" class="button-secondary" data-testid="dk-revoke">
                                                                            {move || texts().dk_revoke}
                                                                        </button>
                                                                    </ActionForm>
                                                                </Show>
                                                            </td>
                                                        </tr>
                                                    }
                                                })
                                                .collect_view()}
                                        </tbody>
                                    </table></div>
                                }
                                    .into_any()
                            }
                            Err(e) => {
                                view! {
                                    <p class="form-error" role="alert" data-testid="dk-error">
                                        {move || texts().error_message(&e)}
                                    </p>
                                }
                                    .into_any()
                            }
                        })
                }}
            </Suspense>
            {move || {
                action_error()
                    .map(|e| {
                        view! {
                            <p class="form-error" role="alert" data-testid="dk-action-error">
                                {move || texts().error_message(&e)}
                            </p>
                        }
                    })
            }}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::wib_time;

    #[test]
    fn wib_time_is_utc_plus_seven() {
        // 2026-11-26 17:00 UTC is 2026-11-27 00:00 WIB.
        assert_eq!(wib_time(1_795_712_400_000), "2026-11-27 00:00");
        assert_eq!(wib_time(0), "1970-01-01 07:00");
    }
}
