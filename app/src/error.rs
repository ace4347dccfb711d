//! The one error type every server function returns, serialisable across the wire.
//!
//! Internal causes never reach the browser: the server logs them with a reference id and the
//! page shows only that id.

use leptos::server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};
use serde::{Deserialize, Serialize};

/// An error a page can show. Messages are stable codes; the page translates them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// Not allowed to see this (wrong role, another institution's data).
    #[error("FORBIDDEN")]
    Forbidden,
    /// Not signed in (or the session ended).
    #[error("AUTH_REQUIRED")]
    AuthRequired,
    /// Signed in with the password only; the second factor is still needed.
    #[error("SECOND_FACTOR_REQUIRED")]
    SecondFactorRequired,
    /// Wrong username or password (unknown and deactivated accounts get the same answer).
    #[error("SIGN_IN_FAILED")]
    SignInFailed,
    /// Too many failed sign-ins: wait this many seconds.
    #[error("TOO_MANY_ATTEMPTS ({retry_after_secs} s)")]
    TooManyAttempts { retry_after_secs: u64 },
    /// A request the server refused for a stated reason (a stable code such as
    /// `NDA_NOT_CURRENT`).
    #[error("{code}")]
    Rejected { code: String },
    /// The thing asked for does not exist (or is not visible to the caller).
    #[error("NOT_FOUND")]
    NotFound,
    /// Something failed on the server; `reference` points to the server log entry.
    #[error("INTERNAL (ref {reference})")]
    Internal { reference: String },
    /// The server function call itself failed (network, encoding, ...).
    #[error("REQUEST_FAILED: {0}")]
    Request(String),
}

impl AppError {
    /// The stable code of this error, for the API and the UI's message lookup.
    pub fn code(&self) -> &str {
        match self {
            AppError::Forbidden => "FORBIDDEN",
            AppError::AuthRequired => "AUTH_REQUIRED",
            AppError::SecondFactorRequired => "SECOND_FACTOR_REQUIRED",
            AppError::SignInFailed => "SIGN_IN_FAILED",
            AppError::TooManyAttempts { .. } => "TOO_MANY_ATTEMPTS",
            AppError::Rejected { code } => code,
            AppError::NotFound => "NOT_FOUND",
            AppError::Internal { .. } => "INTERNAL",
            AppError::Request(_) => "REQUEST_FAILED",
        }
    }
}

impl AppError {
    /// The HTTP status a server function answers with when it fails with this error
    /// (server_fn itself answers every error with 500; the server rewrites it with this).
    pub fn http_status(&self) -> u16 {
        match self {
            AppError::Request(_) => 400,
            AppError::AuthRequired | AppError::SecondFactorRequired | AppError::SignInFailed => 401,
            AppError::Forbidden => 403,
            AppError::NotFound => 404,
            AppError::Rejected { .. } => 409,
            AppError::TooManyAttempts { .. } => 429,
            AppError::Internal { .. } => 500,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::Request(value.to_string())
    }
}
