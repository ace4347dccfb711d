//! What a Cek NIK outcome code is about, shared by the page (which message to show) and the
//! server (which audit entries are "Masalah akses" on the institution admin's dashboard):
//! the resident (identity result), the institution's access (setup error), or the request
//! as typed. Codes are the upstream `RESPONSE_CODE`s (`domain::dukcapil`), the pipeline's
//! local refusal codes (`server::verification::Refusal::code`) and `UNAVAILABLE_<reason>`.

use domain::dukcapil::{CodeKind, ResponseCode};

/// What an outcome code is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum About {
    /// The resident was found or verified.
    Success,
    /// An answer about the resident: not found, deceased, inactive, several records ...
    Resident,
    /// The institution's access: agreement, NDA, user ID, quota, registry unreachable ...
    Access,
    /// The request as typed (invalid NIK, missing purpose, no claimed element).
    Input,
}

impl About {
    /// Stable code for `data-about` attributes and tests.
    pub fn as_str(self) -> &'static str {
        match self {
            About::Success => "success",
            About::Resident => "resident",
            About::Access => "access",
            About::Input => "input",
        }
    }
}

/// Local refusals about the request itself.
const INPUT_CODES: [&str; 10] = [
    "INVALID_NIK",
    "NIK_LENGTH",
    "NIK_NOT_DIGITS",
    "NIK_UNKNOWN_PROVINCE",
    "NIK_BAD_DATE",
    "NIK_ZERO_SERIAL",
    "PURPOSE_REQUIRED",
    "PURPOSE_TOO_LONG",
    "CLAIMED_REQUIRED",
    "CLAIM_INVALID",
];

/// Classifies an outcome code. Unknown codes count as access problems (like unknown upstream
/// codes, which the client treats as setup errors).
pub fn about(code: &str) -> About {
    if INPUT_CODES.contains(&code) {
        return About::Input;
    }
    // Upstream codes are two digits; local codes are words.
    if code.len() <= 3 && code.bytes().all(|b| b.is_ascii_digit()) {
        return match ResponseCode::parse_lenient(code).map(ResponseCode::kind) {
            Some(CodeKind::Success) => About::Success,
            Some(CodeKind::IdentityResult) => About::Resident,
            Some(CodeKind::SetupError) | None => About::Access,
        };
    }
    About::Access
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_about_the_resident_the_access_or_the_input() {
        assert_eq!(about("01"), About::Success);
        assert_eq!(about("12"), About::Success);
        for c in ["08", "11", "13", "14", "15"] {
            assert_eq!(about(c), About::Resident, "{c}");
        }
        for c in ["03", "04", "05", "06", "07", "09", "10", "16", "17", "99"] {
            assert_eq!(about(c), About::Access, "{c}");
        }
        for c in [
            "QUOTA_EXHAUSTED",
            "AGREEMENT_EXPIRED",
            "USER_ID_NOT_ACTIVE",
            "UNAVAILABLE_TIMEOUT",
            "NDA_REQUIRED",
        ] {
            assert_eq!(about(c), About::Access, "{c}");
        }
        assert_eq!(about("INVALID_NIK"), About::Input);
        assert_eq!(about("PURPOSE_REQUIRED"), About::Input);
    }
}
