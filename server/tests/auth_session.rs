//! Sessions over HTTP: cookie attributes, a new id at sign-in (no fixation) and at each added
//! factor, idle and absolute timeouts (adjustable clock), the account's session epoch
//! (password change, deactivation end sessions at once), sign out and sign out everywhere,
//! partial sessions kept away from everything but the second-factor endpoints; the same flow
//! on PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod auth_support;
mod common;

use auth_support::{Browser, spawn, spawn_with};
use common::TestDb;
use domain::access::Role;
use reqwest::StatusCode;
use sigap_server::storage::Actor;
use std::time::Duration;

const PW: &str = "Gunung-Lawu-Berkabut-22";

#[tokio::test]
async fn cookie_is_httponly_strict_and_not_secure_on_the_loopback_demo() {
    let app = spawn().await;
    // Evaluators need no... they do need a second factor by default; use a role-less check.
    app.account("eva", Role::DisdukcapilEvaluator, PW).await;
    let mut b = Browser::new(&app);
    let r = b.sign_in("eva", PW).await;
    assert_eq!(r.status, StatusCode::OK);
    let set = b.set_cookies.last().unwrap().clone();
    assert!(set.starts_with("sigap_session="), "{set}");
    assert!(set.contains("HttpOnly"), "{set}");
    assert!(set.contains("SameSite=Strict"), "{set}");
    assert!(set.contains("Path=/"), "{set}");
    assert!(set.contains("Max-Age=900"), "{set}");
    assert!(
        !set.contains("Secure"),
        "plain-HTTP demo on loopback: {set}"
    );
    assert_eq!(r.headers["cache-control"], "no-store");
    app.stop().await;
}

#[tokio::test]
async fn production_cookie_is_secure() {
    let app = spawn_with(TestDb::chosen().await, |c| {
        c.auth.rp_id = "localhost".into();
        c.auth.rp_origin = "https://localhost".into();
        c.auth.allowed_origins = vec![]; // rp_origin + loopback bind origins
    })
    .await;
    app.account("eva", Role::DisdukcapilEvaluator, PW).await;
    let mut b = Browser::new(&app);
    b.sign_in("eva", PW).await;
    assert!(b.set_cookies.last().unwrap().contains("Secure"));
    app.stop().await;
}

#[tokio::test]
async fn session_id_changes_at_sign_in_and_the_old_one_is_dead() {
    let app = spawn().await;
    app.account("fajar", Role::Operator, PW).await;
    let mut b = Browser::new(&app);
    // An anonymous session first (a passwordless ceremony stores its id in the session).
    let r = b
        .post("/auth/passkey/sign-in/start", serde_json::json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let before = b.cookie.clone().expect("anonymous session cookie");
    let r = b.sign_in("fajar", PW).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["state"], "enrolment_required");
    let after = b.cookie.clone().unwrap();
    assert_ne!(before, after, "new session id at sign-in");
    // The pre-sign-in id is gone from the store: a fixed id gives nothing.
    let mut attacker = Browser::new(&app);
    attacker.cookie = Some(before);
    let me = attacker.get("/auth/me").await;
    assert_eq!(me.body["state"], "anonymous");
    // The stored key is a hash, not the id.
    let sid = after.clone();
    let me = b.get("/auth/me").await;
    assert_eq!(me.body["user"]["username"], "fajar");
    assert!(sid.len() >= 22);
    app.stop().await;
}

#[tokio::test]
async fn partial_sessions_reach_only_the_second_factor_endpoints() {
    let app = spawn().await;
    app.account("gita", Role::InstitutionAdmin, PW).await;
    let mut b = Browser::new(&app);
    let r = b.sign_in("gita", PW).await;
    assert_eq!(r.body["state"], "enrolment_required");
    assert_eq!(r.body["second_factor_required"], true);
    let r = b.get("/auth/passkeys").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.code(), "SECOND_FACTOR_REQUIRED");
    let r = b.post_empty("/auth/recovery-codes").await;
    assert_eq!(r.code(), "SECOND_FACTOR_REQUIRED");
    // Enrolment start is allowed.
    let r = b
        .post("/auth/passkey/register/start", serde_json::json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    app.stop().await;
}

#[tokio::test]
async fn roles_without_a_second_factor_requirement_are_fully_signed_in() {
    let app = spawn_with(TestDb::chosen().await, |c| {
        c.auth.second_factor_roles = vec![Role::Operator];
    })
    .await;
    app.account("hadi", Role::Auditor, PW).await;
    let mut b = Browser::new(&app);
    let r = b.sign_in("hadi", PW).await;
    assert_eq!(r.body["state"], "authenticated");
    assert_eq!(r.body["user"]["second_factor"], false);
    assert_eq!(b.get("/auth/passkeys").await.status, StatusCode::OK);
    app.stop().await;
}

#[tokio::test]
async fn idle_timeout_ends_the_session() {
    let app = spawn_with(TestDb::chosen().await, |c| {
        c.auth.second_factor_roles = vec![];
    })
    .await;
    app.account("indah", Role::Auditor, PW).await;
    let mut b = Browser::new(&app);
    b.sign_in("indah", PW).await;
    // Activity every 14 minutes keeps it alive well past 15 minutes.
    for _ in 0..3 {
        app.clock.advance(Duration::from_secs(14 * 60));
        let r = b.get("/auth/passkeys").await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    }
    app.clock.advance(Duration::from_secs(15 * 60 + 1));
    let r = b.get("/auth/passkeys").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.code(), "SESSION_EXPIRED");
    assert!(b.cookie.is_none(), "cookie removed");
    app.stop().await;
}

#[tokio::test]
async fn absolute_timeout_ends_an_active_session() {
    let app = spawn_with(TestDb::chosen().await, |c| {
        c.auth.second_factor_roles = vec![];
        c.auth.absolute_timeout_hours = 1;
    })
    .await;
    app.account("joko", Role::Auditor, PW).await;
    let mut b = Browser::new(&app);
    b.sign_in("joko", PW).await;
    for _ in 0..4 {
        app.clock.advance(Duration::from_secs(14 * 60));
        assert_eq!(b.get("/auth/passkeys").await.status, StatusCode::OK);
    }
    // 56 minutes in, active all along; at 70 minutes the absolute limit has passed.
    app.clock.advance(Duration::from_secs(14 * 60));
    let r = b.get("/auth/passkeys").await;
    assert_eq!(r.code(), "SESSION_EXPIRED");
    app.stop().await;
}

#[tokio::test]
async fn password_change_and_deactivation_end_sessions_at_once() {
    let app = spawn_with(TestDb::chosen().await, |c| {
        c.auth.second_factor_roles = vec![];
    })
    .await;
    let kiki = app.account("kiki", Role::Auditor, PW).await;
    let mut b = Browser::new(&app);
    b.sign_in("kiki", PW).await;
    assert_eq!(b.get("/auth/passkeys").await.status, StatusCode::OK);
    // A password change bumps the session epoch.
    let phc = sigap_server::auth::hash_password("Kata-Sandi-Baru-Sekali-1").unwrap();
    app.storage
        .set_password_hash(kiki.id, &phc, false, sigap_server::now_ms())
        .await
        .unwrap();
    let r = b.get("/auth/passkeys").await;
    assert_eq!(r.code(), "SESSION_EXPIRED");

    let lina = app.account("lina", Role::Auditor, PW).await;
    let mut b = Browser::new(&app);
    b.sign_in("lina", PW).await;
    app.storage
        .deactivate_account(lina.id, &Actor::system("test"), sigap_server::now_ms())
        .await
        .unwrap();
    let r = b.get("/auth/passkeys").await;
    assert_eq!(r.code(), "SESSION_EXPIRED");
    assert_eq!(b.get("/auth/me").await.body["state"], "anonymous");
    app.stop().await;
}

#[tokio::test]
async fn sign_out_and_sign_out_everywhere() {
    let app = spawn_with(TestDb::chosen().await, |c| {
        c.auth.second_factor_roles = vec![];
    })
    .await;
    let mira = app.account("mira", Role::Auditor, PW).await;
    let mut laptop = Browser::new(&app);
    let mut phone = Browser::new(&app);
    let mut tablet = Browser::new(&app);
    laptop.sign_in("mira", PW).await;
    phone.sign_in("mira", PW).await;
    tablet.sign_in("mira", PW).await;
    let now = sigap_server::now_ms();
    assert_eq!(
        app.storage
            .count_account_sessions(mira.id, now)
            .await
            .unwrap(),
        3
    );

    // Sign out: this session only.
    let old_cookie = tablet.cookie.clone();
    let r = tablet.post_empty("/auth/sign-out").await;
    assert_eq!(r.body["state"], "anonymous");
    assert!(tablet.cookie.is_none());
    tablet.cookie = old_cookie;
    assert_eq!(tablet.get("/auth/me").await.body["state"], "anonymous");
    assert_eq!(
        app.storage
            .count_account_sessions(mira.id, now)
            .await
            .unwrap(),
        2
    );

    // Everywhere: every session of the account, and the epoch moves on.
    let epoch_before = app
        .storage
        .account_by_id(mira.id)
        .await
        .unwrap()
        .unwrap()
        .session_epoch;
    let r = laptop.post_empty("/auth/sign-out-everywhere").await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        phone.get("/auth/passkeys").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(laptop.get("/auth/me").await.body["state"], "anonymous");
    assert_eq!(
        app.storage
            .count_account_sessions(mira.id, now)
            .await
            .unwrap(),
        0
    );
    let epoch_after = app
        .storage
        .account_by_id(mira.id)
        .await
        .unwrap()
        .unwrap()
        .session_epoch;
    assert_eq!(epoch_after, epoch_before + 1);
    // Audited.
    let events = app
        .storage
        .list_audit_events(&sigap_server::storage::AuditEventFilter {
            event_prefix: Some("auth.sign_out".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(events.iter().any(|e| e.event == "auth.sign_out_everywhere"));
    assert!(events.iter().any(|e| e.event == "auth.sign_out"));
    app.stop().await;
}

#[tokio::test]
async fn anonymous_requests_are_refused_with_auth_required() {
    let app = spawn().await;
    let mut b = Browser::new(&app);
    let r = b.get("/auth/passkeys").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.code(), "AUTH_REQUIRED");
    assert_eq!(b.get("/auth/me").await.body["state"], "anonymous");
    // A cookie that names no session: "ended", and the cookie is removed.
    b.cookie = Some("AAAAAAAAAAAAAAAAAAAAAA".into());
    assert_eq!(b.get("/auth/passkeys").await.code(), "SESSION_EXPIRED");
    assert!(b.cookie.is_none());
    assert_eq!(b.get("/auth/passkeys").await.code(), "AUTH_REQUIRED");
    app.stop().await;
}

#[tokio::test]
async fn sessions_work_on_postgres() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let app = spawn_with(db, |c| c.auth.second_factor_roles = vec![]).await;
    let nina = app.account("nina", Role::Auditor, PW).await;
    let mut b = Browser::new(&app);
    let r = b.sign_in("nina", PW).await;
    assert_eq!(r.body["state"], "authenticated", "{:?}", r.body);
    assert_eq!(b.get("/auth/passkeys").await.status, StatusCode::OK);
    app.clock.advance(Duration::from_secs(16 * 60));
    assert_eq!(b.get("/auth/passkeys").await.code(), "SESSION_EXPIRED");
    b.sign_in("nina", PW).await;
    b.post_empty("/auth/sign-out-everywhere").await;
    let now = sigap_server::now_ms();
    assert_eq!(
        app.storage
            .count_account_sessions(nina.id, now)
            .await
            .unwrap(),
        0
    );
    app.stop().await;
}
