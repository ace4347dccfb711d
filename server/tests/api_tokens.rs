//! Web-service API tokens on both backends: issued for service accounts only, stored as a
//! hash, audited; refused when missing, malformed, unknown, revoked, expired, or when the
//! account was deactivated or changed; and `sigap admin token create|list|revoke`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::TestDb;
use domain::access::Role;
use secrecy::ExposeSecret;
use sigap_server::auth::token::{authenticate, issue, token_hash};
use sigap_server::storage::{Actor, AuditEventFilter, NewAccount, NewInstitution, Storage};
use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::Arc;

async fn seeded(db: &TestDb) -> Arc<dyn Storage> {
    let storage = sigap_server::storage::connect(&db.url).await.unwrap();
    sigap_server::demo::seed(storage.as_ref(), sigap_server::now_ms())
        .await
        .unwrap();
    storage
}

async fn account(storage: &dyn Storage, username: &str) -> sigap_server::storage::Account {
    storage
        .list_accounts()
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.username == username)
        .unwrap()
}

async fn story(db: TestDb) {
    let storage = seeded(&db).await;
    let s = storage.as_ref();
    let now = sigap_server::now_ms();
    let service = account(s, "api-demo").await;
    let actor = Actor::system("test");

    // Issued, stored as a hash, audited.
    let (record, token) = issue(s, &service, "Aplikasi logistik", None, &actor, now)
        .await
        .unwrap();
    let text = token.expose_secret().to_string();
    assert!(text.starts_with("sigap_"));
    assert!(text.starts_with(&record.token_prefix));
    let stored = s
        .api_token_by_hash(&token_hash(&text))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.id, record.id);
    let events = s
        .list_audit_events(&AuditEventFilter {
            event_prefix: Some("api_token.".into()),
            limit: 10,
            ..AuditEventFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].event, "api_token.create");
    assert!(
        !events[0].detail.contains(&text),
        "the token is never audited"
    );

    // It authenticates.
    let header = format!("Bearer {text}");
    let caller = authenticate(s, Some(&header), now + 1).await.unwrap();
    assert_eq!(caller.account.id, service.id);
    assert_eq!(caller.token.purpose, "Aplikasi logistik");

    // Missing, malformed, unknown.
    for (h, code) in [
        (None, "TOKEN_REQUIRED"),
        (Some("Basic abc".to_string()), "TOKEN_INVALID"),
        (Some("Bearer sigap_tidak-ada".to_string()), "TOKEN_INVALID"),
        (Some(format!("Bearer {text}x")), "TOKEN_INVALID"),
    ] {
        let e = authenticate(s, h.as_deref(), now).await.unwrap_err();
        assert_eq!(e.code, code, "{h:?}");
        assert_eq!(e.status.as_u16(), 401);
    }

    // Only service accounts of the institution get tokens; the purpose may be empty (then
    // every request gives its own), but not too long.
    let operator = account(s, "operator1").await;
    let e = issue(s, &operator, "Uji", None, &actor, now)
        .await
        .unwrap_err();
    assert_eq!(e.code(), "ACCOUNT_NOT_SERVICE");
    let (open, _) = issue(s, &service, "   ", None, &actor, now).await.unwrap();
    assert_eq!(open.purpose, "");
    let e = issue(s, &service, &"x".repeat(201), None, &actor, now)
        .await
        .unwrap_err();
    assert_eq!(e.code(), "PURPOSE_TOO_LONG");

    // Expiry.
    let (_, short) = issue(
        s,
        &service,
        "Uji kedaluwarsa",
        Some(now + 1000),
        &actor,
        now,
    )
    .await
    .unwrap();
    let h = format!("Bearer {}", short.expose_secret());
    authenticate(s, Some(&h), now + 999).await.unwrap();
    let e = authenticate(s, Some(&h), now + 1000).await.unwrap_err();
    assert_eq!(e.code, "TOKEN_EXPIRED");

    // Revocation: once, audited, then refused.
    s.revoke_api_token(record.id, &actor, now + 2)
        .await
        .unwrap();
    let e = s
        .revoke_api_token(record.id, &actor, now + 3)
        .await
        .unwrap_err();
    assert_eq!(e.code(), "TOKEN_ALREADY_REVOKED");
    let e = authenticate(s, Some(&header), now + 4).await.unwrap_err();
    assert_eq!(e.code, "TOKEN_REVOKED");

    // Deactivating the service account ends its tokens at once.
    let (_, live) = issue(s, &service, "Uji nonaktif", None, &actor, now)
        .await
        .unwrap();
    let h = format!("Bearer {}", live.expose_secret());
    authenticate(s, Some(&h), now + 5).await.unwrap();
    s.deactivate_account(service.id, &actor, now + 6)
        .await
        .unwrap();
    let e = authenticate(s, Some(&h), now + 7).await.unwrap_err();
    assert_eq!(e.code, "TOKEN_ACCOUNT_INACTIVE");
    let e = issue(s, &account(s, "api-demo").await, "Uji", None, &actor, now)
        .await
        .unwrap_err();
    assert_eq!(e.code(), "ACCOUNT_INACTIVE");

    // Another institution's service account is its own.
    let other = s
        .create_institution(
            &NewInstitution {
                code: "DINSOS-3313".into(),
                name: "Dinas Sosial".into(),
                region_code: "33.13".into(),
                address: String::new(),
            },
            now,
        )
        .await
        .unwrap();
    let other_service = s
        .create_account(
            &NewAccount {
                username: "api-dinsos".into(),
                display_name: "API Dinsos".into(),
                role: Role::Service,
                institution_id: Some(other.id),
                local_user_id: Some("api-dinsos".into()),
                password_hash: None,
                demo_password: false,
            },
            &actor,
            now,
        )
        .await
        .unwrap();
    let (t, _) = issue(s, &other_service, "Uji", None, &actor, now)
        .await
        .unwrap();
    assert_eq!(t.institution_id, other.id);
    assert!(
        s.list_api_tokens(other.id)
            .await
            .unwrap()
            .iter()
            .all(|t| t.account_id == other_service.id)
    );
    db.cleanup().await;
}

#[tokio::test]
async fn tokens_on_sqlite() {
    story(TestDb::sqlite()).await;
}

#[tokio::test]
async fn tokens_on_postgres() {
    if let Some(db) = TestDb::postgres().await {
        story(db).await;
    }
}

fn sigap(dir: &std::path::Path, args: &[&str]) -> (Option<i32>, String, String) {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sigap"));
    for (k, _) in std::env::vars() {
        if k.starts_with("SIGAP_") {
            c.env_remove(k);
        }
    }
    c.current_dir(dir)
        .env("SIGAP_DATA_DIR", dir)
        .env(
            "SIGAP_DATABASE_URL",
            format!("sqlite://{}", dir.join("sigap.db").display()),
        )
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    child.stdin.take().unwrap().write_all(b"").unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn admin_cli_creates_lists_and_revokes_tokens() {
    let dir = std::env::temp_dir().join(format!("sigap-token-cli-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("sigap.db").display());
    let storage = sigap_server::storage::connect(&url).await.unwrap();
    sigap_server::demo::seed(storage.as_ref(), sigap_server::now_ms())
        .await
        .unwrap();
    drop(storage);

    let (code, out, err) = sigap(
        &dir,
        &[
            "admin",
            "token",
            "create",
            "--institution",
            "BPBD-3313",
            "--local-user",
            "api-demo",
            "--purpose",
            "Aplikasi bantuan logistik",
            "--expires-days",
            "30",
        ],
    );
    assert_eq!(code, Some(0), "{out}{err}");
    let token = out
        .lines()
        .find(|l| l.starts_with("sigap_"))
        .expect("the token is printed once")
        .to_string();
    let storage = sigap_server::storage::connect(&url).await.unwrap();
    let caller = authenticate(
        storage.as_ref(),
        Some(&format!("Bearer {token}")),
        sigap_server::now_ms(),
    )
    .await
    .unwrap();
    assert_eq!(caller.token.purpose, "Aplikasi bantuan logistik");
    assert!(caller.token.expires_at_ms.is_some());

    let (code, out, _) = sigap(
        &dir,
        &["admin", "token", "list", "--institution", "BPBD-3313"],
    );
    assert_eq!(code, Some(0));
    assert!(
        out.contains(&caller.token.token_prefix) && out.contains("active"),
        "{out}"
    );
    assert!(!out.contains(&token), "list never shows the token");

    // Refusals: unknown local user, an operator's local user, zero days, unknown institution.
    for (args, expected) in [
        (
            vec!["--local-user", "tidak-ada", "--purpose", "x"],
            "LOCAL_USER_UNKNOWN",
        ),
        (
            vec!["--local-user", "op-demo-1", "--purpose", "x"],
            "ACCOUNT_NOT_SERVICE",
        ),
        (
            vec![
                "--local-user",
                "api-demo",
                "--purpose",
                "x",
                "--expires-days",
                "0",
            ],
            "EXPIRY_INVALID",
        ),
    ] {
        let mut all = vec!["admin", "token", "create", "--institution", "BPBD-3313"];
        all.extend(args);
        let (code, out, err) = sigap(&dir, &all);
        assert_eq!(code, Some(2), "{out}{err}");
        assert!(err.contains(expected), "{err}");
    }

    let id = caller.token.id.to_string();
    let (code, out, err) = sigap(&dir, &["admin", "token", "revoke", "--id", &id]);
    assert_eq!(code, Some(0), "{out}{err}");
    let (code, _, err) = sigap(&dir, &["admin", "token", "revoke", "--id", &id]);
    assert_eq!(code, Some(2));
    assert!(err.contains("TOKEN_ALREADY_REVOKED"), "{err}");
    let e = authenticate(
        storage.as_ref(),
        Some(&format!("Bearer {token}")),
        sigap_server::now_ms(),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, "TOKEN_REVOKED");
    let _ = std::fs::remove_dir_all(&dir);
}
