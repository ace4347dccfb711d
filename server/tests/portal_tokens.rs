//! The institution admin's API tokens (`/admin/token`; server functions `api_tokens`,
//! `create_api_token`, `revoke_api_token`, permission `api_tokens.manage`): the admin lists
//! the institution's tokens (never their text), issues one for a service account (the text
//! comes back once and works on the API), revokes it (the API refuses it at once); each change
//! is audited with the admin as actor; bad input writes nothing; another institution's admin
//! can neither see nor revoke the tokens, nor issue one for its accounts; other roles are
//! refused (SQLite and PostgreSQL).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod auth_support;
mod common;

use auth_support::{AuthApp, Browser, spawn_with};
use common::TestDb;
use domain::access::Role;
use reqwest::StatusCode;
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use sigap_server::storage::{Actor, AuditEventFilter, NewAccount, NewInstitution};

const PW: &str = "Gunung-Lawu-Berkabut-22";

async fn signed_in(app: &AuthApp, username: &str) -> Browser {
    let mut b = Browser::new(app);
    let r = b
        .server_fn("sign_in", &[("username", username), ("password", PW)])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    b
}

async fn audit(app: &AuthApp, prefix: &str) -> Vec<sigap_server::storage::AuditEvent> {
    app.storage
        .list_audit_events(&AuditEventFilter {
            event_prefix: Some(prefix.into()),
            limit: 1000,
            ..Default::default()
        })
        .await
        .unwrap()
}

async fn quota_status(app: &AuthApp, token: &str) -> (u16, Value) {
    let res = reqwest::Client::new()
        .get(app.url("/api/v1/quota"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

fn form(account_id: i64, purpose: &str, days: &str) -> Vec<(String, String)> {
    vec![
        ("form[account_id]".into(), account_id.to_string()),
        ("form[purpose]".into(), purpose.into()),
        ("form[expires_days]".into(), days.into()),
    ]
}

async fn call(b: &mut Browser, name: &str, args: &[(String, String)]) -> auth_support::Answer {
    let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    b.server_fn(name, &args).await
}

async fn story(db: TestDb) {
    let app = spawn_with(db, |c| c.auth.second_factor_roles = vec![]).await;
    let s = app.storage.as_ref();
    let now = sigap_server::now_ms();
    app.account("admin", Role::InstitutionAdmin, PW).await;
    app.account("petugas", Role::Operator, PW).await;
    let service = s
        .list_institution_accounts(app.institution_id)
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.role == Role::Service)
        .unwrap();

    // A second institution with its own admin, service account and token.
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
    let mk = |username: &str, role: Role, pw: bool| NewAccount {
        username: username.into(),
        display_name: format!("Uji {username}"),
        role,
        institution_id: Some(other.id),
        local_user_id: (role == Role::Service).then(|| "api-dinsos".to_string()),
        password_hash: pw.then(|| sigap_server::auth::hash_password(PW).unwrap()),
        demo_password: false,
    };
    s.create_account(
        &mk("admin.dinsos", Role::InstitutionAdmin, true),
        &Actor::system("test"),
        now,
    )
    .await
    .unwrap();
    let foreign_service = s
        .create_account(
            &mk("api.dinsos", Role::Service, false),
            &Actor::system("test"),
            now,
        )
        .await
        .unwrap();
    let (foreign_token, foreign_text) = sigap_server::auth::token::issue(
        s,
        &foreign_service,
        "Aplikasi Dinsos rahasia",
        None,
        &Actor::system("test"),
        now,
    )
    .await
    .unwrap();

    // The list: own service accounts, no other institution's token.
    let mut admin = signed_in(&app, "admin").await;
    let r = admin.server_fn("api_tokens", &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["tokens"], json!([]));
    let accounts = r.body["accounts"].as_array().unwrap();
    assert_eq!(accounts.len(), 1, "{accounts:?}");
    assert_eq!(accounts[0]["id"], service.id);
    assert!(!r.body.to_string().contains("Dinsos"));

    // Issue: the text once, working on the API, audited with the admin as actor.
    let created = call(
        &mut admin,
        "create_api_token",
        &form(service.id, "Aplikasi logistik", "30"),
    )
    .await;
    assert_eq!(created.status, StatusCode::OK, "{:?}", created.body);
    let text = created.body["token"].as_str().unwrap().to_string();
    assert!(text.starts_with("sigap_"));
    let prefix = created.body["prefix"].as_str().unwrap();
    assert!(text.starts_with(prefix));
    let listed = &created.body["view"]["tokens"][0];
    assert_eq!(listed["prefix"], prefix);
    assert_eq!(listed["purpose"], "Aplikasi logistik");
    assert_eq!(listed["state"], "active");
    assert_eq!(listed["account_username"], service.username.as_str());
    assert_eq!(listed["created_by"], "admin");
    assert!(listed["expires_at_ms"].as_i64().unwrap() > now + 29 * 86_400_000);
    let token_id = listed["id"].as_i64().unwrap();
    assert_eq!(quota_status(&app, &text).await.0, 200);
    let r = admin.server_fn("api_tokens", &[]).await;
    assert!(
        !r.body.to_string().contains(&text),
        "the text is shown once"
    );
    let events = audit(&app, "api_token.create").await;
    let mine: Vec<_> = events
        .iter()
        .filter(|e| e.actor_username.as_deref() == Some("admin"))
        .collect();
    assert_eq!(mine.len(), 1, "{events:?}");
    assert_eq!(mine[0].institution_id, Some(app.institution_id));
    assert!(!mine[0].detail.contains(&text));

    // A token without purpose and without expiry.
    let r = call(&mut admin, "create_api_token", &form(service.id, "", "")).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["view"]["tokens"][0]["purpose"], "");
    assert_eq!(r.body["view"]["tokens"][0]["expires_at_ms"], Value::Null);

    // Bad input writes nothing; another institution's account is forbidden.
    let before = audit(&app, "api_token.").await.len();
    let operator = s
        .list_institution_accounts(app.institution_id)
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.username == "petugas")
        .unwrap();
    for (args, expected) in [
        (
            form(service.id, "x", "0"),
            json!({"Rejected": {"code": "EXPIRY_INVALID"}}),
        ),
        (
            form(service.id, "x", "3651"),
            json!({"Rejected": {"code": "EXPIRY_INVALID"}}),
        ),
        (
            form(service.id, &"x".repeat(201), ""),
            json!({"Rejected": {"code": "PURPOSE_TOO_LONG"}}),
        ),
        (
            form(operator.id, "x", ""),
            json!({"Rejected": {"code": "ACCOUNT_NOT_SERVICE"}}),
        ),
        (form(foreign_service.id, "x", ""), json!("Forbidden")),
        (
            vec![
                ("form[account_id]".into(), "".into()),
                ("form[purpose]".into(), "x".into()),
                ("form[expires_days]".into(), "".into()),
            ],
            json!({"Rejected": {"code": "TOKEN_ACCOUNT_REQUIRED"}}),
        ),
    ] {
        let r = call(&mut admin, "create_api_token", &args).await;
        assert_eq!(r.body, expected, "{args:?}");
    }
    assert_eq!(audit(&app, "api_token.").await.len(), before);

    // Revoking another institution's token is forbidden and changes nothing.
    let r = admin
        .server_fn(
            "revoke_api_token",
            &[("token_id", &foreign_token.id.to_string())],
        )
        .await;
    assert_eq!(r.body, json!("Forbidden"));
    assert_eq!(
        quota_status(&app, foreign_text.expose_secret()).await.0,
        200
    );

    // The other institution's admin sees none of ours and cannot revoke them.
    let mut foreign_admin = signed_in(&app, "admin.dinsos").await;
    let r = foreign_admin.server_fn("api_tokens", &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let theirs = r.body["tokens"].as_array().unwrap();
    assert_eq!(theirs.len(), 1);
    assert_eq!(theirs[0]["purpose"], "Aplikasi Dinsos rahasia");
    assert!(!r.body.to_string().contains("Aplikasi logistik"));
    let r = foreign_admin
        .server_fn("revoke_api_token", &[("token_id", &token_id.to_string())])
        .await;
    assert_eq!(r.body, json!("Forbidden"));
    assert_eq!(quota_status(&app, &text).await.0, 200);

    // Revoking: audited, the API refuses the token at once, twice is refused.
    let r = admin
        .server_fn("revoke_api_token", &[("token_id", &token_id.to_string())])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let row = r.body["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == token_id)
        .unwrap()
        .clone();
    assert_eq!(row["state"], "revoked");
    let (status, body) = quota_status(&app, &text).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("TOKEN_REVOKED"))
    );
    let revokes = audit(&app, "api_token.revoke").await;
    assert_eq!(revokes.len(), 1);
    assert_eq!(revokes[0].actor_username.as_deref(), Some("admin"));
    let r = admin
        .server_fn("revoke_api_token", &[("token_id", &token_id.to_string())])
        .await;
    assert_eq!(
        r.body,
        json!({"Rejected": {"code": "TOKEN_ALREADY_REVOKED"}})
    );

    // Other roles: refused before anything is looked up.
    let mut operator_browser = signed_in(&app, "petugas").await;
    for (name, args) in [
        ("api_tokens", vec![]),
        (
            "revoke_api_token",
            vec![("token_id".to_string(), token_id.to_string())],
        ),
        ("create_api_token", form(service.id, "x", "")),
    ] {
        let r = call(&mut operator_browser, name, &args).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{name}: {:?}", r.body);
    }
    let mut anonymous = Browser::new(&app);
    let r = anonymous.server_fn("api_tokens", &[]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{:?}", r.body);

    // The page itself: the admin (after the NDA, which the page requires) sees the tokens
    // but never a token's text; the operator gets a 403.
    let nda = admin.server_fn("current_nda", &[]).await;
    let version = nda.body["version_id"].as_i64().unwrap().to_string();
    let accepted = admin
        .server_fn("accept_nda", &[("version_id", version.as_str())])
        .await;
    assert_eq!(accepted.status, StatusCode::OK, "{:?}", accepted.body);
    let page = reqwest::Client::new()
        .get(app.url("/admin/token"))
        .header(
            reqwest::header::COOKIE,
            format!("sigap_session={}", admin.cookie.clone().unwrap()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(
        html.contains(&format!("data-prefix=\"{prefix}\"")),
        "{html}"
    );
    assert!(html.contains("data-state=\"revoked\""));
    assert!(!html.contains(&text), "the token text is never on the page");
    assert!(!html.contains("Aplikasi Dinsos rahasia"));
    let page = operator_browser.get("/admin/token").await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    app.stop().await;
}

#[tokio::test]
async fn institution_admin_manages_api_tokens_sqlite() {
    story(TestDb::chosen().await).await;
}

#[tokio::test]
async fn institution_admin_manages_api_tokens_postgres() {
    if let Some(db) = TestDb::postgres().await {
        story(db).await;
    }
}
