//! The stable error codes of the web-service API (`/api/v1`): one enum, [`ApiCode`], with the
//! HTTP status and a short Indonesian description of each. The handlers and the token check
//! build their errors from it, the verification service's refusal codes are mapped onto it,
//! and the OpenAPI document (`web::openapi`) lists it, so the three cannot drift apart.

use crate::error::ApiError;
use http::StatusCode;

macro_rules! api_codes {
    ($($variant:ident = $code:literal, $status:literal, $text:literal;)*) => {
        /// A stable error code of the web-service API.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum ApiCode {
            $(#[doc = $text] $variant,)*
        }

        impl ApiCode {
            /// Every code, in declaration order.
            pub const ALL: &'static [ApiCode] = &[$(ApiCode::$variant,)*];

            /// The code as sent (`{"error":{"code": ...}}`).
            pub fn as_str(self) -> &'static str {
                match self { $(ApiCode::$variant => $code,)* }
            }

            /// The HTTP status it is sent with.
            pub fn status(self) -> StatusCode {
                let n: u16 = match self { $(ApiCode::$variant => $status,)* };
                StatusCode::from_u16(n).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            }

            /// What it means (Bahasa Indonesia), for the API document.
            pub fn description(self) -> &'static str {
                match self { $(ApiCode::$variant => $text,)* }
            }

            /// The code with this text.
            pub fn parse(code: &str) -> Option<ApiCode> {
                match code { $($code => Some(ApiCode::$variant),)* _ => None }
            }
        }
    };
}

api_codes! {
    TokenRequired = "TOKEN_REQUIRED", 401, "Tidak ada header Authorization: Bearer <token>.";
    TokenInvalid = "TOKEN_INVALID", 401, "Token tidak dikenal (salah ketik, atau bukan token SIGAP).";
    TokenExpired = "TOKEN_EXPIRED", 401, "Token sudah melewati tanggal kedaluwarsanya.";
    TokenRevoked = "TOKEN_REVOKED", 401, "Token sudah dicabut, atau akun layanannya diubah (peran) sesudah token dibuat.";
    TokenAccountInactive = "TOKEN_ACCOUNT_INACTIVE", 401, "Akun layanan pemilik token sudah dinonaktifkan.";
    ContentTypeJsonRequired = "CONTENT_TYPE_JSON_REQUIRED", 415, "Badan permintaan harus dikirim dengan Content-Type: application/json.";
    BodyTooLarge = "BODY_TOO_LARGE", 413, "Badan permintaan lebih besar dari 16 KiB.";
    MalformedJson = "MALFORMED_JSON", 400, "Badan permintaan bukan JSON yang sah.";
    UnknownField = "UNKNOWN_FIELD", 400, "Badan permintaan memuat kolom yang tidak dikenal (namanya ada di pesan).";
    InvalidRequest = "INVALID_REQUEST", 400, "JSON sah, tetapi bentuknya tidak sesuai (kolom wajib hilang, tipe salah).";
    InvalidNik = "INVALID_NIK", 422, "NIK bukan 16 digit yang sah (kode wilayah, tanggal lahir).";
    PurposeRequired = "PURPOSE_REQUIRED", 422, "Keperluan wajib diisi: token ini tidak punya keperluan tetap, kirim `purpose`.";
    PurposeTooLong = "PURPOSE_TOO_LONG", 422, "Keperluan paling banyak 200 karakter.";
    ClaimedRequired = "CLAIMED_REQUIRED", 422, "Verifikasi memerlukan minimal satu elemen di `claimed`.";
    ThresholdInvalid = "THRESHOLD_INVALID", 422, "Ambang (threshold) harus 0 sampai 100.";
    Forbidden = "FORBIDDEN", 403, "Peran akun ini tidak boleh melakukan ini.";
    NdaRequired = "NDA_REQUIRED", 403, "NDA versi terbaru belum disetujui.";
    NoAgreement = "NO_AGREEMENT", 403, "Instansi belum memiliki PKS.";
    AgreementDraft = "AGREEMENT_DRAFT", 403, "PKS instansi masih draf.";
    AgreementSuspended = "AGREEMENT_SUSPENDED", 403, "PKS instansi ditangguhkan.";
    AgreementTerminated = "AGREEMENT_TERMINATED", 403, "PKS instansi telah diakhiri.";
    AgreementNotStarted = "AGREEMENT_NOT_STARTED", 403, "PKS instansi belum berlaku.";
    AgreementExpired = "AGREEMENT_EXPIRED", 403, "PKS instansi sudah berakhir.";
    SptjmMissing = "SPTJM_MISSING", 403, "SPTJM penanggung jawab belum tercatat.";
    UserIdNotActive = "USER_ID_NOT_ACTIVE", 403, "Akun layanan tidak terhubung dengan ID pengguna Dukcapil yang aktif.";
    UserIdUnknown = "USER_ID_UNKNOWN", 403, "ID pengguna Dukcapil tidak dikenal di buku kuota.";
    QuotaExhausted = "QUOTA_EXHAUSTED", 429, "Kuota harian ID pengguna Dukcapil habis; pesan menyebut jam berlaku kuota baru (WIB).";
    OperatorQuotaExhausted = "OPERATOR_QUOTA_EXHAUSTED", 429, "Batas harian akun ini tercapai.";
    UpstreamSetupError = "UPSTREAM_SETUP_ERROR", 502, "Dukcapil menolak akses instansi (kode 03-07, 09, 10, 16, 17): hubungi admin instansi.";
    UpstreamUnavailable = "UPSTREAM_UNAVAILABLE", 503, "Layanan Dukcapil tidak dapat dihubungi; coba lagi nanti.";
    UpstreamNotConfigured = "UPSTREAM_NOT_CONFIGURED", 503, "Layanan Dukcapil belum dikonfigurasi di server ini.";
    AuditUnavailable = "AUDIT_UNAVAILABLE", 503, "Jejak audit tidak tersedia: akses data kependudukan ditolak.";
    NotFound = "NOT_FOUND", 404, "Tidak ada alamat ini di API.";
    MethodNotAllowed = "METHOD_NOT_ALLOWED", 405, "Metode HTTP ini tidak dilayani di alamat ini.";
    Internal = "INTERNAL", 500, "Kesalahan di SIGAP; pesan memuat nomor rujukan untuk admin.";
}

impl ApiCode {
    /// An error answer with this code, its status and `message`.
    pub fn error(self, message: impl Into<String>) -> ApiError {
        ApiError::new(self.status(), self.as_str(), message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_parse_back() {
        let mut seen = std::collections::BTreeSet::new();
        for c in ApiCode::ALL {
            assert!(seen.insert(c.as_str()), "{} twice", c.as_str());
            assert_eq!(ApiCode::parse(c.as_str()), Some(*c));
            assert!(c.status().as_u16() >= 400);
        }
    }
}
