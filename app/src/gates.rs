//! What each portal page requires before the server renders it (the page-level row of the
//! access matrix). The server's page guard (`server::web::pages`) applies this table to every
//! GET of a page: anonymous callers are sent to `/masuk`, partial sessions to the second-factor
//! step, and a signed-in role without the permission gets the page with status 403 (its data
//! is refused by the server functions, which check again). The access-matrix test requires
//! every route of [`crate::App`] to be listed here.

use domain::access::Permission;

/// What a page requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageGate {
    /// Anyone.
    Public,
    /// A session with a verified password (the second factor may still be missing).
    Session,
    /// A fully signed-in session, any role.
    Authenticated,
    /// A fully signed-in session whose role has one of these permissions.
    AnyOf(&'static [Permission]),
}

/// Every page route and its gate.
pub const PAGE_GATES: &[(&str, PageGate)] = &[
    ("/", PageGate::Public),
    ("/status", PageGate::Public),
    ("/masuk", PageGate::Public),
    ("/masuk/verifikasi", PageGate::Public),
    ("/akun/passkey", PageGate::Session),
    ("/akun", PageGate::Authenticated),
    ("/nda", PageGate::AnyOf(&[Permission::AcceptNda])),
    ("/admin", PageGate::AnyOf(&[Permission::ManageOperators])),
    (
        "/admin/token",
        PageGate::AnyOf(&[Permission::ManageApiTokens]),
    ),
    (
        "/disdukcapil",
        PageGate::AnyOf(&[Permission::ManageAgreements]),
    ),
    (
        "/cek-nik",
        PageGate::AnyOf(&[Permission::NikLookup, Permission::NikVerify]),
    ),
    (
        "/pengawasan",
        PageGate::AnyOf(&[Permission::ViewSignatures]),
    ),
    (
        "/admin/pembaca",
        PageGate::AnyOf(&[Permission::ManageReaders, Permission::ManageAgreements]),
    ),
    ("/cek-kartu", PageGate::AnyOf(&[Permission::NikLookup])),
    (
        "/jejak-audit",
        PageGate::AnyOf(&[Permission::ReadAudit, Permission::ViewInstitutionReports]),
    ),
];

/// The gate of a page path, if it is a page.
pub fn page_gate(path: &str) -> Option<PageGate> {
    let path = if path.len() > 1 {
        path.trim_end_matches('/')
    } else {
        path
    };
    PAGE_GATES
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, gate)| *gate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_found_with_or_without_a_trailing_slash() {
        assert_eq!(page_gate("/"), Some(PageGate::Public));
        assert_eq!(
            page_gate("/admin/"),
            Some(PageGate::AnyOf(&[Permission::ManageOperators]))
        );
        assert_eq!(page_gate("/akun"), Some(PageGate::Authenticated));
        assert_eq!(page_gate("/tidak-ada"), None);
    }

    #[test]
    fn each_page_is_listed_once() {
        let mut paths: Vec<_> = PAGE_GATES.iter().map(|(p, _)| *p).collect();
        paths.sort_unstable();
        paths.dedup();
        assert_eq!(paths.len(), PAGE_GATES.len());
    }
}
