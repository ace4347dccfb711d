//! Staff-change notices on the institution admin's `/admin` (`local_user_ids.manage`, checked
//! on the server): the notices sent to Disdukcapil (who sent them, what changed, when, the
//! local user ID concerned) and the form recording a new one.

use crate::AppError;
use crate::backend::{AdminAccount, InstitutionAdminView, StaffNoticeForm, StaffNoticeSummary};
use crate::i18n::use_lang;
use crate::pages::admin::wib_time;
use leptos::prelude::*;

/// Records a notice the institution sent to Disdukcapil about a staff change.
#[leptos::server(prefix = "/api/sf", endpoint = "record_staff_change_notice")]
pub async fn record_staff_change_notice(
    form: StaffNoticeForm,
) -> Result<InstitutionAdminView, AppError> {
    let parts = crate::backend::request_parts()?;
    crate::backend::backend()?
        .record_staff_change_notice(parts, form)
        .await
}

/// The day part of [`wib_time`].
fn wib_day(ms: i64) -> String {
    wib_time(ms).chars().take(10).collect()
}

/// The notices and the form.
#[component]
pub fn StaffNotices(
    notices: Vec<StaffNoticeSummary>,
    accounts: Vec<AdminAccount>,
    action: ServerAction<RecordStaffChangeNotice>,
) -> impl IntoView {
    let lang = use_lang();
    let texts = move || lang.get().texts();
    let empty = notices.is_empty();
    view! {
        <h2>{move || texts().notice_title}</h2>
        <p class="muted">{move || texts().notice_lead}</p>
        <Show when=move || empty>
            <p data-testid="notices-empty">{move || texts().notice_none}</p>
        </Show>
        <Show when=move || !empty>
            <div class="table-wrap"><table class="table" data-testid="notices">
                <thead>
                    <tr>
                        <th>{move || texts().notice_col_when}</th>
                        <th>{move || texts().notice_col_sender}</th>
                        <th>{move || texts().notice_col_what}</th>
                        <th>{move || texts().admin_col_local_user_id}</th>
                        <th>{move || texts().notice_col_reference}</th>
                    </tr>
                </thead>
                <tbody>
                    {notices
                        .iter()
                        .map(|n| {
                            let concerned = match (&n.local_user_id, &n.username) {
                                (Some(local), Some(user)) => format!("{local} ({user})"),
                                (None, Some(user)) => user.clone(),
                                (Some(local), None) => local.clone(),
                                (None, None) => "—".into(),
                            };
                            view! {
                                <tr data-testid="notice">
                                    <td>{wib_day(n.notified_at_ms)}</td>
                                    <td>{n.notified_by.clone()}</td>
                                    <td class="pre-line">{n.what_changed.clone()}</td>
                                    <td data-testid="notice-local-user-id">{concerned}</td>
                                    <td>{n.reference.clone().unwrap_or_else(|| "—".into())}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table></div>
        </Show>
        <h3>{move || texts().notice_new}</h3>
        <ActionForm action=action>
            <div class="form-grid">
                <label class="form-field">
                    <span>{move || texts().notice_account}</span>
                    <select name="form[account_id]" data-testid="notice-account">
                        <option value="">{move || texts().notice_account_none}</option>
                        {accounts
                            .iter()
                            .map(|a| {
                                let label = match &a.local_user_id {
                                    Some(local) => format!("{} · {local}", a.username),
                                    None => a.username.clone(),
                                };
                                view! { <option value=a.id.to_string()>{label}</option> }
                            })
                            .collect_view()}
                    </select>
                </label>
                <label class="form-field">
                    <span>{move || texts().notice_col_when}</span>
                    <input type="date" name="form[notified_on]" required data-testid="notice-date" />
                </label>
                <label class="form-field">
                    <span>{move || texts().notice_col_sender}</span>
                    <input name="form[notified_by]" required maxlength="300" data-testid="notice-sender" />
                </label>
                <label class="form-field">
                    <span>{move || texts().notice_col_reference}</span>
                    <input name="form[reference]" maxlength="300" data-testid="notice-reference" />
                </label>
            </div>
            <label class="form-field">
                <span>{move || texts().notice_col_what}</span>
                <textarea
                    name="form[what_changed]"
                    rows="3"
                    maxlength="1000"
                    data-testid="notice-what"
                ></textarea>
            </label>
            <button type="submit" class="button-primary" data-testid="notice-submit">
                {move || texts().notice_submit}
            </button>
        </ActionForm>
        {move || {
            action
                .value()
                .get()
                .map(|r| match r {
                    Ok(_) => view! {
                        <p role="status" class="form-ok" data-testid="notice-saved">
                            {move || texts().notice_saved}
                        </p>
                    }
                    .into_any(),
                    Err(e) => view! {
                        <p class="form-error" role="alert" data-testid="notice-error">
                            {move || texts().error_message(&e)}
                        </p>
                    }
                    .into_any(),
                })
        }}
    }
}
