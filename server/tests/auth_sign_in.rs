//! Password sign-in over HTTP: one answer for unknown users, wrong passwords and deactivated
//! accounts; progressive delay and lockout per username and per client address, and their
//! expiry (adjustable clock); audit entries without the password.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod auth_support;
mod common;

use auth_support::{Browser, spawn, spawn_with};
use common::TestDb;
use domain::access::Role;
use reqwest::StatusCode;
use sigap_server::storage::{Actor, AuditEventFilter};
use std::time::{Duration, Instant};

const PW: &str = "Sungai-Bengawan-Jernih-9";

#[tokio::test]
async fn unknown_user_and_wrong_password_get_the_same_answer() {
    let app = spawn_with(TestDb::chosen().await, |c| c.auth.delay_base_ms = 0).await;
    app.account("budi", Role::InstitutionAdmin, PW).await;
    let mut b = Browser::new(&app);
    // Warm up (first argon2 use, first connection).
    b.sign_in("budi", "warm-up-wrong-password").await;

    let t = Instant::now();
    let wrong = b.sign_in("budi", "bukan-kata-sandinya-1").await;
    let wrong_time = t.elapsed();
    let t = Instant::now();
    let unknown = b
        .sign_in("tidak-ada-orangnya", "bukan-kata-sandinya-1")
        .await;
    let unknown_time = t.elapsed();

    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status, wrong.status);
    assert_eq!(unknown.body, wrong.body, "identical JSON answers");
    assert_eq!(wrong.code(), "SIGN_IN_FAILED");
    assert_eq!(
        wrong.body["error"]["message"],
        "Nama pengguna atau kata sandi salah."
    );
    assert!(b.cookie.is_none(), "no session for a failed sign-in");
    // The same argon2 work is done for unknown users (a dummy hash): similar timing.
    let (a, c) = (wrong_time.as_secs_f64(), unknown_time.as_secs_f64());
    assert!(
        c > a / 3.0 && a > c / 3.0,
        "timings differ too much: wrong {wrong_time:?}, unknown {unknown_time:?}"
    );

    let ok = b.sign_in("BUDI", PW).await;
    assert_eq!(ok.status, StatusCode::OK, "{:?}", ok.body);
    assert_eq!(ok.body["user"]["username"], "budi");
    assert!(b.cookie.is_some());
    app.stop().await;
}

#[tokio::test]
async fn deactivated_and_service_accounts_are_refused_like_a_wrong_password() {
    let app = spawn_with(TestDb::chosen().await, |c| c.auth.delay_base_ms = 0).await;
    let gone = app.account("sudah-pindah", Role::Operator, PW).await;
    app.storage
        .deactivate_account(gone.id, &Actor::system("test"), sigap_server::now_ms())
        .await
        .unwrap();
    let mut b = Browser::new(&app);
    let refused = b.sign_in("sudah-pindah", PW).await;
    let wrong = b.sign_in("sudah-pindah", "kata-sandi-yang-salah").await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert_eq!(refused.body, wrong.body);
    // The demo service account has no password at all.
    let service = b
        .sign_in(sigap_server::demo::DEMO_SERVICE.username, PW)
        .await;
    assert_eq!(service.body, wrong.body);

    let events = app
        .storage
        .list_audit_events(&AuditEventFilter {
            event_prefix: Some("auth.sign_in".into()),
            limit: 10,
            ..AuditEventFilter::default()
        })
        .await
        .unwrap();
    let reasons: Vec<(String, String)> = events
        .iter()
        .map(|e| (e.outcome.clone(), e.detail.clone()))
        .collect();
    assert!(
        reasons
            .iter()
            .any(|(o, d)| o == "refused" && d.contains("inactive")),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|(o, d)| o == "failure" && d.contains("wrong_password"))
    );
    assert!(
        reasons
            .iter()
            .any(|(o, d)| o == "failure" && d.contains("no_password"))
    );
    app.stop().await;
}

#[tokio::test]
async fn account_lockout_after_five_failures_and_its_expiry() {
    let app = spawn_with(TestDb::chosen().await, |c| c.auth.delay_base_ms = 0).await;
    app.account("siti", Role::Head, PW).await;
    let mut b = Browser::new(&app);
    for _ in 0..5 {
        let r = b.sign_in("siti", "salah-salah-salah").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    // Locked: even the right password is refused, without being checked.
    let locked = b.sign_in("Siti", PW).await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(locked.code(), "TOO_MANY_ATTEMPTS");
    let retry: u64 = locked.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry > 14 * 60 && retry <= 15 * 60, "{retry}");
    // An unknown username is throttled exactly the same way (no enumeration).
    for _ in 0..5 {
        b.sign_in("hantu", "salah-salah-salah").await;
    }
    let ghost = b.sign_in("hantu", "salah-salah-salah").await;
    assert_eq!(ghost.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(ghost.code(), locked.code());

    app.clock.advance(Duration::from_secs(14 * 60));
    assert_eq!(
        b.sign_in("siti", PW).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    app.clock.advance(Duration::from_secs(61));
    let ok = b.sign_in("siti", PW).await;
    assert_eq!(ok.status, StatusCode::OK, "{:?}", ok.body);
    app.stop().await;
}

#[tokio::test]
async fn delay_grows_after_repeated_failures() {
    let app = spawn().await; // delay_base_ms = 1000 by default
    app.account("andi", Role::Operator, PW).await;
    let mut b = Browser::new(&app);
    assert_eq!(
        b.sign_in("andi", "salah-1-salah").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        b.sign_in("andi", "salah-2-salah").await.status,
        StatusCode::UNAUTHORIZED
    );
    // After the second failure: wait one second.
    let r = b.sign_in("andi", PW).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.headers["retry-after"], "1");
    app.clock.advance(Duration::from_millis(1000));
    assert_eq!(
        b.sign_in("andi", "salah-3-salah").await.status,
        StatusCode::UNAUTHORIZED
    );
    // After the third: two seconds.
    let r = b.sign_in("andi", PW).await;
    assert_eq!(r.headers["retry-after"], "2");
    app.clock.advance(Duration::from_millis(2000));
    assert_eq!(b.sign_in("andi", PW).await.status, StatusCode::OK);
    // Success resets the username's counter.
    b.sign_in("andi", "salah-4-salah").await;
    assert_eq!(
        b.sign_in("andi", "salah-5-salah").await.status,
        StatusCode::UNAUTHORIZED
    );
    app.stop().await;
}

#[tokio::test]
async fn client_address_lockout_across_usernames_and_its_expiry() {
    let app = spawn_with(TestDb::chosen().await, |c| {
        c.auth.delay_base_ms = 0;
        c.auth.max_failures_per_ip = 4;
    })
    .await;
    app.account("rina", Role::Operator, PW).await;
    let mut b = Browser::new(&app);
    for name in ["a1", "b2", "c3", "d4"] {
        assert_eq!(
            b.sign_in(name, "salah-salah-salah").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    // A fresh username from the same address: refused (spraying one password over many
    // accounts).
    let r = b.sign_in("rina", PW).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    app.clock.advance(Duration::from_secs(15 * 60 + 1));
    assert_eq!(b.sign_in("rina", PW).await.status, StatusCode::OK);
    app.stop().await;
}

#[tokio::test]
async fn sign_in_is_audited_without_the_password() {
    let app = spawn_with(TestDb::chosen().await, |c| c.auth.delay_base_ms = 0).await;
    let acc = app.account("dewi", Role::Auditor, PW).await;
    let mut b = Browser::new(&app);
    b.sign_in("dewi", "Rahasia-Yang-Salah-77").await;
    b.sign_in("dewi", PW).await;
    let events = app
        .storage
        .list_audit_events(&AuditEventFilter {
            event_prefix: Some("auth.".into()),
            limit: 10,
            ..AuditEventFilter::default()
        })
        .await
        .unwrap();
    let success = events
        .iter()
        .find(|e| e.event == "auth.sign_in" && e.outcome == "success")
        .unwrap();
    assert_eq!(success.actor_account_id, Some(acc.id));
    assert_eq!(success.client_ip.as_deref(), Some("127.0.0.1"));
    assert!(events.iter().any(|e| e.outcome == "failure"));
    for e in &events {
        let all = format!("{e:?}");
        assert!(
            !all.contains(PW) && !all.contains("Rahasia-Yang-Salah-77"),
            "{all}"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn malformed_sign_in_requests_get_clear_errors() {
    let app = spawn().await;
    let mut b = Browser::new(&app);
    let r = b
        .post(
            "/auth/sign-in",
            serde_json::json!({ "username": "x", "password": "y", "extra": 1 }),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.code(), "INVALID_REQUEST");
    let r = b
        .post("/auth/sign-in", serde_json::json!({ "username": "x" }))
        .await;
    assert_eq!(r.code(), "INVALID_REQUEST");
    let big = "x".repeat(20 * 1024);
    let r = b
        .post(
            "/auth/sign-in",
            serde_json::json!({ "username": "x", "password": big }),
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    app.stop().await;
}
