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

impl Role {
    /// Whether this role holds `permission` (deny by default: only the grants listed in
    /// [`Permission::roles`] are allowed).
    #[must_use]
    pub fn allows(self, permission: Permission) -> bool {
        permission.roles().contains(&self)
    }

    /// Every permission this role holds, in [`Permission::ALL`] order.
    pub fn permissions(self) -> impl Iterator<Item = Permission> {
        Permission::ALL.into_iter().filter(move |p| self.allows(*p))
    }
}

/// Something an account may be allowed to do. For institution-bound roles
/// ([`Role::is_institution_bound`]) every permission is limited to the account's own
/// institution: one institution never sees another's data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// Look a resident up by NIK (CALL_NIK).
    NikLookup,
    /// Verify claimed elements of a resident (CALL_VERIFY_BY_ELEMEN).
    NikVerify,
    /// See the institution's quota and today's use.
    ViewOwnQuota,
    /// Create, deactivate and edit the institution's operator accounts.
    ManageOperators,
    /// Map accounts to local user IDs; record staff-change notices to Disdukcapil.
    ManageLocalUserIds,
    /// Fill in and submit Dukcapil user-ID applications for the institution.
    RequestUserIds,
    /// Issue and revoke the institution's web-service API tokens.
    ManageApiTokens,
    /// Register and retire the institution's card readers.
    ManageReaders,
    /// The institution's utilisation and audit reports.
    ViewInstitutionReports,
    /// See who has signed what (SPTJM per agreement, NDA acceptances).
    ViewSignatures,
    /// Sign the SPTJM of the institution's agreement (the head, penanggung jawab).
    SignSptjm,
    /// Create and edit institutions.
    ManageInstitutions,
    /// Create and edit agreements (PKS), their addenda and status; record SPTJMs.
    ManageAgreements,
    /// Create and manage institution admins and heads, Disdukcapil and auditor accounts.
    ManageInstitutionAccounts,
    /// Publish a new version of an institution's NDA text.
    PublishNda,
    /// Approve, reject and revoke Dukcapil user-ID applications; store their credentials.
    ApproveUserIdApplications,
    /// Utilisation and evaluation of every institution.
    EvaluateAllInstitutions,
    /// Read the audit trail (all institutions).
    ReadAudit,
    /// Verify the audit trail's hash chain.
    VerifyAudit,
    /// Accept the institution's current NDA (confidentiality statement).
    AcceptNda,
    /// Register and remove one's own passkeys and recovery codes.
    ManageOwnPasskeys,
}

impl Permission {
    /// Every permission, in a stable order (the order of docs/ACCESS.md).
    pub const ALL: [Permission; 21] = [
        Permission::NikLookup,
        Permission::NikVerify,
        Permission::ViewOwnQuota,
        Permission::ManageOperators,
        Permission::ManageLocalUserIds,
        Permission::RequestUserIds,
        Permission::ManageApiTokens,
        Permission::ManageReaders,
        Permission::ViewInstitutionReports,
        Permission::ViewSignatures,
        Permission::SignSptjm,
        Permission::ManageInstitutions,
        Permission::ManageAgreements,
        Permission::ManageInstitutionAccounts,
        Permission::PublishNda,
        Permission::ApproveUserIdApplications,
        Permission::EvaluateAllInstitutions,
        Permission::ReadAudit,
        Permission::VerifyAudit,
        Permission::AcceptNda,
        Permission::ManageOwnPasskeys,
    ];

    /// The stable code used in docs/ACCESS.md, logs and the API.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::NikLookup => "nik.lookup",
            Permission::NikVerify => "nik.verify",
            Permission::ViewOwnQuota => "quota.view_own",
            Permission::ManageOperators => "operators.manage",
            Permission::ManageLocalUserIds => "local_user_ids.manage",
            Permission::RequestUserIds => "user_ids.request",
            Permission::ManageApiTokens => "api_tokens.manage",
            Permission::ManageReaders => "readers.manage",
            Permission::ViewInstitutionReports => "reports.view_institution",
            Permission::ViewSignatures => "signatures.view",
            Permission::SignSptjm => "sptjm.sign",
            Permission::ManageInstitutions => "institutions.manage",
            Permission::ManageAgreements => "agreements.manage",
            Permission::ManageInstitutionAccounts => "institution_accounts.manage",
            Permission::PublishNda => "nda.publish",
            Permission::ApproveUserIdApplications => "user_ids.approve",
            Permission::EvaluateAllInstitutions => "institutions.evaluate_all",
            Permission::ReadAudit => "audit.read",
            Permission::VerifyAudit => "audit.verify",
            Permission::AcceptNda => "nda.accept",
            Permission::ManageOwnPasskeys => "passkeys.manage_own",
        }
    }

    /// Parses a stable code; unknown codes are `None`.
    #[must_use]
    pub fn parse(code: &str) -> Option<Permission> {
        Permission::ALL.into_iter().find(|p| p.as_str() == code)
    }

    /// The roles granted this permission; every other role is refused.
    #[must_use]
    pub fn roles(self) -> &'static [Role] {
        use Role::*;
        match self {
            Permission::NikLookup | Permission::NikVerify => &[Operator, Service],
            Permission::ViewOwnQuota => &[Operator, InstitutionAdmin, Head, Service],
            Permission::ManageOperators
            | Permission::ManageLocalUserIds
            | Permission::RequestUserIds
            | Permission::ManageApiTokens
            | Permission::ManageReaders => &[InstitutionAdmin],
            Permission::ViewInstitutionReports => &[InstitutionAdmin, Head],
            Permission::ViewSignatures => &[
                InstitutionAdmin,
                Head,
                DisdukcapilAdmin,
                DisdukcapilEvaluator,
                Auditor,
            ],
            Permission::SignSptjm => &[Head],
            Permission::ManageInstitutions
            | Permission::ManageAgreements
            | Permission::ManageInstitutionAccounts
            | Permission::PublishNda
            | Permission::ApproveUserIdApplications => &[DisdukcapilAdmin],
            Permission::EvaluateAllInstitutions => &[DisdukcapilAdmin, DisdukcapilEvaluator],
            Permission::ReadAudit => &[DisdukcapilEvaluator, Auditor],
            Permission::VerifyAudit => &[Auditor],
            Permission::AcceptNda => &[Operator, InstitutionAdmin, Head],
            Permission::ManageOwnPasskeys => &[
                Operator,
                InstitutionAdmin,
                Head,
                DisdukcapilAdmin,
                DisdukcapilEvaluator,
                Auditor,
            ],
        }
    }

    /// Whether using this permission touches population data, so that the account must also
    /// have accepted the current NDA and its institution must have an agreement in force with
    /// the SPTJM recorded (see [`crate::agreement::access_state`]).
    #[must_use]
    pub fn touches_population_data(self) -> bool {
        matches!(self, Permission::NikLookup | Permission::NikVerify)
    }
}

impl std::fmt::Display for Permission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One row of the written matrix: a permission code and, per role in [`Role::ALL`] order,
/// whether it is granted.
pub type MatrixRow = (String, Vec<bool>);

/// Why the written matrix could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MatrixParseError {
    /// No table whose header starts with `| Permission |` and lists every role.
    #[error("no access matrix table found (header `| Permission | ... |` with every role code)")]
    NoTable,
    /// The header's role columns are not [`Role::ALL`] in order.
    #[error("the role columns must be {expected:?}, found {found:?}")]
    Columns {
        /// The expected role codes.
        expected: Vec<String>,
        /// The codes found.
        found: Vec<String>,
    },
    /// A cell that is neither `✓` nor `—`.
    #[error("line {line}: cell {cell:?} must be ✓ (granted) or — (refused)")]
    Cell {
        /// 1-based line number.
        line: usize,
        /// The cell text.
        cell: String,
    },
    /// A row with the wrong number of cells.
    #[error("line {line}: expected {expected} cells, found {found}")]
    Width {
        /// 1-based line number.
        line: usize,
        /// Expected cells.
        expected: usize,
        /// Cells found.
        found: usize,
    },
}

/// Reads the access matrix table of docs/ACCESS.md: header `| Permission | Meaning | <role
/// codes in Role::ALL order> |`, then one row per permission with its code in backticks and
/// `✓` or `—` per role. Used by the test that keeps the document and the code in agreement.
///
/// # Errors
/// [`MatrixParseError`] when the table is missing or malformed.
pub fn parse_matrix_markdown(markdown: &str) -> Result<Vec<MatrixRow>, MatrixParseError> {
    fn cells(line: &str) -> Vec<String> {
        let t = line.trim();
        let t = t.strip_prefix('|').unwrap_or(t);
        let t = t.strip_suffix('|').unwrap_or(t);
        t.split('|').map(|c| c.trim().to_string()).collect()
    }
    let lines: Vec<&str> = markdown.lines().collect();
    let start = lines
        .iter()
        .position(|l| {
            let c = cells(l);
            l.trim_start().starts_with('|') && c.first().map(String::as_str) == Some("Permission")
        })
        .ok_or(MatrixParseError::NoTable)?;
    let header = cells(lines[start]);
    let expected: Vec<String> = Role::ALL.iter().map(|r| r.as_str().to_string()).collect();
    let found: Vec<String> = header.iter().skip(2).cloned().collect();
    if found != expected {
        return Err(MatrixParseError::Columns { expected, found });
    }
    let width = header.len();
    let mut rows = Vec::new();
    // Skip the header and the `| --- |` separator line.
    for (i, line) in lines.iter().enumerate().skip(start + 2) {
        if !line.trim_start().starts_with('|') {
            break;
        }
        let c = cells(line);
        if c.len() != width {
            return Err(MatrixParseError::Width {
                line: i + 1,
                expected: width,
                found: c.len(),
            });
        }
        let code = c[0].trim_matches('`').to_string();
        let mut grants = Vec::with_capacity(Role::ALL.len());
        for cell in &c[2..] {
            grants.push(match cell.as_str() {
                "✓" => true,
                "—" => false,
                other => {
                    return Err(MatrixParseError::Cell {
                        line: i + 1,
                        cell: other.to_string(),
                    });
                }
            });
        }
        rows.push((code, grants));
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permission_codes_round_trip_and_are_unique() {
        for p in Permission::ALL {
            assert_eq!(Permission::parse(p.as_str()), Some(p));
        }
        let mut codes: Vec<&str> = Permission::ALL.iter().map(|p| p.as_str()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), Permission::ALL.len());
        assert_eq!(Permission::parse("nik.everything"), None);
    }

    /// docs/ACCESS.md is the written matrix; this keeps it equal to the code.
    #[test]
    fn written_matrix_in_docs_equals_the_code() {
        let doc = include_str!("../../docs/ACCESS.md");
        let rows = parse_matrix_markdown(doc).unwrap_or_else(|e| panic!("docs/ACCESS.md: {e}"));
        let in_doc: Vec<&str> = rows.iter().map(|(code, _)| code.as_str()).collect();
        let in_code: Vec<&str> = Permission::ALL.iter().map(|p| p.as_str()).collect();
        assert_eq!(
            in_doc, in_code,
            "docs/ACCESS.md rows must be Permission::ALL in order"
        );
        for (code, grants) in &rows {
            let p = Permission::parse(code).unwrap_or_else(|| panic!("unknown {code}"));
            for (role, granted) in Role::ALL.iter().zip(grants) {
                assert_eq!(
                    role.allows(p),
                    *granted,
                    "docs/ACCESS.md says {role} {} {code}; the code says otherwise",
                    if *granted { "has" } else { "lacks" }
                );
            }
        }
    }

    #[test]
    fn matrix_parser_reports_bad_cells_and_columns() {
        let roles = Role::ALL.map(Role::as_str).join(" | ");
        let good = format!(
            "| Permission | Meaning | {roles} |\n| --- | --- |{}\n| `nik.lookup` | x |{}\n",
            " --- |".repeat(7),
            " ✓ |".repeat(7)
        );
        assert_eq!(parse_matrix_markdown(&good).unwrap()[0].1, vec![true; 7]);
        let bad = good.replacen(" ✓ |", " yes |", 1);
        assert!(matches!(
            parse_matrix_markdown(&bad),
            Err(MatrixParseError::Cell { line: 3, .. })
        ));
        let cols = good.replacen("operator", "petugas", 1);
        assert!(matches!(
            parse_matrix_markdown(&cols),
            Err(MatrixParseError::Columns { .. })
        ));
        assert_eq!(
            parse_matrix_markdown("nothing"),
            Err(MatrixParseError::NoTable)
        );
    }

    #[test]
    fn deny_by_default_and_separation_of_duties() {
        // Only institution-bound roles touch population data.
        for r in Role::ALL {
            if r.allows(Permission::NikLookup) {
                assert!(r.is_institution_bound(), "{r}");
            }
        }
        // Nobody both manages agreements and signs the SPTJM; the auditor changes nothing.
        for r in Role::ALL {
            assert!(!(r.allows(Permission::ManageAgreements) && r.allows(Permission::SignSptjm)));
        }
        let auditor: Vec<Permission> = Role::Auditor.permissions().collect();
        assert_eq!(
            auditor,
            [
                Permission::ViewSignatures,
                Permission::ReadAudit,
                Permission::VerifyAudit,
                Permission::ManageOwnPasskeys
            ]
        );
        // Service accounts (API tokens) only look up, verify and read their quota.
        let service: Vec<Permission> = Role::Service.permissions().collect();
        assert_eq!(
            service,
            [
                Permission::NikLookup,
                Permission::NikVerify,
                Permission::ViewOwnQuota
            ]
        );
        // Every permission is granted to someone.
        for p in Permission::ALL {
            assert!(!p.roles().is_empty(), "{p}");
        }
    }

    #[test]
    fn codes_round_trip_and_unknown_is_refused() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
        assert_eq!(Role::parse(""), None);
    }
}
