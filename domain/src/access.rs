//! Roles and what each may do: the access matrix in code. `docs/ACCESS.md` is the written form
//! and a test keeps the two in agreement. Deny by default: a permission not granted here is
//! refused everywhere.

use serde::{Deserialize, Serialize};

/// A role an account holds. One role per account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Petugas: looks residents up and verifies them (after accepting the NDA).
    Operator,
    /// Admin instansi: manages the institution's operators, local user IDs, readers, tokens.
    InstitutionAdmin,
    /// Penanggung jawab (head): signs the SPTJM, sees the institution's reports.
    Head,
    /// Admin Disdukcapil: institutions, agreements, user-ID applications.
    DisdukcapilAdmin,
    /// Evaluator Disdukcapil: reads utilisation and audit of every institution, changes nothing.
    DisdukcapilEvaluator,
    /// Auditor: reads and verifies the audit trail.
    Auditor,
    /// Service account behind web-service API tokens (a local user ID of an internal app).
    Service,
}

impl Role {
    /// Every role, in a stable order (for matrices and tests).
    pub const ALL: [Role; 7] = [
        Role::Operator,
        Role::InstitutionAdmin,
        Role::Head,
        Role::DisdukcapilAdmin,
        Role::DisdukcapilEvaluator,
        Role::Auditor,
        Role::Service,
    ];

    /// The stable code used in storage, the API and docs/ACCESS.md.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Operator => "operator",
            Role::InstitutionAdmin => "institution_admin",
            Role::Head => "head",
            Role::DisdukcapilAdmin => "disdukcapil_admin",
            Role::DisdukcapilEvaluator => "disdukcapil_evaluator",
            Role::Auditor => "auditor",
            Role::Service => "service",
        }
    }

    /// Parses a stable code; unknown roles are an error, never a default.
    pub fn parse(code: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == code)
    }

    /// Indonesian label for the UI.
    pub fn label_id(self) -> &'static str {
        match self {
            Role::Operator => "Petugas",
            Role::InstitutionAdmin => "Admin Instansi",
            Role::Head => "Penanggung Jawab",
            Role::DisdukcapilAdmin => "Admin Disdukcapil",
            Role::DisdukcapilEvaluator => "Evaluator Disdukcapil",
            Role::Auditor => "Auditor",
            Role::Service => "Akun Layanan (API)",
        }
    }

    /// True for roles bound to one institution (they never see another's data).
    pub fn is_institution_bound(self) -> bool {
        matches!(
            self,
            Role::Operator | Role::InstitutionAdmin | Role::Head | Role::Service
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_unknown_is_refused() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
        assert_eq!(Role::parse(""), None);
    }
}
