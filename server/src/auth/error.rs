//! Why an authentication request was refused: a stable code, an HTTP status and the
//! Indonesian message the person sees ([`AuthFailure`]). Internal causes are logged with a
//! reference (`error::ApiError::internal`), never sent.

use crate::error::ApiError;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};

/// A refusal of an authentication request.
#[derive(Debug)]
pub enum AuthFailure {
    /// No session, or the session ended (timeout, sign-out elsewhere, account changed).
    AuthRequired,
    /// The session ended just now (idle or absolute timeout, epoch changed).
    SessionExpired,
    /// Signed in with the password only; the role needs a passkey or recovery code.
    SecondFactorRequired,
    /// Wrong username or password (also unknown and deactivated accounts: one answer).
    SignInFailed,
    /// Too many failures: wait `retry_after_secs`.
    Throttled {
        retry_after_secs: u64,
    },
    /// No passkey ceremony in this session (never started, already used, or replaced).
    NoCeremony,
    /// The ceremony took longer than `auth.ceremony_timeout_seconds`.
    CeremonyExpired,
    /// The authenticator's answer did not verify.
    PasskeyFailed,
    PasskeyAlreadyRegistered,
    NoPasskeyRegistered,
    PasskeyNotFound,
    /// Removing the last passkey of a role that needs a second factor.
    LastPasskeyRequired,
    /// Registering another passkey needs the second factor first.
    EnrolmentNotAllowed,
    RecoveryCodeInvalid,
    Forbidden,
    AccountNotFound,
    /// A request body or field that is not acceptable.
    InvalidRequest(String),
    Internal(super::AuthError),
}

impl From<super::AuthError> for AuthFailure {
    fn from(e: super::AuthError) -> Self {
        AuthFailure::Internal(e)
    }
}

impl From<crate::storage::StorageError> for AuthFailure {
    fn from(e: crate::storage::StorageError) -> Self {
        AuthFailure::Internal(e.into())
    }
}

impl AuthFailure {
    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            AuthFailure::AuthRequired => "AUTH_REQUIRED",
            AuthFailure::SessionExpired => "SESSION_EXPIRED",
            AuthFailure::SecondFactorRequired => "SECOND_FACTOR_REQUIRED",
            AuthFailure::SignInFailed => "SIGN_IN_FAILED",
            AuthFailure::Throttled { .. } => "TOO_MANY_ATTEMPTS",
            AuthFailure::NoCeremony => "PASSKEY_NO_CEREMONY",
            AuthFailure::CeremonyExpired => "PASSKEY_CEREMONY_EXPIRED",
            AuthFailure::PasskeyFailed => "PASSKEY_VERIFICATION_FAILED",
            AuthFailure::PasskeyAlreadyRegistered => "PASSKEY_ALREADY_REGISTERED",
            AuthFailure::NoPasskeyRegistered => "PASSKEY_NONE_REGISTERED",
            AuthFailure::PasskeyNotFound => "PASSKEY_NOT_FOUND",
            AuthFailure::LastPasskeyRequired => "PASSKEY_LAST_REQUIRED",
            AuthFailure::EnrolmentNotAllowed => "PASSKEY_ENROLMENT_NOT_ALLOWED",
            AuthFailure::RecoveryCodeInvalid => "RECOVERY_CODE_INVALID",
            AuthFailure::Forbidden => "FORBIDDEN",
            AuthFailure::AccountNotFound => "ACCOUNT_NOT_FOUND",
            AuthFailure::InvalidRequest(_) => "INVALID_REQUEST",
            AuthFailure::Internal(_) => "INTERNAL",
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AuthFailure::AuthRequired
            | AuthFailure::SessionExpired
            | AuthFailure::SignInFailed
            | AuthFailure::PasskeyFailed
            | AuthFailure::RecoveryCodeInvalid => StatusCode::UNAUTHORIZED,
            AuthFailure::SecondFactorRequired
            | AuthFailure::EnrolmentNotAllowed
            | AuthFailure::Forbidden => StatusCode::FORBIDDEN,
            AuthFailure::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
            AuthFailure::NoCeremony
            | AuthFailure::CeremonyExpired
            | AuthFailure::InvalidRequest(_) => StatusCode::BAD_REQUEST,
            AuthFailure::PasskeyAlreadyRegistered
            | AuthFailure::NoPasskeyRegistered
            | AuthFailure::LastPasskeyRequired => StatusCode::CONFLICT,
            AuthFailure::PasskeyNotFound | AuthFailure::AccountNotFound => StatusCode::NOT_FOUND,
            AuthFailure::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The Indonesian message.
    pub fn message(&self) -> String {
        match self {
            AuthFailure::AuthRequired => "Silakan masuk terlebih dahulu.".into(),
            AuthFailure::SessionExpired => {
                "Sesi Anda telah berakhir. Silakan masuk kembali.".into()
            }
            AuthFailure::SecondFactorRequired => "Verifikasi langkah kedua diperlukan: gunakan \
                 passkey atau kode pemulihan Anda."
                .into(),
            AuthFailure::SignInFailed => "Nama pengguna atau kata sandi salah.".into(),
            AuthFailure::Throttled { retry_after_secs } => format!(
                "Terlalu banyak percobaan yang gagal. Coba lagi dalam {} detik.",
                retry_after_secs
            ),
            AuthFailure::NoCeremony => {
                "Tidak ada proses passkey yang sedang berjalan. Silakan mulai lagi.".into()
            }
            AuthFailure::CeremonyExpired => {
                "Waktu proses passkey telah habis. Silakan mulai lagi.".into()
            }
            AuthFailure::PasskeyFailed => "Passkey tidak dapat diverifikasi.".into(),
            AuthFailure::PasskeyAlreadyRegistered => "Passkey ini sudah terdaftar.".into(),
            AuthFailure::NoPasskeyRegistered => "Akun ini belum memiliki passkey.".into(),
            AuthFailure::PasskeyNotFound => "Passkey tidak ditemukan.".into(),
            AuthFailure::LastPasskeyRequired => "Passkey terakhir tidak dapat dihapus karena \
                 peran Anda mewajibkan verifikasi langkah kedua. Daftarkan passkey lain \
                 terlebih dahulu."
                .into(),
            AuthFailure::EnrolmentNotAllowed => "Untuk mendaftarkan passkey tambahan, \
                 selesaikan verifikasi langkah kedua terlebih dahulu."
                .into(),
            AuthFailure::RecoveryCodeInvalid => "Kode pemulihan salah atau sudah dipakai.".into(),
            AuthFailure::Forbidden => "Anda tidak berwenang melakukan tindakan ini.".into(),
            AuthFailure::AccountNotFound => "Akun tidak ditemukan.".into(),
            AuthFailure::InvalidRequest(m) => m.clone(),
            AuthFailure::Internal(_) => "Terjadi kesalahan internal.".into(),
        }
    }

    /// As an [`ApiError`] (internal causes logged here, with a reference).
    pub fn into_api_error(self) -> ApiError {
        match self {
            AuthFailure::Internal(e) => ApiError::internal("authentication", &e),
            other => ApiError::new(other.status(), other.code(), other.message()),
        }
    }
}

impl IntoResponse for AuthFailure {
    fn into_response(self) -> Response {
        let retry = match &self {
            AuthFailure::Throttled { retry_after_secs } => Some(*retry_after_secs),
            _ => None,
        };
        let mut res = self.into_api_error().into_response();
        if let Some(secs) = retry
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        res
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable_and_messages_indonesian() {
        assert_eq!(AuthFailure::SignInFailed.code(), "SIGN_IN_FAILED");
        assert_eq!(AuthFailure::SignInFailed.status(), StatusCode::UNAUTHORIZED);
        let t = AuthFailure::Throttled {
            retry_after_secs: 30,
        };
        assert_eq!(t.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(t.message().contains("30 detik"));
        let res = t.into_response();
        assert_eq!(res.headers()[header::RETRY_AFTER], "30");
    }
}
