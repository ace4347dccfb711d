//! Identity administration end to end: demo seeding (idempotent, on both backends), the
//! refusal to start outside demo mode while an account has a demo password (through
//! `Application` and through the `sigap` binary), and `sigap admin` creating the first
//! institutions and accounts.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::TestDb;
use domain::access::Role;
use domain::identity::UserIdStatus;
use secrecy::{ExposeSecret, SecretString};
use sigap_server::auth::password;
use sigap_server::demo::{self, DEMO_LOGINS};
use sigap_server::secrets::{Keyring, credential_aad};
use sigap_server::storage::{self, AuditEventFilter, Storage};
use sigap_server::{Application, StartupError, config::Config};
use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Everything seeding writes, as comparable text.
async fn snapshot(s: &Arc<dyn Storage>) -> String {
    let inst = s
        .institution_by_code(demo::DEMO_INSTITUTION_CODE)
        .await
        .unwrap()
        .unwrap();
    let events = s
        .list_audit_events(&AuditEventFilter {
            limit: 1000,
            ..Default::default()
        })
        .await
        .unwrap();
    format!(
        "{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}",
        s.list_institutions().await.unwrap(),
        s.list_accounts().await.unwrap(),
        s.list_agreements(inst.id).await.unwrap(),
        s.list_dukcapil_user_ids(inst.id).await.unwrap(),
        s.list_nda_versions(inst.id).await.unwrap(),
        s.local_user_id_history(inst.id).await.unwrap(),
        events,
    )
}

async fn demo_seed_story(db: &TestDb) {
    let s = storage::connect(&db.url).await.unwrap();
    let now = sigap_server::now_ms();
    demo::seed(s.as_ref(), now).await.unwrap();
    let ring = Keyring::generate();
    demo::seed_credentials(s.as_ref(), &ring, now)
        .await
        .unwrap();
    let first = snapshot(&s).await;
    // A second start (later) changes nothing.
    demo::seed(s.as_ref(), now + 60_000).await.unwrap();
    demo::seed_credentials(s.as_ref(), &ring, now + 60_000)
        .await
        .unwrap();
    assert_eq!(
        snapshot(&s).await,
        first,
        "seeding twice writes nothing new"
    );

    let inst = s
        .institution_by_code(demo::DEMO_INSTITUTION_CODE)
        .await
        .unwrap()
        .unwrap();
    // Access is in force today: agreement active, extended by its addendum, SPTJM recorded.
    let state = s
        .institution_access_state(inst.id, sigap_server::wib_today())
        .await
        .unwrap();
    assert!(state.is_active(), "{state:?}");
    let agreements = s.list_agreements(inst.id).await.unwrap();
    assert_eq!(agreements.len(), 1);
    let pks = &agreements[0];
    assert_eq!(pks.dukcapil_number, demo::DEMO_AGREEMENT_DUKCAPIL_NUMBER);
    assert_eq!(
        pks.institution_number,
        demo::DEMO_AGREEMENT_INSTITUTION_NUMBER
    );
    assert_eq!(
        (pks.valid_from, pks.valid_to),
        (
            time::macros::date!(2022 - 11 - 10),
            time::macros::date!(2024 - 11 - 09)
        )
    );
    assert_eq!(pks.addenda.len(), 1);
    assert_eq!(pks.addenda[0].number, demo::DEMO_ADDENDUM_NUMBER);
    assert!(pks.addenda[0].valid_to >= demo::DEMO_ADDENDUM_VALID_TO);
    let head = s
        .account_by_username(demo::DEMO_HEAD.username)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        pks.sptjm.as_ref().unwrap().signer_account_id,
        Some(head.id),
        "the head's SPTJM"
    );

    // The demo identities, their passwords, roles, institutions and local user IDs.
    for login in DEMO_LOGINS {
        let a = s
            .account_by_username(login.username)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(a.role, login.role, "{}", login.username);
        assert_eq!(a.local_user_id.as_deref(), login.local_user_id);
        assert_eq!(
            a.institution_id,
            login.role.is_institution_bound().then_some(inst.id)
        );
        match login.password {
            Some(pw) => {
                assert!(a.demo_password);
                assert!(
                    password::verify_password(pw, a.password_hash.as_deref().unwrap()).unwrap()
                );
            }
            None => assert!(a.password_hash.is_none() && !a.demo_password),
        }
    }
    let demo_pw = s.accounts_with_demo_password().await.unwrap();
    assert_eq!(demo_pw.len(), DEMO_LOGINS.len() - 1);

    // User IDs: active, BPBD3313, credential sealed and opening to the simulator's password.
    let ids = s.list_dukcapil_user_ids(inst.id).await.unwrap();
    let locals: Vec<&str> = ids.iter().map(|u| u.local_user_id.as_str()).collect();
    assert_eq!(
        locals,
        [
            "op-demo-1",
            "op-demo-2",
            "op-demo-3",
            "op-demo-4",
            "op-demo-kartu",
            "api-demo"
        ]
    );
    for u in &ids {
        assert_eq!(u.status, UserIdStatus::Active);
        assert_eq!(u.dukcapil_user_id.as_deref(), Some("BPBD3313"));
        assert!(u.has_credential);
        let sealed = s.sealed_credential(u.id).await.unwrap().unwrap();
        assert_eq!(
            ring.open(&sealed, &credential_aad(u.id))
                .unwrap()
                .expose_secret(),
            dukcapil_sim::config::DEMO_PASSWORD
        );
    }
    // The NDA is published; nobody has accepted it yet (the first sign-in asks).
    assert_eq!(s.current_nda(inst.id).await.unwrap().unwrap().version, 1);
    assert!(s.list_nda_signatures(inst.id).await.unwrap().is_empty());
    let op = s.account_by_username("operator1").await.unwrap().unwrap();
    assert_eq!(
        s.nda_status(op.id).await.unwrap().reason_code(),
        Some("NDA_NOT_ACCEPTED")
    );
    assert_eq!(
        s.account_by_username("api-demo")
            .await
            .unwrap()
            .unwrap()
            .role,
        Role::Service
    );
}

#[tokio::test]
async fn demo_seed_is_idempotent_on_sqlite() {
    let db = TestDb::sqlite();
    demo_seed_story(&db).await;
    db.cleanup().await;
}

#[tokio::test]
async fn demo_seed_is_idempotent_on_postgres() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    demo_seed_story(&db).await;
    db.cleanup().await;
}

fn temp_dir(what: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("sigap-{what}-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test]
async fn startup_outside_demo_mode_refuses_demo_passwords() {
    let db = TestDb::sqlite();
    let data_dir = temp_dir("data");
    let s = storage::connect(&db.url).await.unwrap();
    demo::seed(s.as_ref(), sigap_server::now_ms())
        .await
        .unwrap();
    let config = Config {
        bind: "127.0.0.1:0".parse().unwrap(),
        database_url: Some(db.url.clone()),
        data_dir: data_dir.clone(),
        ..Config::default()
    };

    let err = Application::build_with_storage(config.clone(), s.clone(), false)
        .await
        .err()
        .expect("refused");
    let StartupError::DemoPasswords(names) = &err else {
        panic!("{err}");
    };
    assert_eq!(names.len(), DEMO_LOGINS.len() - 1);
    assert!(names.iter().any(|n| n == "operator1"));
    let msg = err.to_string();
    assert!(
        msg.contains("demo password") && msg.contains("set-password"),
        "{msg}"
    );

    // Demo mode starts on the same database.
    drop(
        Application::build_with_storage(config.clone(), s.clone(), true)
            .await
            .unwrap(),
    );

    // New passwords for all but one, which is deactivated instead: it starts.
    let mut rest = DEMO_LOGINS.iter().filter(|l| l.password.is_some());
    let last = rest.next_back().unwrap();
    for login in rest {
        let pw = SecretString::from(format!("tangga-biru-sepatu-{}", login.username.len()));
        sigap_server::admin::set_password(s.as_ref(), login.username, &pw, sigap_server::now_ms())
            .await
            .unwrap();
        assert!(err.to_string().contains(login.username), "listed before");
    }
    let err = Application::build_with_storage(config.clone(), s.clone(), false)
        .await
        .err()
        .expect("still refused");
    assert!(err.to_string().contains(last.username), "{err}");
    let a = s.account_by_username(last.username).await.unwrap().unwrap();
    s.deactivate_account(a.id, &storage::Actor::cli(), sigap_server::now_ms())
        .await
        .unwrap();
    let app = Application::build_with_storage(config, s.clone(), false)
        .await
        .unwrap();
    drop(app);
    let _ = std::fs::remove_dir_all(data_dir);
    db.cleanup().await;
}

/// The `sigap` binary with a hermetic environment and a database in `dir`.
fn sigap(dir: &std::path::Path) -> Command {
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
        .stdin(Stdio::null());
    c
}

struct Out {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn run(mut c: Command, stdin: Option<&str>) -> Out {
    if stdin.is_some() {
        c.stdin(Stdio::piped());
    }
    c.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    Out {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn admin(dir: &std::path::Path, args: &[&str], stdin: Option<&str>) -> Out {
    let mut c = sigap(dir);
    c.arg("admin").args(args);
    run(c, stdin)
}

#[tokio::test]
async fn admin_cli_creates_the_first_institutions_and_accounts() {
    let dir = temp_dir("cli");
    let ok = |o: &Out| assert_eq!(o.code, Some(0), "stdout {} stderr {}", o.stdout, o.stderr);
    let refused = |o: &Out, code: &str| {
        assert_eq!(o.code, Some(2), "stdout {} stderr {}", o.stdout, o.stderr);
        assert!(o.stderr.contains(code), "expected {code}: {}", o.stderr);
    };

    let o = admin(
        &dir,
        &[
            "institution",
            "create",
            "--code",
            "BPBD-3372",
            "--name",
            "BPBD Kota Surakarta",
            "--region-code",
            "3372",
        ],
        None,
    );
    ok(&o);
    assert!(
        o.stdout.contains("created institution BPBD-3372"),
        "{}",
        o.stdout
    );
    assert!(
        o.stdout.contains("33.72"),
        "normalised region code: {}",
        o.stdout
    );
    refused(
        &admin(
            &dir,
            &[
                "institution",
                "create",
                "--code",
                "BPBD-3372",
                "--name",
                "X",
                "--region-code",
                "33.72",
            ],
            None,
        ),
        "INSTITUTION_CODE_TAKEN",
    );
    refused(
        &admin(
            &dir,
            &[
                "institution",
                "create",
                "--code",
                "BAD CODE",
                "--name",
                "X",
                "--region-code",
                "33.72",
            ],
            None,
        ),
        "INSTITUTION_CODE_INVALID",
    );
    refused(
        &admin(
            &dir,
            &[
                "institution",
                "create",
                "--code",
                "X-1",
                "--name",
                "X",
                "--region-code",
                "99.99",
            ],
            None,
        ),
        "REGION_CODE_INVALID",
    );

    let pw = "kuda-lumping-merah-77\n";
    let o = admin(
        &dir,
        &[
            "account",
            "create",
            "--username",
            "admin.dukcapil",
            "--role",
            "disdukcapil_admin",
            "--password-stdin",
        ],
        Some(pw),
    );
    ok(&o);
    assert!(
        o.stdout.contains("created account admin.dukcapil"),
        "{}",
        o.stdout
    );
    ok(&admin(
        &dir,
        &[
            "account",
            "create",
            "--username",
            "op1",
            "--role",
            "operator",
            "--institution",
            "BPBD-3372",
            "--local-user",
            "op-1",
            "--display-name",
            "Petugas Satu",
            "--password-stdin",
        ],
        Some("gelas kopi di meja 7\n"),
    ));
    ok(&admin(
        &dir,
        &[
            "account",
            "create",
            "--username",
            "api",
            "--role",
            "service",
            "--institution",
            "BPBD-3372",
            "--local-user",
            "api-1",
        ],
        None,
    ));

    let create = |user: &str, role: &str, extra: &[&str], stdin: Option<&str>| {
        let mut args = vec!["account", "create", "--username", user, "--role", role];
        args.extend_from_slice(extra);
        admin(&dir, &args, stdin)
    };
    refused(
        &create("x1", "root", &["--password-stdin"], Some(pw)),
        "ROLE_UNKNOWN",
    );
    refused(
        &create("ADMIN.DUKCAPIL", "auditor", &["--password-stdin"], Some(pw)),
        "USERNAME_TAKEN",
    );
    refused(
        &create("aud", "auditor", &["--password-stdin"], Some("pendek\n")),
        "PASSWORD_TOO_SHORT",
    );
    refused(
        &create(
            "aud",
            "auditor",
            &["--password-stdin"],
            Some("password123456\n"),
        ),
        "PASSWORD_COMMON",
    );
    refused(&create("aud", "auditor", &[], None), "PASSWORD_REQUIRED");
    refused(
        &create("aud", "auditor", &["--password-stdin"], Some("\n")),
        "PASSWORD_REQUIRED",
    );
    refused(
        &create("op2", "operator", &["--password-stdin"], Some(pw)),
        "INSTITUTION_REQUIRED",
    );
    refused(
        &create(
            "op2",
            "operator",
            &["--institution", "NOPE", "--password-stdin"],
            Some(pw),
        ),
        "INSTITUTION_UNKNOWN",
    );
    refused(
        &create(
            "op2",
            "operator",
            &[
                "--institution",
                "BPBD-3372",
                "--local-user",
                "op-1",
                "--password-stdin",
            ],
            Some(pw),
        ),
        "LOCAL_USER_ID_TAKEN",
    );
    refused(
        &create(
            "api2",
            "service",
            &["--institution", "BPBD-3372", "--password-stdin"],
            Some(pw),
        ),
        "PASSWORD_NOT_ALLOWED",
    );

    let o = admin(&dir, &["account", "list"], None);
    ok(&o);
    let lines: Vec<&str> = o.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", o.stdout);
    assert!(lines[0].starts_with("admin.dukcapil") && lines[0].contains("disdukcapil_admin"));
    let o = admin(
        &dir,
        &["account", "list", "--institution", "BPBD-3372"],
        None,
    );
    assert_eq!(o.stdout.lines().count(), 2, "{}", o.stdout);
    assert!(!o.stdout.contains("admin.dukcapil"));

    ok(&admin(
        &dir,
        &[
            "account",
            "set-password",
            "--username",
            "OP1",
            "--password-stdin",
        ],
        Some("tangga-biru-sepatu-41\n"),
    ));
    refused(
        &admin(
            &dir,
            &["account", "set-password", "--username", "op1"],
            None,
        ),
        "PASSWORD_REQUIRED",
    );
    refused(
        &admin(
            &dir,
            &[
                "account",
                "set-password",
                "--username",
                "nobody",
                "--password-stdin",
            ],
            Some(pw),
        ),
        "ACCOUNT_UNKNOWN",
    );
    ok(&admin(
        &dir,
        &["account", "deactivate", "--username", "op1"],
        None,
    ));
    refused(
        &admin(&dir, &["account", "deactivate", "--username", "op1"], None),
        "ACCOUNT_DEACTIVATED",
    );

    // What the CLI wrote: hashes that verify, the epoch bumps, the audit trail.
    let s = storage::connect(&format!("sqlite://{}", dir.join("sigap.db").display()))
        .await
        .unwrap();
    let admin_acc = s
        .account_by_username("admin.dukcapil")
        .await
        .unwrap()
        .unwrap();
    assert!(
        password::verify_password(
            "kuda-lumping-merah-77",
            admin_acc.password_hash.as_deref().unwrap()
        )
        .unwrap()
    );
    assert!(!admin_acc.demo_password);
    let op1 = s.account_by_username("op1").await.unwrap().unwrap();
    assert!(
        password::verify_password(
            "tangga-biru-sepatu-41",
            op1.password_hash.as_deref().unwrap()
        )
        .unwrap()
    );
    assert_eq!(op1.session_epoch, 2, "password set + deactivation");
    assert!(!op1.is_active());
    assert_eq!(op1.display_name, "Petugas Satu");
    let events: Vec<(String, Option<String>)> = s
        .list_audit_events(&AuditEventFilter::default())
        .await
        .unwrap()
        .into_iter()
        .rev()
        .map(|e| (e.event, e.actor_username))
        .collect();
    let names: Vec<&str> = events.iter().map(|e| e.0.as_str()).collect();
    assert_eq!(
        names,
        [
            "institution.create",
            "account.create",
            "account.create",
            "account.create",
            "account.password_set",
            "account.deactivate",
        ]
    );
    assert!(events.iter().all(|e| e.1.as_deref() == Some("cli")));
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn serve_refuses_to_start_while_demo_passwords_remain() {
    let dir = temp_dir("serve");
    let site = dir.join("site");
    std::fs::create_dir_all(site.join("pkg")).unwrap();
    std::fs::write(site.join("pkg").join("sigap.js"), "").unwrap();
    let s = storage::connect(&format!("sqlite://{}", dir.join("sigap.db").display()))
        .await
        .unwrap();
    demo::seed(s.as_ref(), sigap_server::now_ms())
        .await
        .unwrap();
    drop(s);

    let mut c = sigap(&dir);
    c.arg("serve")
        .env("SIGAP_SITE_ROOT", &site)
        .env("SIGAP_BIND", "127.0.0.1:0")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("sigap serve started although demo passwords remain");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!status.success());
    assert!(
        stderr.contains("demo password") && stderr.contains("operator1"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(dir);
}
