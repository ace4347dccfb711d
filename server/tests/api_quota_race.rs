//! Exactly the daily limit succeeds under concurrency, through the whole pipeline: twice the
//! limit of look-ups fired at once through `/api/v1` (token, NIK parse, quota reservation,
//! upstream call, filter, audit) gives exactly `limit` answers, exactly `limit` calls reaching
//! the Dukcapil simulator, and `QUOTA_EXHAUSTED` with the WIB reset time for the rest; on
//! SQLite and PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api_support;
mod auth_support;
mod common;

use api_support::Api;
use auth_support::spawn_with_upstream;
use common::TestDb;
use dukcapil_sim::config::DEMO_USER_ID;
use serde_json::json;
use sigap_server::storage::{AccessEventFilter, Actor};

const LIMIT: i64 = 30;

async fn race(db: TestDb) {
    let (app, sim) = spawn_with_upstream(db, |_| {}).await;
    let s = app.storage.as_ref();
    s.set_user_id_daily_limit(
        DEMO_USER_ID,
        Some(LIMIT),
        &Actor::system("test"),
        sigap_server::now_ms(),
    )
    .await
    .unwrap();
    let api = Api::for_service_account(&app, "Uji kuota serentak").await;
    let niks: Vec<String> = sim
        .sample(8)
        .iter()
        .map(|r| r["NIK"].as_str().unwrap().to_string())
        .collect();
    let calls_before = sim.calls();

    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..(2 * LIMIT) as usize {
        let api = api.clone();
        let nik = niks[i % niks.len()].clone();
        tasks.spawn(async move {
            api.post(
                "/api/v1/nik/lookup",
                &json!({"nik": nik, "purpose": "Uji kuota serentak"}),
            )
            .await
        });
    }
    let mut ok = 0;
    let mut exhausted = 0;
    let mut other = Vec::new();
    while let Some(r) = tasks.join_next().await {
        let (status, body) = r.unwrap();
        match (status, body["error"]["code"].as_str()) {
            (200, None) => ok += 1,
            (429, Some("QUOTA_EXHAUSTED")) => {
                exhausted += 1;
                let message = body["error"]["message"].as_str().unwrap();
                assert!(message.contains("WIB"), "reset time in WIB: {message}");
            }
            _ => other.push((status, body)),
        }
    }
    assert!(other.is_empty(), "unexpected answers: {other:?}");
    assert_eq!(ok, LIMIT, "exactly the limit succeeds");
    assert_eq!(exhausted, LIMIT, "the rest is refused");
    assert_eq!(
        sim.calls() - calls_before,
        LIMIT as u64,
        "exactly the limit reached the upstream"
    );
    assert_eq!(sim.quota_used(DEMO_USER_ID), LIMIT as u32);

    // Every attempt is audited once, refusals included.
    let entries = s
        .search_access_events(&AccessEventFilter {
            limit: 1_000,
            ..AccessEventFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(entries.len(), (2 * LIMIT) as usize);
    assert_eq!(
        entries
            .iter()
            .filter(|e| e.outcome_code.as_deref() == Some("QUOTA_EXHAUSTED"))
            .count(),
        LIMIT as usize
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twice_the_limit_at_once_through_the_api_on_sqlite() {
    race(TestDb::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twice_the_limit_at_once_through_the_api_on_postgres() {
    if let Some(db) = TestDb::postgres().await {
        race(db).await;
    }
}
