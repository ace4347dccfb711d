//! Cross-site request forgery guard: every state-changing request (POST, PUT, PATCH, DELETE,
//! and any other method that is not GET/HEAD/OPTIONS/TRACE), Leptos server functions under
//! `/api/sf/` included, must come from one of the portal's origins (`auth.allowed_origins`,
//! see `auth::config::AuthSettings`):
//!
//! 1. an `Origin` header naming an allowed origin; otherwise
//! 2. (no `Origin`, or `Origin: null`) a `Referer` whose origin is allowed; otherwise
//! 3. (no usable `Origin` or `Referer`) `Sec-Fetch-Site: same-origin`: browsers set it
//!    themselves and pages cannot forge it. Needed because the portal sends
//!    `Referrer-Policy: no-referrer`, under which browsers send `Origin: null` and no
//!    `Referer` on plain (non-fetch) form posts.
//!
//! Anything else is refused with 403 `CSRF_ORIGIN_MISMATCH`. Requests with
//! `Authorization: Bearer` (the web-service API) are exempt: they carry no cookie, and a
//! cross-site page cannot add that header without a CORS preflight, which SIGAP never grants.
//! So is everything under `/api/v1/`: it authenticates by bearer token only and ignores the
//! session cookie, so a forged cross-site request carries no authority there (and gets the
//! API's own `TOKEN_REQUIRED` answer instead of a CSRF refusal).
//! The guard runs before the session is loaded, so a refused request costs no database trip
//! and does not count as activity.

use axum::{
    Json,
    extract::{Request, State},
    middleware::Next,
    response::{IntoResponse, Response},
};
use http::{HeaderMap, Method, StatusCode, header};
use serde_json::json;
use std::sync::Arc;

/// The normalised origins accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedOrigins(pub Vec<String>);

impl AllowedOrigins {
    fn contains(&self, origin: &str) -> bool {
        self.0.iter().any(|o| o == origin)
    }
}

/// Methods that change nothing (never checked).
fn is_safe(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

fn is_bearer(headers: &HeaderMap) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_whitespace().next())
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("bearer"))
}

/// The origin of a `Referer` URL.
fn referer_origin(referer: &str) -> Option<String> {
    let url = webauthn_rs::prelude::Url::parse(referer).ok()?;
    let origin = url.origin();
    origin.is_tuple().then(|| origin.ascii_serialization())
}

/// Whether a state-changing request with these headers comes from an allowed origin.
pub fn origin_allowed(headers: &HeaderMap, allowed: &AllowedOrigins) -> bool {
    let header_str = |name| {
        headers
            .get(name)
            .and_then(|v: &http::HeaderValue| v.to_str().ok())
    };
    match header_str(header::ORIGIN).map(str::trim) {
        Some(o) if !o.eq_ignore_ascii_case("null") => {
            return crate::auth::config::normalize_origin(o).is_some_and(|o| allowed.contains(&o));
        }
        _ => {}
    }
    if let Some(r) = header_str(header::REFERER) {
        return referer_origin(r).is_some_and(|o| allowed.contains(&o));
    }
    header_str(http::HeaderName::from_static("sec-fetch-site"))
        .is_some_and(|s| s.eq_ignore_ascii_case("same-origin"))
}

/// The middleware.
pub async fn csrf_guard(
    State(allowed): State<Arc<AllowedOrigins>>,
    req: Request,
    next: Next,
) -> Response {
    if is_safe(req.method())
        || is_bearer(req.headers())
        || req.uri().path().starts_with("/api/v1/")
        || origin_allowed(req.headers(), &allowed)
    {
        return next.run(req).await;
    }
    tracing::warn!(
        method = %req.method(),
        path = %req.uri().path(),
        origin = ?req.headers().get(header::ORIGIN),
        "request refused: origin not allowed (CSRF)"
    );
    (
        StatusCode::FORBIDDEN,
        Json(json!({ "error": {
            "code": "CSRF_ORIGIN_MISMATCH",
            "message": "Permintaan ditolak: asal permintaan (Origin) tidak dikenali. \
                        Muat ulang halaman SIGAP lalu coba lagi.",
        }})),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn allowed() -> AllowedOrigins {
        AllowedOrigins(vec![
            "http://127.0.0.1:3000".into(),
            "http://localhost:3000".into(),
        ])
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn origin_decides_when_present() {
        let a = allowed();
        assert!(origin_allowed(
            &headers(&[("origin", "http://localhost:3000")]),
            &a
        ));
        assert!(origin_allowed(
            &headers(&[("origin", "HTTP://LOCALHOST:3000")]),
            &a
        ));
        assert!(!origin_allowed(
            &headers(&[("origin", "http://evil.example")]),
            &a
        ));
        assert!(!origin_allowed(
            &headers(&[("origin", "http://localhost:3001")]),
            &a
        ));
        // A matching Referer does not rescue a foreign Origin.
        assert!(!origin_allowed(
            &headers(&[
                ("origin", "http://evil.example"),
                ("referer", "http://localhost:3000/x")
            ]),
            &a
        ));
    }

    #[test]
    fn referer_then_fetch_metadata_when_origin_is_missing() {
        let a = allowed();
        assert!(origin_allowed(
            &headers(&[("referer", "http://127.0.0.1:3000/masuk?x=1")]),
            &a
        ));
        assert!(!origin_allowed(
            &headers(&[("referer", "http://evil.example/")]),
            &a
        ));
        assert!(!origin_allowed(&headers(&[]), &a));
        assert!(origin_allowed(
            &headers(&[("origin", "null"), ("sec-fetch-site", "same-origin")]),
            &a
        ));
        assert!(!origin_allowed(
            &headers(&[("origin", "null"), ("sec-fetch-site", "cross-site")]),
            &a
        ));
        assert!(!origin_allowed(&headers(&[("origin", "null")]), &a));
    }

    #[test]
    fn bearer_and_safe_methods() {
        assert!(is_bearer(&headers(&[("authorization", "Bearer abc")])));
        assert!(is_bearer(&headers(&[("authorization", "bearer abc")])));
        assert!(!is_bearer(&headers(&[("authorization", "Basic abc")])));
        assert!(is_safe(&Method::GET));
        assert!(!is_safe(&Method::POST));
        assert!(!is_safe(&Method::DELETE));
    }
}
