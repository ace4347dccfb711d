//! The web-service API end to end (`/api/v1`), against the in-process Dukcapil simulator: a
//! token of the demo service account looks residents up and verifies them; only the nine
//! elements come back, with `no-store`; invalid NIKs, bad bodies and missing tokens are
//! refused with stable codes and spend no hit; the quota refuses exactly past its limit; every
//! attempt that reached the service is in the hash-chained audit trail as an HMAC + mask, and
//! no resident's name reaches the database.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api_support;
mod auth_support;
mod common;

use api_support::Api;
use auth_support::spawn_with_upstream;
use common::TestDb;
use serde_json::{Value, json};
use sigap_server::storage::{AccessEventFilter, Actor};

async fn story(db: TestDb) {
    let is_sqlite = db.url.starts_with("sqlite:");
    let db_file = db.url.trim_start_matches("sqlite://").to_string();
    let (app, sim) = spawn_with_upstream(db, |_| {}).await;
    let s = app.storage.as_ref();
    let api = Api::for_service_account(&app, "Aplikasi bantuan logistik").await;
    let residents = sim.sample(3);
    let nik = residents[0]["NIK"].as_str().unwrap().to_string();
    let name = residents[0]["NAMA_LGKP"].as_str().unwrap().to_string();

    // A look-up: the nine elements, no-store, one hit, an audit entry.
    let (status, body, headers) = api
        .post_with_headers(
            "/api/v1/nik/lookup",
            &json!({"nik": nik, "purpose": "Banjir Jumantono 2026"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["result"], "found");
    assert_eq!(body["resident"]["nik"], json!(nik));
    assert_eq!(body["resident"]["nama_lengkap"], json!(name));
    let mut keys: Vec<&str> = body["resident"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "alamat",
            "jenis_kelamin",
            "jenis_pekerjaan",
            "nama_lengkap",
            "nik",
            "no_kk",
            "status_perkawinan",
            "tanggal_lahir",
            "tempat_lahir"
        ]
    );
    assert_eq!(body["quota"]["used"], 1);
    assert!(
        headers["cache-control"]
            .to_str()
            .unwrap()
            .contains("no-store")
    );
    assert_eq!(api.quota_used().await, 1);

    // Verification by element.
    let (status, body, _) = api
        .post_with_headers(
            "/api/v1/nik/verify",
            &json!({"nik": nik, "claimed": {"nama_lengkap": name}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["result"], "verdicts");
    assert_eq!(api.quota_used().await, 2);

    // Refusals with stable codes and no hit.
    let invalid = api
        .post_with_headers("/api/v1/nik/lookup", &json!({"nik": "3313abc"}))
        .await;
    assert_eq!(
        (invalid.0, invalid.1["error"]["code"].as_str()),
        (422, Some("INVALID_NIK"))
    );
    let unknown_field = api
        .post_with_headers("/api/v1/nik/lookup", &json!({"nik": nik, "nama": "x"}))
        .await;
    assert_eq!(
        (unknown_field.0, unknown_field.1["error"]["code"].as_str()),
        (400, Some("UNKNOWN_FIELD"))
    );
    let no_claims = api
        .post_with_headers("/api/v1/nik/verify", &json!({"nik": nik, "claimed": {}}))
        .await;
    assert_eq!(no_claims.1["error"]["code"], "CLAIMED_REQUIRED");
    let text = api
        .client
        .post(format!("{}/api/v1/nik/lookup", api.base))
        .bearer_auth(&api.token)
        .body(format!("{{\"nik\":\"{nik}\"}}"))
        .send()
        .await
        .unwrap();
    assert_eq!(text.status().as_u16(), 415);
    let big = api
        .post_with_headers("/api/v1/nik/lookup", &json!({"nik": "x".repeat(20_000)}))
        .await;
    assert_eq!(big.0, 413);
    let anonymous = api
        .client
        .post(format!("{}/api/v1/nik/lookup", api.base))
        .json(&json!({"nik": nik}))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status().as_u16(), 401);
    let body: Value = anonymous.json().await.unwrap();
    assert_eq!(body["error"]["code"], "TOKEN_REQUIRED");
    assert_eq!(api.quota_used().await, 2, "refusals spend no hit");

    // The quota: exactly the limit, then QUOTA_EXHAUSTED with the reset time.
    s.set_user_id_daily_limit(
        "BPBD3313",
        Some(4),
        &Actor::system("test"),
        sigap_server::now_ms(),
    )
    .await
    .unwrap();
    let other = residents[1]["NIK"].as_str().unwrap();
    let mut codes = Vec::new();
    for _ in 0..4 {
        let (status, body, _) = api
            .post_with_headers("/api/v1/nik/lookup", &json!({"nik": other}))
            .await;
        codes.push((status, body["error"]["code"].as_str().map(str::to_string)));
        if status == 429 {
            assert!(body["error"]["message"].as_str().unwrap().contains("WIB"));
        }
    }
    assert_eq!(
        codes,
        vec![
            (200, None),
            (200, None),
            (429, Some("QUOTA_EXHAUSTED".into())),
            (429, Some("QUOTA_EXHAUSTED".into()))
        ]
    );

    // The audit trail: every attempt that reached the service, as HMAC + mask, chained.
    let entries = s
        .search_access_events(&AccessEventFilter {
            limit: 100,
            ..AccessEventFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(
        entries.len(),
        2 + 1 + 4,
        "lookups, verify, invalid NIK, quota run"
    );
    assert!(entries.iter().all(|e| e.channel.as_deref() == Some("api")));
    assert!(
        entries
            .iter()
            .all(|e| !e.nik_masked.as_deref().unwrap_or("").contains(&nik[4..12]))
    );
    assert!(
        entries
            .iter()
            .any(|e| e.outcome_code.as_deref() == Some("INVALID_NIK"))
    );
    assert_eq!(
        entries
            .iter()
            .filter(|e| e.outcome_code.as_deref() == Some("QUOTA_EXHAUSTED"))
            .count(),
        2
    );

    // No resident's name in the database file (SQLite: the file with its WAL).
    if is_sqlite {
        assert!(std::path::Path::new(&db_file).exists(), "{db_file}");
        let hay = common::sqlite_kept_text(&db_file);
        assert!(
            !hay.contains(&name),
            "the resident's name reached the database"
        );
        assert!(!hay.contains(&nik), "the NIK reached the database in clear");
    }
    app.stop().await;
}

#[tokio::test]
async fn api_looks_up_verifies_refuses_and_audits_on_the_chosen_backend() {
    story(TestDb::chosen().await).await;
}

#[tokio::test]
async fn api_on_postgres() {
    if let Some(db) = TestDb::postgres().await {
        story(db).await;
    }
}
