//! The read-only oversight page behind `/pengawasan` (`signatures.view`): institutions with
//! their access state, agreements (validity with addenda, SPTJM) and who has accepted which
//! NDA version. Roles bound to an institution (the head) see only their own; the Disdukcapil
//! evaluator and the auditor see every institution. Nothing here changes anything, and no
//! user-ID application (NIK, NIP, credential) is read.

use super::{PortalBackend, internal, permitted};
use crate::storage::StorageError;
use app::{
    AppError,
    backend::{InstitutionSummary, NdaSignatureRow, OversightInstitution, OversightView},
};
use domain::access::Permission;
use http::request::Parts;

impl PortalBackend {
    pub(super) async fn oversight_view(&self, parts: &Parts) -> Result<OversightView, AppError> {
        let user = permitted(parts, Permission::ViewSignatures)?;
        let storage = &self.state.storage;
        let err = |e: StorageError| internal("oversight", &e);
        let bound = user.user.role.is_institution_bound();
        let institutions: Vec<_> = storage
            .list_institutions()
            .await
            .map_err(err)?
            .into_iter()
            .filter(|i| !bound || Some(i.id) == user.user.institution_id)
            .collect();
        if bound && institutions.is_empty() {
            return Err(AppError::Forbidden);
        }
        let mut out = Vec::with_capacity(institutions.len());
        for i in institutions {
            let agreements = self.agreements_of(i.id).await?;
            let current_nda_version = storage
                .current_nda(i.id)
                .await
                .map_err(err)?
                .map(|n| n.version);
            let mut signatures = Vec::new();
            for a in storage.list_institution_accounts(i.id).await.map_err(err)? {
                // Only people who must accept the NDA, and only while their account is active.
                if !a.is_active() || !a.role.allows(Permission::AcceptNda) {
                    continue;
                }
                let nda = storage.nda_status(a.id).await.map_err(err)?;
                signatures.push(NdaSignatureRow {
                    username: a.username,
                    display_name: a.display_name,
                    role: a.role.as_str().to_string(),
                    current: nda.satisfied(),
                    accepted_version: nda.accepted_version,
                    accepted_at_ms: nda.accepted_at,
                });
            }
            out.push(OversightInstitution {
                institution: InstitutionSummary {
                    access: self.access_of(i.id).await?,
                    id: i.id,
                    code: i.code,
                    name: i.name,
                },
                agreements,
                current_nda_version,
                signatures,
            });
        }
        Ok(OversightView {
            all_institutions: !bound,
            institutions: out,
        })
    }
}
