//! Pengawasan (`/pengawasan`): the read-only oversight page for roles with `signatures.view`
//! and no administration page of their own (the Disdukcapil evaluator, the auditor, the head).
//! Institutions with their access state, agreements (numbers, validity with addenda, SPTJM)
//! and NDA acceptances: who accepted which version when, and who has not. No button here
//! changes anything; the server scopes the head to their own institution.

use crate::AppError;
use crate::backend::{NdaSignatureRow, OversightInstitution, OversightView};
use crate::i18n::use_lang;
use crate::pages::admin::{AccessBadge, Agreements, wib_time};
use crate::session::RequireNda;
use leptos::prelude::*;

/// Every institution the caller may oversee (`signatures.view`).
#[leptos::server(prefix = "/api/sf", endpoint = "oversight")]
pub async fn get_oversight() -> Result<OversightView, AppError> {
    let parts = crate::backend::request_parts()?;
    crate::backend::backend()?.oversight(parts).await
}

/// The oversight page.
#[component]
pub fn OversightPage() -> impl IntoView {
    view! {
        <RequireNda>
            <Oversight />
        </RequireNda>
    }
}

#[component]
fn Oversight() -> impl IntoView {
    let lang = use_lang();
    let texts = move || lang.get().texts();
    let data = Resource::new(|| (), |_| get_oversight());
    view! {
        <section class="card">
            <h1 data-testid="oversight-title">{move || texts().oversight_title}</h1>
            <p class="muted">{move || texts().oversight_lead}</p>
        </section>
        <Suspense fallback=move || view! { <p>{move || texts().loading}</p> }>
            {move || {
                data.get()
                    .map(|r| match r {
                        Ok(v) => {
                            v.institutions
                                .into_iter()
                                .map(|i| view! { <OverseenInstitution data=i /> })
                                .collect_view()
                                .into_any()
                        }
                        Err(e) => {
                            view! {
                                <p class="form-error" role="alert" data-testid="oversight-error">
                                    {move || texts().error_message(&e)}
                                </p>
                            }
                                .into_any()
                        }
                    })
            }}
        </Suspense>
    }
}

/// One institution: access state, agreements, NDA acceptances.
#[component]
fn OverseenInstitution(data: OversightInstitution) -> impl IntoView {
    let lang = use_lang();
    let texts = move || lang.get().texts();
    let current = data.current_nda_version;
    let signed = data.signatures.iter().filter(|s| s.current).count();
    let total = data.signatures.len();
    view! {
        <section class="card" data-testid="oversight-institution" data-code=data.institution.code.clone()>
            <h2>{data.institution.name.clone()}</h2>
            <dl class="facts">
                <dt>{move || texts().dk_col_code}</dt>
                <dd>{data.institution.code.clone()}</dd>
                <dt>{move || texts().admin_access}</dt>
                <dd>
                    <AccessBadge access=data.institution.access.clone() />
                </dd>
                <dt>{move || texts().admin_nda_current}</dt>
                <dd>{current.map(|n| n.to_string()).unwrap_or_else(|| "—".into())}</dd>
                <dt>{move || texts().oversight_nda_count}</dt>
                <dd data-testid="oversight-nda-count">{format!("{signed} / {total}")}</dd>
            </dl>
            <h3>{move || texts().admin_agreements}</h3>
            <Agreements agreements=data.agreements.clone() />
            <h3>{move || texts().oversight_signatures}</h3>
            <Signatures rows=data.signatures.clone() />
        </section>
    }
}

/// Who must accept the NDA, and whether they accepted the current version.
#[component]
fn Signatures(rows: Vec<NdaSignatureRow>) -> impl IntoView {
    let lang = use_lang();
    let texts = move || lang.get().texts();
    if rows.is_empty() {
        return view! { <p>{move || texts().oversight_no_people}</p> }.into_any();
    }
    view! {
        <div class="table-wrap"><table class="table" data-testid="oversight-signatures">
            <thead>
                <tr>
                    <th>{move || texts().admin_col_username}</th>
                    <th>{move || texts().admin_col_name}</th>
                    <th>{move || texts().admin_col_role}</th>
                    <th>{move || texts().admin_col_nda}</th>
                </tr>
            </thead>
            <tbody>
                {rows
                    .into_iter()
                    .map(|s| {
                        let role = s.role.clone();
                        let current = s.current;
                        let accepted = match (s.accepted_version, s.accepted_at_ms) {
                            (Some(v), Some(at)) => Some(format!("v{v} · {}", wib_time(at))),
                            _ => None,
                        };
                        view! {
                            <tr
                                data-testid="oversight-signature"
                                data-username=s.username.clone()
                                data-current=current.to_string()
                            >
                                <td>{s.username.clone()}</td>
                                <td>{s.display_name.clone()}</td>
                                <td>{move || texts().role_label(&role).to_string()}</td>
                                <td>
                                    {match accepted {
                                        Some(a) => a.into_any(),
                                        None => view! { {move || texts().admin_nda_none} }.into_any(),
                                    }}
                                    <Show when=move || !current>
                                        " "
                                        <span class="badge-warn">
                                            {move || texts().oversight_not_current}
                                        </span>
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
