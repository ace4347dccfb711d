//! The access path's read cache (`[check] read_cache_ms`): a token revoked through this server
//! is refused on the very next request although its row was cached; a change made behind the
//! server's back (another replica, or SQL) is refused once the cache lifetime has passed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api_support;
mod auth_support;
mod common;

use api_support::Api;
use auth_support::spawn_with_upstream;
use common::TestDb;
use serde_json::{Value, json};
use sigap_server::auth::token::token_hash;
use sigap_server::storage::Actor;
use std::time::{Duration, Instant};

const TTL_MS: u64 = 400;

async fn lookup(api: &Api, nik: &str) -> (u16, Value) {
    api.post(
        "/api/v1/nik/lookup",
        &json!({"nik": nik, "purpose": "Uji cache baca"}),
    )
    .await
}

#[tokio::test]
async fn revocations_apply_at_once_here_and_within_the_lifetime_elsewhere() {
    let db = TestDb::chosen().await;
    let url = db.url.clone();
    let (app, sim) = spawn_with_upstream(db, |c| c.check.read_cache_ms = TTL_MS).await;
    let nik = sim.sample(1)[0]["NIK"].as_str().unwrap().to_string();
    let s = app.storage.clone();

    // Through this server: cached by the first request, refused on the next.
    let api = Api::for_service_account(&app, "Uji cache baca").await;
    assert_eq!(lookup(&api, &nik).await.0, 200);
    assert_eq!(lookup(&api, &nik).await.0, 200);
    let token = s
        .api_token_by_hash(&token_hash(&api.token))
        .await
        .unwrap()
        .unwrap();
    s.revoke_api_token(token.id, &Actor::system("test"), sigap_server::now_ms())
        .await
        .unwrap();
    let (status, body) = lookup(&api, &nik).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("TOKEN_REVOKED")),
        "{body}"
    );

    // Behind the server's back (plain SQL on another connection): refused within the lifetime.
    let api = Api::for_service_account(&app, "Uji cache baca").await;
    assert_eq!(lookup(&api, &nik).await.0, 200);
    let hash = token_hash(&api.token);
    let revoked_at = sigap_server::now_ms();
    // The same statement on whichever engine the server uses.
    macro_rules! revoke_with {
        ($pool:ty) => {{
            let pool = <$pool>::connect(&url).await.unwrap();
            sqlx::query("UPDATE api_tokens SET revoked_at_ms = $1 WHERE token_hash = $2")
                .bind(revoked_at)
                .bind(&hash)
                .execute(&pool)
                .await
                .unwrap();
            pool.close().await;
        }};
    }
    if url.starts_with("sqlite:") {
        revoke_with!(sqlx::SqlitePool);
    } else {
        revoke_with!(sqlx::PgPool);
    }
    let changed = Instant::now();
    loop {
        let (status, body) = lookup(&api, &nik).await;
        if status == 401 {
            assert_eq!(body["error"]["code"], "TOKEN_REVOKED", "{body}");
            break;
        }
        assert_eq!(status, 200, "{body}");
        assert!(
            changed.elapsed() < Duration::from_millis(TTL_MS + 1_000),
            "a change behind the server's back must apply within the cache lifetime"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    app.stop().await;
}
