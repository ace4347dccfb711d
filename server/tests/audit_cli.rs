//! `sigap audit verify` / `sigap audit checkpoint` as an operator runs them: exit 0 with a
//! one-line summary when intact, 1 naming the first bad entry, 2 when it cannot run.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use base64::Engine;
use sigap_server::storage::{AuditOutcome, NewAuditEvent};
use std::path::Path;
use std::process::{Command, Output};

fn sigap(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sigap"));
    for (k, _) in std::env::vars() {
        if k.starts_with("SIGAP_") {
            c.env_remove(k);
        }
    }
    c.current_dir(dir).env("SIGAP_DATA_DIR", dir).env(
        "SIGAP_DATABASE_URL",
        format!("sqlite://{}", dir.join("sigap.db").display()),
    );
    c
}

fn text(out: &Output) -> String {
    format!(
        "status {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[tokio::test]
async fn verify_exit_codes_follow_the_chain() {
    let dir = std::env::temp_dir().join(format!("sigap-audit-cli-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let key = dir.join("audit-signing.key");
    std::fs::write(
        &key,
        base64::engine::general_purpose::STANDARD.encode([21u8; 32]),
    )
    .unwrap();
    let with_key = |args: &[&str]| {
        sigap(&dir)
            .env("SIGAP_AUDIT__SIGNING_KEY_FILE", &key)
            .args(args)
            .output()
            .unwrap()
    };

    let out = with_key(&["audit", "checkpoint"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("empty"), "{}", text(&out));

    let url = format!("sqlite://{}", dir.join("sigap.db").display());
    let storage = sigap_server::storage::connect(&url).await.unwrap();
    for n in 0..3 {
        storage
            .append_audit_event(&NewAuditEvent {
                at_ms: 1_795_748_400_000 + n,
                event: "auth.sign_in".into(),
                outcome: AuditOutcome::Success,
                actor_account_id: Some(n),
                actor_username: Some(format!("operator{n}")),
                institution_id: None,
                subject: None,
                detail: serde_json::json!({}),
                client_ip: None,
                request_id: None,
            })
            .await
            .unwrap();
    }
    drop(storage);

    let out = with_key(&["audit", "checkpoint"]);
    assert!(out.status.success(), "{}", text(&out));
    let out = with_key(&["audit", "verify"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("audit chain intact: 3 entries, 1 checkpoints, last seq 3"),
        "{}",
        text(&out)
    );

    // Checkpoints on file but no key to check them: cannot run.
    let out = sigap(&dir).args(["audit", "verify"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("audit.signing_key_file"),
        "{}",
        text(&out)
    );

    let mut c = <sqlx::SqliteConnection as sqlx::Connection>::connect(&url)
        .await
        .unwrap();
    sqlx::Executor::execute(
        &mut c,
        "UPDATE audit_events SET actor_username = 'someone-else' WHERE seq = 2",
    )
    .await
    .unwrap();
    let out = with_key(&["audit", "verify"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("AUDIT_ENTRY_EDITED") && err.contains("entry seq 2"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn demo_verify_generates_keys_and_passes_on_a_fresh_database() {
    let dir = std::env::temp_dir().join(format!("sigap-audit-demo-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = sigap(&dir)
        .env_remove("SIGAP_DATABASE_URL")
        .args(["audit", "verify", "--demo"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(dir.join("sigap-demo.db").exists());
    assert!(dir.join("audit-signing.key").exists());
    std::fs::remove_dir_all(&dir).unwrap();
}
