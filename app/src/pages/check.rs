//! Cek NIK (`/cek-nik`): the portal's web channel into the verification pipeline, for roles
//! with `nik.lookup` / `nik.verify` (operators) behind the NDA gate.
//!
//! The NIK is decoded in the browser as it is typed (`domain::nik`: region names, sex, birth
//! date, or why it is invalid) before any quota hit is spent. Look-up and verification go to
//! the server functions `nik_lookup` / `nik_verify` (server side `server::portal::check`, the
//! one `verification::serve` with channel `web`). Before a call the page asks
//! `earlier_verdict` whether the institution already checked the same NIK within the
//! configured window and, if so, shows when, who and the outcome (never data) and asks for
//! confirmation. The answer lives only in this component's signals: shown once, dropped by
//! "Bersihkan" or by leaving the page, never written to any browser storage. The quota meter
//! (`quota_status`) is read again after every call. The "Masalah akses" card of `/admin`
//! (`access_problems`) lives here too, since it reads the same outcome codes.

use crate::AppError;
use crate::backend::{
    AccessProblem, CheckAnswer, CheckKind, ClaimForm, EarlierAccess, QuotaView, ResidentView,
};
use crate::i18n::use_lang;
use crate::outcome::{About, about};
use crate::pages::admin::wib_time;
use crate::pages::card::CardReaderPanel;
use crate::session::RequireNda;
use leptos::prelude::*;

/// Longest purpose text (as `server::verification::MAX_PURPOSE_CHARS`).
pub const MAX_PURPOSE_CHARS: usize = 200;

/// Looks a resident up (CALL_NIK): the nine elements, once (`nik.lookup`).
#[leptos::server(prefix = "/api/sf", endpoint = "nik_lookup")]
pub async fn nik_lookup(nik: String, purpose: String) -> Result<CheckAnswer, AppError> {
    let parts = crate::backend::request_parts()?;
    crate::backend::backend()?
        .nik_check(parts, nik, purpose, None)
        .await
}

/// Verifies claimed elements (CALL_VERIFY_BY_ELEMEN): a verdict per element (`nik.verify`).
#[leptos::server(prefix = "/api/sf", endpoint = "nik_verify")]
pub async fn nik_verify(
    nik: String,
    purpose: String,
    claimed: ClaimForm,
) -> Result<CheckAnswer, AppError> {
    let parts = crate::backend::request_parts()?;
    crate::backend::backend()?
        .nik_check(parts, nik, purpose, Some(claimed))
        .await
}

/// The quota meter of the caller's Dukcapil user ID (`quota.view_own`).
#[leptos::server(prefix = "/api/sf", endpoint = "quota_status")]
pub async fn quota_status() -> Result<Option<QuotaView>, AppError> {
    let parts = crate::backend::request_parts()?;
    crate::backend::backend()?.quota_status(parts).await
}

/// The institution's newest access to this NIK within the configured window, if any.
#[leptos::server(prefix = "/api/sf", endpoint = "earlier_verdict")]
pub async fn earlier_verdict(nik: String) -> Result<Option<EarlierAccess>, AppError> {
    let parts = crate::backend::request_parts()?;
    crate::backend::backend()?.earlier_verdict(parts, nik).await
}

/// Recent access problems of the caller's institution (`reports.view_institution`).
#[leptos::server(prefix = "/api/sf", endpoint = "access_problems")]
pub async fn access_problems() -> Result<Vec<AccessProblem>, AppError> {
    let parts = crate::backend::request_parts()?;
    crate::backend::backend()?.access_problems(parts).await
}

/// Now, in Unix milliseconds (the browser's clock after hydration).
fn now_ms() -> i64 {
    #[cfg(feature = "hydrate")]
    {
        // Milliseconds since 1970 fit an i64 exactly for the next 280,000 years.
        #[allow(clippy::cast_possible_truncation)]
        let ms = js_sys::Date::now() as i64;
        ms
    }
    #[cfg(not(feature = "hydrate"))]
    {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0)
    }
}

/// What the browser reads from a NIK before anything is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Decoded {
    Empty,
    Invalid(domain::nik::NikError),
    Valid {
        province: &'static str,
        regency: Option<&'static str>,
        district: Option<&'static str>,
        male: bool,
        /// `dd-mm-yyyy`.
        birth: String,
    },
}

fn decode(input: &str) -> Decoded {
    if input.trim().is_empty() {
        return Decoded::Empty;
    }
    let today = domain::quota::wib_day(now_ms());
    match domain::nik::Nik::parse(input, today) {
        Err(e) => Decoded::Invalid(e),
        Ok(nik) => {
            let path = nik.region();
            let birth = nik.birth_date();
            Decoded::Valid {
                province: path.province.name,
                regency: path.regency.map(|r| r.name),
                district: path.district.map(|r| r.name),
                male: nik.sex() == domain::nik::Sex::Male,
                birth: format!(
                    "{:02}-{:02}-{:04}",
                    birth.day(),
                    u8::from(birth.month()),
                    birth.year()
                ),
            }
        }
    }
}

fn claims_empty(c: &ClaimForm) -> bool {
    [
        &c.nama_lengkap,
        &c.tempat_lahir,
        &c.tanggal_lahir,
        &c.jenis_kelamin,
        &c.no_kk,
        &c.jenis_pekerjaan,
        &c.alamat,
    ]
    .iter()
    .all(|v| v.trim().is_empty())
}

fn rejected(code: &str) -> AppError {
    AppError::Rejected { code: code.into() }
}

/// The page.
#[component]
pub fn CheckPage() -> impl IntoView {
    view! {
        <RequireNda>
            <CheckNik />
        </RequireNda>
    }
}

#[component]
fn CheckNik() -> impl IntoView {
    let lang = use_lang();
    let t = move || lang.get().texts().check();
    let nik = RwSignal::new(String::new());
    let purpose = RwSignal::new(String::new());
    let verify = RwSignal::new(false);
    let claim = RwSignal::new(ClaimForm::default());
    let result = RwSignal::new(None::<Result<CheckAnswer, AppError>>);
    let earlier = RwSignal::new(None::<EarlierAccess>);
    let busy = RwSignal::new(false);
    let quota_version = RwSignal::new(0u32);
    let quota = Resource::new(move || quota_version.get(), |_| quota_status());
    let decoded = Memo::new(move |_| decode(&nik.get()));

    // Local checks first (nothing is sent for an invalid NIK or a missing purpose), then the
    // earlier-verdict question unless already confirmed, then the call.
    let run = move |confirmed: bool| {
        let n = nik.get_untracked();
        let p = purpose.get_untracked();
        let is_verify = verify.get_untracked();
        let c = claim.get_untracked();
        let local = if !matches!(decode(&n), Decoded::Valid { .. }) {
            Some("INVALID_NIK")
        } else if p.trim().is_empty() {
            Some("PURPOSE_REQUIRED")
        } else if p.trim().chars().count() > MAX_PURPOSE_CHARS {
            Some("PURPOSE_TOO_LONG")
        } else if is_verify && claims_empty(&c) {
            Some("CLAIMED_REQUIRED")
        } else {
            None
        };
        if let Some(code) = local {
            earlier.set(None);
            result.set(Some(Err(rejected(code))));
            return;
        }
        busy.set(true);
        result.set(None);
        leptos::task::spawn_local(async move {
            if !confirmed {
                match earlier_verdict(n.clone()).await {
                    Ok(Some(e)) => {
                        earlier.try_set(Some(e));
                        busy.try_set(false);
                        return;
                    }
                    Ok(None) => {}
                    Err(e) => {
                        result.try_set(Some(Err(e)));
                        busy.try_set(false);
                        return;
                    }
                }
            }
            earlier.try_set(None);
            let answer = if is_verify {
                nik_verify(n, p, c).await
            } else {
                nik_lookup(n, p).await
            };
            // The page may be gone meanwhile: then the answer is simply dropped.
            result.try_set(Some(answer));
            busy.try_set(false);
            quota_version.try_update(|v| *v += 1);
        });
    };
    let clear = move |_| {
        result.set(None);
        earlier.set(None);
        nik.set(String::new());
        claim.set(ClaimForm::default());
    };
    let claim_input = move |label: fn(&crate::i18n::check::CheckTexts) -> &'static str,
                            kind: &'static str,
                            testid: &'static str,
                            get: fn(&ClaimForm) -> String,
                            set: fn(&mut ClaimForm, String)| {
        view! {
            <label class="form-field">
                <span>{move || label(t())}</span>
                <input
                    type=kind
                    autocomplete="off"
                    data-testid=testid
                    prop:value=move || claim.with(get)
                    on:input=move |ev| claim.update(|c| set(c, event_target_value(&ev)))
                />
            </label>
        }
    };

    view! {
        <section class="card">
            <h1 data-testid="check-title">{move || t().title}</h1>
            <p class="muted">{move || t().lead}</p>
        </section>
        <QuotaMeter quota />
        // The e-KTP card reader (reader-bridge on this PC): a card read fills the NIK field;
        // comparing the card with the registry is the panel's own one-hit action. Manual
        // entry below always works.
        <details class="card" data-testid="check-card-reader">
            <summary>{move || lang.get().reader_texts().card_title}</summary>
            <p class="muted">{move || lang.get().reader_texts().card_lead}</p>
            <CardReaderPanel on_nik=Callback::new(move |n: String| nik.set(n)) />
        </details>
        <section class="card">
            // No `name` on the personal fields: a submit before hydration sends nothing.
            <form
                class="check-form"
                data-testid="check-form"
                on:submit=move |ev| {
                    ev.prevent_default();
                    run(false);
                }
            >
                <label class="form-field">
                    <span>{move || t().nik_label}</span>
                    <input
                        type="text"
                        inputmode="numeric"
                        autocomplete="off"
                        maxlength="40"
                        data-testid="nik-input"
                        prop:value=move || nik.get()
                        on:input=move |ev| nik.set(event_target_value(&ev))
                    />
                </label>
                <NikDecoding decoded />
                <label class="form-field">
                    <span>{move || t().purpose_label}</span>
                    <input
                        type="text"
                        autocomplete="off"
                        maxlength=MAX_PURPOSE_CHARS.to_string()
                        data-testid="purpose-input"
                        prop:value=move || purpose.get()
                        on:input=move |ev| purpose.set(event_target_value(&ev))
                    />
                    <small class="muted">{move || t().purpose_hint}</small>
                </label>
                <fieldset class="check-mode">
                    <legend>{move || t().mode_label}</legend>
                    <label>
                        <input
                            type="radio"
                            name="check-mode"
                            data-testid="mode-lookup"
                            prop:checked=move || !verify.get()
                            on:change=move |_| verify.set(false)
                        />
                        {move || t().mode_lookup}
                    </label>
                    <label>
                        <input
                            type="radio"
                            name="check-mode"
                            data-testid="mode-verify"
                            prop:checked=move || verify.get()
                            on:change=move |_| verify.set(true)
                        />
                        {move || t().mode_verify}
                    </label>
                </fieldset>
                <Show when=move || verify.get()>
                    <fieldset class="check-claims" data-testid="claims">
                        <legend>{move || t().claims_title}</legend>
                        {claim_input(
                            |t| t.elements[2].1,
                            "text",
                            "claim-nama_lengkap",
                            |c| c.nama_lengkap.clone(),
                            |c, v| c.nama_lengkap = v,
                        )}
                        {claim_input(
                            |t| t.elements[4].1,
                            "text",
                            "claim-tempat_lahir",
                            |c| c.tempat_lahir.clone(),
                            |c, v| c.tempat_lahir = v,
                        )}
                        {claim_input(
                            |t| t.elements[5].1,
                            "date",
                            "claim-tanggal_lahir",
                            |c| c.tanggal_lahir.clone(),
                            |c, v| c.tanggal_lahir = v,
                        )}
                        <label class="form-field">
                            <span>{move || t().sex}</span>
                            <select
                                data-testid="claim-jenis_kelamin"
                                prop:value=move || claim.with(|c| c.jenis_kelamin.clone())
                                on:change=move |ev| {
                                    claim.update(|c| c.jenis_kelamin = event_target_value(&ev))
                                }
                            >
                                <option value="">{move || t().sex_none}</option>
                                <option value="L">{move || t().male}</option>
                                <option value="P">{move || t().female}</option>
                            </select>
                        </label>
                        {claim_input(
                            |t| t.elements[0].1,
                            "text",
                            "claim-no_kk",
                            |c| c.no_kk.clone(),
                            |c, v| c.no_kk = v,
                        )}
                        {claim_input(
                            |t| t.elements[7].1,
                            "text",
                            "claim-jenis_pekerjaan",
                            |c| c.jenis_pekerjaan.clone(),
                            |c, v| c.jenis_pekerjaan = v,
                        )}
                        {claim_input(
                            |t| t.elements[8].1,
                            "text",
                            "claim-alamat",
                            |c| c.alamat.clone(),
                            |c, v| c.alamat = v,
                        )}
                    </fieldset>
                </Show>
                <div class="button-row">
                    <button type="submit" data-testid="check-submit" disabled=move || busy.get()>
                        {move || {
                            if busy.get() {
                                t().busy
                            } else if verify.get() {
                                t().submit_verify
                            } else {
                                t().submit_lookup
                            }
                        }}
                    </button>
                    <button
                        type="button"
                        class="button-secondary"
                        data-testid="check-clear"
                        on:click=clear
                    >
                        {move || t().clear}
                    </button>
                </div>
            </form>
            {move || {
                earlier
                    .get()
                    .map(|e| {
                        view! {
                            <EarlierNotice
                                earlier=e
                                confirm=move || run(true)
                                cancel=move || earlier.set(None)
                            />
                        }
                    })
            }}
        </section>
        {move || {
            result
                .get()
                .map(|r| {
                    view! {
                        <section class="card" data-testid="check-result">
                            <h2>{move || t().result_title}</h2>
                            {match r {
                                Ok(a) => view! { <Answer answer=a /> }.into_any(),
                                Err(e) => view! { <Refusal error=e /> }.into_any(),
                            }}
                        </section>
                    }
                })
        }}
    }
}

/// What the browser read from the NIK, or why it is invalid.
#[component]
fn NikDecoding(decoded: Memo<Decoded>) -> impl IntoView {
    let lang = use_lang();
    let t = move || lang.get().texts().check();
    move || match decoded.get() {
        Decoded::Empty => ().into_any(),
        Decoded::Invalid(e) => {
            let code = e.code().as_str();
            view! {
            <p class="form-error" role="alert" data-testid="nik-invalid" data-code=code>
                {move || format!("{}: {}", t().invalid, t().nik_error(&e))}
            </p>
            }
            .into_any()
        }
        Decoded::Valid {
            province,
            regency,
            district,
            male,
            birth,
        } => view! {
            <div class="nik-decoded" data-testid="nik-decoded">
                <small class="muted">{move || t().decoded_title}</small>
                <dl class="facts">
                    <dt>{move || t().province}</dt>
                    <dd data-testid="decoded-province">{province}</dd>
                    <dt>{move || t().regency}</dt>
                    <dd data-testid="decoded-regency">
                        {move || regency.unwrap_or(t().region_unknown)}
                    </dd>
                    <dt>{move || t().district}</dt>
                    <dd data-testid="decoded-district">
                        {move || district.unwrap_or(t().region_unknown)}
                    </dd>
                    <dt>{move || t().sex}</dt>
                    <dd data-testid="decoded-sex">
                        {move || if male { t().male } else { t().female }}
                    </dd>
                    <dt>{move || t().birth_date}</dt>
                    <dd data-testid="decoded-birth">{birth.clone()}</dd>
                </dl>
            </div>
        }
        .into_any(),
    }
}

/// Used, remaining and the reset time of the caller's Dukcapil user ID today.
#[component]
fn QuotaMeter(quota: Resource<Result<Option<QuotaView>, AppError>>) -> impl IntoView {
    let lang = use_lang();
    let t = move || lang.get().texts().check();
    view! {
        <section class="card quota-meter" data-testid="quota-meter">
            <h2>{move || t().quota_title}</h2>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match quota.await {
                        Ok(Some(q)) => {
                            view! {
                                <div data-testid="quota" data-used=q.used data-remaining=q.remaining data-limit=q.limit>
                                    // A <progress> element: no inline style (the CSP forbids it).
                                    <progress class="meter" max=q.limit value=q.used></progress>
                                    <p>
                                        {move || t().quota_used} ": "
                                        <strong data-testid="quota-used">{q.used}</strong>
                                        {format!(" / {} · ", q.limit)}
                                        {move || t().quota_remaining} ": "
                                        <strong data-testid="quota-remaining">{q.remaining}</strong>
                                        " · " {move || t().quota_resets} ": "
                                        {format!("{} WIB", wib_time(q.resets_at_ms))}
                                        {q.dukcapil_user_id.map(|u| format!(" · {u}"))}
                                    </p>
                                    <Show when=move || q.exhausted || q.remaining == 0>
                                        <p class="form-error">{move || t().quota_exhausted}</p>
                                    </Show>
                                </div>
                            }
                                .into_any()
                        }
                        Ok(None) => view! { <p data-testid="quota-none">{move || t().quota_none}</p> }.into_any(),
                        Err(e) => {
                            let texts = move || lang.get().texts();
                            let code = e.code().to_string();
                            view! {
                                <p class="form-error" data-testid="quota-error" data-error-code=code>
                                    {move || texts().error_message(&e)}
                                </p>
                            }
                                .into_any()
                        }
                    }
                })}
            </Transition>
        </section>
    }
}

/// "Already checked": when, who, what, outcome; confirm to spend another hit.
#[component]
fn EarlierNotice(
    earlier: EarlierAccess,
    confirm: impl Fn() + Copy + Send + Sync + 'static,
    cancel: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let lang = use_lang();
    let t = move || lang.get().texts().check();
    let kind = earlier.kind.clone();
    let code = earlier.outcome_code.clone();
    let who = earlier.username.clone().unwrap_or_else(|| "—".into());
    let when = format!("{} WIB", wib_time(earlier.at_ms));
    let code_attr = code.clone();
    view! {
        <div class="notice" role="alert" data-testid="earlier-verdict" data-code=code_attr>
            <strong>{move || t().earlier_title}</strong>
            <p>
                {when} " " {move || t().earlier_by} " " {who} " ("
                {move || if kind == "verify" { t().kind_verify } else { t().kind_lookup }} ", "
                {move || t().earlier_outcome} ": " {move || t().code_message(&code)} ")"
            </p>
            <div class="button-row">
                <button type="button" data-testid="earlier-confirm" on:click=move |_| confirm()>
                    {move || t().earlier_confirm}
                </button>
                <button type="button" class="button-secondary" data-testid="earlier-cancel" on:click=move |_| cancel()>
                    {move || t().earlier_cancel}
                </button>
            </div>
        </div>
    }
}

/// A message about an outcome code, headed by what it is about.
#[component]
fn CodeMessage(code: String) -> impl IntoView {
    let lang = use_lang();
    let t = move || lang.get().texts().check();
    let kind = about(&code);
    let class = match kind {
        About::Resident | About::Success => "notice",
        About::Access | About::Input => "form-error",
    };
    let code_attr = code.clone();
    view! {
        <div class=class role="alert" data-testid="check-message" data-about=kind.as_str() data-code=code_attr>
            <strong>{move || t().about(kind)}</strong>
            <p>{move || format!("{} ({code})", t().code_message(&code))}</p>
        </div>
    }
}

/// A refusal: pipeline codes get their words; other errors the portal's usual message.
#[component]
fn Refusal(error: AppError) -> impl IntoView {
    let lang = use_lang();
    match error {
        AppError::Rejected { code } => view! { <CodeMessage code /> }.into_any(),
        other => {
            let code = other.code().to_string();
            view! {
            <p class="form-error" role="alert" data-testid="check-error" data-error-code=code>
                {move || lang.get().texts().error_message(&other)}
            </p>
            }
            .into_any()
        }
    }
}

/// The answer: the nine elements, the verdicts, or the code in words.
#[component]
fn Answer(answer: CheckAnswer) -> impl IntoView {
    let lang = use_lang();
    let t = move || lang.get().texts().check();
    let multiple = answer.multiple_records;
    let body = match answer.kind {
        CheckKind::Found => match answer.resident {
            Some(r) => view! { <Resident resident=r /> }.into_any(),
            None => view! { <CodeMessage code=answer.code.clone() /> }.into_any(),
        },
        CheckKind::Verdicts => view! { <Verdicts verdicts=answer.verdicts.clone() /> }.into_any(),
        CheckKind::IdentityResult | CheckKind::SetupError | CheckKind::Unavailable => {
            view! { <CodeMessage code=answer.code.clone() /> }.into_any()
        }
    };
    view! {
        <Show when=move || multiple>
            <p class="notice" data-testid="multiple-records">{move || t().multiple_records}</p>
        </Show>
        {body}
        <p class="muted">{move || t().result_note}</p>
    }
}

#[component]
fn Resident(resident: ResidentView) -> impl IntoView {
    let lang = use_lang();
    let t = move || lang.get().texts().check();
    let sex = resident.jenis_kelamin.clone();
    let rows: Vec<(&'static str, String)> = vec![
        ("nik", resident.nik),
        ("no_kk", resident.no_kk),
        ("nama_lengkap", resident.nama_lengkap),
        ("jenis_kelamin", String::new()),
        ("tempat_lahir", resident.tempat_lahir),
        ("tanggal_lahir", resident.tanggal_lahir),
        ("status_perkawinan", resident.status_perkawinan),
        ("jenis_pekerjaan", resident.jenis_pekerjaan),
        ("alamat", resident.alamat),
    ];
    view! {
        <div class="table-wrap"><table class="table" data-testid="resident">
            <tbody>
                {rows
                    .into_iter()
                    .map(|(code, value)| {
                        let sex = sex.clone();
                        view! {
                            <tr data-testid="resident-element" data-element=code>
                                <th scope="row">{move || t().element(code).to_string()}</th>
                                <td>
                                    {move || {
                                        if code == "jenis_kelamin" {
                                            match sex.as_str() {
                                                "L" => t().male.to_string(),
                                                "P" => t().female.to_string(),
                                                _ => "—".to_string(),
                                            }
                                        } else {
                                            value.clone()
                                        }
                                    }}
                                </td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table></div>
    }
}

#[component]
fn Verdicts(verdicts: Vec<crate::backend::VerdictView>) -> impl IntoView {
    let lang = use_lang();
    let t = move || lang.get().texts().check();
    view! {
        <div class="table-wrap"><table class="table" data-testid="verdicts">
            <thead>
                <tr>
                    <th>{move || t().col_element}</th>
                    <th>{move || t().col_verdict}</th>
                </tr>
            </thead>
            <tbody>
                {verdicts
                    .into_iter()
                    .map(|v| {
                        let element = v.element.clone();
                        let matched = v.matched;
                        let score = v.score;
                        view! {
                            <tr data-testid="verdict" data-element=v.element.clone() data-match=matched.to_string()>
                                <th scope="row">{move || t().element(&element).to_string()}</th>
                                <td class=if matched { "verdict-match" } else { "verdict-mismatch" }>
                                    {move || if matched { t().sesuai } else { t().tidak_sesuai }}
                                    {move || score.map(|s| format!(" ({} {s})", t().score))}
                                </td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table></div>
    }
}

/// "Masalah akses" on the institution admin's dashboard: recent attempts refused or failed
/// for reasons about the institution's access (codes, time, operator, channel; no data).
#[component]
pub fn AccessProblemsCard() -> impl IntoView {
    let lang = use_lang();
    let t = move || lang.get().texts().check();
    let problems = Resource::new(|| (), |_| access_problems());
    view! {
        <section class="card" data-testid="access-problems">
            <h2>{move || t().problems_title}</h2>
            <p class="muted">{move || t().problems_lead}</p>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match problems.await {
                        Ok(list) if list.is_empty() => {
                            view! { <p data-testid="access-problems-none">{move || t().problems_none}</p> }.into_any()
                        }
                        Ok(list) => view! {
                            <div class="table-wrap"><table class="table">
                                <thead>
                                    <tr>
                                        <th>{move || t().col_time}</th>
                                        <th>{move || t().col_code}</th>
                                        <th>{move || t().col_problem}</th>
                                        <th>{move || t().col_user}</th>
                                        <th>{move || t().col_channel}</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {list
                                        .into_iter()
                                        .map(|p| {
                                            let code = p.code.clone();
                                            view! {
                                                <tr data-testid="access-problem" data-code=p.code.clone()>
                                                    <td>{format!("{} WIB", wib_time(p.at_ms))}</td>
                                                    <td>{p.code.clone()}</td>
                                                    <td>{move || t().code_message(&code)}</td>
                                                    <td>{p.username.clone().unwrap_or_else(|| "—".into())}</td>
                                                    <td>{p.channel.clone()}</td>
                                                </tr>
                                            }
                                        })
                                        .collect_view()}
                                </tbody>
                            </table></div>
                        }
                        .into_any(),
                        Err(e) => {
                            let texts = move || lang.get().texts();
                            let code = e.code().to_string();
                            view! {
                                <p class="form-error" data-error-code=code>
                                    {move || texts().error_message(&e)}
                                </p>
                            }
                            .into_any()
                        }
                    }
                })}
            </Suspense>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nik_is_decoded_locally_with_region_sex_and_birth_date() {
        // 33.13.01 (Karanganyar, Jatipuro), a woman born 10-07-1990, serial 0001.
        match decode("3313015007900001") {
            Decoded::Valid {
                province,
                regency,
                male,
                birth,
                ..
            } => {
                assert!(
                    province.to_uppercase().contains("JAWA TENGAH"),
                    "{province}"
                );
                assert!(regency.unwrap_or("").to_uppercase().contains("KARANGANYAR"));
                assert!(!male);
                assert_eq!(birth, "10-07-1990");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(decode("3313"), Decoded::Invalid(_)));
        assert_eq!(decode("  "), Decoded::Empty);
    }

    #[test]
    fn empty_claims_are_detected() {
        assert!(claims_empty(&ClaimForm::default()));
        assert!(!claims_empty(&ClaimForm {
            tempat_lahir: "Solo".into(),
            ..ClaimForm::default()
        }));
    }
}
