//! Agreement (PKS) editing for the Disdukcapil admin on `/disdukcapil`: the server functions
//! (`create_agreement`, `update_agreement`, `add_addendum`, `set_agreement_status`,
//! `record_sptjm`; all `agreements.manage`, checked on the server) and the forms: a new draft,
//! edits while draft, an addendum, a status change behind a confirm step, the head's SPTJM.

use crate::AppError;
use crate::backend::{AgreementForm, AgreementSummary, DisdukcapilInstitutionView};
use crate::i18n::use_lang;
use leptos::prelude::*;

/// Creates a draft agreement for an institution.
#[leptos::server(prefix = "/api/sf", endpoint = "create_agreement")]
pub async fn create_agreement(
    institution_id: i64,
    form: AgreementForm,
) -> Result<DisdukcapilInstitutionView, AppError> {
    let parts = crate::backend::request_parts()?;
    crate::backend::backend()?
        .create_agreement(parts, institution_id, form)
        .await
}

/// Replaces the fields of a draft agreement.
#[leptos::server(prefix = "/api/sf", endpoint = "update_agreement")]
pub async fn update_agreement(
    agreement_id: i64,
    form: AgreementForm,
) -> Result<DisdukcapilInstitutionView, AppError> {
    let parts = crate::backend::request_parts()?;
    crate::backend::backend()?
        .update_agreement(parts, agreement_id, form)
        .await
}

/// Adds an addendum with a new end date.
#[leptos::server(prefix = "/api/sf", endpoint = "add_addendum")]
pub async fn add_addendum(
    agreement_id: i64,
    number: String,
    signed_on: String,
    valid_to: String,
    note: String,
) -> Result<DisdukcapilInstitutionView, AppError> {
    let parts = crate::backend::request_parts()?;
    crate::backend::backend()?
        .add_addendum(parts, agreement_id, number, signed_on, valid_to, note)
        .await
}

/// Activates, suspends or terminates an agreement.
#[leptos::server(prefix = "/api/sf", endpoint = "set_agreement_status")]
pub async fn set_agreement_status(
    agreement_id: i64,
    status: String,
) -> Result<DisdukcapilInstitutionView, AppError> {
    let parts = crate::backend::request_parts()?;
    crate::backend::backend()?
        .set_agreement_status(parts, agreement_id, status)
        .await
}

/// Records the head's SPTJM for an agreement.
#[leptos::server(prefix = "/api/sf", endpoint = "record_sptjm")]
pub async fn record_sptjm(
    agreement_id: i64,
    signer_name: String,
    signer_position: String,
    signed_on: String,
) -> Result<DisdukcapilInstitutionView, AppError> {
    let parts = crate::backend::request_parts()?;
    crate::backend::backend()?
        .record_sptjm(parts, agreement_id, signer_name, signer_position, signed_on)
        .await
}

/// The agreement actions of one institution's page; the page refetches after any of them.
#[derive(Clone, Copy)]
pub struct AgreementActions {
    pub create: ServerAction<CreateAgreement>,
    pub update: ServerAction<UpdateAgreement>,
    pub addendum: ServerAction<AddAddendum>,
    pub status: ServerAction<SetAgreementStatus>,
    pub sptjm: ServerAction<RecordSptjm>,
    /// The outcome of the latest action that finished (`Ok` shows "saved").
    pub outcome: RwSignal<Option<Result<(), AppError>>>,
}

impl AgreementActions {
    pub fn new() -> AgreementActions {
        let actions = AgreementActions {
            create: ServerAction::new(),
            update: ServerAction::new(),
            addendum: ServerAction::new(),
            status: ServerAction::new(),
            sptjm: ServerAction::new(),
            outcome: RwSignal::new(None),
        };
        watch(actions.create.value(), actions.outcome);
        watch(actions.update.value(), actions.outcome);
        watch(actions.addendum.value(), actions.outcome);
        watch(actions.status.value(), actions.outcome);
        watch(actions.sptjm.value(), actions.outcome);
        actions
    }

    /// Changes whenever any action finishes (the page's resource source).
    pub fn version(&self) -> usize {
        self.create.version().get()
            + self.update.version().get()
            + self.addendum.version().get()
            + self.status.version().get()
            + self.sptjm.version().get()
    }
}

impl Default for AgreementActions {
    fn default() -> Self {
        AgreementActions::new()
    }
}

/// Copies an action's finished result into `outcome`, so whichever action finished last
/// decides the message.
fn watch<S>(value: S, outcome: RwSignal<Option<Result<(), AppError>>>)
where
    S: Get<Value = Option<Result<DisdukcapilInstitutionView, AppError>>> + Send + Sync + 'static,
{
    Effect::new(move |_| {
        if let Some(r) = value.get() {
            outcome.set(Some(r.map(|_| ())));
        }
    });
}

/// A labelled input named `name` (inside a form of this module).
#[component]
fn Field(
    label: fn(&'static crate::i18n::Texts) -> &'static str,
    name: &'static str,
    testid: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional, into)] value: String,
    #[prop(default = true)] required: bool,
) -> impl IntoView {
    let lang = use_lang();
    view! {
        <label class="form-field">
            <span>{move || label(lang.get().texts())}</span>
            <input type=kind name=name value=value required=required data-testid=testid />
        </label>
    }
}

/// The fields of an agreement, named `form[...]` for [`AgreementForm`]; `initial` fills them
/// for an edit, otherwise the nine elements and a quota of 1,000 are the defaults.
#[component]
fn AgreementFields(initial: Option<AgreementSummary>, all_elements: Vec<String>) -> impl IntoView {
    let lang = use_lang();
    let texts = move || lang.get().texts();
    let a = initial.unwrap_or_default();
    let chosen = RwSignal::new(if a.allowed_elements.is_empty() {
        all_elements.clone()
    } else {
        a.allowed_elements.clone()
    });
    let quota = if a.daily_quota > 0 {
        a.daily_quota.to_string()
    } else {
        "1000".to_string()
    };
    let order = all_elements.clone();
    // The checkboxes carry no name: one hidden field sends the chosen codes in order.
    let joined = move || {
        let chosen = chosen.get();
        order
            .iter()
            .filter(|c| chosen.contains(c))
            .cloned()
            .collect::<Vec<_>>()
            .join(",")
    };
    type Label = fn(&'static crate::i18n::Texts) -> &'static str;
    // (label, form name, test id, input type, value)
    let fields: [(Label, &'static str, &'static str, &'static str, String); 8] = [
        (
            |t| t.ag_institution_number,
            "form[institution_number]",
            "ag-institution-number",
            "text",
            a.institution_number.clone(),
        ),
        (
            |t| t.ag_dukcapil_number,
            "form[dukcapil_number]",
            "ag-dukcapil-number",
            "text",
            a.dukcapil_number.clone(),
        ),
        (
            |t| t.ag_institution_party,
            "form[institution_party]",
            "ag-institution-party",
            "text",
            a.institution_party.clone(),
        ),
        (
            |t| t.ag_dukcapil_party,
            "form[dukcapil_party]",
            "ag-dukcapil-party",
            "text",
            a.dukcapil_party.clone(),
        ),
        (
            |t| t.ag_signed_on,
            "form[signed_on]",
            "ag-signed-on",
            "date",
            a.signed_on.clone(),
        ),
        (
            |t| t.ag_valid_from,
            "form[valid_from]",
            "ag-valid-from",
            "date",
            a.valid_from.clone(),
        ),
        (
            |t| t.ag_valid_to,
            "form[valid_to]",
            "ag-valid-to",
            "date",
            a.valid_to.clone(),
        ),
        (
            |t| t.ag_quota,
            "form[daily_quota]",
            "ag-quota",
            "number",
            quota,
        ),
    ];
    view! {
        <div class="form-grid">
            {fields
                .into_iter()
                .map(|(label, name, testid, kind, value)| {
                    view! { <Field label=label name=name testid=testid kind=kind value=value /> }
                })
                .collect_view()}
        </div>
        <fieldset class="elements-choice" data-testid="ag-elements">
            <legend>{move || texts().ag_elements}</legend>
            {all_elements
                .into_iter()
                .map(|code| {
                    let c1 = code.clone();
                    let c2 = code.clone();
                    let c3 = code.clone();
                    view! {
                        <label>
                            <input
                                type="checkbox"
                                data-element=code.clone()
                                prop:checked=move || chosen.get().contains(&c1)
                                on:change=move |ev| {
                                    let on = event_target_checked(&ev);
                                    chosen
                                        .update(|v| {
                                            v.retain(|x| x != &c2);
                                            if on {
                                                v.push(c2.clone());
                                            }
                                        });
                                }
                            />
                            " "
                            {move || texts().element_label(&c3).to_string()}
                        </label>
                    }
                })
                .collect_view()}
        </fieldset>
        <input type="hidden" name="form[allowed_elements]" value=joined />
    }
}

/// "Tambah PKS": a new draft agreement for the institution.
#[component]
pub fn NewAgreement(
    institution_id: i64,
    all_elements: Vec<String>,
    actions: AgreementActions,
) -> impl IntoView {
    let lang = use_lang();
    let texts = move || lang.get().texts();
    let open = RwSignal::new(false);
    let all_elements = StoredValue::new(all_elements);
    Effect::new(move |_| {
        if let Some(Ok(_)) = actions.create.value().get() {
            open.set(false);
        }
    });
    view! {
        <Show
            when=move || open.get()
            fallback=move || {
                view! {
                    <button
                        type="button"
                        class="button-secondary"
                        data-testid="agreement-new"
                        on:click=move |_| open.set(true)
                    >
                        {move || texts().ag_new}
                    </button>
                }
            }
        >
            <div class="subcard" data-testid="agreement-create-form">
                <h4>{move || texts().ag_new_title}</h4>
                <ActionForm action=actions.create>
                    <input
                        type="hidden"
                        name="institution_id"
                        value=move || institution_id.to_string()
                    />
                    <AgreementFields initial=None all_elements=all_elements.get_value() />
                    <div class="button-row">
                        <button
                            type="submit"
                            class="button-primary"
                            data-testid="agreement-create-submit"
                        >
                            {move || texts().ag_create}
                        </button>
                        <button
                            type="button"
                            class="button-secondary"
                            on:click=move |_| open.set(false)
                        >
                            {move || texts().admin_cancel}
                        </button>
                    </div>
                </ActionForm>
            </div>
        </Show>
    }
}

/// The selected agreement's actions: status (with a confirm step), edit while draft,
/// addendum and SPTJM while not terminated.
#[component]
pub fn AgreementEditor(
    agreement: AgreementSummary,
    all_elements: Vec<String>,
    selected: RwSignal<Option<i64>>,
    actions: AgreementActions,
) -> impl IntoView {
    let lang = use_lang();
    let texts = move || lang.get().texts();
    let confirm = RwSignal::new(None::<String>);
    let id = agreement.id;
    let draft = agreement.status == "draft";
    let open = agreement.status != "terminated";
    let next = agreement.next_statuses.clone();
    let title = format!(
        "{} / {}",
        agreement.institution_number, agreement.dukcapil_number
    );
    let parties = format!(
        "{} · {}",
        agreement.institution_party, agreement.dukcapil_party
    );
    let id_value = move || id.to_string();
    let agreement = StoredValue::new(agreement);
    let all_elements = StoredValue::new(all_elements);
    view! {
        <div class="subcard" data-testid="agreement-editor" data-id=id.to_string()>
            <div class="button-row spread">
                <h4 data-testid="agreement-editor-title">{title}</h4>
                <button
                    type="button"
                    class="button-secondary"
                    data-testid="agreement-editor-close"
                    on:click=move |_| selected.set(None)
                >
                    {move || texts().ag_close}
                </button>
            </div>
            <p class="muted">{move || texts().ag_parties} ": " {parties}</p>
            <h5>{move || texts().ag_status_title}</h5>
            <div class="button-row">
                {next
                    .into_iter()
                    .map(|status| {
                        let s1 = status.clone();
                        let s2 = status.clone();
                        view! {
                            <button
                                type="button"
                                class="button-secondary"
                                data-testid=format!("agreement-to-{status}")
                                on:click=move |_| confirm.set(Some(s1.clone()))
                            >
                                {move || texts().status_action(&s2).to_string()}
                            </button>
                        }
                    })
                    .collect_view()}
            </div>
            {move || {
                confirm
                    .get()
                    .map(|status| {
                        let s1 = status.clone();
                        let s2 = status.clone();
                        view! {
                            <div class="confirm" role="alertdialog" data-testid="agreement-confirm">
                                <p>{move || texts().status_confirm(&s1)}</p>
                                <div class="button-row">
                                    <ActionForm action=actions.status>
                                        <input type="hidden" name="agreement_id" value=id_value />
                                        <input type="hidden" name="status" value=status.clone() />
                                        <button
                                            type="submit"
                                            class="button-primary"
                                            data-testid="agreement-confirm-yes"
                                            disabled=move || actions.status.pending().get()
                                        >
                                            {move || texts().status_action(&s2).to_string()}
                                        </button>
                                    </ActionForm>
                                    <button
                                        type="button"
                                        class="button-secondary"
                                        data-testid="agreement-confirm-cancel"
                                        on:click=move |_| confirm.set(None)
                                    >
                                        {move || texts().admin_cancel}
                                    </button>
                                </div>
                            </div>
                        }
                    })
            }}
            <Show when=move || draft>
                <h5>{move || texts().ag_edit_title}</h5>
                <ActionForm action=actions.update>
                    <input type="hidden" name="agreement_id" value=id_value />
                    <AgreementFields
                        initial=Some(agreement.get_value())
                        all_elements=all_elements.get_value()
                    />
                    <button type="submit" class="button-primary" data-testid="agreement-save">
                        {move || texts().ag_save}
                    </button>
                </ActionForm>
            </Show>
            <Show when=move || open>
                <h5>{move || texts().ag_addendum_title}</h5>
                <ActionForm action=actions.addendum>
                    <input type="hidden" name="agreement_id" value=id_value />
                    <div class="form-grid">
                        <Field
                            label=|t| t.ag_addendum_number
                            name="number"
                            testid="addendum-number"
                        />
                        <Field
                            label=|t| t.ag_signed_on
                            name="signed_on"
                            testid="addendum-signed-on"
                            kind="date"
                        />
                        <Field
                            label=|t| t.ag_addendum_valid_to
                            name="valid_to"
                            testid="addendum-valid-to"
                            kind="date"
                        />
                        <Field
                            label=|t| t.ag_addendum_note
                            name="note"
                            testid="addendum-note"
                            required=false
                        />
                    </div>
                    <button type="submit" class="button-primary" data-testid="addendum-submit">
                        {move || texts().ag_addendum_submit}
                    </button>
                </ActionForm>
                <h5>{move || texts().ag_sptjm_title}</h5>
                <ActionForm action=actions.sptjm>
                    <input type="hidden" name="agreement_id" value=id_value />
                    <div class="form-grid">
                        <Field label=|t| t.ag_sptjm_name name="signer_name" testid="sptjm-name" />
                        <Field
                            label=|t| t.ag_sptjm_position
                            name="signer_position"
                            testid="sptjm-position"
                        />
                        <Field
                            label=|t| t.ag_sptjm_signed_on
                            name="signed_on"
                            testid="sptjm-signed-on"
                            kind="date"
                        />
                    </div>
                    <button type="submit" class="button-primary" data-testid="sptjm-submit">
                        {move || texts().ag_sptjm_submit}
                    </button>
                </ActionForm>
            </Show>
        </div>
    }
}

/// The latest agreement action's outcome: "saved" or the refusal in words.
#[component]
pub fn AgreementOutcome(actions: AgreementActions) -> impl IntoView {
    let lang = use_lang();
    let texts = move || lang.get().texts();
    move || {
        actions.outcome.get().map(|r| match r {
            Ok(()) => view! {
                <p role="status" class="form-ok" data-testid="agreement-saved">
                    {move || texts().ag_saved}
                </p>
            }
            .into_any(),
            Err(e) => view! {
                <p class="form-error" role="alert" data-testid="agreement-error">
                    {move || texts().error_message(&e)}
                </p>
            }
            .into_any(),
        })
    }
}
