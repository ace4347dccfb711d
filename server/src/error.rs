//! Errors at the HTTP edge: a stable code and message for the client, the internal cause only
//! in the log, tied together by a reference id.

use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde_json::json;

/// Logs an internal failure and returns the reference id to show the client.
pub fn log_internal(context: &str, cause: &str) -> String {
    let reference = uuid::Uuid::new_v4().simple().to_string()[..12].to_string();
    tracing::error!(reference = %reference, cause = %cause, "{context}");
    reference
}

/// An error answer of the JSON API: `{"error":{"code":"...","message":"..."}}`.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    /// An internal failure: logged with a reference, the client sees only the reference.
    pub fn internal(context: &str, cause: &dyn std::fmt::Display) -> Self {
        let reference = log_internal(context, &cause.to_string());
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL",
            format!("Terjadi kesalahan internal. Rujukan: {reference}"),
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(json!({ "error": { "code": self.code, "message": self.message } })),
        )
            .into_response()
    }
}
