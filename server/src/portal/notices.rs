//! Staff-change notices behind the institution admin's page (`local_user_ids.manage`): the
//! notices the institution sent to Disdukcapil, with the local user ID each one concerns, and
//! recording a new one (storage validates and audits `staff_change.notice`).

use super::{PortalBackend, actor, agreements::day, internal, permitted, storage_error};
use crate::storage::{Account, LocalUserIdAssignment, NewStaffChangeNotice, StaffChangeNotice};
use app::{
    AppError,
    backend::{InstitutionAdminView, StaffNoticeForm, StaffNoticeSummary},
};
use domain::access::Permission;
use http::request::Parts;

const DAY_MS: i64 = 86_400_000;

/// The start (00:00 WIB) of the day a notice was sent, as typed (`YYYY-MM-DD`), refused with
/// `NOTICE_DATE_INVALID` when unreadable or after `today_ms`'s day.
pub(crate) fn notice_day_ms(text: &str, now_ms: i64) -> Result<i64, AppError> {
    let on = day(text, "NOTICE_DATE_INVALID")?;
    if on > crate::storage::actor::wib_day(now_ms) {
        return Err(AppError::Rejected {
            code: "NOTICE_DATE_INVALID".into(),
        });
    }
    Ok(on.midnight().assume_offset(crate::WIB).unix_timestamp() * 1000)
}

/// The local user ID an account held on the day of a notice: the latest assignment that
/// started by the end of that day, else its first one.
fn local_user_id_on(
    history: &[LocalUserIdAssignment],
    account_id: i64,
    at_ms: i64,
) -> Option<String> {
    let mine = history.iter().filter(|h| h.account_id == account_id);
    mine.clone()
        .filter(|h| h.assigned_at < at_ms + DAY_MS)
        .max_by_key(|h| (h.assigned_at, h.id))
        .or_else(|| mine.min_by_key(|h| (h.assigned_at, h.id)))
        .map(|h| h.local_user_id.clone())
}

/// Notices as the page shows them: who they concern (username, local user ID) and who
/// recorded them.
pub(crate) fn notice_summaries(
    notices: Vec<StaffChangeNotice>,
    accounts: &[Account],
    history: &[LocalUserIdAssignment],
) -> Vec<StaffNoticeSummary> {
    let username = |id: Option<i64>| {
        id.and_then(|id| accounts.iter().find(|a| a.id == id))
            .map(|a| a.username.clone())
    };
    notices
        .into_iter()
        .map(|n| StaffNoticeSummary {
            id: n.id,
            username: username(n.account_id),
            local_user_id: n
                .account_id
                .and_then(|id| local_user_id_on(history, id, n.notified_at)),
            what_changed: n.what_changed,
            notified_by: n.notified_by,
            reference: n.reference,
            notified_at_ms: n.notified_at,
            recorded_by: username(n.recorded_by),
        })
        .collect()
}

impl PortalBackend {
    pub(super) async fn record_notice(
        &self,
        parts: &Parts,
        form: &StaffNoticeForm,
    ) -> Result<InstitutionAdminView, AppError> {
        let user = permitted(parts, Permission::ManageLocalUserIds)?;
        let Some(institution_id) = user.user.institution_id else {
            return Err(AppError::Forbidden);
        };
        let account_id = match form.account_id.trim() {
            "" => None,
            text => {
                let id: i64 = text.parse().map_err(|_| AppError::Rejected {
                    code: "NOTICE_INVALID".into(),
                })?;
                let account = self
                    .state
                    .storage
                    .account_by_id(id)
                    .await
                    .map_err(|e| internal("record_notice", &e))?
                    .ok_or(AppError::NotFound)?;
                // Another institution's account is not this admin's business.
                if account.institution_id != Some(institution_id) {
                    return Err(AppError::Forbidden);
                }
                Some(id)
            }
        };
        let now = self.state.auth.clock().now_ms();
        let reference = form.reference.trim();
        let new = NewStaffChangeNotice {
            institution_id,
            account_id,
            what_changed: form.what_changed.trim().to_string(),
            notified_by: form.notified_by.trim().to_string(),
            reference: (!reference.is_empty()).then(|| reference.to_string()),
            notified_at: notice_day_ms(&form.notified_on, now)?,
        };
        self.state
            .storage
            .record_staff_change_notice(&new, &actor(user, parts), now)
            .await
            .map_err(|e| storage_error("record_notice", e))?;
        self.institution_admin_view(user).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assignment(id: i64, account_id: i64, local: &str, at: i64) -> LocalUserIdAssignment {
        LocalUserIdAssignment {
            id,
            account_id,
            institution_id: 1,
            local_user_id: local.into(),
            assigned_at: at,
            assigned_by: None,
            ended_at: None,
            ended_by: None,
        }
    }

    #[test]
    fn notice_days_are_wib_and_never_in_the_future() {
        // 2026-11-27 00:00 WIB is 2026-11-26 17:00 UTC.
        let now = 1_795_712_400_000 + 3_600_000;
        assert_eq!(notice_day_ms("2026-11-27", now).unwrap(), 1_795_712_400_000);
        assert_eq!(
            notice_day_ms("2026-11-26", now).unwrap(),
            1_795_712_400_000 - DAY_MS
        );
        for bad in ["2026-11-28", "27/11/2026", ""] {
            assert_eq!(
                notice_day_ms(bad, now).unwrap_err().code(),
                "NOTICE_DATE_INVALID"
            );
        }
    }

    #[test]
    fn the_local_user_id_is_the_one_held_that_day() {
        let history = [
            assignment(1, 7, "OP-01", 1_000),
            assignment(2, 7, "OP-09", 10 * DAY_MS),
            assignment(3, 8, "OP-02", 1_000),
        ];
        assert_eq!(local_user_id_on(&history, 7, 0).as_deref(), Some("OP-01"));
        assert_eq!(
            local_user_id_on(&history, 7, 10 * DAY_MS).as_deref(),
            Some("OP-09")
        );
        assert_eq!(
            local_user_id_on(&history, 7, 5 * DAY_MS).as_deref(),
            Some("OP-01")
        );
        assert_eq!(local_user_id_on(&history, 9, 0), None);
    }
}
