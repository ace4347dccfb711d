//! Card readers in the portal (issue 6 items 6 and 7), through the server functions as the
//! pages call them: the inventory (`readers`, `register_reader` with the secret shown once,
//! `set_reader_status`, `rotate_reader_secret`; audited, secret never in the audit trail;
//! Disdukcapil admins read every reader, without controls), pairing (`reader_pairing`: refused
//! for unknown, inactive and retired readers, another institution's reader, a missing NDA, an
//! inactive institution; the token verifies with `domain::pairing` and the secret shown at
//! registration, and stops verifying after a rotation), and the card comparison
//! (`card_compare`: exactly one quota hit, differences flagged per element, `no-store`, one
//! access entry on channel `reader` with the fingerprint verdict, nothing of the resident
//! stored) — on SQLite and PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod auth_support;
mod common;

use auth_support::{AuthApp, Browser, spawn_with_upstream};
use common::TestDb;
use domain::access::Role;
use domain::pairing::{self, ReaderSecret};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sigap_server::storage::{
    AccessEventFilter, Actor, AuditEventFilter, NewAccount, NewInstitution, ReaderStatus,
};

const PW: &str = "Gunung-Lawu-Berkabut-22";

async fn signed_in(app: &AuthApp, username: &str, password: &str) -> Browser {
    Browser::signed_in(app, username, password).await
}

/// A page as the browser gets it: status and HTML.
async fn page(app: &AuthApp, b: &Browser, path: &str) -> (StatusCode, String) {
    let mut req = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .unwrap()
        .get(app.url(path));
    if let Some(c) = &b.cookie {
        req = req.header(reqwest::header::COOKIE, format!("sigap_session={c}"));
    }
    let res = req.send().await.unwrap();
    (res.status(), res.text().await.unwrap())
}

fn rejected(body: &Value) -> &str {
    body["Rejected"]["code"].as_str().unwrap_or("")
}

async fn register(b: &mut Browser, reader_id: &str) -> (StatusCode, Value) {
    let r = b
        .server_fn(
            "register_reader",
            &[
                ("form[reader_id]", reader_id),
                ("form[work_unit]", "Pusdalops BPBD"),
                ("form[serial_number]", "SN-SINTETIS-0001"),
                ("form[sam_number]", "SAM-SINTETIS-0001"),
            ],
        )
        .await;
    (r.status, r.body)
}

/// Accepts the institution's current NDA for an account.
async fn accept_nda(app: &AuthApp, account_id: i64) {
    let s = app.storage.as_ref();
    let v = s.current_nda(app.institution_id).await.unwrap().unwrap();
    s.accept_nda(
        account_id,
        v.id,
        &Actor::system("test"),
        sigap_server::now_ms(),
    )
    .await
    .unwrap();
}

fn card_args<'a>(
    nik: &'a str,
    card: &'a [(String, String)],
    fp: &'a str,
) -> Vec<(&'a str, &'a str)> {
    let mut args = vec![
        ("nik", nik),
        ("purpose", "Banjir Jumantono 2026"),
        ("fingerprint", fp),
    ];
    args.extend(card.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    args
}

fn field(v: &Value, key: &str) -> String {
    match &v[key] {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    }
}

/// The card as the bridge would read it, from the simulator's record.
fn card_of(r: &Value) -> Vec<(String, String)> {
    [
        ("name", "NAMA_LGKP"),
        ("birth_place", "TMPT_LHR"),
        ("birth_date", "TGL_LHR"),
        ("sex", "JENIS_KLMIN"),
        ("address", "ALAMAT"),
        ("rt", "NO_RT"),
        ("rw", "NO_RW"),
        ("village", "KEL_NAME"),
        ("district", "KEC_NAME"),
        ("regency", "KAB_NAME"),
        ("province", "PROP_NAME"),
        ("marital_status", "STATUS_KAWIN"),
        ("occupation", "JENIS_PKRJN"),
    ]
    .into_iter()
    .map(|(k, src)| (format!("card[{k}]"), field(r, src)))
    .collect()
}

async fn story(db: TestDb) {
    let (app, sim) = spawn_with_upstream(db, |c| c.auth.second_factor_roles = vec![]).await;
    let s = app.storage.as_ref();
    let admin_account = app
        .account("admin.pembaca", Role::InstitutionAdmin, PW)
        .await;
    app.account("dukcapil.pembaca", Role::DisdukcapilAdmin, PW)
        .await;
    let mut admin = signed_in(&app, "admin.pembaca", PW).await;

    // Register: the secret once, with the snippet to paste; audited without the secret.
    let (status, issued) = register(&mut admin, "RDR-01").await;
    assert_eq!(status, StatusCode::OK, "{issued}");
    let secret = issued["secret"].as_str().unwrap().to_string();
    assert_eq!(secret.len(), 64);
    let snippet = issued["config_snippet"].as_str().unwrap();
    assert!(snippet.contains("reader_id = \"RDR-01\""), "{snippet}");
    assert!(snippet.contains(&app.origin()), "{snippet}");
    assert!(!snippet.contains(&secret));
    assert_eq!(issued["reader"]["status"], "active");
    let reader_row = issued["reader"]["id"].as_i64().unwrap();
    let (status, again) = register(&mut admin, "RDR-01").await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(rejected(&again), "READER_ID_TAKEN");
    let (_, bad) = register(&mut admin, "RDR 01 bad").await;
    assert_eq!(rejected(&bad), "READER_INVALID");
    let events = s
        .list_audit_events(&AuditEventFilter {
            event_prefix: Some("reader.".into()),
            limit: 100,
            ..AuditEventFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].event, "reader.register");
    assert_eq!(events[0].subject.as_deref(), Some("reader:RDR-01"));
    assert!(!events[0].detail.contains(&secret));
    // The database holds it sealed, never in clear.
    let sealed = s.sealed_reader_secret(reader_row).await.unwrap().unwrap();
    assert!(!sealed.as_str().contains(&secret));

    // The list: the admin manages, the Disdukcapil admin reads, an operator is refused.
    let list = admin.server_fn("readers", &[]).await;
    assert_eq!(list.status, StatusCode::OK, "{:?}", list.body);
    assert_eq!(list.body["manage"], true);
    assert_eq!(list.body["readers"][0]["reader_id"], "RDR-01");
    assert_eq!(
        list.body["readers"][0]["next_statuses"],
        json!(["inactive", "deactivated"])
    );
    let mut dukcapil = signed_in(&app, "dukcapil.pembaca", PW).await;
    let all = dukcapil.server_fn("readers", &[]).await;
    assert_eq!(all.body["manage"], false, "{:?}", all.body);
    assert_eq!(all.body["readers"][0]["next_statuses"], json!([]));
    assert_eq!(
        dukcapil
            .server_fn(
                "set_reader_status",
                &[("id", &reader_row.to_string()), ("status", "inactive")]
            )
            .await
            .body,
        json!("Forbidden")
    );

    // Pairing for the demo operator (NDA accepted, active user ID).
    let operator = s
        .list_accounts()
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.username == "operator1")
        .unwrap();
    let mut op = signed_in(&app, "operator1", "demo-operator-1-bpbd").await;
    // No NDA yet: refused.
    let r = op
        .server_fn("reader_pairing", &[("reader_id", "RDR-01")])
        .await;
    if s.nda_status(operator.id).await.unwrap().satisfied() {
        assert_eq!(r.status, StatusCode::OK);
    } else {
        assert_eq!(rejected(&r.body), "NDA_REQUIRED", "{:?}", r.body);
        accept_nda(&app, operator.id).await;
    }
    let r = op
        .server_fn("reader_pairing", &[("reader_id", "RDR-01")])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let token = r.body["token"].as_str().unwrap().to_string();
    let key = ReaderSecret::new(secret.as_bytes().to_vec()).unwrap();
    let now = sigap_server::now_ms();
    let p = pairing::verify(&key, &token, "RDR-01", now).unwrap();
    assert_eq!(p.operator_id, format!("op-{}", operator.id));
    assert!(p.expires_at_ms <= now + pairing::DEFAULT_LIFETIME_MS);
    // An operator who has not accepted the NDA gets no token.
    app.account("petugas.baru", Role::Operator, PW).await;
    let mut fresh = signed_in(&app, "petugas.baru", PW).await;
    let r = fresh
        .server_fn("reader_pairing", &[("reader_id", "RDR-01")])
        .await;
    assert_eq!(rejected(&r.body), "NDA_REQUIRED", "{:?}", r.body);
    // Roles without nik.lookup are refused before anything is looked up.
    let r = admin
        .server_fn("reader_pairing", &[("reader_id", "RDR-01")])
        .await;
    assert_eq!(r.body, json!("Forbidden"));
    let info = op.server_fn("card_reader_info", &[]).await;
    assert_eq!(info.body["bridge_port"], 47265);
    assert_eq!(info.body["readers"][0]["reader_id"], "RDR-01");
    // Unknown reader.
    let r = op
        .server_fn("reader_pairing", &[("reader_id", "RDR-99")])
        .await;
    assert_eq!(rejected(&r.body), "READER_UNKNOWN");
    // Another institution's reader.
    let now = sigap_server::now_ms();
    let other = s
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
    s.create_account(
        &NewAccount {
            username: "admin.dinsos".into(),
            display_name: "Admin Dinsos".into(),
            role: Role::InstitutionAdmin,
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
    let mut other_admin = signed_in(&app, "admin.dinsos", PW).await;
    let (status, _) = register(&mut other_admin, "RDR-DINSOS").await;
    assert_eq!(status, StatusCode::OK);
    let r = op
        .server_fn("reader_pairing", &[("reader_id", "RDR-DINSOS")])
        .await;
    assert_eq!(r.body, json!("Forbidden"));
    // The other institution's admin cannot touch ours, nor see it.
    let r = other_admin
        .server_fn(
            "set_reader_status",
            &[("id", &reader_row.to_string()), ("status", "inactive")],
        )
        .await;
    assert_eq!(r.body, json!("Forbidden"), "{:?}", r.body);
    let theirs = other_admin.server_fn("readers", &[]).await;
    assert_eq!(theirs.body["readers"].as_array().unwrap().len(), 1);
    assert_eq!(theirs.body["readers"][0]["reader_id"], "RDR-DINSOS");

    // The pages render on the server: the inventory for the admin, the panel for the operator;
    // the gates refuse the others.
    accept_nda(&app, admin_account.id).await;
    let (status, html) = page(&app, &admin, "/admin/pembaca").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("data-testid=\"reader-row\""), "{html}");
    assert!(html.contains("RDR-01"));
    assert!(!html.contains(&secret));
    let (status, html) = page(&app, &op, "/cek-kartu").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("data-testid=\"card-panel\""), "{html}");
    assert!(html.contains("RDR-01"));
    assert_eq!(
        page(&app, &op, "/admin/pembaca").await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        page(&app, &admin, "/cek-kartu").await.0,
        StatusCode::FORBIDDEN
    );

    // Inactive: refused; reactivated: paired again.
    let id = reader_row.to_string();
    let r = admin
        .server_fn("set_reader_status", &[("id", &id), ("status", "inactive")])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = op
        .server_fn("reader_pairing", &[("reader_id", "RDR-01")])
        .await;
    assert_eq!(rejected(&r.body), "READER_INACTIVE");
    let info = op.server_fn("card_reader_info", &[]).await;
    assert_eq!(info.body["readers"], json!([]));
    admin
        .server_fn("set_reader_status", &[("id", &id), ("status", "active")])
        .await;
    // Rotation: the old secret no longer verifies new tokens.
    let rotated = admin
        .server_fn("rotate_reader_secret", &[("id", &id)])
        .await;
    assert_eq!(rotated.status, StatusCode::OK, "{:?}", rotated.body);
    let new_secret = rotated.body["secret"].as_str().unwrap().to_string();
    assert_ne!(new_secret, secret);
    let r = op
        .server_fn("reader_pairing", &[("reader_id", "RDR-01")])
        .await;
    let token = r.body["token"].as_str().unwrap();
    let now = sigap_server::now_ms();
    assert_eq!(
        pairing::verify(&key, token, "RDR-01", now).unwrap_err(),
        pairing::PairingError::BadSignature
    );
    let new_key = ReaderSecret::new(new_secret.as_bytes().to_vec()).unwrap();
    pairing::verify(&new_key, token, "RDR-01", now).unwrap();
    let events: Vec<String> = s
        .list_audit_events(&AuditEventFilter {
            event_prefix: Some("reader.".into()),
            limit: 100,
            ..AuditEventFilter::default()
        })
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.event)
        .collect();
    assert_eq!(
        events,
        [
            "reader.rotate_secret",
            "reader.status",
            "reader.status",
            "reader.register",
            "reader.register"
        ]
    );

    // Card comparison: one hit, differences flagged, audited on channel reader.
    let resident = sim.sample(1).remove(0);
    let nik = resident["NIK"].as_str().unwrap().to_string();
    let name = resident["NAMA_LGKP"].as_str().unwrap().to_string();
    let same_card = card_of(&resident);
    let used_before = s
        .search_access_events(&AccessEventFilter {
            actor_account_id: Some(operator.id),
            limit: 100,
            ..AccessEventFilter::default()
        })
        .await
        .unwrap()
        .len() as i64;
    let r = op
        .server_fn("card_compare", &card_args(&nik, &same_card, "matched"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert!(
        r.headers
            .get(reqwest::header::CACHE_CONTROL)
            .unwrap()
            .to_str()
            .unwrap()
            .contains("no-store")
    );
    assert_eq!(r.body["found"], true, "{:?}", r.body);
    assert_eq!(r.body["differences"], 0, "{:?}", r.body);
    assert!(!r.body.to_string().contains(&name));
    let first_used = r.body["quota_used"].as_i64().unwrap();
    let mut changed = same_card.clone();
    for (k, v) in &mut changed {
        if k == "card[name]" {
            *v = "Budi Santoso Wibowo".into();
        }
        if k == "card[birth_date]" {
            *v = "31-12-1901".into();
        }
    }
    let r = op
        .server_fn("card_compare", &card_args(&nik, &changed, "not_matched"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["differences"], 2, "{:?}", r.body);
    assert_eq!(r.body["outcome_code"], "01");
    assert_eq!(r.body["quota_used"].as_i64().unwrap(), first_used + 1);
    let flagged: Vec<&str> = r.body["elements"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["verdict"] == "different")
        .map(|e| e["element"].as_str().unwrap())
        .collect();
    assert_eq!(flagged, ["name", "birth_date"]);
    // A bad verdict is refused before the service: no hit, no entry.
    let r = op
        .server_fn("card_compare", &card_args(&nik, &changed, "maybe"))
        .await;
    assert_eq!(rejected(&r.body), "FINGERPRINT_INVALID");
    let entries = s
        .search_access_events(&AccessEventFilter {
            actor_account_id: Some(operator.id),
            limit: 100,
            ..AccessEventFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(entries.len() as i64 - used_before, 2, "{entries:?}");
    assert!(
        entries
            .iter()
            .all(|e| e.channel.as_deref() == Some("reader"))
    );
    assert!(entries.iter().all(|e| e.event == "nik.lookup"));
    assert_eq!(entries[0].outcome_code.as_deref(), Some("01"));
    assert_eq!(
        entries[0].quota_state.as_deref().map(|q| q
            .split('/')
            .next()
            .unwrap()
            .parse::<i64>()
            .unwrap()),
        Some(first_used + 1)
    );
    let details: Vec<String> = s
        .list_audit_events(&AuditEventFilter {
            event_prefix: Some("nik.lookup".into()),
            actor_account_id: Some(operator.id),
            limit: 10,
            ..AuditEventFilter::default()
        })
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.detail)
        .collect();
    assert_eq!(
        details,
        [
            r#"{"fingerprint":"not_matched"}"#,
            r#"{"fingerprint":"matched"}"#
        ]
    );
    // Auditors see the verdicts in the access search.
    let searched: Vec<Option<String>> = s
        .search_access_events(&sigap_server::storage::AccessEventFilter {
            actor_account_id: Some(operator.id),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap()
        .iter()
        .map(|e| e.fingerprint())
        .collect();
    assert_eq!(
        searched,
        [Some("not_matched".to_string()), Some("matched".to_string())]
    );
    // The chain still verifies with the new detail.
    let verdict = sigap_server::audit::verify::verify(
        app.storage.clone(),
        std::path::Path::new("/nonexistent/sigap-checkpoints.jsonl"),
        None,
    )
    .await
    .unwrap();
    assert!(
        matches!(verdict, sigap_server::audit::verify::Verdict::Intact(_)),
        "{verdict:?}"
    );

    // Retired: final, no pairing, no rotation.
    admin
        .server_fn(
            "set_reader_status",
            &[("id", &id), ("status", "deactivated")],
        )
        .await;
    let r = op
        .server_fn("reader_pairing", &[("reader_id", "RDR-01")])
        .await;
    assert_eq!(rejected(&r.body), "READER_INACTIVE");
    let r = admin
        .server_fn("rotate_reader_secret", &[("id", &id)])
        .await;
    assert_eq!(rejected(&r.body), "READER_DEACTIVATED");
    let r = admin
        .server_fn("set_reader_status", &[("id", &id), ("status", "active")])
        .await;
    assert_eq!(rejected(&r.body), "READER_STATUS_NOT_ALLOWED");
    assert_eq!(
        s.reader_by_reader_id("RDR-01")
            .await
            .unwrap()
            .unwrap()
            .status,
        ReaderStatus::Deactivated
    );

    // Institution access inactive (agreement suspended): pairing refused with its reason.
    admin
        .server_fn("set_reader_status", &[("id", &id), ("status", "active")])
        .await;
    let (_, issued2) = register(&mut admin, "RDR-02").await;
    assert_eq!(issued2["reader"]["status"], "active");
    for a in s.list_agreements(app.institution_id).await.unwrap() {
        let _ = s
            .set_agreement_status(
                a.id,
                domain::agreement::AgreementStatus::Suspended,
                &Actor::system("test"),
                sigap_server::now_ms(),
            )
            .await;
    }
    let r = op
        .server_fn("reader_pairing", &[("reader_id", "RDR-02")])
        .await;
    assert_eq!(rejected(&r.body), "AGREEMENT_SUSPENDED", "{:?}", r.body);

    drop(sim);
    app.stop().await;
}

#[tokio::test]
async fn readers_pairing_and_card_comparison_on_sqlite() {
    story(TestDb::sqlite()).await;
}

#[tokio::test]
async fn readers_pairing_and_card_comparison_on_postgres() {
    let Some(db) = TestDb::postgres().await else {
        eprintln!("SIGAP_TEST_POSTGRES_URL not set: skipped");
        return;
    };
    story(db).await;
}
