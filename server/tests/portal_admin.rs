//! The administration server functions (`institution_admin`, `deactivate_account`,
//! `disdukcapil_institutions`, `disdukcapil_institution`, `activate_user_id`,
//! `revoke_user_id`, and the agreement editing `create_agreement`, `update_agreement`,
//! `add_addendum`, `set_agreement_status`, `record_sptjm`): anonymous and partial sessions,
//! wrong roles and another institution are refused; the right role gets its data; a
//! deactivation ends the target's session at once and is audited; staff-change notices
//! (`record_staff_change_notice`) are scoped to the admin's institution, audited, and bad
//! input writes nothing; the read-only `oversight` page serves `signatures.view` roles (the
//! head only their own institution) and changes nothing; user-ID applications never
//! carry their credential, NIK or NIP; agreement changes are audited, bad input writes nothing
//! (SQLite and PostgreSQL).

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

/// How many of [`FUNCTIONS`] belong to the institution admin.
const INSTITUTION_ADMIN_FUNCTIONS: usize = 3;

/// Every new server function, with arguments that would be valid for the right role: the
/// institution admin's first ([`INSTITUTION_ADMIN_FUNCTIONS`] of them), then the Disdukcapil
/// admin's.
const FUNCTIONS: &[(&str, &[(&str, &str)])] = &[
    ("institution_admin", &[]),
    ("deactivate_account", &[("account_id", "1")]),
    (
        "record_staff_change_notice",
        &[
            ("form[account_id]", ""),
            ("form[what_changed]", "Petugas pindah tugas"),
            ("form[notified_by]", "Admin Uji"),
            ("form[reference]", ""),
            ("form[notified_on]", "2026-01-05"),
        ],
    ),
    ("disdukcapil_institutions", &[]),
    ("disdukcapil_institution", &[("institution_id", "1")]),
    (
        "activate_user_id",
        &[("id", "1"), ("dukcapil_user_id", "BPBD3313")],
    ),
    ("revoke_user_id", &[("id", "1"), ("reason", "Pindah tugas")]),
    ("create_agreement", CREATE_ARGS),
    (
        "update_agreement",
        &[
            ("agreement_id", "1"),
            ("form[institution_number]", "100/PKS/2026"),
            ("form[dukcapil_number]", "470/12/2026"),
            ("form[institution_party]", "Kepala Dinas Sosial"),
            ("form[dukcapil_party]", "Kepala Disdukcapil"),
            ("form[signed_on]", "2026-01-05"),
            ("form[valid_from]", "2026-01-10"),
            ("form[valid_to]", "2028-01-09"),
            ("form[allowed_elements]", "nik,no_kk"),
            ("form[daily_quota]", "1000"),
        ],
    ),
    (
        "add_addendum",
        &[
            ("agreement_id", "1"),
            ("number", "ADD-9/2026"),
            ("signed_on", "2026-02-01"),
            ("valid_to", "2030-12-31"),
            ("note", ""),
        ],
    ),
    (
        "set_agreement_status",
        &[("agreement_id", "1"), ("status", "suspended")],
    ),
    (
        "record_sptjm",
        &[
            ("agreement_id", "1"),
            ("signer_name", "Kepala Uji"),
            ("signer_position", "Kepala Dinas"),
            ("signed_on", "2026-01-06"),
        ],
    ),
];

/// A complete agreement form for institution 1.
const CREATE_ARGS: &[(&str, &str)] = &[
    ("institution_id", "1"),
    ("form[institution_number]", "100/PKS/2026"),
    ("form[dukcapil_number]", "470/12/2026"),
    ("form[institution_party]", "Kepala Dinas Sosial"),
    ("form[dukcapil_party]", "Kepala Disdukcapil"),
    ("form[signed_on]", "2026-01-05"),
    ("form[valid_from]", "2026-01-10"),
    ("form[valid_to]", "2028-01-09"),
    ("form[allowed_elements]", "nik,no_kk"),
    ("form[daily_quota]", "1000"),
];

/// A server whose roles need no second factor, so a password alone authenticates fully.
async fn spawn_single_factor() -> AuthApp {
    spawn_with(TestDb::chosen().await, |c| {
        c.auth.second_factor_roles = vec![]
    })
    .await
}

async fn signed_in(app: &AuthApp, username: &str) -> Browser {
    Browser::signed_in(app, username, PW).await
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
    for (name, args) in &FUNCTIONS[INSTITUTION_ADMIN_FUNCTIONS..] {
        let r = admin.server_fn(name, args).await;
        assert_eq!(r.body, json!("Forbidden"), "admin {name}");
    }
    let mut dukcapil = signed_in(&app, "dukcapil").await;
    let session = dukcapil.server_fn("session", &[]).await;
    assert_eq!(session.body["account"]["institution_admin"], false);
    assert_eq!(session.body["account"]["disdukcapil_admin"], true);
    for (name, args) in &FUNCTIONS[..INSTITUTION_ADMIN_FUNCTIONS] {
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

/// The agreement form's fields for `institution_id`, with `changes` applied.
fn agreement_form(institution_id: i64, changes: &[(&str, &str)]) -> Vec<(String, String)> {
    let today = sigap_server::wib_today();
    let mut form: Vec<(String, String)> = vec![
        ("institution_id".into(), institution_id.to_string()),
        ("form[institution_number]".into(), "045/DINSOS/PKS/2026".into()),
        ("form[dukcapil_number]".into(), "470/88/DUKCAPIL/2026".into()),
        ("form[institution_party]".into(), "Kepala Dinas Sosial".into()),
        ("form[dukcapil_party]".into(), "Kepala Disdukcapil".into()),
        (
            "form[signed_on]".into(),
            (today - time::Duration::days(40)).to_string(),
        ),
        (
            "form[valid_from]".into(),
            (today - time::Duration::days(30)).to_string(),
        ),
        (
            "form[valid_to]".into(),
            (today + time::Duration::days(300)).to_string(),
        ),
        (
            "form[allowed_elements]".into(),
            "nik,no_kk,nama_lengkap,jenis_kelamin,tempat_lahir,tanggal_lahir,status_perkawinan,jenis_pekerjaan,alamat".into(),
        ),
        ("form[daily_quota]".into(), "1000".into()),
    ];
    for (k, v) in changes {
        match form.iter_mut().find(|(name, _)| name == k) {
            Some(field) => field.1 = (*v).to_string(),
            None => form.push(((*k).to_string(), (*v).to_string())),
        }
    }
    form
}

async fn call(b: &mut Browser, name: &str, args: &[(String, String)]) -> auth_support::Answer {
    let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    b.server_fn(name, &args).await
}

async fn audit_count(app: &AuthApp, prefix: &str) -> usize {
    app.storage
        .list_audit_events(&AuditEventFilter {
            event_prefix: Some(prefix.into()),
            limit: 1000,
            ..Default::default()
        })
        .await
        .unwrap()
        .len()
}

fn rejected(code: &str) -> Value {
    json!({ "Rejected": { "code": code } })
}

/// The Disdukcapil admin creates, corrects, signs, activates, extends, suspends and terminates
/// an agreement; every change is audited and every refusal writes nothing.
async fn agreement_editing_story(db: TestDb) {
    let app = spawn_with(db, |c| c.auth.second_factor_roles = vec![]).await;
    app.account("dukcapil", Role::DisdukcapilAdmin, PW).await;
    let (other, _) = other_institution(&app).await;
    let mut b = signed_in(&app, "dukcapil").await;

    // Bad input is refused with its code and writes nothing.
    let before = audit_count(&app, "agreement.").await;
    for (changes, code) in [
        (
            vec![("form[valid_to]", "2020-01-01")],
            "AGREEMENT_DATES_INVALID",
        ),
        (
            vec![("form[signed_on]", "5 Januari")],
            "AGREEMENT_DATES_INVALID",
        ),
        (vec![("form[allowed_elements]", "")], "ELEMENTS_INVALID"),
        (
            vec![("form[allowed_elements]", "nik,agama")],
            "ELEMENTS_INVALID",
        ),
        (vec![("form[daily_quota]", "0")], "QUOTA_INVALID"),
        (vec![("form[daily_quota]", "banyak")], "QUOTA_INVALID"),
        (vec![("form[institution_party]", " ")], "PARTY_INVALID"),
        (
            vec![("form[dukcapil_number]", "045/DINSOS/PKS/2026")],
            "AGREEMENT_NUMBER_INVALID",
        ),
    ] {
        let r = call(&mut b, "create_agreement", &agreement_form(other, &changes)).await;
        assert_eq!(r.body, rejected(code), "{changes:?}");
        assert_eq!(r.status, StatusCode::CONFLICT);
    }
    assert!(app.storage.list_agreements(other).await.unwrap().is_empty());
    assert_eq!(audit_count(&app, "agreement.").await, before);
    let r = call(&mut b, "create_agreement", &agreement_form(999_999, &[])).await;
    assert_eq!(r.body, json!("NotFound"));

    // Created as a draft with the nine elements and a quota of 1,000.
    let r = call(&mut b, "create_agreement", &agreement_form(other, &[])).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let a = &r.body["agreements"][0];
    assert_eq!(a["status"], "draft");
    assert_eq!(a["daily_quota"], 1000);
    assert_eq!(a["allowed_elements"].as_array().unwrap().len(), 9);
    assert_eq!(a["next_statuses"], json!(["active", "terminated"]));
    assert_eq!(r.body["all_elements"].as_array().unwrap().len(), 9);
    assert_eq!(r.body["institution"]["access"]["reason"], "AGREEMENT_DRAFT");
    let id = a["id"].as_i64().unwrap().to_string();
    // The same number again is taken.
    let r = call(&mut b, "create_agreement", &agreement_form(other, &[])).await;
    assert_eq!(r.body, rejected("AGREEMENT_NUMBER_TAKEN"));

    // Corrected while draft; a bad correction changes nothing.
    let mut edit = agreement_form(other, &[("form[daily_quota]", "500")]);
    edit.retain(|(k, _)| k != "institution_id");
    edit.push(("agreement_id".into(), id.clone()));
    let r = call(&mut b, "update_agreement", &edit).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["agreements"][0]["daily_quota"], 500);
    let mut bad = edit.clone();
    for f in bad.iter_mut().filter(|(k, _)| k == "form[valid_from]") {
        f.1 = "2099-01-01".into();
    }
    let r = call(&mut b, "update_agreement", &bad).await;
    assert_eq!(r.body, rejected("AGREEMENT_DATES_INVALID"));
    let stored = &app.storage.list_agreements(other).await.unwrap()[0];
    assert_eq!(stored.daily_quota, 500);
    assert_eq!(
        stored.valid_from,
        sigap_server::wib_today() - time::Duration::days(30)
    );

    // The head's SPTJM, then activation: access is in force.
    let sptjm = |name: &str, on: &str| {
        vec![
            ("agreement_id".to_string(), id.clone()),
            ("signer_name".to_string(), name.to_string()),
            (
                "signer_position".to_string(),
                "Kepala Dinas Sosial".to_string(),
            ),
            ("signed_on".to_string(), on.to_string()),
        ]
    };
    let r = call(&mut b, "record_sptjm", &sptjm(" ", "2026-01-06")).await;
    assert_eq!(r.body, rejected("SPTJM_INVALID"));
    let r = call(&mut b, "record_sptjm", &sptjm("Kepala Uji", "kemarin")).await;
    assert_eq!(r.body, rejected("SPTJM_INVALID"));
    let r = call(&mut b, "record_sptjm", &sptjm("Kepala Uji", "2026-01-06")).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["agreements"][0]["sptjm_signer"], "Kepala Uji");
    assert_eq!(r.body["agreements"][0]["sptjm_signed_on"], "2026-01-06");
    let status = |s: &str| {
        vec![
            ("agreement_id".to_string(), id.clone()),
            ("status".to_string(), s.to_string()),
        ]
    };
    let r = call(&mut b, "set_agreement_status", &status("draft")).await;
    assert_eq!(r.body, rejected("AGREEMENT_STATUS_INVALID"));
    let r = call(&mut b, "set_agreement_status", &status("active")).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["institution"]["access"]["active"], true);
    assert_eq!(
        r.body["agreements"][0]["next_statuses"],
        json!(["suspended", "terminated"])
    );
    // Signed agreements are not edited: only addenda and status changes.
    let r = call(&mut b, "update_agreement", &edit).await;
    assert_eq!(r.body, rejected("AGREEMENT_NOT_DRAFT"));

    // An addendum extends the validity; one that does not extend it is refused.
    let new_end = (sigap_server::wib_today() + time::Duration::days(700)).to_string();
    let addendum = |number: &str, valid_to: &str| {
        vec![
            ("agreement_id".to_string(), id.clone()),
            ("number".to_string(), number.to_string()),
            ("signed_on".to_string(), "2026-03-01".to_string()),
            ("valid_to".to_string(), valid_to.to_string()),
            ("note".to_string(), "Perpanjangan".to_string()),
        ]
    };
    let r = call(&mut b, "add_addendum", &addendum("ADD-1/2026", &new_end)).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        r.body["agreements"][0]["effective_valid_to"],
        json!(new_end)
    );
    assert_eq!(r.body["institution"]["access"]["valid_to"], json!(new_end));
    let r = call(
        &mut b,
        "add_addendum",
        &addendum("ADD-2/2026", "2026-01-01"),
    )
    .await;
    assert_eq!(r.body, rejected("ADDENDUM_NOT_LATER"));
    let r = call(
        &mut b,
        "add_addendum",
        &addendum("ADD-3/2026", "31/12/2030"),
    )
    .await;
    assert_eq!(r.body, rejected("ADDENDUM_INVALID"));
    assert_eq!(
        app.storage.list_agreements(other).await.unwrap()[0]
            .addenda
            .len(),
        1
    );

    // Suspended: access stops; terminated: final.
    let r = call(&mut b, "set_agreement_status", &status("suspended")).await;
    assert_eq!(
        r.body["institution"]["access"]["reason"],
        "AGREEMENT_SUSPENDED"
    );
    let r = call(&mut b, "set_agreement_status", &status("terminated")).await;
    assert_eq!(r.body["agreements"][0]["status"], "terminated");
    assert_eq!(r.body["agreements"][0]["next_statuses"], json!([]));
    let r = call(&mut b, "set_agreement_status", &status("active")).await;
    assert_eq!(r.body, rejected("AGREEMENT_STATUS_TRANSITION"));
    let r = call(&mut b, "record_sptjm", &sptjm("Kepala Baru", "2026-04-01")).await;
    assert_eq!(r.body, rejected("AGREEMENT_TERMINATED"));
    let far = (sigap_server::wib_today() + time::Duration::days(2000)).to_string();
    let r = call(&mut b, "add_addendum", &addendum("ADD-4/2026", &far)).await;
    assert_eq!(r.body, rejected("AGREEMENT_TERMINATED"));

    // Every change is audited once, with the admin as actor and the institution named.
    let events = app
        .storage
        .list_audit_events(&AuditEventFilter {
            event_prefix: Some("agreement.".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let subject = format!("agreement:{id}");
    let mine: Vec<&str> = events
        .iter()
        .filter(|e| e.subject.as_deref() == Some(subject.as_str()))
        .inspect(|e| {
            assert_eq!(e.actor_username.as_deref(), Some("dukcapil"));
            assert_eq!(e.institution_id, Some(other));
        })
        .map(|e| e.event.as_str())
        .collect();
    let count = |name: &str| mine.iter().filter(|e| **e == name).count();
    assert_eq!(count("agreement.create"), 1, "{mine:?}");
    assert_eq!(count("agreement.update"), 1, "{mine:?}");
    assert_eq!(count("agreement.sptjm_record"), 1, "{mine:?}");
    assert_eq!(count("agreement.addendum"), 1, "{mine:?}");
    assert_eq!(count("agreement.status_change"), 3, "{mine:?}");
    assert_eq!(mine.len(), 7, "{mine:?}");
    app.stop().await;
}

#[tokio::test]
async fn disdukcapil_admin_edits_agreements_sqlite() {
    agreement_editing_story(TestDb::sqlite()).await;
}

#[tokio::test]
async fn disdukcapil_admin_edits_agreements_postgres() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    agreement_editing_story(db).await;
}

#[tokio::test]
async fn agreement_editing_is_refused_before_any_lookup() {
    let app = spawn_single_factor().await;
    app.account("admin", Role::InstitutionAdmin, PW).await;
    app.account("evaluator", Role::DisdukcapilEvaluator, PW)
        .await;
    let before = app
        .storage
        .list_agreements(app.institution_id)
        .await
        .unwrap();
    for username in ["admin", "evaluator"] {
        let mut b = signed_in(&app, username).await;
        // A missing agreement is FORBIDDEN to the wrong role, never NOT_FOUND.
        let r = b
            .server_fn(
                "set_agreement_status",
                &[("agreement_id", "999999"), ("status", "active")],
            )
            .await;
        assert_eq!(r.body, json!("Forbidden"), "{username}");
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let args = agreement_form(app.institution_id, &[]);
        let r = call(&mut b, "create_agreement", &args).await;
        assert_eq!(r.body, json!("Forbidden"), "{username}");
    }
    assert_eq!(
        app.storage
            .list_agreements(app.institution_id)
            .await
            .unwrap(),
        before
    );
    app.stop().await;
}

fn notice_form(account: &str, what: &str, by: &str, on: &str) -> Vec<(String, String)> {
    vec![
        ("form[account_id]".into(), account.into()),
        ("form[what_changed]".into(), what.into()),
        ("form[notified_by]".into(), by.into()),
        ("form[reference]".into(), "800/112/BPBD/2026".into()),
        ("form[notified_on]".into(), on.into()),
    ]
}

/// The institution admin records staff-change notices for their own institution only; each
/// is audited and listed with the local user ID concerned; bad input writes nothing.
async fn staff_notice_story(db: TestDb) {
    let app = spawn_with(db, |c| c.auth.second_factor_roles = vec![]).await;
    let admin_account = app.account("admin", Role::InstitutionAdmin, PW).await;
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
    let (other, foreign) = other_institution(&app).await;
    // A notice of the other institution, which this admin must never see.
    app.storage
        .record_staff_change_notice(
            &sigap_server::storage::NewStaffChangeNotice {
                institution_id: other,
                account_id: Some(foreign),
                what_changed: "Rahasia instansi lain".into(),
                notified_by: "Admin Dinsos".into(),
                reference: None,
                notified_at: sigap_server::now_ms(),
            },
            &Actor::system("test"),
            sigap_server::now_ms(),
        )
        .await
        .unwrap();
    let today = sigap_server::wib_today().to_string();
    let tomorrow = (sigap_server::wib_today() + time::Duration::days(1)).to_string();
    let op = operator.id.to_string();
    let mut b = signed_in(&app, "admin").await;

    let r = call(
        &mut b,
        "record_staff_change_notice",
        &notice_form(
            &op,
            "Petugas pindah ke Bidang Logistik",
            "Admin Uji, Kasubag Umum",
            &today,
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let notices = r.body["notices"].as_array().unwrap();
    assert_eq!(notices.len(), 1, "{notices:?}");
    let n = &notices[0];
    assert_eq!(n["username"], "petugas");
    assert_eq!(n["local_user_id"], "BPBD-01");
    assert_eq!(n["what_changed"], "Petugas pindah ke Bidang Logistik");
    assert_eq!(n["notified_by"], "Admin Uji, Kasubag Umum");
    assert_eq!(n["reference"], "800/112/BPBD/2026");
    assert_eq!(n["recorded_by"], "admin");
    assert!(!r.body.to_string().contains("Rahasia instansi lain"));
    let events = app
        .storage
        .list_audit_events(&AuditEventFilter {
            event_prefix: Some("staff_change.notice".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.actor_account_id == Some(admin_account.id)
                && e.institution_id == Some(app.institution_id)),
        "{events:?}"
    );

    // Bad input: refused with its code, nothing written.
    let audited = audit_count(&app, "staff_change.").await;
    for (form, code) in [
        (
            notice_form(&op, "  ", "Admin Uji", &today),
            "NOTICE_INVALID",
        ),
        (notice_form(&op, "Pindah", "", &today), "NOTICE_INVALID"),
        (
            notice_form(&op, "Pindah", "Admin\nUji", &today),
            "NOTICE_INVALID",
        ),
        (
            notice_form("abc", "Pindah", "Admin Uji", &today),
            "NOTICE_INVALID",
        ),
        (
            notice_form(&op, "Pindah", "Admin Uji", &tomorrow),
            "NOTICE_DATE_INVALID",
        ),
        (
            notice_form(&op, "Pindah", "Admin Uji", "kemarin"),
            "NOTICE_DATE_INVALID",
        ),
    ] {
        let r = call(&mut b, "record_staff_change_notice", &form).await;
        assert_eq!(r.body, rejected(code), "{form:?}");
    }
    // Another institution's account is FORBIDDEN; an unknown one NOT_FOUND.
    let r = call(
        &mut b,
        "record_staff_change_notice",
        &notice_form(&foreign.to_string(), "Pindah", "Admin Uji", &today),
    )
    .await;
    assert_eq!(r.body, json!("Forbidden"));
    let r = call(
        &mut b,
        "record_staff_change_notice",
        &notice_form("999999", "Pindah", "Admin Uji", &today),
    )
    .await;
    assert_eq!(r.body, json!("NotFound"));
    assert_eq!(audit_count(&app, "staff_change.").await, audited);
    assert_eq!(
        app.storage
            .list_staff_change_notices(app.institution_id)
            .await
            .unwrap()
            .len(),
        1
    );

    // A notice about no single account.
    let r = call(
        &mut b,
        "record_staff_change_notice",
        &notice_form("", "Penggantian admin instansi", "Kepala Pelaksana", &today),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["notices"].as_array().unwrap().len(), 2);
    assert!(
        r.body["notices"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["username"].is_null() && n["local_user_id"].is_null())
    );
    // The page lists them too.
    let r = b.server_fn("institution_admin", &[]).await;
    assert_eq!(r.body["notices"].as_array().unwrap().len(), 2);
    app.stop().await;
}

#[tokio::test]
async fn institution_admin_records_staff_change_notices_sqlite() {
    staff_notice_story(TestDb::sqlite()).await;
}

#[tokio::test]
async fn institution_admin_records_staff_change_notices_postgres() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    staff_notice_story(db).await;
}

/// The oversight page: the evaluator and the auditor see every institution, the head only
/// their own; who accepted the current NDA and who has not; nothing written, no NIK or NIP.
async fn oversight_story(db: TestDb) {
    let app = spawn_with(db, |c| c.auth.second_factor_roles = vec![]).await;
    app.account("evaluator", Role::DisdukcapilEvaluator, PW)
        .await;
    app.account("auditor", Role::Auditor, PW).await;
    app.account("kepala", Role::Head, PW).await;
    app.account("admin", Role::InstitutionAdmin, PW).await;
    app.account("petugas", Role::Operator, PW).await;
    app.account("belum", Role::Operator, PW).await;
    let gone = app.account("pensiun", Role::Operator, PW).await;
    app.storage
        .deactivate_account(gone.id, &Actor::system("test"), sigap_server::now_ms())
        .await
        .unwrap();
    let (other, _) = other_institution(&app).await;
    application(&app, "BPBD-07").await;
    // `petugas` accepts the current NDA; `belum` does not.
    let mut op = signed_in(&app, "petugas").await;
    let nda = op.server_fn("current_nda", &[]).await;
    let version_id = nda.body["version_id"].as_i64().unwrap().to_string();
    op.server_fn("accept_nda", &[("version_id", &version_id)])
        .await;

    for (username, expected) in [
        ("evaluator", true),
        ("auditor", true),
        ("kepala", true),
        ("admin", false),
        ("petugas", false),
    ] {
        let mut b = signed_in(&app, username).await;
        let session = b.server_fn("session", &[]).await;
        assert_eq!(session.body["account"]["oversight"], expected, "{username}");
    }

    let mut evaluator = signed_in(&app, "evaluator").await;
    let before = audit_count(&app, "").await;
    let r = evaluator.server_fn("oversight", &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["all_institutions"], true);
    let ids: Vec<i64> = r.body["institutions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["institution"]["id"].as_i64().unwrap())
        .collect();
    assert!(
        ids.contains(&app.institution_id) && ids.contains(&other),
        "{ids:?}"
    );
    let bpbd = r.body["institutions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["institution"]["id"] == json!(app.institution_id))
        .unwrap()
        .clone();
    // The demo agreement with its addendum and SPTJM.
    let agreement = &bpbd["agreements"][0];
    assert!(agreement["sptjm_signer"].is_string(), "{agreement:?}");
    assert!(!agreement["addenda"].as_array().unwrap().is_empty());
    let signatures = bpbd["signatures"].as_array().unwrap();
    let row = |name: &str| signatures.iter().find(|s| s["username"] == name).cloned();
    assert_eq!(row("petugas").unwrap()["current"], true);
    assert_eq!(
        row("petugas").unwrap()["accepted_version"],
        bpbd["current_nda_version"]
    );
    assert_eq!(row("belum").unwrap()["current"], false);
    assert!(row("belum").unwrap()["accepted_at_ms"].is_null());
    assert!(
        row("pensiun").is_none(),
        "deactivated accounts are not listed"
    );
    assert!(row("evaluator").is_none());
    let text = r.body.to_string();
    assert!(!text.contains("3313011501850001"), "no NIK");
    assert!(!text.contains("198501152010011001"), "no NIP");
    let mut auditor = signed_in(&app, "auditor").await;
    let before_auditor = audit_count(&app, "").await;
    let r = auditor.server_fn("oversight", &[]).await;
    assert_eq!(r.body["institutions"].as_array().unwrap().len(), ids.len());
    // Reading writes nothing.
    assert_eq!(audit_count(&app, "").await, before_auditor);
    assert!(before_auditor >= before);

    // The head: their own institution only.
    let mut head = signed_in(&app, "kepala").await;
    let r = head.server_fn("oversight", &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["all_institutions"], false);
    let list = r.body["institutions"].as_array().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["institution"]["id"], json!(app.institution_id));
    assert!(!r.body.to_string().contains("Dinas Sosial"));
    app.stop().await;
}

#[tokio::test]
async fn oversight_is_read_only_and_scoped_sqlite() {
    oversight_story(TestDb::sqlite()).await;
}

#[tokio::test]
async fn oversight_is_read_only_and_scoped_postgres() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    oversight_story(db).await;
}

#[tokio::test]
async fn oversight_refuses_other_roles() {
    let app = spawn().await;
    app.account("evaluator", Role::DisdukcapilEvaluator, PW)
        .await;
    let mut anonymous = Browser::new(&app);
    let r = anonymous.server_fn("oversight", &[]).await;
    assert_eq!(r.body, json!("AuthRequired"));
    let mut partial = signed_in(&app, "evaluator").await;
    let r = partial.server_fn("oversight", &[]).await;
    assert_eq!(r.body, json!("SecondFactorRequired"));
    app.stop().await;

    let app = spawn_single_factor().await;
    app.account("petugas", Role::Operator, PW).await;
    let mut op = signed_in(&app, "petugas").await;
    let r = op.server_fn("oversight", &[]).await;
    assert_eq!(r.body, json!("Forbidden"));
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    app.stop().await;
}
