//! The closed-network guard over HTTP (the tests connect from 127.0.0.1): allow-lists for the
//! portal and the API, health checks from loopback, trusted proxies and `X-Forwarded-For`
//! (right-most untrusted address), a spoofed header from an untrusted peer ignored, refusals
//! as an Indonesian page or JSON.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod auth_support;
mod common;

use auth_support::spawn_with;
use common::TestDb;
use reqwest::{StatusCode, header};

fn nets(list: &[&str]) -> Vec<ipnet::IpNet> {
    list.iter().map(|s| s.parse().unwrap()).collect()
}

#[tokio::test]
async fn loopback_outside_the_portal_list_is_refused_but_health_answers() {
    let app = spawn_with(TestDb::chosen().await, |c| {
        c.network.portal_allow = nets(&["10.0.0.0/8"]);
        c.network.api_allow = nets(&["192.168.7.0/24"]);
    })
    .await;
    let c = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .unwrap();
    let page = c
        .get(app.url("/"))
        .header(header::ACCEPT, "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::FORBIDDEN);
    assert_eq!(page.headers()[header::CACHE_CONTROL], "no-store");
    let html = page.text().await.unwrap();
    assert!(html.contains("Akses ditolak"), "{html}");
    assert!(html.contains("NETWORK_NOT_ALLOWED"));

    let api = c.get(app.url("/auth/me")).send().await.unwrap();
    assert_eq!(api.status(), StatusCode::FORBIDDEN);
    let v: serde_json::Value = api.json().await.unwrap();
    assert_eq!(v["error"]["code"], "NETWORK_NOT_ALLOWED");

    let api = c.get(app.url("/api/v1/health")).send().await.unwrap();
    assert_eq!(api.status(), StatusCode::FORBIDDEN);

    assert_eq!(
        c.get(app.url("/healthz")).send().await.unwrap().status(),
        StatusCode::OK
    );
    assert_eq!(
        c.get(app.url("/readyz")).send().await.unwrap().status(),
        StatusCode::OK
    );
    app.stop().await;
}

#[tokio::test]
async fn spoofed_forwarded_for_from_an_untrusted_peer_is_ignored() {
    // The portal admits only 10.0.0.0/8; the peer (127.0.0.1) is no trusted proxy, so its
    // X-Forwarded-For claiming 10.1.2.3 changes nothing.
    let app = spawn_with(TestDb::chosen().await, |c| {
        c.network.portal_allow = nets(&["10.0.0.0/8"]);
        c.network.trusted_proxies = nets(&["192.168.50.1/32"]);
    })
    .await;
    let c = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .unwrap();
    let r = c
        .get(app.url("/auth/me"))
        .header("x-forwarded-for", "10.1.2.3")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    app.stop().await;

    // The opposite: loopback allowed, the header claims a foreign address: still allowed,
    // and the audit trail records the real peer.
    let app = spawn_with(TestDb::chosen().await, |c| {
        c.network.portal_allow = nets(&["127.0.0.0/8"]);
        c.auth.second_factor_roles = vec![];
    })
    .await;
    app.account(
        "omar",
        domain::access::Role::Auditor,
        "Pohon-Beringin-Tua-33",
    )
    .await;
    let r = c
        .post(app.url("/auth/sign-in"))
        .header(header::ORIGIN, app.origin())
        .header("x-forwarded-for", "203.0.113.50")
        .json(&serde_json::json!({ "username": "omar", "password": "Pohon-Beringin-Tua-33" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let events = app
        .storage
        .list_audit_events(&sigap_server::storage::AuditEventFilter {
            event_prefix: Some("auth.sign_in".into()),
            limit: 1,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(events[0].client_ip.as_deref(), Some("127.0.0.1"));
    app.stop().await;
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_client_decides() {
    // The peer 127.0.0.1 is our reverse proxy; clients must be in 10.20.0.0/16.
    let app = spawn_with(TestDb::chosen().await, |c| {
        c.network.portal_allow = nets(&["10.20.0.0/16"]);
        c.network.api_allow = nets(&["10.30.0.0/16"]);
        c.network.trusted_proxies = nets(&["127.0.0.1/32", "10.99.0.0/16"]);
        c.auth.second_factor_roles = vec![];
    })
    .await;
    let c = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .unwrap();
    let get = |xff: &'static str| {
        let c = c.clone();
        let url = app.url("/auth/me");
        async move {
            c.get(url)
                .header("x-forwarded-for", xff)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(get("10.20.1.5").await, StatusCode::OK);
    // Through two of our proxies: the right-most untrusted address is the client.
    assert_eq!(get("10.20.1.5, 10.99.0.7").await, StatusCode::OK);
    // A client that prepends a forged allowed address does not get in.
    assert_eq!(get("10.20.9.9, 172.16.5.5").await, StatusCode::FORBIDDEN);
    assert_eq!(get("172.16.5.5").await, StatusCode::FORBIDDEN);
    assert_eq!(get("not-an-address").await, StatusCode::FORBIDDEN);
    // The proxy itself without the header is not an allowed client.
    assert_eq!(
        c.get(app.url("/auth/me")).send().await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    // The API has its own list.
    let api = c
        .get(app.url("/api/v1/x"))
        .header("x-forwarded-for", "10.20.1.5")
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), StatusCode::FORBIDDEN);
    let api = c
        .get(app.url("/api/v1/x"))
        .header("x-forwarded-for", "10.30.1.5")
        .send()
        .await
        .unwrap();
    assert_ne!(api.status(), StatusCode::FORBIDDEN);

    // Throttling and audit use the forwarded client address.
    app.account(
        "putri",
        domain::access::Role::Auditor,
        "Danau-Toba-Biru-Sekali",
    )
    .await;
    let r = c
        .post(app.url("/auth/sign-in"))
        .header(header::ORIGIN, app.origin())
        .header("x-forwarded-for", "10.20.3.4")
        .json(&serde_json::json!({ "username": "putri", "password": "Danau-Toba-Biru-Sekali" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let events = app
        .storage
        .list_audit_events(&sigap_server::storage::AuditEventFilter {
            event_prefix: Some("auth.sign_in".into()),
            limit: 1,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(events[0].client_ip.as_deref(), Some("10.20.3.4"));
    app.stop().await;
}
