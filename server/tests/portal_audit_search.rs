//! The audit page's server functions (`audit_search_options`, `search_access`,
//! `audit_chain_status`, `verify_audit_chain`) against entries made through the web-service
//! API and the in-process Dukcapil simulator: found by the NIK typed in full (HMAC recomputed
//! on the server), by operator, by outcome code and by WIB day; a different NIK finds nothing;
//! an invalid NIK is `INVALID_NIK` and searches nothing; results carry the masked NIK only;
//! paging ("muat lebih banyak") neither repeats nor skips; every search is audited with the
//! NIK as HMAC + mask; the head sees only its own institution; other roles are refused; the
//! chain status compares the head with the newest signed checkpoint; a full verification is
//! intact, then names the first edited entry (SQLite and PostgreSQL).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api_support;
mod auth_support;
mod common;

use api_support::Api;
use auth_support::{AuthApp, Browser, spawn_with_upstream};
use common::TestDb;
use domain::access::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sigap_server::storage::{
    AccessChannel, AccessKind, AuditEventFilter, AuditOutcome, NewAccessEvent, NewInstitution,
};

const PW: &str = "Gunung-Lawu-Berkabut-22";

async fn signed_in(app: &AuthApp, username: &str) -> Browser {
    Browser::signed_in(app, username, PW).await
}

/// The search form's arguments with some fields set.
fn form(fields: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for name in [
        "nik",
        "operator",
        "institution_id",
        "outcome_code",
        "from_day",
        "to_day",
        "cursor",
    ] {
        let value = fields
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
            .unwrap_or_default();
        out.push((format!("form[{name}]"), value));
    }
    out
}

async fn search(b: &mut Browser, fields: &[(&str, &str)]) -> auth_support::Answer {
    let args = form(fields);
    let refs: Vec<(&str, &str)> = args.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    b.server_fn("search_access", &refs).await
}

fn rows(body: &Value) -> Vec<Value> {
    body["rows"].as_array().cloned().unwrap_or_default()
}

async fn search_count(app: &AuthApp) -> usize {
    app.storage
        .list_audit_events(&AuditEventFilter {
            event_prefix: Some("audit.search".into()),
            limit: 1000,
            ..AuditEventFilter::default()
        })
        .await
        .unwrap()
        .len()
}

/// A synthetic access attempt written straight to the trail (another institution, paging).
fn entry(institution_id: i64, code: &str, at_ms: i64, nik: &str) -> NewAccessEvent {
    NewAccessEvent {
        at_ms,
        kind: AccessKind::Lookup,
        outcome: AuditOutcome::Failure,
        outcome_code: code.into(),
        channel: AccessChannel::Web,
        institution_id: Some(institution_id),
        actor_account_id: None,
        actor_username: Some("petugas.lain".into()),
        local_user_id: Some("L-9".into()),
        dukcapil_user_id: Some("UJI9".into()),
        purpose: Some("Uji".into()),
        nik_hmac: format!("{:0>64}", nik),
        nik_masked: "3313********0009".into(),
        quota_state: Some("1/10".into()),
        latency_ms: Some(3),
        client_ip: Some("10.0.0.9".into()),
        request_id: Some(format!("req-{at_ms}")),
        fingerprint: None,
    }
}

async fn story(db: TestDb) {
    let (app, sim) = spawn_with_upstream(db, |c| c.auth.second_factor_roles = vec![]).await;
    let s = app.storage.as_ref();
    let service = sigap_server::demo::DEMO_SERVICE;
    let api = Api::for_service_account(&app, "Aplikasi bantuan logistik").await;
    let residents = sim.sample(3);
    let nik_a = residents[0]["NIK"].as_str().unwrap().to_string();
    let nik_b = residents[1]["NIK"].as_str().unwrap().to_string();
    let nik_never = residents[2]["NIK"].as_str().unwrap().to_string();
    let name_a = residents[0]["NAMA_LGKP"].as_str().unwrap().to_string();
    for nik in [nik_a.as_str(), nik_b.as_str(), "12345"] {
        let (status, _) = api
            .post(
                "/api/v1/nik/lookup",
                &json!({"nik": nik, "purpose": "Banjir Jumantono 2026"}),
            )
            .await;
        let expected = if nik == "12345" { 422 } else { 200 };
        assert_eq!(status, expected);
    }

    app.account("auditor", Role::Auditor, PW).await;
    app.account("evaluator", Role::DisdukcapilEvaluator, PW)
        .await;
    app.account("kepala", Role::Head, PW).await;
    app.account("petugas", Role::Operator, PW).await;
    app.account("dukcapil", Role::DisdukcapilAdmin, PW).await;
    let mut auditor = signed_in(&app, "auditor").await;

    // The header offers the page to the roles that may open it.
    for (username, expected) in [
        ("auditor", true),
        ("evaluator", true),
        ("kepala", true),
        ("petugas", false),
        ("dukcapil", false),
    ] {
        let mut b = signed_in(&app, username).await;
        let session = b.server_fn("session", &[]).await;
        assert_eq!(
            session.body["account"]["audit_trail"], expected,
            "{username}"
        );
    }

    let options = auditor.server_fn("audit_search_options", &[]).await;
    assert_eq!(options.status, StatusCode::OK, "{:?}", options.body);
    assert_eq!(options.body["all_institutions"], true);
    assert_eq!(options.body["can_verify"], true);

    // By NIK typed in full (with separators): exactly the one attempt, masked.
    let searches_before = search_count(&app).await;
    let spaced = format!("{} {} {}", &nik_a[..6], &nik_a[6..12], &nik_a[12..]);
    let r = search(&mut auditor, &[("nik", &spaced)]).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let found = rows(&r.body);
    assert_eq!(found.len(), 1, "{:?}", r.body);
    let row = &found[0];
    let masked = format!("{}********{}", &nik_a[..4], &nik_a[12..]);
    assert_eq!(row["nik_masked"], json!(masked));
    assert_eq!(row["channel"], "api");
    assert_eq!(row["event"], "nik.lookup");
    assert_eq!(row["operator"], json!(service.username));
    assert_eq!(row["institution_id"], json!(app.institution_id));
    assert!(row["institution_name"].is_string());
    assert!(row["dukcapil_user_id"].is_string(), "{row:?}");
    assert!(row["quota_state"].is_string(), "{row:?}");
    assert!(row["latency_ms"].is_i64());
    assert!(
        row["purpose"]
            .as_str()
            .unwrap()
            .ends_with("Banjir Jumantono 2026")
    );
    let found_code = row["outcome_code"].as_str().unwrap().to_string();
    assert!(["01", "12"].contains(&found_code.as_str()), "{found_code}");
    let text = r.body.to_string();
    assert!(!text.contains(&nik_a), "no clear NIK in results");
    assert!(!text.contains(&name_a), "no resident data in results");
    assert!(row.get("nik_hmac").is_none(), "no HMAC in results");
    assert!(r.body["next_cursor"].is_null());
    // The search is itself audited, with the NIK as HMAC + mask only.
    assert_eq!(search_count(&app).await, searches_before + 1);
    let audited = s
        .list_audit_events(&AuditEventFilter {
            event_prefix: Some("audit.search".into()),
            limit: 1,
            ..AuditEventFilter::default()
        })
        .await
        .unwrap();
    let detail: Value = serde_json::from_str(&audited[0].detail).unwrap();
    assert_eq!(detail["nik_masked"], json!(masked));
    assert_eq!(detail["nik_hmac"].as_str().unwrap().len(), 64);
    assert!(!audited[0].detail.contains(&nik_a));
    assert_eq!(audited[0].actor_username.as_deref(), Some("auditor"));

    // A different (valid) NIK finds nothing.
    let r = search(&mut auditor, &[("nik", &nik_never)]).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert!(rows(&r.body).is_empty());

    // An invalid NIK is a clear error, and nothing is searched (not even the refused entry
    // written for the same text).
    let before = search_count(&app).await;
    let r = search(&mut auditor, &[("nik", "12345")]).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{:?}", r.body);
    assert_eq!(r.body, json!({"Rejected": {"code": "INVALID_NIK"}}));
    assert_eq!(search_count(&app).await, before);

    // By operator, by outcome, by day.
    let r = search(&mut auditor, &[("operator", service.username)]).await;
    assert_eq!(rows(&r.body).len(), 3, "{:?}", r.body);
    let r = search(&mut auditor, &[("operator", "tidak.ada")]).await;
    assert_eq!(r.body, json!({"Rejected": {"code": "OPERATOR_UNKNOWN"}}));
    let r = search(&mut auditor, &[("outcome_code", "INVALID_NIK")]).await;
    let refused = rows(&r.body);
    assert_eq!(refused.len(), 1, "{:?}", r.body);
    assert_eq!(refused[0]["outcome"], "refused");
    assert_eq!(refused[0]["nik_masked"], "*****");
    let r = search(&mut auditor, &[("outcome_code", &found_code)]).await;
    assert!(!rows(&r.body).is_empty());
    assert!(
        rows(&r.body)
            .iter()
            .all(|x| x["outcome_code"] == json!(found_code))
    );
    let r = search(&mut auditor, &[("outcome_code", "BUKAN_KODE")]).await;
    assert_eq!(
        r.body,
        json!({"Rejected": {"code": "OUTCOME_CODE_UNKNOWN"}})
    );
    let today = domain::quota::wib_day(sigap_server::now_ms());
    let yesterday = today.previous_day().unwrap();
    let (t, y) = (today.to_string(), yesterday.to_string());
    let r = search(&mut auditor, &[("from_day", &t), ("to_day", &t)]).await;
    assert_eq!(rows(&r.body).len(), 3, "{:?}", r.body);
    let r = search(&mut auditor, &[("from_day", &y), ("to_day", &y)]).await;
    assert!(rows(&r.body).is_empty());
    let r = search(&mut auditor, &[("from_day", &t), ("to_day", &y)]).await;
    assert_eq!(r.body, json!({"Rejected": {"code": "DATE_RANGE_INVALID"}}));
    let r = search(&mut auditor, &[("from_day", "27/11/2026")]).await;
    assert_eq!(r.body, json!({"Rejected": {"code": "DATE_INVALID"}}));

    // Another institution's entries, and a long page: 60 entries with code 13 there.
    let other = s
        .create_institution(
            &NewInstitution {
                code: "DINSOS-UJI".into(),
                name: "Dinas Sosial Uji".into(),
                region_code: "33.13".into(),
                address: "Jl. Lawu".into(),
            },
            sigap_server::now_ms(),
        )
        .await
        .unwrap()
        .id;
    let base = sigap_server::now_ms() - 60_000;
    let many: Vec<NewAccessEvent> = (0..60)
        .map(|i| entry(other, "13", base + i / 2, &i.to_string()))
        .collect();
    s.append_access_events(&many).await.unwrap();
    let r = search(&mut auditor, &[("outcome_code", "13")]).await;
    let first = rows(&r.body);
    assert_eq!(first.len(), 50);
    let cursor = r.body["next_cursor"].as_str().unwrap().to_string();
    let r = search(&mut auditor, &[("outcome_code", "13"), ("cursor", &cursor)]).await;
    let second = rows(&r.body);
    assert_eq!(second.len(), 10, "{:?}", r.body);
    assert!(r.body["next_cursor"].is_null());
    let mut seqs: Vec<i64> = first
        .iter()
        .chain(second.iter())
        .map(|x| x["seq"].as_i64().unwrap())
        .collect();
    let in_order = seqs.windows(2).all(|w| w[0] > w[1]);
    assert!(in_order, "newest first: {seqs:?}");
    seqs.dedup();
    assert_eq!(seqs.len(), 60, "no row twice, none skipped");
    let other_id = other.to_string();
    let r = search(&mut auditor, &[("institution_id", &other_id)]).await;
    assert!(
        rows(&r.body)
            .iter()
            .all(|x| x["institution_id"] == json!(other))
    );
    assert_eq!(rows(&r.body)[0]["institution_name"], "Dinas Sosial Uji");

    // The evaluator reads everything too, but may not verify.
    let mut evaluator = signed_in(&app, "evaluator").await;
    let r = search(&mut evaluator, &[("nik", &nik_b)]).await;
    assert_eq!(rows(&r.body).len(), 1, "{:?}", r.body);
    let r = evaluator.server_fn("verify_audit_chain", &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = evaluator.server_fn("audit_chain_status", &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);

    // The head: their own institution only, whatever the form asks.
    let mut head = signed_in(&app, "kepala").await;
    let options = head.server_fn("audit_search_options", &[]).await;
    assert_eq!(options.body["all_institutions"], false);
    assert_eq!(options.body["can_verify"], false);
    assert_eq!(options.body["institutions"].as_array().unwrap().len(), 1);
    let r = search(&mut head, &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let own = rows(&r.body);
    assert_eq!(own.len(), 3, "{:?}", r.body);
    assert!(
        own.iter()
            .all(|x| x["institution_id"] == json!(app.institution_id))
    );
    let r = search(&mut head, &[("institution_id", &other_id)]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = search(&mut head, &[("outcome_code", "13")]).await;
    assert!(rows(&r.body).is_empty());
    let r = head.server_fn("audit_chain_status", &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // Other roles are refused; so are anonymous callers.
    for username in ["petugas", "dukcapil"] {
        let mut b = signed_in(&app, username).await;
        let r = search(&mut b, &[]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{username}");
        assert_eq!(r.body, json!("Forbidden"));
        let r = b.server_fn("audit_search_options", &[]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{username}");
    }
    let mut anonymous = Browser::new(&app);
    let r = search(&mut anonymous, &[]).await;
    assert_eq!(r.body, json!("AuthRequired"));

    // Chain status: no checkpoint yet, then one signed with the server's (demo) key.
    let r = auditor.server_fn("audit_chain_status", &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert!(r.body["head_seq"].as_i64().unwrap() > 60);
    assert!(r.body["checkpoint_seq"].is_null());
    assert_eq!(r.body["signer_configured"], true);
    let keys =
        sigap_server::audit::AuditKeys::load(&app.config.audit, &app.data_dir, true).unwrap();
    let cp = sigap_server::audit::checkpoint::write_checkpoint(
        s,
        keys.signer.as_ref().unwrap(),
        &keys.checkpoint_file,
        sigap_server::now_ms(),
    )
    .await
    .unwrap()
    .unwrap();
    let r = auditor.server_fn("audit_chain_status", &[]).await;
    assert_eq!(r.body["checkpoint_seq"], json!(cp.seq));
    assert_eq!(r.body["checkpoint_signature_ok"], true);
    assert_eq!(r.body["checkpoint_matches_entry"], true);
    assert_eq!(r.body["head_at_checkpoint"], true, "{:?}", r.body);

    // A full verification: intact, and audited.
    let r = auditor.server_fn("verify_audit_chain", &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["intact"], true, "{:?}", r.body);
    assert_eq!(r.body["checkpoints"], 1);
    let verifications = s
        .list_audit_events(&AuditEventFilter {
            event_prefix: Some("audit.verify".into()),
            limit: 10,
            ..AuditEventFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(verifications.len(), 1);
    assert_eq!(verifications[0].outcome, "success");

    // Someone edits an entry in the database: the verification names it.
    let edited_seq = first[10]["seq"].as_i64().unwrap();
    let statement = format!("UPDATE audit_events SET outcome_code = '01' WHERE seq = {edited_seq}");
    let url = app.db.as_ref().unwrap().url.clone();
    if url.starts_with("sqlite:") {
        let mut c = <sqlx::SqliteConnection as sqlx::Connection>::connect(&url)
            .await
            .unwrap();
        sqlx::Executor::execute(&mut c, statement.as_str())
            .await
            .unwrap();
    } else {
        let mut c = <sqlx::PgConnection as sqlx::Connection>::connect(&url)
            .await
            .unwrap();
        sqlx::Executor::execute(&mut c, statement.as_str())
            .await
            .unwrap();
    }
    let r = auditor.server_fn("verify_audit_chain", &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["intact"], false);
    assert_eq!(r.body["code"], "AUDIT_ENTRY_EDITED");
    assert_eq!(r.body["seq"], json!(edited_seq));
    app.stop().await;
}

#[tokio::test]
async fn audit_search_sqlite() {
    story(TestDb::sqlite()).await;
}

#[tokio::test]
async fn audit_search_postgres() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    story(db).await;
}
