//! The Disdukcapil admin's agreement (PKS) editing behind the portal: reading the form's text
//! into storage types (days, element codes, quota) with stable refusal codes, and the
//! `agreements.manage` operations (create, edit while draft, addendum, status, SPTJM). Storage
//! validates again and audits every change in its transaction.

use super::{PortalBackend, actor, internal, permitted, storage_error};
use crate::storage::{AgreementUpdate, NewAddendum, NewAgreement, NewSptjm};
use app::{
    AppError,
    backend::{AgreementForm, DisdukcapilInstitutionView},
};
use domain::{
    access::Permission,
    agreement::{AgreementStatus, PksElement},
};
use http::request::Parts;
use time::Date;

const ISO_DAY: &[time::format_description::BorrowedFormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]");

fn rejected(code: &str) -> AppError {
    AppError::Rejected { code: code.into() }
}

/// A `YYYY-MM-DD` day as typed; anything else is refused with `code`.
pub(crate) fn day(text: &str, code: &str) -> Result<Date, AppError> {
    Date::parse(text.trim(), ISO_DAY).map_err(|_| rejected(code))
}

/// Comma-separated element codes; none, or an unknown one, is `ELEMENTS_INVALID`.
fn elements(text: &str) -> Result<Vec<PksElement>, AppError> {
    let codes: Vec<&str> = text
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    if codes.is_empty() {
        return Err(rejected("ELEMENTS_INVALID"));
    }
    codes
        .into_iter()
        .map(|c| PksElement::parse(c).ok_or_else(|| rejected("ELEMENTS_INVALID")))
        .collect()
}

/// The form as a complete set of agreement fields for `institution_id` (status draft).
pub(crate) fn new_agreement(
    institution_id: i64,
    form: &AgreementForm,
) -> Result<NewAgreement, AppError> {
    let dates = "AGREEMENT_DATES_INVALID";
    Ok(NewAgreement {
        institution_id,
        institution_number: form.institution_number.trim().to_string(),
        dukcapil_number: form.dukcapil_number.trim().to_string(),
        institution_party: form.institution_party.trim().to_string(),
        dukcapil_party: form.dukcapil_party.trim().to_string(),
        signed_on: day(&form.signed_on, dates)?,
        valid_from: day(&form.valid_from, dates)?,
        valid_to: day(&form.valid_to, dates)?,
        allowed_elements: elements(&form.allowed_elements)?,
        daily_quota: form
            .daily_quota
            .trim()
            .replace(['.', ' '], "")
            .parse()
            .map_err(|_| rejected("QUOTA_INVALID"))?,
        status: AgreementStatus::Draft,
    })
}

/// A status the admin may ask for (`draft` is where agreements start, never a target).
fn target_status(code: &str) -> Result<AgreementStatus, AppError> {
    match AgreementStatus::parse(code.trim()) {
        Some(s) if s != AgreementStatus::Draft => Ok(s),
        _ => Err(rejected("AGREEMENT_STATUS_INVALID")),
    }
}

impl PortalBackend {
    /// The institution of agreement `id` (`NOT_FOUND` when there is none).
    async fn agreement_institution(&self, id: i64) -> Result<(i64, AgreementStatus), AppError> {
        self.state
            .storage
            .agreement_by_id(id)
            .await
            .map_err(|e| internal("agreement", &e))?
            .map(|a| (a.institution_id, a.status))
            .ok_or(AppError::NotFound)
    }

    fn now(&self) -> i64 {
        self.state.auth.clock().now_ms()
    }

    pub(super) async fn create_agreement_for(
        &self,
        parts: &Parts,
        institution_id: i64,
        form: &AgreementForm,
    ) -> Result<DisdukcapilInstitutionView, AppError> {
        let user = permitted(parts, Permission::ManageAgreements)?;
        // An unknown institution is NOT_FOUND before the form is looked at.
        let known = self
            .state
            .storage
            .list_institutions()
            .await
            .map_err(|e| internal("create_agreement", &e))?
            .iter()
            .any(|i| i.id == institution_id);
        if !known {
            return Err(AppError::NotFound);
        }
        let new = new_agreement(institution_id, form)?;
        self.state
            .storage
            .create_agreement(&new, &actor(user, parts), self.now())
            .await
            .map_err(|e| storage_error("create_agreement", e))?;
        self.disdukcapil_view(institution_id).await
    }

    pub(super) async fn update_agreement_fields(
        &self,
        parts: &Parts,
        agreement_id: i64,
        form: &AgreementForm,
    ) -> Result<DisdukcapilInstitutionView, AppError> {
        let user = permitted(parts, Permission::ManageAgreements)?;
        let (institution_id, status) = self.agreement_institution(agreement_id).await?;
        // Signed agreements change only by addendum or status; corrections are for drafts.
        if status != AgreementStatus::Draft {
            return Err(rejected("AGREEMENT_NOT_DRAFT"));
        }
        let next = new_agreement(institution_id, form)?;
        let update = AgreementUpdate {
            institution_number: Some(next.institution_number),
            dukcapil_number: Some(next.dukcapil_number),
            institution_party: Some(next.institution_party),
            dukcapil_party: Some(next.dukcapil_party),
            signed_on: Some(next.signed_on),
            valid_from: Some(next.valid_from),
            valid_to: Some(next.valid_to),
            allowed_elements: Some(next.allowed_elements),
            daily_quota: Some(next.daily_quota),
        };
        self.state
            .storage
            .update_agreement(agreement_id, &update, &actor(user, parts), self.now())
            .await
            .map_err(|e| storage_error("update_agreement", e))?;
        self.disdukcapil_view(institution_id).await
    }

    pub(super) async fn add_agreement_addendum(
        &self,
        parts: &Parts,
        agreement_id: i64,
        addendum: (&str, &str, &str, &str),
    ) -> Result<DisdukcapilInstitutionView, AppError> {
        let user = permitted(parts, Permission::ManageAgreements)?;
        let (institution_id, _) = self.agreement_institution(agreement_id).await?;
        let (number, signed_on, valid_to, note) = addendum;
        let new = NewAddendum {
            number: number.trim().to_string(),
            signed_on: day(signed_on, "ADDENDUM_INVALID")?,
            valid_to: day(valid_to, "ADDENDUM_INVALID")?,
            note: note.trim().to_string(),
        };
        self.state
            .storage
            .add_addendum(agreement_id, &new, &actor(user, parts), self.now())
            .await
            .map_err(|e| storage_error("add_addendum", e))?;
        self.disdukcapil_view(institution_id).await
    }

    pub(super) async fn change_agreement_status(
        &self,
        parts: &Parts,
        agreement_id: i64,
        status: &str,
    ) -> Result<DisdukcapilInstitutionView, AppError> {
        let user = permitted(parts, Permission::ManageAgreements)?;
        let (institution_id, _) = self.agreement_institution(agreement_id).await?;
        let status = target_status(status)?;
        self.state
            .storage
            .set_agreement_status(agreement_id, status, &actor(user, parts), self.now())
            .await
            .map_err(|e| storage_error("set_agreement_status", e))?;
        self.disdukcapil_view(institution_id).await
    }

    pub(super) async fn record_agreement_sptjm(
        &self,
        parts: &Parts,
        agreement_id: i64,
        sptjm: (&str, &str, &str),
    ) -> Result<DisdukcapilInstitutionView, AppError> {
        let user = permitted(parts, Permission::ManageAgreements)?;
        let (institution_id, _) = self.agreement_institution(agreement_id).await?;
        let (signer_name, signer_position, signed_on) = sptjm;
        let new = NewSptjm {
            signer_name: signer_name.trim().to_string(),
            signer_position: signer_position.trim().to_string(),
            signer_account_id: None,
            signed_on: day(signed_on, "SPTJM_INVALID")?,
        };
        self.state
            .storage
            .record_sptjm(agreement_id, &new, &actor(user, parts), self.now())
            .await
            .map_err(|e| storage_error("record_sptjm", e))?;
        self.disdukcapil_view(institution_id).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> AgreementForm {
        AgreementForm {
            institution_number: " 100/PKS/2026 ".into(),
            dukcapil_number: "470/12/2026".into(),
            institution_party: "Kepala Pelaksana BPBD".into(),
            dukcapil_party: "Kepala Disdukcapil".into(),
            signed_on: "2026-01-05".into(),
            valid_from: "2026-01-10".into(),
            valid_to: "2028-01-09".into(),
            allowed_elements: "nik, no_kk,alamat".into(),
            daily_quota: "1.000".into(),
        }
    }

    fn code(e: AppError) -> String {
        e.code().to_string()
    }

    #[test]
    fn a_complete_form_becomes_a_draft_agreement() {
        let a = new_agreement(7, &form()).unwrap();
        assert_eq!(a.institution_id, 7);
        assert_eq!(a.institution_number, "100/PKS/2026");
        assert_eq!(a.status, AgreementStatus::Draft);
        assert_eq!(a.daily_quota, 1000);
        assert_eq!(
            a.allowed_elements,
            vec![PksElement::Nik, PksElement::NoKk, PksElement::Alamat]
        );
        assert_eq!(a.valid_to.to_string(), "2028-01-09");
    }

    #[test]
    fn bad_fields_are_refused_with_their_code() {
        let mut f = form();
        f.valid_from = "10-01-2026".into();
        assert_eq!(
            code(new_agreement(1, &f).unwrap_err()),
            "AGREEMENT_DATES_INVALID"
        );
        let mut f = form();
        f.allowed_elements = " , ".into();
        assert_eq!(code(new_agreement(1, &f).unwrap_err()), "ELEMENTS_INVALID");
        f.allowed_elements = "nik,agama".into();
        assert_eq!(code(new_agreement(1, &f).unwrap_err()), "ELEMENTS_INVALID");
        let mut f = form();
        f.daily_quota = "seribu".into();
        assert_eq!(code(new_agreement(1, &f).unwrap_err()), "QUOTA_INVALID");
    }

    #[test]
    fn draft_is_never_a_target_status() {
        assert_eq!(target_status("active").unwrap(), AgreementStatus::Active);
        assert_eq!(
            target_status("terminated").unwrap(),
            AgreementStatus::Terminated
        );
        for bad in ["draft", "ACTIVE", "", "closed"] {
            assert_eq!(
                code(target_status(bad).unwrap_err()),
                "AGREEMENT_STATUS_INVALID"
            );
        }
    }
}
