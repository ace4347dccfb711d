//! The HTTP surface of a real server on a random port: health, security headers, compression,
//! the portal's pages and 404, and clear 4xx answers to malformed requests.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{TestDb, spawn_app, spawn_app_on};
use reqwest::{StatusCode, header};

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

#[tokio::test]
async fn healthz_and_readyz_answer() {
    let app = spawn_app().await;
    let c = client();
    let r = c.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = c.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["status"], "ready");
    assert_eq!(body["database"], "SQLite");
    assert_eq!(
        body["migrations"]["applied"],
        body["migrations"]["expected"]
    );
    app.stop().await;
}

#[tokio::test]
async fn readyz_on_postgres() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let app = spawn_app_on(db).await;
    let r = client().get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["database"], "PostgreSQL");
    let home = client().get(app.url("/")).send().await.unwrap();
    assert!(
        home.text()
            .await
            .unwrap()
            .contains("BPBD Kabupaten Karanganyar")
    );
    app.stop().await;
}

#[tokio::test]
async fn home_page_is_server_rendered_with_security_headers() {
    let app = spawn_app().await;
    let r = client().get(app.url("/")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let h = r.headers().clone();
    let csp = h[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains("default-src 'self'"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(h[header::X_FRAME_OPTIONS], "DENY");
    assert_eq!(h[header::REFERRER_POLICY], "no-referrer");
    assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(h[header::CACHE_CONTROL], "no-store");

    let html = r.text().await.unwrap();
    assert!(html.contains("Selamat datang di SIGAP"));
    assert!(
        html.contains("BPBD Kabupaten Karanganyar"),
        "institution in header"
    );
    // Every inline script carries this response's nonce.
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|s| s.split('\'').next())
        .unwrap()
        .to_string();
    let scripts = html.matches("<script").count();
    let with_nonce = html.matches(&format!("nonce=\"{nonce}\"")).count();
    assert!(scripts > 0);
    assert_eq!(
        scripts, with_nonce,
        "every <script> carries the nonce:\n{html}"
    );
    app.stop().await;
}

#[tokio::test]
async fn nonces_differ_between_responses() {
    let app = spawn_app().await;
    let c = client();
    let a = c.get(app.url("/")).send().await.unwrap();
    let b = c.get(app.url("/")).send().await.unwrap();
    assert_ne!(
        a.headers()[header::CONTENT_SECURITY_POLICY],
        b.headers()[header::CONTENT_SECURITY_POLICY]
    );
    app.stop().await;
}

#[tokio::test]
async fn language_cookie_renders_english_on_the_server() {
    let app = spawn_app().await;
    let r = client()
        .get(app.url("/"))
        .header(header::COOKIE, "sigap_lang=en")
        .send()
        .await
        .unwrap();
    let html = r.text().await.unwrap();
    assert!(html.contains("Welcome to SIGAP"));
    assert!(html.contains("<html lang=\"en\""));
    app.stop().await;
}

#[tokio::test]
async fn unknown_route_gets_the_portal_404() {
    let app = spawn_app().await;
    let r = client().get(app.url("/tidak/ada")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(r.headers().contains_key(header::CONTENT_SECURITY_POLICY));
    let html = r.text().await.unwrap();
    assert!(html.contains("Halaman tidak ditemukan"), "{html}");
    app.stop().await;
}

/// API answers (JSON, never a document) carry a policy that loads and frames nothing, with
/// the other security headers and `no-store`; an unknown API path as well.
#[tokio::test]
async fn api_answers_carry_the_strict_policy_and_no_store() {
    let app = spawn_app().await;
    for path in ["/api/v1/openapi.json", "/api/v1/tidak-ada"] {
        let r = client().get(app.url(path)).send().await.unwrap();
        let h = r.headers();
        assert_eq!(
            h[header::CONTENT_SECURITY_POLICY],
            sigap_server::web::security::API_CONTENT_SECURITY_POLICY,
            "{path}"
        );
        assert_eq!(h[header::CACHE_CONTROL], "no-store", "{path}");
        assert_eq!(h[header::X_FRAME_OPTIONS], "DENY", "{path}");
        assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{path}");
    }
    app.stop().await;
}

#[tokio::test]
async fn responses_are_compressed_when_asked() {
    let app = spawn_app().await;
    let c = reqwest::Client::builder()
        .no_gzip()
        .no_brotli()
        .build()
        .unwrap();
    for enc in ["br", "gzip"] {
        let r = c
            .get(app.url("/"))
            .header(header::ACCEPT_ENCODING, enc)
            .send()
            .await
            .unwrap();
        assert_eq!(r.headers()[header::CONTENT_ENCODING], enc);
    }
    app.stop().await;
}

#[tokio::test]
async fn server_functions_answer_and_refuse_malformed_calls() {
    let app = spawn_app().await;
    let c = client();
    // State-changing requests carry the portal's origin, as a browser on the portal does
    // (the CSRF guard refuses them otherwise: tests/auth_csrf.rs).
    let origin = app.url("");
    let r = c
        .post(app.url("/api/sf/shell_info"))
        .header(header::ORIGIN, &origin)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body("")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()[header::CACHE_CONTROL], "no-store");
    let info: serde_json::Value = r.json().await.unwrap();
    assert_eq!(info["institution_name"], "BPBD Kabupaten Karanganyar");

    // Unknown server function.
    let r = c
        .post(app.url("/api/sf/nope"))
        .header(header::ORIGIN, &origin)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error(), "{}", r.status());

    // Oversized body.
    let big = "x".repeat(sigap_server::web::MAX_BODY_BYTES + 1);
    let r = c
        .post(app.url("/api/sf/shell_info"))
        .header(header::ORIGIN, &origin)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);

    // Wrong method on health endpoints (a fresh client: the server closes the connection
    // after refusing the oversized body, and a reused one could be that closed one).
    let r = client()
        .post(app.url("/healthz"))
        .header(header::ORIGIN, &origin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    app.stop().await;
}

#[tokio::test]
async fn failed_server_functions_answer_with_the_status_of_their_error() {
    let app = spawn_app().await;
    let origin = format!("http://{}", app.addr);
    let c = client();
    let call = |name: &str, body: &str| {
        c.post(app.url(&format!("/api/sf/{name}")))
            .header(header::ORIGIN, origin.clone())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body.to_string())
            .send()
    };
    // Malformed arguments: a client error with the stable shape, not a server fault.
    let r = call("accept_nda", "version_id=abc").await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = r.json().await.unwrap();
    assert!(body["Request"].is_string(), "{body}");
    let r = call("sign_in", "").await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    // Not signed in.
    let r = call("account", "").await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body, serde_json::json!("AuthRequired"));
    app.stop().await;
}
