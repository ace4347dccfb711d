//! Security headers on every response: a per-request CSP nonce (shared with Leptos' inline
//! scripts through the request extensions), framing, referrer, sniffing and caching rules.

use app::backend::CspNonce;
use axum::{extract::Request, middleware::Next, response::Response};
use base64::Engine;
use http::{HeaderValue, header};
use rand::RngCore;
use std::sync::Arc;

/// Builds the Content-Security-Policy for one response: only our own origin, inline scripts
/// only with the nonce, wasm compilation allowed (the hydrate bundle needs it). The one other
/// place a page may connect to is the reader-bridge on the operator's own PC
/// (`ws://127.0.0.1:47265`, the address the card panel opens; `pages::card`).
pub fn content_security_policy(nonce: &str) -> String {
    let bridge = crate::portal::BRIDGE_DEFAULT_PORT;
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; font-src 'self'; \
         connect-src 'self' ws://127.0.0.1:{bridge}; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// The policy of the web-service API's answers (JSON only).
pub const API_CONTENT_SECURITY_POLICY: &str = "default-src 'none'; frame-ancestors 'none'";

fn new_nonce() -> String {
    let mut bytes = [0u8; 18];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Static build output that may be revalidated from cache; everything else is `no-store`,
/// since any page or API answer may carry personal data.
fn is_static_asset(path: &str) -> bool {
    path.starts_with("/pkg/") || path == "/favicon.svg"
}

/// The middleware: see the module doc.
pub async fn security_headers(mut req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let static_asset = is_static_asset(path);
    // The web-service API answers JSON, never a document: nothing of it may load or frame
    // anything, and it needs no script nonce.
    let nonce = (!path.starts_with("/api/v1/")).then(new_nonce);
    if let Some(nonce) = &nonce {
        req.extensions_mut()
            .insert(CspNonce(Arc::from(nonce.as_str())));
    }
    let mut res = next.run(req).await;
    let cacheable = static_asset && res.status().is_success();
    let h = res.headers_mut();
    match &nonce {
        Some(nonce) => {
            if let Ok(v) = HeaderValue::from_str(&content_security_policy(nonce)) {
                h.insert(header::CONTENT_SECURITY_POLICY, v);
            }
        }
        None => {
            h.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(API_CONTENT_SECURITY_POLICY),
            );
        }
    }
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    let cache = if cacheable { "no-cache" } else { "no-store" };
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_differ_and_are_header_safe() {
        let a = new_nonce();
        let b = new_nonce();
        assert_ne!(a, b);
        assert!(HeaderValue::from_str(&content_security_policy(&a)).is_ok());
    }

    #[test]
    fn pages_connect_only_to_their_origin_and_the_local_reader_bridge() {
        let csp = content_security_policy("n");
        let connect = csp
            .split(';')
            .map(str::trim)
            .find(|d| d.starts_with("connect-src"))
            .unwrap();
        assert_eq!(connect, "connect-src 'self' ws://127.0.0.1:47265");
    }

    #[test]
    fn only_build_output_is_cacheable() {
        assert!(is_static_asset("/pkg/sigap.wasm"));
        assert!(!is_static_asset("/"));
        assert!(!is_static_asset("/api/sf/shell_info"));
    }
}
