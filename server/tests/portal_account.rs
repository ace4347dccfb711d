//! The self-service password change on `/akun` (`change_password` server function):
//! anonymous and partial sessions are refused; a wrong current password is refused, audited
//! and counted by the sign-in throttle; a new password must repeat and meet the policy; a
//! change ends every other session but keeps this browser signed in under a new session id,
//! and only the new password signs in afterwards (SQLite and PostgreSQL).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod auth_support;
mod common;

use auth_support::{AuthApp, Browser, spawn, spawn_with};
use common::TestDb;
use domain::access::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sigap_server::storage::{AuditEventFilter, AuditOutcome};
use std::time::Duration;

const PW: &str = "Gunung-Lawu-Berkabut-22";
const NEW_PW: &str = "Sungai-Bengawan-Pagi-48";

async fn signed_in(app: &AuthApp, username: &str, password: &str) -> Browser {
    Browser::signed_in(app, username, password).await
}

async fn change(b: &mut Browser, current: &str, new: &str, confirm: &str) -> (StatusCode, Value) {
    let r = b
        .server_fn(
            "change_password",
            &[
                ("current_password", current),
                ("new_password", new),
                ("confirm_password", confirm),
            ],
        )
        .await;
    (r.status, r.body)
}

fn refused(code: &str) -> Value {
    json!({ "Err": { "Rejected": { "code": code } } })
}

async fn password_events(app: &AuthApp) -> Vec<sigap_server::storage::AuditEvent> {
    app.storage
        .list_audit_events(&AuditEventFilter {
            event_prefix: Some("auth.password_change".into()),
            limit: 1000,
            ..Default::default()
        })
        .await
        .unwrap()
}

async fn password_change_story(db: TestDb) {
    let app = spawn_with(db, |c| c.auth.second_factor_roles = vec![]).await;
    let account = app.account("petugas", Role::Operator, PW).await;
    let mut here = signed_in(&app, "petugas", PW).await;
    let mut elsewhere = signed_in(&app, "petugas", PW).await;

    // Wrong current password: refused, audited as a failure, counted by the throttle.
    let (status, body) = change(&mut here, "salah-sekali-kata-sandi", NEW_PW, NEW_PW).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, refused("PASSWORD_CURRENT_WRONG"));
    let events = password_events(&app).await;
    assert!(
        events
            .iter()
            .any(|e| e.outcome == AuditOutcome::Failure.as_str()
                && e.actor_account_id == Some(account.id)),
        "{events:?}"
    );
    assert!(
        !events
            .iter()
            .any(|e| e.detail.contains(NEW_PW) || e.detail.contains("salah-sekali"))
    );
    let (_, body) = change(&mut here, "salah-lagi-kata-sandi", NEW_PW, NEW_PW).await;
    assert_eq!(body, refused("PASSWORD_CURRENT_WRONG"));
    // Two failures: the progressive delay now holds even the right password back.
    let (_, body) = change(&mut here, PW, NEW_PW, NEW_PW).await;
    assert!(body["Err"]["TooManyAttempts"].is_object(), "{body:?}");
    app.clock.advance(Duration::from_secs(2));

    // The new password twice, and the policy.
    for (new, confirm, code) in [
        (NEW_PW, "Sungai-Bengawan-Pagi-49", "PASSWORD_MISMATCH"),
        ("pendek", "pendek", "PASSWORD_TOO_SHORT"),
        ("password1234", "password1234", "PASSWORD_COMMON"),
        (
            "petugas-kantor-2026",
            "petugas-kantor-2026",
            "PASSWORD_CONTAINS_USERNAME",
        ),
        (PW, PW, "PASSWORD_UNCHANGED"),
    ] {
        let (_, body) = change(&mut here, PW, new, confirm).await;
        assert_eq!(body, refused(code), "{new}");
    }
    // Nothing changed so far: the other browser is still signed in.
    let r = elsewhere.server_fn("session", &[]).await;
    assert_eq!(r.body["state"], "authenticated");
    let epoch = app
        .storage
        .account_by_id(account.id)
        .await
        .unwrap()
        .unwrap()
        .session_epoch;

    // The change: this browser continues under a new session id; the other one is out.
    let old_cookie = here.cookie.clone().unwrap();
    let (status, body) = change(&mut here, PW, NEW_PW, NEW_PW).await;
    assert_eq!(status, StatusCode::OK, "{body:?}");
    assert_eq!(body, json!({ "Ok": null }));
    let new_cookie = here.cookie.clone().expect("a session cookie");
    assert_ne!(new_cookie, old_cookie, "a new session id");
    let r = here.server_fn("session", &[]).await;
    assert_eq!(r.body["state"], "authenticated", "{:?}", r.body);
    let r = elsewhere.server_fn("session", &[]).await;
    assert_eq!(r.body["state"], "anonymous", "{:?}", r.body);
    let stored = app
        .storage
        .account_by_id(account.id)
        .await
        .unwrap()
        .unwrap();
    assert!(stored.session_epoch > epoch);
    assert!(!stored.demo_password);
    // The old session id is gone for good.
    let mut replay = Browser::new(&app);
    replay.cookie = Some(old_cookie);
    let r = replay.server_fn("session", &[]).await;
    assert_eq!(r.body["state"], "anonymous", "{:?}", r.body);
    let events = password_events(&app).await;
    assert!(
        events
            .iter()
            .any(|e| e.outcome == AuditOutcome::Success.as_str()
                && e.subject.as_deref() == Some(format!("account:{}", account.id).as_str())),
        "{events:?}"
    );

    // Only the new password signs in now.
    let mut b = Browser::new(&app);
    let r = b
        .server_fn("sign_in", &[("username", "petugas"), ("password", PW)])
        .await;
    assert_eq!(r.body, json!({ "Err": "SignInFailed" }), "{:?}", r.body);
    app.clock.advance(Duration::from_secs(5));
    signed_in(&app, "petugas", NEW_PW).await;
    app.stop().await;
}

#[tokio::test]
async fn password_change_sqlite() {
    password_change_story(TestDb::sqlite()).await;
}

#[tokio::test]
async fn password_change_postgres() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    password_change_story(db).await;
}

#[tokio::test]
async fn password_change_refuses_anonymous_and_partial_sessions() {
    let app = spawn().await;
    app.account("admin", Role::InstitutionAdmin, PW).await;
    let mut anonymous = Browser::new(&app);
    let (status, body) = change(&mut anonymous, PW, NEW_PW, NEW_PW).await;
    assert_eq!(body, json!("AuthRequired"));
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let mut partial = signed_in(&app, "admin", PW).await;
    let (_, body) = change(&mut partial, PW, NEW_PW, NEW_PW).await;
    assert_eq!(body, json!("SecondFactorRequired"));
    // The password is unchanged.
    signed_in(&app, "admin", PW).await;
    app.stop().await;
}
