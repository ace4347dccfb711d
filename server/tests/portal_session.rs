//! The portal's session and NDA server functions (`/api/sf/session`, `sign_in`, `sign_out`,
//! `current_nda`, `accept_nda`): each checks authorisation itself. Anonymous, partial
//! (password only) sessions, roles without `nda.accept` and another institution's NDA are
//! refused; sign-in gives one answer for unknown users and wrong passwords and reports the
//! throttle wait. The account functions (`account`, `remove_passkey`, `recovery_codes`,
//! `sign_out_everywhere`) refuse anonymous and partial sessions and reach only the caller's
//! own passkeys.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod auth_support;
mod common;

use auth_support::{AuthApp, Browser, Passkey, spawn, spawn_with};
use common::TestDb;
use domain::access::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sigap_server::storage::{Actor, NewInstitution};

const PW: &str = "Gunung-Lawu-Berkabut-22";

/// A server whose roles need no second factor, so a password alone authenticates fully.
async fn spawn_single_factor() -> AuthApp {
    spawn_with(TestDb::chosen().await, |c| {
        c.auth.second_factor_roles = vec![]
    })
    .await
}

async fn signed_in(app: &AuthApp, username: &str) -> Browser {
    let mut b = Browser::new(app);
    let r = b
        .server_fn("sign_in", &[("username", username), ("password", PW)])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert!(r.body.get("Ok").is_some(), "{:?}", r.body);
    b
}

#[tokio::test]
async fn sign_in_answers_the_next_step_and_one_message_for_unknown_and_wrong() {
    let app = spawn().await;
    app.account("petugas", Role::Operator, PW).await;
    let mut b = Browser::new(&app);

    let r = b.server_fn("session", &[]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["state"], "anonymous");

    let wrong = b
        .server_fn("sign_in", &[("username", "petugas"), ("password", "salah")])
        .await;
    let unknown = b
        .server_fn("sign_in", &[("username", "tidak.ada"), ("password", PW)])
        .await;
    // A refusal is an answer (HTTP 200, inner `Err`), not a failed call.
    assert_eq!(wrong.status, StatusCode::OK);
    assert_eq!(wrong.body, json!({ "Err": "SignInFailed" }));
    assert_eq!(unknown.status, wrong.status);
    assert_eq!(unknown.body, wrong.body);
    let r = b.server_fn("session", &[]).await;
    assert_eq!(r.body["state"], "anonymous");

    // Operators need a second factor: with none registered, the next step is enrolment.
    let r = b
        .server_fn("sign_in", &[("username", "petugas"), ("password", PW)])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let info = &r.body["Ok"];
    assert_eq!(info["state"], "enrolment_required");
    assert_eq!(info["account"]["role"], "operator");
    assert_eq!(
        info["account"]["institution_name"],
        "BPBD Kabupaten Karanganyar"
    );
    assert_eq!(info["nda_pending"], false);
    assert!(b.cookie.is_some());
    let r = b.server_fn("session", &[]).await;
    assert_eq!(r.body["state"], "enrolment_required");

    let r = b.server_fn("sign_out", &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = b.server_fn("session", &[]).await;
    assert_eq!(r.body["state"], "anonymous");
    app.stop().await;
}

#[tokio::test]
async fn sign_in_reports_the_throttle_wait() {
    let app = spawn_with(TestDb::chosen().await, |c| c.auth.delay_base_ms = 0).await;
    app.account("petugas", Role::Operator, PW).await;
    let mut b = Browser::new(&app);
    for _ in 0..5 {
        let r = b
            .server_fn("sign_in", &[("username", "petugas"), ("password", "salah")])
            .await;
        assert_eq!(r.body, json!({ "Err": "SignInFailed" }));
    }
    let r = b
        .server_fn("sign_in", &[("username", "petugas"), ("password", PW)])
        .await;
    assert!(
        r.body["Err"]["TooManyAttempts"]["retry_after_secs"]
            .as_u64()
            .unwrap_or(0)
            >= 1,
        "{:?}",
        r.body
    );
    app.stop().await;
}

#[tokio::test]
async fn nda_functions_refuse_anonymous_and_partial_sessions() {
    let app = spawn().await;
    app.account("petugas", Role::Operator, PW).await;
    let mut anonymous = Browser::new(&app);
    let r = anonymous.server_fn("current_nda", &[]).await;
    assert!(!r.status.is_success());
    assert_eq!(r.body, json!("AuthRequired"));
    let r = anonymous
        .server_fn("accept_nda", &[("version_id", "1")])
        .await;
    assert_eq!(r.body, json!("AuthRequired"));

    // Password only: the operator's second factor is still missing.
    let mut partial = signed_in(&app, "petugas").await;
    let r = partial.server_fn("current_nda", &[]).await;
    assert_eq!(r.body, json!("SecondFactorRequired"));
    let r = partial
        .server_fn("accept_nda", &[("version_id", "1")])
        .await;
    assert_eq!(r.body, json!("SecondFactorRequired"));
    app.stop().await;
}

#[tokio::test]
async fn operator_accepts_the_current_nda_and_the_gate_opens() {
    let app = spawn_single_factor().await;
    let account = app.account("petugas", Role::Operator, PW).await;
    let mut b = signed_in(&app, "petugas").await;
    let r = b.server_fn("session", &[]).await;
    assert_eq!(r.body["state"], "authenticated");
    assert_eq!(r.body["nda_pending"], true);

    let r = b.server_fn("current_nda", &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["accepted_at_ms"], Value::Null);
    let version_id = r.body["version_id"].as_i64().unwrap().to_string();

    let r = b
        .server_fn("accept_nda", &[("version_id", &version_id)])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert!(r.body["accepted_at_ms"].as_i64().is_some());
    let r = b.server_fn("session", &[]).await;
    assert_eq!(r.body["nda_pending"], false);
    let status = app.storage.nda_status(account.id).await.unwrap();
    assert!(status.satisfied());
    app.stop().await;
}

#[tokio::test]
async fn roles_without_nda_accept_are_refused() {
    let app = spawn_single_factor().await;
    app.account("evaluator", Role::DisdukcapilEvaluator, PW)
        .await;
    let mut b = signed_in(&app, "evaluator").await;
    let r = b.server_fn("session", &[]).await;
    assert_eq!(r.body["state"], "authenticated");
    assert_eq!(r.body["nda_pending"], false);
    let r = b.server_fn("current_nda", &[]).await;
    assert_eq!(r.body, json!("Forbidden"));
    let r = b.server_fn("accept_nda", &[("version_id", "1")]).await;
    assert_eq!(r.body, json!("Forbidden"));
    app.stop().await;
}

#[tokio::test]
async fn another_institutions_nda_cannot_be_accepted() {
    let app = spawn_single_factor().await;
    let account = app.account("petugas", Role::Operator, PW).await;
    let now = sigap_server::now_ms();
    let other = app
        .storage
        .create_institution(
            &NewInstitution {
                code: "DINSOS-3313".into(),
                name: "Dinas Sosial Kabupaten Karanganyar".into(),
                region_code: "33.13".into(),
                address: "Jl. Lawu".into(),
            },
            now,
        )
        .await
        .unwrap();
    let foreign = app
        .storage
        .publish_nda_version(
            other.id,
            "Pernyataan Kerahasiaan Dinsos",
            "Saya menjaga kerahasiaan data kependudukan.",
            &Actor::system("test"),
            now,
        )
        .await
        .unwrap();
    let mut b = signed_in(&app, "petugas").await;
    let r = b
        .server_fn("accept_nda", &[("version_id", &foreign.id.to_string())])
        .await;
    assert_eq!(r.body, json!("Forbidden"));
    assert!(
        !app.storage
            .nda_status(account.id)
            .await
            .unwrap()
            .satisfied()
    );
    app.stop().await;
}

#[tokio::test]
async fn account_functions_refuse_anonymous_and_partial_sessions() {
    let app = spawn().await;
    app.account("petugas", Role::Operator, PW).await;
    let mut anonymous = Browser::new(&app);
    for (name, args) in [
        ("account", vec![]),
        ("remove_passkey", vec![("passkey_id", "1")]),
        ("recovery_codes", vec![]),
        ("sign_out_everywhere", vec![]),
    ] {
        let r = anonymous.server_fn(name, &args).await;
        assert!(!r.status.is_success(), "{name}");
        assert_eq!(r.body, json!("AuthRequired"), "{name}");
    }
    let mut partial = signed_in(&app, "petugas").await;
    for (name, args) in [
        ("account", vec![]),
        ("remove_passkey", vec![("passkey_id", "1")]),
        ("recovery_codes", vec![]),
    ] {
        let r = partial.server_fn(name, &args).await;
        assert_eq!(r.body, json!("SecondFactorRequired"), "{name}");
    }
    app.stop().await;
}

#[tokio::test]
async fn account_page_lists_own_passkeys_and_codes_and_cannot_touch_anothers() {
    let app = spawn().await;
    app.account("petugas", Role::Operator, PW).await;
    app.account("kepala", Role::Head, PW).await;

    // The head registers a passkey (password, then enrolment completes the session).
    let mut head = signed_in(&app, "kepala").await;
    let mut head_key = Passkey::new();
    let r = head_key.register(&mut head, "Kunci kepala").await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = head.server_fn("account", &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let head_passkey_id = r.body["passkeys"][0]["id"].as_i64().unwrap();

    // The operator does the same, then sees only their own passkey.
    let mut op = signed_in(&app, "petugas").await;
    let mut op_key = Passkey::new();
    let r = op_key.register(&mut op, "Laptop posko").await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = op.server_fn("account", &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["account"]["role"], "operator");
    assert_eq!(r.body["manages_passkeys"], true);
    let passkeys = r.body["passkeys"].as_array().unwrap();
    assert_eq!(passkeys.len(), 1);
    assert_eq!(passkeys[0]["name"], "Laptop posko");
    let own_id = passkeys[0]["id"].as_i64().unwrap();

    // Another account's passkey is not found; the operator's last one must stay.
    let r = op
        .server_fn(
            "remove_passkey",
            &[("passkey_id", &head_passkey_id.to_string())],
        )
        .await;
    assert_eq!(
        r.body,
        json!({ "Rejected": { "code": "PASSKEY_NOT_FOUND" } })
    );
    let r = op
        .server_fn("remove_passkey", &[("passkey_id", &own_id.to_string())])
        .await;
    assert_eq!(
        r.body,
        json!({ "Rejected": { "code": "PASSKEY_LAST_REQUIRED" } })
    );
    let r = head.server_fn("account", &[]).await;
    assert_eq!(r.body["passkeys"].as_array().unwrap().len(), 1);

    // Recovery codes: ten, shown once; the count is on the account page.
    let r = op.server_fn("recovery_codes", &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body.as_array().unwrap().len(), 10);
    let r = op.server_fn("account", &[]).await;
    assert_eq!(r.body["recovery_codes_remaining"], 10);
    app.stop().await;
}

#[tokio::test]
async fn sign_out_everywhere_ends_the_other_sessions() {
    let app = spawn_single_factor().await;
    app.account("evaluator", Role::DisdukcapilEvaluator, PW)
        .await;
    let mut laptop = signed_in(&app, "evaluator").await;
    let mut phone = signed_in(&app, "evaluator").await;
    assert_eq!(
        phone.server_fn("session", &[]).await.body["state"],
        "authenticated"
    );
    let r = laptop.server_fn("sign_out_everywhere", &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        phone.server_fn("session", &[]).await.body["state"],
        "anonymous"
    );
    assert_eq!(
        laptop.server_fn("session", &[]).await.body["state"],
        "anonymous"
    );
    app.stop().await;
}
