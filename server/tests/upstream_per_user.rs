//! Every call goes out as the institution's own Dukcapil user ID with the credential stored
//! (sealed) for it: a wrong stored password is the upstream's login failure (a set-up error,
//! one hit kept as the upstream saw the call), the right one works, and a credential the
//! server's key cannot open is refused before any call or hit.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api_support;
mod auth_support;
mod common;

use api_support::Api;
use auth_support::spawn_with_upstream;
use common::TestDb;
use dukcapil_sim::config::{DEMO_PASSWORD, DEMO_USER_ID};
use serde_json::json;
use sigap_server::secrets::{Keyring, credential_aad};
use sigap_server::storage::Actor;

async fn story(db: TestDb) {
    let (app, sim) = spawn_with_upstream(db, |_| {}).await;
    let s = app.storage.as_ref();
    let user = s
        .list_dukcapil_user_ids(app.institution_id)
        .await
        .unwrap()
        .into_iter()
        .find(|u| {
            u.local_user_id == sigap_server::demo::DEMO_SERVICE.local_user_id.unwrap()
                && u.dukcapil_user_id.as_deref() == Some(DEMO_USER_ID)
        })
        .expect("the demo service account's user ID");
    let keyring = app.secrets.clone().unwrap();
    let api = Api::for_service_account(&app, "Uji kredensial").await;
    let nik = sim.sample(1)[0]["NIK"].as_str().unwrap().to_string();
    let body = json!({"nik": nik});
    let lookup = || api.post("/api/v1/nik/lookup", &body);
    let actor = Actor::system("test");

    // No stored credential: the configured client, whose user ID is this one.
    assert_eq!(lookup().await.0, 200);

    // A wrong stored password: the upstream refuses the login (code 03), a set-up error.
    let sealed = keyring
        .seal("kata-sandi-yang-salah", &credential_aad(user.id))
        .unwrap();
    s.set_user_id_credential(user.id, &sealed, &actor, sigap_server::now_ms())
        .await
        .unwrap();
    let calls = sim.calls();
    let (status, body) = lookup().await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (502, Some("UPSTREAM_SETUP_ERROR")),
        "{body}"
    );
    assert!(body["error"]["message"].as_str().unwrap().contains("03"));
    assert_eq!(
        sim.calls(),
        calls + 1,
        "the call went out with the stored password"
    );

    // The right password, stored: works (a fresh client, not the cached wrong one).
    let sealed = keyring
        .seal(DEMO_PASSWORD, &credential_aad(user.id))
        .unwrap();
    s.set_user_id_credential(user.id, &sealed, &actor, sigap_server::now_ms())
        .await
        .unwrap();
    assert_eq!(lookup().await.0, 200);

    // Sealed with a key the server does not have: refused before any call, no hit.
    let sealed = Keyring::generate()
        .seal(DEMO_PASSWORD, &credential_aad(user.id))
        .unwrap();
    s.set_user_id_credential(user.id, &sealed, &actor, sigap_server::now_ms())
        .await
        .unwrap();
    let calls = sim.calls();
    let used = sim.quota_used(DEMO_USER_ID);
    let (status, body) = lookup().await;
    assert_eq!(
        body["error"]["code"].as_str(),
        Some("UPSTREAM_NOT_CONFIGURED"),
        "{status} {body}"
    );
    assert_eq!(sim.calls(), calls);
    assert_eq!(sim.quota_used(DEMO_USER_ID), used);
    app.stop().await;
}

#[tokio::test]
async fn calls_use_the_user_ids_stored_credential_on_sqlite() {
    story(TestDb::sqlite()).await;
}

#[tokio::test]
async fn calls_use_the_user_ids_stored_credential_on_postgres() {
    if let Some(db) = TestDb::postgres().await {
        story(db).await;
    }
}
