//! Jejak audit (`/jejak-audit`): the search of the access trail for roles with `audit.read`
//! (every institution) or `reports.view_institution` (their own institution, scoped on the
//! server): NIK typed in full (searched by its keyed HMAC on the server), operator,
//! institution, outcome code, WIB days; newest first, 50 at a time ("muat lebih banyak");
//! CSV of the loaded rows, generated here from what the page already shows. For `audit.read`
//! the chain's status (head against the newest signed checkpoint) and, for `audit.verify`, a
//! button that verifies the whole chain on the server and names the first bad entry.

use crate::AppError;
use crate::backend::{
    AccessRow, AccessSearchForm, AccessSearchPage, AuditChainStatus, AuditSearchOptions,
    AuditVerifyResult, OUTCOME_CODES,
};
use crate::i18n::{AuditTexts, use_lang};
use crate::pages::admin::wib_time;
use crate::session::RequireNda;
use leptos::prelude::*;

/// What the form offers the caller (`audit.read` | `reports.view_institution`).
#[leptos::server(prefix = "/api/sf", endpoint = "audit_search_options")]
pub async fn get_audit_search_options() -> Result<AuditSearchOptions, AppError> {
    let parts = crate::backend::request_parts()?;
    crate::backend::backend()?.audit_search_options(parts).await
}

/// One page of access attempts (`audit.read` | `reports.view_institution`); audited.
#[leptos::server(prefix = "/api/sf", endpoint = "search_access")]
pub async fn search_access(form: AccessSearchForm) -> Result<AccessSearchPage, AppError> {
    let parts = crate::backend::request_parts()?;
    crate::backend::backend()?.search_access(parts, form).await
}

/// The chain head against the newest signed checkpoint (`audit.read`).
#[leptos::server(prefix = "/api/sf", endpoint = "audit_chain_status")]
pub async fn get_audit_chain_status() -> Result<AuditChainStatus, AppError> {
    let parts = crate::backend::request_parts()?;
    crate::backend::backend()?.audit_chain_status(parts).await
}

/// A full verification of the chain now (`audit.verify`); audited.
#[leptos::server(prefix = "/api/sf", endpoint = "verify_audit_chain")]
pub async fn verify_audit_chain() -> Result<AuditVerifyResult, AppError> {
    let parts = crate::backend::request_parts()?;
    crate::backend::backend()?.verify_audit_chain(parts).await
}

/// WIB time with seconds.
fn wib_seconds(ms: i64) -> String {
    format!("{}:{:02}", wib_time(ms), ms.div_euclid(1000).rem_euclid(60))
}

/// One CSV field: quoted, quotes doubled, and a leading `= + - @` neutralised so a
/// spreadsheet never runs it as a formula.
fn csv_field(text: &str) -> String {
    let guarded = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    };
    format!("\"{}\"", guarded.replace('"', "\"\""))
}

/// The loaded rows as CSV (header in the page's language; codes as stored).
pub fn rows_csv(rows: &[AccessRow], t: &AuditTexts) -> String {
    let mut out = String::new();
    let header = [
        t.col_time,
        t.col_institution,
        t.col_operator,
        t.col_local_user_id,
        t.col_dukcapil_user_id,
        t.col_channel,
        t.col_event,
        t.col_purpose,
        t.col_nik,
        t.col_outcome_code,
        t.col_outcome,
        t.col_quota,
        t.col_latency,
        t.col_client,
        t.col_request_id,
        "seq",
        t.col_fingerprint,
    ];
    out.push_str(&header.map(csv_field).join(","));
    out.push_str("\r\n");
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    for r in rows {
        let code = opt(&r.outcome_code);
        let fields = [
            format!("{} WIB", wib_seconds(r.at_ms)),
            r.institution_name
                .clone()
                .or_else(|| r.institution_id.map(|i| i.to_string()))
                .unwrap_or_default(),
            opt(&r.operator),
            opt(&r.local_user_id),
            opt(&r.dukcapil_user_id),
            opt(&r.channel),
            r.event.clone(),
            opt(&r.purpose),
            opt(&r.nik_masked),
            code.clone(),
            t.outcome_label(&code).to_string(),
            opt(&r.quota_state),
            r.latency_ms.map(|l| l.to_string()).unwrap_or_default(),
            opt(&r.client_ip),
            opt(&r.request_id),
            r.seq.map(|s| s.to_string()).unwrap_or_default(),
            opt(&r.fingerprint),
        ];
        out.push_str(
            &fields
                .iter()
                .map(|f| csv_field(f))
                .collect::<Vec<_>>()
                .join(","),
        );
        out.push_str("\r\n");
    }
    out
}

/// A `data:` URL of the CSV, for a download link (nothing leaves the browser).
fn csv_href(csv: &str) -> String {
    let mut out = String::from("data:text/csv;charset=utf-8,");
    for b in csv.as_bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(b) {
            out.push(char::from(*b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The audit page.
#[component]
pub fn AuditTrailPage() -> impl IntoView {
    view! {
        <RequireNda>
            <AuditTrail />
        </RequireNda>
    }
}

#[component]
fn AuditTrail() -> impl IntoView {
    let lang = use_lang();
    let t = move || lang.get().texts().audit;
    let texts = move || lang.get().texts();
    let options = Resource::new(|| (), |_| get_audit_search_options());
    // Created here, not inside the `Suspend` below, so server and browser create the same
    // resources in the same order (hydration); refetched after each verification.
    let verify = ServerAction::<VerifyAuditChain>::new();
    let status = Resource::new(move || verify.version().get(), |_| get_audit_chain_status());
    view! {
        <section class="card">
            <h1 data-testid="audit-title">{move || t().title}</h1>
            <p class="muted">{move || t().lead}</p>
        </section>
        <Suspense fallback=move || view! { <p>{move || texts().loading}</p> }>
            {move || Suspend::new(async move {
                match options.await {
                    Ok(o) => {
                        let chain = o.can_read_chain;
                        let can_verify = o.can_verify;
                        view! {
                            {chain.then(|| view! { <ChainStatus can_verify verify status /> })}
                            <Search options=o />
                        }
                            .into_any()
                    }
                    Err(e) => {
                        let code = e.code().to_string();
                        view! {
                            <p class="form-error" role="alert" data-testid="audit-error" data-error-code=code>
                                {move || texts().error_message(&e)}
                            </p>
                        }
                            .into_any()
                    }
                }
            })}
        </Suspense>
    }
}

/// The error of a search or verification, in words.
fn error_text(t: &AuditTexts, texts: &crate::i18n::Texts, e: &AppError) -> String {
    match e {
        AppError::Rejected { code } => match t.rejection(code) {
            Some(words) => format!("{words} ({code})"),
            None => texts.error_message(e),
        },
        other => texts.error_message(other),
    }
}

/// The filter form, the results and the CSV link.
#[component]
fn Search(options: AuditSearchOptions) -> impl IntoView {
    let lang = use_lang();
    let t = move || lang.get().texts().audit;
    let texts = move || lang.get().texts();
    let nik = RwSignal::new(String::new());
    let operator = RwSignal::new(String::new());
    let institution = RwSignal::new(String::new());
    let outcome = RwSignal::new(String::new());
    let from_day = RwSignal::new(String::new());
    let to_day = RwSignal::new(String::new());
    let rows = RwSignal::new(Vec::<AccessRow>::new());
    let next = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<AppError>);
    let searched = RwSignal::new(false);
    let append = RwSignal::new(false);
    let last_form = StoredValue::new(AccessSearchForm::default());
    let search = ServerAction::<SearchAccess>::new();
    Effect::new(move |_| match search.value().get() {
        Some(Ok(page)) => {
            if append.get_untracked() {
                rows.update(|r| r.extend(page.rows));
            } else {
                rows.set(page.rows);
            }
            next.set(page.next_cursor);
            error.set(None);
            searched.set(true);
        }
        Some(Err(e)) => {
            // A refused new search shows no stale results; a refused next page keeps them.
            if !append.get_untracked() {
                rows.set(Vec::new());
                next.set(None);
                searched.set(false);
            }
            error.set(Some(e));
        }
        None => {}
    });
    let run = move |cursor: Option<String>| {
        let form = match cursor {
            Some(c) => AccessSearchForm {
                cursor: c,
                ..last_form.get_value()
            },
            None => {
                let f = AccessSearchForm {
                    nik: nik.get_untracked(),
                    operator: operator.get_untracked(),
                    institution_id: institution.get_untracked(),
                    outcome_code: outcome.get_untracked(),
                    from_day: from_day.get_untracked(),
                    to_day: to_day.get_untracked(),
                    cursor: String::new(),
                };
                last_form.set_value(f.clone());
                f
            }
        };
        append.set(!form.cursor.is_empty());
        search.dispatch(SearchAccess { form });
    };
    let all = options.all_institutions;
    let institutions = options.institutions.clone();
    let csv = move || csv_href(&rows_csv(&rows.get(), t()));
    view! {
        <section class="card">
            <h2>{move || t().search_title}</h2>
            <form
                data-testid="audit-search"
                on:submit=move |ev| {
                    ev.prevent_default();
                    run(None);
                }
            >
                <div class="form-grid">
                    <label class="form-field">
                        <span>{move || t().nik_label}</span>
                        <input
                            type="text"
                            inputmode="numeric"
                            autocomplete="off"
                            maxlength="24"
                            data-testid="audit-nik"
                            bind:value=nik
                        />
                        <small class="muted">{move || t().nik_help}</small>
                    </label>
                    <label class="form-field">
                        <span>{move || t().operator_label}</span>
                        <input type="text" autocomplete="off" data-testid="audit-operator" bind:value=operator />
                    </label>
                    <Show when=move || all>
                        <label class="form-field">
                            <span>{move || t().institution_label}</span>
                            <select
                                data-testid="audit-institution"
                                prop:value=move || institution.get()
                                on:change=move |ev| institution.set(event_target_value(&ev))
                            >
                                <option value="">{move || t().any}</option>
                                {institutions
                                    .clone()
                                    .into_iter()
                                    .map(|i| view! { <option value=i.id.to_string()>{i.name}</option> })
                                    .collect_view()}
                            </select>
                        </label>
                    </Show>
                    <label class="form-field">
                        <span>{move || t().outcome_label_field}</span>
                        <select
                            data-testid="audit-outcome"
                            prop:value=move || outcome.get()
                            on:change=move |ev| outcome.set(event_target_value(&ev))
                        >
                            <option value="">{move || t().any}</option>
                            {OUTCOME_CODES
                                .iter()
                                .map(|code| {
                                    view! {
                                        <option value=*code>
                                            {move || format!("{code} · {}", t().outcome_label(code))}
                                        </option>
                                    }
                                })
                                .collect_view()}
                        </select>
                    </label>
                    <label class="form-field">
                        <span>{move || t().from_label}</span>
                        <input type="date" data-testid="audit-from" bind:value=from_day />
                    </label>
                    <label class="form-field">
                        <span>{move || t().to_label}</span>
                        <input type="date" data-testid="audit-to" bind:value=to_day />
                    </label>
                </div>
                <button type="submit" class="button-primary" data-testid="audit-submit" disabled=move || search.pending().get()>
                    {move || t().search_button}
                </button>
            </form>
            {move || {
                error
                    .get()
                    .map(|e| {
                        let code = e.code().to_string();
                        view! {
                            <p class="form-error" role="alert" data-testid="audit-search-error" data-error-code=code>
                                {move || error_text(t(), texts(), &e)}
                            </p>
                        }
                    })
            }}
        </section>
        <Show when=move || searched.get()>
            <section class="card" data-testid="audit-results">
                <div class="results-head">
                    <h2>{move || t().results_title}</h2>
                    <Show when=move || !rows.get().is_empty()>
                        <a class="button-secondary" data-testid="audit-csv" download="jejak-audit.csv" href=csv>
                            {move || t().csv}
                        </a>
                    </Show>
                </div>
                <Show
                    when=move || !rows.get().is_empty()
                    fallback=move || view! { <p data-testid="audit-empty">{move || t().empty}</p> }
                >
                    <p class="muted" data-testid="audit-count">
                        {move || t().shown.replace("{}", &rows.get().len().to_string())}
                    </p>
                    <Rows rows=rows />
                </Show>
                <Show when=move || next.get().is_some()>
                    <button
                        type="button"
                        class="button-secondary"
                        data-testid="audit-more"
                        disabled=move || search.pending().get()
                        on:click=move |_| run(next.get_untracked())
                    >
                        {move || t().more}
                    </button>
                </Show>
            </section>
        </Show>
    }
}

/// The results table.
#[component]
fn Rows(rows: RwSignal<Vec<AccessRow>>) -> impl IntoView {
    let lang = use_lang();
    let t = move || lang.get().texts().audit;
    view! {
        <div class="table-wrap">
            <table class="table table-compact" data-testid="audit-table">
                <thead>
                    <tr>
                        <th>{move || t().col_time}</th>
                        <th>{move || t().col_institution}</th>
                        <th>{move || t().col_operator}</th>
                        <th>{move || t().col_local_user_id}</th>
                        <th>{move || t().col_dukcapil_user_id}</th>
                        <th>{move || t().col_channel}</th>
                        <th>{move || t().col_purpose}</th>
                        <th>{move || t().col_nik}</th>
                        <th>{move || t().col_outcome}</th>
                        <th>{move || t().col_quota}</th>
                        <th>{move || t().col_latency}</th>
                        <th>{move || t().col_client}</th>
                        <th>{move || t().col_request_id}</th>
                    </tr>
                </thead>
                <tbody>
                    <For
                        each=move || rows.get()
                        key=|r| (r.seq, r.at_ms, r.request_id.clone())
                        let:r
                    >
                        <Row r=r />
                    </For>
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn Row(r: AccessRow) -> impl IntoView {
    let lang = use_lang();
    let t = move || lang.get().texts().audit;
    let dash = |v: Option<String>| v.unwrap_or_else(|| "—".into());
    let code = r.outcome_code.clone().unwrap_or_default();
    let code_label = code.clone();
    let code_attr = code.clone();
    let event = r.event.clone();
    let channel = r.channel.clone().unwrap_or_default();
    let outcome_class = match r.outcome.as_str() {
        "success" => "badge-ok",
        "refused" => "badge-warn",
        _ => "badge-muted",
    };
    view! {
        <tr
            data-testid="audit-row"
            data-outcome-code=code_attr
            data-operator=r.operator.clone().unwrap_or_default()
            data-seq=r.seq.map(|s| s.to_string()).unwrap_or_default()
        >
            <td class="nowrap">{wib_seconds(r.at_ms)}</td>
            <td>{dash(r.institution_name.clone().or_else(|| r.institution_id.map(|i| i.to_string())))}</td>
            <td>{dash(r.operator.clone())}</td>
            <td>{dash(r.local_user_id.clone())}</td>
            <td>{dash(r.dukcapil_user_id.clone())}</td>
            <td>
                {move || t().channel_label(&channel).to_string()}
                <br />
                <small class="muted">{move || t().event_label(&event).to_string()}</small>
                {r.fingerprint.clone().map(|f| {
                    let code = f.clone();
                    view! {
                        <br />
                        <small data-testid="audit-fingerprint" data-fingerprint=f>
                            {move || t().fingerprint_label(&code).to_string()}
                        </small>
                    }
                })}
            </td>
            <td>{dash(r.purpose.clone())}</td>
            <td class="mono" data-testid="audit-nik-masked">{dash(r.nik_masked.clone())}</td>
            <td>
                <span class=outcome_class>{code}</span>
                " "
                {move || t().outcome_label(&code_label).to_string()}
            </td>
            <td>{dash(r.quota_state.clone())}</td>
            <td class="nowrap">{r.latency_ms.map(|l| format!("{l} ms")).unwrap_or_else(|| "—".into())}</td>
            <td class="mono">{dash(r.client_ip.clone())}</td>
            <td class="mono small">{dash(r.request_id.clone())}</td>
        </tr>
    }
}

/// The chain's status and, for `audit.verify`, the full verification.
#[component]
fn ChainStatus(
    can_verify: bool,
    verify: ServerAction<VerifyAuditChain>,
    status: Resource<Result<AuditChainStatus, AppError>>,
) -> impl IntoView {
    let lang = use_lang();
    let t = move || lang.get().texts().audit;
    let texts = move || lang.get().texts();
    view! {
        <section class="card" data-testid="audit-chain">
            <h2>{move || t().chain_title}</h2>
            <Suspense fallback=move || view! { <p>{move || texts().loading}</p> }>
                {move || Suspend::new(async move {
                    match status.await {
                        Ok(s) => view! { <ChainFacts s /> }.into_any(),
                        Err(e) => {
                            view! {
                                <p class="form-error" role="alert">{move || texts().error_message(&e)}</p>
                            }
                                .into_any()
                        }
                    }
                })}
            </Suspense>
            <Show when=move || can_verify>
                <p class="muted">{move || t().verify_help}</p>
                <button
                    type="button"
                    class="button-primary"
                    data-testid="audit-verify"
                    disabled=move || verify.pending().get()
                    on:click=move |_| {
                        verify.dispatch(VerifyAuditChain {});
                    }
                >
                    {move || if verify.pending().get() { t().verifying } else { t().verify_button }}
                </button>
                {move || {
                    verify
                        .value()
                        .get()
                        .map(|r| match r {
                            Ok(v) => view! { <VerifyOutcome v /> }.into_any(),
                            Err(e) => {
                                let code = e.code().to_string();
                                view! {
                                    <p class="form-error" role="alert" data-testid="audit-verify-error" data-error-code=code>
                                        {move || error_text(t(), texts(), &e)}
                                    </p>
                                }
                                    .into_any()
                            }
                        })
                }}
            </Show>
        </section>
    }
}

#[component]
fn ChainFacts(s: AuditChainStatus) -> impl IntoView {
    let lang = use_lang();
    let t = move || lang.get().texts().audit;
    let yes_no = move |v: Option<bool>| match v {
        Some(true) => t().yes,
        Some(false) => t().no,
        None => "—",
    };
    let checkpoint = s
        .checkpoint_seq
        .zip(s.checkpoint_at_ms)
        .map(|(seq, at)| format!("seq {seq} · {} WIB", wib_seconds(at)));
    let behind = s.checkpoint_seq.map(|c| s.head_seq - c);
    let signature = s.checkpoint_signature_ok;
    let matches = s.checkpoint_matches_entry;
    let at_checkpoint = s.head_at_checkpoint;
    let signer = s.signer_configured;
    view! {
        <dl class="facts" data-testid="audit-chain-facts" data-head-seq=s.head_seq.to_string()>
            <dt>{move || t().head_seq}</dt>
            <dd data-testid="audit-head-seq">{s.head_seq}</dd>
            <dt>{move || t().last_checkpoint}</dt>
            <dd>
                {match checkpoint {
                    Some(c) => c.into_any(),
                    None => {
                        view! {
                            {move || if signer { t().no_checkpoint } else { t().no_signer }}
                        }
                            .into_any()
                    }
                }}
            </dd>
            <dt>{move || t().checkpoint_signature}</dt>
            <dd>{move || yes_no(signature)}</dd>
            <dt>{move || t().checkpoint_entry}</dt>
            <dd data-testid="audit-checkpoint-matches">{move || yes_no(matches)}</dd>
            <dt>{move || t().head_at_checkpoint}</dt>
            <dd>
                {move || match (at_checkpoint, behind) {
                    (true, _) => t().yes.to_string(),
                    (false, Some(n)) => t().entries_since.replace("{}", &n.to_string()),
                    (false, None) => "—".to_string(),
                }}
            </dd>
        </dl>
    }
}

#[component]
fn VerifyOutcome(v: AuditVerifyResult) -> impl IntoView {
    let lang = use_lang();
    let t = move || lang.get().texts().audit;
    if v.intact {
        let (entries, checkpoints, last, took) = (v.entries, v.checkpoints, v.last_seq, v.took_ms);
        return view! {
            <p class="form-ok" role="status" data-testid="audit-verify-result" data-intact="true">
                {move || {
                    t()
                        .intact
                        .replace("{entries}", &entries.to_string())
                        .replace("{checkpoints}", &checkpoints.to_string())
                        .replace("{last}", &last.to_string())
                        .replace("{ms}", &took.to_string())
                }}
            </p>
        }
        .into_any();
    }
    let code = v.code.clone().unwrap_or_default();
    let code_words = code.clone();
    let code_attr = code.clone();
    let place = [
        v.seq.map(|s| format!("seq {s}")),
        v.id.map(|i| format!("id {i}")),
        v.checkpoint_line.map(|l| format!("checkpoint {l}")),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(", ");
    view! {
        <div class="form-error" role="alert" data-testid="audit-verify-result" data-intact="false" data-code=code_attr>
            <p>
                <strong>{move || t().broken}</strong>
                " "
                {move || t().finding_label(&code_words).to_string()}
                " ("
                {code}
                ")"
            </p>
            <p data-testid="audit-verify-place">{move || t().first_bad.replace("{}", &place)}</p>
            <p class="muted small">{v.detail.clone()}</p>
        </div>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_and_neutralises_formulas() {
        assert_eq!(csv_field("a\"b"), "\"a\"\"b\"");
        assert_eq!(csv_field("=1+1"), "\"'=1+1\"");
        assert_eq!(csv_field("-5"), "\"'-5\"");
        assert!(csv_href("a,b\r\n").starts_with("data:text/csv;charset=utf-8,a%2Cb%0D%0A"));
    }
}
