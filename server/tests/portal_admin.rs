//! The administration server functions (`institution_admin`, `deactivate_account`,
//! `disdukcapil_institutions`, `disdukcapil_institution`, `activate_user_id`,
//! `revoke_user_id`): anonymous and partial sessions, wrong roles and another institution are
//! refused; the right role gets its data; a deactivation ends the target's session at once and
//! is audited; user-ID applications never carry their credential, NIK or NIP.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod auth_support;
mod common;

use auth_support::{AuthApp, Browser, spawn, spawn_with};
use common::TestDb;
use domain::access::Role;
use domain::identity::EmploymentStatus;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sigap_server::storage::{
    Actor, AuditEventFilter, NewAccount, NewInstitution, UserIdApplication,
};

const PW: &str = "Gunung-Lawu-Berkabut-22";

/// Every new server function, with arguments that would be valid for the right role.
const FUNCTIONS: &[(&str, &[(&str, &str)])] = &[
    ("institution_admin", &[]),
    ("deactivate_account", &[("account_id", "1")]),
    ("disdukcapil_institutions", &[]),
    ("disdukcapil_institution", &[("institution_id", "1")]),
    (
        "activate_user_id",
        &[("id", "1"), ("dukcapil_user_id", "BPBD3313")],
    ),
    ("revoke_user_id", &[("id", "1"), ("reason", "Pindah tugas")]),
];

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

/// A second institution with one operator of its own.
async fn other_institution(app: &AuthApp) -> (i64, i64) {
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
    let operator = app
        .storage
        .create_account(
            &NewAccount {
                username: "petugas.dinsos".into(),
                display_name: "Petugas Dinsos".into(),
                role: Role::Operator,
                institution_id: Some(other.id),
                local_user_id: None,
                password_hash: Some(sigap_server::auth::hash_password(PW).unwrap()),
                demo_password: false,
            },
            &Actor::system("test"),
            now,
        )
        .await
        .unwrap();
    (other.id, operator.id)
}

/// A user-ID application of the test institution.
async fn application(app: &AuthApp, local_user_id: &str) -> i64 {
    app.storage
        .submit_user_id_application(
            &UserIdApplication {
                institution_id: app.institution_id,
                nik: "3313011501850001".into(),
                full_name: "Petugas Satu".into(),
                nip: Some("198501152010011001".into()),
                employment_status: EmploymentStatus::Pns,
                position: "Analis Kebencanaan".into(),
                office_region_code: "33.13".into(),
                office_name: "BPBD Kabupaten Karanganyar".into(),
                office_address: "Jl. Contoh No. 1, Karanganyar".into(),
                local_user_id: local_user_id.into(),
            },
            &Actor::system("test"),
            sigap_server::now_ms(),
        )
        .await
        .unwrap()
        .id
}

#[tokio::test]
async fn admin_functions_refuse_anonymous_and_partial_sessions() {
    let app = spawn().await;
    app.account("admin", Role::InstitutionAdmin, PW).await;
    app.account("dukcapil", Role::DisdukcapilAdmin, PW).await;
    let mut anonymous = Browser::new(&app);
    let mut partial_admin = signed_in(&app, "admin").await;
    let mut partial_dukcapil = signed_in(&app, "dukcapil").await;
    for (name, args) in FUNCTIONS {
        let r = anonymous.server_fn(name, args).await;
        assert!(!r.status.is_success(), "{name}");
        assert_eq!(r.body, json!("AuthRequired"), "{name}");
        for b in [&mut partial_admin, &mut partial_dukcapil] {
            let r = b.server_fn(name, args).await;
            assert_eq!(r.body, json!("SecondFactorRequired"), "{name}");
        }
    }
    app.stop().await;
}

#[tokio::test]
async fn admin_functions_refuse_wrong_roles() {
    let app = spawn_single_factor().await;
    for (username, role) in [
        ("petugas", Role::Operator),
        ("kepala", Role::Head),
        ("evaluator", Role::DisdukcapilEvaluator),
        ("auditor", Role::Auditor),
    ] {
        app.account(username, role, PW).await;
        let mut b = signed_in(&app, username).await;
        let session = b.server_fn("session", &[]).await;
        assert_eq!(session.body["account"]["institution_admin"], false);
        assert_eq!(session.body["account"]["disdukcapil_admin"], false);
        for (name, args) in FUNCTIONS {
            let r = b.server_fn(name, args).await;
            assert_eq!(r.body, json!("Forbidden"), "{username} {name}");
        }
    }
    // Each admin is refused the other admin's functions.
    app.account("admin", Role::InstitutionAdmin, PW).await;
    app.account("dukcapil", Role::DisdukcapilAdmin, PW).await;
    let mut admin = signed_in(&app, "admin").await;
    let session = admin.server_fn("session", &[]).await;
    assert_eq!(session.body["account"]["institution_admin"], true);
    assert_eq!(session.body["account"]["disdukcapil_admin"], false);
    for (name, args) in &FUNCTIONS[2..] {
        let r = admin.server_fn(name, args).await;
        assert_eq!(r.body, json!("Forbidden"), "admin {name}");
    }
    let mut dukcapil = signed_in(&app, "dukcapil").await;
    let session = dukcapil.server_fn("session", &[]).await;
    assert_eq!(session.body["account"]["institution_admin"], false);
    assert_eq!(session.body["account"]["disdukcapil_admin"], true);
    for (name, args) in &FUNCTIONS[..2] {
        let r = dukcapil.server_fn(name, args).await;
        assert_eq!(r.body, json!("Forbidden"), "dukcapil {name}");
    }
    app.stop().await;
}

#[tokio::test]
async fn institution_admin_sees_own_accounts_signatures_and_agreement_state() {
    let app = spawn_single_factor().await;
    app.account("admin", Role::InstitutionAdmin, PW).await;
    let operator = app.account("petugas", Role::Operator, PW).await;
    app.storage
        .set_local_user_id(
            operator.id,
            Some("BPBD-01"),
            &Actor::system("test"),
            sigap_server::now_ms(),
        )
        .await
        .unwrap();
    // The operator accepts the NDA: the admin sees who signed which version.
    let mut op = signed_in(&app, "petugas").await;
    let nda = op.server_fn("current_nda", &[]).await;
    let version_id = nda.body["version_id"].as_i64().unwrap().to_string();
    let r = op
        .server_fn("accept_nda", &[("version_id", &version_id)])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    other_institution(&app).await;

    let mut admin = signed_in(&app, "admin").await;
    let r = admin.server_fn("institution_admin", &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let v = &r.body;
    assert_eq!(v["institution_name"], "BPBD Kabupaten Karanganyar");
    let accounts = v["accounts"].as_array().unwrap();
    let usernames: Vec<&str> = accounts
        .iter()
        .map(|a| a["username"].as_str().unwrap())
        .collect();
    assert!(usernames.contains(&"admin") && usernames.contains(&"petugas"));
    // One institution never sees another's accounts.
    assert!(!usernames.contains(&"petugas.dinsos"), "{usernames:?}");
    let petugas = accounts
        .iter()
        .find(|a| a["username"] == "petugas")
        .unwrap();
    assert_eq!(petugas["role"], "operator");
    assert_eq!(petugas["local_user_id"], "BPBD-01");
    assert_eq!(petugas["active"], true);
    assert_eq!(petugas["nda_accepted_version"], v["current_nda_version"]);
    assert!(petugas["nda_accepted_at_ms"].as_i64().is_some());
    assert_eq!(petugas["deactivatable"], true);
    let me = accounts.iter().find(|a| a["username"] == "admin").unwrap();
    assert_eq!(me["deactivatable"], false);
    assert!(
        v["local_user_ids"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["local_user_id"] == "BPBD-01" && h["username"] == "petugas")
    );
    // The access state is always present: active with its end, or a reason code.
    let access = &v["access"];
    assert!(
        access["active"] == json!(true) || access["reason"].as_str().is_some(),
        "{access:?}"
    );
    assert!(v["agreements"].is_array());
    app.stop().await;
}

#[tokio::test]
async fn deactivation_ends_the_targets_session_and_is_audited() {
    let app = spawn_single_factor().await;
    app.account("admin", Role::InstitutionAdmin, PW).await;
    let operator = app.account("petugas", Role::Operator, PW).await;
    let mut op = signed_in(&app, "petugas").await;
    assert_eq!(
        op.server_fn("session", &[]).await.body["state"],
        "authenticated"
    );

    let mut admin = signed_in(&app, "admin").await;
    let id = operator.id.to_string();
    let r = admin
        .server_fn("deactivate_account", &[("account_id", &id)])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let row = r.body["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["username"] == "petugas")
        .unwrap()
        .clone();
    assert_eq!(row["active"], false);
    assert_eq!(row["deactivatable"], false);

    // The operator's session has ended at once.
    let r = op.server_fn("session", &[]).await;
    assert_eq!(r.body["state"], "anonymous", "{:?}", r.body);
    let r = op.server_fn("current_nda", &[]).await;
    assert_eq!(r.body, json!("AuthRequired"));
    assert_eq!(
        app.storage
            .count_account_sessions(operator.id, sigap_server::now_ms())
            .await
            .unwrap(),
        0
    );
    let account = app
        .storage
        .account_by_id(operator.id)
        .await
        .unwrap()
        .unwrap();
    assert!(!account.is_active());

    // Audited, with the admin as actor.
    let events = app
        .storage
        .list_audit_events(&AuditEventFilter {
            event_prefix: Some("account.deactivate".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(
        events.iter().any(|e| e.event == "account.deactivate"
            && e.actor_username.as_deref() == Some("admin")
            && e.subject.as_deref() == Some(format!("account:{}", operator.id).as_str())),
        "{events:?}"
    );

    // Twice is refused with its code; oneself is refused.
    let r = admin
        .server_fn("deactivate_account", &[("account_id", &id)])
        .await;
    assert_eq!(
        r.body,
        json!({ "Rejected": { "code": "ACCOUNT_DEACTIVATED" } })
    );
    let me = app
        .storage
        .account_by_username("admin")
        .await
        .unwrap()
        .unwrap();
    let r = admin
        .server_fn("deactivate_account", &[("account_id", &me.id.to_string())])
        .await;
    assert_eq!(r.body, json!("Forbidden"));
    app.stop().await;
}

#[tokio::test]
async fn institution_admin_cannot_deactivate_another_institutions_account() {
    let app = spawn_single_factor().await;
    app.account("admin", Role::InstitutionAdmin, PW).await;
    let head = app.account("kepala", Role::Head, PW).await;
    let (_, foreign) = other_institution(&app).await;
    let mut admin = signed_in(&app, "admin").await;
    for target in [foreign, head.id] {
        let r = admin
            .server_fn("deactivate_account", &[("account_id", &target.to_string())])
            .await;
        assert_eq!(r.body, json!("Forbidden"), "{target}");
        assert!(
            app.storage
                .account_by_id(target)
                .await
                .unwrap()
                .unwrap()
                .is_active()
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn disdukcapil_admin_sees_institutions_agreements_and_applications() {
    let app = spawn_single_factor().await;
    app.account("dukcapil", Role::DisdukcapilAdmin, PW).await;
    let (other, _) = other_institution(&app).await;
    let entry = application(&app, "BPBD-07").await;
    let mut b = signed_in(&app, "dukcapil").await;

    let r = b.server_fn("disdukcapil_institutions", &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let list = r.body.as_array().unwrap();
    assert!(list.iter().any(|i| i["id"] == json!(app.institution_id)));
    let dinsos = list.iter().find(|i| i["id"] == json!(other)).unwrap();
    assert_eq!(dinsos["access"]["active"], false);
    assert_eq!(dinsos["access"]["reason"], "NO_AGREEMENT");

    let r = b
        .server_fn(
            "disdukcapil_institution",
            &[("institution_id", &app.institution_id.to_string())],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert!(r.body["agreements"].is_array());
    let ids = r.body["user_ids"].as_array().unwrap();
    let row = ids.iter().find(|u| u["id"] == json!(entry)).unwrap();
    assert_eq!(row["status"], "requested");
    assert_eq!(row["local_user_id"], "BPBD-07");
    // Never the NIK, the NIP or a credential.
    let text = r.body.to_string();
    assert!(!text.contains("3313011501850001"), "{text}");
    assert!(!text.contains("198501152010011001"), "{text}");
    assert!(row.get("credential").is_none());

    let r = b
        .server_fn("disdukcapil_institution", &[("institution_id", "999999")])
        .await;
    assert_eq!(r.body, json!("NotFound"));
    app.stop().await;
}

#[tokio::test]
async fn disdukcapil_admin_activates_and_revokes_user_ids() {
    let app = spawn_single_factor().await;
    app.account("dukcapil", Role::DisdukcapilAdmin, PW).await;
    let entry = application(&app, "BPBD-07").await;
    let id = entry.to_string();
    let mut b = signed_in(&app, "dukcapil").await;

    let find = |body: &Value| {
        body["user_ids"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["id"] == json!(entry))
            .unwrap()
            .clone()
    };
    let r = b
        .server_fn(
            "activate_user_id",
            &[("id", &id), ("dukcapil_user_id", "BPBD3313")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let row = find(&r.body);
    assert_eq!(row["status"], "active");
    assert_eq!(row["dukcapil_user_id"], "BPBD3313");

    // Activating again is not a valid transition.
    let r = b
        .server_fn(
            "activate_user_id",
            &[("id", &id), ("dukcapil_user_id", "BPBD3313")],
        )
        .await;
    assert_eq!(
        r.body,
        json!({ "Rejected": { "code": "USER_ID_STATUS_TRANSITION" } })
    );

    let r = b
        .server_fn("revoke_user_id", &[("id", &id), ("reason", "Pindah tugas")])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let row = find(&r.body);
    assert_eq!(row["status"], "revoked");
    assert_eq!(row["revoke_reason"], "Pindah tugas");

    let r = b
        .server_fn("revoke_user_id", &[("id", "999999"), ("reason", "x")])
        .await;
    assert_eq!(r.body, json!("NotFound"));
    app.stop().await;
}
