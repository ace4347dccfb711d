//! The `RESPONSE_CODE` an answer carried: one of the contract's sixteen
//! ([`domain::dukcapil::ResponseCode`], shared with the simulator and the pages) or a code the
//! contract does not list, which is treated as a setup error.

use std::fmt;

use serde::{Serialize, Serializer};

pub use domain::dukcapil::{CodeKind, ResponseCode};

/// The code of one upstream answer.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum UpstreamCode {
    /// A code of the contract table.
    Known(ResponseCode),
    /// A code the contract does not list (at most 8 characters, sanitised; empty when the
    /// answer carried only an unrecognised `RESPON` text).
    Unknown(String),
}

impl UpstreamCode {
    /// Reads a code as sent (`"13"`, `"13 "`, `13`, `"5"`); anything else is
    /// [`UpstreamCode::Unknown`].
    pub fn parse(text: &str) -> Self {
        ResponseCode::parse_lenient(text)
            .map(Self::Known)
            .unwrap_or_else(|| Self::Unknown(sanitise(text.trim())))
    }

    /// The code from a `RESPON` text, for answers that carry no code; unrecognised text gives
    /// `Unknown("")`.
    pub fn from_respon(text: &str) -> Self {
        ResponseCode::from_respon(text)
            .map(Self::Known)
            .unwrap_or_else(|| Self::Unknown(String::new()))
    }

    /// The known code, if it is one.
    pub fn known(&self) -> Option<ResponseCode> {
        match self {
            Self::Known(c) => Some(*c),
            Self::Unknown(_) => None,
        }
    }

    /// The code as sent in `RESPONSE_CODE` (`"01"` ... `"17"`, or the unknown text).
    pub fn as_str(&self) -> &str {
        match self {
            Self::Known(c) => c.as_str(),
            Self::Unknown(code) => code,
        }
    }

    /// What the code is about; unknown codes are setup errors.
    pub fn kind(&self) -> CodeKind {
        self.known()
            .map_or(CodeKind::SetupError, ResponseCode::kind)
    }

    /// Whether the code is about the institution's access rather than about a person.
    pub fn is_setup_error(&self) -> bool {
        self.kind() == CodeKind::SetupError
    }

    /// An Indonesian description for operators.
    pub fn description(&self) -> &'static str {
        self.known()
            .map_or("Kode respons tidak dikenal", ResponseCode::description)
    }

    /// 05: the daily quota is used up (resume on the next WIB day).
    pub fn is_quota_exhausted(&self) -> bool {
        self.known().is_some_and(ResponseCode::is_quota_exhausted)
    }
}

impl From<ResponseCode> for UpstreamCode {
    fn from(code: ResponseCode) -> Self {
        Self::Known(code)
    }
}

impl PartialEq<ResponseCode> for UpstreamCode {
    fn eq(&self, other: &ResponseCode) -> bool {
        self.known() == Some(*other)
    }
}

impl fmt::Display for UpstreamCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for UpstreamCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// At most 8 ASCII alphanumerics (anything else becomes `?`), so an odd code can be logged.
fn sanitise(code: &str) -> String {
    code.chars()
        .take(8)
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '?' })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_codes_keep_their_kind_and_unknown_ones_are_setup_errors() {
        for code in ResponseCode::ALL {
            let up = UpstreamCode::parse(code.as_str());
            assert_eq!(up, code);
            assert_eq!(up.kind(), code.kind());
            assert_eq!(up.as_str(), code.as_str());
        }
        let odd = UpstreamCode::parse("02");
        assert_eq!(odd, UpstreamCode::Unknown("02".into()));
        assert_eq!(odd.kind(), CodeKind::SetupError);
        assert_eq!(odd.description(), "Kode respons tidak dikenal");
    }

    #[test]
    fn lenient_spellings_and_hostile_codes() {
        assert_eq!(UpstreamCode::parse(" 13 "), ResponseCode::NotFound);
        assert_eq!(UpstreamCode::parse("5"), ResponseCode::QuotaExhausted);
        assert!(UpstreamCode::parse("5").is_quota_exhausted());
        assert_eq!(
            UpstreamCode::parse("<script>alert(1)</script>"),
            UpstreamCode::Unknown("?script?".into())
        );
        assert_eq!(
            serde_json::to_string(&UpstreamCode::from(ResponseCode::Deceased)).unwrap(),
            "\"11\""
        );
    }

    #[test]
    fn respon_texts() {
        assert_eq!(
            UpstreamCode::from_respon("IP Client  Tidak terdaftar"),
            ResponseCode::IpNotRegistered
        );
        assert_eq!(
            UpstreamCode::from_respon("something else"),
            UpstreamCode::Unknown(String::new())
        );
    }
}
