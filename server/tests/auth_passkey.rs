//! Passkeys end to end over HTTP with webauthn-authenticator-rs' software passkey: enrolment
//! after the password, second factor at the next sign-in, passwordless sign-in, replayed
//! assertions and expired ceremonies refused, listing and removal, recovery codes (single
//! use), and the administrator's reset.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod auth_support;
mod common;

use auth_support::{Browser, Passkey, spawn, spawn_with};
use common::TestDb;
use domain::access::Role;
use reqwest::StatusCode;
use serde_json::json;
use sigap_server::storage::AuditEventFilter;
use std::time::Duration;

const PW: &str = "Candi-Sukuh-Berlumut-48";

async fn events(
    app: &auth_support::AuthApp,
    prefix: &str,
) -> Vec<sigap_server::storage::AuditEvent> {
    app.storage
        .list_audit_events(&AuditEventFilter {
            event_prefix: Some(prefix.into()),
            limit: 50,
            ..AuditEventFilter::default()
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn enrol_then_use_the_passkey_as_second_factor() {
    let app = spawn().await;
    let acc = app.account("op.satu", Role::Operator, PW).await;
    let mut b = Browser::new(&app);
    let r = b.sign_in("op.satu", PW).await;
    assert_eq!(r.body["state"], "enrolment_required");

    let mut key = Passkey::new();
    let cookie_before = b.cookie.clone();
    let fin = key.register(&mut b, "Laptop kantor").await;
    assert_eq!(fin.status, StatusCode::OK, "{:?}", fin.body);
    assert_eq!(fin.body["passkey"]["name"], "Laptop kantor");
    // Enrolment completes the second factor: full session, new id.
    assert_eq!(fin.body["session"]["state"], "authenticated");
    assert_ne!(b.cookie, cookie_before);
    let list = b.get("/auth/passkeys").await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.body["passkeys"].as_array().unwrap().len(), 1);
    assert!(
        list.body["passkeys"][0].get("passkey").is_none(),
        "no key material"
    );

    // Next time: password, then the passkey.
    b.post_empty("/auth/sign-out").await;
    let r = b.sign_in("op.satu", PW).await;
    assert_eq!(r.body["state"], "second_factor_required");
    assert_eq!(
        b.get("/auth/passkeys").await.code(),
        "SECOND_FACTOR_REQUIRED"
    );
    // A partial session may not add another passkey.
    let r = b
        .post("/auth/passkey/register/start", json!({ "name": "lain" }))
        .await;
    assert_eq!(r.code(), "PASSKEY_ENROLMENT_NOT_ALLOWED");
    let partial_cookie = b.cookie.clone();
    let r = key.sign_in(&mut b).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["state"], "authenticated");
    assert_eq!(r.body["user"]["second_factor"], true);
    assert_eq!(r.body["methods"], json!(["password", "passkey"]));
    assert_ne!(
        b.cookie, partial_cookie,
        "new session id with the second factor"
    );
    assert_eq!(b.get("/auth/passkeys").await.status, StatusCode::OK);

    let ev = events(&app, "").await;
    assert!(ev.iter().any(|e| e.event == "passkey.register"
        && e.outcome == "success"
        && e.actor_account_id == Some(acc.id)));
    assert!(
        ev.iter()
            .any(|e| e.event == "auth.second_factor" && e.outcome == "success")
    );
    app.stop().await;
}

#[tokio::test]
async fn passwordless_sign_in_with_a_discoverable_passkey() {
    let app = spawn().await;
    app.account("kepala", Role::Head, PW).await;
    let mut b = Browser::new(&app);
    b.sign_in("kepala", PW).await;
    let mut key = Passkey::new();
    assert_eq!(key.register(&mut b, "HP").await.status, StatusCode::OK);
    b.post_empty("/auth/sign-out").await;

    let mut fresh = Browser::new(&app);
    let start = fresh.post_empty("/auth/passkey/sign-in/start").await;
    assert_eq!(start.status, StatusCode::OK);
    assert!(
        start.body["publicKey"]["allowCredentials"]
            .as_array()
            .is_none_or(|a| a.is_empty()),
        "discoverable: no credential list, no account hint"
    );
    assert_eq!(start.body["publicKey"]["userVerification"], "required");
    let anon_cookie = fresh.cookie.clone();
    let cred = key.answer(&start.body);
    let r = fresh
        .post(
            "/auth/passkey/sign-in/finish",
            json!({ "credential": cred }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["state"], "authenticated");
    assert_eq!(r.body["user"]["username"], "kepala");
    assert_eq!(r.body["methods"], json!(["passkey"]));
    assert_ne!(fresh.cookie, anon_cookie);
    let ev = events(&app, "auth.sign_in").await;
    assert!(
        ev.iter()
            .any(|e| e.outcome == "success" && e.detail.contains("passkey"))
    );
    app.stop().await;
}

#[tokio::test]
async fn replayed_assertions_are_refused() {
    let app = spawn().await;
    app.account("op.dua", Role::Operator, PW).await;
    let mut b = Browser::new(&app);
    b.sign_in("op.dua", PW).await;
    let mut key = Passkey::new();
    key.register(&mut b, "Kunci").await;
    b.post_empty("/auth/sign-out").await;
    b.sign_in("op.dua", PW).await;

    let start = b.post_empty("/auth/passkey/sign-in/start").await;
    let cred = key.answer(&start.body);
    let ok = b
        .post(
            "/auth/passkey/sign-in/finish",
            json!({ "credential": cred }),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK);
    // The same assertion again: the challenge was used up.
    let replay = b
        .post(
            "/auth/passkey/sign-in/finish",
            json!({ "credential": cred }),
        )
        .await;
    assert_eq!(replay.status, StatusCode::BAD_REQUEST);
    assert_eq!(replay.code(), "PASSKEY_NO_CEREMONY");
    // Against a fresh challenge it does not verify either.
    let _new = b.post_empty("/auth/passkey/sign-in/start").await;
    let replay = b
        .post(
            "/auth/passkey/sign-in/finish",
            json!({ "credential": cred }),
        )
        .await;
    assert_eq!(replay.status, StatusCode::UNAUTHORIZED);
    assert_eq!(replay.code(), "PASSKEY_VERIFICATION_FAILED");
    // And a replay from another session (stolen assertion) finds no ceremony at all.
    let mut other = Browser::new(&app);
    let r = other
        .post(
            "/auth/passkey/sign-in/finish",
            json!({ "credential": cred }),
        )
        .await;
    assert_eq!(r.code(), "PASSKEY_NO_CEREMONY");
    let ev = events(&app, "auth.second_factor").await;
    assert!(ev.iter().any(|e| e.outcome == "failure"));
    app.stop().await;
}

#[tokio::test]
async fn expired_ceremonies_are_refused() {
    let app = spawn().await;
    app.account("op.tiga", Role::Operator, PW).await;
    let mut b = Browser::new(&app);
    b.sign_in("op.tiga", PW).await;
    let mut key = Passkey::new();
    // Registration that takes too long.
    let start = b
        .post("/auth/passkey/register/start", json!({ "name": "lambat" }))
        .await;
    let ccr = serde_json::from_value(start.body.clone()).unwrap();
    use webauthn_authenticator_rs::WebauthnAuthenticator;
    let reg = key
        .token
        .do_registration(auth_support::webauthn_origin(), ccr)
        .unwrap();
    app.clock.advance(Duration::from_secs(5 * 60 + 1));
    let r = b
        .post(
            "/auth/passkey/register/finish",
            json!({ "credential": reg }),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.code(), "PASSKEY_CEREMONY_EXPIRED");
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("habis")
    );
    // In time, it works.
    assert_eq!(key.register(&mut b, "cepat").await.status, StatusCode::OK);

    // Sign-in ceremony that takes too long.
    b.post_empty("/auth/sign-out").await;
    b.sign_in("op.tiga", PW).await;
    let start = b.post_empty("/auth/passkey/sign-in/start").await;
    let cred = key.answer(&start.body);
    app.clock.advance(Duration::from_secs(5 * 60 + 1));
    let r = b
        .post(
            "/auth/passkey/sign-in/finish",
            json!({ "credential": cred }),
        )
        .await;
    assert_eq!(r.code(), "PASSKEY_CEREMONY_EXPIRED");
    app.stop().await;
}

#[tokio::test]
async fn recovery_codes_work_once_each() {
    let app = spawn_with(TestDb::chosen().await, |c| c.auth.delay_base_ms = 0).await;
    app.account("admin.inst", Role::InstitutionAdmin, PW).await;
    let mut b = Browser::new(&app);
    b.sign_in("admin.inst", PW).await;
    let mut key = Passkey::new();
    key.register(&mut b, "Kunci utama").await;
    let r = b.post_empty("/auth/recovery-codes").await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let codes: Vec<String> = r.body["codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    assert_eq!(codes.len(), 10);
    assert_eq!(
        b.get("/auth/passkeys").await.body["recovery_codes_remaining"],
        10
    );
    // Stored hashed: no code appears in the audit trail or anywhere in the answer afterwards.
    for e in events(&app, "").await {
        assert!(!codes.iter().any(|c| format!("{e:?}").contains(c.as_str())));
    }

    // Passkey lost: password, then a recovery code (typed in lower case with spaces).
    b.post_empty("/auth/sign-out").await;
    b.sign_in("admin.inst", PW).await;
    let typed = codes[3].to_lowercase().replace('-', " ");
    let r = b
        .post("/auth/recovery-code", json!({ "code": typed }))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["state"], "authenticated");
    assert_eq!(r.body["recovery_codes_remaining"], 9);
    assert_eq!(r.body["methods"], json!(["password", "recovery_code"]));

    // The same code a second time: refused.
    b.post_empty("/auth/sign-out").await;
    b.sign_in("admin.inst", PW).await;
    let r = b
        .post("/auth/recovery-code", json!({ "code": codes[3] }))
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.code(), "RECOVERY_CODE_INVALID");
    let r = b
        .post("/auth/recovery-code", json!({ "code": "AAAA-BBBB" }))
        .await;
    assert_eq!(r.code(), "RECOVERY_CODE_INVALID");
    // Another code still works.
    let r = b
        .post("/auth/recovery-code", json!({ "code": codes[0] }))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    // Regenerating replaces the old set.
    let r = b.post_empty("/auth/recovery-codes").await;
    let new_codes = r.body["codes"].as_array().unwrap().clone();
    assert_eq!(new_codes.len(), 10);
    b.post_empty("/auth/sign-out").await;
    b.sign_in("admin.inst", PW).await;
    let r = b
        .post("/auth/recovery-code", json!({ "code": codes[5] }))
        .await;
    assert_eq!(r.code(), "RECOVERY_CODE_INVALID", "old set is void");
    app.stop().await;
}

#[tokio::test]
async fn recovery_code_guessing_is_throttled() {
    let app = spawn_with(TestDb::chosen().await, |c| c.auth.delay_base_ms = 0).await;
    app.account("tebak", Role::Operator, PW).await;
    let mut b = Browser::new(&app);
    b.sign_in("tebak", PW).await;
    for _ in 0..5 {
        let r = b
            .post(
                "/auth/recovery-code",
                json!({ "code": "ABCD-EFGH-JKLM-NPQR-STUV-WXYZ" }),
            )
            .await;
        assert_eq!(r.code(), "RECOVERY_CODE_INVALID");
    }
    let r = b
        .post(
            "/auth/recovery-code",
            json!({ "code": "ABCD-EFGH-JKLM-NPQR-STUV-WXYZ" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    app.stop().await;
}

#[tokio::test]
async fn passkeys_can_be_listed_and_removed_but_not_the_last_one() {
    let app = spawn().await;
    app.account("evaluator", Role::DisdukcapilEvaluator, PW)
        .await;
    let mut b = Browser::new(&app);
    b.sign_in("evaluator", PW).await;
    let mut first = Passkey::new();
    let mut second = Passkey::new();
    first.register(&mut b, "Satu").await;
    let r = second.register(&mut b, "Dua").await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let list = b.get("/auth/passkeys").await;
    let ids: Vec<i64> = list.body["passkeys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), 2);
    let r = b.delete(&format!("/auth/passkeys/{}", ids[0])).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["passkeys"].as_array().unwrap().len(), 1);
    let r = b.delete(&format!("/auth/passkeys/{}", ids[1])).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.code(), "PASSKEY_LAST_REQUIRED");
    let r = b.delete("/auth/passkeys/999999").await;
    assert_eq!(r.code(), "PASSKEY_NOT_FOUND");
    // Only the remaining passkey is offered, and it signs in.
    b.post_empty("/auth/sign-out").await;
    b.sign_in("evaluator", PW).await;
    let start = b.post_empty("/auth/passkey/sign-in/start").await;
    assert_eq!(
        start.body["publicKey"]["allowCredentials"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(second.sign_in(&mut b).await.status, StatusCode::OK);
    let ev = events(&app, "passkey.remove").await;
    assert_eq!(ev.len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn admin_reset_clears_second_factors_and_ends_sessions() {
    let app = spawn().await;
    let op = app.account("op.reset", Role::Operator, PW).await;
    app.account("admin.reset", Role::InstitutionAdmin, PW).await;
    app.account("op.lain", Role::Operator, PW).await;

    let mut opb = Browser::new(&app);
    opb.sign_in("op.reset", PW).await;
    let mut opkey = Passkey::new();
    opkey.register(&mut opb, "HP lama").await;
    opb.post_empty("/auth/recovery-codes").await;

    let mut admin = Browser::new(&app);
    admin.sign_in("admin.reset", PW).await;
    let mut adminkey = Passkey::new();
    adminkey.register(&mut admin, "Admin").await;

    // Another operator may not reset.
    let mut other = Browser::new(&app);
    other.sign_in("op.lain", PW).await;
    let mut otherkey = Passkey::new();
    otherkey.register(&mut other, "X").await;
    let r = other
        .post_empty(&format!(
            "/auth/admin/accounts/{}/second-factor-reset",
            op.id
        ))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    let r = admin
        .post_empty(&format!(
            "/auth/admin/accounts/{}/second-factor-reset",
            op.id
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["passkeys_removed"], 1);
    assert_eq!(r.body["recovery_codes_removed"], 10);
    // The operator's session ended; next sign-in is an enrolment again.
    assert_eq!(opb.get("/auth/passkeys").await.code(), "SESSION_EXPIRED");
    let r = opb.sign_in("op.reset", PW).await;
    assert_eq!(r.body["state"], "enrolment_required");
    let ev = events(&app, "passkey.admin_reset").await;
    assert_eq!(ev.len(), 1);
    assert_eq!(
        ev[0].subject.as_deref(),
        Some(format!("account:{}", op.id).as_str())
    );
    let r = admin
        .post_empty("/auth/admin/accounts/999999/second-factor-reset")
        .await;
    assert_eq!(r.code(), "ACCOUNT_NOT_FOUND");
    app.stop().await;
}
